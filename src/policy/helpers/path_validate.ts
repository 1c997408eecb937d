/**
 * RFC 5280 §6 path validation against configured trust anchors, without AIA chasing:
 * issuer/subject name chaining, the issuer's signature on every cert, `cA: true` and
 * keyCertSign on every issuer, pathLenConstraint, unknown critical extensions, validity of
 * every cert at the validation time, and a maximum depth.
 *
 * @module
 */
import { Pkcs11exError } from "../../core/errors.ts";
import type { X509Certificate } from "../../core/x509.ts";
import { basicConstraintsOk, keyUsageIncludes } from "./constraints.ts";
import { isSignedBy } from "./signed_by.ts";
import { assertValidity, type ValidityOptions } from "./validity.ts";

/** Options of {@linkcode pathValidate}. */
export interface PathValidateOptions extends ValidityOptions {
  /** The longest path accepted, counting the leaf and the anchor (default 8). */
  maxDepth?: number;
}

const KNOWN_CRITICAL = new Set(["2.5.29.15", "2.5.29.19", "2.5.29.37", "2.5.29.17", "2.5.29.32"]);

function chainInvalid(message: string, kind: string, cert: X509Certificate): Pkcs11exError {
  return new Pkcs11exError("chain_invalid", message, { detail: { kind, subject: cert.subject } });
}

function mayIssue(child: X509Certificate, parent: X509Certificate): boolean {
  if (child.issuerNormalized !== parent.subjectNormalized) return false;
  const aki = child.authorityKeyIdentifier;
  const ski = parent.subjectKeyIdentifier;
  return aki === undefined || ski === undefined || aki === ski;
}

function isSelfIssued(cert: X509Certificate): boolean {
  return cert.issuerNormalized === cert.subjectNormalized;
}

function checkCritical(cert: X509Certificate): void {
  const unknown = cert.criticalExtensions.filter((oid) => !KNOWN_CRITICAL.has(oid));
  if (unknown.length > 0) {
    throw chainInvalid(
      `Cannot trust "${cert.subject}": unknown critical extension ${unknown[0]}`,
      "critical_extension",
      cert,
    );
  }
}

async function checkLink(
  child: X509Certificate,
  issuer: X509Certificate,
  belowCount: number,
  issuerIsAnchor: boolean,
): Promise<void> {
  // A trust anchor is trusted as configured (an old v1 root has no extensions at all); an
  // intermediate must say it is a CA (RFC 5280 §6.1.4(k)), which a v1 certificate cannot.
  if (!basicConstraintsOk(issuer, "ca") && (!issuerIsAnchor || issuer.version >= 3)) {
    throw chainInvalid(`Cannot trust "${child.subject}": its issuer is not a CA`, "not_ca", issuer);
  }
  if (!keyUsageIncludes(issuer, "keyCertSign")) {
    throw chainInvalid(
      `Cannot trust "${child.subject}": its issuer lacks keyCertSign`,
      "no_key_cert_sign",
      issuer,
    );
  }
  const pathLen = issuer.basicConstraints?.pathLenConstraint;
  if (pathLen !== undefined && belowCount > pathLen) {
    throw chainInvalid(
      `Cannot trust "${child.subject}": pathLenConstraint ${pathLen} exceeded`,
      "path_len",
      issuer,
    );
  }
  if (!await isSignedBy(child.tbsDer, child.signatureAlgorithm, child.signatureValue, issuer)) {
    throw chainInvalid(
      `Cannot trust "${child.subject}": the issuer's signature does not verify`,
      "bad_signature",
      child,
    );
  }
}

/**
 * Builds and validates a path from `leaf` through `intermediates` to one of `anchors`.
 *
 * @returns the path, leaf first, anchor last.
 * @throws {Pkcs11exError} `incomplete_chain` when no issuer is found for a cert (a missing
 * intermediate), `chain_invalid` for a broken link or an untrusted root, `cert_expired` /
 * `cert_not_yet_valid` for a cert outside its window.
 */
export async function pathValidate(
  leaf: X509Certificate,
  intermediates: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
  opts: PathValidateOptions = {},
): Promise<X509Certificate[]> {
  const maxDepth = opts.maxDepth ?? 8;
  const anchorHashes = new Set(anchors.map((a) => a.certSha256Hex));
  const path: X509Certificate[] = [leaf];
  // belowCount: non-self-issued intermediates between the current cert and the leaf.
  let belowCount = 0;
  for (let current = leaf; !anchorHashes.has(current.certSha256Hex);) {
    checkCritical(current);
    const anchor = anchors.find((a) => mayIssue(current, a));
    const parent = anchor ??
      intermediates.find((c) => mayIssue(current, c) && !path.includes(c) && c !== current);
    if (!parent) {
      if (isSelfIssued(current)) {
        throw chainInvalid(
          `Cannot trust "${current.subject}": self-signed and not a trust anchor`,
          "untrusted_root",
          current,
        );
      }
      throw new Pkcs11exError(
        "incomplete_chain",
        `Cannot find the issuer "${current.issuer}" in the chain or the trust anchors`,
        {
          detail: { issuer: current.issuer },
        },
      );
    }
    if (path.length >= maxDepth) {
      throw chainInvalid(
        `Cannot trust "${leaf.subject}": path longer than ${maxDepth}`,
        "max_depth",
        leaf,
      );
    }
    if (current !== leaf && !isSelfIssued(current)) belowCount++;
    await checkLink(current, parent, belowCount, parent === anchor);
    path.push(parent);
    current = parent;
  }
  assertValidity(path, opts);
  return path;
}
