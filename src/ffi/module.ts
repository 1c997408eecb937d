/**
 * A loaded PKCS#11 module: integrity pin, `dlopen`, `C_Initialize`, module/slot/token/
 * mechanism information, and sessions. Calls are synchronous and may block: run them on a
 * slot worker, never on the main thread of a server.
 *
 * Module state is process-wide (every worker that loads the same file shares it): a second
 * `C_Initialize` answers `CKR_CRYPTOKI_ALREADY_INITIALIZED`, which is expected, and
 * `C_Finalize` ends the module for the whole process, so only the lifecycle owner calls
 * {@linkcode Pkcs11Module.finalize} after the last user is gone.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Pkcs11exError } from "../core/errors.ts";
import {
  CK_UNAVAILABLE_INFORMATION_64,
  CKF_INIT,
  CKF_MECHANISM,
  CKF_SESSION,
  CKF_SLOT,
  CKF_TOKEN,
  CKR,
  flagNames,
  mechanismName,
} from "./constants.ts";
import { type ModuleContext, paddedString, readUlongArray, UlongCell } from "./context.ts";
import { bindFunctionList } from "./function_list.ts";
import { readUlong, structLayouts, writeUlong } from "./layout.ts";
import { checkRv } from "./rv.ts";
import { loadAdapter, platformAbi } from "./runtime.ts";
import { Session } from "./session.ts";

/** A `CK_VERSION`. */
export interface Version {
  /** The major version number. */
  readonly major: number;
  /** The minor version number. */
  readonly minor: number;
}

/** `CK_INFO`, decoded. */
export interface ModuleInfo {
  /** The Cryptoki version the module implements. */
  readonly cryptokiVersion: Version;
  /** The manufacturer, blank padding removed. */
  readonly manufacturerId: string;
  /** The raw flags. */
  readonly flags: number;
  /** The library description, blank padding removed. */
  readonly libraryDescription: string;
  /** The library version. */
  readonly libraryVersion: Version;
}

/** `CK_SLOT_INFO`, decoded. */
export interface SlotInfo {
  /** The slot id. */
  readonly slotId: bigint;
  /** The slot description, blank padding removed. */
  readonly description: string;
  /** The manufacturer, blank padding removed. */
  readonly manufacturerId: string;
  /** The raw flags. */
  readonly flags: number;
  /** The names of the flags that are set. */
  readonly flagNames: readonly string[];
  /** Whether a token is in the slot. */
  readonly tokenPresent: boolean;
  /** The hardware version. */
  readonly hardwareVersion: Version;
  /** The firmware version. */
  readonly firmwareVersion: Version;
}

/** `CK_TOKEN_INFO`, decoded; counters are `null` when the token says unavailable. */
export interface TokenInfo {
  /** The slot id. */
  readonly slotId: bigint;
  /** The token label, blank padding removed. */
  readonly label: string;
  /** The manufacturer, blank padding removed. */
  readonly manufacturerId: string;
  /** The token model, blank padding removed. */
  readonly model: string;
  /** The token serial number, blank padding removed. */
  readonly serialNumber: string;
  /** The raw flags. */
  readonly flags: number;
  /** The names of the flags that are set. */
  readonly flagNames: readonly string[];
  /** `ulMaxSessionCount`, or `null` when unavailable. */
  readonly maxSessionCount: number | null;
  /** `ulSessionCount`, or `null` when unavailable. */
  readonly sessionCount: number | null;
  /** `ulMaxRwSessionCount`, or `null` when unavailable. */
  readonly maxRwSessionCount: number | null;
  /** `ulRwSessionCount`, or `null` when unavailable. */
  readonly rwSessionCount: number | null;
  /** `ulMaxPinLen`, or `null` when unavailable. */
  readonly maxPinLen: number | null;
  /** `ulMinPinLen`, or `null` when unavailable. */
  readonly minPinLen: number | null;
  /** `ulTotalPublicMemory`, or `null` when unavailable. */
  readonly totalPublicMemory: number | null;
  /** `ulFreePublicMemory`, or `null` when unavailable. */
  readonly freePublicMemory: number | null;
  /** `ulTotalPrivateMemory`, or `null` when unavailable. */
  readonly totalPrivateMemory: number | null;
  /** `ulFreePrivateMemory`, or `null` when unavailable. */
  readonly freePrivateMemory: number | null;
  /** The hardware version. */
  readonly hardwareVersion: Version;
  /** The firmware version. */
  readonly firmwareVersion: Version;
  /** The token clock (`YYYYMMDDhhmmss00`), empty without a clock. */
  readonly utcTime: string;
}

