// Starts cmd/gameserver (the arena and the page) for the JS client tests
// on a free 127.0.0.1 port, through skel's builder (test/support/server.js:
// builds cmd/gameserver once per process, or takes $ROOMCAST_GAMESERVER,
// which `make test` sets after building it once for all files).
import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { gameserverBinary } from "../support/server.js";

const run = promisify(execFile);

let chosen; // Promise<{bin, flags: Set<string>}>

async function flagsOf(bin) {
  // --help prints the flag list to stderr and exits 0 (flag.ErrHelp).
  const r = await run(bin, ["--help"]).catch((e) => e);
  const text = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  return new Set([...text.matchAll(/^\s+-([\w-]+)/gm)].map((m) => m[1]));
}

/** The binary to run and the flags it knows. */
export function arenaBinary() {
  chosen ??= (async () => {
    const bin = await gameserverBinary();
    const flags = await flagsOf(bin);
    if (!flags.has("arena-mode")) throw new Error(`${bin} does not serve the arena (no --arena-mode flag): is cmd/gameserver gameserver.Main?`);
    return { bin, flags };
  })();
  return chosen;
}

/**
 * Starts the server. opts: reconnectGrace ("1s"; used only if the server
 * has --reconnect-grace), args (more flags). Resolves to
 * {url, flags, stop(), stderr()}.
 */
export async function startArena({ args = [], reconnectGrace, timeoutMs = 20_000 } = {}) {
  const { bin, flags } = await arenaBinary();
  const all = ["--addr", "127.0.0.1:0", "--demo", "arena", "--drain-grace", "2s", ...args];
  if (reconnectGrace && flags.has("reconnect-grace")) all.push("--reconnect-grace", reconnectGrace);
  const proc = spawn(bin, all, { stdio: ["ignore", "pipe", "pipe"] });
  let errText = "";
  proc.stderr.setEncoding("utf8");
  proc.stderr.on("data", (d) => {
    errText += d;
    if (errText.length > 1 << 20) errText = errText.slice(-(1 << 19));
  });
  const exited = new Promise((res) => proc.once("exit", (code, signal) => res({ code, signal })));
  const url = await new Promise((res, rej) => {
    let out = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      rej(new Error(`game server did not print its listening line in ${timeoutMs} ms; stderr:\n${errText}`));
    }, timeoutMs);
    proc.stdout.setEncoding("utf8");
    proc.stdout.on("data", (d) => {
      out += d;
      const m = /^listening on (http:\/\/\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      rej(new Error(`game server exited (code ${code}, signal ${signal}) before listening; stderr:\n${errText}`));
    });
  });
  let stopping;
  return {
    url,
    flags,
    graceMs: reconnectGrace && flags.has("reconnect-grace") ? parseDuration(reconnectGrace) : 20_000,
    stderr: () => errText,
    stop() {
      stopping ??= (async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) return exited;
        proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
        const st = await exited;
        clearTimeout(timer);
        return st;
      })();
      return stopping;
    },
  };
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
