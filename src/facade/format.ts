/**
 * `p11.format(name)`: any registered {@linkcode Format} (the built-in `jws`, or one from
 * `config.formats`) driven through the generic two-phase flow — prepare, sign with a token
 * key, assemble; parse, then the shared verification pipeline — inside the sign/verify
 * telemetry spans with the format's name.
 *
 * @module
 */
import { Pkcs11exError } from "../core/errors.ts";
import type { Parsed } from "../core/format.ts";
import type { AnyFormat } from "../core/config/types.ts";
import type { Pkcs11ex, SignerRef } from "../core/pkcs11ex.ts";
import { type PipelineOptions, type PipelineResult, verifyPipeline } from "../policy/pipeline.ts";
import type { Policy, SignerHint } from "../policy/types.ts";
import { jwsFormat } from "../formats/jws/jws_format.ts";

/** Options of a format's `sign` through `p11.format(name)`. */
export interface FormatSignOptions {
  /** The signing key (default: key `signing` on the default slot). */
  signer?: SignerRef;
  /** The algorithm (default: the key's pinned alg, else the first compatible allowed alg). */
  alg?: string;
  /** Options passed to the format's `prepare` and `assemble`. */
  formatOptions?: unknown;
}

/** Options of a format's `verify` through `p11.format(name)`. */
export interface FormatVerifyOptions extends PipelineOptions {
  /** A per-call trust policy (default: `config.trustPolicy`). */
  trustPolicy?: Policy;
  /** Options passed to the format's `parse`. */
  formatOptions?: unknown;
}

/** A registered format, driven with token keys and the instance's trust policy. */
export interface FormatApi {
  /** The format's name. */
  readonly name: string;
  /** Prepares, signs on the token and assembles the artifact. */
  sign(input: unknown, opts?: FormatSignOptions): Promise<unknown>;
  /** Parses the artifact and runs the shared verification pipeline. */
  verify(artifact: unknown, opts?: FormatVerifyOptions): Promise<PipelineResult>;
}

/** Looks up `name` among the built-in and configured formats and wraps it. */
export function createFormatApi(p11: Pkcs11ex, name: string): FormatApi {
  const formats: Record<string, AnyFormat> = Object.assign(
    Object.create(null),
    { jws: jwsFormat as AnyFormat },
    p11.config.formats,
  );
  const format = formats[name];
  if (format === undefined) {
    throw new RangeError(
      `No format "${name}" is registered (known: ${Object.keys(formats).join(", ")})`,
    );
  }
  return {
    name,
    async sign(input, opts = {}) {
      const signer = await p11.signer(opts.signer, { alg: opts.alg, format: name });
      // The alg and certificate chain come from the token key; the caller adds the rest.
      const formatOptions = {
        alg: signer.alg,
        certificates: signer.certificates,
        ...(opts.formatOptions as object ?? {}),
      };
      const prepared = await format.prepare(input, formatOptions);
      if (prepared.alg !== signer.alg) {
        throw new Pkcs11exError(
          "incompatible_alg",
          `Format "${name}" prepared ${prepared.alg}, the key signs ${signer.alg}`,
          {
            detail: { format: name, alg: prepared.alg },
          },
        );
      }
      const signature = await signer.sign(prepared.signingInput, prepared.encodingContext);
      return await format.assemble(input, signature, prepared.context, formatOptions);
    },
    verify(artifact, opts = {}) {
      return p11.telemetry.verify({ format: name }, async (span) => {
        const { trustPolicy, formatOptions, ...pipelineOptions } = opts;
        const parsed = await format.parse(artifact, formatOptions ?? {});
        span.metadata.alg = parsed.alg;
        span.metadata.encodingContext = parsed.encodingContext;
        const result = await verifyPipeline({
          parsed: parsed as Parsed<SignerHint>,
          policy: trustPolicy ?? p11.config.trustPolicy,
          allowedAlgs: p11.config.allowedAlgs,
          algorithms: p11.algorithms,
          opts: { maxClockSkew: p11.config.maxClockSkew, ...pipelineOptions },
        });
        span.metadata.subjectId = String(result.subjectId);
        return result;
      });
    },
  };
}
