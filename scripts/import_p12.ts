/**
 * `deno task import-p12` (or `bun scripts/import_p12.ts`): imports the key and certificate
 * of a PKCS#12 bundle into a configured, write-permitted slot (api §5.1). For SoftHSM
 * provisioning, file-backed tokens and test fixtures; production HSMs refuse imported keys.
 *
 * The bundle password and the user PIN are prompted for with echo off, or read from the
 * variables named by `--password-from-env` / `--pin-from-env` (for ephemeral CI runners
 * only). Their bytes, and the key bytes, are zeroed after use; nothing secret is printed.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { readPrivateKeyForImport } from "../src/pkcs12/_private_key.ts";
import {
  parseHexId,
  parseTaskArgs,
  requireOption,
  secretFromEnv,
  stringOption,
} from "./_task/args.ts";
import { DEFAULT_CONFIG_PATH, loadConfig, slotTarget } from "./_task/config.ts";
import { runTask, UsageError } from "./_task/errors.ts";
import { importKeyAndCertificates } from "./_task/import_objects.ts";
import { SecretPrompter } from "./_task/prompt.ts";
import { openSlot } from "./_task/slot.ts";
import { formatTable } from "./_task/table.ts";

const USAGE = `Usage: deno task import-p12 --in BUNDLE.p12 --slot REF --label LABEL [options]

Imports the private key, its public key and certificate (same CKA_ID) of a PKCS#12 bundle
into the configured slot REF. The key is stored sensitive and non-extractable.

Options:
  --in PATH                 the .p12 / .pfx bundle (required)
  --slot REF                a slot reference of the config (required)
  --label LABEL             CKA_LABEL of the key pair (required)
  --cert-label LABEL        CKA_LABEL of the certificate (default: --label)
  --id HEX                  CKA_ID of every object (default: 8 random bytes)
  --config PATH             the pkcs11ex config module (default: ${DEFAULT_CONFIG_PATH})
  --with-chain              also store the bundle's CA certificates (<cert-label>-ca1, …)
  --replace                 overwrite objects that already carry these labels
  --password-from-env NAME  read the bundle password from $NAME instead of prompting
  --pin-from-env NAME       read the user PIN from $NAME instead of prompting
  -h, --help                show this help`;

await runTask(async () => {
  const args = parseTaskArgs({
    in: { type: "string" },
    slot: { type: "string" },
    label: { type: "string" },
    "cert-label": { type: "string" },
    id: { type: "string" },
    config: { type: "string" },
    "with-chain": { type: "boolean" },
    replace: { type: "boolean" },
    "password-from-env": { type: "string" },
    "pin-from-env": { type: "string" },
  });
  if (args.values.help) return void console.log(USAGE);
  if (args.positionals.length > 0) {
    throw new UsageError(`Unexpected argument "${args.positionals[0]}" (see --help)`);
  }
  const inPath = requireOption(args, "in");
  const slotRef = requireOption(args, "slot");
  const label = requireOption(args, "label");
  const certLabel = stringOption(args, "cert-label") ?? label;
  const idText = stringOption(args, "id");
  const id = idText === undefined ? new Uint8Array(randomBytes(8)) : parseHexId(idText);
  const passwordEnv = stringOption(args, "password-from-env");
  const pinEnv = stringOption(args, "pin-from-env");
  if (!existsSync(inPath)) throw new UsageError(`Cannot find the bundle ${inPath} (--in)`);
  const target = slotTarget(
    await loadConfig(stringOption(args, "config") ?? DEFAULT_CONFIG_PATH),
    slotRef,
  );

  using prompter = new SecretPrompter();
  const password = passwordEnv !== undefined
    ? secretFromEnv(passwordEnv, "bundle password")
    : await prompter.ask("Bundle password: ", "--password-from-env NAME");
  let key;
  try {
    key = await readPrivateKeyForImport(inPath, { password });
  } finally {
    password.fill(0);
  }
  try {
    const { module, slotId } = await openSlot(target);
    const token = module.tokenInfo(slotId);
    using session = module.openSession(slotId);
    const pin = pinEnv !== undefined
      ? secretFromEnv(pinEnv, "user PIN")
      : await prompter.ask(`User PIN of token "${token.label}": `, "--pin-from-env NAME");
    session.login(pin); // zeroes the PIN bytes, whatever the outcome
    const result = importKeyAndCertificates(session, key, {
      label,
      certLabel,
      id,
      replace: args.values.replace === true,
      withChain: args.values["with-chain"] === true,
    });
    console.log(`Imported into slot "${slotRef}" (token "${token.label}", slot ${slotId}):`);
    const rows = result.created.map((o) => [o.kind, o.label, o.idHex, o.description]);
    for (const line of formatTable(["object", "label", "id", "details"], rows, "  ")) {
      console.log(line);
    }
    if (result.replaced > 0) console.log(`Replaced ${result.replaced} existing object(s).`);
  } finally {
    key.dispose();
  }
});
