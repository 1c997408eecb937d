/**
 * Reading the JOSE-style signer hint: `x5c` certificates, `x5t#S256` thumbprints, and the
 * agreement between them.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { Pkcs11exError } from "../core/errors.ts";
import { parseCertificate, type X509Certificate } from "../core/x509.ts";
import { createParseCache } from "../core/x509/cache.ts";
import { decodeBase64 } from "../core/x509/pem.ts";
import type { SignerHint } from "./types.ts";

/**
 * Recent `x5c` entries by their exact base64 text: a signer sends the same text on every
 * request, and a hit skips the base64 decoding too. Only entries that parsed are stored.
 */
const x5cParsed = createParseCache<X509Certificate>({ maxEntries: 256, maxKeyLength: 24 * 1024 });

function x5cCertificate(b64: unknown): X509Certificate {
  const hit = typeof b64 === "string" ? x5cParsed.get(b64) : undefined;
  if (hit) return hit;
  const der = typeof b64 === "string" ? decodeBase64(b64) : undefined;
  if (!der) {
    throw new Pkcs11exError("malformed_certificate", "Cannot read x5c: an entry is not base64", {
      detail: { kind: "x5c" },
    });
  }
  const cert = parseCertificate(der);
  x5cParsed.set(b64 as string, cert);
  return cert;
}

/** The `x5c` certificates, parsed (empty when absent). */
export function hintCertificates(hint: SignerHint): X509Certificate[] {
  if (hint.x5c === undefined) return [];
  if (!Array.isArray(hint.x5c)) {
    throw new Pkcs11exError("malformed_certificate", "Cannot read x5c: not an array", {
      detail: { kind: "x5c" },
    });
  }
  return hint.x5c.map(x5cCertificate);
}

/** The `x5t#S256` thumbprint as lowercase hex, or undefined. */
export function hintThumbprintHex(hint: SignerHint): string | undefined {
  const t = hint["x5t#S256"];
  if (t === undefined) return undefined;
  if (typeof t !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(t)) {
    throw new Pkcs11exError("hint_mismatch", "Cannot use x5t#S256: not a base64url SHA-256", {
      detail: { hint: "x5t#S256" },
    });
  }
  return Buffer.from(t, "base64url").toString("hex");
}

/** Throws `hint_mismatch` when two hints name different certificates. */
export function assertSameCertificate(a: X509Certificate, b: X509Certificate, hints: string): void {
  assertThumbprint(a, b.certSha256Hex, hints);
}

/** Throws `hint_mismatch` when `cert` is not the one with SHA-256 `thumbprintHex`. */
export function assertThumbprint(
  cert: X509Certificate,
  thumbprintHex: string | undefined,
  hints: string,
): void {
  if (thumbprintHex !== undefined && cert.certSha256Hex !== thumbprintHex) {
    throw new Pkcs11exError(
      "hint_mismatch",
      `Cannot resolve the signer: ${hints} name different certificates`,
      {
        detail: { hints },
      },
    );
  }
}

/** Throws `unknown_signer`. */
export function unknownSigner(message: string): never {
  throw new Pkcs11exError("unknown_signer", message);
}
