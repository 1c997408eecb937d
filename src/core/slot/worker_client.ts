/**
 * The main-thread handle of one slot worker: spawns it, sends sign requests on the shared
 * memory lane (../lane.ts) and batches the other requests issued in one turn of the event
 * loop into one message, matches responses, and rejects everything in flight with
 * `worker_failed` when the worker dies, so that nothing hangs.
 *
 * @module
 */
import { setImmediate } from "node:timers";
import { Pkcs11exError, type Pkcs11exReason } from "../errors.ts";
import type { MechanismSpec } from "../../ffi/mechanism.ts";
import {
  encodeSignPlan,
  type WorkerError,
  type WorkerInit,
  type WorkerRequest,
  type WorkerResponse,
} from "./protocol.ts";
import { FreshCopies } from "../../ffi/fresh_copies.ts";
import { LaneClient, laneSupported, nextLaneId } from "../lane.ts";

/** A request without its id; the client numbers requests. */
export type Request = WorkerRequest extends infer R
  ? R extends { id: number } ? Omit<R, "id"> : never
  : never;

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Rebuilds the error a worker reported. */
export function fromWorkerError(error: WorkerError): Error {
  if (error.reason === "TypeError") return new TypeError(error.message);
  if (error.reason === "RangeError") return new RangeError(error.message);
  return new Pkcs11exError(error.reason as Pkcs11exReason, error.message, {
    detail: { ...error.detail, ...(error.sessionLost ? { sessionLost: true } : {}) },
  });
}

/** One slot worker seen from the main thread. */
export class WorkerClient {
  /** The worker's index in its pool (1-based, as the spec counts). */
  readonly index: number;
  #worker: Worker;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #outbox: WorkerRequest[] = [];
  #transfer: Transferable[] = [];
  #dead = false;
  readonly #lane = laneSupported()
    ? new LaneClient((id, signature) => this.#laneAnswer(id, signature))
    : undefined;
  /** The callers' copies of lane answers (see ../../ffi/fresh_copies.ts). */
  readonly #copies = new FreshCopies();
  /** Lane plan numbers by key and mechanism. */
  readonly #plans = new Map<string, number>();
  readonly #onDeath: (client: WorkerClient) => void;

  private constructor(index: number, onDeath: (client: WorkerClient) => void) {
    this.index = index;
    this.#onDeath = onDeath;
    this.#worker = new Worker(new URL("./worker.ts", import.meta.url).href, { type: "module" });
    this.#worker.onmessage = (event: MessageEvent<WorkerResponse[]>) => this.#receive(event.data);
    this.#worker.onerror = (event: Event) => {
      (event as ErrorEvent).preventDefault?.();
      this.#die(`the slot worker crashed: ${(event as ErrorEvent).message ?? "unknown error"}`);
    };
  }

  /** Spawns a worker and initializes its module (`C_Initialize`). */
  static async start(
    index: number,
    init: WorkerInit,
    onDeath: (client: WorkerClient) => void,
  ): Promise<WorkerClient> {
    const client = new WorkerClient(index, onDeath);
    try {
      await client.call({ op: "init", init: { ...init, lane: client.#lane?.buffer } });
    } catch (err) {
      client.terminate();
      throw err;
    }
    return client;
  }

  /** Requests sent and not yet answered. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Whether the worker died or was terminated. */
  get dead(): boolean {
    return this.#dead;
  }

  /** Sends one request (batched with the others of this turn) and waits for its answer. */
  call<T>(request: Request, transfer: Transferable[] = []): Promise<T> {
    if (this.#dead) {
      return Promise.reject(new Pkcs11exError("worker_failed", "The slot worker is not running"));
    }
    const id = this.#nextId;
    this.#nextId = nextLaneId(id);
    return new Promise<T>((resolve, reject) => {
      if (request.op === "sign" && this.#sendOnLane(id, request)) {
        this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        return;
      }
      // An idle worker gets the request at once, so it works while the callers of this turn
      // queue up; those are flushed on the next turn of the event loop as one message.
      const idle = this.#pending.size === 0;
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#outbox.push({ ...request, id } as WorkerRequest);
      this.#transfer.push(...transfer);
      if (idle) this.#flush();
      else if (this.#outbox.length === 1) setImmediate(() => this.#flush());
    });
  }

  /**
   * Publishes a sign request on the lane — the first of its key and mechanism with the plan's
   * definition; `false` when it must go by message.
   */
  #sendOnLane(id: number, request: Extract<Request, { op: "sign" }>): boolean {
    if (this.#lane === undefined) return false;
    const { key, mechanism, input } = request;
    const planKey = `${key.keyRef}\u0000${mechanismKey(mechanism)}`;
    const known = this.#plans.get(planKey);
    if (known !== undefined) return this.#lane.trySend(id, known, input);
    const plan = this.#plans.size + 1;
    const sent = this.#lane.trySendDefining(id, plan, encodeSignPlan({ key, mechanism }), input);
    if (sent) this.#plans.set(planKey, plan);
    return sent;
  }

  #laneAnswer(id: number, signature: Uint8Array | undefined): void {
    if (signature === undefined) return; // answered by message
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    pending.resolve(this.#copies.copy(signature)); // the caller's own copy of the lane's bytes
  }

  #flush(): void {
    const batch = this.#outbox;
    const transfer = this.#transfer;
    this.#outbox = [];
    this.#transfer = [];
    if (batch.length > 0 && !this.#dead) this.#worker.postMessage(batch, transfer);
  }

  #receive(responses: WorkerResponse[]): void {
    for (const response of responses) {
      const pending = this.#pending.get(response.id);
      if (pending === undefined) continue;
      this.#pending.delete(response.id);
      if (response.ok) pending.resolve(response.value);
      else pending.reject(fromWorkerError(response.error));
    }
  }

  #die(why: string): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#worker.terminate();
    this.#lane?.close();
    const error = new Pkcs11exError("worker_failed", `A slot call failed: ${why}`, {
      detail: { workerIndex: this.index },
    });
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.#onDeath(this);
  }

  /** Kills the worker as a crash would (in-flight calls reject with `worker_failed`). */
  kill(): void {
    this.#die("the slot worker was killed");
  }

  /** Stops the worker without reporting a death (after an orderly close). */
  terminate(): void {
    this.#dead = true;
    this.#worker.terminate();
    this.#lane?.close();
    for (const pending of this.#pending.values()) {
      pending.reject(new Pkcs11exError("slot_closed", "The slot was closed"));
    }
    this.#pending.clear();
  }
}

const mechanismKeys = new WeakMap<MechanismSpec, string>();

/** A mechanism's identity as a string, computed once per spec object. */
function mechanismKey(mechanism: MechanismSpec): string {
  let key = mechanismKeys.get(mechanism);
  if (key === undefined) {
    key = JSON.stringify(mechanism);
    mechanismKeys.set(mechanism, key);
  }
  return key;
}
