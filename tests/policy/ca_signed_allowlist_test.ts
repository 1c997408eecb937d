import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createPrivateKey, sign as nodeSign } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { AsnConvert } from "@peculiar/asn1-schema";
import { OCSPRequest } from "@peculiar/asn1-ocsp";
import { isPkcs11exError } from "../../src/core/errors.ts";
import { parseCertificate, type X509Certificate } from "../../src/core/x509.ts";
import {
  CASignedAllowlist,
  type CASignedAllowlistOptions,
  crlHasSerial,
  pathValidate,
  verifyCrl,
  verifyOcspResponse,
  verifyPipeline,
} from "../../src/policy/mod.ts";
import { type Issued, TestCa } from "../_support/pki.ts";
import { run } from "../_support/run.ts";
import { makeTempDir } from "../_support/tmp.ts";

const DAY = 86_400_000;
const data = new TextEncoder().encode("payload");
const cert = (i: Issued): X509Certificate => parseCertificate(i.certDer);
const b64 = (i: Issued) => Buffer.from(i.certDer).toString("base64");
const reason = (r: string) => (e: unknown) => isPkcs11exError(e, r as never);

function opensslAccepts(root: Issued, inters: Issued[], leaf: Issued, dir: string): boolean {
  const untrusted = inters.length ? ["-untrusted", writeBundle(dir, inters)] : [];
  return run("openssl", ["verify", "-CAfile", root.certPath, ...untrusted, leaf.certPath])
    .status === 0;
}

function writeBundle(dir: string, certs: Issued[]): string {
  const path = `${dir}/bundle-${Math.random().toString(36).slice(2)}.pem`;
  writeFileSync(path, certs.map((c) => c.certPem).join(""));
  return path;
}

async function oursAccepts(root: Issued, inters: Issued[], leaf: Issued): Promise<boolean> {
  try {
    await pathValidate(cert(leaf), inters.map(cert), [cert(root)]);
    return true;
  } catch (err) {
    if (!(err instanceof Error && "reason" in err)) throw err;
    return false;
  }
}

