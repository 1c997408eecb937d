import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { CKO } from "../../src/ffi/constants.ts";
import { makeTempDir } from "../_support/tmp.ts";
import { makeImportFixture } from "./_import_fixture.ts";
import { runTaskScript, writeConfig } from "./_task.ts";

const fixture = await makeImportFixture("refuse");
const { config, importTask, keysLabelled, rsa, token, withSession, work } = fixture;

describe("import-p12 task refusals", () => {
  test("refuses an existing label without --replace, and replaces it with --replace", () => {
    const first = importTask(rsa, ["--label", "rsa-signing", "--cert-label", "rsa-cert"]);
    assert.equal(first.status, 0, first.stderr);
    const again = importTask(rsa, ["--label", "rsa-signing", "--cert-label", "rsa-cert"]);
    assert.equal(again.status, 2);
    assert.match(again.stderr, /already holds objects with these labels.*--replace/);
    withSession((session) => assert.equal(keysLabelled(session, "rsa-signing").length, 1));

    const replaced = importTask(rsa, [
      "--label",
      "rsa-signing",
      "--cert-label",
      "rsa-cert",
      "--id",
      "ff",
      "--replace",
    ]);
    assert.equal(replaced.status, 0, replaced.stderr);
    assert.match(replaced.stdout, /Replaced 3 existing object/);
    withSession((session) => {
      const keys = keysLabelled(session, "rsa-signing");
      assert.equal(keys.length, 1);
      assert.deepEqual(session.getAttributes(keys[0], ["CKA_ID"]).CKA_ID, Uint8Array.of(0xff));
      const certs = session.findObjects({ CKA_CLASS: CKO.CKO_CERTIFICATE, CKA_LABEL: "rsa-cert" });
      assert.equal(certs.length, 1);
    });
  });

  test("refuses an id that belongs to objects with another label", () => {
    const res = importTask(rsa, ["--label", "other-key", "--id", "ff"]);
    assert.equal(res.status, 2);
    assert.match(
      res.stderr,
      /CKA_ID ff already belongs to objects labelled "rsa-signing", "rsa-cert"/,
    );
    withSession((session) => assert.equal(keysLabelled(session, "other-key").length, 0));
  });

  test("a wrong bundle password fails with p12_password_incorrect and prints no secret", () => {
    const res = importTask({ p12: rsa.p12, password: "not-the-password" }, ["--label", "x1"]);
    assert.equal(res.status, 1);
    assert.match(res.stderr, /bundle password is incorrect \(p12_password_incorrect\)/);
    assert.ok(!(res.stdout + res.stderr).includes("not-the-password"));
  });

  test("a wrong PIN fails with pin_incorrect, prints no secret and creates nothing", () => {
    const res = importTask(rsa, ["--label", "x2"], "wrong-pin-9876");
    assert.equal(res.status, 1);
    assert.match(res.stderr, /user PIN is incorrect \(pin_incorrect\)/);
    assert.ok(!(res.stdout + res.stderr).includes("wrong-pin-9876"));
    assert.ok(!(res.stdout + res.stderr).includes(rsa.password));
    withSession((session) => assert.equal(keysLabelled(session, "x2").length, 0));
  });

  test("usage failures: unknown slot, missing bundle, missing option, bad id, no TTY to prompt", () => {
    const unknown = importTask(rsa, ["--label", "x3", "--slot", "nope"]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /No slot "nope" in the config \(configured: legal_proxy\)/);

    const missing = importTask({ p12: join(work.dir, "absent.p12"), password: "x" }, [
      "--label",
      "x4",
    ]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /Cannot find the bundle/);

    const noLabel = importTask(rsa, []);
    assert.equal(noLabel.status, 2);
    assert.match(noLabel.stderr, /Missing --label/);

    const badId = importTask(rsa, ["--label", "x5", "--id", "0xabc"]);
    assert.equal(badId.status, 2);
    assert.match(badId.stderr, /--id must be hex bytes/);

    const noTty = runTaskScript("import_p12", [
      "--config",
      config,
      "--in",
      rsa.p12,
      "--slot",
      "legal_proxy",
      "--label",
      "x6",
    ]);
    assert.equal(noTty.status, 2);
    assert.match(noTty.stderr, /stdin is not a terminal \(use --password-from-env NAME\)/);
  });

  test("a token whose slot the config names but that does not exist fails with slot_not_found", () => {
    const otherDir = makeTempDir("pkcs11ex-import-cfg-");
    const other = writeConfig(otherDir.dir, "gone", "no-such-token");
    let res;
    try {
      res = runTaskScript("import_p12", [
        "--config",
        other,
        "--in",
        rsa.p12,
        "--slot",
        "gone",
        "--label",
        "x7",
        "--password-from-env",
        "P12_PASSWORD",
        "--pin-from-env",
        "TOKEN_PIN",
      ], { P12_PASSWORD: rsa.password, TOKEN_PIN: token.userPin });
    } finally {
      otherDir.cleanup();
    }
    assert.equal(res.status, 1);
    assert.match(res.stderr, /No token labelled "no-such-token".*\(slot_not_found\)/);
  });

  test("removes the fixtures", () => work.cleanup());
});
