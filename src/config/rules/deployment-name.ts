import type { Diagnostic } from "../diagnostics.js";
import type { Rule } from "./context.js";
import { dnsLabelFix, dnsLabelProblem, writtenQuoted } from "./dns.js";

/** `environment` and `region` are DNS-1123 labels and name the file: `<environment>-<region>.yaml`. */
export const deploymentNameRule: Rule = {
  name: "deployment-name",
  check({ source, view, expectedName }) {
    const diagnostics: Diagnostic[] = [];
    for (const key of ["environment", "region"] as const) {
      const value = view[key];
      if (value === undefined) continue;
      const problem = dnsLabelProblem(value);
      if (!problem) continue;
      diagnostics.push(
        source.diagnostic(
          "error",
          "invalid-dns-label",
          [key],
          `"${value}" ${problem}; it names the output folder; ${dnsLabelFix(value, undefined, writtenQuoted(source, [key]))}`,
        ),
      );
    }

    const { environment, region } = view;
    if (environment === undefined || region === undefined || diagnostics.length > 0) return diagnostics;
    const actual = `${environment}-${region}`;
    if (actual !== expectedName) {
      diagnostics.push(
        source.diagnostic(
          "error",
          "file-name-mismatch",
          ["environment"],
          `environment "${environment}" and region "${region}" give "${actual}", but the file is named "${expectedName}"; ` +
            `rename the file to ${actual}.yaml or correct environment and region`,
        ),
      );
    }
    return diagnostics;
  },
};
