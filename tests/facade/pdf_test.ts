import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Pkcs11ex } from "../../src/core/pkcs11ex.ts";
import { Pkcs11exError } from "../../src/core/errors.ts";
import { parseCertificate } from "../../src/core/x509.ts";
import { PinnedRegistry } from "../../src/policy/pinned_registry.ts";
import { makeSlotToken, slotConfig } from "../core/slot/_fixture.ts";
import { makePdf, pdfsig, qpdfCheck } from "../formats/pdf/_helpers.ts";
import { startTsaServer } from "../_support/tsa_server.ts";
import { makeTempDir } from "../_support/tmp.ts";

const token = await makeSlotToken("pdffacade");
const work = makeTempDir();
const tsa = await startTsaServer(work.dir);
const spki = (label: string) => parseCertificate(token.keys[label].certificateDer).spkiSha256Hex;
const policy = () => new PinnedRegistry({ pins: { [spki("rsa")]: "acme", [spki("ec")]: "beta" } });

describe("p11.pdf with token keys", () => {
  test("signs a PDF (B-B) that pdfsig and qpdf accept, then a second signature; verify pins both", async () => {
    const { config } = slotConfig(token, {}, { trustPolicy: policy() });
    await using p11 = await Pkcs11ex.start(config);
    const once = await p11.pdf.sign(await makePdf(), { signer: "signing", reason: "approved" });
    const twice = await p11.pdf.sign(once, { signer: "ec", alg: "ES256" });
    const verdict = pdfsig(work.dir, twice);
    assert.equal(verdict.signatures.length, 2, verdict.text);
    assert.ok(verdict.signatures.every((s) => s.valid), verdict.text);
    assert.deepEqual(verdict.signatures.map((s) => s.commonName), ["rsa", "ec"]);
    assert.ok(qpdfCheck(work.dir, twice).status === 0);
    const result = await p11.pdf.verify(twice);
    assert.deepEqual(result.signatures.map((s) => s.ok && s.result.subjectId), ["acme", "beta"]);
  });

  test("B-T: the signature carries a time-stamp from the local RFC 3161 server", async () => {
    const { config } = slotConfig(token, {}, { trustPolicy: policy() });
    await using p11 = await Pkcs11ex.start(config);
    const signed = await p11.pdf.sign(await makePdf(), { signer: "ec", tsaUrl: tsa.url });
    assert.ok(pdfsig(work.dir, signed).signatures[0].valid);
    const result = await p11.pdf.verify(signed);
    const first = result.signatures[0];
    assert.ok(first.ok && first.result.timestamp !== undefined, "time-stamp reported");
  });

  test("an unpinned signer is unknown_signer", async () => {
    const { config } = slotConfig(token, {}, { trustPolicy: new PinnedRegistry({}) });
    await using p11 = await Pkcs11ex.start(config);
    const signed = await p11.pdf.sign(await makePdf(), { signer: "signing" });
    await assert.rejects(
      p11.pdf.verify(signed),
      (err: unknown) => err instanceof Pkcs11exError && err.reason === "unknown_signer",
    );
  });

  test("closes the local TSA", async () => {
    await tsa.close();
    work.cleanup();
  });
});
