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
before(async () => {
  server = await startServer(["--demo", "sioecho", "--ping-interval", "2s", "--ping-timeout", "5s"]);
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

for (const [name, opts] of Object.entries(CASES)) {
  describe(name, { timeout: 120_000 }, () => {
    it(`${CLIENTS} clients broadcast ${PER_CLIENT} messages each in one room without loss or reordering`, async () => {
      const room = `load-${name}`;
      const sockets = [];
      try {
        for (let i = 0; i < CLIENTS; i++) {
          sockets.push(io(server.url, { forceNew: true, reconnection: false, timeout: 20_000, ...opts }));
        }
        await Promise.all(sockets.map((s) => (s.connected ? null : next(s, "connect", 20_000))));
        await Promise.all(sockets.map((s) => ackWithin(30_000, s, "join", room)));

        const expected = (CLIENTS - 1) * PER_CLIENT;
        const done = sockets.map((s, me) => {
          const lastSeq = new Map();
          let count = 0;
          return new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`client ${me} got ${count}/${expected}`)), 60_000);
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
          for (let seq = 0; seq < PER_CLIENT; seq++) assert.deepEqual(await ackWithin(30_000, s, "broadcast", room, me, seq), [true]);
        });
        await Promise.all([...sent, ...done]);
      } finally {
        for (const s of sockets) s.disconnect();
      }
    });
  });
}
