// Per-client views from the JavaScript side, with the real npm
// socket.io-client: the cards room (examples/cards) gives each seat a
// private hand (0xDE 0xAD 0xC0 0xDE, seat, draws, 0x5A) that only its own
// player may receive. Over both transports and both parsers, with
// snapshots, deltas (with checksums), a resume on a new connection, a room
// listing, the lobby and room messages, the JS Mirror follows each
// player's view (its checksum matches the server's per-view checksum) and
// no raw Engine.IO packet a player receives contains another seat's hand,
// while its own hand does arrive.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import msgpackParser from "socket.io-msgpack-parser";
import { Mirror } from "../src/mirror.js";
import { startServer } from "./support/server.js";
import { ack, eventually, toBuffer } from "./support/util.js";

const server = await startServer();
after(() => server.stop());

const prefix = (seat) => Buffer.from([0xde, 0xad, 0xc0, 0xde, seat]);

// A player: a raw socket that records every Engine.IO packet it receives
// and mirrors its state frames.
class Player {
  constructor(seat, transport, parser) {
    this.seat = seat;
    this.raw = [];
    this.errors = [];
    this.messages = 0;
    this.checked = 0;
    this.mirror = new Mirror();
    this.socket = io(server.url, {
      transports: [transport],
      forceNew: true,
      reconnection: false,
      ...(parser === "msgpack" ? { parser: msgpackParser } : {}),
    });
    this.socket.io.engine.on("packet", (p) => {
      if (p.data !== undefined) this.raw.push(typeof p.data === "string" ? Buffer.from(p.data, "utf8") : toBuffer(p.data));
    });
    const frame = (snapshot) => (state, _ack, checksum) => {
      try {
        if (snapshot) this.mirror.applySnapshot(state);
        else this.mirror.applyDelta(state);
        if (checksum !== undefined) {
          assert.equal(checksum, this.mirror.checksum(), "per-view checksum");
          this.checked++;
        }
      } catch (err) {
        this.errors.push(err);
      }
    };
    this.socket.on("snapshot", frame(true));
    this.socket.on("delta", frame(false));
    this.socket.on("msg", () => this.messages++);
  }

  // request emits with an ack and returns the {ok: true, ...} reply.
  async request(event, ...args) {
    const [reply] = await ack(this.socket, event, ...args);
    assert.equal(reply?.ok, true, `${event}: ${JSON.stringify(reply)}`);
    return reply;
  }

  // hand is the own seat's hand as the mirror holds it (or undefined).
  hand(sessionId) {
    const seat = this.mirror.value()?.seats?.[sessionId];
    return seat ? Buffer.from(seat.hand) : undefined;
  }

  received() {
    return Buffer.concat(this.raw);
  }
}

for (const transport of ["websocket", "polling"]) {
  for (const parser of ["default", "msgpack"]) {
    test(`secret hands stay secret (${transport}, ${parser} parser)`, async (t) => {
      const players = [];
      t.after(() => players.forEach((p) => p.socket.close()));
      const seats = [];
      for (let i = 0; i < 3; i++) {
        const p = new Player(i, transport, parser);
        players.push(p);
        await p.request("lobby.subscribe", { name: "cards" });
        // A fresh room per test: the first player creates it, the others join it by id.
        const reply = i === 0 ? await p.request("rooms.create", "cards", { name: `p${i}` }) : await p.request("rooms.joinById", seats[0].roomId, { name: `p${i}` });
        seats.push(reply);
      }
      for (let seq = 1; seq <= 6; seq++) {
        for (const p of players) p.socket.emit("input", seq, {});
        // Each draw must be seen before the next input (a tick apart at most).
        await eventually(() => players.every((p, i) => p.hand(seats[i].sessionId)?.[5] === seq), `draw ${seq}`);
      }
      for (const p of players) {
        p.socket.emit("msg", "peek", null);
        await p.request("rooms.list", { name: "cards" });
      }
      await eventually(() => players.every((p) => p.messages >= 3), "the peek messages");

      // Seat 1 drops and resumes on a new connection; seat 0 draws meanwhile.
      players[1].socket.close();
      players[0].socket.emit("input", 7, {});
      const back = new Player(1, transport, parser);
      players.push(back);
      await back.request("rooms.resume", { token: seats[1].token, tick: players[1].mirror.tick });
      back.socket.emit("input", 7, {});
      await eventually(() => back.hand(seats[1].sessionId)?.[5] === 7, "the resumed seat's own hand");
      await eventually(() => players.every((p) => p === players[1] || p.checked > 0), "a checksummed frame for every player");

      for (const p of players) {
        assert.deepEqual(p.errors, [], `seat ${p.seat}: mirror errors`);
        const all = p.received();
        assert.ok(all.includes(prefix(p.seat)), `seat ${p.seat} received its own hand`);
        for (let other = 0; other < 3; other++) {
          if (other !== p.seat) assert.ok(!all.includes(prefix(other)), `seat ${p.seat} received seat ${other}'s hand`);
        }
        // The others' hands are in its mirror, as empty bins.
        for (const s of seats) {
          if (s.sessionId !== seats[p.seat].sessionId && p.mirror.valid) assert.equal(p.hand(s.sessionId)?.length, 0, `seat ${p.seat} sees an empty hand for ${s.sessionId}`);
        }
      }
    });
  }
}

