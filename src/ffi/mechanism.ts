/**
 * `CK_MECHANISM` buffers, with their parameter structs kept reachable from JS: a
 * `CK_RSA_PKCS_PSS_PARAMS` whose address sits inside a `CK_MECHANISM` is referenced by
 * nothing the engine can see, so the {@linkcode NativeMechanism} holds it.
 *
 * @module
 */
import type { FfiAdapter } from "./adapter.ts";
import { CKG, CKM } from "./constants.ts";
import { type Abi, type StructLayouts, writeUlong } from "./layout.ts";

/** RSA-PSS parameters by name. */
export interface PssParams {
  /** The hash mechanism, e.g. `CKM_SHA256`. */
  readonly hashAlg: keyof typeof CKM | string;
  /** The mask generation function, e.g. `CKG_MGF1_SHA256`. */
  readonly mgf: string;
  /** The salt length in bytes. */
  readonly sLen: number;
}

/** A mechanism as plain data: its name and, for RSA-PSS, its parameters. */
export interface MechanismSpec {
  /** The mechanism name, e.g. `CKM_SHA256_RSA_PKCS_PSS`. */
  readonly mechanism: keyof typeof CKM | string;
  /** RSA-PSS parameters (required by the PSS mechanisms). */
  readonly pss?: PssParams;
}

/** A `CK_MECHANISM` in native memory. */
export interface NativeMechanism {
  /** The `CK_MECHANISM` bytes. */
  readonly struct: Uint8Array;
  /** The parameter bytes the struct points at, held for the garbage collector. */
  readonly parameter: Uint8Array | null;
  /** The mechanism type. */
  readonly type: number;
}

/** The numeric type of a mechanism name (or a number given as is). */
export function mechanismType(name: string | number): number {
  if (typeof name === "number") return name;
  const type = (CKM as Record<string, number>)[name];
  if (type === undefined) throw new TypeError(`Unknown mechanism ${name}`);
  return type;
}

/** Lays out a `CK_MECHANISM` (and its parameters) for `spec`. */
export function buildMechanism(
  adapter: FfiAdapter,
  abi: Abi,
  layouts: StructLayouts,
  spec: MechanismSpec,
): NativeMechanism {
  const type = mechanismType(spec.mechanism);
  let parameter: Uint8Array | null = null;
  if (spec.pss !== undefined) {
    const { size, offsets } = layouts.CK_RSA_PKCS_PSS_PARAMS;
    parameter = new Uint8Array(size);
    const view = new DataView(parameter.buffer);
    writeUlong(view, offsets.hashAlg, BigInt(mechanismType(spec.pss.hashAlg)), abi);
    const mgf = (CKG as Record<string, number>)[spec.pss.mgf];
    if (mgf === undefined) throw new TypeError(`Unknown MGF ${spec.pss.mgf}`);
    writeUlong(view, offsets.mgf, BigInt(mgf), abi);
    writeUlong(view, offsets.sLen, BigInt(spec.pss.sLen), abi);
  }
  const { size, offsets } = layouts.CK_MECHANISM;
  const struct = new Uint8Array(size);
  const view = new DataView(struct.buffer);
  writeUlong(view, offsets.mechanism, BigInt(type), abi);
  if (parameter !== null) {
    view.setBigUint64(offsets.pParameter, adapter.addressOf(parameter), true);
    writeUlong(view, offsets.ulParameterLen, BigInt(parameter.length), abi);
  }
  return { struct, parameter, type };
}
