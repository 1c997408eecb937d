/**
 * Failures of the provisioning tasks: usage mistakes (exit 2) and the friendly message of
 * every library error a task can meet (exit 1). Messages never carry a secret.
 *
 * @module
 */
import process from "node:process";
import { Pkcs11exError } from "../../src/core/errors.ts";

/** A mistake in the command line or its environment; the task exits with status 2. */
export class UsageError extends Error {
  /** Wraps a usage message (sentence case, naming what to do). */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

const READ_ONLY = "this device refuses imported keys: generate the key on the device instead";

/** The one-line message a task prints for `error` (the reason in parentheses). */
export function describeFailure(error: unknown): string {
  if (error instanceof UsageError) return error.message;
  if (!(error instanceof Pkcs11exError)) {
    return `Unexpected failure: ${(error as Error)?.message ?? String(error)}`;
  }
  const rv = (error.detail as { rv?: string } | undefined)?.rv;
  switch (error.reason) {
    case "p12_password_incorrect":
      return "The bundle password is incorrect (p12_password_incorrect)";
    case "pin_incorrect":
      return "The user PIN is incorrect (pin_incorrect); the token counts failed attempts";
    case "pin_locked":
      return "The user PIN is locked (pin_locked): the security officer must reset it";
    default:
      if (rv === "CKR_ATTRIBUTE_READ_ONLY") return `${error.message}: ${READ_ONLY}`;
      return `${error.message} (${error.reason})`;
  }
}

/**
 * Runs a task's main function: prints the failure message on stderr and sets the exit
 * status (2 for usage, 1 for anything else).
 */
export async function runTask(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    console.error(`error: ${describeFailure(error)}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  }
}
