/**
 * Signs a payload as a detached JWS with a {@linkcode DocumentSigner}.
 *
 * @module
 */
import { Pkcs11exError } from "../../core/errors.ts";
import type { DocumentSigner } from "../../core/signer.ts";
import { jwsFormat } from "./jws_format.ts";

/** Options of {@linkcode signJws}. */
export interface SignJwsOptions {
  /** The algorithm; must equal `signer.alg` when given. */
  alg?: string;
  /** More protected-header parameters; `alg`, `b64`, `crit`, `x5c` are reserved. */
  extraHeaders?: Readonly<Record<string, unknown>>;
  /** Names among `extraHeaders` to list in `crit` (e.g. `http://openbanking.org.uk/iat`). */
  critical?: readonly string[];
  /** The `kid` header. */
  kid?: string;
  /** Adds `x5t#S256` (SHA-256 of the leaf certificate). */
  x5tS256?: boolean;
  /** `false` (default): RFC 7797 unencoded payload; `true`: base64url payload, no b64/crit. */
  b64?: boolean;
  /** More certificates (DER) appended to `x5c` after `signer.certificates`. */
  chain?: readonly Uint8Array[];
}

/**
 * Signs `payload` as a detached compact JWS, `"<protected>..<signature>"`.
 *
 * By default the payload is unencoded (`b64:false`, `crit:["b64"]`, RFC 7797) and `x5c`
 * carries the signer's certificates, leaf first. ES256 signatures are raw r‖s.
 *
 * @example
 * ```ts ignore
 * const jws = await signJws(body, signer, { kid: "acme-2025" });
 * await fetch(url, { method: "POST", body, headers: { "JWS-Signature": jws } });
 * ```
 *
 * @param payload The payload (a string is signed as its UTF-8 bytes).
 * @param signer Signs the signing input and supplies the certificate chain.
 * @param opts Header options.
 * @returns The detached compact JWS.
 */
export async function signJws(
  payload: Uint8Array | string,
  signer: DocumentSigner,
  opts: SignJwsOptions = {},
): Promise<string> {
  const alg = opts.alg ?? signer.alg;
  if (alg !== signer.alg) {
    throw new Pkcs11exError(
      "incompatible_alg",
      `Cannot sign the JWS: the signer uses ${signer.alg}, not ${alg}`,
      { detail: { alg, signerAlg: signer.alg } },
    );
  }
  const headerOpts = {
    alg,
    certificates: [...signer.certificates, ...(opts.chain ?? [])],
    kid: opts.kid,
    x5tS256: opts.x5tS256,
    b64: opts.b64,
    extraHeaders: opts.extraHeaders,
    critical: opts.critical,
  };
  const prepared = await jwsFormat.prepare(payload, headerOpts);
  const signature = await signer.sign(prepared.signingInput, prepared.encodingContext);
  return jwsFormat.assemble(payload, signature, prepared.context, headerOpts);
}
