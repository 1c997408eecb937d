/**
 * Secret prompts on a terminal with echo off: stdin goes to raw mode, each typed byte is
 * kept in a buffer the caller zeroes, Backspace deletes a character, Ctrl-U clears the
 * line, Enter ends, Ctrl-C / Ctrl-D cancel. Nothing typed is ever written back.
 *
 * @module
 */
import process from "node:process";
import { UsageError } from "./errors.ts";

const ENTER = new Set([0x0a, 0x0d]);
const BACKSPACE = new Set([0x08, 0x7f]);
const CANCEL = new Set([0x03, 0x04]);
const CLEAR_LINE = 0x15;

/** The terminal-ish streams a prompter uses (the process's stdin and stderr by default). */
export interface PromptStreams {
  /** The input: must be a TTY with `setRawMode`. */
  readonly input: NodeJS.ReadStream;
  /** Where the questions go. */
  readonly output: NodeJS.WritableStream;
}

/** A growing byte buffer whose old storage is zeroed whenever it grows. */
class SecretBuffer {
  #bytes = new Uint8Array(64);
  #length = 0;

  push(byte: number): void {
    if (this.#length === this.#bytes.length) {
      const bigger = new Uint8Array(this.#bytes.length * 2);
      bigger.set(this.#bytes);
      this.#bytes.fill(0);
      this.#bytes = bigger;
    }
    this.#bytes[this.#length++] = byte;
  }

  /** Removes the last UTF-8 character. */
  deleteLast(): void {
    while (this.#length > 0) {
      const byte = this.#bytes[--this.#length];
      this.#bytes[this.#length] = 0;
      if ((byte & 0xc0) !== 0x80) return;
    }
  }

  clear(): void {
    this.#bytes.fill(0);
    this.#length = 0;
  }

  /** A copy of the content; the buffer itself is zeroed. */
  take(): Uint8Array {
    const out = this.#bytes.slice(0, this.#length);
    this.clear();
    return out;
  }
}

/**
 * Asks for secrets on a terminal. Bytes typed ahead (several answers in one burst) are kept
 * for the next question and zeroed by {@linkcode SecretPrompter.close}.
 *
 * @example
 * ```ts ignore
 * using prompter = new SecretPrompter();
 * const pin = await prompter.ask("User PIN: ");
 * try { session.login(pin); } finally { pin.fill(0); }
 * ```
 */
export class SecretPrompter {
  readonly #streams: PromptStreams;
  #ahead: number[] = [];
  #raw = false;

  /** Uses the process's stdin and stderr unless other streams are given. */
  constructor(streams: PromptStreams = { input: process.stdin, output: process.stderr }) {
    this.#streams = streams;
  }

  /** Whether prompting is possible (stdin is a terminal). */
  get interactive(): boolean {
    return this.#streams.input.isTTY === true;
  }

  /**
   * Writes `question`, reads one line with echo off, and returns its UTF-8 bytes (the
   * caller zeroes them).
   *
   * @param question The prompt, e.g. `User PIN: `.
   * @param hint The flag to name when stdin is not a terminal, e.g. `--pin-from-env NAME`.
   * @throws {UsageError} when stdin is not a terminal, or the user cancels (Ctrl-C, Ctrl-D).
   */
  ask(question: string, hint: string): Promise<Uint8Array> {
    const { input, output } = this.#streams;
    if (!this.interactive) {
      const what = question.replace(/:\s*$/, "");
      const name = what.charAt(0).toLowerCase() + what.slice(1);
      throw new UsageError(`Cannot prompt for the ${name}: stdin is not a terminal (use ${hint})`);
    }
    if (!this.#raw) {
      input.setRawMode(true);
      this.#raw = true;
    }
    output.write(question);
    const line = new SecretBuffer();
    return new Promise<Uint8Array>((resolve, reject) => {
      const finish = (result: Uint8Array | Error): void => {
        input.off("data", onData);
        input.pause();
        output.write("\n");
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      // Returns true once the line ended; the bytes after it wait for the next question.
      const feed = (bytes: ArrayLike<number>, start: number): boolean => {
        for (let i = start; i < bytes.length; i++) {
          const byte = bytes[i];
          if (ENTER.has(byte)) {
            for (let j = i + 1; j < bytes.length; j++) this.#ahead.push(bytes[j]);
            finish(line.take());
            return true;
          }
          if (CANCEL.has(byte)) {
            line.clear();
            finish(new UsageError("Cancelled at the prompt"));
            return true;
          }
          if (BACKSPACE.has(byte)) line.deleteLast();
          else if (byte === CLEAR_LINE) line.clear();
          else if (byte >= 0x20) line.push(byte);
        }
        return false;
      };
      const onData = (chunk: Uint8Array | string): void => {
        const bytes = typeof chunk === "string" ? new TextEncoder().encode(chunk) : chunk;
        try {
          feed(bytes, 0);
        } finally {
          bytes.fill(0);
        }
      };
      const ahead = this.#ahead;
      this.#ahead = [];
      const done = feed(ahead, 0);
      ahead.fill(0);
      if (!done) {
        input.on("data", onData);
        input.resume();
      }
    });
  }

  /** Restores the terminal mode and zeroes any typed-ahead bytes. */
  close(): void {
    this.#ahead.fill(0);
    this.#ahead = [];
    if (this.#raw) {
      this.#streams.input.setRawMode(false);
      this.#raw = false;
    }
    this.#streams.input.pause();
  }

  /** Closes the prompter at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.close();
  }
}
