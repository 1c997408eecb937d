/**
 * The fixture of the import-p12 tests: a fresh token, a config naming it as slot
 * `legal_proxy`, an RSA and an EC bundle, and the task run non-interactively against them.
 */
import { CKO } from "../../src/ffi/constants.ts";
import type { Session } from "../../src/ffi/session.ts";
import type { RunResult } from "../_support/run.ts";
import { makeTestToken, type TestToken } from "../_support/softhsm.ts";
import { makeTempDir } from "../_support/tmp.ts";
import { type MadeBundle, makeP12, runTaskScript, writeConfig } from "./_task.ts";

/** What the import tests share. */
export interface ImportFixture {
  token: TestToken;
  work: { dir: string; cleanup: () => void };
  config: string;
  rsa: MadeBundle;
  ec: MadeBundle;
  /** Runs import-p12 on `bundle` with the secrets in the environment; `pin` defaults to the right one. */
  importTask(bundle: { p12: string; password: string }, extra: string[], pin?: string): RunResult;
  /** Runs `fn` in a new logged-in session, closed afterwards. */
  withSession<T>(fn: (session: Session) => T): T;
  /** The private keys labelled `label`. */
  keysLabelled(session: Session, label: string): bigint[];
}

/** Makes the token, config and bundles (`prefix` names the token). */
export async function makeImportFixture(prefix: string): Promise<ImportFixture> {
  const token = await makeTestToken([], prefix);
  const work = makeTempDir(`pkcs11ex-${prefix}-`);
  const config = writeConfig(work.dir, "legal_proxy", token.label);
  return {
    token,
    work,
    config,
    rsa: makeP12(work.dir, "rsa", "rsa"),
    ec: makeP12(work.dir, "ec", "ec"),
    importTask(bundle, extra, pin = token.userPin) {
      return runTaskScript(
        "import_p12",
        [
          ...["--config", config, "--in", bundle.p12, "--slot", "legal_proxy"],
          ...["--password-from-env", "P12_PASSWORD", "--pin-from-env", "TOKEN_PIN", ...extra],
        ],
        { P12_PASSWORD: bundle.password, TOKEN_PIN: pin },
      );
    },
    withSession<T>(fn: (session: Session) => T): T {
      const session = token.openUserSession();
      try {
        return fn(session);
      } finally {
        session.close();
      }
    },
    keysLabelled(session, label) {
      return session.findObjects({ CKA_CLASS: CKO.CKO_PRIVATE_KEY, CKA_LABEL: label });
    },
  };
}
