/**
 * PAdES B-T through signPdf against a real RFC 3161 TSA on loopback (`openssl ts -reply`):
 * openssl accepts the embedded token over the signature value, pdfsig still reports a
 * valid signature, verifyPdfWithPolicy checks the token (and the TSA with `tsaPolicy`), and
 * every `bt_failed` kind of the TSA exchange is reached through signPdf.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { isPkcs11exError } from "../../../src/core/errors.ts";
import { parseCertificate } from "../../../src/core/x509.ts";
import { parseSignedData } from "../../../src/formats/cms/mod.ts";
import { inspectPdfSignatures } from "../../../src/formats/pdf/inspect.ts";
import { signPdf } from "../../../src/formats/pdf/sign.ts";
import { verifyPdfWithPolicy } from "../../../src/formats/pdf/verify_policy.ts";
import { requestTimestamp } from "../../../src/formats/tsp/mod.ts";
import { PinnedRegistry } from "../../../src/policy/pinned_registry.ts";
import { run } from "../../_support/run.ts";
import { makeSelfSigned, softwareSigner } from "../../_support/software_keys.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import { startTsaServer, type TsaMode } from "../../_support/tsa_server.ts";
import { makePdf, pdfsig, qpdfCheck } from "./_helpers.ts";

const { dir, cleanup } = makeTempDir("pdf-bt-");
const tsa = await startTsaServer(dir, { slowMs: 2000 });
const id = makeSelfSigned(dir, "rsa", { name: "bt", subject: "/CN=BT Signer/O=pkcs11ex tests" });
const signer = softwareSigner(id, "PS256");
const pinnedSigner = new PinnedRegistry({
  pins: { [parseCertificate(id.certDer).spkiSha256Hex]: "bt-signer" },
});
const tsaPolicy = new PinnedRegistry({
  pins: { [parseCertificate(tsa.tsaCertPem).spkiSha256Hex]: "test-tsa" },
});
const base = await makePdf({ text: "time-stamped" });
tsa.setMode("normal");
const signed = await signPdf(base, signer, { tsaUrl: tsa.url, tsaTimeoutMs: 10_000 });

describe("signPdf B-T against a local openssl TSA", () => {
  test("openssl ts -verify accepts the embedded token over the signature value", () => {
    const [sig] = inspectPdfSignatures(signed).signatures;
    const cms = parseSignedData(sig.contentsDer!);
    const token = cms.signerInfo.timeStampToken;
    assert.ok(token, "a signature-time-stamp unsigned attribute");
    const digest = createHash("sha256").update(cms.signerInfo.signature).digest("hex");
    const tokenPath = join(dir, "sig-token.der");
    writeFileSync(tokenPath, token);
    const res = run("openssl", [
      "ts",
      "-verify",
      "-digest",
      digest,
      "-in",
      tokenPath,
      "-token_in",
      "-CAfile",
      tsa.caCertPath,
    ]);
    assert.match(res.stdout, /Verification: OK/, res.stderr);
    const other = createHash("sha256").update("something else").digest("hex");
    const bad = run("openssl", [
      "ts",
      "-verify",
      "-digest",
      other,
      "-in",
      tokenPath,
      "-token_in",
      "-CAfile",
      tsa.caCertPath,
    ]);
    assert.doesNotMatch(bad.stdout, /Verification: OK/);
  });

  test("pdfsig reports the signature valid and the document intact; qpdf --check passes", () => {
    const v = pdfsig(dir, signed, "bt.pdf");
    assert.equal(v.signatures.length, 1, v.text);
    assert.ok(v.signatures[0].valid, v.text);
    assert.equal(v.signatures[0].commonName, "BT Signer", v.text);
    assert.equal(qpdfCheck(dir, signed, "bt-q.pdf").status, 0);
  });

  test("verifyPdfWithPolicy: the token is checked; tsaPolicy moves the validation time", async () => {
    const opts = { policy: pinnedSigner, allowedAlgs: ["PS256"] };
    const plain = await verifyPdfWithPolicy(signed, opts);
    const [a] = plain.signatures;
    assert.ok(a.ok && a.result.timestamp);
    assert.equal(a.result.timestamp.trusted, false);
    assert.ok(Math.abs(a.result.timestamp.genTime.getTime() - Date.now()) < 120_000);
    assert.notEqual(a.result.validationTime, a.result.timestamp.genTime);

    await assert.rejects(
      verifyPdfWithPolicy(signed, { ...opts, tsaPolicy }),
      (e) => isPkcs11exError(e, "bt_failed") && e.detail.tsaReason === "disallowed_alg",
    );
    const trusted = await verifyPdfWithPolicy(signed, {
      ...opts,
      tsaPolicy,
      tsaAllowedAlgs: ["RS256"],
    });
    const [b] = trusted.signatures;
    assert.ok(b.ok && b.result.timestamp);
    assert.equal(b.result.timestamp.trusted, true);
    assert.equal(b.result.timestamp.tsaSubjectId, "test-tsa");
    assert.equal(b.result.validationTime.getTime(), b.result.timestamp.genTime.getTime());
    assert.match(b.result.timestamp.tsaCertificate.subject, /pkcs11ex Test TSA/);

    const otherTsa = new PinnedRegistry({ pins: { ["ab".repeat(32)]: "nobody" } });
    await assert.rejects(
      verifyPdfWithPolicy(signed, { ...opts, tsaPolicy: otherTsa, tsaAllowedAlgs: ["RS256"] }),
      (e) => {
        assert.ok(isPkcs11exError(e, "bt_failed"), String(e));
        assert.equal(e.detail.kind, "tsa_untrusted");
        assert.equal(e.detail.tsaReason, "unknown_signer");
        return true;
      },
    );
  });

  test("verify-side B-T refusals: a token over other data, a broken token, garbage", async () => {
    const opts = { policy: pinnedSigner, allowedAlgs: ["PS256"] };
    const otherDigest = new Uint8Array(createHash("sha256").update("other data").digest());
    const other = (await requestTimestamp({ tsaUrl: tsa.url, digest: otherDigest })).tokenDer;
    const broken = other.slice();
    broken[broken.length - 1] ^= 0x01;
    const garbage = new Uint8Array(64).fill(0x41);
    const cases: [Uint8Array, string][] = [
      [other, "imprint_mismatch"],
      [broken, "tsa_signature_invalid"],
      [garbage, "malformed_tsa_response"],
    ];
    for (const [token, kind] of cases) {
      let stamped: Uint8Array;
      try {
        stamped = await signPdf(base, signer, {
          tsaUrl: "unused",
          timeStamper: () => Promise.resolve(token),
        });
      } catch (e) {
        // Bytes that are not DER at all cannot even be embedded.
        assert.ok(isPkcs11exError(e, "bt_failed"), String(e));
        assert.equal(e.detail.kind, kind);
        continue;
      }
      for (const extra of [{}, { tsaPolicy, tsaAllowedAlgs: ["RS256"] }]) {
        await assert.rejects(verifyPdfWithPolicy(stamped, { ...opts, ...extra }), (e) => {
          assert.ok(isPkcs11exError(e, "bt_failed"), String(e));
          assert.equal(e.detail.kind, kind, e.message);
          return true;
        });
      }
    }
  });

  const failures: [TsaMode, string][] = [
    ["reject", "tsa_status"],
    ["http500", "tsa_http_status"],
    ["garbage", "malformed_tsa_response"],
    ["no_token", "missing_time_stamp_token"],
    ["wrong_imprint", "imprint_mismatch"],
    ["wrong_nonce", "nonce_mismatch"],
    ["bad_signature", "tsa_signature_invalid"],
    ["slow", "tsa_http"],
  ];
  for (const [mode, kind] of failures) {
    test(`TSA mode ${mode} → bt_failed ${kind}, no signed PDF`, async () => {
      tsa.setMode(mode);
      try {
        await assert.rejects(
          signPdf(base, signer, { tsaUrl: tsa.url, tsaTimeoutMs: mode === "slow" ? 300 : 10_000 }),
          (e) => {
            assert.ok(isPkcs11exError(e, "bt_failed"), String(e));
            assert.equal(e.detail.kind, kind, e.message);
            return true;
          },
        );
      } finally {
        tsa.setMode("normal");
      }
    });
  }

  test("close the TSA", async () => {
    await tsa.close();
    cleanup();
  });
});
