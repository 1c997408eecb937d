/** Shared set-up of the CMS tests: identities, data and CMS files made once per test file. */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeSelfSigned, softwareSigner, type TestIdentity } from "../../_support/software_keys.ts";
import type { DocumentSigner } from "../../../src/core/signer.ts";

/** The algorithms CMS builds with, and the key type each needs. */
export const ALGS = [["RS256", "rsa"], ["PS256", "rsa"], ["ES256", "ec"]] as const;

/** Identities for each algorithm, the content, and its digest, written under `dir`. */
export function setUp(dir: string): {
  ids: Record<"rsa" | "ec", TestIdentity>;
  signers: Record<"RS256" | "PS256" | "ES256", DocumentSigner>;
  data: Uint8Array;
  dataPath: string;
  digest: Uint8Array;
} {
  const ids = { rsa: makeSelfSigned(dir, "rsa"), ec: makeSelfSigned(dir, "ec") };
  const data = new TextEncoder().encode("%PDF-1.7 pretend bytes covered by /ByteRange\n");
  const dataPath = join(dir, "data.bin");
  writeFileSync(dataPath, data);
  return {
    ids,
    signers: {
      RS256: softwareSigner(ids.rsa, "RS256"),
      PS256: softwareSigner(ids.rsa, "PS256"),
      ES256: softwareSigner(ids.ec, "ES256"),
    },
    data,
    dataPath,
    digest: new Uint8Array(createHash("sha256").update(data).digest()),
  };
}
