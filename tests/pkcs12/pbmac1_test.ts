import { describe, test } from "node:test";
import { concatBytes } from "../../src/core/_bytes.ts";
import assert from "node:assert/strict";
import { createHmac, pbkdf2Sync, randomBytes } from "node:crypto";
import { Buffer } from "node:buffer";
import { PFX } from "@peculiar/asn1-pfx";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { encodeTlv } from "../../src/core/x509/der.ts";
import { PKCS12 } from "../../src/pkcs12/mod.ts";
import { rejectsWith } from "./_assert.ts";
import { exportP12, makeChain, PASSWORD } from "./_fixtures.ts";

const fx = makeChain();

const seq = (...parts: Uint8Array[]): Uint8Array => encodeTlv(0x30, concatBytes(parts));
const oid = (hexOid: string): Uint8Array =>
  encodeTlv(0x06, Uint8Array.from(Buffer.from(hexOid, "hex")));
const int = (n: number): Uint8Array => {
  const bytes = Buffer.from(n.toString(16).padStart(8, "0"), "hex");
  let i = 0;
  while (i < 3 && bytes[i] === 0 && (bytes[i + 1] & 0x80) === 0) i++;
  return encodeTlv(0x02, new Uint8Array(bytes.subarray(i)));
};
const octets = (b: Uint8Array): Uint8Array => encodeTlv(0x04, b);
const NULL = Uint8Array.from([5, 0]);

const PBMAC1 = "2a864886f70d01050e"; // 1.2.840.113549.1.5.14
const PBKDF2 = "2a864886f70d01050c"; // 1.2.840.113549.1.5.12
const HMAC_SHA256 = "2a864886f70d0209"; // 1.2.840.113549.2.9

/**
 * Replaces a bundle's MAC with PBMAC1 (RFC 9579): PBKDF2-HMAC-SHA-256 and HMAC-SHA-256 over
 * the AuthenticatedSafe, computed with node:crypto. OpenSSL 3.0 cannot write PBMAC1 yet.
 */
function withPbmac1(
  nomac: Uint8Array,
  password: string,
  keyLength = 32,
  iterations = 2048,
): Uint8Array {
  const pfx = AsnConvert.parse(nomac, PFX);
  const content = new Uint8Array(AsnConvert.parse(pfx.authSafe.content, OctetString).buffer);
  const salt = new Uint8Array(randomBytes(16));
  const key = pbkdf2Sync(password, salt, iterations, keyLength, "sha256");
  const mac = new Uint8Array(createHmac("sha256", key).update(content).digest());
  const kdf = seq(
    oid(PBKDF2),
    seq(octets(salt), int(iterations), int(keyLength), seq(oid(HMAC_SHA256), NULL)),
  );
  const alg = seq(oid(PBMAC1), seq(kdf, seq(oid(HMAC_SHA256), NULL)));
  const macData = seq(
    seq(alg, octets(mac)),
    octets(Uint8Array.from(Buffer.from("NOT USED"))),
    int(1),
  );
  return seq(int(3), new Uint8Array(AsnConvert.serialize(pfx.authSafe)), macData);
}

describe("PBMAC1 (RFC 9579)", () => {
  const nomac = exportP12(fx, ["-in", fx.rsaCert, "-inkey", fx.rsaKey, "-nomac"]).bytes;

  test("a PBMAC1-protected bundle loads with the right password only", async () => {
    const bytes = withPbmac1(nomac, PASSWORD);
    const bundle = await PKCS12.load(bytes, { password: PASSWORD });
    assert.deepEqual(bundle.leaf.der, fx.der(fx.rsaCert));
    await rejectsWith(PKCS12.load(bytes, { password: "wrong" }), "p12_password_incorrect");
  });

  test("the HMAC key length comes from the PBKDF2 parameters (20 bytes)", async () => {
    const bytes = withPbmac1(nomac, PASSWORD, 20);
    const bundle = await PKCS12.load(bytes, { password: PASSWORD });
    assert.equal(bundle.hasPrivateKey, true);
  });

  test("600 000 PBKDF2 iterations (today's advice) load, off the event loop", async () => {
    const bytes = withPbmac1(nomac, PASSWORD, 32, 600_000);
    const events: string[] = [];
    const loading = PKCS12.load(bytes, { password: PASSWORD }).then(() => events.push("loaded"));
    setTimeout(() => events.push("timer"), 0);
    await loading;
    // A derivation on this thread would hold the timer back until the load had settled.
    assert.deepEqual(events, ["timer", "loaded"]);
  });

  test("removes the fixtures", () => fx.cleanup());
});
