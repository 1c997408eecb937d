/**
 * The sign lane: a shared-memory path (`SharedArrayBuffer` + `Atomics`) for the hot call of a
 * slot worker, one `C_Sign`, beside the `postMessage` channel that carries everything else.
 *
 * A `postMessage` round trip costs about as much as a third of a P-256 signature on SoftHSM2,
 * and answers travel in batches, so a worker fed by messages idles between batches. On the
 * lane the proxy writes each request into a free slot of shared memory and publishes the
 * slot's number; the worker takes published slots as long as there are any, writes each
 * signature back into its slot and publishes it at once. Neither side serializes anything,
 * and a busy worker never waits for the main thread.
 *
 * Layout (all offsets in bytes): a header of two counters — requests published by the
 * proxy, answers published by the worker — and a closed flag, then the two queues of slot numbers, then
 * `SLOTS` slots of a small header (request id, plan, length, status) and `SLOT_DATA_BYTES`
 * bytes that hold the input, then the signature. Counters only grow (wrapping as int32);
 * the queues are rings indexed by counter modulo `SLOTS`. A slot belongs to the proxy while
 * free, to the worker from its publication until the worker answers, then to the proxy.
 *
 * @module
 */
import { setImmediate } from "node:timers";

/** Slots of one lane: at most this many lane requests are in flight per worker. */
export const SLOTS = 64;
/** The largest input or signature a slot holds; larger ones travel by message. */
export const SLOT_DATA_BYTES = 1024;

/** While requests are queued, the worker wakes the main thread once per this many answers. */
const ANNOUNCE_EVERY = 4;
const REQUESTS = 0; // int32 index: requests published
const ANSWERS = 1; // int32 index: answers published
const CLOSED = 2; // int32 index: 1 once the proxy closed the lane
const HEADER_INTS = 3;
const REQUEST_QUEUE = HEADER_INTS; // int32 index of the request ring
const ANSWER_QUEUE = REQUEST_QUEUE + SLOTS; // int32 index of the answer ring
const SLOT_HEADER_INTS = 4; // id, plan, input or output length, status
const SLOT_BYTES = SLOT_HEADER_INTS * 4 + SLOT_DATA_BYTES;
const SLOTS_OFFSET = (ANSWER_QUEUE + SLOTS) * 4;
const LANE_BYTES = SLOTS_OFFSET + SLOTS * SLOT_BYTES;

/** How the worker answered a lane request. */
const enum Status {
  /** The signature is in the slot. */
  Signed = 0,
  /** The answer (an error, or a signature too large for the slot) went by message. */
  ByMessage = 1,
}

interface Views {
  readonly ints: Int32Array;
  readonly bytes: Uint8Array;
}

function viewsOf(buffer: SharedArrayBuffer): Views {
  if (buffer.byteLength !== LANE_BYTES) throw new RangeError("Not a sign lane buffer");
  return { ints: new Int32Array(buffer), bytes: new Uint8Array(buffer) };
}

const slotInts = (slot: number) => (SLOTS_OFFSET + slot * SLOT_BYTES) / 4;
const slotData = (slot: number) => SLOTS_OFFSET + slot * SLOT_BYTES + SLOT_HEADER_INTS * 4;

/** What `Atomics.waitAsync` returns (not yet in every TypeScript lib). */
type WaitAsyncResult = { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): WaitAsyncResult;
}).waitAsync;

/** Calls `then` once the int32 at `index` no longer holds `value`. */
function whenChanged(ints: Int32Array, index: number, value: number, then: () => void): void {
  const result = waitAsync(ints, index, value);
  if (result.async) result.value.then(then);
  else queueMicrotask(then);
}

/** Whether this runtime can run a lane (`Atomics.waitAsync` and shared memory). */
export function laneSupported(): boolean {
  return typeof waitAsync === "function" && typeof SharedArrayBuffer === "function";
}

/** The proxy's end of a lane (main thread). */
export class SignLaneClient {
  /** The shared memory, to hand to the worker once. */
  readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(LANE_BYTES);
  readonly #views: Views = viewsOf(this.buffer);
  readonly #free: number[] = Array.from({ length: SLOTS }, (_, i) => SLOTS - 1 - i);
  readonly #onAnswer: (id: number, signature: Uint8Array | undefined) => void;
  #published = 0;
  #taken = 0;
  #watching = false;
  #closed = false;

  /**
   * @param onAnswer called for each answered request: with the signature, or `undefined`
   *   when the worker answered that request by message instead.
   */
  constructor(onAnswer: (id: number, signature: Uint8Array | undefined) => void) {
    this.#onAnswer = onAnswer;
  }

  /** Lane requests not yet answered. */
  get inFlight(): number {
    return SLOTS - this.#free.length;
  }

