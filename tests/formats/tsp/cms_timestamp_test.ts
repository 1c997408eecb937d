import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "../../_support/tmp.ts";
import { opensslCmsVerify } from "../../_support/run.ts";
import { makeSelfSigned, softwareSigner } from "../../_support/software_keys.ts";
import { startTsaServer } from "../../_support/tsa_server.ts";
import {
  addTimeStampToken,
  buildSignedData,
  parseSignedData,
  verifySignerInfoMath,
} from "../../../src/formats/cms/mod.ts";
import { requestTimestamp, verifyTimestampToken } from "../../../src/formats/tsp/mod.ts";

const sha256 = (b: Uint8Array) => new Uint8Array(createHash("sha256").update(b).digest());

const { dir, cleanup } = makeTempDir("cms-bt-");
const tsa = await startTsaServer(dir);

describe("CAdES B-T: a signature time-stamp on a CMS we built", () => {
  test("the token covers the signature value and openssl still verifies the CMS", async () => {
    const id = makeSelfSigned(dir, "rsa");
    const data = new TextEncoder().encode("content");
    const dataPath = join(dir, "data.bin");
    writeFileSync(dataPath, data);
    const cms = await buildSignedData({
      signer: softwareSigner(id, "PS256"),
      contentDigest: sha256(data),
    });
    const signature = parseSignedData(cms).signerInfo.signature;
    const { tokenDer, genTime } = await requestTimestamp({
      tsaUrl: tsa.url,
      digest: sha256(signature),
    });
    const stamped = addTimeStampToken(cms, tokenDer);
    const parsed = parseSignedData(stamped);
    verifySignerInfoMath(parsed);
    const token = parsed.signerInfo.timeStampToken!;
    assert.deepEqual(token, tokenDer);
    const info = verifyTimestampToken(token, sha256(parsed.signerInfo.signature));
    assert.equal(info.genTime.getTime(), genTime.getTime());
    const path = join(dir, "bt.der");
    writeFileSync(path, stamped);
    assert.match(opensslCmsVerify(path, dataPath, id.certPath), /Verification successful/);
  });

  test("cleanup", async () => {
    await tsa.close();
    cleanup();
  });
});