/** `CK_MECHANISM_INFO`, decoded, with the mechanism's name. */
export interface MechanismInfo {
  /** The mechanism type. */
  readonly type: number;
  /** The mechanism name (`CKM_…`) or its hex value. */
  readonly name: string;
  /** The smallest key size. */
  readonly minKeySize: number;
  /** The largest key size. */
  readonly maxKeySize: number;
  /** The raw flags. */
  readonly flags: number;
  /** The names of the flags that are set. */
  readonly flagNames: readonly string[];
}

/** Options of {@linkcode Pkcs11Module.load}. */
export interface LoadOptions {
  /** The expected SHA-256 (hex) of the module file, checked before `dlopen`. */
  readonly sha256?: string;
  /** A vendor configuration string passed as `CK_C_INITIALIZE_ARGS.pReserved`. */
  readonly reserved?: string;
}

/** Opened libraries of this thread by path: one `dlopen` per thread per file, never closed. */
const libraries = new Map<string, ModuleContext>();

/**
 * Whether this thread has loaded the module at `path` with {@linkcode Pkcs11Module.load}.
 * The process-wide lifecycle owner uses it: a module this thread also uses directly is
 * never finalized on its behalf.
 */
export function isLoadedInThisThread(path: string): boolean {
  return libraries.has(path);
}

/** Hashes the module file and compares it with the pin (before any `dlopen`). */
export function checkDriverPin(path: string, expectedHex: string): void {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    const code = (cause as { code?: string }).code ?? "EIO";
    throw new Pkcs11exError(
      "driver_load_failed",
      `Cannot read the PKCS#11 module ${path} (${code})`,
      {
        detail: { path, posix: code },
        cause,
      },
    );
  }
  const got = createHash("sha256").update(bytes).digest("hex");
  const expected = expectedHex.toLowerCase();
  if (got !== expected) {
    throw new Pkcs11exError(
      "driver_pin_mismatch",
      `The PKCS#11 module ${path} does not match its pin: SHA-256 ${got}, pinned ${expected}`,
      { detail: { path, expected, got } },
    );
  }
}

async function openLibrary(path: string): Promise<ModuleContext> {
  const cached = libraries.get(path);
  if (cached !== undefined) return cached;
  const adapter = await loadAdapter();
  const abi = platformAbi();
  let lib;
  try {
    lib = adapter.openLibrary(path, {
      C_GetFunctionList: { parameters: ["pointer"], result: "ulong" },
    });
  } catch (cause) {
    throw new Pkcs11exError("driver_load_failed", `Cannot load the PKCS#11 module ${path}`, {
      detail: { path, message: String((cause as Error)?.message ?? cause) },
      cause,
    });
  }
  const out = new Uint8Array(8);
  const rv = Number(lib.symbols.C_GetFunctionList(out));
  if (rv !== CKR.CKR_OK) {
    lib.close();
    throw new Pkcs11exError("driver_load_failed", `C_GetFunctionList of ${path} failed`, {
      detail: { path, rv },
    });
  }
  const listAddress = new DataView(out.buffer).getBigUint64(0, true);
  const fns = bindFunctionList(adapter, abi, listAddress, lib);
  const context: ModuleContext = { adapter, abi, layouts: structLayouts(abi), fns };
  libraries.set(path, context);
  return context;
}

function version(bytes: Uint8Array, offset: number): Version {
  return { major: bytes[offset], minor: bytes[offset + 1] };
}

/**
 * A PKCS#11 module loaded in this thread.
 *
 * @example
 * ```ts ignore
 * const module = await Pkcs11Module.load("/usr/lib/softhsm/libsofthsm2.so");
 * const slot = module.findSlotByTokenLabel("demo");
 * using session = module.openSession(slot);
 * ```
 */
export class Pkcs11Module {
  /** The file this module was loaded from. */
  readonly path: string;
  /** Whether this load's `C_Initialize` found the module already initialized. */
  readonly wasAlreadyInitialized: boolean;
  readonly #ctx: ModuleContext;

  private constructor(path: string, ctx: ModuleContext, alreadyInitialized: boolean) {
    this.path = path;
    this.#ctx = ctx;
    this.wasAlreadyInitialized = alreadyInitialized;
  }

