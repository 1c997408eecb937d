/**
 * One configured slot (slot-server.txt): its pool of workers, its state machine
 * (uninitialized → open → logged_in), PIN logins with lockout protection, the inactivity
 * timeout and re-authentication, recovery from dead workers and invalidated sessions, and
 * the pool wait limit. Token slots have exactly one worker, so their calls serialize.
 *
 * @module
 */
import { setTimeout as startTimer } from "node:timers";
import { isPkcs11exError, Pkcs11exError } from "../errors.ts";
import type { MechanismSpec } from "../../ffi/mechanism.ts";
import type { ResolvedSlotConfig } from "../config/types.ts";
import { refuseAutomaticLogin, scopedPin, takePin } from "../pin.ts";
import type { Telemetry } from "../telemetry.ts";
import { acquireModule, releaseModule, serialize } from "./module_owner.ts";
import type { KeyDescription, KeyLocator, ListedKey, WorkerState } from "./protocol.ts";
import { type Request, WorkerClient } from "./worker_client.ts";

/** The state of a slot as `p11.slot.status` reports it. */
export type SlotState = "uninitialized" | "open" | "logged_in";

/** Settings every slot shares. */
export interface SlotSettings {
  /** Inactivity (ms) after which a PIN-protected session is logged out. */
  readonly sessionTimeout: number;
  /** How long (ms) a request may wait for a saturated pool. */
  readonly poolWaitTimeout: number;
  /** The telemetry channels. */
  readonly telemetry: Telemetry;
}

/** Requests one worker may have in flight before others wait in the slot's queue. */
const MAX_IN_FLIGHT = 64;

interface Waiter {
  resolve(client: WorkerClient): void;
  reject(err: unknown): void;
  timer: ReturnType<typeof startTimer>;
}

/** A slot and its workers. */
export class SlotActor {
  /** The slot's configuration. */
  readonly config: ResolvedSlotConfig;
  readonly #settings: SlotSettings;
  #workers: WorkerClient[] = [];
  #state: SlotState = "uninitialized";
  #lastLogin: number | undefined;
  #timedOut = false;
  #opening: Promise<void> | undefined;
  #authenticating: Promise<void> | undefined;
  #timer: ReturnType<typeof startTimer> | undefined;
  #lastActivity = 0;
  /** Counts successful logins, so that late failures of one lost session trigger one login. */
  #loginEpoch = 0;
  #waiters: Waiter[] = [];
  #keys = new Map<string, Promise<KeyDescription>>();
  #closed = false;
  /** Rejects with `slot_closed` when the slot closes: what waits on a caller races it. */
  readonly #closing = Promise.withResolvers<never>();
  #roundRobin = 0;
  #loginRequired: boolean | undefined;

  /** A slot actor for `config`; nothing starts until {@linkcode SlotActor.open}. */
  constructor(config: ResolvedSlotConfig, settings: SlotSettings) {
    this.config = config;
    this.#settings = settings;
    this.#closing.promise.catch(() => {/* observed by whoever races it */});
  }

