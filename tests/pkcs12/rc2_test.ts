import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { rc2CbcDecrypt } from "../../src/pkcs12/_rc2.ts";
import { runOk } from "../_support/run.ts";

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));

describe("RC2-CBC decryption", () => {
  test("RFC 2268 §5 test vectors (one block, zero IV)", () => {
    const vectors: [string, number, string, string][] = [
      ["0000000000000000", 63, "0000000000000000", "ebb773f993278eff"],
      ["ffffffffffffffff", 64, "ffffffffffffffff", "278b27e42e2f0d49"],
      ["3000000000000000", 64, "1000000000000001", "30649edf9be7d2c2"],
      ["88", 64, "0000000000000000", "61a8a244adacccf0"],
      ["88bca90e90875a", 64, "0000000000000000", "6ccf4308974c267f"],
      ["88bca90e90875a7f0f79c384627bafb2", 64, "0000000000000000", "1a807d272bbe5db1"],
      ["88bca90e90875a7f0f79c384627bafb2", 128, "0000000000000000", "2269552ab0f85ca6"],
    ];
    for (const [key, bits, plain, cipher] of vectors) {
      assert.deepEqual(rc2CbcDecrypt(hex(key), bits, new Uint8Array(8), hex(cipher)), hex(plain));
    }
  });

  for (const [name, keyLength, bits] of [["rc2-40-cbc", 5, 40], ["rc2-cbc", 16, 128]] as const) {
    test(`agrees with openssl enc -${name}`, () => {
      const key = new Uint8Array(randomBytes(keyLength));
      const iv = new Uint8Array(randomBytes(8));
      const plain = new Uint8Array(randomBytes(8 * 37));
      const enc = runOk("openssl", [
        "enc",
        `-${name}`,
        "-provider",
        "legacy",
        "-provider",
        "default",
        "-nopad",
        "-K",
        Buffer.from(key).toString("hex"),
        "-iv",
        Buffer.from(iv).toString("hex"),
      ], { input: plain }).stdoutBytes;
      assert.deepEqual(rc2CbcDecrypt(key, bits, iv, enc), plain);
    });
  }

  test("refuses partial blocks and bad keys", () => {
    assert.throws(() => rc2CbcDecrypt(new Uint8Array(5), 40, new Uint8Array(8), new Uint8Array(9)));
    assert.throws(() => rc2CbcDecrypt(new Uint8Array(0), 40, new Uint8Array(8), new Uint8Array(8)));
  });
});
