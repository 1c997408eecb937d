import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Pkcs11ex } from "../../src/core/pkcs11ex.ts";
import { Pkcs11exError } from "../../src/core/errors.ts";
import { parseCertificate } from "../../src/core/x509.ts";
import { PinnedRegistry } from "../../src/policy/pinned_registry.ts";
import { makeSlotToken, slotConfig } from "../core/slot/_fixture.ts";
import { xadesjsVerify, xmlsecVerify } from "../formats/xml/_support.ts";
import { startTsaServer } from "../_support/tsa_server.ts";
import { makeTempDir } from "../_support/tmp.ts";
import { certificatePem } from "../_support/pem.ts";

const token = await makeSlotToken("xmlfacade");
const work = makeTempDir();
const tsa = await startTsaServer(work.dir);
const spki = (label: string) => parseCertificate(token.keys[label].certificateDer).spkiSha256Hex;
const policy = () => new PinnedRegistry({ pins: { [spki("rsa")]: "acme", [spki("ec")]: "beta" } });
const invoice = `<?xml version="1.0" encoding="UTF-8"?>
<inv:Invoice xmlns:inv="urn:example:invoice" id="F-42">
  <inv:Total currency="CLP">150.00</inv:Total>
</inv:Invoice>
`;
function trustedPem(label: string): string {
  const der = token.keys[label].certificateDer;
  const path = join(work.dir, `${label}.pem`);
  writeFileSync(path, certificatePem(der));
  return path;
}

describe("p11.xml with token keys", () => {
  test("xmlsec1 and xadesjs accept what the token signed (RS256, ES256); verify pins the signer", async () => {
    const { config } = slotConfig(token, {}, { trustPolicy: policy() });
    await using p11 = await Pkcs11ex.start(config);
    for (
      const [signer, alg, label, subject] of [["signing", "RS256", "rsa", "acme"], [
        "ec",
        "ES256",
        "ec",
        "beta",
      ]] as const
    ) {
      const signed = await p11.xml.sign(invoice, { signer, alg });
      assert.ok(
        signed.startsWith(invoice.slice(0, invoice.indexOf("</inv:Invoice>"))),
        "the document's bytes are kept",
      );
      const xmlsec = xmlsecVerify(work.dir, signed, trustedPem(label));
      assert.equal(xmlsec.status, 0, xmlsec.stderr);
      assert.ok(await xadesjsVerify(signed));
      assert.equal((await p11.xml.verify(signed)).subjectId, subject);
    }
  });

  test("B-T against the local TSA; tampering the data is digest_mismatch", async () => {
    const { config } = slotConfig(token, {}, { trustPolicy: policy() });
    await using p11 = await Pkcs11ex.start(config);
    const signed = await p11.xml.sign(invoice, { signer: "ec", tsaUrl: tsa.url });
    const result = await p11.xml.verify(signed);
    assert.equal(result.timestamps.length, 1);
    await assert.rejects(
      p11.xml.verify(signed.replace("150.00", "950.00")),
      (err: unknown) => err instanceof Pkcs11exError && err.reason === "digest_mismatch",
    );
  });

  test("closes the local TSA", async () => {
    await tsa.close();
    work.cleanup();
  });
});
