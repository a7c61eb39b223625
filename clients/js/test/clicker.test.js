// The clicker (examples/clicker) as a studio ships it: the cmd/clicker
// binary (package host), played with the real socket.io-client 4.8 over
// every transport × parser. Two players join, click, and both mirrors show
// the scores; the round ends and its winner is recorded; a dropped player
// is a ghost (online false) until rooms.resume brings it back. The page
// in headless Chromium (Debian's /usr/bin/chromium, playwright-core), over
// WebSocket and with long-polling forced: its button's clicks score, and
// a dropped player shows greyed out as "reconnecting…".
//
// The binary is $ROOMCAST_CLICKER (`make js-test` builds it), else it is
// built here once.
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import { io } from "socket.io-client";
import msgpackParser from "socket.io-msgpack-parser";
import { Mirror } from "../src/mirror.js";
import { next, ack, eventually, toBuffer } from "./support/util.js";

const TRANSPORTS = {
  websocket: { transports: ["websocket"] },
  polling: { transports: ["polling"] },
};
const PARSERS = {
  default: {},
  msgpack: { parser: msgpackParser },
};
// Short rounds (room options of the clicker), so a round ends within the
// test; long enough that the clicks sent right after joining land in
// round 1 on a loaded machine.
const ROUND = { roundSeconds: 4, intermissionSeconds: 1 };
const WAIT = 20_000; // generous deadline of every wait

async function clickerBinary() {
  if (process.env.ROOMCAST_CLICKER) return process.env.ROOMCAST_CLICKER;
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
  const dir = await mkdtemp(join(tmpdir(), "roomcast-clicker-"));
  process.once("exit", () => rm(dir, { recursive: true, force: true }));
  const bin = join(dir, "clicker");
  await promisify(execFile)("go", ["build", "-o", bin, "./cmd/clicker"], { cwd: repoRoot, timeout: 300_000 });
  return bin;
}

/** Starts the binary on a free port; resolves once it prints its listening line. */
async function startClicker() {
  const proc = spawn(await clickerBinary(), ["--addr", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr.setEncoding("utf8");
  proc.stderr.on("data", (d) => (stderr = (stderr + d).slice(-(1 << 16))));
  const exited = new Promise((res) => proc.once("exit", (code, signal) => res({ code, signal })));
  const url = await new Promise((res, rej) => {
    let out = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      rej(new Error(`clicker did not print its listening line; stderr:\n${stderr}`));
    }, WAIT);
    proc.stdout.setEncoding("utf8");
    proc.stdout.on("data", (d) => {
      const m = /^listening on (http:\/\/\S+)$/m.exec((out += d));
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    exited.then((s) => {
      clearTimeout(timer);
      rej(new Error(`clicker exited (${JSON.stringify(s)}) before listening; stderr:\n${stderr}`));
    });
  });
  return {
    url,
    stderr: () => stderr,
    async stop() {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), WAIT);
      const status = await exited;
      clearTimeout(timer);
      return status;
    },
  };
}

let server;
before(async () => {
  server = await startClicker();
});
after(async () => {
  const status = await server?.stop();
  assert.deepEqual(status, { code: 0, signal: null }, `clicker did not exit cleanly; stderr:\n${server?.stderr()}`);
});

/** A player: a socket plus a mirror fed by its state frames. */
class Player {
  constructor(opts) {
    this.opts = opts;
    this.mirror = new Mirror();
    this.lastAck = 0;
    this.errors = [];
  }
  async connect() {
    const s = io(server.url, { forceNew: true, reconnection: false, timeout: WAIT, ...this.opts });
    s.on("snapshot", (state, ackSeq) => this.frame("snapshot", state, ackSeq));
    s.on("delta", (state, ackSeq) => this.frame("delta", state, ackSeq));
    if (!s.connected) await next(s, "connect", WAIT);
    this.socket = s;
    return this;
  }
  frame(kind, state, ackSeq) {
    try {
      if (kind === "snapshot") this.mirror.applySnapshot(toBuffer(state));
      else this.mirror.applyDelta(toBuffer(state));
    } catch (err) {
      this.errors.push(`${kind}: ${err.message}`);
    }
    this.lastAck = Number(ackSeq);
  }
  /** The mirrored state as plain values. */
  get state() {
    return this.mirror.valid ? this.mirror.value() : null;
  }
  player(id) {
    return this.state?.players?.[id];
  }
  async request(event, ...args) {
    const [res] = await ack(this.socket, event, ...args);
    return res;
  }
  click(seq, n) {
    this.socket.emit("input", seq, { n });
  }
  close() {
    this.socket?.disconnect();
  }
}

describe("clicker page", () => {
  it("serves the page with the client bundle", async () => {
    const index = await fetch(server.url + "/");
    assert.equal(index.status, 200);
    assert.match(await index.text(), /roomcast clicker/);
    const bundle = await fetch(server.url + "/roomcast.bundle.js");
    assert.equal(bundle.status, 200);
    assert.ok((await bundle.text()).length > 1000);
  });
});

