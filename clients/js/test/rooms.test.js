// The rooms game protocol (PROTOCOL.md (Game protocol)) against the Go server serving
// the arena (cmd/gameserver), with the real socket.io-client 4.8, for every
// transport × parser: each join call, inputs acknowledged in state frames,
// the lobby, and resume — a client whose socket dies mid-game takes its seat
// back on a new connection and mirrors the same state as one that never
// dropped.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import msgpackParser from "socket.io-msgpack-parser";
import { Mirror } from "../src/mirror.js";
import { startServer } from "./support/server.js";
import { next, ack, eventually, toBuffer } from "./support/util.js";
import { canonical } from "./helpers/canonical.js";

const TRANSPORTS = {
  websocket: { transports: ["websocket"] },
  polling: { transports: ["polling"] },
};
const PARSERS = {
  default: {},
  msgpack: { parser: msgpackParser },
};

const GRACE_MS = 2000;
let server; // the production grace (20 s): ample for a loaded machine to reconnect within it
let hasty; // a short grace, so "resume after the grace" is quick
before(async () => {
  server = await startServer(["--demo", "arena"]);
  hasty = await startServer(["--demo", "arena", "--reconnect-grace", `${GRACE_MS}ms`]);
});
after(async () => {
  for (const srv of [server, hasty]) {
    const status = await srv?.stop();
    assert.deepEqual(status, { code: 0, signal: null }, `gameserver did not exit cleanly; stderr:\n${srv?.stderr()}`);
  }
});

/** A player: a socket plus a mirror fed by its state frames. */
class Player {
  constructor(opts, srv = server) {
    this.opts = opts;
    this.srv = srv;
    this.mirror = new Mirror();
    this.lastAck = 0;
    this.frames = { snapshot: 0, delta: 0 };
    this.errors = [];
    this.left = [];
  }
  async connect() {
    const s = io(this.srv.url, { forceNew: true, reconnection: false, timeout: 20_000, ...this.opts });
    s.on("snapshot", (state, ackSeq) => this.frame("snapshot", state, ackSeq));
    s.on("delta", (state, ackSeq) => this.frame("delta", state, ackSeq));
    s.on("room.left", (info) => this.left.push(info));
    if (!s.connected) await next(s, "connect");
    this.socket = s;
    return this;
  }
  frame(kind, state, ackSeq) {
    this.frames[kind]++;
    try {
      if (kind === "snapshot") this.mirror.applySnapshot(toBuffer(state));
      else this.mirror.applyDelta(toBuffer(state));
    } catch (err) {
      this.errors.push(`${kind}: ${err.message}`);
    }
    this.lastAck = Number(ackSeq);
  }
  async request(event, ...args) {
    const [res] = await ack(this.socket, event, ...args);
    return res;
  }
  close() {
    this.socket?.disconnect();
  }
}

const seatShape = (seat) => {
  assert.equal(seat.ok, true, JSON.stringify(seat));
  assert.equal(typeof seat.roomId, "string");
  assert.equal(typeof seat.sessionId, "string");
  assert.equal(typeof seat.token, "string");
  assert.equal(Number(seat.tickRate), 20);
};

