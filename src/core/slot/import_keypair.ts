/**
 * Provisioning: put a software key pair and its certificate on a slot's token (api §3.5
 * `import_keypair`, used by the `import-p12` task). Not a runtime API and not exported from
 * `mod.ts`: a request path that holds private-key parts in memory defeats the purpose of a
 * token. The private key is created sensitive, never extractable, on the token; the key
 * bytes are zeroed on both sides of the worker hop when the call ends.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import type { Pkcs11ex } from "../pkcs11ex.ts";
import { slotActors } from "../pkcs11ex.ts";
import { Pkcs11exError } from "../errors.ts";
import { parseCertificate } from "../x509.ts";
import type { PrivateKeyForImport } from "../../pkcs12/_private_key.ts";
import { certificateTemplate, keyTemplates } from "./key_templates.ts";

/** What to import. */
export interface ImportKeypairArgs {
  /** The private key parts (RSA or EC), e.g. from `readPrivateKeyForImport`. */
  readonly key: PrivateKeyForImport;
  /** The certificate of the key (DER). */
  readonly certificateDer: Uint8Array;
  /** `CKA_LABEL` of the key pair. */
  readonly label: string;
  /** `CKA_LABEL` of the certificate (default: `label`). */
  readonly certLabel?: string;
  /** `CKA_ID` of the key pair and certificate (default: 8 random bytes). */
  readonly id?: Uint8Array;
  /** Replace objects that already carry `label` instead of refusing. */
  readonly replace?: boolean;
}

/**
 * Imports a key pair and its certificate into the token of `slotRef` (logging in through
 * the slot's PIN sources as signing does). Always disposes `args.key`.
 *
 * @throws {Pkcs11exError} `key_ambiguous` when `label` exists and `replace` is not set,
 * `pkcs11_error` (e.g. `CKR_ATTRIBUTE_READ_ONLY`: the device refuses imported keys).
 */
export async function importKeypair(
  p11: Pkcs11ex,
  slotRef: string,
  args: ImportKeypairArgs,
): Promise<{ id: Uint8Array }> {
  try {
    const actor = slotActors.get(p11)?.get(slotRef);
    if (actor === undefined) {
      throw new Pkcs11exError("slot_not_found", `No slot "${slotRef}" is configured`, {
        detail: { slotRef },
      });
    }
    const leaf = parseCertificate(args.certificateDer);
    const id = args.id ?? new Uint8Array(randomBytes(8));
    const names = { label: args.label, certLabel: args.certLabel ?? args.label, id };
    const keys = keyTemplates(args.key, leaf, names);
    const certificate = certificateTemplate(leaf, names.certLabel, id);
    await actor.importObjects(
      { label: args.label, privateKey: keys.privateKey, publicKey: keys.publicKey, certificate },
      args.replace === true,
    );
    return { id };
  } finally {
    // The templates hold the key parts themselves: disposing zeroes them here; the worker
    // zeroes its structured-clone copies after C_CreateObject.
    args.key.dispose();
  }
}
