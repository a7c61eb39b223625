// The Go server (cmd/gameserver serving examples/sioecho) against the real
// socket.io-client 4.8, for every transport × parser combination.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { io, Manager } from "socket.io-client";
import msgpackParser from "socket.io-msgpack-parser";
import { startServer } from "./support/server.js";
import { next, ack, eventually, toBuffer, bytes } from "./support/util.js";

const TRANSPORTS = {
  websocket: { transports: ["websocket"] },
  polling: { transports: ["polling"] },
  "polling→websocket": { transports: ["polling", "websocket"], upgrade: true },
};
const PARSERS = {
  default: {},
  msgpack: { parser: msgpackParser },
};
const ADMIN_TOKEN = "s3cret"; // sioecho.DefaultAdminToken
const MAX_PAYLOAD = 100_000;

let server; // production heartbeat: a loaded machine must not time out healthy clients
let pinger; // short heartbeat, only for the server-side ping timeout test
before(async () => {
  server = await startServer(["--demo", "sioecho", "--ping-interval", "25s", "--ping-timeout", "20s", "--max-payload", String(MAX_PAYLOAD)]);
  pinger = await startServer(["--demo", "sioecho", "--ping-interval", "500ms", "--ping-timeout", "1500ms"]);
});
after(async () => {
  for (const srv of [server, pinger]) {
    const status = await srv?.stop();
    assert.deepEqual(status, { code: 0, signal: null }, `gameserver did not exit cleanly; stderr:\n${srv?.stderr()}`);
  }
});

