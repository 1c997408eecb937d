/**
 * JWS as a {@linkcode Format} (api §2.2): RFC 7515 compact serialization with a detached
 * payload, unencoded by default (RFC 7797 `b64:false`), signatures in the `jose` encoding.
 *
 * @module
 */
import type { Format } from "../../core/format.ts";
import { encodeBase64url } from "./base64.ts";
import { buildHeader, type HeaderOptions } from "./header.ts";
import { type JwsSignerHint, parseDetachedJws, type ParseJwsOptions } from "./parse.ts";

/** The state `prepare` hands to `assemble`: the encoded protected header. */
export interface JwsContext {
  /** The base64url protected header segment. */
  readonly protected: string;
  /** The header object it encodes. */
  readonly header: Readonly<Record<string, unknown>>;
}

/** Options of the JWS `parse`: the payload is needed to rebuild the signed input. */
export type JwsParseOptions = ParseJwsOptions;

const ENCODER = new TextEncoder();

function toBytes(payload: Uint8Array | string): Uint8Array {
  if (typeof payload === "string") return ENCODER.encode(payload);
  if (payload instanceof Uint8Array) return payload;
  throw new TypeError("Cannot sign the JWS: the payload must be a Uint8Array or a string");
}

/** The detached-JWS format adapter; input is the payload, artifact the compact string. */
export const jwsFormat: Format<
  Uint8Array | string,
  string,
  HeaderOptions,
  JwsParseOptions,
  JwsContext,
  JwsSignerHint
> = {
  name: "jws",
  prepare(payload, opts) {
    const header = buildHeader(opts);
    const protectedSegment = encodeBase64url(JSON.stringify(header));
    const bytes = toBytes(payload);
    const payloadPart = opts.b64 === true ? ENCODER.encode(encodeBase64url(bytes)) : bytes;
    const prefix = ENCODER.encode(`${protectedSegment}.`);
    const signingInput = new Uint8Array(prefix.length + payloadPart.length);
    signingInput.set(prefix);
    signingInput.set(payloadPart, prefix.length);
    return Promise.resolve({
      signingInput,
      alg: opts.alg,
      encodingContext: "jose",
      context: { protected: protectedSegment, header },
    });
  },
  assemble(_payload, signature, context) {
    return Promise.resolve(`${context.protected}..${encodeBase64url(signature)}`);
  },
  parse(jws, opts) {
    try {
      return Promise.resolve(parseDetachedJws(jws, opts));
    } catch (err) {
      return Promise.reject(err);
    }
  },
};
