/**
 * verifyJws through the real pipeline and the real policies: what the policy and the pipeline
 * refuse (expired, not yet valid, unknown, off-boarded, mismatched hints, alg/key mismatch,
 * unexpected subject) and a CASignedAllowlist chain from an openssl PKI.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { signJws } from "../../../src/formats/jws/sign.ts";
import { verifyJws, type VerifyJwsOptions } from "../../../src/formats/jws/verify.ts";
import { encodeBase64url } from "../../../src/formats/jws/base64.ts";
import { parseCertificate } from "../../../src/core/x509.ts";
import { verifyPipeline } from "../../../src/policy/pipeline.ts";
import { PinnedRegistry } from "../../../src/policy/pinned_registry.ts";
import { CASignedAllowlist } from "../../../src/policy/ca_signed_allowlist.ts";
import { type Issued, TestCa } from "../../_support/pki.ts";
import { softwareSigner } from "../../_support/software_keys.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import { makeExpired } from "../../middleware/_expired.ts";
import { identityFor, pinned, withTempIdentities } from "./_identities.ts";
import { rejectsWith } from "../../_support/rejects.ts";

const enc = new TextEncoder();
const payload = enc.encode('{"amount":"10.00"}');
const { es, ps, other, expired } = withTempIdentities((dir) => ({
  es: identityFor(dir, "ES256", { name: "es" }),
  ps: identityFor(dir, "PS256", { name: "ps" }),
  other: identityFor(dir, "ES256", { name: "other" }),
  expired: makeExpired(dir),
}));
const spki = (der: Uint8Array) => parseCertificate(der).spkiSha256Hex;

function base(policy: VerifyJwsOptions["policy"]): VerifyJwsOptions {
  return { policy, allowedAlgs: ["ES256", "PS256"] };
}

/** Signs an arbitrary header (b64:false signing input) with the ES256 key of `es`. */
async function craft(header: Record<string, unknown>): Promise<string> {
  const p = encodeBase64url(JSON.stringify(header));
  const input = Buffer.concat([enc.encode(`${p}.`), payload]);
  return `${p}..${encodeBase64url(await es.signer.sign(input, "jose"))}`;
}

const b64 = (der: Uint8Array) => Buffer.from(der).toString("base64");

describe("verifyJws with PinnedRegistry (the real pipeline)", () => {
  const policy = pinned([[es, "acme"], [ps, "bank"], [expired, "old-acme"]]);

  test("the pipeline's result: subject, certificate, empty chain", async () => {
    const res = await verifyJws(await signJws(payload, es.signer), payload, base(policy));
    assert.equal(res.subjectId, "acme");
    assert.equal(res.certificate.spkiSha256Hex, spki(es.identity.certDer));
    assert.deepEqual(res.chain, []);
  });

  test("expired certificate → cert_expired; an archive validationTime accepts it", async () => {
    const jws = await signJws(payload, expired.signer);
    await rejectsWith(verifyJws(jws, payload, base(policy)), "cert_expired");
    const res = await verifyJws(jws, payload, {
      ...base(policy),
      validationTime: new Date("2020-01-15T00:00:00Z"),
    });
    assert.equal(res.subjectId, "old-acme");
  });

  test("validationTime before notBefore → cert_not_yet_valid; bad skew → RangeError", async () => {
    const jws = await signJws(payload, es.signer);
    await rejectsWith(
      verifyJws(jws, payload, { ...base(policy), validationTime: new Date("2000-01-01") }),
      "cert_not_yet_valid",
    );
    await assert.rejects(
      verifyJws(jws, payload, { ...base(policy), maxClockSkew: -1 }),
      RangeError,
    );
  });

  test("unknown signer, and a pin deleted (off-boarding) → unknown_signer", async () => {
    await rejectsWith(
      verifyJws(await signJws(payload, other.signer), payload, base(policy)),
      "unknown_signer",
    );
    const registry = pinned([[es, "acme"]]);
    const jws = await signJws(payload, es.signer);
    assert.equal((await verifyJws(jws, payload, base(registry))).subjectId, "acme");
    registry.delete(spki(es.identity.certDer));
    await rejectsWith(verifyJws(jws, payload, base(registry)), "unknown_signer");
  });

  test("expectedSubject: match passes, mismatch → unexpected_subject", async () => {
    const jws = await signJws(payload, ps.signer);
    const ok = await verifyJws(jws, payload, { ...base(policy), expectedSubject: "bank" });
    assert.equal(ok.subjectId, "bank");
    await rejectsWith(
      verifyJws(jws, payload, { ...base(policy), expectedSubject: "acme" }),
      "unexpected_subject",
      { got: "bank", want: "acme" },
    );
  });

  test("alg PS256 over an EC key → incompatible_alg, before any math", async () => {
    const jws = await craft({
      alg: "PS256",
      b64: false,
      crit: ["b64"],
      x5c: [b64(es.identity.certDer)],
    });
    await rejectsWith(verifyJws(jws, payload, base(policy)), "incompatible_alg", {
      alg: "PS256",
      keyType: "ec",
    });
  });

  test("x5t#S256 disagreeing with x5c → hint_mismatch", async () => {
    const jws = await craft({
      alg: "ES256",
      b64: false,
      crit: ["b64"],
      x5c: [b64(es.identity.certDer)],
      "x5t#S256": encodeBase64url(createHash("sha256").update(ps.identity.certDer).digest()),
    });
    await rejectsWith(verifyJws(jws, payload, base(policy)), "hint_mismatch");
  });

  test("x5t#S256 alone and kid alone resolve through the registry's certificates", async () => {
    const registry = new PinnedRegistry({
      pins: { [spki(es.identity.certDer)]: "acme" },
      certificates: [es.identity.certDer],
      kids: { "acme-2025": es.identity.certDer },
    });
    const x5t = encodeBase64url(createHash("sha256").update(es.identity.certDer).digest());
    const byThumb = await craft({ alg: "ES256", b64: false, crit: ["b64"], "x5t#S256": x5t });
    assert.equal((await verifyJws(byThumb, payload, base(registry))).subjectId, "acme");
    const byKid = await craft({ alg: "ES256", b64: false, crit: ["b64"], kid: "acme-2025" });
    assert.equal((await verifyJws(byKid, payload, base(registry))).subjectId, "acme");
    const unknownKid = await craft({ alg: "ES256", b64: false, crit: ["b64"], kid: "nobody" });
    await rejectsWith(verifyJws(unknownKid, payload, base(registry)), "unknown_signer");
  });

  test("a caller's pipeline wraps the real one (e.g. for telemetry)", async () => {
    const seen: string[] = [];
    const res = await verifyJws(await signJws(payload, es.signer), payload, {
      ...base(policy),
      pipeline: async (input) => {
        const out = await verifyPipeline(input);
        seen.push(`${input.parsed.alg}:${out.subjectId}`);
        return out;
      },
    });
    assert.equal(res.subjectId, "acme");
    assert.deepEqual(seen, ["ES256:acme"]);
  });
});

