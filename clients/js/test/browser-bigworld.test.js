// The bigworld page (/?room=bigworld) in headless Chromium (Debian's
// /usr/bin/chromium driven by playwright-core, as in browser.test.js),
// against the real game server: 100 JS clients (this process) join one
// bigworld room and stand where the room put them, spread at random over
// the 1024 × 1024 map; the page joins the same room by id. Then:
//   - every animation frame the page draws exactly the players its mirror
//     holds (window.roomcastApp.drawn, read in the frame it was drawn),
//     each on the canvas, and that is fewer than the players in the room;
//   - standing still, those are the players of its view: every player in
//     the 3×3 cells around its own is drawn and no other (the cells
//     computed here from where each standing client's own mirror puts it);
//   - while arrow keys walk the page's player across the map, players
//     leave what is drawn and others enter it, and where it stops it again
//     draws exactly its view.
// And the rules the page predicts its own player with (src/bigworld.js)
// move a player as the server does.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { artifacts, launchChromium } from "./helpers/chromium.js";
import { startServer } from "./support/server.js";
import { connect } from "../src/roomcast.js";
import { BIGWORLD_CELLS, BIGWORLD_SIZE, bigworldApplyInput } from "../src/bigworld.js";


// examples/bigworld's geometry (as the page's rules have it; the last test
// checks the move against the server).
const MAP = BIGWORLD_SIZE;
const CELLS = BIGWORLD_CELLS;
const CELL = MAP / CELLS;
const HYSTERESIS = 4; // units past its cell's edge before a moving player changes cell

const STANDING = 100; // players besides the page's
const JOIN_BATCH = 10; // clients joining at once

let server;
let browser;
const clients = [];

before(async () => {
  server = await startServer(["--demo", "arena", "--drain-grace", "10s"]);
  browser = await launchChromium();
});

after(async () => {
  for (const c of clients) c.close();
  await browser?.close();
  if (server) await server.stop();
});

/** Polls fn until it returns a truthy value (resolved with it); fails naming what and fn's last value after ms. */
async function until(fn, what, ms = 30_000, every = 50) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v?.ok ?? v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; last: ${JSON.stringify(v?.last ?? v).slice(0, 1500)}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/**
 * What the page drew in its next animation frame, read in that frame
 * (after the page's draw callback, registered a frame earlier, and before
 * any frame can reach the mirror): the drawn players, the mirror's
 * players (id → {x, y}), the ticks of both, the own session and the
 * canvas size.
 */
const frame = (page) =>
  page.evaluate(
    () =>
      new Promise((resolve) =>
        requestAnimationFrame(() => {
          const app = window.roomcastApp;
          const room = app.room;
          const mirror = {};
          for (const [id, p] of room?.state?.players ?? []) mirror[id] = { x: p.x, y: p.y };
          resolve({
            drawn: app.drawn,
            mirror,
            tick: room?.tick ?? 0,
            roomId: room?.id ?? null,
            sessionId: room?.sessionId ?? null,
            verified: room?.stats.verified ?? 0,
            desyncs: room?.stats.desyncs ?? 0,
            canvas: { w: document.getElementById("arena").width, h: document.getElementById("arena").height },
          });
        }),
      ),
  );

/** Asserts the frame drew exactly the mirror's players, each once and on the canvas; returns the drawn ids. */
function assertDrawnIsMirror(f) {
  assert.ok(f.drawn, "the page drew a room");
  assert.equal(f.drawn.tick, f.tick, "drawn from the mirror's current tick");
  const ids = f.drawn.players.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, `a player drawn twice: ${ids}`);
  assert.deepEqual([...ids].sort(), Object.keys(f.mirror).sort(), "drawn players = the mirror's players");
  for (const p of f.drawn.players) {
    assert.ok(p.x >= 0 && p.x <= f.canvas.w && p.y >= 0 && p.y <= f.canvas.h, `player ${p.id} drawn off the canvas at (${p.x}, ${p.y}); mirror ${JSON.stringify(f.mirror[p.id])}`);
  }
  return new Set(ids);
}

/** The cells [col, row] a player at (x, y) may belong to: those whose square, widened by margin, holds it. */
function cellsOf({ x, y }, margin) {
  const axis = (v) => {
    const out = [];
    for (let i = 0; i < CELLS; i++) {
      const lo = i === 0 ? -Infinity : i * CELL - margin;
      const hi = i === CELLS - 1 ? Infinity : (i + 1) * CELL + margin;
      if (v >= lo && v < hi) out.push(i);
    }
    return out;
  };
  return axis(x).flatMap((c) => axis(y).map((r) => [c, r]));
}

