// The JS client (src/roomcast.js) against the real Go game server with the
// arena room type: matchmaking calls, lobby, inputs acknowledged in the
// mirrored state, prediction, seat resume after a dropped connection (state
// equal to a client that never dropped) and after the grace period.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect, RoomcastError } from "../src/roomcast.js";
import { applyInput, arenaRoomOptions, position } from "../src/arena.js";
import { startArena, until, nextEvent } from "./helpers/arena.js";
import { canonical } from "./helpers/canonical.js";

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

// done leaves the room of each client (seat freed at once, so emptied rooms
// go away and later tests do not match them) and closes it.
async function done(...cs) {
  for (const c of cs) {
    if (c.room && c.connected) await c.room.leave().catch(() => {});
    c.close();
  }
}

async function client(opts = {}) {
  const c = await connect(server.url, { reconnectionDelay: 100, reconnectionDelayMax: 300, ...opts });
  clients.push(c);
  return c;
}

// A fresh room type filter per test keeps tests apart: rooms filter by mode
// and quantized, so each test creates its own room and joins it by id.
const players = (room) => room.state?.players;

for (const transports of [["websocket"], ["polling"]]) {
  describe(`over ${transports[0]}`, () => {
    test("create, joinById, join, joinOrCreate, list and their errors", async () => {
      const a = await client({ transports });
      const b = await client({ transports });
      const c = await client({ transports });
      const ra = await a.create("arena", { name: "ada", mode: "bench" }, arenaRoomOptions);
      assert.match(ra.id, /\S/);
      assert.match(ra.sessionId, /\S/);
      assert.match(ra.token, /\S/);
      assert.equal(ra.tickRate, 20);
      await until(() => players(ra)?.has(ra.sessionId), "own player in the mirror");
      assert.equal(players(ra).get(ra.sessionId).name, "ada");
      assert.equal(players(ra).get(ra.sessionId).hp, 100);

      const rb = await b.joinById(ra.id, { name: "bob" }, arenaRoomOptions);
      assert.equal(rb.id, ra.id);
      assert.notEqual(rb.sessionId, ra.sessionId);
      await until(() => players(ra)?.has(rb.sessionId) && players(rb)?.has(ra.sessionId), "both players in both mirrors");

      const listed = await c.list({ name: "arena", filter: { mode: "bench" } });
      const mine = listed.find((r) => r.roomId === ra.id);
      assert.ok(mine, `room ${ra.id} not listed: ${JSON.stringify(listed)}`);
      assert.equal(mine.clients, 2);
      assert.equal(mine.maxClients, 8);
      assert.equal(mine.metadata.mode, "bench");

      // Pages: one room a page, following next until it is absent (other
      // tests' rooms may be listed too: oldest first, each once). A listing
      // may be up to 50 ms old: wait for the new room.
      const d = await client({ transports });
      const rd = await d.create("arena", { name: "dee", mode: "bench" }, arenaRoomOptions);
      const query = { name: "arena", filter: { mode: "bench" }, limit: 1 };
      const allPages = async () => {
        const ids = [];
        for (let page = await c.listPage(query); ; page = await c.listPage({ ...query, cursor: page.next })) {
          assert.equal(page.rooms.length, 1, JSON.stringify(page));
          ids.push(page.rooms[0].roomId);
          if (page.next === undefined) return ids;
        }
      };
      let paged = [];
      await until(async () => (paged = await allPages()).includes(rd.id), "the new room on a page");
      assert.equal(new Set(paged).size, paged.length, `a room listed twice: ${paged}`);
      assert.ok(paged.indexOf(ra.id) >= 0 && paged.indexOf(ra.id) < paged.indexOf(rd.id), `${ra.id} then ${rd.id} in ${paged}`);
      await rd.leave();
      d.close();

      // A connection holds one seat.
      await assert.rejects(b.joinOrCreate("arena", {}), (e) => e instanceof RoomcastError && e.code === "already_in_room");
      await assert.rejects(c.joinById("no-such-room", {}), { code: "room_not_found" });
      await assert.rejects(c.join("no-such-type", {}), { code: "unknown_room_type" });
      await assert.rejects(c.create("arena", { mode: "chess" }), { code: "create_failed" });
      assert.equal(c.room, null);

      // join / joinOrCreate find the room by its filter (its mode is bench).
      const rc = await c.join("arena", { name: "cy", mode: "bench" });
      assert.equal(rc.id, ra.id);
      await rc.leave();
      assert.deepEqual(rc.left, { code: "left", reason: "left" });
      const rc2 = await c.joinOrCreate("arena", { name: "cy", mode: "bench" });
      assert.equal(rc2.id, ra.id);
      await until(async () => (await c.list({ name: "arena", filter: { mode: "bench" } })).find((r) => r.roomId === ra.id)?.clients === 3, "3 clients listed");
      await done(a, b, c);
    });

    test("inputs are acknowledged in the state, prediction agrees with the server", async () => {
      const a = await client({ transports });
      const room = await a.create("arena", { name: "mover", mode: "bench" }, arenaRoomOptions);
      await until(() => room.me, "own player");
      const me = () => position(room.me);
      const pred = () => position(room.predicted);
      const start = me();
      const dir = { dx: start.x < 500 ? 1 : -1, dy: start.y < 500 ? 1 : -1 };
      let seq = 0;
      // One input per tick for 10 ticks, like a game loop.
      for (let i = 0; i < 10; i++) {
        seq = room.send(dir);
        assert.equal(seq, i + 1);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(room.predicted, "prediction running");
      await until(() => room.ackedSeq === seq, `ack of seq ${seq}`);
      assert.equal(room.pending.length, 0);
      room.send({ dx: 0, dy: 0 });
      await until(() => room.pending.length === 0, "ack of the stop input");
      // The player moved diagonally in the input's direction.
      const moved = { x: me().x - start.x, y: me().y - start.y };
      assert.ok(moved.x * dir.dx > 20 && moved.y * dir.dy > 20, `moved ${JSON.stringify(moved)} for ${JSON.stringify(dir)}`);
      // With every input acked the prediction is the server's state.
      assert.ok(Math.abs(pred().x - me().x) < 1e-3 && Math.abs(pred().y - me().y) < 1e-3);
      assert.ok(room.ping > 0 && room.ping < 2000, `ping ${room.ping}`);
      // Predicting ahead: a pending input moves the prediction at once.
      const before = pred();
      room.send({ dx: dir.dx, dy: 0 });
      assert.ok(Math.abs(pred().x - applyInput({ ...before }, { dx: dir.dx, dy: 0 }, room.dt).x) < 1e-9);
      assert.equal(pred().y, before.y);
      // Interpolation of an entity sits between its two latest samples.
      const iv = position(room.interpolated(room.me));
      assert.equal(typeof iv.x, "number");
      await done(a);
    });

    test("lobby subscription sees rooms appear, fill and go", async () => {
      const watcher = await client({ transports });
      const lobby = await watcher.lobby({ name: "arena", filter: { mode: "bench" } });
      const a = await client({ transports });
      const room = await a.create("arena", { name: "lobbyist", mode: "bench" });
      await until(() => lobby.rooms.get(room.id)?.clients === 1, "lobby.update with the new room");
      const b = await client({ transports });
      await b.joinById(room.id, { name: "second" });
      await until(() => lobby.rooms.get(room.id)?.clients === 2, "lobby.update with 2 clients");
      await b.room.leave();
      await a.room.leave();
      await until(() => !lobby.rooms.has(room.id), "lobby.remove after the room emptied", 10_000);
      // After a reconnect the lobby subscribes again by itself.
      const reconnected = nextEvent(watcher, "connect", 10_000);
      watcher.socket.io.engine.close();
      await reconnected;
      const again = await a.create("arena", { name: "again", mode: "bench" });
      await until(() => lobby.rooms.get(again.id)?.clients === 1, "lobby update after the watcher reconnected");
      await lobby.close();
      await done(watcher, a, b);
    });

    test("resume after the connection drops: same seat, state equal to a client that never dropped", async () => {
      const a = await client({ transports });
      const b = await client({ transports });
      const ra = await a.create("arena", { name: "dropper", mode: "bench" }, arenaRoomOptions);
      const rb = await b.joinById(ra.id, { name: "steady" }, arenaRoomOptions);
      await until(() => players(ra)?.has(rb.sessionId) && players(rb)?.has(ra.sessionId), "both seated");
      const token = ra.token;
      const session = ra.sessionId;
      // b keeps moving (so deltas flow while a is away); a moved first.
      for (let i = 0; i < 5; i++) {
        ra.send({ dx: 1, dy: 0 });
        rb.send({ dx: 0, dy: 1 });
        await new Promise((r) => setTimeout(r, 50));
      }
      ra.send({ dx: 0, dy: 0 });
      await until(() => ra.pending.length === 0, "a's inputs acked");
      const events = [];
      ra.on("drop", () => events.push("drop"));
      ra.on("resume", () => events.push("resume"));
      const mover = setInterval(() => rb.send({ dx: 0, dy: -1 }), 50);
      try {
        // Kill a's transport under it; socket.io-client reconnects.
        a.socket.io.engine.close();
        await until(() => ra.status === "resuming" || events.includes("drop"), "drop noticed");
        await until(() => events.includes("resume"), "seat resumed", 10_000);
      } finally {
        clearInterval(mover);
      }
      rb.send({ dx: 0, dy: 0 });
      assert.equal(ra.status, "connected");
      assert.equal(ra.sessionId, session, "same seat");
      assert.notEqual(ra.token, token, "a fresh token after resume");
      assert.equal(ra.stats.resumes, 1);
      // Both mirrors end with the same state. (Their ticks may differ:
      // ack-only frames, sent only to the client whose ack moved, advance
      // that client's tick without a change.)
      await until(() => rb.pending.length === 0, "b's stop acked");
      const same = () => JSON.stringify(canonical(ra.mirror.value())) === JSON.stringify(canonical(rb.mirror.value()));
      await until(same, "equal mirrors").catch(() => assert.deepStrictEqual(canonical(ra.mirror.value()), canonical(rb.mirror.value())));
      // Inputs after the resume are still acknowledged (seq goes on).
      const seq = ra.send({ dx: -1, dy: 0 });
      assert.ok(seq > 6);
      await until(() => ra.ackedSeq >= seq, "ack after resume");
      await done(a, b);
    });
  });
}

test("room messages", async () => {
  const a = await client();
  const room = await a.create("arena", { name: "m", mode: "bench" }, arenaRoomOptions);
  await until(() => room.me, "own player");
  assert.deepEqual(await room.message("ping", { n: 7 }), { n: 7 });
  const rtt = await room.measurePing();
  assert.ok(rtt >= 0 && room.ping > 0);
  await assert.rejects(room.message("no-such-message", 1), (e) => e instanceof RoomcastError && e.code === "message_refused");
  await done(a);
});

for (const [label, opts, kind] of [
  ["quantized (q)", { quantized: true }, "q"],
  ["packed (q2)", { packed: true }, "q2"],
]) {
  test(`${label} positions arrive as multiples of 1/32 and predict like float ones`, async () => {
    const a = await client();
    const room = await a.create("arena", { name: "q", mode: "bench", ...opts }, arenaRoomOptions);
    await until(() => room.me, "own player");
    const me = () => position(room.me);
    const x0 = me().x;
    const kinds = room.mirror.schema.flatMap((t) => t.fields.filter((f) => ["x", "pos"].includes(f.name)).map((f) => f.kind));
    assert.ok(kinds.length > 0 && kinds.every((k) => k === kind), `position kinds ${kinds}`);
    for (let i = 0; i < 6; i++) {
      room.send({ dx: x0 < 500 ? 1 : -1, dy: 0 });
      await new Promise((r) => setTimeout(r, 50));
    }
    room.send({ dx: 0, dy: 0 });
    await until(() => room.pending.length === 0, "acks");
    assert.ok(Math.abs(me().x - x0) > 10, `moved from ${x0} to ${me().x}`);
    assert.equal(me().x * 32, Math.round(me().x * 32));
    assert.ok(Math.abs(position(room.predicted).x - me().x) < 1e-9);
    const iv = position(room.interpolated(room.me));
    assert.ok(Math.abs(iv.x - me().x) < 10, `interpolated ${JSON.stringify(iv)}`);
    await done(a);
  });
}

test("server drain: the room is left with code shutdown", async () => {
  const own = await startArena();
  const c = await connect(own.url, { reconnectionDelay: 100 });
  try {
    const room = await c.joinOrCreate("arena", { name: "last" });
    await until(() => room.state, "snapshot");
    const left = nextEvent(room, "leave", 10_000);
    const stopped = own.stop();
    const [info] = await left;
    assert.equal(info.code, "shutdown");
    assert.equal(room.status, "left");
    assert.equal((await stopped).code, 0);
  } finally {
    c.close();
    await own.stop();
  }
});

test("resume after the grace period fails with token_expired", { timeout: 60_000 }, async () => {
  // A server of its own with a 1 s grace (20 s when it has no --reconnect-grace).
  const own = await startArena({ reconnectGrace: "1s" });
  const opts = { reconnectionDelay: 100, reconnectionDelayMax: 300 };
  const a = await connect(own.url, opts);
  const b = await connect(own.url, opts);
  const c = await connect(own.url, opts);
  try {
    const ra = await a.create("arena", { name: "late", mode: "bench" });
    await b.joinById(ra.id, { name: "keeper" }); // keeps the room alive
    await until(() => ra.state, "snapshot");
    // Drop a's connection and keep it down past the grace.
    a.socket.io.reconnection(false);
    const dropped = nextEvent(ra, "drop");
    a.socket.io.engine.close();
    await dropped;
    await until(async () => (await b.list({ name: "arena", filter: { mode: "bench" } })).find((r) => r.roomId === ra.id)?.clients === 1, "seat released after the grace", own.graceMs + 10_000, 100);
    const left = nextEvent(ra, "leave", 10_000);
    a.socket.io.reconnection(true);
    a.socket.connect();
    const [info] = await left;
    assert.equal(info.code, "token_expired");
    assert.equal(ra.status, "left");
    assert.equal(a.room, null);
    // The token does not work on another connection either.
    await assert.rejects(c.request("rooms.resume", { token: ra.token, tick: 0 }), (e) => ["token_expired", "token_unknown", "token_used"].includes(e.code));
  } finally {
    for (const x of [a, b, c]) x.close();
    await own.stop();
  }
});
