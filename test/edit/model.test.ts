import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EditError } from "../../src/edit/errors.js";
import { grantNamespace, revokeNamespace, setUserDisabled } from "../../src/edit/users.js";
import type { Deployment } from "../../src/model/types.js";
import { expectValid, readFixture } from "./helpers.js";

type Access = "edit" | "view";

interface ModelUser {
  disabled: boolean;
  grants: Map<string, Access>;
}

function modelOf(deployment: Deployment): Map<string, ModelUser> {
  return new Map(
    deployment.users.map((user) => [
      user.username,
      {
        disabled: user.disabled,
        grants: new Map(user.allowedNamespaces.map((grant) => [grant.namespace, grant.access])),
      },
    ]),
  );
}

const USERNAMES = ["asmith", "divanov", "bjones", "cwu"];
const NAMESPACES = ["ml-staging", "ml-prod", "team-a"];

const operation = fc.oneof(
  fc.record({
    kind: fc.constant("grant" as const),
    username: fc.constantFrom(...USERNAMES),
    namespace: fc.constantFrom(...NAMESPACES),
    access: fc.constantFrom<Access>("edit", "view"),
  }),
  fc.record({
    kind: fc.constant("revoke" as const),
    username: fc.constantFrom(...USERNAMES),
    namespace: fc.constantFrom(...NAMESPACES),
  }),
  fc.record({
    kind: fc.constant("disable" as const),
    username: fc.constantFrom(...USERNAMES),
    disabled: fc.boolean(),
  }),
);

describe("edits against a model", () => {
  it("random edit sequences match the model", () => {
    const start = readFixture("dev-eu-west-1.yaml");
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 12 }), (operations) => {
        let text = start;
        const model = modelOf(expectValid(text));

        for (const step of operations) {
          const user = model.get(step.username) as ModelUser;
          const ref = { username: step.username };
          if (step.kind === "grant") {
            text = grantNamespace(text, ref, { namespace: step.namespace, access: step.access });
            user.grants.set(step.namespace, step.access);
          } else if (step.kind === "revoke") {
            if (!user.grants.has(step.namespace)) {
              expect(() => revokeNamespace(text, ref, step.namespace)).toThrow(EditError);
              continue;
            }
            text = revokeNamespace(text, ref, step.namespace);
            user.grants.delete(step.namespace);
          } else {
            text = setUserDisabled(text, ref, step.disabled);
            user.disabled = step.disabled;
          }
          expect(modelOf(expectValid(text))).toEqual(model);
        }

        // Comment lines the edits never target survive every sequence.
        for (const comment of [
          "# Platform team",
          "# Data science",
          "# team-a on request",
          "# end of users",
        ]) {
          expect(text).toContain(comment);
        }
      }),
      { numRuns: 60 },
    );
  });
});
