// The arena's client-side rules (src/arena.js) against the real Go server
// in play mode: the server queues inputs, applies one a tick and
// acknowledges each when it applies it, so the standard prediction
// (authoritative position, then the unacknowledged inputs, one tick each)
// must be where the server ends up at every state frame, also when a whole
// key tap (press and release) reaches the server in one long-polling
// request.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "../src/roomcast.js";
import { applyInput, arenaRoomOptions, position } from "../src/arena.js";
import { startArena, until } from "./helpers/arena.js";

test("applyInput moves one tick, diagonals normalised, clamped like the server", () => {
  assert.deepEqual(applyInput({ x: 100, y: 100, hp: 100 }, { dx: 1, dy: 0 }, 0.05), { x: 105, y: 100, hp: 100 });
  assert.deepEqual(applyInput({ x: 100, y: 100 }, { dx: 0.2, dy: -0.7 }, 0.05), { x: 100, y: 95 }, "snapped");
  const d = applyInput({ x: 100, y: 100 }, { dx: 1, dy: 1 }, 0.05);
  assert.ok(Math.abs(d.x - (100 + 5 * Math.SQRT1_2)) < 1e-9 && Math.abs(d.y - d.x) < 1e-9, "diagonal");
  assert.deepEqual(applyInput({ pos: [0, 1000] }, { dx: -1, dy: 1 }, 0.05).pos, [0, 1000], "clamped");
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
    // state frame until the server acknowledged them all, and returns
    // {start, preds, end, acks} (acks: the distinct acks of those frames).
    async function play(room, inputs) {
      await until(() => room.me, "own player");
      // The prediction starts with the first frame the own player is in
      // (the join snapshot may come before the seat): a stop input makes one.
      if (!room.predicted) room.send({ dx: 0, dy: 0 });
      await until(() => room.predicted && room.pending.length === 0, "settled");
      const start = position(room.me);
      const preds = [];
      const onState = () => preds.push({ ...position(room.predicted), ack: room.ackedSeq });
      room.on("state", onState);
      const ping = room.message("ping", 1);
      let seq = 0;
      for (const input of inputs) seq = room.send(input);
      const first = seq - inputs.length + 1;
      preds.push({ ...position(room.predicted), sent: true });
      await ping;
      await until(() => room.ackedSeq === seq, `ack of ${seq}`);
      // A few more ticks: nothing moves any more (the last input is a stop).
      await new Promise((r) => setTimeout(r, 200));
      room.off?.("state", onState);
      const acks = [...new Set(preds.filter((p) => p.ack > first - 1).map((p) => p.ack))];
      return { start, preds, end: position(room.state.players.get(room.sessionId)), acks, seqs: inputs.map((_, i) => first + i) };
    }

    test("a key tap moves one tick's distance and the prediction never snaps back", async () => {
      const c = await connect(server.url, { transports });
      clients.push(c);
      // Quantized (step 1/32): one tick is 5 units, so positions compare exactly.
      const room = await c.create("arena", { name: "tapper", mode: "play", quantized: true }, arenaRoomOptions);
      const step = 100 * room.dt;
      const { start, preds, end, acks, seqs } = await play(room, [
        { dx: 1, dy: 0 },
        { dx: 0, dy: 0 },
      ]);
      const want = { x: start.x + step, y: start.y };
      assert.deepEqual(end, want, "the server moved the player one tick's distance");
      for (const p of preds) assert.deepEqual({ x: p.x, y: p.y }, want, `prediction at every frame: ${JSON.stringify(preds)}`);
      assert.deepEqual(acks, seqs, "the ack moves one input a tick, as each is applied");

      // Two moves and a stop in one request: two ticks' distance, one
      // input applied and acknowledged a tick.
      const r2 = await play(room, [
        { dx: 0, dy: 1 },
        { dx: 0, dy: 1 },
        { dx: 0, dy: 0 },
      ]);
      const want2 = { x: r2.start.x, y: r2.start.y + 2 * step };
      assert.deepEqual(r2.end, want2);
      for (const p of r2.preds) assert.deepEqual({ x: p.x, y: p.y }, want2, `prediction at every frame: ${JSON.stringify(r2.preds)}`);
      assert.ok(r2.preds.length >= 2, "frames seen");
      assert.deepEqual(r2.acks, r2.seqs);
      await room.leave();
      c.close();
    });
  });
}
