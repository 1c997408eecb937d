/**
 * Struct layouts of the PKCS#11 types the binding uses, computed from the platform ABI:
 * the size of `CK_ULONG` and the packing. Linux and macOS use an 8-byte `CK_ULONG` with
 * natural alignment; Windows uses a 4-byte `CK_ULONG` with 1-byte packing (`#pragma pack(1)`).
 *
 * @module
 */

/** The C ABI facts that decide PKCS#11 struct layouts. */
export interface Abi {
  /** A short name for messages and tests. */
  readonly name: "sysv64" | "win64";
  /** `sizeof(CK_ULONG)`. */
  readonly ulongSize: 4 | 8;
  /** `sizeof(void *)`. */
  readonly pointerSize: 8;
  /** Whether structs are packed to 1 byte (Windows) rather than naturally aligned. */
  readonly packed: boolean;
}

/** Linux and macOS on 64-bit processors. */
export const SYSV64: Abi = { name: "sysv64", ulongSize: 8, pointerSize: 8, packed: false };
/** 64-bit Windows (`CK_ULONG` is a 32-bit `unsigned long`, structs packed to 1 byte). */
export const WIN64: Abi = { name: "win64", ulongSize: 4, pointerSize: 8, packed: true };

/** The ABI of the running platform. */
export function currentAbi(platform: string): Abi {
  return platform === "win32" || platform === "windows" ? WIN64 : SYSV64;
}

/** A field type: a `CK_ULONG`, a pointer, a `CK_VERSION`, or a fixed byte array. */
type FieldType = "ulong" | "pointer" | "version" | { bytes: number };

/** The computed layout of one struct. */
export interface StructLayout<F extends string> {
  /** `sizeof` the struct, trailing padding included. */
  readonly size: number;
  /** `offsetof` each field. */
  readonly offsets: Readonly<Record<F, number>>;
}

function sizeAndAlign(abi: Abi, type: FieldType): [number, number] {
  if (type === "ulong") return [abi.ulongSize, abi.ulongSize];
  if (type === "pointer") return [abi.pointerSize, abi.pointerSize];
  if (type === "version") return [2, 1];
  return [type.bytes, 1];
}

function roundUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}

/** Lays out a struct's fields in order under the given ABI. */
export function layoutStruct<F extends string>(
  abi: Abi,
  fields: ReadonlyArray<readonly [F, FieldType]>,
): StructLayout<F> {
  let offset = 0;
  let structAlign = 1;
  const offsets = {} as Record<F, number>;
  for (const [name, type] of fields) {
    const [size, natural] = sizeAndAlign(abi, type);
    const align = abi.packed ? 1 : natural;
    offset = roundUp(offset, align);
    offsets[name] = offset;
    offset += size;
    structAlign = Math.max(structAlign, align);
  }
  return { size: roundUp(offset, structAlign), offsets };
}

/** The struct layouts of one ABI, by struct name. */
export interface StructLayouts {
  CK_VERSION: StructLayout<"major" | "minor">;
  CK_INFO: StructLayout<
    "cryptokiVersion" | "manufacturerID" | "flags" | "libraryDescription" | "libraryVersion"
  >;
  CK_SLOT_INFO: StructLayout<
    "slotDescription" | "manufacturerID" | "flags" | "hardwareVersion" | "firmwareVersion"
  >;
  CK_TOKEN_INFO: StructLayout<
    | "label"
    | "manufacturerID"
    | "model"
    | "serialNumber"
    | "flags"
    | "ulMaxSessionCount"
    | "ulSessionCount"
    | "ulMaxRwSessionCount"
    | "ulRwSessionCount"
    | "ulMaxPinLen"
    | "ulMinPinLen"
    | "ulTotalPublicMemory"
    | "ulFreePublicMemory"
    | "ulTotalPrivateMemory"
    | "ulFreePrivateMemory"
    | "hardwareVersion"
    | "firmwareVersion"
    | "utcTime"
  >;
  CK_SESSION_INFO: StructLayout<"slotID" | "state" | "flags" | "ulDeviceError">;
  CK_ATTRIBUTE: StructLayout<"type" | "pValue" | "ulValueLen">;
  CK_MECHANISM: StructLayout<"mechanism" | "pParameter" | "ulParameterLen">;
  CK_MECHANISM_INFO: StructLayout<"ulMinKeySize" | "ulMaxKeySize" | "flags">;
  CK_C_INITIALIZE_ARGS: StructLayout<
    "CreateMutex" | "DestroyMutex" | "LockMutex" | "UnlockMutex" | "flags" | "pReserved"
  >;
  CK_RSA_PKCS_PSS_PARAMS: StructLayout<"hashAlg" | "mgf" | "sLen">;
}

