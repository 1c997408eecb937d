/**
 * XAdES B-T against a real RFC 3161 TSA on loopback (`openssl ts -reply`): the
 * SignatureTimeStamp covers the exc-c14n SignatureValue, `openssl ts -verify` accepts the
 * embedded token, xmlsec1 still accepts the document, and every `bt_failed` kind of the TSA
 * exchange is reached through signXml.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Buffer } from "node:buffer";
import { isPkcs11exError } from "../../../src/core/errors.ts";
import { signXml } from "../../../src/formats/xml/sign.ts";
import { verifyXml } from "../../../src/formats/xml/verify.ts";
import { run } from "../../_support/run.ts";
import { makeSelfSigned, softwareSigner } from "../../_support/software_keys.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import { startTsaServer, type TsaMode } from "../../_support/tsa_server.ts";
import { trusted, xadesjsVerify, xmlsecVerify } from "./_support.ts";

const DOC = '<inv:Invoice xmlns:inv="urn:example:invoice"><inv:Total>10</inv:Total></inv:Invoice>';
const { dir, cleanup } = makeTempDir("xml-bt-");
const tsa = await startTsaServer(dir, { slowMs: 2000 });
const id = makeSelfSigned(dir, "rsa", { name: "xml-bt" });
const signer = softwareSigner(id, "PS256");

function token(text: string): string {
  return /<xades:EncapsulatedTimeStamp>([^<]+)</.exec(text)![1];
}

/** The exc-c14n of our SignatureValue, written out by hand from the document text. */
function canonicalSignatureValue(text: string): string {
  const el = /<ds:SignatureValue [^>]*>[^<]*<\/ds:SignatureValue>/.exec(text)![0];
  return el.replace(
    "<ds:SignatureValue ",
    '<ds:SignatureValue xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ',
  );
}

async function btFails(mode: TsaMode, kind: string, url = tsa.url, timeoutMs?: number) {
  tsa.setMode(mode);
  try {
    await assert.rejects(
      signXml(DOC, signer, { tsaUrl: url, tsaTimeoutMs: timeoutMs }),
      (e: unknown) => {
        assert.ok(isPkcs11exError(e, "bt_failed"), String(e));
        assert.equal(e.detail.kind, kind, e.message);
        return true;
      },
    );
  } finally {
    tsa.setMode("normal");
  }
}

describe("XAdES B-T with a real TSA", () => {
  test("signXml time-stamps the SignatureValue; openssl, xmlsec1, xadesjs and verifyXml agree", async () => {
    const signed = await signXml(DOC, signer, { tsaUrl: tsa.url });
    assert.match(
      signed,
      /<xades:SignatureTimeStamp Id="ts-id-[0-9a-f]+"><ds:CanonicalizationMethod Algorithm="http:\/\/www.w3.org\/2001\/10\/xml-exc-c14n#"\/><xades:EncapsulatedTimeStamp>/,
    );
    const dataPath = join(dir, "sigvalue.c14n");
    writeFileSync(dataPath, canonicalSignatureValue(signed));
    const tokenPath = join(dir, "xml-token.der");
    writeFileSync(tokenPath, Buffer.from(token(signed), "base64"));
    const res = run("openssl", [
      "ts",
      "-verify",
      "-data",
      dataPath,
      "-in",
      tokenPath,
      "-token_in",
      "-CAfile",
      tsa.caCertPath,
    ]);
    assert.match(res.stdout, /Verification: OK/, res.stderr);
    assert.equal(await xadesjsVerify(signed), true);
    const ok = await verifyXml(signed, trusted("any"));
    assert.equal(ok.timestamps.length, 1);
    assert.deepEqual(
      ok.timestamps[0].tokenDer,
      new Uint8Array(Buffer.from(token(signed), "base64")),
    );
    assert.ok(Math.abs(ok.timestamps[0].genTime.getTime() - Date.now()) < 60_000);
    assert.match(ok.timestamps[0].tsaCertificate.subject, /pkcs11ex Test TSA/);
    // An RS256 twin is also accepted by xmlsec1 (1.2.37 lacks the PS256 URI).
    const rs = await signXml(DOC, softwareSigner(id, "RS256"), { tsaUrl: tsa.url });
    assert.equal(xmlsecVerify(dir, rs, id.certPath).status, 0);
  });

  test("verifyXml refuses a token moved from another signature, or broken", async () => {
    const a = await signXml(DOC, signer, { tsaUrl: tsa.url });
    const b = await signXml(DOC, signer, { tsaUrl: tsa.url });
    const swapped = a.replace(token(a), token(b));
    await assert.rejects(
      verifyXml(swapped, trusted("any")),
      (e: unknown) => isPkcs11exError(e, "bt_failed") && e.detail.kind === "imprint_mismatch",
    );
    const broken = a.replace(token(a), token(a).slice(0, 40) + "AAAA" + token(a).slice(44));
    await assert.rejects(
      verifyXml(broken, trusted("any")),
      (e: unknown) => isPkcs11exError(e, "bt_failed"),
    );
  });

  test("every bt_failed kind of the exchange, through signXml", async () => {
    await btFails("normal", "tsa_http", "http://127.0.0.1:1/tsa");
    await btFails("slow", "tsa_http", tsa.url, 200);
    await btFails("http500", "tsa_http_status");
    await btFails("reject", "tsa_status");
    await btFails("no_token", "missing_time_stamp_token");
    await btFails("garbage", "malformed_tsa_response");
    await btFails("wrong_imprint", "imprint_mismatch");
    await btFails("wrong_nonce", "nonce_mismatch");
    await btFails("bad_signature", "tsa_signature_invalid");
  });

  test("cleanup", async () => {
    await tsa.close();
    cleanup();
  });
});
