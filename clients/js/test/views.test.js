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
