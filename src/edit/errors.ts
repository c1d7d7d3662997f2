import { CakeError } from "../errors.js";

/** The reason an edit cannot be made. Codes are stable, so callers and tests can tell the cases apart. */
export type EditErrorCode =
  | "unknown-user"
  | "unknown-namespace"
  | "duplicate-email"
  | "duplicate-username"
  | "duplicate-namespace"
  | "not-granted"
  | "namespace-in-use"
  | "profile-handover"
  | "invalid-value"
  | "unsupported-layout";

/** An edit that cannot be applied to this vars file; nothing was changed. Exit code 1. */
export class EditError extends CakeError {
  readonly code: EditErrorCode;
  /**
   * The message for `--deployment all`, which skips a deployment where the user or namespace does
   * not exist. There the skip is the expected result, not a fault, so a generic next step (such
   * as "Run `cake user list`") is left out.
   */
  readonly reason: string | undefined;

  constructor(code: EditErrorCode, message: string, reason?: string) {
    super(message, 1);
    this.name = "EditError";
    this.code = code;
    this.reason = reason;
  }
}
