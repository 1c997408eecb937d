import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { loadAdapter, platformAbi } from "../../src/ffi/runtime.ts";
import { functionOffset } from "../../src/ffi/function_list.ts";
import { SOFTHSM_DRIVER } from "../../scripts/softhsm/config.ts";

describe("FFI adapter", () => {
  test("binds exports of any signature: handle, void, i32 and size results", async () => {
    const adapter = await loadAdapter();
    const lib = adapter.openLibrary("libcrypto.so.3", {
      EVP_MD_CTX_new: { parameters: [], result: "handle" },
      EVP_MD_CTX_free: { parameters: ["handle"], result: "void" },
      EVP_MD_CTX_reset: { parameters: ["handle"], result: "i32" },
      OpenSSL_version_num: { parameters: [], result: "size" },
    });
    try {
      const ctx = lib.symbols.EVP_MD_CTX_new();
      assert.notEqual(ctx, null);
      assert.equal(lib.symbols.EVP_MD_CTX_reset(ctx as never), 1);
      assert.equal(lib.symbols.EVP_MD_CTX_free(ctx as never), undefined);
      const version = lib.symbols.OpenSSL_version_num();
      assert.equal(typeof version, "bigint");
      assert.equal((version as bigint) >> 28n, 3n); // OpenSSL 3.x
    } finally {
      lib.close();
    }
  });

  test("refuses a library or an export that does not exist", async () => {
    const adapter = await loadAdapter();
    assert.throws(() => adapter.openLibrary("/nonexistent/libnothing.so", {}));
    assert.throws(() =>
      adapter.openLibrary("libcrypto.so.3", {
        no_such_function_here: { parameters: [], result: "i32" },
      })
    );
  });

  test("bindExported calls the function at the address, through the export or not", async () => {
    const adapter = await loadAdapter();
    const abi = platformAbi();
    const lib = adapter.openLibrary(SOFTHSM_DRIVER, {
      C_GetFunctionList: { parameters: ["pointer"], result: "ulong" },
    });
    try {
      const out = new Uint8Array(8);
      assert.equal(Number(lib.symbols.C_GetFunctionList(out)), 0);
      const list = new DataView(out.buffer).getBigUint64(0, true);
      const entry = new DataView(
        adapter.read(list + BigInt(functionOffset(abi, "C_GetInfo")), 8).buffer,
      ).getBigUint64(0, true);
      const answers = [
        adapter.bind(entry, ["pointer"], abi.ulongSize),
        lib.bindExported("C_GetInfo", entry, ["pointer"], abi.ulongSize),
        // Not exported under this name: falls back to the pointer.
        lib.bindExported("C_NoSuchExport", entry, ["pointer"], abi.ulongSize),
      ].map((fn) => {
        const info = new Uint8Array(256);
        return { rv: fn(info), info: [...info] };
      });
      assert.deepEqual(answers[1], answers[0]);
      assert.deepEqual(answers[2], answers[0]);
    } finally {
      lib.close();
    }
  });
});