// Entities entering and leaving a view: in the bigworld room (each client
// sees the players in the 3×3 cells around its own) 60 players stand still
// while one walks diagonally towards the middle of the map, 400 units on
// each axis. Its
// room's mirror gets players entering its view as adds with every field
// and players leaving it as removes, never a player more than two cells
// (plus the hysteresis) away on an axis, and its checksums (every 20
// ticks, of its view) always match.
test("bigworld: players enter a view whole and leave it as removes", async (t) => {
  const { connect } = await import("../src/roomcast.js");
  const clients = [];
  t.after(() => clients.forEach((c) => c.close()));
  for (let i = 0; i < 60; i++) {
    const c = await connect(server.url, { transports: ["websocket"] });
    clients.push(c);
    await c.joinOrCreate("bigworld", { name: `still${i}` });
  }
  const walker = await connect(server.url, { transports: ["websocket"] });
  clients.push(walker);
  const room = await walker.joinOrCreate("bigworld", { name: "walker" });
  const adds = [];
  const removes = [];
  let far = null;
  room.on("add", (e, info) => {
    if (info?.field === "players") adds.push(e);
  });
  room.on("remove", (e, info) => {
    if (info?.field === "players") removes.push(e);
  });
  const cell = 1024 / 12;
  room.on("state", () => {
    const me = room.state?.players?.get(room.sessionId);
    if (!me) return;
    for (const p of room.state.players.values()) {
      const reach = 2 * cell + 4 + cell; // two cells past the own one's edge, plus hysteresis
      if (Math.abs(p.x - me.x) > reach || Math.abs(p.y - me.y) > reach) far ??= { me: { x: me.x, y: me.y }, p: { x: p.x, y: p.y } };
    }
  });
  const me = await eventually(() => room.state?.players?.get(room.sessionId), "the walker's own entity");
  const x0 = me.x;
  room.send({ dx: me.x < 512 ? 1 : -1, dy: me.y < 512 ? 1 : -1 });
  // 400 units on each axis (about 5 cells; never past the map's edge, since
  // it walks towards the middle) take about 5 s.
  await eventually(() => Math.abs(room.state.players.get(room.sessionId).x - x0) >= 400, "the walk", 60_000);
  room.send({ dx: 0, dy: 0 });
  await eventually(() => room.stats.verified > 0, "a verified checksum");

  assert.equal(room.stats.desyncs, 0, "checksum mismatches");
  assert.equal(far, null, `a player outside the view: ${JSON.stringify(far)}`);
  assert.ok(adds.length > 0, "no player entered the view");
  assert.ok(removes.length > 0, "no player left the view");
  for (const e of adds) {
    for (const f of ["x", "y", "hp", "score", "name", "online"]) assert.notEqual(e[f], undefined, `an added player without ${f}`);
    assert.match(e.name, /^(still\d+|walker)$/);
  }
});
