/**
 * A {@linkcode VerifyBackend} that runs libcrypto's signature math on worker threads, so that
 * a server's event loop spends on each verification only the hand-off over a shared-memory
 * lane (≈ 13 µs measured, wake-ups included) instead of the math (≈ 40 µs for RSA-2048,
 * ≈ 130 µs for P-256).
 * For servers that verify many requests (the Hono middleware); a one-off verification is
 * cheaper in-thread with {@linkcode createLibcryptoBackend}.
 *
 * Workers start on first use — verifications go to the in-thread fallback until one is
 * ready — and stop after `idleTimeout` without work, so a process that is done can exit.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { clearTimeout, setTimeout } from "node:timers";
import type { VerifyBackend, VerifyRequest } from "../verify_bytes.ts";
import { LaneClient, laneSupported, nextLaneId } from "../lane.ts";
import {
  createLibcryptoBackend,
  type LibcryptoBackendOptions,
  libcryptoInputOf,
} from "./libcrypto.ts";
import {
  encodeVerifyPlan,
  type FromVerifyWorker,
  type InitVerifyWorker,
  MAX_LANE_SIGNATURE,
  packVerification,
} from "./_verify_protocol.ts";
import type { LibcryptoVerifyInput } from "../../ffi/libcrypto.ts";

/** Options of {@linkcode createThreadedBackend}. */
export interface ThreadedBackendOptions extends LibcryptoBackendOptions {
  /** Worker threads (default: one fewer than the machine's cores, at least 1, at most 4). */
  threads?: number;
  /** Milliseconds without work after which the workers stop (default 2000). */
  idleTimeout?: number;
}

/**
 * A verify backend on worker threads; `close()` stops them at once (what they had in flight
 * finishes in this thread).
 */
export interface ThreadedBackend extends VerifyBackend {
  /** Starts the workers now (e.g. at server boot); resolves when they take work. */
  start(): Promise<void>;
  /** Stops every worker; later verifications start them again. */
  close(): void;
  /** Workers running now. */
  readonly running: number;
  /** Verifications answered by a worker so far (the rest ran in this thread). */
  readonly offThread: number;
}

/** Bytes of one lane slot: a JWS signing input with an `x5c` chain fits, so it is hashed off-thread. */
const SLOT_BYTES = 8192;

interface Pending {
  resolve(valid: boolean): void;
  reject(error: Error): void;
  /** Runs the same verification in this thread (when the worker stops before answering). */
  inThread(): Promise<boolean>;
}

/** Why a worker stopped by itself. */
type ThreadFailure = "crashed" | "no_libcrypto";

/** One verify worker seen from the main thread. */
class VerifyThread {
  readonly #worker: Worker;
  readonly #lane: LaneClient;
  readonly #pending = new Map<number, Pending>();
  /** Plan numbers by key and parameters. */
  readonly #plans = new Map<string, number>();
  #ready = false;
  #dead = false;
  #started!: () => void;
  /** Resolves once the worker took its lane (or stopped). */
  readonly started: Promise<void> = new Promise((resolve) => this.#started = resolve);
  readonly #onFailure: (thread: VerifyThread, why: ThreadFailure) => void;
  /** Plans (key + parameters) kept, as many as the worker keeps parsed keys. */
  readonly #maxPlans: number;

  constructor(
    options: ThreadedBackendOptions,
    onFailure: (thread: VerifyThread, why: ThreadFailure) => void,
  ) {
    this.#onFailure = onFailure;
    this.#maxPlans = options.maxKeys ?? 256;
    this.#lane = new LaneClient((id, answer) => {
      if (answer !== undefined) this.#settle(id, (p) => p.resolve(answer[0] === 1));
    }, SLOT_BYTES);
    this.#worker = new Worker(new URL("./_verify_worker.ts", import.meta.url).href, {
      type: "module",
    });
    this.#worker.onmessage = (event: MessageEvent<FromVerifyWorker>) => this.#receive(event.data);
    this.#worker.onerror = (event: Event) => {
      (event as ErrorEvent).preventDefault?.();
      this.stop();
      this.#onFailure(this, "crashed");
    };
    const init: InitVerifyWorker = {
      lane: this.#lane.buffer,
      libraryNames: options.libraryNames,
      maxKeys: options.maxKeys,
    };
    this.#worker.postMessage(init);
  }

  /** Verifications in flight. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Whether the worker can take verifications. */
  get usable(): boolean {
    return this.#ready && !this.#dead;
  }

  /** Whether the worker stopped. */
  get dead(): boolean {
    return this.#dead;
  }

  /**
   * Sends one verification; `undefined` when this thread cannot take it now. `inThread` runs
   * it here instead if the worker stops before answering.
   */
  trySend(
    id: number,
    input: LibcryptoVerifyInput,
    inThread: () => Promise<boolean>,
  ): Promise<boolean> | undefined {
    const { keyId, spkiDer, scheme, hash, saltLength } = input;
    const key = `${keyId}|${scheme}|${hash}|${saltLength ?? ""}`;
    const known = this.#plans.get(key);
    // Past the limit, numbering starts over: each new definition replaces the worker's entry
    // of the same number, and the lane serves requests in order, so none sees the wrong one.
    if (known === undefined && this.#plans.size >= this.#maxPlans) this.#plans.clear();
    // The lane frames a signature with a 16-bit length; anything longer runs in this thread
    // (where it fails: no key this library verifies with makes signatures that long).
    if (input.signature.length > MAX_LANE_SIGNATURE) return undefined;
    const plan = known ?? this.#plans.size + 1;
    const parts = packVerification(input);
    const sent = known !== undefined
      ? this.#lane.trySend(id, plan, ...parts)
      : this.#lane.trySendDefining(
        id,
        plan,
        encodeVerifyPlan({ keyId, spkiDer, scheme, hash, saltLength }),
        ...parts,
      );
    if (!sent) return undefined;
    if (known === undefined) this.#plans.set(key, plan);
    return new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject, inThread }));
  }

  #receive(message: FromVerifyWorker): void {
    if (message.kind === "ready") {
      this.#ready = message.ok;
      this.#started();
      if (!message.ok) {
        this.stop();
        this.#onFailure(this, "no_libcrypto");
      }
    } else {
      this.#settle(message.id, (p) => p.reject(new Error(message.message)));
    }
  }

  #settle(id: number, how: (pending: Pending) => void): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    how(pending);
  }

  /** Stops the worker; verifications in flight finish in this thread instead. */
  stop(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#started();
    this.#lane.close();
    this.#worker.terminate();
    for (const pending of this.#pending.values()) {
      pending.inThread().then(pending.resolve, pending.reject);
    }
    this.#pending.clear();
  }
}

