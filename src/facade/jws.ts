/**
 * `p11.jws`: detached JWS signing with token keys and verification through the instance's
 * trust policy and allowlist (api §3.2), inside the sign/verify telemetry spans.
 *
 * @module
 */
import type { Pkcs11ex, SignerRef } from "../core/pkcs11ex.ts";
import type { Policy } from "../policy/types.ts";
import { signJws, type SignJwsOptions } from "../formats/jws/sign.ts";
import { verifyJws, type VerifyJwsOptions, type VerifyJwsResult } from "../formats/jws/verify.ts";
import { chainSignJws, verifyChainJws, type VerifyChainJwsResult } from "../formats/jws/chain.ts";

/** Options of `p11.jws.sign`. */
export interface JwsSignOptions extends Omit<SignJwsOptions, "chain"> {
  /** The signing key (default: key `signing` on the default slot). */
  signer?: SignerRef;
}

/** Options of `p11.jws.verify` (the instance supplies policy, allowlist and algorithms). */
export type JwsVerifyOptions =
  & Omit<VerifyJwsOptions, "policy" | "allowedAlgs" | "algorithms">
  & {
    /** A per-call trust policy (default: `config.trustPolicy`). */
    trustPolicy?: Policy;
  };

/** Options of `p11.jws.chainSign`: how to verify the inner JWS and sign the outer one. */
export interface JwsChainSignOptions extends JwsSignOptions {
  /** Verification options for the inner JWS. */
  innerVerify?: JwsVerifyOptions;
}

/** The `p11.jws` API. */
export interface JwsApi {
  /** Signs `payload` as a detached JWS (`<protected>..<signature>`) with a token key. */
  sign(payload: Uint8Array | string, opts?: JwsSignOptions): Promise<string>;
  /** Verifies a detached JWS over `payload`; rejects with the spec's reason. */
  verify(
    jws: string,
    payload: Uint8Array | string,
    opts?: JwsVerifyOptions,
  ): Promise<VerifyJwsResult>;
  /** Verifies the inner JWS, then signs the outer one binding it and the payload. */
  chainSign(
    innerJws: string,
    payload: Uint8Array | string,
    opts?: JwsChainSignOptions,
  ): Promise<{ jws: string; subjectId: string }>;
  /** Verifies both layers of a chain-signed JWS. */
  verifyChain(
    outerJws: string,
    innerJws: string,
    payload: Uint8Array | string,
    opts?: JwsVerifyOptions,
  ): Promise<VerifyChainJwsResult>;
}

/** Builds `p11.jws` over an instance. */
export function createJwsApi(p11: Pkcs11ex): JwsApi {
  // Own properties only, into objects without a prototype: an option the caller left out is
  // never found on a polluted Object.prototype (a `trustPolicy` there would decide trust).
  const verifyOptions = (opts: JwsVerifyOptions = {}): VerifyJwsOptions => {
    const { trustPolicy, ...rest }: JwsVerifyOptions = Object.assign(Object.create(null), opts);
    return Object.assign(Object.create(null), {
      policy: trustPolicy ?? p11.config.trustPolicy,
      allowedAlgs: p11.config.allowedAlgs,
      algorithms: p11.algorithms,
      maxClockSkew: p11.config.maxClockSkew,
      ...rest,
    });
  };
  const tokenSigner = async (opts: JwsSignOptions) => {
    const signer = await p11.signer(opts.signer, { alg: opts.alg, format: "jws" });
    return signer;
  };
  return {
    async sign(payload, opts = {}) {
      const { signer: _ref, ...rest } = opts;
      return await signJws(payload, await tokenSigner(opts), rest);
    },
    verify(jws, payload, opts = {}) {
      return p11.telemetry.verify({ format: "jws", encodingContext: "jose" }, async (span) => {
        const result = await verifyJws(jws, payload, verifyOptions(opts));
        span.metadata.alg = result.alg;
        span.metadata.subjectId = result.subjectId;
        return result;
      });
    },
    chainSign(innerJws, payload, opts = {}) {
      return p11.telemetry.verify(
        { format: "jws", encodingContext: "jose", chain: true },
        async (span) => {
          const { signer: _ref, innerVerify, ...rest } = opts;
          const result = await chainSignJws(innerJws, payload, await tokenSigner(opts), {
            ...rest,
            innerVerify: verifyOptions(innerVerify),
          });
          span.metadata.signerSubjectId = String(result.subjectId);
          return { jws: result.jws, subjectId: String(result.subjectId) };
        },
      );
    },
    verifyChain(outerJws, innerJws, payload, opts = {}) {
      return p11.telemetry.verify(
        { format: "jws", encodingContext: "jose", chain: true },
        async (span) => {
          const result = await verifyChainJws(outerJws, innerJws, payload, verifyOptions(opts));
          span.metadata.subjectId = String(result.subjectId);
          return result;
        },
      );
    },
  };
}