const near = (a, b) => Math.abs(a[0] - b[0]) <= 1 && Math.abs(a[1] - b[1]) <= 1;

/**
 * The standing players a client at me sees: must (in view whichever cell
 * the hysteresis left the client in) and may (in view for some such cell).
 * A standing player's cell is the one its position is in (a tiny margin
 * for the float32 it is sent as).
 */
function expectedView(me, standing) {
  const mine = cellsOf(me, HYSTERESIS + 0.01);
  const must = new Set();
  const may = new Set();
  for (const [id, pos] of standing) {
    const theirs = cellsOf(pos, 0.01);
    if (mine.every((a) => theirs.every((b) => near(a, b)))) must.add(id);
    if (mine.some((a) => theirs.some((b) => near(a, b)))) may.add(id);
  }
  return { must, may };
}

/** Asserts a page standing still draws its view: every standing player that must be in it, none that may not. */
function assertDrawsItsView(f, standing, what) {
  const drawn = assertDrawnIsMirror(f);
  const me = f.mirror[f.sessionId];
  assert.ok(me, `${what}: the page's own player drawn`);
  const { must, may } = expectedView(me, standing);
  for (const id of must) assert.ok(drawn.has(id), `${what}: player ${id} at ${JSON.stringify(standing.get(id))} is in the view of ${JSON.stringify(me)} but not drawn`);
  for (const id of drawn) {
    if (id !== f.sessionId) assert.ok(may.has(id), `${what}: player ${id} at ${JSON.stringify(standing.get(id) ?? f.mirror[id])} drawn, outside the view of ${JSON.stringify(me)}`);
  }
  assert.ok(drawn.size < STANDING + 1, `${what}: ${drawn.size} players drawn of ${STANDING + 1} in the room`);
}

/** Waits until the page's own player (as its mirror has it) stands still; returns that frame. */
async function standing(page, what) {
  let last = null;
  let since = 0;
  return until(async () => {
    const f = await frame(page);
    assertDrawnIsMirror(f);
    const me = JSON.stringify(f.mirror[f.sessionId]);
    if (me !== last) {
      last = me;
      since = Date.now();
    }
    return { ok: me !== undefined && Date.now() - since > 500, f, last: f };
  }, what).then((r) => r.f);
}

