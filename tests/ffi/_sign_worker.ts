// A Web Worker for tests/ffi/workers_test.ts: loads the module (already initialized by the
// test's thread), opens its own session, logs in, signs `count` messages and posts them back.
import { Pkcs11Module } from "../../src/ffi/module.ts";
import { CKO } from "../../src/ffi/constants.ts";

interface Job {
  driver: string;
  tokenLabel: string;
  pin: string;
  keyLabel: string;
  count: number;
  tag: string;
}

self.onmessage = async (event: MessageEvent<Job>) => {
  const job = event.data;
  try {
    const module = await Pkcs11Module.load(job.driver);
    const session = module.openSession(module.findSlotByTokenLabel(job.tokenLabel));
    session.login(new TextEncoder().encode(job.pin));
    const key = session.findOne({ CKA_CLASS: CKO.CKO_PRIVATE_KEY, CKA_LABEL: job.keyLabel });
    const mech = session.mechanism({ mechanism: "CKM_SHA256_RSA_PKCS" });
    const signatures: Uint8Array[] = [];
    for (let i = 0; i < job.count; i++) {
      signatures.push(session.sign(mech, key, new TextEncoder().encode(`${job.tag}-${i}`)));
    }
    session.close();
    self.postMessage({ alreadyInitialized: module.wasAlreadyInitialized, signatures });
  } catch (err) {
    self.postMessage({ error: String((err as Error)?.stack ?? err) });
  }
};
