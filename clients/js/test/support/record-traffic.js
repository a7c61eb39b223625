// Drives the real socket.io-client and engine.io-client through every
// transport and both parsers against a server (argv[2]), so that
// cmd/recordseeds can cut what they sent into fuzz seeds. Not a test.
import { io } from "socket.io-client";
import { Socket } from "engine.io-client";
import msgpackParser from "socket.io-msgpack-parser";
import { next, ack } from "./util.js";

const url = process.argv[2];
if (!url) {
  console.log("usage: node record-traffic.js http://127.0.0.1:PORT (run by `make seeds`)");
  process.exit(0);
}

const TRANSPORTS = [["websocket"], ["polling"], ["polling", "websocket"]];
const PARSERS = [{}, { parser: msgpackParser }];

async function socketIO(transports, parserOpts) {
  const opts = { forceNew: true, reconnection: false, transports, ...parserOpts };
  const s = io(url, { ...opts, auth: { token: "abc", n: 1 } });
  s.on("ackme", (...args) => args.pop()("got", ...args));
  await next(s, "connect");
  if (transports.length > 1 && s.io.engine.transport.name !== "websocket") await next(s.io.engine, "upgrade");
  await ack(s, "echo", 1, -2, 2.5, "two", "ünïcødé 😀", true, null, { a: [true, null, {}], b: [] });
  s.emit("message", "hello");
  s.emit("echo");
  await ack(s, "echo", Buffer.from([1, 2, 3]), { nested: Buffer.from("xyz"), list: [Buffer.of(0xff)] });
  await ack(s, "message-with-ack", Number.MAX_SAFE_INTEGER, -0.5, 1e300);
  await ack(s, "ackme", "q", Buffer.from([0]));
  await ack(s, "join", "r");
  await ack(s, "broadcast", "r", "hi", Buffer.from([9]));
  await next(s.io.engine, "ping"); // and its pong
  const admin = io(url + "/admin", { ...opts, auth: { token: "wrong" } });
  await next(admin, "connect_error");
  admin.close();
  const nope = s.io.socket("/nope");
  nope.connect();
  await next(nope, "connect_error");
  const custom = s.io.socket("/custom", { auth: { c: [1, 2] } });
  await next(custom, "auth");
  await ack(custom, "echo", "c");
  custom.disconnect();
  // Browser binary (ArrayBuffer / Uint8Array; msgpack ext type 0) last: the
  // server may refuse it and close the session.
  const acked = new Promise((resolve) => s.emit("echo", Uint8Array.of(0xff, 0), { ab: new Uint8Array([1, 2]).buffer }, resolve));
  await Promise.race([acked, next(s, "disconnect")]);
  s.disconnect();
}

async function engineIO(transports) {
  const s = new Socket(url, { path: "/engine.io/", transports });
  await next(s, "open");
  if (transports.length > 1 && s.transport.name !== "websocket") await next(s, "upgrade");
  const got = new Promise((resolve) => {
    let n = 0;
    s.on("message", () => ++n === 3 && resolve());
  });
  s.send("hello");
  s.send(Buffer.from([0, 0xff, 0x1e]));
  s.send("");
  await got;
  s.close();
}

for (const transports of TRANSPORTS) {
  for (const p of PARSERS) await socketIO(transports, p);
  await engineIO(transports);
}
console.log("record-traffic: done");
