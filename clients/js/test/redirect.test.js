// The JS client (src/roomcast.js, over the real socket.io-client) follows
// the multi-node redirects of PROTOCOL.md ("Several nodes: redirects")
// against internal/redirectstub's three stub nodes: every join call and a
// resume end seated on the node the reply named, on a new connection with
// the same options (also to a node behind a path prefix), with the first
// connection closed; redirect_loop, claim_invalid, unavailable and
// node_gone reach the caller as RoomcastError codes; a seat whose node
// dies is resumed through the first node, which says node_gone.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect, RoomcastError } from "../src/roomcast.js";
import { startRedirectStub } from "./support/redirectstub.js";
import { eventually, next } from "./support/util.js";

let stub;
const clients = [];

before(async () => {
  stub = await startRedirectStub();
});

after(async () => {
  for (const c of clients) c.close();
  if (stub) {
    const st = await stub.stop();
    assert.equal(st.code, 0, `redirectstub exit: ${JSON.stringify(st)}`);
  }
});

async function client(opts = {}) {
  const c = await connect(stub.A, { reconnectionDelay: 100, reconnectionDelayMax: 300, auth: { player: "p1" }, ...opts });
  clients.push(c);
  return c;
}

// openConns counts the open connections of each node, from the stub.
async function openConns() {
  const st = await stub.stats();
  const n = (name) => st[name].conns.filter((c) => c.open).length;
  return { A: n("A"), B: n("B"), C: n("C") };
}

// eventsSince returns the events each node got after the stats base.
async function eventsSince(base) {
  const st = await stub.stats();
  const since = (name) => st[name].events.slice(base[name].events.length);
  return { A: since("A"), B: since("B"), C: since("C") };
}

// settle waits until every node has no open connection (after the test's
// clients closed), so the next test counts only its own.
async function settle() {
  await eventually(async () => {
    const o = await openConns();
    return o.A + o.B + o.C === 0;
  }, "no open stub connections");
}

const calls = {
  joinOrCreate: (c, target) => c.joinOrCreate(target, {}),
  create: (c, target) => c.create(target, { name: "x" }),
  join: (c, target) => c.join(target),
  joinById: (c, target) => c.joinById(target),
};

for (const transports of [["websocket"], ["polling"]]) {
  describe(`over ${transports[0]}`, () => {
    const cases = [
      ["joinOrCreate", "toB", "B"],
      ["create", "toC", "C"], // C is behind the path prefix /n3
      ["join", "hop", "C"], // two redirects
      ["joinById", "toBnoclaim", "B"], // no claim: the same request there
      ["joinOrCreate", "here", "A"], // no redirect
    ];
    for (const [call, target, node] of cases) {
      test(`${call}(${target}) is seated on node ${node}`, async () => {
        await settle();
        const c = await client({ transports });
        const first = c.socket;
        const room = await calls[call](c, target);
        assert.equal(room.status, "connected");
        assert.equal(room.url, stub[node], "the seat's node");
        assert.equal(c.url, stub[node]);
        assert.equal(room.id, `room-${node}`);
        assert.match(room.token, new RegExp(`^${node}\\.\\d+\\.\\d+$`));
        assert.equal(c.connected, true);
        assert.equal(c.transport, transports[0]);

        // later requests go to the new node
        await assert.rejects(room.message("hello", 1), (err) => err instanceof RoomcastError && err.code === "unknown_event");
        const st = await stub.stats();
        assert.ok(st[node].seats.includes(room.sessionId), "seated there");
        assert.equal(st[node].events.at(-1), "msg");
        const conn = st[node].conns.at(-1);
        assert.equal(conn.parser, "msgpack");
        assert.equal(conn.transport, transports[0]);
        assert.deepEqual(conn.auth, { player: "p1" });

        if (node === "A") {
          assert.equal(c.socket, first, "no redirect: the same connection");
        } else {
          assert.notEqual(c.socket, first);
          assert.equal(first.connected, false, "the first connection is closed");
          const want = { A: 0, B: 0, C: 0, [node]: 1 };
          await eventually(async () => JSON.stringify(await openConns()) === JSON.stringify(want), `open connections ${JSON.stringify(want)}`);
        }
        c.close();
      });
    }
  });
}

