import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { CKC, CKO } from "../../src/ffi/constants.ts";
import { makeTestToken, SOFTHSM_DRIVER } from "../_support/softhsm.ts";
import { makeTempDir } from "../_support/tmp.ts";
import { runTaskScript, writeConfig } from "./_task.ts";

const token = await makeTestToken([
  { label: "rsa-key", type: "rsa" },
  { label: "ec-key", type: "ec" },
], "list");
const work = makeTempDir("pkcs11ex-list-");
const config = writeConfig(work.dir, "platform", token.label);

interface JsonObject {
  class: string;
  label: string;
  id: string;
  keyType?: string;
  keySize?: number;
  curve?: string;
  subject?: string;
  notAfter?: string;
}
interface JsonSlot {
  slot: { slotId: string; flagNames: string[] };
  token: { label: string; flagNames: string[] } | null;
  mechanisms: { name: string; minKeySize: number; maxKeySize: number; flagNames: string[] }[];
  loggedIn: boolean;
  loginError?: string;
  objects: JsonObject[] | null;
}
interface JsonReport {
  drivers: { driver: string; info: { manufacturerId: string }; slots: JsonSlot[] }[];
}

function listJson(args: string[], env: Record<string, string> = {}): JsonReport {
  const res = runTaskScript("list_slots", ["--json", ...args], env);
  assert.equal(res.status, 0, res.stderr);
  return JSON.parse(res.stdout) as JsonReport;
}

function ourSlot(report: JsonReport): JsonSlot {
  const slot = report.drivers[0].slots.find((s) => s.token?.label === token.label);
  assert.ok(slot, `the token ${token.label} is listed`);
  return slot;
}

