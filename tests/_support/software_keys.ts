/**
 * Software keys and self-signed certificates made by `openssl` for tests, and a
 * {@linkcode DocumentSigner} over such a key (node:crypto), so formats can be checked
 * against outside tools without a token.
 */
import { createPrivateKey, sign as nodeSign } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DocumentSigner, EncodingContext } from "../../src/core/signer.ts";
import { runOk } from "./run.ts";

/** The key types the tests make. */
export type TestKeyType = "rsa" | "ec" | "ed25519";

/** A software key with its self-signed certificate, as files and bytes. */
export interface TestIdentity {
  keyType: TestKeyType;
  keyPath: string;
  certPath: string;
  keyPem: string;
  certPem: string;
  certDer: Uint8Array;
}

/** Makes a key and a self-signed certificate (valid from yesterday for `days`) in `dir`. */
export function makeSelfSigned(
  dir: string,
  keyType: TestKeyType,
  opts: { name?: string; subject?: string; days?: number } = {},
): TestIdentity {
  const name = opts.name ?? `${keyType}-self`;
  const keyPath = join(dir, `${name}.key.pem`);
  const certPath = join(dir, `${name}.cert.pem`);
  const keyArgs = keyType === "rsa"
    ? ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
    : keyType === "ec"
    ? ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
    : ["-algorithm", "ED25519"];
  runOk("openssl", ["genpkey", ...keyArgs, "-out", keyPath]);
  runOk("openssl", [
    "req",
    "-new",
    "-x509",
    "-key",
    keyPath,
    "-out",
    certPath,
    "-days",
    String(opts.days ?? 30),
    "-subj",
    opts.subject ?? `/CN=${name}/O=pkcs11ex tests/C=CL`,
    "-addext",
    "keyUsage=critical,digitalSignature,nonRepudiation",
  ]);
  // Written to a file rather than read from stdout: a pipe read can come back short under load.
  const derPath = join(dir, `${name}.cert.der`);
  runOk("openssl", ["x509", "-in", certPath, "-outform", "DER", "-out", derPath]);
  const certDer = new Uint8Array(readFileSync(derPath));
  return {
    keyType,
    keyPath,
    certPath,
    keyPem: readFileSync(keyPath, "utf8"),
    certPem: readFileSync(certPath, "utf8"),
    certDer,
  };
}

/** A {@linkcode DocumentSigner} over a software key (tests only). */
export function softwareSigner(
  identity: TestIdentity,
  alg: "PS256" | "RS256" | "ES256" | "EdDSA",
  chain: Uint8Array[] = [],
): DocumentSigner {
  const key = createPrivateKey(identity.keyPem);
  return {
    alg,
    certificates: [identity.certDer, ...chain],
    sign(data: Uint8Array, context: EncodingContext): Promise<Uint8Array> {
      switch (alg) {
        case "PS256":
          return Promise.resolve(
            new Uint8Array(nodeSign("sha256", data, { key, padding: 6, saltLength: 32 })),
          );
        case "RS256":
          return Promise.resolve(new Uint8Array(nodeSign("sha256", data, key)));
        case "ES256":
          return Promise.resolve(
            new Uint8Array(
              nodeSign("sha256", data, {
                key,
                dsaEncoding: context === "jose" ? "ieee-p1363" : "der",
              }),
            ),
          );
        case "EdDSA":
          return Promise.resolve(new Uint8Array(nodeSign(null, data, key)));
      }
    },
  };
}
