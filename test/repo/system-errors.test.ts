import { describe, expect, it } from "vitest";
import { systemErrorMessage } from "../../src/errors.js";
import { tempPath } from "../../src/output/atomic.js";

/** Returns an error shaped like the ones Node.js file system calls throw. */
function systemError(code: string, syscall: string, file: string, dest?: string): Error {
  return Object.assign(new Error(`${code}: failed, ${syscall} '${file}'`), {
    code,
    syscall,
    path: file,
    ...(dest === undefined ? {} : { dest }),
  });
}

describe("systemErrorMessage", () => {
  it("names the folder of a temporary file", () => {
    const temp = tempPath("/ops/deployments/dev-us-east-1/profiles");

    const message = systemErrorMessage(systemError("EACCES", "open", temp));

    expect(message).toBe(
      "writing a temporary file in /ops/deployments/dev-us-east-1/profiles failed (open): " +
        "permission denied (EACCES); check that the folder is writable and its disk has space, then rerun.",
    );
  });

  it("names the file a rename replaces", () => {
    const temp = tempPath("/ops/vars");

    const message = systemErrorMessage(systemError("EROFS", "rename", temp, "/ops/vars/dev-us-east-1.yaml"));

    expect(message).toBe(
      "replacing /ops/vars/dev-us-east-1.yaml failed (rename): the file system is read-only (EROFS); " +
        "check that its folder is writable, then rerun.",
    );
  });

  it("points a refused rename (EPERM) at immutable files and sticky folders", () => {
    const temp = tempPath("/ops/deployments/dev-us-east-1");
    const dest = "/ops/deployments/dev-us-east-1/profiles/ml-prod.yaml";

    const message = systemErrorMessage(systemError("EPERM", "rename", temp, dest));

    expect(message).toContain(`replacing ${dest} failed (rename)`);
    expect(message).toContain("check that the file is not immutable (lsattr)");
    expect(message).toContain("sticky bit");
  });

  it("names any other path as given", () => {
    const message = systemErrorMessage(systemError("ENOSPC", "write", "/ops/.cake/lock"));

    expect(message).toBe(
      "write /ops/.cake/lock failed: no space left on the device (ENOSPC); check the path and its permissions, then rerun.",
    );
  });

  it("ignores errors without a system code", () => {
    expect(systemErrorMessage(new Error("plain"))).toBeUndefined();
    expect(systemErrorMessage("text")).toBeUndefined();
  });
});
