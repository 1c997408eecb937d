/**
 * The pkcs11ex demo (`npm run demo`). On a throw-away SoftHSM2 token it:
 *  1. generates an RSA-2048 and a P-256 key, each with a certificate signed on the token,
 *     and lists slots, mechanisms and objects through the FFI layer;
 *  2. starts `Pkcs11ex` with a token slot and a PIN callback, signs with each key
 *     (PS256, RS256, ES256) and has openssl check every signature;
 *  3. signs a JSON request as a detached JWS, sends it to a Hono server with the
 *     `jwsVerify` middleware on loopback, and shows a tampered copy refused;
 *  4. signs a generated PDF (PAdES B-B, then B-T against a local RFC 3161 server), verifies
 *     it, shows pdfsig's verdict and writes it to `demo-out/signed.pdf`;
 *  5. signs an invoice-like XML document (XAdES B-B and B-T), verifies it, shows xmlsec1's
 *     verdict and writes it to `demo-out/signed-invoice.xml`.
 *
 * Run with Deno: `deno run -A scripts/demo.ts` (SOFTHSM2_CONF is set to a temporary
 * directory unless given; the system token directory is never touched).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { Hono } from "hono";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { Pkcs11ex } from "../src/core/pkcs11ex.ts";
import { parseCertificate } from "../src/core/x509.ts";
import { Pkcs11Module } from "../src/ffi/module.ts";
import { objectClassName } from "../src/ffi/constants.ts";
import { jwsVerify } from "../src/middleware/hono.ts";
import { PinnedRegistry } from "../src/policy/pinned_registry.ts";
import { SOFTHSM_DRIVER, writeSoftHsmConfig } from "./softhsm/config.ts";
import { createToken, provisionKey } from "./softhsm/provision.ts";
import { startTsaServer } from "../tests/_support/tsa_server.ts";
import { serve } from "../tests/middleware/_server.ts";

const work = mkdtempSync(join(tmpdir(), "pkcs11ex-demo-"));
if (!process.env.SOFTHSM2_CONF) {
  if ((globalThis as { Bun?: unknown }).Bun !== undefined) {
    console.error(
      "On Bun, set SOFTHSM2_CONF before starting (Bun does not pass env changes to C).",
    );
    process.exit(2);
  }
  process.env.SOFTHSM2_CONF = writeSoftHsmConfig(work);
}
const say = (line = "") => console.log(line);
const heading = (title: string) => say(`\n== ${title}`);
const TOKEN_LABEL = "pkcs11ex-demo";
const TOKEN_PIN = "demo-user-pin"; // stands in for a secret store / env var

function opensslVerify(
  certDer: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
  pss: boolean,
): string {
  writeFileSync(join(work, "cert.der"), certDer);
  writeFileSync(join(work, "data.bin"), data);
  writeFileSync(join(work, "sig.bin"), signature);
  const pub = spawnSync("openssl", [
    "x509",
    "-inform",
    "DER",
    "-in",
    join(work, "cert.der"),
    "-pubkey",
    "-noout",
  ], {
    encoding: "utf8",
  });
  writeFileSync(join(work, "pub.pem"), pub.stdout);
  const res = spawnSync("openssl", [
    "dgst",
    "-sha256",
    "-verify",
    join(work, "pub.pem"),
    "-signature",
    join(work, "sig.bin"),
    ...(pss ? ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"] : []),
    join(work, "data.bin"),
  ], { encoding: "utf8" });
  return (res.stdout || res.stderr).trim();
}

try {
  heading("1. A throw-away SoftHSM2 token, keys generated on it");
  say(`SoftHSM2 config: ${process.env.SOFTHSM2_CONF}`);
  const module = await Pkcs11Module.load(SOFTHSM_DRIVER);
  const info = module.info();
  say(
    `Loaded ${SOFTHSM_DRIVER}: ${info.manufacturerId} ${info.libraryVersion.major}.${info.libraryVersion.minor}, Cryptoki ${info.cryptokiVersion.major}.${info.cryptokiVersion.minor}`,
  );
  const slotId = createToken(module, {
    label: TOKEN_LABEL,
    soPin: "demo-so-pin",
    userPin: TOKEN_PIN,
  });
  const provisioning = module.openSession(slotId);
  provisioning.login(new TextEncoder().encode(TOKEN_PIN));
  const rsa = provisionKey(provisioning, {
    label: "demo-rsa",
    type: "rsa",
    bits: 2048,
    commonName: "Demo RSA signer",
  });
  const ec = provisionKey(provisioning, {
    label: "demo-p256",
    type: "ec",
    commonName: "Demo P-256 signer",
  });
  for (const id of module.slots(true)) {
    const t = module.tokenInfo(id);
    say(`  slot ${id}: "${t.label || "(uninitialized)"}" [${t.flagNames.join(" ")}]`);
  }
  const signing = module.mechanisms(slotId).map((m) => module.mechanismInfo(slotId, m))
    .filter((m) => m.flagNames.includes("CKF_SIGN") && !m.name.startsWith("0x")).map((m) => m.name);
  say(`  signing mechanisms: ${signing.join(", ")}`);
  for (const handle of provisioning.findObjects({})) {
    const a = provisioning.getAttributes(handle, ["CKA_CLASS", "CKA_LABEL"]);
    say(`  object: ${objectClassName(Number(a.CKA_CLASS)).padEnd(16)} label ${a.CKA_LABEL}`);
  }
  provisioning.close();

  heading("2. Pkcs11ex.start with a token slot and a PIN callback");
  const trustPolicy = new PinnedRegistry({
    pins: {
      [parseCertificate(rsa.certificateDer).spkiSha256Hex]: "acme-rsa",
      [parseCertificate(ec.certificateDer).spkiSha256Hex]: "acme-p256",
    },
  });
  let pinRequests = 0;
  await using p11 = await Pkcs11ex.start({
    allowedAlgs: ["PS256", "RS256", "ES256"],
    defaultSlot: "legal_proxy",
    trustPolicy,
    slots: {
      legal_proxy: {
        type: "token",
        driver: SOFTHSM_DRIVER,
        slotMatch: { tokenLabel: TOKEN_LABEL },
        pinCallback: ({ slotRef, reason }) => {
          pinRequests += 1;
          say(`  (pinCallback asked for slot ${slotRef}, reason: ${reason})`);
          return TOKEN_PIN;
        },
        keys: { signing: { label: "demo-rsa" }, p256: { label: "demo-p256" } },
      },
    },
  });
  say(`  slots: ${JSON.stringify(p11.slot.list())}`);
  const message = new TextEncoder().encode("pkcs11ex demo: signed inside SoftHSM2\n");
  for (
    const [key, alg, cert] of [["signing", "PS256", rsa], ["signing", "RS256", rsa], [
      "p256",
      "ES256",
      ec,
    ]] as const
  ) {
    const signature = await p11.signBytes(message, { signer: key, alg });
    await p11.verifyBytes(message, signature, parseCertificate(cert.certificateDer), { alg });
    say(
      `  ${alg} with ${cert.label}: ${signature.length} bytes; verifyBytes: valid; openssl: ${
        opensslVerify(cert.certificateDer, message, signature, alg === "PS256")
      }`,
    );
  }
  say(
    `  PIN callback calls: ${pinRequests}; slot status: ${
      JSON.stringify(p11.slot.status("legal_proxy"))
    }`,
  );

  heading("3. Detached JWS over HTTP, verified by the Hono middleware");
  const app = new Hono<{ Variables: { pkcs11exSubject: string } }>();
  app.use("/api/*", jwsVerify(p11, { onFailure: "halt401" }));
  app.post(
    "/api/payments",
    async (c) =>
      c.json({ accepted: true, from: c.get("pkcs11exSubject"), body: await c.req.json() }),
  );
  const server = await serve(app.fetch);
  try {
    const body = JSON.stringify({ to: "CL-99-123", amount: "150.00", currency: "CLP" });
    const jws = await p11.jws.sign(body, { signer: "signing", alg: "PS256" });
    say(`  JWS-Signature: ${jws.slice(0, 60)}…${jws.slice(-20)}`);
    const ok = await fetch(`${server.url}/api/payments`, {
      method: "POST",
      body,
      headers: { "JWS-Signature": jws },
    });
    say(`  signed request  → ${ok.status} ${await ok.text()}`);
    const tampered = body.replace("150.00", "950.00");
    const bad = await fetch(`${server.url}/api/payments`, {
      method: "POST",
      body: tampered,
      headers: { "JWS-Signature": jws },
    });
    say(`  tampered body   → ${bad.status} ${await bad.text()}`);
  } finally {
    await server.close();
  }

  heading("4. PAdES: sign a PDF (B-B, then B-T), verify it, pdfsig's verdict");
  const doc = await PDFDocument.create();
  const page = doc.addPage([420, 300]);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  page.drawText("Invoice 2026-0042 — 150.00 CLP", { x: 40, y: 220, size: 16, font });
  page.drawText("Signed with a key that never left the token.", { x: 40, y: 190, size: 11, font });
  const out = join(process.cwd(), "demo-out");
  mkdirSync(join(work, "tsa"));
  const tsa = await startTsaServer(join(work, "tsa"));
  try {
    const bb = await p11.pdf.sign(await doc.save(), {
      signer: "signing",
      reason: "Approved",
      location: "Santiago",
    });
    const bt = await p11.pdf.sign(bb, { signer: "p256", alg: "ES256", tsaUrl: tsa.url });
    const result = await p11.pdf.verify(bt);
    for (const s of result.signatures) {
      say(
        `  signature ${s.info.fieldName}: ${
          s.ok ? `valid, signer ${s.result.subjectId}` : s.error.reason
        }${
          s.ok && s.result.timestamp
            ? `, time-stamped ${s.result.timestamp.genTime.toISOString()}`
            : ""
        }`,
      );
    }
    mkdirSync(out, { recursive: true });
    const path = join(out, "signed.pdf");
    writeFileSync(path, bt);
    const pdfsig = spawnSync("pdfsig", [path], { encoding: "utf8" });
    say(`  written ${path}; pdfsig says:`);
    for (
      const line of pdfsig.stdout.split("\n").filter((l) =>
        /Signature #|Common Name|Validation|Signing Time|Total document/.test(l)
      )
    ) {
      say(`    ${line.trim()}`);
    }

    heading("5. XAdES: sign an invoice (B-B and B-T), verify it, xmlsec1's verdict");
    const invoice = `<?xml version="1.0" encoding="UTF-8"?>
<inv:Invoice xmlns:inv="urn:example:invoice" number="2026-0042">
  <inv:Seller>Acme SpA</inv:Seller>
  <inv:Total currency="CLP">150.00</inv:Total>
</inv:Invoice>
`;
    const xmlBb = await p11.xml.sign(invoice, { signer: "signing", alg: "RS256" });
    const bbResult = await p11.xml.verify(xmlBb);
    say(`  B-B: valid, signer ${bbResult.subjectId}, ${bbResult.alg}`);
    const xmlBt = await p11.xml.sign(invoice, { signer: "p256", alg: "ES256", tsaUrl: tsa.url });
    const btResult = await p11.xml.verify(xmlBt);
    say(`  B-T: valid, signer ${btResult.subjectId}, time-stamps: ${btResult.timestamps.length}`);
    const xmlPath = join(out, "signed-invoice.xml");
    writeFileSync(xmlPath, xmlBt);
    const certPath = join(work, "p256.pem");
    writeFileSync(
      certPath,
      spawnSync("openssl", ["x509", "-inform", "DER"], {
        input: ec.certificateDer,
        encoding: "utf8",
      }).stdout,
    );
    const xmlsec = spawnSync("xmlsec1", [
      "--verify",
      "--enabled-key-data",
      "x509",
      "--trusted-pem",
      certPath,
      "--id-attr:Id",
      "http://uri.etsi.org/01903/v1.3.2#:SignedProperties",
      xmlPath,
    ], { encoding: "utf8" });
    const verdict = (xmlsec.stdout + xmlsec.stderr).split("\n").filter((l) => /^(OK|FAIL)/.test(l));
    say(`  written ${xmlPath}; xmlsec1 --verify says: ${verdict.join(" ")}`);
  } finally {
    await tsa.close();
  }
  say(
    "\nDone: keys never left the token; every signature was checked by a verifier outside this library too.",
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