test("redirect_loop, claim_invalid and unavailable reject with their code; the client stays on its node", async () => {
  for (const [target, code] of [
    ["loop", "redirect_loop"],
    ["badclaim", "claim_invalid"],
    ["unavailable", "unavailable"],
    ["badurl", "bad_reply"],
  ]) {
    await settle();
    const before = (await stub.stats()).A.conns.length;
    const c = await client();
    const first = c.socket;
    await assert.rejects(c.joinOrCreate(target), (err) => err instanceof RoomcastError && err.code === code, target);
    assert.equal(c.socket, first);
    assert.equal(c.url, stub.A);
    assert.equal(c.room, null);
    await eventually(async () => JSON.stringify(await openConns()) === JSON.stringify({ A: 1, B: 0, C: 0 }), `${target}: only the first connection open`);
    if (target === "loop") assert.equal((await stub.stats()).A.conns.length - before, 4, "the first connection and 3 followed redirects");
    // and it can still be seated
    const room = await c.joinOrCreate("toB");
    assert.equal(room.url, stub.B);
    c.close();
  }
});

test("a lobby subscription is made again on the node a redirect moved to", async () => {
  await settle();
  const base = await stub.stats();
  const c = await client();
  const lobby = await c.lobby({});
  await eventually(() => lobby.rooms.has("lobby-A"), "node A's lobby list");
  const room = await c.joinOrCreate("toB");
  assert.equal(room.url, stub.B);
  await eventually(() => lobby.live && lobby.rooms.has("lobby-B"), "the lobby list from node B");
  assert.deepEqual(await eventsSince(base), { A: ["lobby.subscribe", "rooms.joinOrCreate"], B: ["rooms.claim", "lobby.subscribe"], C: [] });
  c.close();
});

test("a dropped seat resumes on its node; a resume redirected to another node moves there", async () => {
  await settle();
  const base = await stub.stats();
  const c = await client();
  const room = await c.joinOrCreate("toB");
  const token = room.token;

  // a drop: socket.io-client reconnects to B, which takes the seat back
  c.socket.io.engine.close();
  await next(room, "resume");
  assert.equal(room.url, stub.B);
  assert.notEqual(room.token, token);
  assert.deepEqual(await eventsSince(base), { A: ["rooms.joinOrCreate"], B: ["rooms.claim", "rooms.resume"], C: [] });

  // a token of a seat on C, resumed at B: B redirects (no claim), the
  // client repeats rooms.resume at C and moves there
  room.token = "C.77";
  c.socket.io.engine.close();
  await next(room, "resume");
  assert.equal(room.url, stub.C);
  assert.equal(c.url, stub.C);
  assert.equal(room.status, "connected");
  assert.deepEqual(await eventsSince(base), { A: ["rooms.joinOrCreate"], B: ["rooms.claim", "rooms.resume", "rooms.resume"], C: ["rooms.resume"] });
  await eventually(async () => JSON.stringify(await openConns()) === JSON.stringify({ A: 0, B: 0, C: 1 }), "only C's connection open");
  c.close();
});

test("when the seat's node dies, the client resumes through the first node and leaves with node_gone", async () => {
  await settle();
  const base = await stub.stats();
  const c = await client();
  const room = await c.joinOrCreate("toB");
  const left = next(room, "leave", 60_000);
  await stub.stopNode("B");
  const [info] = await left;
  assert.equal(info.code, "node_gone");
  assert.equal(room.status, "left");
  assert.equal(c.url, stub.A, "back on the first node");
  assert.equal(c.connected, true);
  assert.deepEqual((await eventsSince(base)).A, ["rooms.joinOrCreate", "rooms.resume"]);
  c.close();
});
