/**
 * The slot worker: owns one PKCS#11 session and makes every blocking token call of its slot
 * (api §1.3, slot-server.txt). Sign requests arrive on the shared-memory lane (../lane.ts)
 * and are answered there one by one; the others arrive by message in batches, are run in
 * order, and answered in one batch. Module state is process-wide: the proxy decides who
 * finalizes.
 *
 * @module
 */
import { CKK, CKO } from "../../ffi/constants.ts";
import type { AttributeTemplate } from "../../ffi/attributes.ts";
import { Pkcs11Module } from "../../ffi/module.ts";
import type { MechanismSpec } from "../../ffi/mechanism.ts";
import type { Session } from "../../ffi/session.ts";
import { Pkcs11exError } from "../errors.ts";
import { MechanismCache } from "../token_sign.ts";
import { serveLane } from "../lane.ts";
import {
  decodeSignPlan,
  type KeyDescription,
  type KeyLocator,
  type ListedKey,
  type SignPlan,
  type WorkerError,
  type WorkerInit,
  type WorkerRequest,
  type WorkerResponse,
  type WorkerState,
} from "./protocol.ts";

const SESSION_LOST = new Set([
  "CKR_SESSION_HANDLE_INVALID",
  "CKR_SESSION_CLOSED",
  "CKR_DEVICE_REMOVED",
  "CKR_TOKEN_NOT_PRESENT",
]);

interface KeyHandles {
  privateKey: bigint;
  publicKey?: bigint;
}

/** The worker's slot state; one instance per worker. */
class SlotWorker {
  #init?: WorkerInit;
  #module?: Pkcs11Module;
  #slotId?: bigint;
  #session?: Session;
  #mechanisms?: MechanismCache;
  #keys = new Map<string, KeyHandles>();

