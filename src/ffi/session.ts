/**
 * One PKCS#11 session: login, objects and attributes, key generation, sign / verify /
 * digest (single- and multi-part). Synchronous and blocking; owned by one thread. A
 * session is not safe to share between concurrent callers: its owner serializes calls.
 *
 * @module
 */
import { Pkcs11exError } from "../core/errors.ts";
import {
  type AttributeTemplate,
  type AttributeValue,
  buildNativeTemplate,
  decodeAttributeValue,
  encodeTemplate,
} from "./attributes.ts";
import { type AttributeName, CKA, CKR, CKS, CKU } from "./constants.ts";
import { type ModuleContext, readUlongArray, UlongCell } from "./context.ts";
import { readUlong } from "./layout.ts";
import { buildMechanism, type MechanismSpec, type NativeMechanism } from "./mechanism.ts";
import { checkRv } from "./rv.ts";
import { FreshCopies } from "./fresh_copies.ts";

/** `CK_SESSION_INFO`, decoded. */
export interface SessionInfo {
  /** The slot of the session. */
  readonly slotId: bigint;
  /** The session state (`CKS_…`). */
  readonly state: number;
  /** The session flags (`CKF_RW_SESSION`, …). */
  readonly flags: number;
  /** The device-specific error code. */
  readonly deviceError: number;
  /** Whether the session state says a user or SO is logged in. */
  readonly loggedIn: boolean;
}

/** The handles of a generated key pair. */
export interface KeyPairHandles {
  /** The public key handle. */
  readonly publicKey: bigint;
  /** The private key handle. */
  readonly privateKey: bigint;
}

const FIND_BATCH = 64;

/** A PKCS#11 session handle with typed operations. */
export class Session {
  /** The session handle (a bigint: devices hand out values above 2^53). */
  readonly handle: bigint;
  /** The slot the session was opened on. */
  readonly slotId: bigint;
  readonly #ctx: ModuleContext;
  readonly #length: UlongCell;
  #scratch = new Uint8Array(1024);
  /** The caller-owned copies of outputs (see fresh_copies.ts). */
  readonly #copies = new FreshCopies();
  #closed = false;

  /** Wraps a handle opened by `Pkcs11Module.openSession`. */
  constructor(ctx: ModuleContext, handle: bigint, slotId: bigint) {
    this.#ctx = ctx;
    this.handle = handle;
    this.slotId = slotId;
    this.#length = new UlongCell(ctx.abi);
  }

  /** Builds a native mechanism once, for reuse across many calls. */
  mechanism(spec: MechanismSpec): NativeMechanism {
    const { adapter, abi, layouts } = this.#ctx;
    return buildMechanism(adapter, abi, layouts, spec);
  }

  /** `C_GetSessionInfo`. */
  info(): SessionInfo {
    const { abi, layouts, fns } = this.#ctx;
    const { size, offsets } = layouts.CK_SESSION_INFO;
    const buf = new Uint8Array(size);
    checkRv(fns.C_GetSessionInfo(this.handle, buf), "C_GetSessionInfo");
    const view = new DataView(buf.buffer);
    const state = Number(readUlong(view, offsets.state, abi));
    return {
      slotId: readUlong(view, offsets.slotID, abi),
      state,
      flags: Number(readUlong(view, offsets.flags, abi)),
      deviceError: Number(readUlong(view, offsets.ulDeviceError, abi)),
      loggedIn: state === CKS.CKS_RO_USER_FUNCTIONS || state === CKS.CKS_RW_USER_FUNCTIONS ||
        state === CKS.CKS_RW_SO_FUNCTIONS,
    };
  }

  /**
   * `C_Login`. The PIN bytes are zeroed when the call returns, whatever its outcome.
   * `CKR_USER_ALREADY_LOGGED_IN` is not a failure: login state belongs to the token.
   */
  login(pin: Uint8Array, userType: "user" | "so" = "user"): void {
    try {
      const type = userType === "so" ? CKU.CKU_SO : CKU.CKU_USER;
      const rv = this.#ctx.fns.C_Login(this.handle, BigInt(type), pin, BigInt(pin.length));
      if (rv !== CKR.CKR_USER_ALREADY_LOGGED_IN) checkRv(rv, "C_Login");
    } finally {
      pin.fill(0);
    }
  }

