// Raw Engine.IO (examples/sioecho at /engine.io/) with the real
// engine.io-client: every message comes back as it went, text or binary.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { Socket } from "engine.io-client";
import { startServer } from "./support/server.js";
import { next, toBuffer, bytes } from "./support/util.js";

let server;
// Production heartbeat: heartbeats are not tested here, and a short one
// closes healthy sessions when a loaded machine stalls the server or Node
// for a second or two.
before(async () => {
  server = await startServer(["--demo", "sioecho", "--ping-interval", "25s", "--ping-timeout", "20s", "--max-payload", "100000"]);
});
after(async () => {
  const status = await server?.stop();
  assert.deepEqual(status, { code: 0, signal: null }, `gameserver did not exit cleanly; stderr:\n${server?.stderr()}`);
});

const TRANSPORTS = {
  websocket: { transports: ["websocket"] },
  polling: { transports: ["polling"] },
  "polling→websocket": { transports: ["polling", "websocket"] },
};

for (const [tname, topts] of Object.entries(TRANSPORTS)) {
  describe(`engine.io over ${tname}`, { timeout: 30_000 }, () => {
    it("echoes text and binary in order", async () => {
      const s = new Socket(server.url, { path: "/engine.io/", ...topts });
      try {
        await next(s, "open");
        const got = [];
        const all = new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`got only ${got.length} messages`)), 20_000);
          s.on("message", (m) => {
            got.push(m);
            if (got.length === 5) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
        const big = bytes(50_000, 3);
        s.send("hello");
        s.send(Buffer.from([0, 0x1e, 0xff]));
        s.send("ünïcødé 😀"); // (no 0x1E in text: it separates polling packets)
        s.send(big);
        s.send("");
        await all;
        assert.equal(got[0], "hello");
        assert.deepEqual(toBuffer(got[1]), Buffer.from([0, 0x1e, 0xff]));
        assert.equal(got[2], "ünïcødé 😀");
        assert.ok(toBuffer(got[3]).equals(big));
        assert.equal(got[4] ?? "", ""); // engine.io-parser decodes "4" as a message without data
        if (tname === "polling→websocket") {
          if (s.transport.name !== "websocket") await next(s, "upgrade");
          assert.equal(s.transport.name, "websocket");
          s.send("after upgrade");
          assert.deepEqual(await next(s, "message"), ["after upgrade"]);
        } else {
          assert.equal(s.transport.name, topts.transports[0]);
        }
      } finally {
        s.close();
      }
    });

    it("closes a session that sends more than maxPayload", async () => {
      const s = new Socket(server.url, { path: "/engine.io/", ...topts });
      try {
        await next(s, "open");
        const closed = next(s, "close");
        s.send("z".repeat(100_001));
        const [reason] = await closed;
        assert.ok(["transport close", "transport error"].includes(reason), `client saw ${reason}`);
      } finally {
        s.close();
      }
    });
  });
}
