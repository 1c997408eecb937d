/**
 * The pkcs11ex demo (`npm run demo`): makes a throw-away SoftHSM2 token, generates an
 * RSA-2048 and a P-256 key on it (each with a self-signed certificate signed on the
 * token), lists slots, tokens, mechanisms and keys, signs a message with each key through
 * the FFI binding, and verifies each signature in software (WebCrypto) and with openssl.
 *
 * Run with Deno: `deno run -A scripts/demo.ts`. SOFTHSM2_CONF is pointed at a temporary
 * directory unless it is already set; the system token directory is never touched.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { BUILTIN_ALGORITHMS } from "../src/core/algorithms/registry.ts";
import { parseCertificate } from "../src/core/x509.ts";
import { MechanismCache, signOnToken } from "../src/core/token_sign.ts";
import { verifyBytes } from "../src/core/verify_bytes.ts";
import { CKM, CKO } from "../src/ffi/constants.ts";
import { Pkcs11Module } from "../src/ffi/module.ts";
import { SOFTHSM_DRIVER, writeSoftHsmConfig } from "./softhsm/config.ts";
import { createToken, provisionKey } from "./softhsm/provision.ts";

const work = mkdtempSync(join(tmpdir(), "pkcs11ex-demo-"));
if (!process.env.SOFTHSM2_CONF) {
  if ((globalThis as { Bun?: unknown }).Bun !== undefined) {
    console.error(
      "On Bun, set SOFTHSM2_CONF before starting (Bun does not pass env changes to C).",
    );
    process.exit(2);
  }
  process.env.SOFTHSM2_CONF = writeSoftHsmConfig(work);
}
const say = (line = "") => console.log(line);

try {
  say(`SoftHSM2 config: ${process.env.SOFTHSM2_CONF} (throw-away)`);
  const module = await Pkcs11Module.load(SOFTHSM_DRIVER);
  const info = module.info();
  say(
    `Loaded ${SOFTHSM_DRIVER}: ${info.manufacturerId} ${info.libraryVersion.major}.${info.libraryVersion.minor}, ` +
      `Cryptoki ${info.cryptokiVersion.major}.${info.cryptokiVersion.minor}`,
  );

  const pin = "demo-user-pin";
  const slot = createToken(module, { label: "pkcs11ex-demo", soPin: "demo-so-pin", userPin: pin });
  say(`Initialized token "pkcs11ex-demo" in slot ${slot}`);

  const session = module.openSession(slot);
  session.login(new TextEncoder().encode(pin));
  const rsa = provisionKey(session, { label: "demo-rsa", type: "rsa", bits: 2048 });
  const ec = provisionKey(session, { label: "demo-p256", type: "ec" });
  say(
    "Generated on the token: RSA-2048 'demo-rsa' and P-256 'demo-p256', each with a self-signed certificate",
  );

  say("\nSlots and tokens:");
  for (const id of module.slots(true)) {
    const t = module.tokenInfo(id);
    say(
      `  slot ${id}: "${t.label || "(uninitialized)"}" ${t.model} serial ${
        t.serialNumber || "-"
      } [${t.flagNames.join(" ")}]`,
    );
  }
  say("\nSigning mechanisms of the token:");
  for (const m of module.mechanisms(slot).map((type) => module.mechanismInfo(slot, type))) {
    if (m.flagNames.includes("CKF_SIGN")) {
      say(`  ${m.name} (${m.minKeySize}..${m.maxKeySize} bits)`);
    }
  }
  say("\nObjects on the token:");
  for (const handle of session.findObjects({})) {
    const a = session.getAttributes(handle, ["CKA_CLASS", "CKA_LABEL", "CKA_ID"]);
    const cls = Object.entries(CKO).find(([, v]) => BigInt(v) === a.CKA_CLASS)?.[0] ?? "?";
    const id = Array.from(a.CKA_ID as Uint8Array ?? []).map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    say(`  ${cls.padEnd(16)} label=${a.CKA_LABEL} id=${id}`);
  }

  const message = new TextEncoder().encode(
    "pkcs11ex demo: this message was signed inside SoftHSM2\n",
  );
  writeFileSync(join(work, "message.txt"), message);
  const mechanisms = new MechanismCache(session);
  say("\nSignatures:");
  for (const [key, algName] of [[rsa, "PS256"], [rsa, "RS256"], [ec, "ES256"]] as const) {
    const alg = BUILTIN_ALGORITHMS[algName];
    const privateKey = session.findOne({ CKA_CLASS: CKO.CKO_PRIVATE_KEY, CKA_LABEL: key.label });
    const signature = signOnToken(session, mechanisms, privateKey, {
      alg,
      data: message,
      precomputedDigest: false,
      context: "der",
    });
    const cert = parseCertificate(key.certificateDer);
    await verifyBytes(message, signature, cert, { alg: algName, encodingContext: "der" });
    const certPath = join(work, `${key.label}.der`);
    const sigPath = join(work, `${key.label}-${algName}.sig`);
    writeFileSync(certPath, key.certificateDer);
    writeFileSync(sigPath, signature);
    const pub = spawnSync("openssl", [
      "x509",
      "-inform",
      "DER",
      "-in",
      certPath,
      "-pubkey",
      "-noout",
    ], { encoding: "utf8" });
    writeFileSync(join(work, "pub.pem"), pub.stdout);
    const pss = algName === "PS256"
      ? ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]
      : [];
    const openssl = spawnSync("openssl", [
      "dgst",
      "-sha256",
      "-verify",
      join(work, "pub.pem"),
      "-signature",
      sigPath,
      ...pss,
      join(work, "message.txt"),
    ], { encoding: "utf8" });
    const mech = alg.signPlan(false).mechanism.mechanism;
    say(
      `  ${algName} with ${key.label} via ${mech} (0x${
        (CKM as Record<string, number>)[mech].toString(16)
      }): ` +
        `${signature.length}-byte signature; WebCrypto: valid; openssl: ${
          openssl.stdout.trim() || openssl.stderr.trim()
        }`,
    );
  }
  session.logout();
  session.close();
  module.finalize();
  say("\nDone: keys never left the token; every signature was checked outside the token.");
} finally {
  rmSync(work, { recursive: true, force: true });
}
