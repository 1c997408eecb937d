/**
 * A request lane: a shared-memory path (`SharedArrayBuffer` + `Atomics`) from the main thread
 * to one worker for small, hot requests — a slot worker's `C_Sign`, a verify worker's
 * signature check — beside the `postMessage` channel that carries everything else.
 *
 * A `postMessage` round trip costs about as much as a third of a P-256 signature on SoftHSM2,
 * and answers travel in batches, so a worker fed by messages idles between batches. On a
 * lane the main thread writes each request into a free slot of shared memory and publishes
 * the slot's number; the worker takes published slots as long as there are any, writes each
 * answer back into its slot and publishes it. Neither side serializes anything, and a busy
 * worker never waits for the main thread.
 *
 * Layout (all offsets in bytes): a header — requests published by the main thread, answers
 * published by the worker, a closed flag, the slot size, whether the worker waits — then the
 * two queues of slot numbers, then `LANE_SLOTS` slots of a small header (request id, plan, length, status) and
 * the slot's bytes, which hold the input, then the answer. Counters only grow (wrapping as
 * int32); the queues are rings indexed by counter modulo `LANE_SLOTS`. A slot belongs to the
 * main thread while free, to the worker from its publication until the worker answers, then
 * to the main thread again.
 *
 * @module
 */
import { setImmediate } from "node:timers";

/** Slots of one lane: at most this many lane requests are in flight per worker. */
export const LANE_SLOTS = 64;
/** Request ids and plan numbers are int32 in shared memory: callers wrap their counters here. */
export const MAX_ID = 0x7fffffff;

/** The id after `id`, wrapping to 1 after {@linkcode MAX_ID} (far more than can be in flight). */
export function nextLaneId(id: number): number {
  return id >= MAX_ID ? 1 : id + 1;
}
const SLOTS = LANE_SLOTS;

/** How long (ms) a worker serves its lane before letting its message queue run. */
const ROUND_MS = 5;
/** While requests are queued, the worker wakes the main thread once per this many answers. */
const ANNOUNCE_EVERY = 4;
const REQUESTS = 0; // int32 index: requests published
const ANSWERS = 1; // int32 index: answers published
const CLOSED = 2; // int32 index: 1 once the main thread closed the lane
const SLOT_SIZE = 3; // int32 index: the bytes of each slot's data
const WORKER_WAITING = 4; // int32 index: 1 while the worker waits for requests
const HEADER_INTS = 5;
const REQUEST_QUEUE = HEADER_INTS; // int32 index of the request ring
const ANSWER_QUEUE = REQUEST_QUEUE + SLOTS; // int32 index of the answer ring
const SLOT_HEADER_INTS = 4; // id, plan, input or output length, status
const SLOTS_OFFSET = (ANSWER_QUEUE + SLOTS) * 4;
const laneBytes = (dataBytes: number) => SLOTS_OFFSET + SLOTS * (SLOT_HEADER_INTS * 4 + dataBytes);

/** How the worker answered a lane request. */
const enum Status {
  /** The answer is in the slot. */
  InSlot = 0,
  /** The answer (an error, or one too large for the slot) went by message. */
  ByMessage = 1,
}

/** Slot sizes keep every slot header int32-aligned. */
const validSlotBytes = (bytes: number) => Number.isInteger(bytes) && bytes > 0 && bytes % 4 === 0;

/** The typed views of a lane and where its slots are. */
class Layout {
  readonly ints: Int32Array;
  readonly bytes: Uint8Array;
  /** The bytes of data each slot holds. */
  readonly dataBytes: number;

  constructor(buffer: SharedArrayBuffer) {
    this.ints = new Int32Array(buffer);
    this.bytes = new Uint8Array(buffer);
    this.dataBytes = buffer.byteLength >= SLOTS_OFFSET ? this.ints[SLOT_SIZE] : -1;
    if (!validSlotBytes(this.dataBytes) || buffer.byteLength !== laneBytes(this.dataBytes)) {
      throw new RangeError("Not a lane buffer");
    }
  }

  /** The int32 index of a slot's header. */
  header(slot: number): number {
    return (SLOTS_OFFSET + slot * (SLOT_HEADER_INTS * 4 + this.dataBytes)) / 4;
  }

