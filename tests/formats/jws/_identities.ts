/** Software identities for the JWS tests (one self-signed certificate per algorithm) and pins. */
import { makeSelfSigned, softwareSigner, type TestIdentity } from "../../_support/software_keys.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import type { DocumentSigner } from "../../../src/core/signer.ts";
import { parseCertificate } from "../../../src/core/x509.ts";
import { PinnedRegistry } from "../../../src/policy/pinned_registry.ts";

/** The algorithms the interop tests cover. */
export const ALGS = ["PS256", "RS256", "ES256", "EdDSA"] as const;

/** One of {@linkcode ALGS}. */
export type TestAlg = (typeof ALGS)[number];

/** A software identity and a signer over it. */
export interface AlgIdentity {
  alg: TestAlg;
  identity: TestIdentity;
  signer: DocumentSigner;
}

const KEY_TYPE = { PS256: "rsa", RS256: "rsa", ES256: "ec", EdDSA: "ed25519" } as const;

/** Makes a self-signed identity for `alg` in `dir`. */
export function identityFor(
  dir: string,
  alg: TestAlg,
  opts: { name?: string; days?: number } = {},
): AlgIdentity {
  const identity = makeSelfSigned(dir, KEY_TYPE[alg], { name: opts.name ?? alg, days: opts.days });
  return { alg, identity, signer: softwareSigner(identity, alg) };
}

/** Runs `make` in a fresh temporary directory and removes it (identities are kept in memory). */
export function withTempIdentities<T>(make: (dir: string) => T): T {
  const { dir, cleanup } = makeTempDir();
  try {
    return make(dir);
  } finally {
    cleanup();
  }
}

/** A real {@linkcode PinnedRegistry} pinning each identity's key to its subject. */
export function pinned(entries: readonly [{ identity: TestIdentity }, string][]): PinnedRegistry {
  return new PinnedRegistry({
    pins: Object.fromEntries(
      entries.map(([{ identity }, subject]) => [
        parseCertificate(identity.certDer).spkiSha256Hex,
        subject,
      ]),
    ),
  });
}