test("the bigworld page draws the players its client receives, fewer than the room's, and they change as it walks", { timeout: 170_000 }, async (t) => {
  // The room: one client creates it, the others join it by id, a batch at
  // a time; each stands where the room put it (no input).
  const first = await connect(server.url, { transports: ["websocket"] });
  clients.push(first);
  const rooms = [await first.create("bigworld", { name: "s0" })];
  const roomId = rooms[0].id;
  for (let i = 1; i < STANDING; i += JOIN_BATCH) {
    const batch = [];
    for (let j = i; j < Math.min(STANDING, i + JOIN_BATCH); j++) {
      batch.push(
        (async () => {
          const c = await connect(server.url, { transports: ["websocket"] });
          clients.push(c);
          return c.joinById(roomId, { name: `s${j}` });
        })(),
      );
    }
    rooms.push(...(await Promise.all(batch)));
  }
  // Where each one stands, from its own mirror (its own player is in its view).
  const standingAt = new Map();
  await until(() => {
    for (const r of rooms) {
      const p = r.state?.players?.get(r.sessionId);
      if (p) standingAt.set(r.sessionId, { x: p.x, y: p.y });
    }
    return standingAt.size === STANDING;
  }, "every standing player in its own mirror");

  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await page.goto(`${server.url}/?room=bigworld&transport=websocket&name=page&join=${roomId}`);
    const joined = await until(async () => {
      const f = await frame(page);
      return { ok: f.roomId === roomId && f.sessionId && f.mirror[f.sessionId] && f.drawn?.players.some((p) => p.id === f.sessionId), last: f };
    }, "the page in the room, drawing its own player");
    assert.equal(joined.last.roomId, roomId, "the page joined the same room");
    assert.equal(await page.title(), "roomcast bigworld");

    // Standing still it draws exactly its view: fewer than the room's players.
    const atStart = await standing(page, "the page's player standing at its spawn");
    assertDrawsItsView(atStart, standingAt, "at the spawn");
    const startDrawn = new Set(atStart.drawn.players.map((p) => p.id));
    await page.screenshot({ path: join(artifacts, "bigworld-start.png") });

    // Walk: arrow keys held along x towards the far side, then along y
    // towards the far side, then back, one leg per wall reached, until a
    // player has entered what is drawn and one has left it.
    await page.bringToFront();
    const me0 = atStart.mirror[atStart.sessionId];
    const legs = [
      me0.x < MAP / 2 ? ["ArrowRight", "x", MAP] : ["ArrowLeft", "x", 0],
      me0.y < MAP / 2 ? ["ArrowDown", "y", MAP] : ["ArrowUp", "y", 0],
    ];
    legs.push([legs[0][0] === "ArrowRight" ? "ArrowLeft" : "ArrowRight", "x", MAP - legs[0][2]]);
    legs.push([legs[1][0] === "ArrowDown" ? "ArrowUp" : "ArrowDown", "y", MAP - legs[1][2]]);
    const entered = new Set();
    const left = new Set();
    let prev = startDrawn;
    let frames = 0;
    let walked = 0; // furthest from the spawn so far
    const deadline = Date.now() + 100_000;
    for (const [key, axis, wall] of legs) {
      await page.keyboard.down(key);
      try {
        for (;;) {
          const f = await frame(page);
          const now = assertDrawnIsMirror(f);
          frames++;
          for (const id of now) if (!startDrawn.has(id)) entered.add(id);
          for (const id of prev) if (!now.has(id)) left.add(id);
          prev = now;
          const me = f.mirror[f.sessionId];
          walked = Math.max(walked, Math.hypot(me.x - me0.x, me.y - me0.y));
          if (entered.size > 0 && left.size > 0 && walked >= CELL) break;
          if (Math.abs(f.mirror[f.sessionId][axis] - wall) < 2) break;
          if (Date.now() > deadline) throw new Error(`walked 100 s: entered ${[...entered]}, left ${[...left]}, at ${JSON.stringify(f.mirror[f.sessionId])}`);
          await new Promise((r) => setTimeout(r, 30));
        }
      } finally {
        await page.keyboard.up(key);
      }
      if (entered.size > 0 && left.size > 0 && walked >= CELL) break;
    }
    t.diagnostic(`drawn at the spawn ${JSON.stringify(me0)}: ${startDrawn.size}; walked ${Math.round(walked)} units: ${entered.size} entered, ${left.size} left`);
    assert.ok(entered.size > 0, "no player entered what is drawn");
    assert.ok(left.size > 0, "no player left what is drawn");
    for (const id of entered) assert.ok(standingAt.has(id), `an entering player ${id} is not one of the room's`);

    // Where it stops it draws exactly its view again.
    const atEnd = await standing(page, "the page's player standing after the walk");
    assertDrawsItsView(atEnd, standingAt, "after the walk");
    await until(async () => (await frame(page)).verified > 0, "a verified checksum of the page's view");
    const last = await frame(page);
    assert.equal(last.desyncs, 0, "the page's mirror matched the server's view at every checksum");
    await page.screenshot({ path: join(artifacts, "bigworld-walked.png") });
    assert.deepEqual(errors, []);
    assert.ok(frames > 0);
  } finally {
    await context.close();
  }
});

// The page predicts its own player with src/bigworld.js's rules: a JS
// client walking diagonally in a bigworld room of its own finds the
// server's move from each tick to the next where they say.
test("bigworld's client rules move a player as the bigworld room does", { timeout: 60_000 }, async () => {
  const c = await connect(server.url, { transports: ["websocket"] });
  clients.push(c);
  const room = await c.create("bigworld", { name: "rules" });
  const seen = new Map(); // tick → own position
  room.on("state", () => {
    const p = room.state?.players?.get(room.sessionId);
    if (p) seen.set(room.tick, { x: p.x, y: p.y });
  });
  const start = await until(() => room.state?.players?.get(room.sessionId), "the own player");
  const input = { dx: start.x < MAP / 2 ? 1 : -1, dy: start.y < MAP / 2 ? 1 : -1 };
  // The input stays in force until the next; resend it now and then (a
  // client sends one a tick) so the steps compared are moves by it.
  const timer = setInterval(() => room.send(input), 200);
  try {
    room.send(input);
    let steps;
    await until(() => {
      steps = [];
      for (const [tick, at] of seen) {
        const next = seen.get(tick + 1);
        if (next && (next.x !== at.x || next.y !== at.y)) steps.push({ at, next });
      }
      return steps.length >= 10;
    }, "ten one-tick moves");
    for (const { at, next } of steps) {
      const want = bigworldApplyInput({ ...at }, input, 1 / 20);
      assert.ok(Math.abs(want.x - next.x) < 1e-3 && Math.abs(want.y - next.y) < 1e-3, `from ${JSON.stringify(at)} the server moved to ${JSON.stringify(next)}, the rules say ${JSON.stringify(want)}`);
    }
  } finally {
    clearInterval(timer);
    room.send({ dx: 0, dy: 0 });
  }
});
