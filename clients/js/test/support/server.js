// Starts the Go game server (cmd/gameserver) for a test file: builds it once
// per process (or uses $ROOMCAST_GAMESERVER, which `make test` sets after
// building it once for all files), runs it on a free 127.0.0.1 port and
// parses its "listening on http://..." line.
import { spawn, execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
let built; // Promise<string>: path of the binary

/** Path of the gameserver binary, building it on first use. */
export function gameserverBinary() {
  if (process.env.ROOMCAST_GAMESERVER) return Promise.resolve(process.env.ROOMCAST_GAMESERVER);
  built ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "roomcast-gameserver-"));
    process.once("exit", () => rm(dir, { recursive: true, force: true }));
    const bin = join(dir, "gameserver");
    await promisify(execFile)("go", ["build", "-o", bin, "./cmd/gameserver"], { cwd: repoRoot, timeout: 300_000 });
    return bin;
  })();
  return built;
}

/**
 * Starts the server with extra flags. Resolves to
 * { url, pid, stop(), stderr() } once it listens.
 */
export async function startServer(args = [], { timeoutMs = 20_000 } = {}) {
  const bin = await gameserverBinary();
  const proc = spawn(bin, ["--addr", "127.0.0.1:0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
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
      rej(new Error(`gameserver did not print its listening line in ${timeoutMs} ms; stderr:\n${errText}`));
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
      rej(new Error(`gameserver exited (code ${code}, signal ${signal}) before listening; stderr:\n${errText}`));
    });
  });

  let stopping;
  return {
    url,
    pid: proc.pid,
    stderr: () => errText,
    /** SIGTERM, then SIGKILL after 10 s; resolves to the exit status. */
    stop() {
      stopping ??= (async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) return exited;
        proc.kill("SIGCONT"); // in case a test paused it
        proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
        const status = await exited;
        clearTimeout(timer);
        return status;
      })();
      return stopping;
    },
  };
}
