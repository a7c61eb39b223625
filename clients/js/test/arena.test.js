// The arena's client-side rules (src/arena.js) against the real Go server
// in play mode: the server queues inputs and applies one a tick, and the
// prediction (authoritative position, then the server's queued inputs from
// field "queue", then the unacknowledged inputs) must be where the server
// ends up at every state frame, also when a whole key tap (press and
// release) reaches the server in one long-polling request.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "../src/roomcast.js";
import { MAX_QUEUED, afterQueue, applyInput, arenaRoomOptions, position, queued } from "../src/arena.js";
import { startArena, until } from "./helpers/arena.js";

// code of one queued input, as examples/arena Dir.Code.
const code = (dx, dy) => 1 + 3 * (dx + 1) + (dy + 1);

test("queued decodes the server's queue field, oldest first", () => {
  assert.deepEqual(queued({ x: 1, y: 2 }), [], "no field (bench mode)");
  assert.deepEqual(queued({ queue: 0 }), []);
  assert.deepEqual(queued({ queue: code(1, 0) | (code(0, 0) << 4) }), [
    { dx: 1, dy: 0 },
    { dx: 0, dy: 0 },
  ]);
  const all = [];
  let c = 0;
  for (let i = 0; i < MAX_QUEUED; i++) {
    const d = { dx: (i % 3) - 1, dy: (Math.floor(i / 3) % 3) - 1 };
    all.push(d);
    c += code(d.dx, d.dy) * 16 ** i; // 8 × 4 bits: above 2^31, no << here
  }
  assert.deepEqual(queued({ queue: c }), all);
  assert.deepEqual(queued({ queue: 0xf }), [], "an invalid code ends the queue");
});

test("afterQueue moves a copy by the queued inputs, one tick each", () => {
  const p = { x: 100, y: 100, hp: 100, queue: code(1, 0) | (code(1, 0) << 4) | (code(0, 1) << 8) };
  const q = afterQueue(p, 0.05);
  assert.deepEqual(q, { x: 110, y: 105, hp: 100, queue: 0 });
  assert.equal(p.x, 100, "the mirrored entity is not touched");
  const still = { x: 1, y: 2, queue: 0 };
  assert.equal(afterQueue(still, 0.05), still);
  const packed = afterQueue({ pos: [0, 1000], queue: code(-1, 1) }, 0.05);
  assert.deepEqual(packed.pos, [0, 1000], "clamped like the server");
  assert.deepEqual(applyInput({ pos: [10, 10] }, { dx: 1, dy: 0 }, 0.05).pos, [15, 10]);
});

let server;
const clients = [];

before(async () => {
  server = await startArena();
});

after(async () => {
  for (const c of clients) c.close();
  if (server) {
    const st = await server.stop();
    assert.equal(st.code, 0, `server exit: ${JSON.stringify(st)}\n${server.stderr().slice(-4000)}`);
  }
});

for (const transports of [["polling"], ["websocket"]]) {
  describe(`play mode over ${transports[0]}`, () => {
    // sends inputs in one go (over polling: one request, as the ping that
    // goes first holds the transport), records the prediction at every
    // state frame until the server applied them all, and returns
    // {start, preds, end}.
    async function play(room, inputs) {
      await until(() => room.me, "own player");
      // The prediction starts with the first frame the own player is in
      // (the join snapshot may come before the seat): a stop input makes one.
      if (!room.predicted) room.send({ dx: 0, dy: 0 });
      await until(() => room.predicted && room.pending.length === 0 && !room.me.queue, "settled");
      const start = position(room.me);
      const preds = [];
      const onState = () => preds.push({ ...position(room.predicted), ack: room.ackedSeq, queue: room.state.players.get(room.sessionId).queue });
      room.on("state", onState);
      const ping = room.message("ping", 1);
      let seq = 0;
      for (const input of inputs) seq = room.send(input);
      preds.push({ ...position(room.predicted), sent: true });
      await ping;
      await until(() => room.ackedSeq === seq && !room.state.players.get(room.sessionId).queue, `ack of ${seq} and an empty queue`);
      // A few more ticks: nothing moves any more (the last input is a stop).
      await new Promise((r) => setTimeout(r, 200));
      room.off?.("state", onState);
      return { start, preds, end: position(room.state.players.get(room.sessionId)) };
    }

    test("a key tap moves one tick's distance and the prediction never snaps back", async () => {
      const c = await connect(server.url, { transports });
      clients.push(c);
      // Quantized (step 1/32): one tick is 5 units, so positions compare exactly.
      const room = await c.create("arena", { name: "tapper", mode: "play", quantized: true }, arenaRoomOptions);
      const step = 100 * room.dt;
      const { start, preds, end } = await play(room, [
        { dx: 1, dy: 0 },
        { dx: 0, dy: 0 },
      ]);
      const want = { x: start.x + step, y: start.y };
      assert.deepEqual(end, want, "the server moved the player one tick's distance");
      for (const p of preds) assert.deepEqual({ x: p.x, y: p.y }, want, `prediction at every frame: ${JSON.stringify(preds)}`);

      // Two moves and a stop in one request: two ticks' distance; the
      // first frame after them has inputs queued.
      const r2 = await play(room, [
        { dx: 0, dy: 1 },
        { dx: 0, dy: 1 },
        { dx: 0, dy: 0 },
      ]);
      const want2 = { x: r2.start.x, y: r2.start.y + 2 * step };
      assert.deepEqual(r2.end, want2);
      for (const p of r2.preds) assert.deepEqual({ x: p.x, y: p.y }, want2, `prediction at every frame: ${JSON.stringify(r2.preds)}`);
      assert.ok(r2.preds.length >= 2, "frames seen");
      await room.leave();
      c.close();
    });
  });
}