  async init(init: WorkerInit): Promise<void> {
    this.#init = init;
    this.#module = await Pkcs11Module.load(init.driver, {
      sha256: init.driverSha256,
      reserved: init.driverConfig,
    });
  }

  #slot(): bigint {
    const module = this.#requireModule();
    if (this.#slotId !== undefined) return this.#slotId;
    const match = this.#init!.slotMatch;
    this.#slotId = "tokenLabel" in match
      ? module.findSlotByTokenLabel(match.tokenLabel)
      : match.slotId;
    return this.#slotId;
  }

  #requireModule(): Pkcs11Module {
    if (this.#module === undefined) throw new Error("The slot worker was not initialized");
    return this.#module;
  }

  /** The open session, opened on first use. */
  session(): Session {
    if (this.#session !== undefined) return this.#session;
    const slot = this.#slot();
    this.#session = this.#requireModule().openSession(slot);
    this.#mechanisms = new MechanismCache(this.#session);
    this.#keys.clear();
    return this.#session;
  }

  /** Forgets a session the device invalidated; the next call opens a new one. */
  dropSession(): void {
    this.#session = undefined;
    this.#mechanisms = undefined;
    this.#keys.clear();
  }

  #loginRequired(): boolean {
    return this.#requireModule().tokenInfo(this.#slot()).flagNames.includes("CKF_LOGIN_REQUIRED");
  }

  state(): WorkerState {
    const module = this.#requireModule();
    const slot = this.#slot();
    const token = module.tokenInfo(slot);
    const loggedIn = this.#session !== undefined && this.#session.info().loggedIn;
    return {
      open: this.#session !== undefined,
      loggedIn,
      tokenLabel: token.label,
      tokenFlags: token.flagNames,
    };
  }

  login(pin: Uint8Array, userType: "user" | "so"): void {
    this.session().login(pin, userType);
    this.#keys.clear(); // private-object handles change with the login state
  }

  logout(): void {
    this.#session?.logout();
    this.#keys.clear();
  }

  /** Runs `op` with the key's handles; stale handles (the token renumbered) are looked up again once. */
  #withKey<T>(key: KeyLocator, op: (handles: KeyHandles) => T): T {
    try {
      return op(this.#findKey(key));
    } catch (err) {
      const rv = err instanceof Pkcs11exError ? err.detail.rv : undefined;
      if (rv !== "CKR_OBJECT_HANDLE_INVALID" && rv !== "CKR_KEY_HANDLE_INVALID") throw err;
      this.#keys.delete(key.keyRef);
      return op(this.#findKey(key));
    }
  }

  #findKey(key: KeyLocator): KeyHandles {
    const cached = this.#keys.get(key.keyRef);
    if (cached !== undefined) return cached;
    const session = this.session();
    const match: AttributeTemplate = {};
    if (key.label !== undefined) match.CKA_LABEL = key.label;
    if (key.id !== undefined) match.CKA_ID = key.id;
    const privateKeys = session.findObjects({ ...match, CKA_CLASS: CKO.CKO_PRIVATE_KEY });
    if (privateKeys.length === 0 && !session.info().loggedIn && this.#loginRequired()) {
      // Private objects are invisible before C_Login (e.g. after the device closed our sessions).
      throw new Pkcs11exError(
        "slot_not_logged_in",
        `Slot "${this.#init!.slotRef}" is not logged in`,
        {
          detail: { slotRef: this.#init!.slotRef },
        },
      );
    }
    const privateKey = session.findOne(
      { ...match, CKA_CLASS: CKO.CKO_PRIVATE_KEY },
      `private key "${key.keyRef}"`,
    );
    const publics = session.findObjects({ ...match, CKA_CLASS: CKO.CKO_PUBLIC_KEY });
    const handles = { privateKey, publicKey: publics.length === 1 ? publics[0] : undefined };
    this.#keys.set(key.keyRef, handles);
    return handles;
  }

  describeKey(key: KeyLocator): KeyDescription {
    const session = this.session();
    const { privateKey, publicKey } = this.#findKey(key);
    const attrs = session.getAttributes(privateKey, [
      "CKA_KEY_TYPE",
      "CKA_MODULUS",
      "CKA_EC_PARAMS",
    ]);
    const type = Number(attrs.CKA_KEY_TYPE);
    let description: KeyDescription;
    if (type === CKK.CKK_RSA) {
      let bits = (attrs.CKA_MODULUS as Uint8Array | undefined)?.length;
      if (bits !== undefined) bits *= 8;
      else if (publicKey !== undefined) {
        bits = Number(session.getAttributes(publicKey, ["CKA_MODULUS_BITS"]).CKA_MODULUS_BITS);
      }
      description = { keyType: "rsa", keySize: bits };
    } else if (type === CKK.CKK_EC) {
      description = {
        keyType: "ec",
        curve: curveOf(attrs.CKA_EC_PARAMS as Uint8Array | undefined),
      };
    } else if (type === CKK.CKK_EC_EDWARDS) {
      description = { keyType: "ed25519" };
    } else description = { keyType: "other" };
    const certMatch: AttributeTemplate = { CKA_CLASS: CKO.CKO_CERTIFICATE };
    const certLabel = key.certLabel ?? (key.certId === undefined ? key.label : undefined);
    const certId = key.certId ?? (key.certLabel === undefined ? key.id : undefined);
    if (certLabel !== undefined) certMatch.CKA_LABEL = certLabel;
    if (certId !== undefined) certMatch.CKA_ID = certId;
    const certs = session.findObjects(certMatch);
    if (certs.length > 1) {
      throw new Pkcs11exError(
        "key_ambiguous",
        `${certs.length} certificates match key "${key.keyRef}"`,
        {
          detail: { keyRef: key.keyRef, matches: certs.length },
        },
      );
    }
    if (certs.length === 1) {
      const value = session.getAttributes(certs[0], ["CKA_VALUE"]).CKA_VALUE as Uint8Array;
      description = { ...description, certificateDer: value };
    }
    return description;
  }

  /** One signature; with `view`, a view of the session's scratch (copy it before the next call). */
  sign(key: KeyLocator, mechanism: MechanismSpec, input: Uint8Array, view = false): Uint8Array {
    const session = this.session();
    return this.#withKey(key, ({ privateKey }) => {
      const native = this.#mechanisms!.get(mechanism);
      return view
        ? session.signView(native, privateKey, input)
        : session.sign(native, privateKey, input);
    });
  }

  verify(
    key: KeyLocator,
    mechanism: MechanismSpec,
    input: Uint8Array,
    signature: Uint8Array,
  ): boolean {
    const session = this.session();
    const { publicKey } = this.#findKey(key);
    if (publicKey === undefined) {
      throw new Pkcs11exError(
        "key_not_found",
        `No public key object for key "${key.keyRef}" on the token`,
        {
          detail: { keyRef: key.keyRef },
        },
      );
    }
    return session.verify(this.#mechanisms!.get(mechanism), publicKey, input, signature);
  }

  listKeys(): ListedKey[] {
    const session = this.session();
    const certIds = new Set(
      session.findObjects({ CKA_CLASS: CKO.CKO_CERTIFICATE }).map((h) =>
        hex(session.getAttributes(h, ["CKA_ID"]).CKA_ID as Uint8Array | undefined)
      ),
    );
    return session.findObjects({ CKA_CLASS: CKO.CKO_PRIVATE_KEY }).map((h) => {
      const a = session.getAttributes(h, ["CKA_LABEL", "CKA_ID", "CKA_KEY_TYPE"]);
      const idHex = hex(a.CKA_ID as Uint8Array | undefined);
      const type = Number(a.CKA_KEY_TYPE);
      return {
        label: a.CKA_LABEL as string | undefined,
        idHex,
        keyType: type === CKK.CKK_RSA
          ? "rsa"
          : type === CKK.CKK_EC
          ? "ec"
          : type === CKK.CKK_EC_EDWARDS
          ? "ed25519"
          : "other",
        hasCertificate: idHex !== undefined && certIds.has(idHex),
      };
    });
  }

  importObjects(
    objects: Extract<WorkerRequest, { op: "import" }>["objects"],
    replace: boolean,
  ): void {
    const session = this.session();
    const existing = session.findObjects({ CKA_LABEL: objects.label });
    if (existing.length > 0 && !replace) {
      throw new Pkcs11exError(
        "key_ambiguous",
        `The token already holds objects labelled "${objects.label}"`,
        {
          detail: { label: objects.label, matches: existing.length },
        },
      );
    }
    for (const handle of existing) session.destroyObject(handle);
    const templates = [objects.privateKey, objects.publicKey, objects.certificate];
    try {
      for (const template of templates) {
        if (template !== undefined) session.createObject(template as AttributeTemplate);
      }
    } finally {
      for (const template of templates) {
        for (const value of Object.values(template ?? {})) {
          if (value instanceof Uint8Array) value.fill(0);
        }
      }
    }
    this.#keys.clear();
  }

  closeAllSessions(): void {
    this.#requireModule().closeAllSessions(this.#slot());
  }

  close(finalize: boolean): void {
    try {
      this.#session?.close();
    } finally {
      this.dropSession();
      if (finalize) this.#module?.finalize();
    }
  }
}