  #closedError(): Pkcs11exError {
    return new Pkcs11exError("slot_closed", `Slot "${this.config.ref}" is closed`, {
      detail: { slotRef: this.config.ref },
    });
  }

  /** Throws `slot_closed` once the slot is closed (checked after every wait of a call). */
  #assertOpen(): void {
    if (this.#closed) throw this.#closedError();
  }

  /** The state machine's current state. */
  get state(): SlotState {
    return this.#state;
  }

  /** When the last successful login happened (ms since the epoch). */
  get lastLogin(): number | undefined {
    return this.#lastLogin;
  }

  /** Whether signing may need a user login on this slot (cloud HSM slots never log in). */
  get needsLogin(): boolean {
    return this.config.type !== "cloud_hsm" && this.#loginRequired !== false;
  }

  /** Starts the workers and opens their sessions (once; later calls wait for the first). */
  open(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    this.#opening ??= this.#startWorkers().catch((err) => {
      this.#opening = undefined;
      throw err;
    });
    return this.#opening;
  }

  async #startWorkers(): Promise<void> {
    for (let i = 1; i <= this.config.sessionPoolSize; i++) {
      this.#workers.push(await this.#spawn(i));
    }
    this.#state = this.#state === "uninitialized" ? "open" : this.#state;
  }

  #spawn(index: number): Promise<WorkerClient> {
    const { driver, driverConfig, slotMatch, ref } = this.config;
    return serialize(driver, async () => {
      const client = await WorkerClient.start(index, {
        slotRef: ref,
        workerIndex: index,
        driver,
        driverConfig,
        driverSha256: this.config.driverSha256,
        slotMatch,
      }, (dead) => this.#onWorkerDeath(dead));
      acquireModule(driver);
      this.#settings.telemetry.driverLoad({ slotRef: ref, workerIndex: index });
      try {
        await client.call({ op: "open" });
      } catch (err) {
        await this.#closeWorker(client);
        throw err;
      }
      this.#settings.telemetry.sessionOpen({ slotRef: ref, workerIndex: index });
      return client;
    });
  }

  /** Replaces a dead worker; its in-flight calls were already rejected. */
  #onWorkerDeath(dead: WorkerClient): void {
    releaseModule(this.config.driver);
    if (this.#closed) return;
    const position = this.#workers.indexOf(dead);
    if (position < 0) return;
    this.#spawn(dead.index).then(
      (fresh) => {
        if (this.#closed) void this.#closeWorker(fresh);
        else this.#workers[position] = fresh;
        this.#wakeWaiters();
      },
      () => {/* the next call reports the failure when it opens again */},
    );
  }

  /** Closes one worker's session; the last worker of the driver finalizes it. */
  async #closeWorker(client: WorkerClient): Promise<void> {
    const finalize = releaseModule(this.config.driver);
    try {
      await client.call({ op: "close", finalize });
    } catch {
      // A worker that cannot close cleanly is terminated all the same.
    } finally {
      client.terminate();
    }
  }

  /**
   * Picks the least-busy live worker — synchronously when one has room, so that the caller's
   * request is in flight before the next pick — else waits while every worker is saturated.
   */
  #pick(stateful: boolean): WorkerClient | Promise<WorkerClient> {
    if (this.#closed) return Promise.reject(this.#closedError());
    const live = this.#workers.filter((w) => !w.dead);
    if (stateful) {
      const first = live.find((w) => w.index === 1) ?? live[0];
      if (first !== undefined) return first;
    } else if (live.length > 0) {
      const start = this.#roundRobin++ % live.length;
      let best = live[start];
      for (let i = 1; i < live.length; i++) {
        const candidate = live[(start + i) % live.length];
        if (candidate.inFlight < best.inFlight) best = candidate;
      }
      if (best.inFlight < MAX_IN_FLIGHT) return best;
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: startTimer(() => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(
            new Pkcs11exError(
              "session_pool_exhausted",
              `Slot "${this.config.ref}" stayed saturated for ${this.#settings.poolWaitTimeout} ms`,
              { detail: { slotRef: this.config.ref, poolSize: this.config.sessionPoolSize } },
            ),
          );
        }, this.#settings.poolWaitTimeout),
      };
      this.#waiters.push(waiter);
    });
  }

  #wakeWaiters(): void {
    while (this.#waiters.length > 0) {
      const live = this.#workers.filter((w) => !w.dead && w.inFlight < MAX_IN_FLIGHT);
      if (live.length === 0) return;
      const waiter = this.#waiters.shift()!;
      clearTimeout(waiter.timer);
      live.sort((a, b) => a.inFlight - b.inFlight);
      waiter.resolve(live[0]);
    }
  }

  /** Runs one call on a worker, with the slot opened and logged in as needed. */
  async #run<T>(request: Request, opts: { stateful?: boolean; login?: boolean } = {}): Promise<T> {
    await this.open();
    if (opts.login !== false && this.needsLogin) await this.#ensureLoggedIn();
    this.#assertOpen();
    const picked = this.#pick(opts.stateful ?? false);
    const client = picked instanceof WorkerClient ? picked : await picked;
    this.#touch();
    const epoch = this.#loginEpoch;
    try {
      return await client.call<T>(request);
    } catch (err) {
      if (!this.#isRecoverable(err)) throw err;
      // The device invalidated the session (or the token logged out): reopen, log in again
      // through the callback — unless a login already happened since this request left —
      // and retry the request once.
      if (this.#loginEpoch === epoch) this.#state = "open";
      if (this.needsLogin) await this.#ensureLoggedIn("reauthentication");
      return await client.call<T>(request);
    } finally {
      this.#touch();
      this.#wakeWaiters();
    }
  }

  #isRecoverable(err: unknown): boolean {
    return err instanceof Pkcs11exError &&
      (err.detail.sessionLost === true || (err.reason === "slot_not_logged_in" && this.needsLogin));
  }

  /** Logs in through the PIN scope or the callback when the slot is not logged in. */
  #ensureLoggedIn(reason: "login" | "reauthentication" = "login"): Promise<void> {
    if (this.#state === "logged_in") return Promise.resolve();
    if (this.#timedOut && this.config.reauthentication === "fail") {
      return Promise.reject(
        new Pkcs11exError(
          "reauthentication_required",
          `Slot "${this.config.ref}" timed out; log in again with p11.slot.login`,
          { detail: { slotRef: this.config.ref } },
        ),
      );
    }
    this.#authenticating ??= this.#authenticate(this.#timedOut ? "reauthentication" : reason)
      .finally(() => {
        this.#authenticating = undefined;
      });
    return this.#authenticating;
  }

  async #authenticate(reason: "login" | "reauthentication"): Promise<void> {
    if (this.#loginRequired === undefined) {
      this.#loginRequired = (await this.#workerState()).tokenFlags.includes("CKF_LOGIN_REQUIRED");
      if (!this.#loginRequired) return;
    }
    let pin = scopedPin();
    if (pin === undefined) {
      const callback = this.config.pinCallback;
      if (callback === undefined) {
        throw new Pkcs11exError(
          "pin_required",
          `Slot "${this.config.ref}" needs a PIN and has no pinCallback`,
          {
            detail: { slotRef: this.config.ref },
          },
        );
      }
      const state = await this.#workerState();
      refuseAutomaticLogin(this.config.ref, state.tokenFlags);
      try {
        // A callback still waiting for a person when the slot closes is left behind.
        const value = await Promise.race([
          callback({ slotRef: this.config.ref, tokenLabel: state.tokenLabel, reason, attempt: 1 }),
          this.#closing.promise,
        ]);
        pin = takePin(value);
      } catch (cause) {
        if (isPkcs11exError(cause, "slot_closed")) throw cause;
        throw new Pkcs11exError(
          "pin_required",
          `The pinCallback of slot "${this.config.ref}" failed or returned no PIN`,
          { detail: { slotRef: this.config.ref }, cause },
        );
      }
    }
    if (this.#closed) {
      pin.fill(0);
      throw this.#closedError();
    }
    await this.#login(pin);
  }

  async #workerState(): Promise<WorkerState> {
    const client = await this.#pick(true);
    return await client.call<WorkerState>({ op: "state" });
  }

  /** `C_Login` on worker 1 with a PIN buffer that is transferred, then zeroed there. */
  async #login(pin: Uint8Array): Promise<void> {
    const metadata = { slotRef: this.config.ref };
    try {
      await this.#settings.telemetry.login(metadata, async () => {
        const client = await this.#pick(true);
        await client.call({ op: "login", pin, userType: "user" }, [pin.buffer as ArrayBuffer]);
      });
    } finally {
      if (pin.byteLength > 0) pin.fill(0); // detached (length 0) once transferred
    }
    this.#state = "logged_in";
    this.#loginEpoch += 1;
    this.#timedOut = false;
    this.#lastLogin = Date.now();
    this.#touch();
  }

  /** Explicit login (`p11.slot.login`): a one-shot PIN, else the scope or the callback. */
  async login(pin?: string | Uint8Array): Promise<void> {
    await this.open();
    if (pin === undefined) {
      this.#timedOut = false;
      this.#state = this.#state === "logged_in" ? "logged_in" : "open";
      return await this.#ensureLoggedIn("login");
    }
    await this.#login(takePin(pin));
  }

  /** `C_Logout` (worker 1); the next signing call logs in again through the callback. */
  async logout(): Promise<void> {
    if (this.#workers.length === 0) return;
    const client = await this.#pick(true);
    await client.call({ op: "logout" });
    this.#state = "open";
    this.#settings.telemetry.sessionClose({ slotRef: this.config.ref, cause: "logout" });
  }

  /**
   * Records activity of a PIN-protected session. The timer is armed once and re-armed by
   * itself for the time left, so a busy slot pays one clock read per call, not a timer.
   */
  #touch(): void {
    if (this.config.type === "cloud_hsm" || !this.needsLogin || this.#state !== "logged_in") return;
    this.#lastActivity = performance.now();
    if (this.#timer === undefined) this.#arm(this.#settings.sessionTimeout);
  }

  #arm(delay: number): void {
    this.#timer = startTimer(() => this.#expire(), Math.max(1, delay));
    this.#timer.unref?.();
  }

  async #expire(): Promise<void> {
    this.#timer = undefined;
    if (this.#state !== "logged_in" || this.#closed) return;
    if (this.#workers.some((w) => w.inFlight > 0)) return this.#arm(this.#settings.sessionTimeout);
    const idle = performance.now() - this.#lastActivity;
    if (idle < this.#settings.sessionTimeout) {
      return this.#arm(this.#settings.sessionTimeout - idle);
    }
    this.#state = "open";
    this.#timedOut = true;
    this.#settings.telemetry.sessionTimeout({ slotRef: this.config.ref });
    try {
      const client = await this.#pick(true);
      await client.call({ op: "logout" });
    } catch {
      // The session is already unusable; the next call logs in again.
    }
  }

  /** What the token says about a configured key (type, size, certificate), cached. */
  describeKey(keyRef: string): Promise<KeyDescription> {
    let description = this.#keys.get(keyRef);
    if (description === undefined) {
      description = this.#run<KeyDescription>({ op: "describeKey", key: this.locator(keyRef) });
      description.catch(() => this.#keys.delete(keyRef));
      this.#keys.set(keyRef, description);
    }
    return description;
  }

  /** The locator of a configured key; `key_not_found` for an unknown key ref. */
  locator(keyRef: string): KeyLocator {
    const key = this.config.keys[keyRef];
    if (key === undefined) {
      throw new Pkcs11exError("key_not_found", `Slot "${this.config.ref}" has no key "${keyRef}"`, {
        detail: { slotRef: this.config.ref, keyRef },
      });
    }
    return { keyRef, label: key.label, id: key.id, certLabel: key.certLabel, certId: key.certId };
  }

  /** One `C_Sign` with the key `keyRef`; returns the token's raw signature. */
  sign(keyRef: string, mechanism: MechanismSpec, input: Uint8Array): Promise<Uint8Array> {
    return this.#run<Uint8Array>({ op: "sign", key: this.locator(keyRef), mechanism, input });
  }

  /** One `C_Verify` with the token's public key object of `keyRef`. */
  verify(
    keyRef: string,
    mechanism: MechanismSpec,
    input: Uint8Array,
    signature: Uint8Array,
  ): Promise<boolean> {
    return this.#run<boolean>({
      op: "verify",
      key: this.locator(keyRef),
      mechanism,
      input,
      signature,
    });
  }

  /** The private keys on the token (worker 1). */
  listTokenKeys(): Promise<ListedKey[]> {
    return this.#run<ListedKey[]>({ op: "listKeys" }, { stateful: true });
  }

  /** Creates provisioning objects on the token (worker 1). */
  importObjects(
    objects: Extract<Request, { op: "import" }>["objects"],
    replace: boolean,
  ): Promise<void> {
    return this.#run<void>({ op: "import", objects, replace }, { stateful: true });
  }

  /** Test and operations hook: closes every session of the process on this slot. */
  closeAllSessions(): Promise<void> {
    return this.#run<void>({ op: "closeAllSessions" }, { stateful: true, login: false });
  }

  /** Test hook: kills worker `index` as a crash would. */
  killWorker(index: number): void {
    this.#workers.find((w) => w.index === index)?.kill();
  }

  /** The number of live workers. */
  get workerCount(): number {
    return this.#workers.filter((w) => !w.dead).length;
  }

  /** Logs out, closes every session, stops the workers; the last user finalizes the module. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing.reject(this.#closedError());
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(this.#closedError());
    }
    this.#waiters = [];
    await this.#opening?.catch(() => undefined);
    const workers = this.#workers.filter((w) => !w.dead);
    this.#workers = [];
    if (this.#state === "logged_in" && workers.length > 0) {
      await workers[0].call({ op: "logout" }).catch(() => undefined);
    }
    for (const worker of workers) {
      await serialize(this.config.driver, () => this.#closeWorker(worker));
      this.#settings.telemetry.sessionClose({
        slotRef: this.config.ref,
        workerIndex: worker.index,
        cause: "shutdown",
      });
    }
    this.#state = "uninitialized";
  }
}
