// Starts cmd/gameserver (the arena and the page) for the JS client tests
// on a free 127.0.0.1 port, through test/support/server.js (which builds
// cmd/gameserver once per process, or takes $ROOMCAST_GAMESERVER, set by
// `make test` after building it once for all files).
import { startServer } from "../support/server.js";

/**
 * Starts the arena server. opts: reconnectGrace (e.g. "1s"), args (more
 * flags). Resolves to startServer's {url, pid, stop(), stderr()} plus
 * graceMs, the seat grace in effect.
 */
export async function startArena({ args = [], reconnectGrace, timeoutMs } = {}) {
  const all = ["--demo", "arena", "--drain-grace", "10s", ...args];
  if (reconnectGrace) all.push("--reconnect-grace", reconnectGrace);
  const server = await startServer(all, { timeoutMs });
  return { ...server, graceMs: reconnectGrace ? parseDuration(reconnectGrace) : 20_000 };
}

function parseDuration(s) {
  const m = /^(\d+(?:\.\d+)?)(ms|s)$/.exec(s);
  if (!m) throw new Error(`duration ${s}: want e.g. 500ms or 1s`);
  return Number(m[1]) * (m[2] === "s" ? 1000 : 1);
}

/** Polls fn until truthy (resolved with it) or rejects after ms naming what. */
export async function until(fn, what, ms = 5000, every = 10) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Resolves with the args of emitter's next event (roomcast Emitter or socket), or rejects after ms. */
export function nextEvent(emitter, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    let off;
    const timer = setTimeout(() => {
      off?.();
      reject(new Error(`timed out after ${ms} ms waiting for "${event}"`));
    }, ms);
    off = emitter.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}