function hex(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined
    ? undefined
    : Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const P256 = "06082a8648ce3d030107";
const P384 = "06052b81040022";

function curveOf(params: Uint8Array | undefined): string | undefined {
  const h = hex(params);
  return h === P256 ? "P-256" : h === P384 ? "P-384" : undefined;
}

function toWorkerError(err: unknown): WorkerError {
  if (err instanceof Pkcs11exError) {
    return {
      reason: err.reason,
      message: err.message,
      detail: { ...err.detail },
      sessionLost: SESSION_LOST.has(String(err.detail.rv)),
    };
  }
  const e = err as Error;
  return {
    reason: e instanceof TypeError || e instanceof RangeError ? e.name : "worker_failed",
    message: String(e?.message ?? e),
    detail: {},
    sessionLost: false,
  };
}

const worker = new SlotWorker();
const plans = new Map<number, SignPlan>();
/** The largest signature the lane's slots hold (0: no lane). */
let laneSlotBytes = 0;

/** Runs one request; only `init` (which loads the module) is asynchronous. */
function handle(request: WorkerRequest): unknown {
  switch (request.op) {
    case "init":
      if (request.init.lane !== undefined) {
        laneSlotBytes = serveLane(
          request.init.lane,
          signFromLane,
          (plan, definition) => plans.set(plan, decodeSignPlan(definition)),
        );
      }
      return worker.init(request.init);
    case "open":
      worker.session();
      return worker.state();
    case "login":
      return worker.login(request.pin, request.userType);
    case "logout":
      return worker.logout();
    case "state":
      return worker.state();
    case "describeKey":
      return worker.describeKey(request.key);
    case "sign":
      return worker.sign(request.key, request.mechanism, request.input);
    case "verify":
      return worker.verify(request.key, request.mechanism, request.input, request.signature);
    case "listKeys":
      return worker.listKeys();
    case "import":
      return worker.importObjects(request.objects, request.replace);
    case "closeAllSessions":
      return worker.closeAllSessions();
    case "close":
      return worker.close(request.finalize);
  }
}

function failure(id: number, err: unknown): WorkerResponse {
  const error = toWorkerError(err);
  if (error.sessionLost) worker.dropSession();
  return { id, ok: false, error };
}

/** Runs one request and says how it went; synchronous except for `init`. */
function respond(request: WorkerRequest): WorkerResponse | Promise<WorkerResponse> {
  try {
    const value = handle(request);
    if (!(value instanceof Promise)) return { id: request.id, ok: true, value };
    return value.then(
      (resolved): WorkerResponse => ({ id: request.id, ok: true, value: resolved }),
      (err) => failure(request.id, err),
    );
  } catch (err) {
    return failure(request.id, err);
  } finally {
    if (request.op === "login") request.pin.fill(0);
  }
}

/** Signs a request of the lane; errors and oversized signatures are answered by message. */
function signFromLane(id: number, plan: number, input: Uint8Array): Uint8Array | undefined {
  let response: WorkerResponse;
  try {
    const registered = plans.get(plan);
    if (registered === undefined) throw new Error(`Unknown sign plan ${plan}`);
    const signature = worker.sign(registered.key, registered.mechanism, input, true);
    if (signature.length <= laneSlotBytes) return signature;
    response = { id, ok: true, value: signature.slice() };
  } catch (err) {
    response = failure(id, err);
  }
  self.postMessage([response]);
  return undefined;
}

self.onmessage = async (event: MessageEvent<WorkerRequest[]>) => {
  const responses: WorkerResponse[] = [];
  for (const request of event.data) {
    const response = respond(request);
    responses.push(response instanceof Promise ? await response : response);
  }
  self.postMessage(responses);
};