describe("verifyJws with CASignedAllowlist (openssl PKI)", () => {
  const signerOf = (issued: Issued, chain: Uint8Array[]) =>
    softwareSigner(
      {
        keyType: "ec",
        keyPath: issued.keyPath,
        certPath: issued.certPath,
        keyPem: readFileSync(issued.keyPath, "utf8"),
        certPem: issued.certPem,
        certDer: issued.certDer,
      },
      "ES256",
      chain,
    );
  // openssl's files live only while the PKI is made; the signers keep their keys in memory.
  function makePki() {
    const { dir, cleanup } = makeTempDir();
    try {
      const root = TestCa.root(dir, { name: "jws-root", keyType: "ec" });
      const inter = root.subCa({ name: "jws-inter", keyType: "ec" });
      const leaf = inter.issue({ name: "jws-leaf" });
      const stray = inter.issue({ name: "jws-stray" });
      return {
        root: root.cert,
        inter: inter.cert,
        leafSigner: signerOf(leaf, [inter.cert.certDer]),
        straySigner: signerOf(stray, [inter.cert.certDer]),
        bareLeafSigner: signerOf(leaf, []),
      };
    } finally {
      cleanup();
    }
  }
  // TestCa's random serial is an odd number of hex digits 1 time in 16, which openssl refuses
  // (reported to the lead); a fresh PKI is the workaround until tests/_support/pki.ts pads it.
  const { root, inter, leafSigner, straySigner, bareLeafSigner } = (() => {
    for (let attempt = 1;; attempt++) {
      try {
        return makePki();
      } catch (err) {
        if (attempt === 4 || !String(err).includes("odd number of chars")) throw err;
      }
    }
  })();
  const policy = new CASignedAllowlist({
    caBundle: root.certPem,
    allow: [{ spkiSha256: spki(leafSigner.certificates[0]), subjectId: "acme-ca" }],
  });

  test("a leaf with its intermediate in x5c verifies; chain holds the intermediate", async () => {
    const res = await verifyJws(await signJws(payload, leafSigner), payload, base(policy));
    assert.equal(res.subjectId, "acme-ca");
    assert.deepEqual(res.chain.map((c) => c.subject), [
      parseCertificate(inter.certDer).subject,
    ]);
  });

  test("a leaf of the same CA not on the allowlist → unknown_signer", async () => {
    await rejectsWith(
      verifyJws(await signJws(payload, straySigner), payload, base(policy)),
      "unknown_signer",
    );
  });

  test("the intermediate missing from x5c → incomplete_chain", async () => {
    await rejectsWith(
      verifyJws(await signJws(payload, bareLeafSigner), payload, base(policy)),
      "incomplete_chain",
    );
  });
});
