/**
 * `deno task list-slots` (or `bun scripts/list_slots.ts`): every slot of each configured
 * driver, or of `--driver PATH`: slot and token information with flags in words, the
 * mechanisms with key sizes, and the keys and certificates on each token (private objects
 * too after a login). An aligned text report, or `--json`.
 *
 * @module
 */
import { Pkcs11exError } from "../src/core/errors.ts";
import { Pkcs11Module } from "../src/ffi/module.ts";
import { parseTaskArgs, secretFromEnv, stringOption } from "./_task/args.ts";
import { DEFAULT_CONFIG_PATH, loadConfig, slotRefs, slotTarget } from "./_task/config.ts";
import { runTask, UsageError } from "./_task/errors.ts";
import { type DriverReport, inventory } from "./_task/inventory.ts";
import { SecretPrompter } from "./_task/prompt.ts";
import { renderDriver } from "./_task/render_slots.ts";
import { toJson } from "./_task/table.ts";

const USAGE = `Usage: deno task list-slots [options]

Lists every slot of each driver in the config (or of --driver PATH): slot and token
information, mechanisms with key sizes, and the keys and certificates on each token.

Options:
  --config PATH         the pkcs11ex config module (default: ${DEFAULT_CONFIG_PATH})
  --driver PATH         a PKCS#11 module to list instead of the config's (repeatable)
  --slot REF            only the token of this configured slot
  --token LABEL         only the token with this label
  --login               prompt for the user PIN (echo off) to list private keys too
  --pin-from-env NAME   read the user PIN from $NAME (implies a login)
  --json                print JSON instead of text
  -h, --help            show this help

A PIN is tried only on one token: name it with --slot or --token.`;

interface DriverTarget {
  driver: string;
  sha256: string | undefined;
  reserved: string | undefined;
  match: Partial<{ tokenLabel: string; slotId: bigint }>;
}

async function targets(
  values: Record<string, unknown>,
  tokenLabel: string | undefined,
): Promise<DriverTarget[]> {
  const drivers = (values.driver as string[] | undefined) ?? [];
  const slotRef = values.slot as string | undefined;
  if (drivers.length > 0) {
    if (slotRef !== undefined) {
      throw new UsageError("--slot names a configured slot: drop --driver");
    }
    return drivers.map((driver) => ({
      driver,
      sha256: undefined,
      reserved: undefined,
      match: { tokenLabel },
    }));
  }
  const config = await loadConfig((values.config as string | undefined) ?? DEFAULT_CONFIG_PATH);
  if (slotRef !== undefined) {
    const { driver, sha256, reserved, slotMatch } = slotTarget(config, slotRef);
    return [{ driver, sha256, reserved, match: slotMatch }];
  }
  const byDriver = new Map<string, DriverTarget>();
  for (const ref of slotRefs(config)) {
    const { driver, sha256, reserved } = slotTarget(config, ref);
    if (!byDriver.has(driver)) {
      byDriver.set(driver, { driver, sha256, reserved, match: { tokenLabel } });
    }
  }
  if (byDriver.size === 0) throw new UsageError("The config has no slots: pass --driver PATH");
  return [...byDriver.values()];
}

await runTask(async () => {
  const args = parseTaskArgs({
    config: { type: "string" },
    driver: { type: "string", multiple: true },
    slot: { type: "string" },
    token: { type: "string" },
    login: { type: "boolean" },
    "pin-from-env": { type: "string" },
    json: { type: "boolean" },
  });
  if (args.values.help) return void console.log(USAGE);
  if (args.positionals.length > 0) {
    throw new UsageError(`Unexpected argument "${args.positionals[0]}" (see --help)`);
  }
  const tokenLabel = stringOption(args, "token");
  const pinEnv = stringOption(args, "pin-from-env");
  const wantsPin = pinEnv !== undefined || args.values.login === true;
  if (wantsPin && tokenLabel === undefined && args.values.slot === undefined) {
    throw new UsageError(
      "A PIN is tried on one token only: name it with --slot REF or --token LABEL",
    );
  }
  const list = await targets(args.values, tokenLabel);
  using prompter = new SecretPrompter();
  const pin = pinEnv !== undefined
    ? secretFromEnv(pinEnv, "user PIN")
    : wantsPin
    ? await prompter.ask("User PIN: ", "--pin-from-env NAME")
    : undefined;
  const reports: DriverReport[] = [];
  try {
    for (const target of list) {
      const { driver, sha256, reserved } = target;
      const module = await Pkcs11Module.load(driver, { sha256, reserved });
      reports.push(inventory(module, { ...target.match, pin }));
    }
  } finally {
    pin?.fill(0);
  }
  const narrowed = tokenLabel !== undefined || args.values.slot !== undefined;
  if (narrowed && reports.every((r) => r.slots.length === 0)) {
    throw new Pkcs11exError("slot_not_found", "No slot matches the --slot / --token given", {
      detail: { tokenLabel },
    });
  }
  if (args.values.json) console.log(toJson({ drivers: reports }));
  else console.log(reports.flatMap(renderDriver).join("\n"));
});