  /** `C_InitPIN` (the SO must be logged in): sets the user PIN, then zeroes its bytes. */
  initPin(pin: Uint8Array): void {
    try {
      checkRv(this.#ctx.fns.C_InitPIN(this.handle, pin, BigInt(pin.length)), "C_InitPIN");
    } finally {
      pin.fill(0);
    }
  }

  /**
   * `C_Logout`. Logs out every session of this process on the token;
   * `CKR_USER_NOT_LOGGED_IN` is not a failure.
   */
  logout(): void {
    const rv = this.#ctx.fns.C_Logout(this.handle);
    if (rv !== CKR.CKR_USER_NOT_LOGGED_IN) checkRv(rv, "C_Logout");
  }

  /** `C_CloseSession`; closing twice is a no-op. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const rv = this.#ctx.fns.C_CloseSession(this.handle);
    if (rv !== CKR.CKR_SESSION_HANDLE_INVALID && rv !== CKR.CKR_SESSION_CLOSED) {
      checkRv(rv, "C_CloseSession");
    }
  }

  /** Closes the session at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** `C_FindObjectsInit` / `C_FindObjects` / `C_FindObjectsFinal`: every matching handle. */
  findObjects(template: AttributeTemplate): bigint[] {
    const { adapter, abi, layouts, fns } = this.#ctx;
    const native = encodeTemplate(adapter, abi, layouts, template);
    checkRv(
      fns.C_FindObjectsInit(this.handle, native.array, BigInt(native.count)),
      "C_FindObjectsInit",
    );
    void native.values.length; // the value buffers must outlive the call above
    const found: bigint[] = [];
    const batch = new Uint8Array(FIND_BATCH * abi.ulongSize);
    const count = new UlongCell(abi);
    try {
      for (;;) {
        checkRv(
          fns.C_FindObjects(this.handle, batch, BigInt(FIND_BATCH), count.bytes),
          "C_FindObjects",
        );
        const n = Number(count.get());
        found.push(...readUlongArray(batch, n, abi));
        if (n < FIND_BATCH) return found;
      }
    } finally {
      checkRv(fns.C_FindObjectsFinal(this.handle), "C_FindObjectsFinal");
    }
  }

  /**
   * The single object matching `template`: `key_not_found` when none matches, and
   * `key_ambiguous` when more than one does (two objects with one label would make
   * signatures silently come from the wrong key).
   */
  findOne(template: AttributeTemplate, what = "object"): bigint {
    const found = this.findObjects(template);
    if (found.length === 1) return found[0];
    const reason = found.length === 0 ? "key_not_found" : "key_ambiguous";
    const message = found.length === 0
      ? `No ${what} matches the template`
      : `${found.length} objects match the ${what} template; refusing to guess`;
    throw new Pkcs11exError(reason, message, { detail: { matches: found.length } });
  }

  /**
   * `C_GetAttributeValue` with the two-call length protocol. Attributes the object lacks
   * or keeps sensitive are absent from the result.
   */
  getAttributes<N extends AttributeName>(
    object: bigint,
    names: readonly N[],
  ): Partial<Record<N, AttributeValue>> {
    const { adapter, abi, layouts, fns } = this.#ctx;
    const types = names.map((n) => CKA[n]);
    // Get the lengths.
    const query = buildNativeTemplate(adapter, abi, layouts, types, types.map(() => null));
    const rv = fns.C_GetAttributeValue(this.handle, object, query.array, BigInt(query.count));
    if (
      rv !== CKR.CKR_OK && rv !== CKR.CKR_ATTRIBUTE_SENSITIVE &&
      rv !== CKR.CKR_ATTRIBUTE_TYPE_INVALID
    ) checkRv(rv, "C_GetAttributeValue");
    const { size, offsets } = layouts.CK_ATTRIBUTE;
    const view = new DataView(query.array.buffer);
    const unavailable = abi.ulongSize === 8 ? 0xffffffffffffffffn : 0xffffffffn;
    const lengths = types.map((_, i) => readUlong(view, i * size + offsets.ulValueLen, abi));
    const present = names.filter((_, i) => lengths[i] !== unavailable);
    // Allocate and fetch the values.
    const buffers = present.map((n) => new Uint8Array(Number(lengths[names.indexOf(n)])));
    const fetch = buildNativeTemplate(adapter, abi, layouts, present.map((n) => CKA[n]), buffers);
    if (present.length > 0) {
      checkRv(
        fns.C_GetAttributeValue(this.handle, object, fetch.array, BigInt(fetch.count)),
        "C_GetAttributeValue",
      );
    }
    const out: Partial<Record<N, AttributeValue>> = {};
    present.forEach((name, i) => {
      out[name] = decodeAttributeValue(CKA[name], buffers[i], abi);
    });
    return out;
  }

  /** `C_SetAttributeValue`. */
  setAttributes(object: bigint, template: AttributeTemplate): void {
    const { adapter, abi, layouts, fns } = this.#ctx;
    const native = encodeTemplate(adapter, abi, layouts, template);
    checkRv(
      fns.C_SetAttributeValue(this.handle, object, native.array, BigInt(native.count)),
      "C_SetAttributeValue",
    );
    void native.values.length;
  }

  /** `C_CreateObject`; byte values in the template can be zeroed by the caller afterwards. */
  createObject(template: AttributeTemplate): bigint {
    const { adapter, abi, layouts, fns } = this.#ctx;
    const native = encodeTemplate(adapter, abi, layouts, template);
    const handle = new UlongCell(abi);
    checkRv(
      fns.C_CreateObject(this.handle, native.array, BigInt(native.count), handle.bytes),
      "C_CreateObject",
    );
    void native.values.length;
    return handle.get();
  }

  /** `C_DestroyObject`. */
  destroyObject(object: bigint): void {
    checkRv(this.#ctx.fns.C_DestroyObject(this.handle, object), "C_DestroyObject");
  }

  /** `C_GenerateKeyPair`. */
  generateKeyPair(
    mechanism: MechanismSpec,
    publicTemplate: AttributeTemplate,
    privateTemplate: AttributeTemplate,
  ): KeyPairHandles {
    const { adapter, abi, layouts, fns } = this.#ctx;
    const mech = this.mechanism(mechanism);
    const pub = encodeTemplate(adapter, abi, layouts, publicTemplate);
    const priv = encodeTemplate(adapter, abi, layouts, privateTemplate);
    const pubHandle = new UlongCell(abi);
    const privHandle = new UlongCell(abi);
    checkRv(
      fns.C_GenerateKeyPair(
        this.handle,
        mech.struct,
        pub.array,
        BigInt(pub.count),
        priv.array,
        BigInt(priv.count),
        pubHandle.bytes,
        privHandle.bytes,
      ),
      "C_GenerateKeyPair",
    );
    void [mech.parameter, pub.values, priv.values];
    return { publicKey: pubHandle.get(), privateKey: privHandle.get() };
  }

  /** `C_GenerateRandom`. */
  generateRandom(length: number): Uint8Array {
    const out = new Uint8Array(length);
    checkRv(this.#ctx.fns.C_GenerateRandom(this.handle, out, BigInt(length)), "C_GenerateRandom");
    return out;
  }

  /**
   * Runs an output-producing call into the scratch buffer, growing it once when the token
   * answers `CKR_BUFFER_TOO_SMALL` (which leaves the operation active); returns the view of
   * the scratch that holds the output (valid until the next call).
   */
  #intoScratch(
    fn: "C_Sign" | "C_SignFinal" | "C_Digest" | "C_DigestFinal",
    call: (out: Uint8Array, len: Uint8Array) => number,
  ): Uint8Array {
    this.#length.set(this.#scratch.length);
    let rv = call(this.#scratch, this.#length.bytes);
    if (rv === CKR.CKR_BUFFER_TOO_SMALL) {
      this.#scratch = new Uint8Array(Number(this.#length.get()));
      this.#length.set(this.#scratch.length);
      rv = call(this.#scratch, this.#length.bytes);
    }
    checkRv(rv, fn);
    return this.#scratch.subarray(0, Number(this.#length.get()));
  }

  /** `C_SignInit` + `C_Sign`: one signature over `data`. */
  sign(mechanism: NativeMechanism, key: bigint, data: Uint8Array): Uint8Array {
    return this.#copies.copy(this.signView(mechanism, key, data));
  }

  /**
   * Like `sign`, but the signature is a view of this session's scratch buffer, overwritten by
   * the next call on the session: for callers that copy it at once (no allocation per call).
   */
  signView(mechanism: NativeMechanism, key: bigint, data: Uint8Array): Uint8Array {
    const { fns } = this.#ctx;
    checkRv(fns.C_SignInit(this.handle, mechanism.struct, key), "C_SignInit");
    void mechanism.parameter;
    return this.#intoScratch(
      "C_Sign",
      (out, len) => fns.C_Sign(this.handle, data, BigInt(data.length), out, len),
    );
  }

  /** `C_SignInit` + `C_SignUpdate`… + `C_SignFinal`: one signature over the parts. */
  signMultipart(mechanism: NativeMechanism, key: bigint, parts: Iterable<Uint8Array>): Uint8Array {
    const { fns } = this.#ctx;
    checkRv(fns.C_SignInit(this.handle, mechanism.struct, key), "C_SignInit");
    void mechanism.parameter;
    for (const part of parts) {
      checkRv(fns.C_SignUpdate(this.handle, part, BigInt(part.length)), "C_SignUpdate");
    }
    return this.#copies.copy(
      this.#intoScratch("C_SignFinal", (out, len) => fns.C_SignFinal(this.handle, out, len)),
    );
  }

  /** `C_VerifyInit` + `C_Verify`: `false` for `CKR_SIGNATURE_INVALID` / `_LEN_RANGE`. */
  verify(
    mechanism: NativeMechanism,
    key: bigint,
    data: Uint8Array,
    signature: Uint8Array,
  ): boolean {
    const { fns } = this.#ctx;
    checkRv(fns.C_VerifyInit(this.handle, mechanism.struct, key), "C_VerifyInit");
    void mechanism.parameter;
    const rv = fns.C_Verify(
      this.handle,
      data,
      BigInt(data.length),
      signature,
      BigInt(signature.length),
    );
    if (rv === CKR.CKR_SIGNATURE_INVALID || rv === CKR.CKR_SIGNATURE_LEN_RANGE) return false;
    checkRv(rv, "C_Verify");
    return true;
  }

  /** `C_VerifyInit` + `C_VerifyUpdate`… + `C_VerifyFinal`. */
  verifyMultipart(
    mechanism: NativeMechanism,
    key: bigint,
    parts: Iterable<Uint8Array>,
    signature: Uint8Array,
  ): boolean {
    const { fns } = this.#ctx;
    checkRv(fns.C_VerifyInit(this.handle, mechanism.struct, key), "C_VerifyInit");
    void mechanism.parameter;
    for (const part of parts) {
      checkRv(fns.C_VerifyUpdate(this.handle, part, BigInt(part.length)), "C_VerifyUpdate");
    }
    const rv = fns.C_VerifyFinal(this.handle, signature, BigInt(signature.length));
    if (rv === CKR.CKR_SIGNATURE_INVALID || rv === CKR.CKR_SIGNATURE_LEN_RANGE) return false;
    checkRv(rv, "C_VerifyFinal");
    return true;
  }

  /** `C_DigestInit` + `C_Digest`. */
  digest(mechanism: NativeMechanism, data: Uint8Array): Uint8Array {
    const { fns } = this.#ctx;
    checkRv(fns.C_DigestInit(this.handle, mechanism.struct), "C_DigestInit");
    return this.#intoScratch(
      "C_Digest",
      (out, len) => fns.C_Digest(this.handle, data, BigInt(data.length), out, len),
    ).slice();
  }

  /** `C_DigestInit` + `C_DigestUpdate`… + `C_DigestFinal`. */
  digestMultipart(mechanism: NativeMechanism, parts: Iterable<Uint8Array>): Uint8Array {
    const { fns } = this.#ctx;
    checkRv(fns.C_DigestInit(this.handle, mechanism.struct), "C_DigestInit");
    for (const part of parts) {
      checkRv(fns.C_DigestUpdate(this.handle, part, BigInt(part.length)), "C_DigestUpdate");
    }
    return this.#intoScratch(
      "C_DigestFinal",
      (out, len) => fns.C_DigestFinal(this.handle, out, len),
    ).slice();
  }
}
