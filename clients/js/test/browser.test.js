// The arena page in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core), against the real game server, over WebSocket and with
// long-polling forced: two pages join the same room through the page's
// own UI; keys pressed in one move its player in the other; the first page
// goes offline for 2 s and comes back into the same seat with its score
// intact. And what the page shows when things go away: a player whose
// connection is gone is drawn as reconnecting (not as a live player), the
// lobby drops its rooms when the server stops (and lists the new server's
// rooms after the reconnect), and the page offers polling-only mode.
// Screenshots go to clients/js/test-artifacts/.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { artifacts, launchChromium } from "./helpers/chromium.js";
import { startArena } from "./helpers/arena.js";
import { connect } from "../src/roomcast.js";


let server;
let browser;

before(async () => {
  server = await startArena();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (server) await server.stop();
});

const view = (page) => page.evaluate(() => window.roomcastApp.view());

/** Polls the page's view until pred(view) holds; fails naming what with the last view. */
async function waitView(page, pred, what, ms = 20_000) {
  const deadline = Date.now() + ms;
  let v;
  for (;;) {
    v = await view(page);
    if (pred(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; page view: ${JSON.stringify(v).slice(0, 1500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function openPage(query, url = server.url) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${url}/?${query}`);
  await page.waitForFunction(() => window.roomcastApp?.client?.connected, null, { timeout: 15_000 });
  return { context, page, errors };
}

const arrows = { right: "ArrowRight", left: "ArrowLeft", up: "ArrowUp", down: "ArrowDown" };

/**
 * Holds key on page `from` until `watcher` sees the player `id` move more
 * than `dist` along the key's axis (at least minMs), then releases it.
 * (Held, not tapped: the arena applies the latest input each tick, and a
 * long-polling POST may carry a whole tap, press and release, at once.)
 */
async function holdUntilMoved(from, watcher, id, key, dist, what, { minMs = 500, ms = 20_000 } = {}) {
  const axis = key === "ArrowLeft" || key === "ArrowRight" ? "x" : "y";
  const sign = key === "ArrowRight" || key === "ArrowDown" ? 1 : -1;
  const before = (await view(watcher)).players[id];
  const t0 = Date.now();
  await from.keyboard.down(key);
  let during;
  try {
    during = await view(from);
    await waitView(watcher, (v) => (v.players[id][axis] - before[axis]) * sign > dist && Date.now() - t0 >= minMs, what, ms).catch(async (err) => {
      throw new Error(`${err.message}\nmoving page while ${key} was held: ${JSON.stringify(during)}\nmoving page now: ${JSON.stringify(await view(from))}`);
    });
  } finally {
    await from.keyboard.up(key);
  }
  return before;
}

/**
 * The direction (+1 or -1) along axis in which player `me` can move a
 * hundred units without running into `other` (a collision would push it
 * off its line and cost hp) or a wall.
 */
function clearWay(me, other, axis) {
  const cross = axis === "x" ? "y" : "x";
  const space = (dir) => (dir > 0 ? 1000 - me[axis] : me[axis]);
  let dir = me[axis] < 500 ? 1 : -1;
  if (other && Math.abs(other[cross] - me[cross]) < 64) dir = other[axis] > me[axis] ? -1 : 1;
  return space(dir) >= 100 ? dir : -dir;
}

/** Waits until the page's own player has stopped: inputs sent after now acknowledged, position steady. */
async function settle(page) {
  const { seq } = await view(page);
  let last = null;
  let steadySince = 0;
  return waitView(
    page,
    (v) => {
      const pos = JSON.stringify(v.me && [v.me.x, v.me.y]);
      if (pos !== last) {
        last = pos;
        steadySince = Date.now();
      }
      return v.ackedSeq > seq && Date.now() - steadySince > 300;
    },
    "own player standing still",
  );
}

/**
 * Steers the page's own player with the arrow keys onto the nearest
 * pickup until its score rises (play mode); returns the view.
 */
async function collectPoint(page, ms = 30_000) {
  const start = await view(page);
  const deadline = Date.now() + ms;
  const held = new Set();
  const hold = async (want) => {
    for (const k of held) if (!want.has(k)) await page.keyboard.up(k);
    for (const k of want) if (!held.has(k)) await page.keyboard.down(k);
    held.clear();
    for (const k of want) held.add(k);
  };
  try {
    for (;;) {
      const v = await view(page);
      if (v.me && v.me.score > start.me.score) return v;
      if (Date.now() > deadline) throw new Error(`no point collected in ${ms} ms: ${JSON.stringify(v).slice(0, 800)}`);
      if (v.me && v.pickups.length) {
        const p = v.pickups.reduce((a, b) => (Math.hypot(a.x - v.me.x, a.y - v.me.y) <= Math.hypot(b.x - v.me.x, b.y - v.me.y) ? a : b));
        const want = new Set();
        if (p.x - v.me.x > 3) want.add(arrows.right);
        if (v.me.x - p.x > 3) want.add(arrows.left);
        if (p.y - v.me.y > 3) want.add(arrows.down);
        if (v.me.y - p.y > 3) want.add(arrows.up);
        await hold(want);
      }
      await new Promise((r) => setTimeout(r, 40));
    }
  } finally {
    await hold(new Set());
  }
}

for (const transport of ["websocket", "polling"]) {
  describe(`arena page over ${transport}`, () => {
    test("two pages play in one room; the first drops for 2 s and resumes its seat", { timeout: 120_000 }, async () => {
      const p1 = await openPage(`transport=${transport}&name=one-${transport}`);
      const p2 = await openPage(`transport=${transport}&name=two-${transport}`);
      try {
        // Page 1 creates a room with its button; page 2 sees it in the live
        // lobby list and joins it with the row's button.
        await p1.page.click("#create");
        const v1 = await waitView(p1.page, (v) => v.roomId && v.me, "page 1 in its room");
        const row = p2.page.locator(`tr[data-room-id="${v1.roomId}"] button`);
        await row.waitFor({ timeout: 20_000 });
        await row.click();
        const v2 = await waitView(p2.page, (v) => v.roomId === v1.roomId && v.players[v1.sessionId], "page 2 in the same room, seeing page 1");
        assert.equal(v2.transport, transport);
        assert.equal((await view(p1.page)).transport, transport);
        await waitView(p1.page, (v) => v.players[v2.sessionId], "page 1 seeing page 2");

        // Keys held in page 1 move its player as page 2 sees it.
        const start = v2.players[v1.sessionId];
        const key = clearWay(start, v2.players[v2.sessionId], "x") > 0 ? "ArrowRight" : "ArrowLeft";
        await p1.page.bringToFront();
        await holdUntilMoved(p1.page, p2.page, v1.sessionId, key, 40, `page 1's player moving ${key} on page 2`);
        const moved = await settle(p1.page);
        await waitView(p2.page, (v) => v.players[v1.sessionId].x === moved.me.x, "page 2 seeing where page 1 stopped");
        assert.ok(Math.abs(moved.me.y - start.y) < 1, "no vertical move");
        // Own player predicted: once the inputs are acknowledged the
        // prediction is the server's position.
        const own = await waitView(
          p1.page,
          (v) => v.predicted && Math.abs(v.predicted.x - v.me.x) < 0.01 && Math.abs(v.predicted.y - v.me.y) < 0.01,
          "prediction converging to the server's position",
        );
        assert.ok(own.ping > 0, "ping shown");
        assert.match(await p1.page.textContent("#ping"), /ping \d+ ms/);

        // Page 1 scores a point, stops, then goes offline for 2 s.
        await collectPoint(p1.page);
        const scored = await settle(p1.page);
        const score = scored.me.score;
        assert.ok(score > 0, "scored");
        await waitView(p2.page, (v) => v.players[v1.sessionId]?.score >= score, "page 2 seeing the score");
        await p1.context.setOffline(true);
        await waitView(p1.page, (v) => v.status === "resuming", "page 1 noticing the drop", 20_000);
        assert.equal(await p1.page.isVisible("#banner"), true, "reconnect banner shown");
        await p1.page.screenshot({ path: join(artifacts, `${transport}-page1-offline.png`) });
        await new Promise((r) => setTimeout(r, 2000));
        // Meanwhile the seat is held: page 2 still sees player 1.
        assert.ok((await view(p2.page)).players[v1.sessionId], "seat held while offline");
        await p1.context.setOffline(false);
        const back = await waitView(p1.page, (v) => v.status === "connected" && v.resumes >= 1, "page 1 back in its seat", 30_000);
        assert.equal(back.sessionId, v1.sessionId, "same seat");
        assert.equal(back.roomId, v1.roomId);
        // The seat's player, not a new one (which would start at 0): its
        // score is kept. (It may have grown: a pickup can respawn onto a
        // player standing still.)
        assert.ok(back.me.score >= score, `score kept: ${back.me.score} after ${score}`);
        assert.equal(back.transport, transport);
        assert.equal(await p1.page.isVisible("#banner"), false, "banner gone");
        await waitView(p2.page, (v) => v.players[v1.sessionId]?.online === true, "page 2 seeing page 1 online again");
        // And it still plays: keys move it on page 2 again.
        const seen = await view(p2.page);
        const key2 = clearWay(seen.players[v1.sessionId], seen.players[seen.sessionId], "y") > 0 ? "ArrowDown" : "ArrowUp";
        await holdUntilMoved(p1.page, p2.page, v1.sessionId, key2, 30, "page 1 moving again after the resume");
        // Moving may collect a pickup; the score never goes back.
        assert.ok((await view(p2.page)).players[v1.sessionId].score >= score, "score kept while playing on");

        await p1.page.screenshot({ path: join(artifacts, `${transport}-page1.png`) });
        await p2.page.screenshot({ path: join(artifacts, `${transport}-page2.png`) });
        assert.deepEqual(p1.errors, []);
        assert.deepEqual(p2.errors, []);
      } finally {
        await p1.context.close();
        await p2.context.close();
      }
    });
  });
}

