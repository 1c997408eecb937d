import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  LANE_SLOTS as SLOTS,
  LaneClient,
  laneSupported,
  MAX_ID,
  nextLaneId,
  serveLane,
} from "../../src/core/lane.ts";

/** A lane whose serving end runs on this thread with `sign`, collecting the answers. */
function lane(sign: (id: number, plan: number, input: Uint8Array) => Uint8Array | undefined) {
  const answers = new Map<number, Uint8Array | undefined>();
  let settle = () => {};
  const client = new LaneClient((id, answer) => {
    answers.set(id, answer?.slice()); // the view is only valid during the call
    settle();
  }, 256);
  assert.equal(serveLane(client.buffer, sign), 256, "the worker end learns the slot size");
  /**
   * Resolves once `count` answers arrived. A timer keeps Deno's event loop alive meanwhile:
   * an `Atomics.waitAsync` alone does not (in a slot, the worker does).
   */
  const answered = (count: number) =>
    new Promise<void>((resolve) => {
      const keepAlive = setInterval(() => {}, 1000);
      settle = () => {
        if (answers.size < count) return;
        clearInterval(keepAlive);
        resolve();
      };
      settle();
    });
  return { client, answers, answered };
}

const tagged = (id: number, plan: number, input: Uint8Array) =>
  Uint8Array.of(plan, ...input.toReversed(), id & 0xff);

describe("request lane (shared memory between threads)", () => {
  test("the runtime supports it", () => {
    assert.equal(laneSupported(), true);
  });

  test("every request gets its own answer, and a full lane refuses more until answers free it", async () => {
    const { client, answers, answered } = lane(tagged);
    const inputs = Array.from({ length: SLOTS + 5 }, (_, i) => Uint8Array.of(i, i + 1, i + 2));
    const sent = inputs.map((input, i) => client.trySend(i + 1, 7, input));
    assert.deepEqual(sent.filter((s) => !s).length, 5, "5 requests beyond the 64 slots");
    assert.equal(client.inFlight, SLOTS);
    await answered(SLOTS);
    assert.equal(client.inFlight, 0);
    for (let i = 0; i < SLOTS; i++) {
      assert.deepEqual(answers.get(i + 1), tagged(i + 1, 7, inputs[i]), `request ${i + 1}`);
    }
    assert.equal(client.trySend(1000, 7, inputs[0]), true, "slots are free again");
    await answered(SLOTS + 1);
    assert.deepEqual(answers.get(1000), tagged(1000, 7, inputs[0]));
    client.close();
  });

  test("an input in parts arrives as their concatenation", async () => {
    const { client, answers, answered } = lane((_id, _plan, input) => input);
    const parts = [Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3), Uint8Array.of(4, 5)];
    assert.equal(client.trySend(9, 1, ...parts), true);
    await answered(1);
    assert.deepEqual(answers.get(9), Uint8Array.of(1, 2, 3, 4, 5));
    const tooBig = [new Uint8Array(client.slotBytes), Uint8Array.of(1)];
    assert.equal(client.trySend(10, 1, ...tooBig), false, "the parts together exceed a slot");
    client.close();
  });

  test("a plan's definition reaches the worker before its first request; later ones use the number", async () => {
    const defined = new Map<number, string>();
    const answers = new Map<number, string>();
    let settle = () => {};
    const client = new LaneClient((id, answer) => {
      answers.set(id, new TextDecoder().decode(answer));
      settle();
    }, 256);
    serveLane(
      client.buffer,
      (_id, plan, input) => new TextEncoder().encode(`${defined.get(plan)}:${input.join(",")}`),
      (plan, definition) => {
        const text = new TextDecoder().decode(definition);
        if (text === "refused") throw new Error("a definition the worker refuses");
        defined.set(plan, text);
      },
    );
    const def = (text: string) => new TextEncoder().encode(text);
    assert.equal(client.trySendDefining(1, 3, def("three"), Uint8Array.of(7)), true);
    assert.equal(client.trySend(2, 3, Uint8Array.of(8, 9)), true);
    assert.equal(client.trySendDefining(3, 4, def("refused"), Uint8Array.of(1)), true);
    const keepAlive = setInterval(() => {}, 1000);
    await new Promise<void>((resolve) => {
      settle = () => answers.size === 3 && resolve();
      settle();
    });
    clearInterval(keepAlive);
    assert.equal(answers.get(1), "three:7");
    assert.equal(answers.get(2), "three:8,9");
    assert.equal(answers.get(3), "undefined:1", "a refused definition leaves the plan unknown");
    assert.throws(() => client.trySend(4, 0, Uint8Array.of(1)), RangeError);
    client.close();
  });

  test("an input larger than a slot is refused and nothing is published", () => {
    let calls = 0;
    const { client } = lane(() => {
      calls++;
      return new Uint8Array(1);
    });
    assert.equal(client.trySend(1, 1, new Uint8Array(client.slotBytes + 1)), false);
    assert.equal(client.inFlight, 0);
    assert.equal(calls, 0);
    client.close();
  });

  test("a request answered by message frees its slot and reports no signature", async () => {
    const { client, answers, answered } = lane(() => undefined);
    assert.equal(client.trySend(42, 1, new Uint8Array(32)), true);
    await answered(1);
    assert.equal(answers.has(42), true);
    assert.equal(answers.get(42), undefined);
    assert.equal(client.inFlight, 0);
    client.close();
  });

  test("a closed lane refuses requests and its worker end stops serving", async () => {
    let calls = 0;
    const { client } = lane(() => {
      calls++;
      return new Uint8Array(1);
    });
    client.close();
    assert.equal(client.trySend(1, 1, new Uint8Array(8)), false);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(calls, 0);
  });

  test("ids and plans must fit int32; counters wrap before they would not", () => {
    const client = new LaneClient(() => {});
    assert.throws(() => client.trySend(MAX_ID + 1, 1, Uint8Array.of(1)), RangeError);
    assert.throws(() => client.trySend(-1, 1, Uint8Array.of(1)), RangeError);
    assert.throws(() => client.trySend(1, MAX_ID + 1, Uint8Array.of(1)), RangeError);
    assert.equal(client.inFlight, 0, "nothing was published");
    assert.equal(nextLaneId(41), 42);
    assert.equal(nextLaneId(MAX_ID), 1);
    client.close();
  });

  test("a slot size that would misalign the slots is refused", () => {
    for (const size of [0, -4, 6, 1.5, Number.NaN]) {
      assert.throws(() => new LaneClient(() => {}, size), RangeError, String(size));
    }
  });

  test("the worker end refuses a buffer that is not a lane", () => {
    assert.throws(() => serveLane(new SharedArrayBuffer(64), () => undefined), RangeError);
    const client = new LaneClient(() => {});
    const other = new SharedArrayBuffer(client.buffer.byteLength);
    assert.throws(() => serveLane(other, () => undefined), RangeError, "no slot size");
    client.close();
  });
});