  /**
   * Loads and initializes a module: checks the pin (`driver_pin_mismatch`), opens it
   * (`driver_load_failed`) and calls `C_Initialize` with `CKF_OS_LOCKING_OK`.
   */
  static async load(path: string, options: LoadOptions = {}): Promise<Pkcs11Module> {
    if (typeof path !== "string" || path === "") {
      throw new TypeError("Cannot load a PKCS#11 module: the path must be a non-empty string");
    }
    if (options.sha256 !== undefined) checkDriverPin(path, options.sha256);
    const context = await openLibrary(path);
    const { abi, layouts, adapter, fns } = context;
    const { size, offsets } = layouts.CK_C_INITIALIZE_ARGS;
    const args = new Uint8Array(size);
    const view = new DataView(args.buffer);
    writeUlong(view, offsets.flags, BigInt(CKF_INIT.CKF_OS_LOCKING_OK), abi);
    const reserved = options.reserved === undefined
      ? null
      : new TextEncoder().encode(`${options.reserved}\0`);
    if (reserved !== null) view.setBigUint64(offsets.pReserved, adapter.addressOf(reserved), true);
    const rv = fns.C_Initialize(args);
    void reserved?.length; // keep the nested buffer reachable until the call returned
    const already = rv === CKR.CKR_CRYPTOKI_ALREADY_INITIALIZED;
    if (!already) checkRv(rv, "C_Initialize");
    return new Pkcs11Module(path, context, already);
  }

