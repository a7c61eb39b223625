// Two gameserver nodes on one real redis-server (PROTOCOL.md, "Several
// nodes (redirects)"), with the real socket.io-client: a join through node A
// whose seat is on node B is redirected there with a one-time claim, both at
// the wire and through the roomcast client (joinOrCreate resolves once the
// player is seated on B); a reconnection token presented to node A is
// redirected to the node that holds its seat.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import msgpackParser from "socket.io-msgpack-parser";
import { connect } from "../src/roomcast.js";
import { startServer } from "./support/server.js";
import { startRedis } from "./support/redis.js";
import { ack, eventually, next } from "./support/util.js";

let redis;
let nodeA;
let nodeB;
const sockets = [];
const clients = [];

before(async () => {
  redis = await startRedis();
  // No --public-url: a node's URL defaults to http:// + its listen address.
  const node = (id) => startServer(["--demo", "arena", "--drain-grace", "10s", "--redis", redis.url, "--node-id", id]);
  const started = await Promise.allSettled([node("a"), node("b")]);
  [nodeA, nodeB] = started.map((r) => r.value);
  const failed = started.find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
});

after(async () => {
  for (const s of sockets) s.disconnect();
  for (const c of clients) c.close();
  try {
    for (const srv of [nodeA, nodeB].filter(Boolean)) {
      const status = await srv.stop();
      assert.deepEqual(status, { code: 0, signal: null }, `gameserver did not exit cleanly; stderr:\n${srv.stderr()}`);
    }
  } finally {
    await redis?.stop();
  }
});

/** A raw Socket.IO connection (msgpack parser, WebSocket) to url. */
async function socket(url) {
  const s = io(url, { forceNew: true, reconnection: false, timeout: 20_000, parser: msgpackParser, transports: ["websocket"] });
  sockets.push(s);
  if (!s.connected) await next(s, "connect");
  return s;
}

/** Emits a request and resolves with its one ack object. */
async function request(s, event, ...args) {
  const [reply] = await ack(s, event, ...args);
  return reply;
}

/** Seats a player in a new room on node; resolves to {socket, seat}. */
async function createOn(node, options) {
  const s = await socket(node.url);
  const snapshot = next(s, "snapshot");
  const seat = await request(s, "rooms.create", "arena", options);
  assert.equal(seat.ok, true, `rooms.create on ${node.url}: ${JSON.stringify(seat)}`);
  await snapshot;
  return { socket: s, seat };
}

describe("redirects between two nodes", () => {
  it("a join through node A names node B, where rooms.claim seats the player once", async () => {
    const owner = await createOn(nodeB, { mode: "bench" });
    const first = await socket(nodeA.url);
    const reply = await request(first, "rooms.joinById", owner.seat.roomId, {});
    assert.equal(reply.ok, false);
    assert.equal(reply.error?.code, "redirect", JSON.stringify(reply));
    assert.equal(reply.redirect?.url, nodeB.url, "the redirect names the room's node");
    assert.equal(reply.redirect?.roomId, owner.seat.roomId);
    assert.equal(typeof reply.redirect?.claim, "string");

    const second = await socket(reply.redirect.url);
    const snapshot = next(second, "snapshot");
    const seat = await request(second, "rooms.claim", { claim: reply.redirect.claim });
    assert.equal(seat.ok, true, `rooms.claim: ${JSON.stringify(seat)}`);
    assert.equal(seat.roomId, owner.seat.roomId);
    assert.notEqual(seat.sessionId, owner.seat.sessionId);
    await snapshot;
    first.disconnect();

    const again = await socket(nodeB.url);
    const used = await request(again, "rooms.claim", { claim: reply.redirect.claim });
    assert.deepEqual([used.ok, used.error?.code], [false, "claim_invalid"], "a claim works once");
    // A fresh claim for node B presented to node A.
    const other = await socket(nodeA.url);
    const redirected = await request(other, "rooms.joinById", owner.seat.roomId, {});
    assert.equal(redirected.error?.code, "redirect", JSON.stringify(redirected));
    const wrong = await request(other, "rooms.claim", { claim: redirected.redirect.claim });
    assert.deepEqual([wrong.ok, wrong.error?.code], [false, "claim_invalid"], "a claim on the wrong node");

    for (const s of [owner.socket, second]) assert.equal((await request(s, "rooms.leave")).ok, true);
  });

  it("the roomcast client's joinOrCreate through node A resolves seated on node B", async () => {
    // The only open room of this mode is on node B.
    const owner = await connect(nodeB.url, { transports: ["websocket"] });
    clients.push(owner);
    const home = await owner.create("arena", { mode: "bench", quantized: true });
    await eventually(() => home.state, "the owner's first snapshot");

    const guest = await connect(nodeA.url, { transports: ["websocket"] });
    clients.push(guest);
    const room = await guest.joinOrCreate("arena", { mode: "bench", quantized: true });
    assert.equal(room.id, home.id, "seated in node B's room");
    assert.equal(room.status, "connected");
    await eventually(() => room.state?.players?.get(room.sessionId), "the guest in its own state");
    await eventually(() => home.state?.players?.get(room.sessionId), "the guest in the owner's state on node B");
    assert.equal(guest.url, nodeB.url, "the client moved to node B");
    assert.equal(room.url, nodeB.url, "the room names its node");
    assert.ok(guest.connected, "connected to node B");

    await room.leave();
    await home.leave();
  });

  it("a reconnection token presented to node A is redirected to node B, where it resumes the seat", async () => {
    const owner = await createOn(nodeB, { mode: "play" });
    owner.socket.disconnect(); // the seat is held for the reconnect grace

    const elsewhere = await socket(nodeA.url);
    const reply = await request(elsewhere, "rooms.resume", { token: owner.seat.token });
    assert.equal(reply.ok, false);
    assert.equal(reply.error?.code, "redirect", JSON.stringify(reply));
    assert.equal(reply.redirect?.url, nodeB.url, "the redirect names the seat's node");
    assert.equal(reply.redirect?.claim, undefined, "a resume redirect carries no claim");

    const home = await socket(reply.redirect.url);
    const snapshot = next(home, "snapshot");
    const seat = await request(home, "rooms.resume", { token: owner.seat.token });
    assert.equal(seat.ok, true, `rooms.resume on node B: ${JSON.stringify(seat)}`);
    assert.equal(seat.roomId, owner.seat.roomId);
    assert.equal(seat.sessionId, owner.seat.sessionId, "the same seat");
    assert.notEqual(seat.token, owner.seat.token, "a fresh token");
    await snapshot;
    assert.equal((await request(home, "rooms.leave")).ok, true);
  });
});