for (const [tname, topts] of Object.entries(TRANSPORTS)) {
  for (const [pname, popts] of Object.entries(PARSERS)) {
    describe(`rooms over ${tname} × ${pname} parser`, { timeout: 60_000 }, () => {
      const players = [];
      const player = async (srv) => {
        const p = await new Player({ ...topts, ...popts }, srv).connect();
        players.push(p);
        return p;
      };
      after(() => players.forEach((p) => p.close()));

      it("joins with each call and gets a snapshot", async () => {
        const a = await player();
        const tag = `${tname}-${pname}-${Date.now()}`;
        const created = await a.request("rooms.create", "arena", { name: "ada", tag });
        seatShape(created);
        await eventually(() => a.frames.snapshot > 0, "snapshot after create");

        const b = await player();
        const byId = await b.request("rooms.joinById", created.roomId, { name: "bob" });
        seatShape(byId);
        assert.equal(byId.roomId, created.roomId);
        assert.notEqual(byId.sessionId, created.sessionId);

        const c = await player();
        const joined = await c.request("rooms.join", "arena", { name: "cy" });
        seatShape(joined);
        const d = await player();
        const joc = await d.request("rooms.joinOrCreate", "arena", { name: "di" });
        seatShape(joc);

        assert.deepEqual(await a.request("rooms.joinOrCreate", "arena", {}), {
          ok: false,
          error: { code: "already_in_room", message: "this connection already holds a seat; leave first" },
        });
        const bad = await d.request("rooms.joinById", "no-such-room", {});
        assert.equal(bad.error.code, "already_in_room");
        assert.equal((await d.request("rooms.leave")).ok, true);
        assert.equal((await d.request("rooms.joinById", "no-such-room", {})).error.code, "room_not_found");
        assert.equal((await d.request("rooms.joinOrCreate", "no-such-type", {})).error.code, "unknown_room_type");

        const list = await d.request("rooms.list", { name: "arena" });
        assert.equal(list.ok, true);
        const mine = list.rooms.find((r) => r.roomId === created.roomId);
        assert.ok(mine, "created room listed");
        assert.equal(Number(mine.maxClients), 8);
        for (const p of [a, b, c]) assert.equal((await p.request("rooms.leave")).ok, true);
      });

      it("acknowledges inputs in state frames", async () => {
        const a = await player();
        seatShape(await a.request("rooms.create", "arena", { name: "ack" }));
        await eventually(() => a.frames.snapshot > 0, "snapshot");
        for (let seq = 1; seq <= 20; seq++) {
          a.socket.emit("input", seq, { dx: 1, dy: seq % 2 ? 1 : -1 });
          await new Promise((r) => setTimeout(r, 10));
        }
        await eventually(() => a.lastAck === 20, "ack 20 in a state frame");
        a.socket.emit("input", 5, { dx: -1, dy: 0 }); // stale: ignored
        a.socket.emit("input", 21, { dx: 0, dy: 0 });
        await eventually(() => a.lastAck === 21, "ack 21");
        assert.deepEqual(a.errors, []);
        assert.equal((await a.request("rooms.leave")).ok, true);
      });

      it("pushes lobby updates", async () => {
        const watcher = await player();
        const first = next(watcher.socket, "lobby.rooms");
        assert.equal((await watcher.request("lobby.subscribe", { name: "arena" })).ok, true);
        const [rooms] = await first;
        assert.ok(Array.isArray(rooms));
        const a = await player();
        const update = next(watcher.socket, "lobby.update");
        const seat = await a.request("rooms.create", "arena", { name: "lob" });
        seatShape(seat);
        const [room] = await update;
        assert.equal(room.roomId, seat.roomId);
        assert.equal(room.name, "arena");
        const removed = new Promise((resolve) => {
          watcher.socket.on("lobby.remove", (id) => id === seat.roomId && resolve(id));
        });
        assert.equal((await a.request("rooms.leave")).ok, true);
        assert.equal(await removed, seat.roomId);
        assert.equal((await watcher.request("lobby.unsubscribe")).ok, true);
      });

      it("resumes a dropped seat on a new connection with the same state", async () => {
        const stay = await player();
        const drop = await player();
        const seat = await stay.request("rooms.create", "arena", { name: "stay" });
        seatShape(seat);
        const dseat = await drop.request("rooms.joinById", seat.roomId, { name: "drop" });
        seatShape(dseat);
        await eventually(() => stay.mirror.tick > 0 && drop.mirror.tick > 0, "snapshots");
        for (let seq = 1; seq <= 5; seq++) {
          stay.socket.emit("input", seq, { dx: 1, dy: 0 });
          drop.socket.emit("input", seq, { dx: -1, dy: 0 });
          await new Promise((r) => setTimeout(r, 20));
        }
        await eventually(() => stay.lastAck === 5 && drop.lastAck === 5, "acks before the drop");

        // Kill the socket abruptly (no DISCONNECT packet), as a network failure would.
        drop.socket.io.engine.close();
        for (let seq = 6; seq <= 10; seq++) {
          stay.socket.emit("input", seq, { dx: 0, dy: 1 });
          await new Promise((r) => setTimeout(r, 30));
        }
        const lastTick = drop.mirror.tick;
        await drop.connect();
        const resumed = await drop.request("rooms.resume", { token: dseat.token, tick: lastTick });
        seatShape(resumed);
        assert.equal(resumed.sessionId, dseat.sessionId);
        assert.equal(resumed.roomId, dseat.roomId);
        assert.notEqual(resumed.token, dseat.token);
        drop.socket.emit("input", 6, { dx: 0, dy: -1 });
        for (let seq = 11; seq <= 12; seq++) stay.socket.emit("input", seq, { dx: 0, dy: 0 });
        await eventually(() => drop.lastAck === 6 && stay.lastAck === 12, "acks after resume");
        await eventually(
          () =>
            stay.mirror.tick === drop.mirror.tick &&
            JSON.stringify(canonical(stay.mirror.value())) === JSON.stringify(canonical(drop.mirror.value())),
          "resumed mirror equals the one that never dropped",
        );
        assert.deepEqual(stay.errors, []);
        assert.deepEqual(drop.errors, []);

        // The token worked once; unknown tokens are told apart.
        const other = await player();
        assert.equal((await other.request("rooms.resume", { token: dseat.token })).error.code, "token_used");
        assert.equal((await other.request("rooms.resume", { token: "nope" })).error.code, "token_unknown");
        for (const p of [stay, drop]) assert.equal((await p.request("rooms.leave")).ok, true);
      });

      it("refuses a resume after the grace period with token_expired", async () => {
        const a = await player(hasty);
        const seat = await a.request("rooms.create", "arena", { name: "late" });
        seatShape(seat);
        a.socket.io.engine.close();
        // The room lists the held seat until the grace period ends.
        const b = await player(hasty);
        await eventually(
          async () => {
            // rooms.list is rate-limited (2/s per connection): ask at most
            // that often, and a refusal is "not yet".
            const list = await b.request("rooms.list", { name: "arena" });
            if (!list.rooms) return false;
            const room = list.rooms.find((r) => r.roomId === seat.roomId);
            return !room || Number(room.clients) === 0;
          },
          "the seat released after the grace period",
          GRACE_MS + 20_000,
          600,
        );
        assert.deepEqual(await b.request("rooms.resume", { token: seat.token }), {
          ok: false,
          error: { code: "token_expired", message: "reconnection token expired" },
        });
      });
    });
  }
}
