/**
 * Chain signing: a second party counter-signs a verified JWS and its payload.
 *
 * ## The outer payload
 *
 * The outer JWS is an ordinary detached JWS (same header rules as {@linkcode signJws}) whose
 * payload is this JSON object, serialized canonically (RFC 8785: members sorted by name, no
 * whitespace; every value is ASCII, so no escaping occurs) and signed as its UTF-8 bytes:
 *
 * ```json
 * {"inner":"<inner compact JWS>","payloadSha256":"<base64url SHA-256 of the payload>","typ":"pkcs11ex-chain+jws"}
 * ```
 *
 * - `typ` separates the outer payload from any other document the outer key signs.
 * - `inner` binds the exact inner JWS (its header and signature), not just its signer.
 * - `payloadSha256` binds the payload bytes themselves, so the outer signer vouches for what
 *   it saw; the inner signature binds them again, so the outer signer cannot swap the payload
 *   either (a verifier rebuilds the object from the payload it received and checks both).
 *
 * The outer payload is never transmitted: a verifier rebuilds it from the inner JWS and the
 * payload, so `verifyChainJws` needs all three.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { DocumentSigner } from "../../core/signer.ts";
import { encodeBase64url } from "./base64.ts";
import { signJws, type SignJwsOptions } from "./sign.ts";
import { verifyJws, type VerifyJwsOptions, type VerifyJwsResult } from "./verify.ts";

/** The `typ` member of the outer payload. */
export const CHAIN_TYP = "pkcs11ex-chain+jws";

const ENCODER = new TextEncoder();

function toBytes(payload: Uint8Array | string): Uint8Array {
  return typeof payload === "string" ? ENCODER.encode(payload) : payload;
}

/**
 * Builds the canonical outer payload that binds `innerJws` and `payload`.
 *
 * @example
 * ```ts
 * import { chainPayload } from "./chain.ts";
 *
 * const bytes = chainPayload("eyJhbGciOiJFUzI1NiJ9..c2ln", "hello");
 * console.log(new TextDecoder().decode(bytes));
 * // {"inner":"eyJhbGciOiJFUzI1NiJ9..c2ln","payloadSha256":"LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ","typ":"pkcs11ex-chain+jws"}
 * ```
 *
 * @param innerJws The inner detached compact JWS.
 * @param payload The payload the inner JWS signs.
 * @returns The UTF-8 bytes of the canonical JSON object.
 */
export function chainPayload(innerJws: string, payload: Uint8Array | string): Uint8Array {
  const payloadSha256 = encodeBase64url(createHash("sha256").update(toBytes(payload)).digest());
  return ENCODER.encode(JSON.stringify({ inner: innerJws, payloadSha256, typ: CHAIN_TYP }));
}

/** Options of {@linkcode chainSignJws}: how to verify the inner JWS, how to sign the outer. */
export interface ChainSignJwsOptions extends SignJwsOptions {
  /** Verification options for the inner JWS (policy, allowlist, expected subject…). */
  innerVerify: VerifyJwsOptions;
}

/** The result of {@linkcode chainSignJws}. */
export interface ChainSignJwsResult {
  /** The outer detached compact JWS. */
  readonly jws: string;
  /** The inner signer's subject. */
  readonly subjectId: unknown;
}

/**
 * Verifies `innerJws` over `payload`, then signs the outer payload of {@linkcode chainPayload}
 * as a detached JWS. An inner failure rejects before the signer is called.
 *
 * @example
 * ```ts ignore
 * const { jws: outer, subjectId } = await chainSignJws(inner, body, signer, { innerVerify });
 * ```
 *
 * @param innerJws The inner detached compact JWS.
 * @param payload The payload the inner JWS signs.
 * @param signer The outer signer.
 * @param opts Inner verification and outer signing options.
 * @returns The outer JWS and the inner signer's subject.
 */
export async function chainSignJws(
  innerJws: string,
  payload: Uint8Array | string,
  signer: DocumentSigner,
  opts: ChainSignJwsOptions,
): Promise<ChainSignJwsResult> {
  const { innerVerify, ...signOpts } = opts;
  const { subjectId } = await verifyJws(innerJws, payload, innerVerify);
  const jws = await signJws(chainPayload(innerJws, payload), signer, signOpts);
  return { jws, subjectId };
}

/** Options of {@linkcode verifyChainJws}. */
export interface VerifyChainJwsOptions extends VerifyJwsOptions {
  /** Overrides for the outer layer (e.g. another `expectedSubject`); defaults to these. */
  outer?: Partial<VerifyJwsOptions>;
}

/** The result of {@linkcode verifyChainJws}. */
export interface VerifyChainJwsResult {
  /** The inner signer's subject. */
  readonly subjectId: unknown;
  /** The inner layer's verification result. */
  readonly inner: VerifyJwsResult;
  /** The outer layer's verification result. */
  readonly outer: VerifyJwsResult;
}

/**
 * Verifies both layers of a chain signature: the outer JWS over the outer payload rebuilt
 * from `innerJws` and `payload`, and the inner JWS over `payload`.
 *
 * @example
 * ```ts ignore
 * const { subjectId, outer } = await verifyChainJws(outerJws, innerJws, body, verifyOpts);
 * ```
 *
 * @param outerJws The outer detached compact JWS.
 * @param innerJws The inner detached compact JWS.
 * @param payload The payload.
 * @param opts Verification options (applied to both layers; `outer` overrides the outer).
 * @returns The inner subject and both layers' results.
 */
export async function verifyChainJws(
  outerJws: string,
  innerJws: string,
  payload: Uint8Array | string,
  opts: VerifyChainJwsOptions,
): Promise<VerifyChainJwsResult> {
  const { outer: outerOverrides, ...innerOpts } = opts;
  const outer = await verifyJws(outerJws, chainPayload(innerJws, payload), {
    ...innerOpts,
    ...outerOverrides,
  });
  const inner = await verifyJws(innerJws, payload, innerOpts);
  return { subjectId: inner.subjectId, inner, outer };
}
