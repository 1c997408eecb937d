import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Pkcs11ex } from "../../../src/core/pkcs11ex.ts";
import { Pkcs11exError } from "../../../src/core/errors.ts";
import { importKeypair } from "../../../src/core/slot/import_keypair.ts";
import { readPrivateKeyForImport } from "../../../src/pkcs12/_private_key.ts";
import { makeSelfSigned } from "../../_support/software_keys.ts";
import { runOk } from "../../_support/run.ts";
import { makeTempDir } from "../../_support/tmp.ts";
import { makeSlotToken, nodeVerifies, slotConfig } from "./_fixture.ts";

const token = await makeSlotToken("import");
const work = makeTempDir();

function p12(keyType: "rsa" | "ec"): { path: string; certDer: Uint8Array } {
  const identity = makeSelfSigned(work.dir, keyType, { name: `imported-${keyType}` });
  const path = join(work.dir, `${keyType}.p12`);
  runOk("openssl", [
    "pkcs12",
    "-export",
    "-inkey",
    identity.keyPath,
    "-in",
    identity.certPath,
    "-out",
    path,
    "-passout",
    "pass:bundle-pass",
  ]);
  return { path, certDer: identity.certDer };
}

test("importKeypair puts RSA and EC keys on the token; they sign, non-extractable", async () => {
  const { config } = slotConfig(token, {
    keys: { imported_rsa: { label: "imported-rsa" }, imported_ec: { label: "imported-ec" } },
  });
  await using p11 = await Pkcs11ex.start(config);
  for (
    const [keyType, keyRef, alg] of [["rsa", "imported_rsa", "RS256"], [
      "ec",
      "imported_ec",
      "ES256",
    ]] as const
  ) {
    const bundle = p12(keyType);
    const key = await readPrivateKeyForImport(readFileSync(bundle.path), {
      password: "bundle-pass",
    });
    const parts = key.keyType === "rsa" ? key.rsa!.privateExponent : key.ec!.privateValue;
    await importKeypair(p11, "platform", {
      key,
      certificateDer: bundle.certDer,
      label: `imported-${keyType}`,
    });
    assert.ok(parts.every((b) => b === 0), "key bytes are zeroed after the call");
    const data = new TextEncoder().encode(`signed by the imported ${keyType} key`);
    const signature = await p11.signBytes(data, { signer: keyRef, alg });
    assert.ok(
      bundle.certDer.length > 0 && bundle.certDer.some((b) => b !== 0),
      `certificate bytes intact (${bundle.certDer.length})`,
    );
    assert.ok(nodeVerifies(bundle.certDer, alg, data, signature));
    const signer = await p11.signer(keyRef);
    assert.deepEqual(
      signer.certificates[0],
      bundle.certDer,
      "the certificate was stored with the key",
    );
    const onToken = (await p11.slot.listTokenKeys("platform")).find((k) =>
      k.label === `imported-${keyType}`
    );
    assert.ok(onToken?.hasCertificate);
  }
  // A second import under the same label is refused unless replace is set.
  const again = p12("ec");
  const key = await readPrivateKeyForImport(readFileSync(again.path), { password: "bundle-pass" });
  await assert.rejects(
    importKeypair(p11, "platform", { key, certificateDer: again.certDer, label: "imported-ec" }),
    (err: unknown) => err instanceof Pkcs11exError && err.reason === "key_ambiguous",
  );
  work.cleanup();
});