describe("CASignedAllowlist and path validation", () => {
  const { dir, cleanup } = makeTempDir();
  const root = TestCa.root(dir, { name: "root" });
  const inter = root.subCa({ name: "inter", pathLen: 0 });
  const leaf = inter.issue({ name: "leaf", eku: "emailProtection" });
  const ecRoot = TestCa.root(dir, { name: "ecroot", keyType: "ec" });
  const ecInter = ecRoot.subCa({ name: "ecinter" });
  const ecLeaf = ecInter.issue({ name: "ecleaf" });
  const otherRoot = TestCa.root(dir, { name: "otherroot" });
  const foreignLeaf = otherRoot.subCa({ name: "otherinter" }).issue({ name: "foreign" });
  const expiredLeaf = inter.issue({
    name: "expired",
    notBefore: new Date(Date.now() - 60 * DAY),
    notAfter: new Date(Date.now() - 2 * DAY),
  });
  const futureInter = root.subCa({
    name: "futureinter",
    notBefore: new Date(Date.now() + 2 * DAY),
  });
  const futureLeaf = futureInter.issue({
    name: "futureleaf",
    notBefore: new Date(Date.now() - DAY),
  });
  const noSignInter = root.subCa({ name: "nosign", keyUsage: "critical,digitalSignature,cRLSign" });
  const noSignLeaf = noSignInter.issue({ name: "nosignleaf" });
  const caLeaf = inter.issue({ name: "caleaf", ca: true });
  const serverLeaf = inter.issue({ name: "serverleaf", eku: "serverAuth" });
  const tightRoot = TestCa.root(dir, { name: "tightroot", pathLen: 0 });
  const tightInter = tightRoot.subCa({ name: "tightinter" });
  const tooDeepLeaf = tightInter.issue({ name: "toodeep" });
  const notCaInter = root.subCa({
    name: "notca",
    basicConstraints: "CA:FALSE",
    keyUsage: "critical,keyCertSign,cRLSign",
  });
  const notCaLeaf = notCaInter.issue({ name: "notcaleaf" });
  const revokedLeaf = inter.issue({ name: "revoked" });
  inter.revoke(revokedLeaf);
  const responder = inter.issue({ name: "responder", eku: "OCSPSigning" });

  const allowAll = [{ dnMatch: "CN=*,O=pkcs11ex tests,C=CL", subjectId: "tests" }];
  const base = (extra: Partial<CASignedAllowlistOptions> = {}): CASignedAllowlist =>
    new CASignedAllowlist({
      caBundle: root.cert.certPem + ecRoot.cert.certPem,
      allow: allowAll,
      ...extra,
    });

  function run3(leafI: Issued, inters: Issued[], policy: CASignedAllowlist, alg = "PS256") {
    const key = createPrivateKey(readFileSync(leafI.keyPath, "utf8"));
    const signature = alg === "ES256"
      ? nodeSign("sha256", data, { key, dsaEncoding: "ieee-p1363" })
      : nodeSign("sha256", data, { key, padding: 6, saltLength: 32 });
    return verifyPipeline({
      parsed: {
        signedInput: data,
        signature: new Uint8Array(signature),
        alg,
        encodingContext: "jose",
        signerHint: { x5c: [leafI, ...inters].map(b64) },
      },
      policy,
      allowedAlgs: ["PS256", "ES256"],
    });
  }

  test("differential: our path validation and openssl verify agree on every chain", async () => {
    const cases: [Issued, Issued[], Issued][] = [
      [root.cert, [inter.cert], leaf],
      [ecRoot.cert, [ecInter.cert], ecLeaf],
      [root.cert, [], leaf],
      [root.cert, [inter.cert], foreignLeaf],
      [root.cert, [inter.cert], expiredLeaf],
      [root.cert, [futureInter.cert], futureLeaf],
      [root.cert, [noSignInter.cert], noSignLeaf],
      [root.cert, [inter.cert], caLeaf],
      [root.cert, [inter.cert], serverLeaf],
      [tightRoot.cert, [tightInter.cert], tooDeepLeaf],
      [root.cert, [notCaInter.cert], notCaLeaf],
      [ecRoot.cert, [inter.cert], leaf],
    ];
    const verdicts: boolean[] = [];
    for (const [r, inters, l] of cases) {
      const theirs = opensslAccepts(r, inters, l, dir);
      verdicts.push(theirs);
      assert.equal(
        await oursAccepts(r, inters, l),
        theirs,
        `${l.name} via ${inters.map((i) => i.name)} to ${r.name}: openssl ${theirs}`,
      );
    }
    assert.deepEqual(verdicts.map(String), [
      "true",
      "true",
      ...Array(cases.length - 2).fill("false").map((f, k) => k === 5 || k === 6 ? "true" : f),
    ]);
  });

  test("a good RSA and EC chain on the allowlist verifies", async () => {
    assert.equal((await run3(leaf, [inter.cert], base())).subjectId, "tests");
    assert.equal((await run3(ecLeaf, [ecInter.cert], base(), "ES256")).subjectId, "tests");
    const bySpki = base({
      allow: [{ spkiSha256: cert(leaf).spkiSha256Hex, subjectId: "by-spki" }, ...allowAll],
    });
    assert.equal((await run3(leaf, [inter.cert], bySpki)).subjectId, "by-spki");
    const byCert = base({
      allow: [{ certSha256: cert(leaf).certSha256Hex, subjectId: "by-cert" }],
    });
    assert.equal((await run3(leaf, [inter.cert], byCert)).subjectId, "by-cert");
    const exact = base({
      allow: [{ dnMatch: "cn=LEAF,  o=pkcs11ex   tests,c=cl", subjectId: "exact" }],
    });
    assert.equal((await run3(leaf, [inter.cert], exact)).subjectId, "exact");
    await assert.rejects(run3(ecLeaf, [ecInter.cert], exact, "ES256"), reason("unknown_signer"));
  });

  test("each trust reason is reached by a real chain", async () => {
    const p = base({ eku: ["1.3.6.1.5.5.7.3.4"] });
    await assert.rejects(run3(leaf, [], p), reason("incomplete_chain"));
    await assert.rejects(run3(foreignLeaf, [], base()), reason("incomplete_chain"));
    await assert.rejects(run3(expiredLeaf, [inter.cert], p), reason("cert_expired"));
    await assert.rejects(run3(futureLeaf, [futureInter.cert], p), reason("cert_not_yet_valid"));
    await assert.rejects(run3(noSignLeaf, [noSignInter.cert], p), reason("chain_invalid"));
    await assert.rejects(run3(caLeaf, [inter.cert], p), reason("chain_invalid"));
    await assert.rejects(
      run3(serverLeaf, [inter.cert], p),
      (e) => isPkcs11exError(e, "chain_invalid") && e.detail.kind === "eku",
    );
    await assert.rejects(run3(notCaLeaf, [notCaInter.cert], p), reason("chain_invalid"));
    const tight = new CASignedAllowlist({ caBundle: tightRoot.cert.certPem, allow: allowAll });
    await assert.rejects(
      run3(tooDeepLeaf, [tightInter.cert], tight),
      (e) => isPkcs11exError(e, "chain_invalid") && e.detail.kind === "path_len",
    );
    const notAllowed = base({ allow: [{ spkiSha256: "00".repeat(32), subjectId: "x" }] });
    await assert.rejects(run3(leaf, [inter.cert], notAllowed), reason("unknown_signer"));
  });

  test("CRL from openssl ca -gencrl: revoked → cert_revoked, fetcher throwing → crl_unavailable", async () => {
    const crl = inter.crl();
    const rootCrl = root.crl();
    const crlFetcher = ({ issuer }: { issuer: X509Certificate }) =>
      issuer.certSha256Hex === cert(inter.cert).certSha256Hex ? [crl] : [rootCrl];
    const verified = await verifyCrl(crl, cert(inter.cert));
    assert.ok(crlHasSerial(verified, cert(revokedLeaf)));
    assert.ok(!crlHasSerial(verified, cert(leaf)));
    await assert.rejects(verifyCrl(crl, cert(root.cert)), reason("crl_unavailable"));
    const tampered = crl.slice();
    tampered[tampered.length - 5] ^= 1;
    await assert.rejects(verifyCrl(tampered, cert(inter.cert)), reason("crl_unavailable"));
    assert.equal((await run3(leaf, [inter.cert], base({ crlFetcher }))).subjectId, "tests");
    await assert.rejects(
      run3(revokedLeaf, [inter.cert], base({ crlFetcher })),
      reason("cert_revoked"),
    );
    await assert.rejects(
      run3(
        leaf,
        [inter.cert],
        base({
          crlFetcher: () => {
            throw new Error("network down");
          },
        }),
      ),
      reason("crl_unavailable"),
    );
  });

  test("OCSP from openssl ocsp: good, revoked, unknown, delegated responder, nonce, callback throwing", async () => {
    const issuer = cert(inter.cert);
    const good = inter.ocsp(leaf);
    const requestNonce = (req: Uint8Array) => {
      const ext = AsnConvert.parse(req, OCSPRequest).tbsRequest.requestExtensions!.find((e) =>
        e.extnID === "1.3.6.1.5.5.7.48.1.2"
      )!;
      return new Uint8Array(ext.extnValue.buffer).subarray(2);
    };
    assert.equal(
      await verifyOcspResponse(good.response, {
        issuer,
        cert: cert(leaf),
        maxAge: DAY,
        nonce: requestNonce(good.request),
      }),
      "good",
    );
    await assert.rejects(
      verifyOcspResponse(good.response, { issuer, maxAge: DAY, nonce: new Uint8Array(16) }),
      reason("ocsp_unavailable"),
    );
    await assert.rejects(
      verifyOcspResponse(good.response, {
        issuer,
        maxAge: DAY,
        validationTime: new Date(Date.now() + 3 * DAY),
      }),
      reason("ocsp_unavailable"),
    );
    await assert.rejects(
      verifyOcspResponse(good.response, { issuer: cert(root.cert), maxAge: DAY }),
      reason("ocsp_unavailable"),
    );
    await assert.rejects(
      verifyOcspResponse(new Uint8Array([0x30, 3, 0x0a, 1, 0]), { issuer, maxAge: DAY }),
      reason("ocsp_unavailable"),
    );
    const delegated = inter.ocsp(revokedLeaf, responder);
    assert.equal(
      await verifyOcspResponse(delegated.response, {
        issuer,
        cert: cert(revokedLeaf),
        maxAge: DAY,
      }),
      "revoked",
    );
    const byLeaf = inter.ocsp(revokedLeaf, leaf);
    await assert.rejects(
      verifyOcspResponse(byLeaf.response, { issuer, maxAge: DAY, responderCerts: [cert(leaf)] }),
      reason("ocsp_unavailable"),
    );
    const unknown = inter.ocsp({ serial: "0x4242" });
    assert.equal(await verifyOcspResponse(unknown.response, { issuer, maxAge: DAY }), "unknown");

    const responses = new Map([[cert(leaf).serialNumber.value, good.response], [
      cert(revokedLeaf).serialNumber.value,
      delegated.response,
    ]]);
    const ocspCheck = (c: X509Certificate, chain: readonly X509Certificate[]) => {
      const resp = responses.get(c.serialNumber.value);
      return resp
        ? verifyOcspResponse(resp, { issuer: chain[0], cert: c, maxAge: DAY })
        : "unknown" as const;
    };
    const onlyLeaf = (c: X509Certificate, chain: readonly X509Certificate[]) =>
      c.basicConstraints?.cA ? "good" as const : ocspCheck(c, chain);
    assert.equal(
      (await run3(leaf, [inter.cert], base({ ocspCheck: onlyLeaf }))).subjectId,
      "tests",
    );
    await assert.rejects(
      run3(revokedLeaf, [inter.cert], base({ ocspCheck: onlyLeaf })),
      reason("cert_revoked"),
    );
    await assert.rejects(
      run3(leaf, [inter.cert], base({ ocspCheck })),
      reason("revocation_unknown"),
    );
    assert.equal(
      (await run3(leaf, [inter.cert], base({ ocspCheck, revocationUnknownPolicy: "allow" })))
        .subjectId,
      "tests",
    );
    await assert.rejects(
      run3(
        leaf,
        [inter.cert],
        base({
          ocspCheck: () => {
            throw new Error("timeout");
          },
        }),
      ),
      reason("ocsp_unavailable"),
    );
  });

  test("configuration is checked at construction", () => {
    assert.throws(() => base({ environment: "production" }), reason("invalid_config"));
    base({ environment: "production", ocspCheck: () => "good" });
    assert.throws(() => base({ caBundle: "" }), reason("invalid_config"));
    assert.throws(() => base({ caBundle: `${dir}/missing.pem` }), reason("invalid_config"));
    assert.equal(
      new CASignedAllowlist({ caBundle: root.cert.certPath, allow: allowAll }) instanceof
        CASignedAllowlist,
      true,
    );
    assert.equal(
      new CASignedAllowlist({ caBundle: root.cert.certDer, allow: allowAll }) instanceof
        CASignedAllowlist,
      true,
    );
    assert.throws(
      () => base({ allow: [{ dnMatch: "CN=Acme*,C=CL", subjectId: "x" }] }),
      reason("invalid_config"),
    );
    assert.throws(
      () => base({ allow: [{ spkiSha256: "zz", subjectId: "x" }] }),
      reason("invalid_config"),
    );
    assert.throws(() => base({ allow: [{ subjectId: "x" } as never] }), reason("invalid_config"));
  });

  test("cleanup", () => cleanup());
});
