/**
 * The format seam (api §2.2): a format adapter turns an application input into the bytes to
 * sign (`prepare`), wraps a signature into the signed artifact (`assemble`), and reads a signed
 * artifact back into what the shared verification pipeline needs (`parse`).
 *
 * Formats call only the Layer-2 primitives (a {@linkcode DocumentSigner}, `verifyBytes`,
 * `digest`); they never touch PKCS#11. JWS is the first implementation
 * (`src/formats/jws/jws_format.ts`); PDF and XML follow the same shape.
 *
 * @module
 */
import type { EncodingContext } from "./signer.ts";

/** What {@linkcode Format.prepare} returns: the to-be-signed bytes and how to sign them. */
export interface Prepared<Context = unknown> {
  /** The bytes the signer signs (not a digest: the signer hashes as the algorithm requires). */
  readonly signingInput: Uint8Array;
  /** The JOSE name of the signature algorithm (`PS256`, `ES256`, …). */
  readonly alg: string;
  /** The signature encoding the format needs (`jose` for JWS, `der` for CMS and XML-DSig). */
  readonly encodingContext: EncodingContext;
  /** Opaque state handed back to {@linkcode Format.assemble}. */
  readonly context: Context;
}

/** What {@linkcode Format.parse} returns: everything the verification pipeline needs. */
export interface Parsed<Hint = unknown> {
  /** The exact bytes the signature covers. */
  readonly signedInput: Uint8Array;
  /** The signature value, in {@linkcode Parsed.encodingContext}. */
  readonly signature: Uint8Array;
  /** The JOSE name of the claimed signature algorithm, verbatim from the envelope. */
  readonly alg: string;
  /** The encoding of {@linkcode Parsed.signature}. */
  readonly encodingContext: EncodingContext;
  /** The untrusted identity hint (JWS `x5c`/`kid`/`x5t#S256`, CMS SignerIdentifier, …). */
  readonly signerHint: Hint;
}

/**
 * A document or transport format adapter (api §2.2).
 *
 * @typeParam Input The application input (a payload, a PDF, an XML document).
 * @typeParam Artifact The signed output (a compact JWS string, signed PDF bytes, …).
 * @typeParam PrepareOptions Options of `prepare` and `assemble`.
 * @typeParam ParseOptions Options of `parse`.
 * @typeParam Context The opaque state `prepare` hands to `assemble`.
 * @typeParam Hint The shape of the signer hint `parse` returns.
 */
export interface Format<
  Input,
  Artifact,
  PrepareOptions = Record<string, never>,
  ParseOptions = Record<string, never>,
  Context = unknown,
  Hint = unknown,
> {
  /** The format's name (`jws`, `pdf`, `xml`, or a custom one). */
  readonly name: string;
  /** Builds the to-be-signed bytes from the input. */
  prepare(input: Input, opts: PrepareOptions): Promise<Prepared<Context>>;
  /** Assembles the signed artifact from the input, the signature and the prepared context. */
  assemble(
    input: Input,
    signature: Uint8Array,
    context: Context,
    opts: PrepareOptions,
  ): Promise<Artifact>;
  /** Reads a signed artifact; rejects with `malformed_<format>` on a bad envelope. */
  parse(artifact: Artifact, opts: ParseOptions): Promise<Parsed<Hint>>;
}
