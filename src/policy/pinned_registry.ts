/**
 * PinnedRegistry (api §2.3, the default policy): SPKI pinning. The allowlist is a map from
 * the SHA-256 of a signer's SubjectPublicKeyInfo to its subject id; no chain, no CA, no
 * revocation protocol. Off-boarding is `delete`.
 *
 * @module
 */
import { Pkcs11exError } from "../core/errors.ts";
import type { X509Certificate } from "../core/x509.ts";
import { type CertificateInput, toCertificates } from "./_certificate_input.ts";
import {
  assertSameCertificate,
  assertThumbprint,
  hintCertificates,
  hintThumbprintHex,
  unknownSigner,
} from "./_hint.ts";
import type { Policy, Resolved, SignerHint } from "./types.ts";

/** Options of {@linkcode PinnedRegistry}. */
export interface PinnedRegistryOptions {
  /** `{ spkiSha256Hex: subjectId }`. */
  pins?: Readonly<Record<string, string>>;
  /** Certificates the verifier holds, for `x5t#S256` lookups. */
  certificates?: readonly CertificateInput[];
  /** `{ kid: certificate }`: the only way a bare `kid` resolves. */
  kids?: Readonly<Record<string, CertificateInput>>;
}

function normalizePin(hex: string): string {
  if (typeof hex !== "string" || !/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new RangeError(
      `A pin must be 64 hex characters (SPKI SHA-256), got "${String(hex).slice(0, 80)}"`,
    );
  }
  return hex.toLowerCase();
}

/**
 * The SPKI-pinning trust policy.
 *
 * @example
 * ```ts ignore
 * const policy = new PinnedRegistry({ pins: { [cert.spkiSha256Hex]: "acme_corp" } });
 * policy.delete(cert.spkiSha256Hex); // off-boarding
 * ```
 */
export class PinnedRegistry implements Policy {
  #pins = new Map<string, string>();
  #byThumbprint = new Map<string, X509Certificate>();
  #byKid = new Map<string, X509Certificate>();

  /**
   * Makes a registry from pins, stored certificates and kid mappings.
   *
   * @param opts pins, stored certificates and kid mappings.
   */
  constructor(opts: PinnedRegistryOptions = {}) {
    for (const [hex, id] of Object.entries(opts.pins ?? {})) this.put(hex, id);
    for (const cert of toCertificates(opts.certificates ?? [])) {
      this.#byThumbprint.set(cert.certSha256Hex, cert);
    }
    for (const [kid, input] of Object.entries(opts.kids ?? {})) {
      const [cert] = toCertificates([input]);
      this.#byKid.set(kid, cert);
      this.#byThumbprint.set(cert.certSha256Hex, cert);
    }
  }

  /** Pins (or re-pins) an SPKI SHA-256 to a subject id. */
  put(spkiSha256Hex: string, subjectId: string): void {
    if (typeof subjectId !== "string" || subjectId === "") {
      throw new TypeError("subjectId must be a non-empty string");
    }
    this.#pins.set(normalizePin(spkiSha256Hex), subjectId);
  }

  /** Removes a pin; returns whether it existed. */
  delete(spkiSha256Hex: string): boolean {
    return this.#pins.delete(normalizePin(spkiSha256Hex));
  }

  /** The subject pinned to `spkiSha256Hex`, if any. */
  get(spkiSha256Hex: string): string | undefined {
    return this.#pins.get(spkiSha256Hex.toLowerCase());
  }

  /** Resolves x5c leaf first, then `x5t#S256`, then `kid`; disagreeing hints are `hint_mismatch`. */
  resolve(hint: SignerHint): Resolved {
    const [leaf, ...chain] = hintCertificates(hint ?? {});
    const thumb = hintThumbprintHex(hint ?? {});
    if (leaf) assertThumbprint(leaf, thumb, "x5c and x5t#S256");
    const byThumb = thumb === undefined ? undefined : this.#byThumbprint.get(thumb);
    const byKid = hint?.kid === undefined ? undefined : this.#byKid.get(hint.kid);
    const candidate = leaf ?? byThumb ?? byKid;
    if (candidate && byKid) assertSameCertificate(candidate, byKid, "kid and x5c/x5t#S256");
    if (candidate) assertThumbprint(candidate, thumb, "x5t#S256 and kid");
    if (!candidate) {
      unknownSigner("Cannot resolve the signer: no hint names a certificate this registry knows");
    }
    if (!this.#pins.has(candidate.spkiSha256Hex)) {
      unknownSigner("Cannot resolve the signer: its key is not pinned");
    }
    return { certificate: candidate, chain };
  }

  /** Returns the pinned subject id; `untrusted_signer` if the pin was removed meanwhile. */
  validate(certificate: X509Certificate): string {
    const id = this.#pins.get(certificate.spkiSha256Hex);
    if (id === undefined) {
      throw new Pkcs11exError("untrusted_signer", "Cannot trust the signer: its key is not pinned");
    }
    return id;
  }
}
