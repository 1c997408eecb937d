// Child process of faults_test.ts: starts an instance, signs, closes — and must then exit
// without process.exit(), proving no worker, timer or session keeps it alive.
import process from "node:process";
import { Pkcs11ex } from "../../../src/core/pkcs11ex.ts";
import { SOFTHSM_DRIVER } from "../../../scripts/softhsm/config.ts";

const p11 = await Pkcs11ex.start({
  allowedAlgs: ["ES256"],
  defaultSlot: "platform",
  sessionTimeout: 600_000,
  slots: {
    platform: {
      type: "token",
      driver: SOFTHSM_DRIVER,
      slotMatch: { tokenLabel: process.env.TOKEN_LABEL! },
      pinCallback: () => process.env.TOKEN_PIN!,
      keys: { signing: { label: "ec" } },
    },
  },
});
await p11.signBytes("bye");
await p11.close();
console.log("signed and closed");