for (const [tname, topts] of Object.entries(TRANSPORTS)) {
  for (const [pname, popts] of Object.entries(PARSERS)) {
    describe(`clicker over ${tname} × ${pname} parser`, { timeout: 120_000 }, () => {
      const players = [];
      const player = async () => {
        const p = await new Player({ ...topts, ...popts }).connect();
        players.push(p);
        return p;
      };
      after(() => players.forEach((p) => p.close()));

      it("counts clicks, ends the round with a winner, shows a dropped player as a ghost until it resumes", async () => {
        const ada = await player();
        const seat = await ada.request("rooms.create", "clicker", { name: "ada", ...ROUND });
        assert.equal(seat.ok, true, JSON.stringify(seat));
        assert.equal(Number(seat.tickRate), 10);
        const bob = await player();
        const bseat = await bob.request("rooms.joinById", seat.roomId, { name: "bob" });
        assert.equal(bseat.ok, true, JSON.stringify(bseat));

        // Round 1 started with the room: click at once.
        for (let seq = 1; seq <= 3; seq++) ada.click(seq, 2);
        bob.click(1, 1);
        bob.click(2, 50); // out of bounds: ignored, still acknowledged
        await eventually(() => ada.lastAck === 3 && bob.lastAck === 2, "clicks acknowledged", WAIT);
        for (const p of [ada, bob]) {
          await eventually(
            () => p.player(seat.sessionId)?.score === 6 && p.player(bseat.sessionId)?.score === 1,
            `scores 6 and 1 in ${p === ada ? "ada" : "bob"}'s mirror (${JSON.stringify(p.state)})`,
            WAIT,
          );
          assert.equal(p.state.round, 1, "the clicks landed in round 1");
        }
        assert.equal(bob.player(seat.sessionId).name, "ada");

        // The round ends: ada won it.
        await eventually(() => bob.state?.phase === "intermission", "the end of round 1", WAIT);
        const s = bob.state;
        assert.equal(s.round, 1);
        assert.equal(s.winner, seat.sessionId);
        assert.equal(s.winnerName, "ada");
        assert.equal(s.winnerScore, 6);
        assert.equal(s.players[seat.sessionId].wins, 1);
        assert.equal(s.players[bseat.sessionId].wins, 0);

        // bob's connection dies: a ghost in ada's state, seat held.
        bob.socket.io.engine.close();
        await eventually(() => ada.player(bseat.sessionId)?.online === false, "bob offline in ada's mirror", WAIT);
        const back = await player();
        const resumed = await back.request("rooms.resume", { token: bseat.token });
        assert.equal(resumed.ok, true, JSON.stringify(resumed));
        assert.equal(resumed.sessionId, bseat.sessionId);
        assert.equal(resumed.roomId, seat.roomId);
        await eventually(() => ada.player(bseat.sessionId)?.online === true, "bob online again in ada's mirror", WAIT);
        await eventually(() => back.player(bseat.sessionId)?.online === true, "bob online in his new mirror", WAIT);
        assert.equal(back.player(seat.sessionId).wins, 1, "the resumed mirror has the room's state");

        for (const p of [ada, bob, back]) assert.deepEqual(p.errors, []);
        for (const p of [ada, back]) assert.equal((await p.request("rooms.leave")).ok, true);
      });
    });
  }
}

const CHROMIUM = process.env.ROOMCAST_CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-sync", "--no-first-run"];

describe("clicker page in Chromium", { timeout: 120_000 }, () => {
  let browser;
  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (make test installs it), or set ROOMCAST_CHROMIUM`);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  });
  after(() => browser?.close());

  // What the page shows of each player: [text, greyed out as a ghost].
  const shown = (page) =>
    page.$$eval("#players li", (lis) => lis.map((li) => [li.textContent, li.classList.contains("ghost")]));

  // Each transport gets its own room: the intermission length differs, and
  // the round options filter matchmaking.
  for (const [transport, intermissionSeconds] of [["websocket", 2], ["polling", 3]]) {
    it(`scores clicks and shows a ghost over ${transport}`, async () => {
      const page = await browser.newPage();
      const errors = [];
      page.on("pageerror", (e) => errors.push(e.message));
      try {
        await page.goto(`${server.url}/?transport=${transport}&name=cy&roundSeconds=600&intermissionSeconds=${intermissionSeconds}`);
        await page.waitForFunction(() => window.clickerApp.room?.state?.phase === "playing", null, { timeout: WAIT });
        assert.equal(await page.evaluate(() => window.clickerApp.client.transport), transport);
        assert.match(await page.textContent("footer"), /transport=polling/);
        for (let i = 0; i < 3; i++) await page.click("#click");
        await eventually(async () => (await shown(page)).some(([t]) => t.startsWith("cy: 3")), "cy: 3 on the page", WAIT);

        // Another player joins the page's room and drops.
        const roomId = await page.evaluate(() => window.clickerApp.room.id);
        const dee = await new Player(TRANSPORTS[transport]).connect();
        const seat = await dee.request("rooms.joinById", roomId, { name: "dee" });
        assert.equal(seat.ok, true, JSON.stringify(seat));
        await eventually(async () => (await shown(page)).some(([t, ghost]) => t.startsWith("dee: 0") && !ghost), "dee on the page", WAIT);
        dee.socket.io.engine.close();
        await eventually(
          async () => (await shown(page)).some(([t, ghost]) => t.startsWith("dee") && t.endsWith("reconnecting…") && ghost),
          "dee greyed out as reconnecting…",
          WAIT,
        );
        const back = await new Player(TRANSPORTS[transport]).connect();
        assert.equal((await back.request("rooms.resume", { token: seat.token })).ok, true);
        await eventually(async () => (await shown(page)).some(([t, ghost]) => t.startsWith("dee: 0") && !ghost), "dee back online", WAIT);
        assert.equal((await back.request("rooms.leave")).ok, true);
        back.close();
        assert.deepEqual(errors, []);
      } finally {
        // Leave like a player closing the tab would not: at once, so the
        // server has no session left to wait for when it drains.
        await page.evaluate(() => window.clickerApp.client?.close()).catch(() => {});
        await page.close();
      }
    });
  }
});
