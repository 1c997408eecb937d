import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PKCS12 } from "../../src/pkcs12/mod.ts";
import { runOk } from "../_support/run.ts";
import { caFile, exportP12, makeChain, PASSWORD } from "./_fixtures.ts";
import { reshape } from "./_reshape.ts";

const fx = makeChain();
const cas = caFile(fx);
const CERT_BAG = "1.2.840.113549.1.12.10.1.3";

describe("PKCS12.load picks the key's certificate as the leaf", () => {
  const plain = exportP12(fx, [
    "-in",
    fx.rsaCert,
    "-inkey",
    fx.rsaKey,
    "-certfile",
    cas,
    "-keypbe",
    "NONE",
    "-certpbe",
    "NONE",
    "-nomac",
  ]).bytes;

  for (const dropAttributes of [false, true]) {
    const how = dropAttributes ? "by public key (no localKeyId)" : "by localKeyId";
    test(`when the certificates come first and the leaf last, ${how}`, async () => {
      // Key bag last, certificates reversed: root, intermediate, leaf.
      const bytes = reshape(plain, (bags) => {
        const certs = bags.filter((b) => b.bagId === CERT_BAG).reverse();
        return [...certs, ...bags.filter((b) => b.bagId !== CERT_BAG)];
      }, dropAttributes);
      // openssl reads the reshaped bundle and finds the same key and certificates.
      const path = join(fx.dir, `reshaped-${dropAttributes}.p12`);
      writeFileSync(path, bytes);
      const pem = runOk("openssl", [
        "pkcs12",
        "-in",
        path,
        "-passin",
        `pass:${PASSWORD}`,
        "-nodes",
      ]).stdout;
      assert.equal(pem.match(/BEGIN CERTIFICATE/g)?.length, 3);
      assert.match(pem, /BEGIN PRIVATE KEY/);

      const bundle = await PKCS12.load(bytes, { password: PASSWORD });
      assert.deepEqual(bundle.leaf.der, fx.der(fx.rsaCert));
      assert.deepEqual(bundle.chain.map((c) => c.der), [fx.der(fx.intCert), fx.der(fx.rootCert)]);
      assert.equal(bundle.friendlyName, undefined);
    });
  }

  test("a key whose certificate is missing is p12_invalid", async () => {
    const bytes = reshape(
      plain,
      (bags) => bags.filter((b, i) => b.bagId !== CERT_BAG || i > 0),
      true,
    );
    await assert.rejects(
      PKCS12.load(bytes, { password: PASSWORD }),
      (err: { reason?: string; detail?: { kind?: string } }) =>
        err.reason === "p12_invalid" && err.detail?.kind === "no_key_certificate",
    );
  });

  test("removes the fixtures", () => fx.cleanup());
});