/** Every struct layout the binding needs, for one ABI. */
export function structLayouts(abi: Abi): StructLayouts {
  return {
    CK_VERSION: layoutStruct(abi, [["major", { bytes: 1 }], ["minor", { bytes: 1 }]]),
    CK_INFO: layoutStruct(abi, [
      ["cryptokiVersion", "version"],
      ["manufacturerID", { bytes: 32 }],
      ["flags", "ulong"],
      ["libraryDescription", { bytes: 32 }],
      ["libraryVersion", "version"],
    ]),
    CK_SLOT_INFO: layoutStruct(abi, [
      ["slotDescription", { bytes: 64 }],
      ["manufacturerID", { bytes: 32 }],
      ["flags", "ulong"],
      ["hardwareVersion", "version"],
      ["firmwareVersion", "version"],
    ]),
    CK_TOKEN_INFO: layoutStruct(abi, [
      ["label", { bytes: 32 }],
      ["manufacturerID", { bytes: 32 }],
      ["model", { bytes: 16 }],
      ["serialNumber", { bytes: 16 }],
      ["flags", "ulong"],
      ["ulMaxSessionCount", "ulong"],
      ["ulSessionCount", "ulong"],
      ["ulMaxRwSessionCount", "ulong"],
      ["ulRwSessionCount", "ulong"],
      ["ulMaxPinLen", "ulong"],
      ["ulMinPinLen", "ulong"],
      ["ulTotalPublicMemory", "ulong"],
      ["ulFreePublicMemory", "ulong"],
      ["ulTotalPrivateMemory", "ulong"],
      ["ulFreePrivateMemory", "ulong"],
      ["hardwareVersion", "version"],
      ["firmwareVersion", "version"],
      ["utcTime", { bytes: 16 }],
    ]),
    CK_SESSION_INFO: layoutStruct(abi, [
      ["slotID", "ulong"],
      ["state", "ulong"],
      ["flags", "ulong"],
      ["ulDeviceError", "ulong"],
    ]),
    CK_ATTRIBUTE: layoutStruct(abi, [
      ["type", "ulong"],
      ["pValue", "pointer"],
      ["ulValueLen", "ulong"],
    ]),
    CK_MECHANISM: layoutStruct(abi, [
      ["mechanism", "ulong"],
      ["pParameter", "pointer"],
      ["ulParameterLen", "ulong"],
    ]),
    CK_MECHANISM_INFO: layoutStruct(abi, [
      ["ulMinKeySize", "ulong"],
      ["ulMaxKeySize", "ulong"],
      ["flags", "ulong"],
    ]),
    CK_C_INITIALIZE_ARGS: layoutStruct(abi, [
      ["CreateMutex", "pointer"],
      ["DestroyMutex", "pointer"],
      ["LockMutex", "pointer"],
      ["UnlockMutex", "pointer"],
      ["flags", "ulong"],
      ["pReserved", "pointer"],
    ]),
    CK_RSA_PKCS_PSS_PARAMS: layoutStruct(abi, [
      ["hashAlg", "ulong"],
      ["mgf", "ulong"],
      ["sLen", "ulong"],
    ]),
  };
}

/** Reads a `CK_ULONG` at `offset`. */
export function readUlong(view: DataView, offset: number, abi: Abi): bigint {
  return abi.ulongSize === 8
    ? view.getBigUint64(offset, true)
    : BigInt(view.getUint32(offset, true));
}

/** Writes a `CK_ULONG` at `offset`. */
export function writeUlong(view: DataView, offset: number, value: bigint, abi: Abi): void {
  if (abi.ulongSize === 8) view.setBigUint64(offset, value, true);
  else view.setUint32(offset, Number(value), true);
}