function defaultThreads(): number {
  const cores = (globalThis.navigator as { hardwareConcurrency?: number } | undefined)
    ?.hardwareConcurrency ?? 2;
  return Math.max(1, Math.min(4, cores - 1));
}

/**
 * A verify backend that runs RSA and ECDSA verifications (libcrypto) on `threads` worker
 * threads, each request on the least busy one, and everything else — and everything while
 * the workers start, or when libcrypto or shared memory is missing — on the in-thread
 * {@linkcode createLibcryptoBackend} (which falls back to WebCrypto). The results are the
 * same as in-thread; only where the math runs differs.
 */
export function createThreadedBackend(options: ThreadedBackendOptions = {}): ThreadedBackend {
  const inThread = createLibcryptoBackend(options);
  const size = options.threads ?? defaultThreads();
  const idleTimeout = options.idleTimeout ?? 2000;
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`threads must be a positive integer, got ${options.threads}`);
  }
  let threads: VerifyThread[] = [];
  let nextId = 1;
  let offThread = 0;
  let lastUse = 0;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let unavailable = !laneSupported();

  const stopAll = () => {
    if (idleTimer !== undefined) clearTimeout(idleTimer);
    idleTimer = undefined;
    const stopping = threads;
    threads = [];
    for (const thread of stopping) thread.stop();
  };
  // One timer while the workers run, re-armed for the time left: a busy backend pays a clock
  // read per verification, not a timer.
  const armIdleTimer = (delay: number) => {
    idleTimer = setTimeout(() => {
      const idleFor = performance.now() - lastUse;
      if (threads.some((t) => t.inFlight > 0)) armIdleTimer(idleTimeout);
      else if (idleFor < idleTimeout) armIdleTimer(idleTimeout - idleFor);
      else stopAll();
    }, delay);
    (idleTimer as { unref?: () => void }).unref?.();
  };
  const onFailure = (failed: VerifyThread, why: ThreadFailure) => {
    if (why === "no_libcrypto") {
      unavailable = true; // libcrypto cannot load here: everything stays in this thread
      stopAll();
    } else {
      threads = threads.filter((t) => t !== failed); // the next verification starts another
    }
  };
  const spawn = () => {
    try {
      while (threads.length < size) threads.push(new VerifyThread(options, onFailure));
      if (idleTimer === undefined) armIdleTimer(idleTimeout);
    } catch {
      unavailable = true; // no Worker, or a runtime that refuses the module: stay in-thread
      stopAll();
    }
  };

  return {
    verify(req: VerifyRequest): Promise<boolean> {
      const input = unavailable ? undefined : libcryptoInputOf(req, options.families);
      if (input === undefined) return inThread.verify(req);
      if (threads.length < size) spawn();
      let best: VerifyThread | undefined;
      for (const thread of threads) {
        if (thread.usable && (best === undefined || thread.inFlight < best.inFlight)) {
          best = thread;
        }
      }
      lastUse = performance.now();
      if (best === undefined) return inThread.verify(req);
      const id = nextId;
      nextId = nextLaneId(id);
      const sent = best.trySend(id, fitted(input), () => inThread.verify(req));
      if (sent === undefined) return inThread.verify(req);
      return sent.then((valid) => {
        offThread++;
        return valid;
      });
    },
    async start(): Promise<void> {
      if (unavailable) return;
      if (threads.length < size) spawn();
      lastUse = performance.now();
      await Promise.all(threads.map((t) => t.started));
    },
    close: stopAll,
    get running(): number {
      return threads.filter((t) => t.usable).length;
    },
    get offThread(): number {
      return offThread;
    },
  };
}

/** The input, hashed here when message and signature would crowd a lane slot. */
function fitted(input: LibcryptoVerifyInput): LibcryptoVerifyInput {
  if (input.signature.length + input.data.length <= SLOT_BYTES / 2 || input.hash === "none") {
    return input;
  }
  const data = new Uint8Array(createHash(input.hash).update(input.data).digest());
  return { ...input, data, precomputedDigest: true };
}
