/**
 * Command-line parsing for the provisioning tasks (`node:util` `parseArgs`, strict), with
 * mistakes reported as {@linkcode UsageError} and the secrets read from named variables.
 *
 * @module
 */
import process from "node:process";
import { parseArgs as nodeParseArgs } from "node:util";
import { UsageError } from "./errors.ts";

/** One option: a string value or a boolean switch. */
export interface OptionSpec {
  /** `string` takes a value, `boolean` is a switch. */
  readonly type: "string" | "boolean";
  /** A one-letter alias. */
  readonly short?: string;
  /** Whether the option may repeat (its value is then a list). */
  readonly multiple?: boolean;
}

/** The parsed command line. */
export interface ParsedArgs {
  /** Option values by name. */
  readonly values: Record<string, string | boolean | string[] | undefined>;
  /** The positional arguments. */
  readonly positionals: string[];
}

/** Parses `argv` (default: the process arguments) against `options`; `--help` is always known. */
export function parseTaskArgs(
  options: Record<string, OptionSpec>,
  argv: string[] = process.argv.slice(2),
): ParsedArgs {
  try {
    const { values, positionals } = nodeParseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedArgs["values"], positionals };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The string value of a required option. */
export function requireOption(args: ParsedArgs, name: string): string {
  const value = args.values[name];
  if (typeof value !== "string" || value === "") {
    throw new UsageError(`Missing --${name}`);
  }
  return value;
}

/** The string value of an optional option. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === "string" ? value : undefined;
}

/**
 * The UTF-8 bytes of the environment variable `name` (for `--pin-from-env NAME`). The caller
 * zeroes them after use.
 */
export function secretFromEnv(name: string, what: string): Uint8Array {
  const value = process.env[name];
  if (value === undefined) {
    throw new UsageError(`Cannot read the ${what}: the environment variable ${name} is not set`);
  }
  return new TextEncoder().encode(value);
}

/** Decodes `--id` hex (an optional `0x` prefix, even length, at most 64 bytes). */
export function parseHexId(text: string): Uint8Array {
  const hex = text.replace(/^0x/i, "");
  if (hex === "" || hex.length % 2 !== 0 || hex.length > 128 || !/^[0-9a-f]+$/i.test(hex)) {
    throw new UsageError(`--id must be hex bytes (for example 0x01 or a1b2c3d4), got "${text}"`);
  }
  return Uint8Array.from(hex.match(/../g)!, (pair) => parseInt(pair, 16));
}
