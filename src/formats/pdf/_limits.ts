/**
 * Limits that keep the PDF reader bounded on hostile input, and the helper that makes its
 * `malformed_pdf` errors.
 *
 * @module
 */
import { Pkcs11exError } from "../../core/errors.ts";

/** Bounds for reading one PDF; every field has a safe default. */
export interface PdfReadLimits {
  /** Deepest nesting of arrays and dictionaries (default 64). */
  maxDepth?: number;
  /** Most tokens read from one input, over all objects (default 50 000 000). */
  maxTokens?: number;
  /** Most objects a cross-reference section may declare (default 8 000 000). */
  maxObjects?: number;
  /** Largest decoded stream, in bytes (default 256 MiB). */
  maxStreamBytes?: number;
  /** Most cross-reference sections in the `/Prev` chain (default 10 000). */
  maxSections?: number;
  /** Wall-clock budget for one input, in milliseconds (default 30 000). */
  timeLimitMs?: number;
}

/** Makes a `malformed_pdf` error whose `detail.kind` names what is wrong. */
export function malformed(
  kind: string,
  message: string,
  extra: Record<string, unknown> = {},
): Pkcs11exError {
  return new Pkcs11exError("malformed_pdf", `Cannot read the PDF: ${message}`, {
    detail: { kind, ...extra },
  });
}

/** Counts work done on one input and throws `malformed_pdf` when a limit is passed. */
export class Budget {
  /** Deepest nesting allowed. */
  readonly maxDepth: number;
  /** Most objects per cross-reference section. */
  readonly maxObjects: number;
  /** Largest decoded stream. */
  readonly maxStreamBytes: number;
  /** Most cross-reference sections. */
  readonly maxSections: number;
  readonly #maxTokens: number;
  readonly #deadline: number;
  #tokens = 0;

  /** @param limits Caller overrides of the defaults. */
  constructor(limits: PdfReadLimits = {}) {
    this.maxDepth = limits.maxDepth ?? 64;
    this.maxObjects = limits.maxObjects ?? 8_000_000;
    this.maxStreamBytes = limits.maxStreamBytes ?? 256 * 1024 * 1024;
    this.maxSections = limits.maxSections ?? 10_000;
    this.#maxTokens = limits.maxTokens ?? 50_000_000;
    this.#deadline = Date.now() + (limits.timeLimitMs ?? 30_000);
  }

  /** Accounts for `n` units of work; checks the clock every 4096 units. */
  tick(n = 1): void {
    const before = this.#tokens;
    this.#tokens += n;
    if (this.#tokens > this.#maxTokens) {
      throw malformed("too_many_tokens", "the input needs more work than the limit allows");
    }
    if ((before >>> 12) !== (this.#tokens >>> 12) && Date.now() > this.#deadline) {
      throw malformed("time_limit", "reading took longer than the time limit");
    }
  }
}
