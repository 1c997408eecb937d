import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Abi, structLayouts, SYSV64, WIN64 } from "../../src/ffi/layout.ts";
import { FUNCTION_LIST, functionOffset } from "../../src/ffi/function_list.ts";
import { runOk } from "../_support/run.ts";
import { makeTempDir } from "../_support/tmp.ts";

/** Flattens the computed layouts into the probe's "STRUCT.field offset" / "STRUCT size N" form. */
function flatten(abi: Abi): Map<string, number> {
  const out = new Map<string, number>();
  for (const [struct, layout] of Object.entries(structLayouts(abi))) {
    out.set(`${struct} size`, layout.size);
    for (const [field, offset] of Object.entries(layout.offsets)) {
      out.set(`${struct}.${field}`, offset as number);
    }
  }
  out.set("CK_FUNCTION_LIST.C_Initialize", functionOffset(abi, "C_Initialize"));
  out.set("CK_FUNCTION_LIST.C_WaitForSlotEvent", functionOffset(abi, "C_WaitForSlotEvent"));
  out.set("CK_FUNCTION_LIST size", functionOffset(abi, "C_WaitForSlotEvent") + abi.pointerSize);
  return out;
}

describe("struct layouts", () => {
  test("match offsetof/sizeof of the C compiler on this machine (sysv64)", () => {
    const { dir, cleanup } = makeTempDir();
    try {
      const source = fileURLToPath(new URL("./layout_probe.c", import.meta.url));
      const exe = join(dir, "layout_probe");
      runOk("cc", ["-I/usr/include/p11-kit-1", source, "-o", exe]);
      const lines = runOk(exe, []).stdout.trim().split("\n");
      const computed = flatten(SYSV64);
      assert.equal(lines.length, computed.size);
      for (const line of lines) {
        const [key, value] = line.split(/ (?=\d+$)/);
        assert.equal(computed.get(key), Number(value), key);
      }
    } finally {
      cleanup();
    }
  });

  test("CK_MECHANISM is 24 bytes on Linux/macOS and 16 packed on Windows", () => {
    assert.equal(structLayouts(SYSV64).CK_MECHANISM.size, 24);
    assert.equal(structLayouts(WIN64).CK_MECHANISM.size, 16);
  });

  test("match the Windows rules: 4-byte CK_ULONG, 1-byte packing", () => {
    // Derived by hand from pkcs11.h under #pragma pack(push, cryptoki, 1) on 64-bit Windows.
    const expected: Record<string, number> = {
      "CK_VERSION size": 2,
      "CK_INFO size": 72,
      "CK_INFO.flags": 34,
      "CK_INFO.libraryDescription": 38,
      "CK_INFO.libraryVersion": 70,
      "CK_SLOT_INFO size": 104,
      "CK_SLOT_INFO.flags": 96,
      "CK_SLOT_INFO.hardwareVersion": 100,
      "CK_SLOT_INFO.firmwareVersion": 102,
      "CK_TOKEN_INFO size": 160,
      "CK_TOKEN_INFO.flags": 96,
      "CK_TOKEN_INFO.ulMaxSessionCount": 100,
      "CK_TOKEN_INFO.ulFreePrivateMemory": 136,
      "CK_TOKEN_INFO.hardwareVersion": 140,
      "CK_TOKEN_INFO.utcTime": 144,
      "CK_SESSION_INFO size": 16,
      "CK_SESSION_INFO.ulDeviceError": 12,
      "CK_ATTRIBUTE size": 16,
      "CK_ATTRIBUTE.pValue": 4,
      "CK_ATTRIBUTE.ulValueLen": 12,
      "CK_MECHANISM.pParameter": 4,
      "CK_MECHANISM.ulParameterLen": 12,
      "CK_MECHANISM_INFO size": 12,
      "CK_MECHANISM_INFO.flags": 8,
      "CK_C_INITIALIZE_ARGS size": 44,
      "CK_C_INITIALIZE_ARGS.flags": 32,
      "CK_C_INITIALIZE_ARGS.pReserved": 36,
      "CK_RSA_PKCS_PSS_PARAMS size": 12,
      "CK_RSA_PKCS_PSS_PARAMS.sLen": 8,
      "CK_FUNCTION_LIST.C_Initialize": 2,
      "CK_FUNCTION_LIST.C_WaitForSlotEvent": 2 + 67 * 8,
    };
    const computed = flatten(WIN64);
    for (const [key, value] of Object.entries(expected)) {
      assert.equal(computed.get(key), value, key);
    }
  });

  test("the function list is the 68 functions of v2.40", () => {
    assert.equal(FUNCTION_LIST.length, 68);
    assert.equal(new Set(FUNCTION_LIST.map(([n]) => n)).size, 68);
  });
});