  /** `C_GetInfo`. */
  info(): ModuleInfo {
    const { size, offsets } = this.#ctx.layouts.CK_INFO;
    const buf = new Uint8Array(size);
    checkRv(this.#ctx.fns.C_GetInfo(buf), "C_GetInfo");
    const view = new DataView(buf.buffer);
    return {
      cryptokiVersion: version(buf, offsets.cryptokiVersion),
      manufacturerId: paddedString(
        buf.subarray(offsets.manufacturerID, offsets.manufacturerID + 32),
      ),
      flags: Number(readUlong(view, offsets.flags, this.#ctx.abi)),
      libraryDescription: paddedString(
        buf.subarray(offsets.libraryDescription, offsets.libraryDescription + 32),
      ),
      libraryVersion: version(buf, offsets.libraryVersion),
    };
  }

  /** `C_GetSlotList`: the slot ids, by default only those with a token present. */
  slots(tokenPresent = true): bigint[] {
    const { fns, abi } = this.#ctx;
    const count = new UlongCell(abi);
    // Get the count, allocate, then fetch; retry if the list grew in between.
    for (;;) {
      checkRv(fns.C_GetSlotList(tokenPresent ? 1n : 0n, null, count.bytes), "C_GetSlotList");
      const n = Number(count.get());
      const list = new Uint8Array(Math.max(1, n) * abi.ulongSize);
      const rv = fns.C_GetSlotList(tokenPresent ? 1n : 0n, list, count.bytes);
      if (rv === CKR.CKR_BUFFER_TOO_SMALL) continue;
      checkRv(rv, "C_GetSlotList");
      return readUlongArray(list, Number(count.get()), abi);
    }
  }

  /** `C_GetSlotInfo`. */
  slotInfo(slotId: bigint): SlotInfo {
    const { size, offsets } = this.#ctx.layouts.CK_SLOT_INFO;
    const buf = new Uint8Array(size);
    checkRv(this.#ctx.fns.C_GetSlotInfo(slotId, buf), "C_GetSlotInfo");
    const flags = Number(readUlong(new DataView(buf.buffer), offsets.flags, this.#ctx.abi));
    return {
      slotId,
      description: paddedString(
        buf.subarray(offsets.slotDescription, offsets.slotDescription + 64),
      ),
      manufacturerId: paddedString(
        buf.subarray(offsets.manufacturerID, offsets.manufacturerID + 32),
      ),
      flags,
      flagNames: flagNames(flags, CKF_SLOT),
      tokenPresent: (flags & CKF_SLOT.CKF_TOKEN_PRESENT) !== 0,
      hardwareVersion: version(buf, offsets.hardwareVersion),
      firmwareVersion: version(buf, offsets.firmwareVersion),
    };
  }

  /** `C_GetTokenInfo`, with the blank-padded fields trimmed. */
  tokenInfo(slotId: bigint): TokenInfo {
    const { abi, layouts, fns } = this.#ctx;
    const { size, offsets: o } = layouts.CK_TOKEN_INFO;
    const buf = new Uint8Array(size);
    checkRv(fns.C_GetTokenInfo(slotId, buf), "C_GetTokenInfo");
    const view = new DataView(buf.buffer);
    const counter = (offset: number): number | null => {
      const value = readUlong(view, offset, abi);
      const unavailable = abi.ulongSize === 8 ? CK_UNAVAILABLE_INFORMATION_64 : 0xffffffffn;
      return value === unavailable ? null : Number(value);
    };
    const flags = Number(readUlong(view, o.flags, abi));
    return {
      slotId,
      label: paddedString(buf.subarray(o.label, o.label + 32)),
      manufacturerId: paddedString(buf.subarray(o.manufacturerID, o.manufacturerID + 32)),
      model: paddedString(buf.subarray(o.model, o.model + 16)),
      serialNumber: paddedString(buf.subarray(o.serialNumber, o.serialNumber + 16)),
      flags,
      flagNames: flagNames(flags, CKF_TOKEN),
      maxSessionCount: counter(o.ulMaxSessionCount),
      sessionCount: counter(o.ulSessionCount),
      maxRwSessionCount: counter(o.ulMaxRwSessionCount),
      rwSessionCount: counter(o.ulRwSessionCount),
      maxPinLen: counter(o.ulMaxPinLen),
      minPinLen: counter(o.ulMinPinLen),
      totalPublicMemory: counter(o.ulTotalPublicMemory),
      freePublicMemory: counter(o.ulFreePublicMemory),
      totalPrivateMemory: counter(o.ulTotalPrivateMemory),
      freePrivateMemory: counter(o.ulFreePrivateMemory),
      hardwareVersion: version(buf, o.hardwareVersion),
      firmwareVersion: version(buf, o.firmwareVersion),
      utcTime: paddedString(buf.subarray(o.utcTime, o.utcTime + 16)),
    };
  }

  /** The first slot whose token label is `label`; `slot_not_found` when none. */
  findSlotByTokenLabel(label: string): bigint {
    for (const slotId of this.slots(true)) {
      if (this.tokenInfo(slotId).label === label) return slotId;
    }
    throw new Pkcs11exError("slot_not_found", `No token labelled "${label}" in ${this.path}`, {
      detail: { tokenLabel: label },
    });
  }

  /** `C_GetMechanismList`. */
  mechanisms(slotId: bigint): number[] {
    const { fns, abi } = this.#ctx;
    const count = new UlongCell(abi);
    checkRv(fns.C_GetMechanismList(slotId, null, count.bytes), "C_GetMechanismList");
    const list = new Uint8Array(Math.max(1, Number(count.get())) * abi.ulongSize);
    checkRv(fns.C_GetMechanismList(slotId, list, count.bytes), "C_GetMechanismList");
    return readUlongArray(list, Number(count.get()), abi).map(Number);
  }

  /** `C_GetMechanismInfo`. */
  mechanismInfo(slotId: bigint, type: number): MechanismInfo {
    const { abi, layouts, fns } = this.#ctx;
    const { size, offsets } = layouts.CK_MECHANISM_INFO;
    const buf = new Uint8Array(size);
    checkRv(fns.C_GetMechanismInfo(slotId, BigInt(type), buf), "C_GetMechanismInfo");
    const view = new DataView(buf.buffer);
    const flags = Number(readUlong(view, offsets.flags, abi));
    return {
      type,
      name: mechanismName(type),
      minKeySize: Number(readUlong(view, offsets.ulMinKeySize, abi)),
      maxKeySize: Number(readUlong(view, offsets.ulMaxKeySize, abi)),
      flags,
      flagNames: flagNames(flags, CKF_MECHANISM),
    };
  }

  /** `C_OpenSession` (serial, read-write unless `readWrite: false`). */
  openSession(slotId: bigint, options: { readWrite?: boolean } = {}): Session {
    const { fns, abi } = this.#ctx;
    const flags = CKF_SESSION.CKF_SERIAL_SESSION |
      (options.readWrite === false ? 0 : CKF_SESSION.CKF_RW_SESSION);
    const handle = new UlongCell(abi);
    checkRv(fns.C_OpenSession(slotId, BigInt(flags), null, null, handle.bytes), "C_OpenSession");
    return new Session(this.#ctx, handle.get(), slotId);
  }

  /**
   * `C_InitToken`: (re)initializes the token in `slotId` with an SO PIN and a label of at
   * most 32 bytes. Destroys every object on it. The SO PIN bytes are zeroed afterwards.
   */
  initToken(slotId: bigint, soPin: Uint8Array, label: string): void {
    const encoded = new TextEncoder().encode(label);
    if (encoded.length > 32) {
      soPin.fill(0);
      throw new RangeError(
        `Cannot initialize a token: the label is ${encoded.length} bytes (max 32)`,
      );
    }
    const padded = new Uint8Array(32).fill(0x20);
    padded.set(encoded);
    try {
      checkRv(
        this.#ctx.fns.C_InitToken(slotId, soPin, BigInt(soPin.length), padded),
        "C_InitToken",
      );
    } finally {
      soPin.fill(0);
    }
  }

  /** `C_CloseAllSessions`: closes every session of this process on the slot. */
  closeAllSessions(slotId: bigint): void {
    checkRv(this.#ctx.fns.C_CloseAllSessions(slotId), "C_CloseAllSessions");
  }

  /**
   * `C_Finalize`: ends the module for the whole process (every worker). Call it only
   * once the last user is gone; `CKR_CRYPTOKI_NOT_INITIALIZED` is not an error.
   */
  finalize(): void {
    const rv = this.#ctx.fns.C_Finalize(null);
    if (rv !== CKR.CKR_CRYPTOKI_NOT_INITIALIZED) checkRv(rv, "C_Finalize");
  }
}