for (const [tname, topts] of Object.entries(TRANSPORTS)) {
  for (const [pname, popts] of Object.entries(PARSERS)) {
    describe(`${tname} × ${pname} parser`, { timeout: 60_000 }, () => {
      const sockets = [];
      /** A fresh client socket to nsp on srv (not reconnecting unless asked). */
      const connect = (nsp = "/", extra = {}, srv = server) => {
        const s = io(srv.url + nsp, { forceNew: true, reconnection: false, timeout: 20_000, ...topts, ...popts, ...extra });
        sockets.push(s);
        return s;
      };
      const connected = async (nsp, extra, srv) => {
        const s = connect(nsp, extra, srv);
        if (!s.connected) await next(s, "connect");
        return s;
      };
      /**
       * Waits until the transport is final (the upgrade done, for polling→websocket).
       * A test that makes the server close the session must: engine.io-client
       * stays paused forever if a session dies after 3probe but before its
       * upgrade completes, and only notices by ping timeout.
       */
      const settled = async (s) => {
        if (tname === "polling→websocket" && s.io.engine.transport.name !== "websocket") await next(s.io.engine, "upgrade");
        return s;
      };
      /** The disconnect reason srv recorded for socket id on nsp. */
      const serverReason = async (nsp, id, srv) => {
        const probe = await connected(nsp, {}, srv);
        try {
          return await eventually(async () => (await ack(probe, "last-disconnect", id))[0], `server-side disconnect of ${id}`);
        } finally {
          probe.disconnect();
        }
      };
      after(() => {
        for (const s of sockets) s.disconnect();
      });

      it("connects and gets its auth payload back", async () => {
        const s = connect("/", { auth: { token: "abc", n: 7 } });
        const [auth] = await next(s, "auth");
        assert.deepEqual(auth, { token: "abc", n: 7 });
        assert.ok(s.connected);
        assert.match(s.id, /^[A-Za-z0-9_-]{20}$/);
      });

      it("uses the expected transport", async () => {
        const s = await connected();
        const engine = s.io.engine;
        if (tname === "polling→websocket") {
          if (engine.transport.name !== "websocket") {
            assert.equal(engine.transport.name, "polling");
            const [t] = await next(engine, "upgrade");
            assert.equal(t.name, "websocket");
          }
          assert.equal(engine.transport.name, "websocket");
          // and the upgraded session still works, both ways
          assert.deepEqual(await ack(s, "echo", "after upgrade"), ["after upgrade"]);
        } else {
          assert.equal(engine.transport.name, topts.transports[0]);
          assert.deepEqual(await ack(s, "echo", 1), [1]);
          assert.equal(engine.transport.name, topts.transports[0]);
        }
      });

      it("echoes with an ack and emits back", async () => {
        const s = await connected();
        const args = [1, -2, 2.5, "two", "ünïcødé ✓ 😀", true, false, null, { three: [3, { four: "4" }], empty: {} }, []];
        const echoed = next(s, "echo");
        assert.deepEqual(await ack(s, "echo", ...args), args);
        assert.deepEqual(await echoed, args);
        const back = next(s, "message-back");
        s.emit("message", "hello", { a: 1 });
        assert.deepEqual(await back, ["hello", { a: 1 }]);
        assert.deepEqual(await ack(s, "message-with-ack", 42, "x"), [42, "x"]);
        // no arguments, many arguments, deep nesting, big and exotic numbers
        assert.deepEqual(await ack(s, "echo"), []);
        const many = [...Array(50).keys()];
        assert.deepEqual(await ack(s, "echo", ...many), many);
        let deep = { leaf: "x" };
        for (let i = 0; i < 14; i++) deep = { d: [deep] }; // 30 levels with the packet's array; the limit is 32
        assert.deepEqual(await ack(s, "echo", deep), [deep]);
        const nums = [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, -1e-300, 0.1, 4294967296, -2147483649];
        // notepack.io (the msgpack parser) writes integral doubles >= 2^64 as uint64 0: client-side, not ours
        if (pname === "default") nums.push(1e300, -1e300);
        assert.deepEqual(await ack(s, "echo", ...nums), nums);
      });

      it("round-trips binary byte-exact", async () => {
        const s = await connected();
        const small = Buffer.from([0, 1, 2, 0x1e, 0xff]);
        const big = bytes(64 * 1024, 7);
        const [a, b, nested] = await ack(s, "echo", small, big, { list: [Buffer.from("x"), "y"], bin: Buffer.alloc(0) });
        assert.deepEqual(toBuffer(a), small);
        assert.ok(toBuffer(b).equals(big), "64 KiB buffer changed");
        assert.deepEqual(toBuffer(nested.list[0]), Buffer.from("x"));
        assert.equal(nested.list[1], "y");
        assert.equal(toBuffer(nested.bin).length, 0);
      });

      // Browsers have no Buffer: binary is an ArrayBuffer or a typed array,
      // which socket.io-msgpack-parser (notepack.io) writes as msgpack ext
      // type 0, not bin.
      it("round-trips Uint8Array and ArrayBuffer (the browser's binary)", async () => {
        const s = await connected();
        const u8 = new Uint8Array([9, 8, 7]);
        const ab = new Uint8Array([1, 0x1e, 255]).buffer;
        const [c, d] = await ack(s, "echo", u8, { ab });
        assert.deepEqual(toBuffer(c), Buffer.from(u8));
        assert.deepEqual(toBuffer(d.ab), Buffer.from([1, 0x1e, 255]));
      });

      it("answers a server→client ack", async () => {
        const s = await connected();
        s.on("ackme", (...args) => {
          const cb = args.pop();
          cb("got", ...args);
        });
        assert.deepEqual(await ack(s, "ackme", "x", 5, Buffer.from([1, 2])).then(([a, b, c, d]) => [a, b, c, toBuffer(d)]), [
          "got",
          "x",
          5,
          Buffer.from([1, 2]),
        ]);
      });

      it("broadcasts to a room, except the sender", async () => {
        const room = `room-${tname}-${pname}`;
        const [a, b, c] = await Promise.all([connected(), connected(), connected()]);
        assert.deepEqual(await ack(a, "join", room), [1]);
        assert.deepEqual(await ack(b, "join", room), [2]);
        let aGot = 0;
        a.on("broadcast", () => aGot++);
        let cGot = 0;
        c.on("broadcast", () => cGot++);

        const atB = next(b, "broadcast");
        assert.deepEqual(await ack(a, "broadcast", room, "hi", Buffer.from([5])), [true]);
        const [hi, bin] = await atB;
        assert.equal(hi, "hi");
        assert.deepEqual(toBuffer(bin), Buffer.from([5]));

        // c is not in the room; it broadcasts into it and both members get it
        const both = Promise.all([next(a, "broadcast"), next(b, "broadcast")]);
        assert.deepEqual(await ack(c, "broadcast", room, "from c"), [true]);
        assert.deepEqual(await both, [["from c"], ["from c"]]);

        // a's own broadcast would have reached a before a's ack did
        assert.equal(aGot, 1, "sender got its own broadcast");
        assert.deepEqual(await ack(c, "echo", "sync"), ["sync"]);
        assert.equal(cGot, 0, "non-member got a broadcast");

        assert.deepEqual(await ack(b, "leave", room), [1]);
      });

      it("keeps every message, in order, both ways, while the transport upgrades", async () => {
        const s = connect();
        const N = 300;
        const got = [];
        const all = new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`got ${got.length}/${N} echoes`)), 20_000);
          s.on("echo", (i, blob) => {
            got.push(i);
            assert.deepEqual(toBuffer(blob), Buffer.from([i & 0xff, 0x1e]));
            if (got.length === N) {
              clearTimeout(timer);
              resolve();
            }
          });
        });
        // queued before the connection even opens, sent across the handshake and the upgrade
        for (let i = 0; i < N; i++) s.emit("echo", i, Buffer.from([i & 0xff, 0x1e]));
        await all;
        assert.deepEqual(got, [...Array(N).keys()]);
        if (tname === "polling→websocket" && s.io.engine.transport.name !== "websocket") await next(s.io.engine, "upgrade");
        assert.equal(s.io.engine.transport.name, topts.transports.at(-1));
      });

      it("broadcasts binary to a room that mixes both parsers", async () => {
        const room = `mixed-${tname}-${pname}`;
        const other = pname === "default" ? { parser: msgpackParser } : {};
        const a = await connected();
        const b = await connected("/", other);
        const c = await connected();
        assert.deepEqual(await ack(a, "join", room), [1]);
        assert.deepEqual(await ack(b, "join", room), [2]);
        const blob = bytes(1000, 9);
        const both = Promise.all([next(a, "broadcast"), next(b, "broadcast")]);
        assert.deepEqual(await ack(c, "broadcast", room, "bin", blob, { n: 1.5 }), [true]);
        for (const [tag, gotBlob, obj] of await both) {
          assert.equal(tag, "bin");
          assert.ok(toBuffer(gotBlob).equals(blob));
          assert.deepEqual(obj, { n: 1.5 });
        }
      });

      it("refuses /admin with a bad token (message and data) and accepts the right one", async () => {
        const bad = connect("/admin", { auth: { token: "wrong" } });
        const [err] = await next(bad, "connect_error");
        assert.equal(err.message, "not authorized");
        assert.deepEqual(err.data, { reason: "bad token" });
        assert.ok(!bad.connected);

        const none = connect("/admin");
        const [err2] = await next(none, "connect_error");
        assert.equal(err2.message, "not authorized");

        const good = connect("/admin", { auth: { token: ADMIN_TOKEN } });
        await next(good, "connect");
        const [me] = await ack(good, "whoami");
        assert.equal(me.id, good.id);
        assert.ok(["polling", "websocket"].includes(me.transport));
      });

      it("refuses an unknown namespace and accepts a dynamic one", async () => {
        const s = connect("/nope");
        const [err] = await next(s, "connect_error");
        assert.equal(err.message, "Invalid namespace");

        const d = connect("/dyn-abc-1", { auth: { who: "dyn" } });
        const [auth] = await next(d, "auth");
        assert.deepEqual(auth, { who: "dyn" });
        assert.deepEqual(await ack(d, "echo", "dyn"), ["dyn"]);
      });

      it("shares one session between namespaces (multiplexing)", async () => {
        const m = new Manager(server.url, { reconnection: false, ...topts, ...popts });
        const root = m.socket("/");
        const custom = m.socket("/custom", { auth: { ns: "custom" } });
        try {
          const [[auth]] = await Promise.all([next(custom, "auth"), next(root, "connect")]);
          assert.deepEqual(auth, { ns: "custom" });
          assert.deepEqual(await ack(custom, "echo", "c"), ["c"]);
          assert.deepEqual(await ack(root, "echo", "r"), ["r"]);
        } finally {
          root.disconnect();
          custom.disconnect();
        }
      });

      it("reports a server-side disconnect as 'io server disconnect'", async () => {
        const s = await connected();
        const id = s.id;
        const gone = next(s, "disconnect");
        s.emit("disconnect-me");
        const [reason] = await gone;
        assert.equal(reason, "io server disconnect");
        assert.equal(await serverReason("/", id), "server namespace disconnect");
      });

      it("lets the server see a client disconnect", async () => {
        const s = await connected();
        const id = s.id;
        s.disconnect();
        assert.equal(await serverReason("/", id), "client namespace disconnect");
      });

      it("reconnects by itself after the server drops the session", async () => {
        const m = new Manager(server.url, { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 100, ...topts, ...popts });
        const root = m.socket("/");
        const custom = m.socket("/custom");
        try {
          await Promise.all([next(root, "connect"), next(custom, "connect")]);
          await settled(root);
          const firstId = root.id;
          const dropped = next(root, "disconnect");
          const customGone = next(custom, "disconnect");
          custom.emit("close-session"); // closes the whole Engine.IO session
          assert.equal((await customGone)[0], "io server disconnect");
          assert.equal((await dropped)[0], "transport close");
          await next(root, "connect");
          assert.notEqual(root.id, firstId);
          assert.deepEqual(await ack(root, "echo", "back"), ["back"]);
          assert.ok(!custom.connected, "a namespace the server disconnected must not reconnect");
        } finally {
          m.reconnection(false);
          root.disconnect();
          custom.disconnect();
        }
      });

      it("lets the server time out a client that stops answering pings", async () => {
        const s = await connected("/", {}, pinger).then(settled);
        const id = s.id;
        const engine = s.io.engine;
        const send = engine._sendPacket.bind(engine);
        engine._sendPacket = (type, ...rest) => (type === "pong" ? undefined : send(type, ...rest));
        const [reason] = await next(s, "disconnect");
        assert.ok(["transport close", "transport error"].includes(reason), `client saw ${reason}`);
        assert.equal(await serverReason("/", id, pinger), "ping timeout");
      });

      it("closes a session that nests deeper than the decoder's limit, and others keep working", async () => {
        const [deep, other] = await Promise.all([connected().then(settled), connected()]);
        let v = 1;
        for (let i = 0; i < 40; i++) v = [v];
        const gone = next(deep, "disconnect");
        deep.emit("echo", v);
        const [reason] = await gone;
        assert.ok(["transport close", "transport error"].includes(reason), `client saw ${reason}`);
        assert.deepEqual(await ack(other, "echo", "fine"), ["fine"]);
      });

      it("closes a session that sends more than maxPayload, and others keep working", async () => {
        const [big, other] = await Promise.all([connected().then(settled), connected()]);
        const gone = next(big, "disconnect");
        big.emit("echo", "x".repeat(MAX_PAYLOAD + 10));
        const [reason] = await gone;
        assert.ok(["transport close", "transport error"].includes(reason), `client saw ${reason}`);
        assert.deepEqual(await ack(other, "echo", "still here"), ["still here"]);
        // under the limit is fine (polling carries a binary message, which
        // a msgpack packet is, as base64: 4/3 of its size must fit)
        const ok = await connected();
        const payload = "y".repeat(Math.floor(MAX_PAYLOAD * 0.7));
        assert.deepEqual(await ack(ok, "echo", payload), [payload]);
      });
    });
  }
}

