import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { makeTempDir } from "../../_support/tmp.ts";
import { run, runOk } from "../../_support/run.ts";
import { makeSelfSigned } from "../../_support/software_keys.ts";
import { parseSignedData } from "../../../src/formats/cms/mod.ts";
import { startTsaServer, type TsaMode } from "../../_support/tsa_server.ts";
import { isPkcs11exError } from "../../../src/core/errors.ts";
import { requestTimestamp, verifyTimestampToken } from "../../../src/formats/tsp/mod.ts";

function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

async function rejectsWithKind(
  p: Promise<unknown>,
  kind: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isPkcs11exError(e, "bt_failed"), `expected bt_failed, got ${String(e)}`);
    assert.equal(e.detail.kind, kind, e.message);
    for (const [k, v] of Object.entries(extra)) assert.equal(e.detail[k], v);
    return true;
  });
}

const { dir, cleanup } = makeTempDir("tsp-");
const tsa = await startTsaServer(dir, { slowMs: 2000 });

describe("requestTimestamp against a local openssl TSA", () => {
  const data = new TextEncoder().encode("the signature value to time-stamp");
  const digest = sha256(data);

  test("a granted token: our checks pass and openssl ts -verify agrees", async () => {
    const before = Date.now();
    const result = await requestTimestamp({ tsaUrl: tsa.url, digest, timeoutMs: 10_000 });
    assert.equal(result.status, 0);
    assert.ok(Math.abs(result.genTime.getTime() - before) < 60_000);
    assert.equal(result.policy, "1.3.6.1.4.1.99999.1");
    assert.ok(result.nonce);
    assert.match(result.tsaCertificate.subject, /CN=pkcs11ex Test TSA/);
    // Outside proof: openssl verifies the response and the bare token we kept.
    const dataPath = join(dir, "data.bin");
    writeFileSync(dataPath, data);
    const respPath = join(dir, "resp.der");
    writeFileSync(respPath, tsa.responses.at(-1)!);
    const viaResp = run("openssl", [
      "ts",
      "-verify",
      "-data",
      dataPath,
      "-in",
      respPath,
      "-CAfile",
      tsa.caCertPath,
    ]);
    assert.match(viaResp.stdout, /Verification: OK/, viaResp.stderr);
    const tokenPath = join(dir, "token.der");
    writeFileSync(tokenPath, result.tokenDer);
    const viaToken = run("openssl", [
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
    assert.match(viaToken.stdout, /Verification: OK/, viaToken.stderr);
    // Verify-side use of the same token.
    const info = verifyTimestampToken(result.tokenDer, digest);
    assert.equal(info.serialNumber, result.serialNumber);
    const other = sha256(new Uint8Array([1]));
    assert.throws(
      () => verifyTimestampToken(result.tokenDer, other),
      (e: unknown) => isPkcs11exError(e, "bt_failed") && e.detail.kind === "imprint_mismatch",
    );
  });

  const failures: [TsaMode, string, Record<string, unknown>?][] = [
    ["reject", "tsa_status", { status: 2 }],
    ["http500", "tsa_http_status", { status: 500 }],
    ["garbage", "malformed_tsa_response"],
    ["no_token", "missing_time_stamp_token"],
    ["wrong_imprint", "imprint_mismatch"],
    ["wrong_nonce", "nonce_mismatch"],
    ["bad_signature", "tsa_signature_invalid"],
  ];
  for (const [mode, kind, extra] of failures) {
    test(`${mode} → bt_failed ${kind}`, async () => {
      tsa.setMode(mode);
      try {
        await rejectsWithKind(requestTimestamp({ tsaUrl: tsa.url, digest }), kind, extra);
      } finally {
        tsa.setMode("normal");
      }
    });
  }

  test("slow TSA → bt_failed tsa_http (timeout)", async () => {
    tsa.setMode("slow");
    try {
      const t0 = Date.now();
      await rejectsWithKind(
        requestTimestamp({ tsaUrl: tsa.url, digest, timeoutMs: 300 }),
        "tsa_http",
      );
      assert.ok(Date.now() - t0 < 1500);
    } finally {
      tsa.setMode("normal");
    }
  });

  test("unreachable TSA → bt_failed tsa_http", async () => {
    await rejectsWithKind(
      requestTimestamp({ tsaUrl: "http://127.0.0.1:9/tsa", digest, timeoutMs: 2000 }),
      "tsa_http",
    );
  });

  test("a replayed response fails on the nonce", async () => {
    const replay: typeof fetch = () =>
      Promise.resolve(new Response(tsa.responses[0] as BodyInit, { status: 200 }));
    await rejectsWithKind(
      requestTimestamp({ tsaUrl: tsa.url, digest, fetch: replay }),
      "nonce_mismatch",
    );
  });

  test("a TSTInfo signed by a certificate without timeStamping EKU is refused", async () => {
    const token = (await requestTimestamp({ tsaUrl: tsa.url, digest })).tokenDer;
    const tstInfoPath = join(dir, "tstinfo.der");
    writeFileSync(tstInfoPath, parseSignedData(token).encapContent!);
    const plain = makeSelfSigned(dir, "ec", { name: "not-a-tsa" });
    const forged = runOk("openssl", [
      "cms",
      "-sign",
      "-binary",
      "-nodetach",
      "-in",
      tstInfoPath,
      "-econtent_type",
      "1.2.840.113549.1.9.16.1.4",
      "-signer",
      plain.certPath,
      "-inkey",
      plain.keyPath,
      "-md",
      "sha256",
      "-outform",
      "DER",
    ]).stdoutBytes;
    assert.throws(
      () => verifyTimestampToken(forged, digest),
      (e: unknown) =>
        isPkcs11exError(e, "bt_failed") && e.detail.kind === "tsa_signature_invalid" &&
        /time-stamping/.test(String(e.detail.problem)),
    );
  });

  test("a token signed with SHA-1 is refused", () => {
    const config = readFileSync(join(dir, "ts.cnf"), "utf8");
    assert.match(config, /signer_digest = sha256/);
    writeFileSync(
      join(dir, "ts-sha1.cnf"),
      config.replace(/signer_digest = sha256/, "signer_digest = sha1"),
    );
    const query = join(dir, "sha1.tsq");
    const hex = Buffer.from(digest).toString("hex");
    runOk("openssl", ["ts", "-query", "-digest", hex, "-sha256", "-cert", "-out", query]);
    const tokenPath = join(dir, "sha1.tst");
    const reply = ["ts", "-reply", "-config", join(dir, "ts-sha1.cnf"), "-queryfile", query];
    runOk("openssl", [...reply, "-token_out", "-out", tokenPath]);
    const token = new Uint8Array(readFileSync(tokenPath));
    assert.equal(parseSignedData(token).signerInfo.digestAlgorithm, "sha1");
    assert.throws(
      () => verifyTimestampToken(token, digest),
      (e: unknown) =>
        isPkcs11exError(e, "bt_failed") && e.detail.kind === "tsa_signature_invalid" &&
        /SHA-1/.test(String(e.detail.problem)),
    );
  });

  test("verify-side: malformed tokens are malformed_tsa_response", () => {
    for (const bytes of [new Uint8Array([0x30, 0x00]), tsa.responses[0].subarray(0, 50)]) {
      assert.throws(
        () => verifyTimestampToken(bytes, digest),
        (e: unknown) =>
          isPkcs11exError(e, "bt_failed") && e.detail.kind === "malformed_tsa_response",
      );
    }
  });

  test("bad arguments are TypeErrors", async () => {
    await assert.rejects(
      requestTimestamp({ tsaUrl: tsa.url, digest: new Uint8Array(5) }),
      TypeError,
    );
    await assert.rejects(
      requestTimestamp({ tsaUrl: 42 as unknown as string, digest }),
      TypeError,
    );
  });

  test("cleanup", async () => {
    await tsa.close();
    cleanup();
  });
});
