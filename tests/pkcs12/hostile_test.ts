import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { ContentInfo } from "@peculiar/asn1-cms";
import { AuthenticatedSafe, PFX, SafeBag, SafeContents } from "@peculiar/asn1-pfx";
import { PKCS12 } from "../../src/pkcs12/mod.ts";
import { MAX_BUNDLE_BYTES } from "../../src/pkcs12/_source.ts";
import { rejectsWith } from "./_assert.ts";
import { caFile, exportP12, makeChain, PASSWORD } from "./_fixtures.ts";

const fx = makeChain();
const rsa = ["-in", fx.rsaCert, "-inkey", fx.rsaKey, "-certfile", caFile(fx)];
const ID_DATA = "1.2.840.113549.1.7.1";

function wrapPfx(safe: AuthenticatedSafe): Uint8Array {
  const content = AsnConvert.serialize(new OctetString(AsnConvert.serialize(safe)));
  const pfx = new PFX({ version: 3, authSafe: new ContentInfo({ contentType: ID_DATA, content }) });
  // deno-lint-ignore no-explicit-any
  (pfx as any).macData = undefined;
  return new Uint8Array(AsnConvert.serialize(pfx));
}

describe("PKCS12.load on hostile input", () => {
  const bundles = {
    default: exportP12(fx, rsa).bytes,
    legacy: exportP12(fx, [...rsa, "-legacy"]).bytes,
  };

  for (const [name, bytes] of Object.entries(bundles)) {
    test(`${name}: every truncation is refused`, async () => {
      for (let len = 0; len < bytes.length; len += Math.max(1, Math.floor(bytes.length / 97))) {
        await rejectsWith(
          PKCS12.load(bytes.subarray(0, len), { password: PASSWORD }),
          "p12_invalid",
          "p12_password_incorrect",
        );
      }
    });

    test(`${name}: a bit flip is refused or changes nothing the MAC covers`, async () => {
      const good = await PKCS12.load(bytes, { password: PASSWORD });
      const ders = (b: typeof good): Uint8Array[] => [b.leaf.der, ...b.chain.map((c) => c.der)];
      let refused = 0;
      for (let pos = 0; pos < bytes.length; pos += 13) {
        const flipped = bytes.slice();
        flipped[pos] ^= 1 << (pos % 8);
        try {
          // Lenient BER framing (a length or tag-class bit) may still decode to the same
          // content; the MAC guarantees it is the same content.
          const same = await PKCS12.load(flipped, { password: PASSWORD });
          assert.deepEqual(ders(same), ders(good));
        } catch (err) {
          assert.match(String((err as { reason?: string }).reason), /^p12_/, String(err));
          refused++;
        }
      }
      assert.ok(refused > bytes.length / 13 - 10, `only ${refused} flips refused`);
    });
  }

  test("bit flips in a bundle without MAC never crash", async () => {
    const bytes = exportP12(fx, [...rsa, "-nomac"]).bytes;
    for (let pos = 0; pos < bytes.length; pos += 41) {
      const flipped = bytes.slice();
      flipped[pos] ^= 0x10;
      try {
        await PKCS12.load(flipped, { password: PASSWORD });
      } catch (err) {
        assert.match(String((err as { reason?: string }).reason), /^p12_/);
      }
    }
  });

  test("garbage, empty and oversized input are p12_invalid", async () => {
    const inputs = [
      new Uint8Array(0),
      new TextEncoder().encode("hello, not a bundle"),
      new Uint8Array(randomBytes(4096)),
      fx.der(fx.rsaCert),
      new Uint8Array([0x30, 0x80, 0x02, 0x01, 0x03, 0x00, 0x00]),
      new Uint8Array(Array.from({ length: 200_000 }, (_, i) => (i % 2 ? 0x80 : 0x30))),
      new Uint8Array(8 * 1024 * 1024).fill(0x30),
    ];
    for (const input of inputs) {
      await rejectsWith(PKCS12.load(input, { password: PASSWORD }), "p12_invalid");
    }
    const huge = new Uint8Array(MAX_BUNDLE_BYTES + 1);
    const detail = await rejectsWith(PKCS12.load(huge), "p12_invalid");
    assert.equal(detail.kind, "too_large");
  });

  test("paths that are missing, empty, a directory or too large are p12_invalid", async () => {
    const missing = await rejectsWith(PKCS12.load(join(fx.dir, "nope.p12")), "p12_invalid");
    assert.equal(missing.kind, "unreadable");
    const empty = join(fx.dir, "empty.p12");
    writeFileSync(empty, new Uint8Array(0));
    assert.equal((await rejectsWith(PKCS12.load(empty), "p12_invalid")).kind, "empty");
    const dir = join(fx.dir, "a-dir.p12");
    mkdirSync(dir);
    assert.equal((await rejectsWith(PKCS12.load(dir), "p12_invalid")).kind, "unreadable");
    const big = join(fx.dir, "big.p12");
    writeFileSync(big, new Uint8Array(MAX_BUNDLE_BYTES + 1));
    assert.equal((await rejectsWith(PKCS12.load(big), "p12_invalid")).kind, "too_large");
  });

  test("a MAC iteration count of 2^31-1 is refused at once, not computed", async () => {
    const pfx = AsnConvert.parse(bundles.legacy, PFX);
    pfx.macData.iterations = 2 ** 31 - 1;
    const bytes = new Uint8Array(AsnConvert.serialize(pfx));
    const start = performance.now();
    const detail = await rejectsWith(PKCS12.load(bytes, { password: PASSWORD }), "p12_invalid");
    assert.equal(detail.kind, "kdf_work_limit");
    assert.ok(performance.now() - start < 2000);
  });

  test("300 000 legacy MAC iterations exceed the work limit before any is computed", async () => {
    // The PKCS#12 KDF runs in JavaScript: each iteration counts 8 (2.4 M of the 2 M allowed).
    const pfx = AsnConvert.parse(bundles.legacy, PFX);
    pfx.macData.iterations = 300_000;
    const bytes = new Uint8Array(AsnConvert.serialize(pfx));
    const detail = await rejectsWith(PKCS12.load(bytes, { password: PASSWORD }), "p12_invalid");
    assert.equal(detail.kind, "kdf_work_limit");
  });

  test("SafeContents nested too deeply are refused", async () => {
    let contents = new SafeContents([]);
    for (let i = 0; i < 12; i++) {
      const bag = new SafeBag({
        bagId: "1.2.840.113549.1.12.10.1.6",
        bagValue: AsnConvert.serialize(contents),
      });
      contents = new SafeContents([bag]);
    }
    const content = AsnConvert.serialize(new OctetString(AsnConvert.serialize(contents)));
    const safe = new AuthenticatedSafe([new ContentInfo({ contentType: ID_DATA, content })]);
    const detail = await rejectsWith(PKCS12.load(wrapPfx(safe)), "p12_invalid");
    assert.equal(detail.kind, "too_deep");
  });

  test("a bundle without certificates is p12_invalid", async () => {
    const content = AsnConvert.serialize(new OctetString(AsnConvert.serialize(new SafeContents())));
    const safe = new AuthenticatedSafe([new ContentInfo({ contentType: ID_DATA, content })]);
    assert.equal(
      (await rejectsWith(PKCS12.load(wrapPfx(safe)), "p12_invalid")).kind,
      "no_certificate",
    );
  });

  test("bad argument types are TypeError / RangeError", async () => {
    // deno-lint-ignore no-explicit-any
    const load = PKCS12.load as (...args: any[]) => Promise<unknown>;
    await assert.rejects(load(42), TypeError);
    await assert.rejects(load(new ArrayBuffer(8)), TypeError);
    await assert.rejects(load(bundles.default, { password: 1234 }), TypeError);
    await assert.rejects(load(bundles.default, { maxChain: 0 }), RangeError);
    await assert.rejects(load(bundles.default, { maxChain: 1.5 }), RangeError);
  });

  test("removes the fixtures", () => fx.cleanup());
});