describe("client-side ping timeout", { timeout: 30_000 }, () => {
  for (const [tname, topts] of Object.entries(TRANSPORTS)) {
    it(`is detected over ${tname} when the server stops answering`, async () => {
      const paused = await startServer(["--demo", "sioecho", "--ping-interval", "400ms", "--ping-timeout", "800ms"]);
      const s = io(paused.url, { forceNew: true, reconnection: false, ...topts });
      try {
        await next(s, "connect");
        if (tname === "polling→websocket" && s.io.engine.transport.name !== "websocket") await next(s.io.engine, "upgrade");
        const gone = next(s, "disconnect");
        process.kill(paused.pid, "SIGSTOP");
        const [reason] = await gone;
        assert.equal(reason, "ping timeout");
      } finally {
        process.kill(paused.pid, "SIGCONT");
        s.disconnect();
        await paused.stop();
      }
    });
  }
});

describe("Origin allowlist (--origins)", { timeout: 30_000 }, () => {
  let guarded;
  before(async () => {
    guarded = await startServer(["--demo", "sioecho", "--ping-interval", "25s", "--ping-timeout", "20s", "--origins", "http://good.example"]);
  });
  after(async () => {
    await guarded?.stop();
  });
  for (const [tname, topts] of Object.entries(TRANSPORTS)) {
    it(`refuses a foreign Origin and accepts an allowed one over ${tname}`, async () => {
      const bad = io(guarded.url, { forceNew: true, reconnection: false, ...topts, extraHeaders: { origin: "http://evil.example" } });
      try {
        const [err] = await next(bad, "connect_error");
        assert.ok(err instanceof Error);
        assert.ok(!bad.connected);
      } finally {
        bad.disconnect();
      }
      const good = io(guarded.url, { forceNew: true, reconnection: false, ...topts, extraHeaders: { origin: "http://good.example" } });
      try {
        await next(good, "connect");
        assert.deepEqual(await ack(good, "echo", "ok"), ["ok"]);
        if (tname === "polling→websocket") {
          if (good.io.engine.transport.name !== "websocket") await next(good.io.engine, "upgrade");
          assert.deepEqual(await ack(good, "echo", "upgraded"), ["upgraded"]);
        }
      } finally {
        good.disconnect();
      }
    });
  }
});

describe("server shutdown (SIGTERM)", { timeout: 30_000 }, () => {
  it("closes every session as 'transport close' and exits 0", async () => {
    const srv = await startServer(["--demo", "sioecho", "--ping-interval", "25s", "--ping-timeout", "20s"]);
    const sockets = [];
    try {
      for (const [tname, topts] of Object.entries(TRANSPORTS)) {
        for (const popts of Object.values(PARSERS)) {
          const s = io(srv.url, { forceNew: true, reconnection: false, ...topts, ...popts });
          sockets.push(s);
          await next(s, "connect");
          if (tname === "polling→websocket" && s.io.engine.transport.name !== "websocket") await next(s.io.engine, "upgrade");
        }
      }
      const reasons = Promise.all(sockets.map((s) => next(s, "disconnect", 10_000).then(([r]) => r)));
      assert.deepEqual(await srv.stop(), { code: 0, signal: null });
      assert.deepEqual(await reasons, sockets.map(() => "transport close"));
    } finally {
      for (const s of sockets) s.disconnect();
      await srv.stop();
    }
  });
});