  /** The byte offset of a slot's data. */
  data(slot: number): number {
    return (this.header(slot) + SLOT_HEADER_INTS) * 4;
  }
}

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

/** The main thread's end of a lane. */
export class LaneClient {
  /** The shared memory, to hand to the worker once. */
  readonly buffer: SharedArrayBuffer;
  /** The largest input or answer a slot holds; larger ones travel by message. */
  readonly slotBytes: number;
  readonly #views: Layout;
  readonly #free: number[] = Array.from({ length: SLOTS }, (_, i) => SLOTS - 1 - i);
  readonly #onAnswer: (id: number, answer: Uint8Array | undefined) => void;
  #published = 0;
  #taken = 0;
  #watching = false;
  #closed = false;

  /**
   * @param onAnswer called for each answered request: with the answer — a view of shared
   *   memory, valid only during the call: copy what you keep — or `undefined` when the worker
   *   answered that request by message instead.
   * @param slotBytes the largest input or answer a slot holds: a multiple of 4 (default 1 KiB).
   */
  constructor(
    onAnswer: (id: number, answer: Uint8Array | undefined) => void,
    slotBytes = 1024,
  ) {
    if (!validSlotBytes(slotBytes)) {
      throw new RangeError(`A lane slot holds a positive multiple of 4 bytes, not ${slotBytes}`);
    }
    this.#onAnswer = onAnswer;
    this.slotBytes = slotBytes;
    this.buffer = new SharedArrayBuffer(laneBytes(slotBytes));
    new Int32Array(this.buffer)[SLOT_SIZE] = slotBytes;
    this.#views = new Layout(this.buffer);
  }

  /** Lane requests not yet answered. */
  get inFlight(): number {
    return SLOTS - this.#free.length;
  }

  /**
   * Publishes request `id` of plan `plan` (a positive number the worker knows) whose input is
   * the concatenation of `parts`. Returns `false` — and publishes nothing — when the lane is
   * closed, the input too large or no slot free.
   */
  trySend(id: number, plan: number, ...parts: Uint8Array[]): boolean {
    return this.#publish(id, plan, parts);
  }

