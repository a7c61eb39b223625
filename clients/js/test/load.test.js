// 200 concurrent real clients in one room, each broadcasting a numbered
// sequence: every client gets every other client's messages, none lost,
// each sender's in order.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import msgpackParser from "socket.io-msgpack-parser";
import { startServer } from "./support/server.js";
import { next, ackWithin } from "./support/util.js";

const CLIENTS = 200;
const PER_CLIENT = 10;

let server;
// Heartbeat at the production defaults (25 s / 20 s): heartbeats are not
// what this file tests (transport.test.js does), and with 200 clients in one
// Node process on a loaded machine the event loop or the server can stall
// for seconds; with a 2 s / 5 s heartbeat the server then closed sessions
// for "ping timeout" mid-test.
before(async () => {
  server = await startServer(["--demo", "sioecho", "--ping-interval", "25s", "--ping-timeout", "20s"]);
});
after(async () => {
  const status = await server?.stop();
  assert.deepEqual(status, { code: 0, signal: null }, `gameserver did not exit cleanly; stderr:\n${server?.stderr()}`);
});

const CASES = {
  "websocket × default": { transports: ["websocket"] },
  "websocket × msgpack": { transports: ["websocket"], parser: msgpackParser },
  "polling × default": { transports: ["polling"] },
  "polling × msgpack": { transports: ["polling"], parser: msgpackParser },
  "polling→websocket × default": { transports: ["polling", "websocket"] },
  "polling→websocket × msgpack": { transports: ["polling", "websocket"], parser: msgpackParser },
};

// Deadlines are generous: 200 connections opened at once, and 398 000
// messages delivered, on a busy 2-core machine. Speed is not asserted here
// (see BENCHMARKS.md); loss, order and staying connected are.
const CONNECT_MS = 60_000;
const ACK_MS = 60_000;
const DELIVERY_MS = 120_000;

for (const [name, opts] of Object.entries(CASES)) {
  describe(name, { timeout: 300_000 }, () => {
    it(`${CLIENTS} clients broadcast ${PER_CLIENT} messages each in one room without loss or reordering`, async () => {
      const room = `load-${name}`;
      const sockets = [];
      let closing = false;
      // A client that loses its connection fails the test at once, with the reason.
      let lost;
      const disconnected = new Promise((_, reject) => (lost = reject));
      disconnected.catch(() => {});
      try {
        for (let i = 0; i < CLIENTS; i++) {
          const s = io(server.url, { forceNew: true, reconnection: false, timeout: CONNECT_MS, ...opts });
          s.on("disconnect", (reason) => closing || lost(new Error(`client ${i} disconnected: ${reason}`)));
          sockets.push(s);
        }
        const within = (...work) => Promise.race([Promise.all(work), disconnected]);
        await within(...sockets.map((s) => (s.connected ? null : next(s, "connect", CONNECT_MS))));
        await within(...sockets.map((s) => ackWithin(ACK_MS, s, "join", room)));

        const expected = (CLIENTS - 1) * PER_CLIENT;
        const done = sockets.map((s, me) => {
          const lastSeq = new Map();
          let count = 0;
          return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`client ${me} got ${count}/${expected}`)), DELIVERY_MS);
            timer.unref();
            s.on("broadcast", (from, seq) => {
              if (from === me) return reject(new Error(`client ${me} got its own message`));
              const prev = lastSeq.get(from) ?? -1;
              if (seq !== prev + 1) return reject(new Error(`client ${me}: from ${from} seq ${seq} after ${prev}`));
              lastSeq.set(from, seq);
              if (++count === expected) {
                clearTimeout(timer);
                resolve();
              }
            });
          });
        });
        // Every client sends at once; each paces itself on the server's acks
        // (as a game client would), so at most CLIENTS broadcasts are in
        // flight and no queue needs to hold more than that.
        const sent = sockets.map(async (s, me) => {
          for (let seq = 0; seq < PER_CLIENT; seq++) assert.deepEqual(await ackWithin(ACK_MS, s, "broadcast", room, me, seq), [true]);
        });
        await within(...sent, ...done);
      } finally {
        closing = true;
        for (const s of sockets) s.disconnect();
      }
    });
  });
}
