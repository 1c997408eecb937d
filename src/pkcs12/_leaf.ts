/**
 * Which certificate of a bundle is the leaf (the one whose public key matches the private
 * key, preferring the same localKeyId) and the order of the rest (leaf → root as far as
 * issuer links go, then the unlinked ones in bundle order).
 *
 * @module
 */
import { createPrivateKey, createPublicKey } from "node:crypto";
import { Buffer } from "node:buffer";
import { AsnConvert } from "@peculiar/asn1-schema";
import { SubjectPublicKeyInfo } from "@peculiar/asn1-x509";
import type { X509Certificate } from "../core/x509.ts";
import { rsaPublicNumbers } from "../core/x509/public_key.ts";
import { disposeKeyParts, type KeyParts, splitPrivateKey } from "./_key_parts.ts";

/** A parsed certificate with its bag's localKeyId. */
export interface BundleCert {
  /** The parsed certificate. */
  cert: X509Certificate;
  /** The bag's localKeyId, if any. */
  localKeyId?: Uint8Array;
}

function equal(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a !== undefined && b !== undefined && Buffer.from(a).equals(Buffer.from(b));
}

/** Whether the certificate's public key belongs to the private key. */
function keyMatches(cert: X509Certificate, parts: KeyParts, pkcs8: Uint8Array): boolean {
  try {
    if (parts.keyType === "rsa") {
      return cert.keyType === "rsa" && equal(rsaPublicNumbers(cert.spkiDer).n, parts.rsa.modulus);
    }
    if (parts.keyType === "ec") {
      const spki = AsnConvert.parse(cert.spkiDer, SubjectPublicKeyInfo);
      return equal(new Uint8Array(spki.subjectPublicKey), parts.ec.publicPointUncompressed);
    }
    const derived = createPublicKey(
      createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" }),
    ).export({ format: "der", type: "spki" });
    return equal(new Uint8Array(derived), cert.spkiDer);
  } catch {
    return false;
  }
}

/**
 * The index of the certificate that belongs to the key: among those whose public key
 * matches, the one with the key's localKeyId, else the first; `-1` when none matches.
 */
export function findKeyCert(
  certs: readonly BundleCert[],
  pkcs8: Uint8Array,
  localKeyId: Uint8Array | undefined,
): number {
  const parts = splitPrivateKey(pkcs8);
  try {
    const matching = certs.map((c, i) => keyMatches(c.cert, parts, pkcs8) ? i : -1)
      .filter((i) => i >= 0);
    return matching.find((i) => equal(certs[i].localKeyId, localKeyId)) ?? matching[0] ?? -1;
  } finally {
    disposeKeyParts(parts);
  }
}

function issues(issuer: X509Certificate, subject: X509Certificate): boolean {
  if (issuer === subject || issuer.subjectNormalized !== subject.issuerNormalized) return false;
  const aki = subject.authorityKeyIdentifier;
  const ski = issuer.subjectKeyIdentifier;
  return aki === undefined || ski === undefined || aki === ski;
}

/** The leaf of a bundle without a key: the first certificate that issued no other one. */
export function findEndEntity(certs: readonly X509Certificate[]): number {
  const i = certs.findIndex((c) => !certs.some((other) => issues(c, other)));
  return i >= 0 ? i : 0;
}

/** Orders `rest` from the leaf's issuer up, then whatever is not linked, in bundle order. */
export function orderChain(
  leaf: X509Certificate,
  rest: readonly X509Certificate[],
): X509Certificate[] {
  const left = [...rest];
  const chain: X509Certificate[] = [];
  let current = leaf;
  for (;;) {
    const next = left.findIndex((c) => issues(c, current));
    if (next < 0) break;
    current = left.splice(next, 1)[0];
    chain.push(current);
  }
  return [...chain, ...left];
}
