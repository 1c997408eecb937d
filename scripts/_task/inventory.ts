/**
 * What a PKCS#11 driver shows: module info, every slot with its token, the mechanisms
 * with key sizes and flags, and the keys and certificates on each token (public objects
 * only, unless a PIN logs in). Read-only sessions; the PIN bytes are zeroed after use.
 *
 * @module
 */
import { parseCertificate } from "../../src/core/x509.ts";
import { readOid, readWhole } from "../../src/core/x509/der.ts";
import { toHex } from "../../src/core/x509/hex.ts";
import { CKO, keyTypeName, objectClassName } from "../../src/ffi/constants.ts";
import type {
  MechanismInfo,
  ModuleInfo,
  Pkcs11Module,
  SlotInfo,
  TokenInfo,
} from "../../src/ffi/module.ts";
import type { Session } from "../../src/ffi/session.ts";
import { describeFailure } from "./errors.ts";

/** A key or certificate on a token. */
export interface ObjectReport {
  /** `CKO_PRIVATE_KEY`, `CKO_PUBLIC_KEY` or `CKO_CERTIFICATE`. */
  readonly class: string;
  /** `CKA_LABEL`. */
  readonly label: string;
  /** `CKA_ID`, hex. */
  readonly id: string;
  /** The key type (`CKK_RSA`, `CKK_EC`, …) of a key. */
  readonly keyType?: string;
  /** RSA modulus bits. */
  readonly keySize?: number;
  /** The curve of an EC or Edwards key (name, else the OID). */
  readonly curve?: string;
  /** The subject DN of a certificate. */
  readonly subject?: string;
  /** The end of a certificate's validity, ISO 8601. */
  readonly notAfter?: string;
}

/** One slot and what is in it. */
export interface SlotReport {
  /** `C_GetSlotInfo`. */
  readonly slot: SlotInfo;
  /** `C_GetTokenInfo`, or `null` without a token. */
  readonly token: TokenInfo | null;
  /** Every mechanism with its info (empty without a token). */
  readonly mechanisms: MechanismInfo[];
  /** Whether the objects were listed after a successful login. */
  readonly loggedIn: boolean;
  /** The login failure message, if a PIN was given and refused. */
  readonly loginError?: string;
  /** The keys and certificates, or `null` when the token is not initialized. */
  readonly objects: ObjectReport[] | null;
}

/** One driver and its slots. */
export interface DriverReport {
  /** The module path. */
  readonly driver: string;
  /** `C_GetInfo`. */
  readonly info: ModuleInfo;
  /** Every slot, with or without a token. */
  readonly slots: SlotReport[];
}

/** Options of {@linkcode inventory}. */
export interface InventoryOptions {
  /** Only the token with this label. */
  readonly tokenLabel?: string;
  /** Only this slot id. */
  readonly slotId?: bigint;
  /** The user PIN; a copy logs in to each selected token and is zeroed. */
  readonly pin?: Uint8Array;
}

const CURVES: Record<string, string> = {
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
  "1.3.132.0.35": "P-521",
  "1.3.101.112": "Ed25519",
  "1.3.101.113": "Ed448",
};

function curveName(params: Uint8Array): string {
  try {
    const oid = readOid(params, readWhole(params, 0x06));
    return CURVES[oid] ?? oid;
  } catch {
    return `params ${toHex(params)}`;
  }
}

function bitLength(magnitude: Uint8Array): number {
  let i = 0;
  while (i < magnitude.length && magnitude[i] === 0) i++;
  if (i === magnitude.length) return 0;
  return (magnitude.length - i - 1) * 8 + (32 - Math.clz32(magnitude[i]));
}

function describeObject(session: Session, handle: bigint): ObjectReport {
  const base = session.getAttributes(handle, ["CKA_CLASS", "CKA_LABEL", "CKA_ID"]);
  const cls = Number(base.CKA_CLASS);
  const report = {
    class: objectClassName(cls),
    label: String(base.CKA_LABEL ?? ""),
    id: base.CKA_ID instanceof Uint8Array ? toHex(base.CKA_ID) : "",
  };
  if (cls === CKO.CKO_CERTIFICATE) {
    const { CKA_VALUE } = session.getAttributes(handle, ["CKA_VALUE"]);
    try {
      const cert = parseCertificate(CKA_VALUE as Uint8Array);
      return { ...report, subject: cert.subject, notAfter: cert.notAfter.toISOString() };
    } catch {
      return { ...report, subject: "(not a readable X.509 certificate)" };
    }
  }
  const key = session.getAttributes(handle, ["CKA_KEY_TYPE", "CKA_MODULUS", "CKA_EC_PARAMS"]);
  return {
    ...report,
    keyType: keyTypeName(Number(key.CKA_KEY_TYPE)),
    ...(key.CKA_MODULUS instanceof Uint8Array ? { keySize: bitLength(key.CKA_MODULUS) } : {}),
    ...(key.CKA_EC_PARAMS instanceof Uint8Array ? { curve: curveName(key.CKA_EC_PARAMS) } : {}),
  };
}

function listObjects(session: Session): ObjectReport[] {
  const classes = [CKO.CKO_PRIVATE_KEY, CKO.CKO_PUBLIC_KEY, CKO.CKO_CERTIFICATE];
  return classes.flatMap((cls) =>
    session.findObjects({ CKA_CLASS: cls }).map((h) => describeObject(session, h))
  ).sort((a, b) => a.label.localeCompare(b.label) || a.class.localeCompare(b.class));
}

function reportSlot(module: Pkcs11Module, slot: SlotInfo, pin: Uint8Array | undefined): SlotReport {
  if (!slot.tokenPresent) {
    return { slot, token: null, mechanisms: [], loggedIn: false, objects: null };
  }
  const token = module.tokenInfo(slot.slotId);
  const mechanisms = module.mechanisms(slot.slotId).map((m) =>
    module.mechanismInfo(slot.slotId, m)
  );
  if (!token.flagNames.includes("CKF_TOKEN_INITIALIZED")) {
    return { slot, token, mechanisms, loggedIn: false, objects: null };
  }
  using session = module.openSession(slot.slotId, { readWrite: false });
  let loggedIn = false;
  let loginError: string | undefined;
  if (pin !== undefined) {
    try {
      session.login(pin.slice()); // login zeroes its copy
      loggedIn = true;
    } catch (error) {
      loginError = describeFailure(error);
    }
  }
  const objects = listObjects(session);
  if (loggedIn) session.logout();
  return { slot, token, mechanisms, loggedIn, ...(loginError ? { loginError } : {}), objects };
}

/** Reads every slot of `module` (narrowed by `options`), logging in when a PIN is given. */
export function inventory(module: Pkcs11Module, options: InventoryOptions = {}): DriverReport {
  const slots = module.slots(false).map((id) => module.slotInfo(id)).filter((slot) => {
    if (options.slotId !== undefined && slot.slotId !== options.slotId) return false;
    if (options.tokenLabel === undefined) return true;
    return slot.tokenPresent && module.tokenInfo(slot.slotId).label === options.tokenLabel;
  });
  return {
    driver: module.path,
    info: module.info(),
    slots: slots.map((slot) => reportSlot(module, slot, options.pin)),
  };
}