describe("list-slots task", () => {
  test("--json lists every slot of the configured driver with token, mechanisms and public objects", () => {
    const report = listJson(["--config", config]);
    assert.equal(report.drivers.length, 1);
    assert.equal(report.drivers[0].driver, SOFTHSM_DRIVER);
    assert.equal(report.drivers[0].info.manufacturerId, "SoftHSM");
    assert.ok(report.drivers[0].slots.some((s) => s.token?.label === ""), "the free slot too");
    const slot = ourSlot(report);
    // Slot ids are per process (SoftHSM renumbers initialized tokens): only their form is checked.
    assert.match(slot.slot.slotId, /^\d+$/);
    assert.ok(slot.token!.flagNames.includes("CKF_TOKEN_INITIALIZED"));
    const pkcs = slot.mechanisms.find((m) => m.name === "CKM_SHA256_RSA_PKCS");
    assert.ok(pkcs && pkcs.minKeySize > 0 && pkcs.maxKeySize >= 4096);
    assert.ok(pkcs.flagNames.includes("CKF_SIGN"));
    assert.equal(slot.loggedIn, false);
    const classes = slot.objects!.map((o) => `${o.class}:${o.label}`).sort();
    assert.deepEqual(classes, [
      "CKO_CERTIFICATE:ec-key",
      "CKO_CERTIFICATE:rsa-key",
      "CKO_PUBLIC_KEY:ec-key",
      "CKO_PUBLIC_KEY:rsa-key",
    ]);
  });

  test("with a PIN it lists the private keys with type, size, curve, id; certs with subject and expiry", () => {
    const report = listJson([
      "--driver",
      SOFTHSM_DRIVER,
      "--token",
      token.label,
      "--pin-from-env",
      "PIN",
    ], {
      PIN: token.userPin,
    });
    assert.equal(report.drivers[0].slots.length, 1);
    const slot = ourSlot(report);
    assert.equal(slot.loggedIn, true);
    const find = (cls: string, label: string) =>
      slot.objects!.find((o) => o.class === cls && o.label === label)!;
    const rsa = find("CKO_PRIVATE_KEY", "rsa-key");
    assert.equal(rsa.keyType, "CKK_RSA");
    assert.equal(rsa.keySize, 2048);
    assert.equal(rsa.id, Buffer.from(token.keys["rsa-key"].id).toString("hex"));
    const ec = find("CKO_PRIVATE_KEY", "ec-key");
    assert.equal(ec.keyType, "CKK_EC");
    assert.equal(ec.curve, "P-256");
    const cert = find("CKO_CERTIFICATE", "rsa-key");
    assert.match(cert.subject!, /CN=rsa-key/);
    assert.ok(new Date(cert.notAfter!).getTime() > Date.now());
  });

  test("a wrong PIN is reported on the token's entry, not echoed", () => {
    const report = listJson(["--config", config, "--slot", "platform", "--pin-from-env", "PIN"], {
      PIN: "wrong-pin-000",
    });
    const slot = ourSlot(report);
    assert.equal(slot.loggedIn, false);
    assert.match(slot.loginError!, /pin_incorrect/);
    assert.ok(!JSON.stringify(report).includes("wrong-pin-000"));
  });

  test("the text report aligns its tables and says the flags in words", () => {
    const res = runTaskScript("list_slots", [
      "--config",
      config,
      "--slot",
      "platform",
      "--pin-from-env",
      "PIN",
    ], {
      PIN: token.userPin,
    });
    assert.equal(res.status, 0, res.stderr);
    const lines = res.stdout.split("\n");
    assert.match(res.stdout, new RegExp(`Token "${token.label}"`));
    assert.match(res.stdout, /flags: rng, login required, user pin initialized/);
    assert.match(res.stdout, /Objects \(6, logged in\)/);
    const header = lines.findIndex((l) =>
      /^\s+class\s+label\s+id\s+key\s+subject\s+expires$/.test(l)
    );
    assert.ok(header > 0, res.stdout);
    const column = (line: string, name: string) => line.indexOf(name);
    const keyRow = lines.slice(header + 1).find((l) =>
      l.includes("private key") && l.includes("rsa-key")
    )!;
    assert.match(keyRow, /RSA 2048/);
    assert.equal(column(keyRow, "RSA 2048"), column(lines[header], "key"), "columns line up");
    const mechHeader = lines.find((l) => /^\s+name\s+key sizes\s+flags$/.test(l))!;
    const mechRow = lines.find((l) => l.trim().startsWith("CKM_SHA256_RSA_PKCS "))!;
    assert.equal(mechRow.search(/\s\d+-\d+\s/) + 1, column(mechHeader, "key sizes"));
    assert.match(mechRow, /sign, verify/);
  });

  test("usage failures: a PIN without naming the token, an unknown token, no config", () => {
    const broad = runTaskScript("list_slots", ["--config", config, "--pin-from-env", "PIN"], {
      PIN: "x",
    });
    assert.equal(broad.status, 2);
    assert.match(broad.stderr, /name it with --slot REF or --token LABEL/);
    const none = runTaskScript("list_slots", [
      "--driver",
      SOFTHSM_DRIVER,
      "--token",
      "no-such-token",
    ]);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /slot_not_found/);
    const noConfig = runTaskScript("list_slots", ["--config", `${work.dir}/absent.ts`]);
    assert.equal(noConfig.status, 2);
    assert.match(noConfig.stderr, /Cannot find the config module/);
  });

  test("the config is validated like Pkcs11ex.start: a wrong driver pin or a missing driver is refused", () => {
    const bad = `${work.dir}/bad_pin.config.ts`;
    writeFileSync(
      bad,
      readFileSync(config, "utf8").replace(
        "export default {",
        `export default {\n  driverPins: { ${JSON.stringify(SOFTHSM_DRIVER)}: "${
          "0".repeat(64)
        }" },`,
      ),
    );
    const pinned = runTaskScript("list_slots", ["--config", bad]);
    assert.equal(pinned.status, 1);
    assert.match(
      pinned.stderr,
      /slots\.platform\.driver: SHA-256 of .* driverPins expects 0{64} \(invalid_config\)/,
    );

    const missing = `${work.dir}/missing_driver.config.ts`;
    writeFileSync(
      missing,
      readFileSync(config, "utf8").replace(SOFTHSM_DRIVER, "/no/such/driver.so"),
    );
    const res = runTaskScript("list_slots", ["--config", missing]);
    assert.equal(res.status, 1);
    assert.match(res.stderr, /slots\.platform\.driver: not found on disk/);
  });

  test("objects it cannot read as certificates are listed as such, not a crash", () => {
    const session = token.openUserSession();
    try {
      for (
        const [label, value] of [
          ["junk-cert", Uint8Array.of(0x30, 0x82, 0xff, 0xff, 0x01)],
          ["empty-cert", new Uint8Array(1)],
        ] as const
      ) {
        session.createObject({
          CKA_CLASS: CKO.CKO_CERTIFICATE,
          CKA_CERTIFICATE_TYPE: CKC.CKC_X_509,
          CKA_TOKEN: true,
          CKA_LABEL: label,
          CKA_SUBJECT: Uint8Array.of(0x30, 0x00),
          CKA_VALUE: value,
        });
      }
    } finally {
      session.close();
    }
    const report = listJson(["--config", config, "--slot", "platform"]);
    const junk = ourSlot(report).objects!.filter((o) => o.label.endsWith("-cert"));
    assert.deepEqual(junk.map((o) => o.subject), [
      "(not a readable X.509 certificate)",
      "(not a readable X.509 certificate)",
    ]);
  });

  test("removes the fixtures", () => work.cleanup());
});
