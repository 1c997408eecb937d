/**
 * Detached JWS (RFC 7515 / RFC 7797): sign, verify, chain-sign, and the format adapter.
 *
 * @module
 */
export { signJws, type SignJwsOptions } from "./sign.ts";
export {
  type CriticalHeaderContext,
  type CriticalHeaderValidator,
  verifyJws,
  type VerifyJwsOptions,
  type VerifyJwsResult,
  type VerifyPipeline,
} from "./verify.ts";
export {
  CHAIN_TYP,
  chainPayload,
  chainSignJws,
  type ChainSignJwsOptions,
  type ChainSignJwsResult,
  verifyChainJws,
  type VerifyChainJwsOptions,
  type VerifyChainJwsResult,
} from "./chain.ts";
export { type JwsContext, jwsFormat, type JwsParseOptions } from "./jws_format.ts";
export { type JwsSignerHint, type ParsedJws, type PayloadMode } from "./parse.ts";
export { type HeaderOptions, RESERVED_HEADERS } from "./header.ts";
export type { Format, Parsed, Prepared } from "../../core/format.ts";
export type { DocumentSigner, EncodingContext } from "../../core/signer.ts";