  /**
   * Publishes a sign request of plan `plan` (registered with the worker beforehand).
   * Returns `false` — and publishes nothing — when the input is too large or no slot is free.
   */
  trySend(id: number, plan: number, input: Uint8Array): boolean {
    if (this.#closed || input.length > SLOT_DATA_BYTES || this.#free.length === 0) return false;
    const { ints, bytes } = this.#views;
    const slot = this.#free.pop()!;
    const header = slotInts(slot);
    ints[header] = id;
    ints[header + 1] = plan;
    ints[header + 2] = input.length;
    bytes.set(input, slotData(slot));
    ints[REQUEST_QUEUE + (this.#published & (SLOTS - 1))] = slot;
    this.#published = (this.#published + 1) | 0;
    Atomics.store(ints, REQUESTS, this.#published);
    Atomics.notify(ints, REQUESTS);
    this.#watch();
    return true;
  }

  /** Stops both ends of the lane and releases their waiters, so nothing keeps a thread alive. */
  close(): void {
    this.#closed = true;
    const { ints } = this.#views;
    Atomics.store(ints, CLOSED, 1);
    Atomics.notify(ints, REQUESTS);
    Atomics.notify(ints, ANSWERS);
  }

  #watch(): void {
    if (this.#watching || this.#closed) return;
    this.#watching = true;
    whenChanged(this.#views.ints, ANSWERS, this.#taken, () => {
      this.#watching = false;
      this.#takeAnswers();
    });
  }

  #takeAnswers(): void {
    if (this.#closed) return;
    const { ints, bytes } = this.#views;
    const answered = Atomics.load(ints, ANSWERS);
    while (this.#taken !== answered) {
      const slot = ints[ANSWER_QUEUE + (this.#taken & (SLOTS - 1))];
      this.#taken = (this.#taken + 1) | 0;
      const header = slotInts(slot);
      const id = ints[header];
      const signature = ints[header + 3] === Status.Signed
        ? bytes.slice(slotData(slot), slotData(slot) + ints[header + 2])
        : undefined;
      this.#free.push(slot);
      this.#onAnswer(id, signature);
    }
    if (this.inFlight > 0) this.#watch();
  }
}

/**
 * How the worker signs one lane request: the signature (at most `SLOT_DATA_BYTES`; it is
 * copied at once, so a view of a scratch buffer will do), or `undefined` when it answered
 * by message instead (an error, a larger signature). `input` is a view of shared memory,
 * valid until the signer returns.
 */
export type LaneSigner = (id: number, plan: number, input: Uint8Array) => Uint8Array | undefined;

/**
 * The worker's end of a lane: takes published requests while there are any, answers each as
 * soon as it is signed, and yields to the worker's message queue between rounds so that
 * control messages (login, close) are never starved by a busy lane. Stops when the proxy
 * closes the lane.
 */
export function serveSignLane(buffer: SharedArrayBuffer, sign: LaneSigner): void {
  const { ints, bytes } = viewsOf(buffer);
  let taken = 0;
  let answered = 0;
  let announced = 0;
  const round = (): void => {
    if (Atomics.load(ints, CLOSED) === 1) return;
    const published = Atomics.load(ints, REQUESTS);
    while (taken !== published) {
      const slot = ints[REQUEST_QUEUE + (taken & (SLOTS - 1))];
      taken = (taken + 1) | 0;
      const header = slotInts(slot);
      // The slot is the worker's until answered: the signer reads the input in place.
      const input = bytes.subarray(slotData(slot), slotData(slot) + ints[header + 2]);
      const signature = sign(ints[header], ints[header + 1], input);
      if (signature !== undefined) {
        bytes.set(signature, slotData(slot));
        ints[header + 2] = signature.length;
        ints[header + 3] = Status.Signed;
      } else {
        ints[header + 3] = Status.ByMessage;
      }
      ints[ANSWER_QUEUE + (answered & (SLOTS - 1))] = slot;
      answered = (answered + 1) | 0;
      Atomics.store(ints, ANSWERS, answered);
      // Waking the main thread costs both threads a system call: while more requests are
      // queued here, answers are announced in groups; the last ones of a run at once.
      const queued = (Atomics.load(ints, REQUESTS) - taken) | 0;
      if (queued <= 1 || ((answered - announced) | 0) >= ANNOUNCE_EVERY) {
        Atomics.notify(ints, ANSWERS);
        announced = answered;
      }
    }
    if (announced !== answered) {
      Atomics.notify(ints, ANSWERS);
      announced = answered;
    }
    if (Atomics.load(ints, REQUESTS) !== taken) setImmediate(round);
    else whenChanged(ints, REQUESTS, taken, round);
  };
  round();
}