describe("what the page shows when players or the server go away", () => {
  test("a dropped player is drawn as reconnecting; a stopped server's rooms leave the lobby; polling is offered", { timeout: 120_000 }, async () => {
    let own = await startArena();
    const addr = new URL(own.url).host;
    const p1 = await openPage("create=1&name=leaver", own.url);
    const p2 = await openPage("name=stayer", own.url);
    let other;
    try {
      const v1 = await waitView(p1.page, (v) => v.roomId && v.me, "page 1 in its room");
      await waitView(p2.page, (v) => v.lobbyLive && v.lobby.some((r) => r.roomId === v1.roomId), "page 2's lobby listing the room");
      await p2.page.click(`tr[data-room-id="${v1.roomId}"] button`);
      let v2 = await waitView(p2.page, (v) => v.roomId === v1.roomId && v.players[v1.sessionId], "page 2 in the room");
      assert.equal(v2.players[v1.sessionId].online, true);
      assert.ok(!v2.scores.some((s) => /reconnecting/.test(s)), `scores ${v2.scores}`);

      // Page 1 goes away: its seat is held for the grace period, and
      // page 2 shows it as reconnecting, not as a live player.
      await p1.context.close();
      v2 = await waitView(p2.page, (v) => v.players[v1.sessionId]?.online === false, "page 2 seeing page 1 offline");
      v2 = await waitView(p2.page, (v) => v.scores.some((s) => s.startsWith("leaver:") && s.endsWith("(reconnecting)")), "page 1 listed as reconnecting");
      assert.equal(await p2.page.locator("#scores li.offline").count(), 1);
      assert.equal(v2.players[v2.sessionId].online, true);
      await p2.page.screenshot({ path: join(artifacts, "ghost.png") });

      // The server stops: page 2's lobby no longer offers its rooms.
      await p2.page.click("#leave");
      await waitView(p2.page, (v) => !v.roomId || v.status !== "connected" || v.lobby.length > 0, "page 2 out of the room");
      await waitView(p2.page, (v) => v.lobby.some((r) => r.roomId === v1.roomId), "the room still listed while the server runs");
      await own.stop();
      own = null;
      const dead = await waitView(p2.page, (v) => !v.lobbyLive, "page 2 noticing the lost connection");
      assert.deepEqual(dead.lobby, []);
      assert.equal(await p2.page.locator("#rooms tbody tr").count(), 0, "no rows, no Join buttons");
      assert.equal(await p2.page.isVisible("#no-rooms"), true);
      assert.match(await p2.page.textContent("#no-rooms"), /connection lost/i);
      assert.equal(await p2.page.isDisabled("#quick"), true);
      await p2.page.screenshot({ path: join(artifacts, "lobby-offline.png") });

      // A server comes back at the same address: the lobby is live again
      // and lists its rooms.
      own = await startArena({ args: ["--addr", addr] });
      await waitView(p2.page, (v) => v.lobbyLive, "page 2's lobby live again", 30_000);
      other = await connect(own.url, { transports: ["websocket"] });
      const room = await other.create("arena", { name: "newcomer" });
      await waitView(p2.page, (v) => v.lobby.some((r) => r.roomId === room.id), "page 2 listing the new server's room");
      assert.equal(await p2.page.isDisabled(`tr[data-room-id="${room.id}"] button`), false);

      // Polling-only mode is offered on the page: the link switches to it.
      assert.equal(await p2.page.textContent("#transport-link"), "use long-polling");
      await p2.page.click("#transport-link");
      await p2.page.waitForURL(/transport=polling/, { timeout: 10_000 });
      await p2.page.waitForFunction(() => window.roomcastApp?.client?.connected, null, { timeout: 15_000 });
      const polled = await waitView(p2.page, (v) => v.transport === "polling" && v.lobbyLive, "page 2 on polling");
      assert.ok(polled.lobby.some((r) => r.roomId === room.id));
      assert.equal(await p2.page.textContent("#transport-link"), "use WebSocket");
      assert.match(new URL(p2.page.url()).search, /name=stayer/, "other parameters kept");
      assert.deepEqual(p2.errors, []);
    } finally {
      other?.close();
      await p1.context.close().catch(() => {});
      await p2.context.close();
      if (own) await own.stop();
    }
  });
});
