/**
 * `deno task driver-pin PATH…` (or `bun scripts/driver_pin.ts PATH…`): the SHA-256 of each
 * PKCS#11 driver file, printed as the `driverPins` entries of the pkcs11ex config
 * (`"<absolute path>": "<hex>",`), or as `{ "driverPins": { … } }` with `--json`. The loader
 * checks this hash before `dlopen`.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { parseTaskArgs } from "./_task/args.ts";
import { runTask, UsageError } from "./_task/errors.ts";
import { toJson } from "./_task/table.ts";

const USAGE = `Usage: deno task driver-pin [--json] PATH...

Prints the SHA-256 of each PKCS#11 driver file as a driverPins config entry:
  "/usr/lib/softhsm/libsofthsm2.so": "<64 hex digits>",`;

/** The SHA-256 (hex) of the regular file at `path`. */
function fileSha256(path: string): string {
  try {
    if (!statSync(path).isFile()) throw new UsageError(`${path} is not a regular file`);
    return createHash("sha256").update(readFileSync(path)).digest("hex");
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as { code?: string }).code ?? "error";
    throw new UsageError(`Cannot read the driver ${path} (${code})`);
  }
}

await runTask(() => {
  const args = parseTaskArgs({ json: { type: "boolean" } });
  if (args.values.help) return Promise.resolve(void console.log(USAGE));
  if (args.positionals.length === 0) throw new UsageError(`Missing the driver path\n${USAGE}`);
  const pins: Record<string, string> = {};
  for (const path of args.positionals) pins[resolve(path)] = fileSha256(path);
  if (args.values.json) console.log(toJson({ driverPins: pins }));
  else {for (const [path, hex] of Object.entries(pins)) {
      console.log(`${JSON.stringify(path)}: "${hex}",`);
    }}
  return Promise.resolve();
});
