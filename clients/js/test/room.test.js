// Room's client-side logic without a server: prediction and
// reconciliation against the acked seq, interpolation between the two
// latest frames, and what a delta that does not fit does (old duplicates
// are ignored; a gap makes the client reconnect to resume with a snapshot).
// Frames are PROTOCOL.md (State replication)'s worked example.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Room } from "../src/roomcast.js";

const hex = (s) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const snap7 = hex(`93 07 92
  92 a4 47616d65 94 92 a5 726f756e64 a3 753136 94 a7 706c6179657273 a3 6d6170 a3 737472 01
    93 a6 73636f726573 a3 617272 a3 753136
    95 a2 7178 a1 71 cb 0000000000000000 cb 4090000000000000 cb 3fa0000000000000
  92 a6 506c61796572 94 92 a1 78 a3 663332 92 a1 79 a3 663332 92 a2 6870 a2 7538 92 a4 6e616d65 a3 737472
  95 00 01 81 a1 61 95 01 ca 3fc00000 ca c0000000 64 a3 416e6e 90 00`);
const delta8 = hex("95 08 08 ff 01 ca 40000000"); // a.x = 2
const delta11 = hex("97 0b 01 f8 00 cd 4008 94 00 01 a1 61 c0 96 00 02 00 00 05 cd 012c"); // base 10: needs tick 10

function stubClient() {
  const c = {
    connected: true,
    stallTimeout: 0,
    room: null,
    emitted: [],
    closes: 0,
    socket: { emit: (...a) => c.emitted.push(a), io: { engine: { close: () => c.closes++ } } },
  };
  return c;
}

test("prediction re-applies unacknowledged inputs on every server frame", () => {
  const client = stubClient();
  const room = new Room(client, {
    predict: { entity: (r) => r.state?.players.get(r.sessionId), apply: (p, input) => (p.x += input.dx) },
  });
  client.room = room;
  room._seated({ roomId: "r1", sessionId: "a", token: "t1", tickRate: 20, name: "game" });
  assert.equal(room.status, "connected");
  assert.equal(room.dt, 0.05);
  room._frame("snapshot", snap7, 0);
  assert.equal(room.predicted.x, 1.5);
  assert.equal(room.send({ dx: 1 }), 1);
  assert.equal(room.send({ dx: 1 }), 2);
  assert.deepEqual(client.emitted, [["input", 1, { dx: 1 }], ["input", 2, { dx: 1 }]]);
  assert.equal(room.predicted.x, 3.5);
  // The server processed seq 1 and moved a to x = 2: seq 2 is re-applied.
  room._frame("delta", delta8, 1);
  assert.equal(room.ackedSeq, 1);
  assert.deepEqual(room.pending.map((p) => p.seq), [2]);
  assert.equal(room.predicted.x, 3);
  assert.equal(room.state.players.get("a").x, 2, "the mirror holds the server's value");
  assert.ok(room.ping >= 0);
  // An ack-only frame acknowledging seq 2: prediction = server state.
  room._frame("delta", hex("92 09 01"), 2);
  assert.equal(room.tick, 9);
  assert.equal(room.pending.length, 0);
  assert.equal(room.predicted.x, 2);
  // While the seat is being resumed inputs are not sent.
  room._dropped("transport close");
  assert.equal(room.status, "resuming");
  assert.equal(room.send({ dx: 1 }), 0);
  assert.equal(client.emitted.length, 2);
});

test("the join snapshot, which arrives before the seat is known, is predicted once seated", () => {
  const client = stubClient();
  const room = new Room(client, {
    predict: { entity: (r) => r.state?.players.get(r.sessionId), apply: (p, input) => (p.x += input.dx) },
  });
  client.room = room;
  room._frame("snapshot", snap7, 0);
  assert.equal(room.predicted, null, "no seat yet: nothing to predict");
  room._seated({ roomId: "r1", sessionId: "a", token: "t1", tickRate: 20 });
  assert.equal(room.predicted?.x, 1.5);
});

test("interpolation runs between the two latest frames", () => {
  const client = stubClient();
  const room = new Room(client, {});
  client.room = room;
  room._seated({ roomId: "r1", sessionId: "b", token: "t1", tickRate: 20 });
  room._frame("snapshot", snap7, 0);
  room._frame("delta", delta8, 0);
  const a = room.state.players.get("a");
  const h = room._hist.get(a);
  const span = Math.max(1, h.cur.t - h.prev.t, 50);
  assert.equal(room.interpolated(a, h.cur.t).x, 1.5);
  assert.ok(Math.abs(room.interpolated(a, h.cur.t + span / 2).x - 1.75) < 1e-9);
  assert.equal(room.interpolated(a, h.cur.t + 10 * span).x, 2);
  assert.equal(room.interpolated(a, h.cur.t).y, -2);
});

test("old duplicate deltas are ignored, a gap reconnects for a snapshot", () => {
  const client = stubClient();
  const room = new Room(client, {});
  client.room = room;
  const errors = [];
  room.on("error", (e) => errors.push(e.code));
  room._seated({ roomId: "r1", sessionId: "b", token: "t1", tickRate: 20 });
  room._frame("delta", delta8, 0); // before the first snapshot: ignored
  room._frame("snapshot", snap7, 0);
  room._frame("delta", delta8, 0);
  room._frame("delta", delta8, 0); // duplicate
  assert.equal(client.closes, 0);
  assert.equal(room.stats.resyncs, 0);
  assert.deepEqual(errors, []);
  room._frame("delta", delta11, 0); // base 10 > 8: a delta was missed
  assert.equal(client.closes, 1, "transport dropped to resume with a snapshot");
  assert.equal(room.stats.resyncs, 1);
  assert.deepEqual(errors, ["out_of_order"]);
  // Until the snapshot arrives deltas are not applied.
  room._frame("delta", hex("92 0c 01"), 0);
  assert.equal(room.tick, 8);
  room._frame("snapshot", snap7, 0);
  assert.equal(room.tick, 7);
});