  /**
   * Like `trySend`, for the first request of a plan: it carries the plan's `definition`, which
   * the worker learns before serving the request. Requests of one lane are served in order,
   * so later requests may use the plan's number at once.
   */
  trySendDefining(
    id: number,
    plan: number,
    definition: Uint8Array,
    ...parts: Uint8Array[]
  ): boolean {
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, definition.length, true);
    return this.#publish(id, -plan, [length, definition, ...parts]);
  }

  /** Writes a request into a free slot and publishes it; `planField` < 0 marks a definition. */
  #publish(id: number, planField: number, parts: readonly Uint8Array[]): boolean {
    if (!Number.isInteger(planField) || planField === 0 || Math.abs(planField) > MAX_ID) {
      throw new RangeError(`A lane plan is a positive int32, not ${Math.abs(planField)}`);
    }
    if (!Number.isInteger(id) || id < 0 || id > MAX_ID) {
      throw new RangeError(`A lane request id is a non-negative int32, not ${id}`);
    }
    let size = 0;
    for (const part of parts) size += part.length;
    if (this.#closed || size > this.slotBytes || this.#free.length === 0) return false;
    const layout = this.#views;
    const { ints, bytes } = layout;
    const slot = this.#free.pop()!;
    const header = layout.header(slot);
    ints[header] = id;
    ints[header + 1] = planField;
    ints[header + 2] = size;
    let at = layout.data(slot);
    for (const part of parts) {
      bytes.set(part, at);
      at += part.length;
    }
    ints[REQUEST_QUEUE + (this.#published & (SLOTS - 1))] = slot;
    this.#published = (this.#published + 1) | 0;
    Atomics.store(ints, REQUESTS, this.#published);
    if (Atomics.load(ints, WORKER_WAITING) === 1) Atomics.notify(ints, REQUESTS);
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
    const layout = this.#views;
    const { ints, bytes } = layout;
    const answered = Atomics.load(ints, ANSWERS);
    while (this.#taken !== answered) {
      const slot = ints[ANSWER_QUEUE + (this.#taken & (SLOTS - 1))];
      this.#taken = (this.#taken + 1) | 0;
      const header = layout.header(slot);
      const id = ints[header];
      const data = layout.data(slot);
      const answer = ints[header + 3] === Status.InSlot
        ? bytes.subarray(data, data + ints[header + 2])
        : undefined;
      this.#onAnswer(id, answer);
      this.#free.push(slot);
    }
    if (this.inFlight > 0) this.#watch();
  }
}

/**
 * How a worker answers one lane request: with the answer (at most the lane's slot size; it is
 * copied at once, so a view of a scratch buffer will do), or `undefined` when it answered by
 * message instead (an error, a larger answer). `input` is a view of shared memory, valid
 * until the handler returns.
 */
export type LaneHandler = (id: number, plan: number, input: Uint8Array) => Uint8Array | undefined;

/** Learns a plan from the definition its first request carried; may throw on a bad one. */
export type LaneDefiner = (plan: number, definition: Uint8Array) => void;

/**
 * Serves a lane in a worker: takes published requests while there are any, answers each as
 * soon as it is done, and yields to the worker's message queue at least every few
 * milliseconds so that control messages (login, close) are never starved by a busy lane.
 * A request that carries its plan's definition goes to `define` first (a definition it
 * refuses leaves the plan unknown, for `handle` to report). Stops when the main thread
 * closes the lane. Returns the largest answer a slot holds.
 */
export function serveLane(
  buffer: SharedArrayBuffer,
  handle: LaneHandler,
  define: LaneDefiner = () => {},
): number {
  const layout = new Layout(buffer);
  const { ints, bytes } = layout;
  let taken = 0;
  let answered = 0;
  let announced = 0;
  const round = (): void => {
    if (Atomics.load(ints, CLOSED) === 1) return;
    // A round takes what arrives while it runs (each pass through the event loop costs the
    // worker several microseconds), until its time is up.
    const yieldAt = performance.now() + ROUND_MS;
    while (taken !== Atomics.load(ints, REQUESTS) && performance.now() < yieldAt) {
      const slot = ints[REQUEST_QUEUE + (taken & (SLOTS - 1))];
      taken = (taken + 1) | 0;
      const header = layout.header(slot);
      const data = layout.data(slot);
      // The slot is the worker's until answered: the handler reads the input in place.
      let plan = ints[header + 1];
      let input = bytes.subarray(data, data + ints[header + 2]);
      if (plan < 0) {
        plan = -plan;
        input = definePlan(plan, input, define);
      }
      const answer = handle(ints[header], plan, input);
      if (answer !== undefined) {
        bytes.set(answer, data);
        ints[header + 2] = answer.length;
        ints[header + 3] = Status.InSlot;
      } else {
        ints[header + 3] = Status.ByMessage;
      }
      ints[ANSWER_QUEUE + (answered & (SLOTS - 1))] = slot;
      answered = (answered + 1) | 0;
      Atomics.store(ints, ANSWERS, answered);
      // Waking the main thread costs both threads a system call: while more requests are
      // queued here, answers are announced in groups; the last ones of a run at once.
      const queued = (Atomics.load(ints, REQUESTS) - taken) | 0;
      if (queued <= 2 || ((answered - announced) | 0) >= ANNOUNCE_EVERY) {
        Atomics.notify(ints, ANSWERS);
        announced = answered;
      }
    }
    if (announced !== answered) {
      Atomics.notify(ints, ANSWERS);
      announced = answered;
    }
    if (Atomics.load(ints, REQUESTS) !== taken) {
      setImmediate(round);
      return;
    }
    // Say so before waiting: the main thread notifies only a worker that waits, and whichever
    // of the two moves second sees the other's write.
    Atomics.store(ints, WORKER_WAITING, 1);
    whenChanged(ints, REQUESTS, taken, () => {
      Atomics.store(ints, WORKER_WAITING, 0);
      round();
    });
  };
  round();
  return layout.dataBytes;
}

/** Hands a request's plan definition to `define`; returns the rest of the input. */
function definePlan(plan: number, input: Uint8Array, define: LaneDefiner): Uint8Array {
  if (input.length < 4) return input;
  const length = new DataView(input.buffer, input.byteOffset, 4).getUint32(0, true);
  if (length > input.length - 4) return input;
  try {
    define(plan, input.subarray(4, 4 + length));
  } catch {
    // The plan stays unknown; the handler answers the request with that error.
  }
  return input.subarray(4 + length);
}
