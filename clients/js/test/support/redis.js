// Starts a real redis-server (Debian's, as internal/redistest does: $REDIS_SERVER,
// then /usr/bin/redis-server, then the first on PATH) on a free 127.0.0.1
// port with no persistence, for the cluster tests. `make test` installs it.
import { spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** Path of redis-server, or throws saying how to get it. */
export function redisServerBinary() {
  if (process.env.REDIS_SERVER) return process.env.REDIS_SERVER;
  const candidates = ["/usr/bin/redis-server", ...(process.env.PATH ?? "").split(delimiter).filter(Boolean).map((d) => join(d, "redis-server"))];
  for (const p of candidates) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  throw new Error("redis-server not found (make test installs Debian's redis-server; or set REDIS_SERVER)");
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves true when the server at port answers PING with +PONG. */
function ping(port) {
  return new Promise((resolve) => {
    const sock = createConnection({ host: "127.0.0.1", port });
    let got = "";
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(2000, () => done(false));
    sock.once("error", () => done(false));
    sock.once("connect", () => sock.write("PING\r\n"));
    sock.on("data", (d) => {
      got += d;
      if (got.includes("\r\n")) done(got.startsWith("+PONG"));
    });
  });
}

/**
 * Starts redis-server on a free port. Resolves to { url, port, stop(), log() }
 * once it answers PING (bounded by timeoutMs).
 */
export async function startRedis({ timeoutMs = 30_000 } = {}) {
  const bin = redisServerBinary();
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "roomcast-redis-"));
  const proc = spawn(
    bin,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--loglevel", "warning"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  const keep = (d) => {
    out += d;
    if (out.length > 1 << 16) out = out.slice(-(1 << 15));
  };
  proc.stdout.setEncoding("utf8").on("data", keep);
  proc.stderr.setEncoding("utf8").on("data", keep);
  const exited = new Promise((res) => proc.once("exit", (code, signal) => res({ code, signal })));
  let gone = false;
  exited.then(() => (gone = true));
  // Never outlive the test process (a test that times out skips its after hooks).
  const killOnExit = () => proc.kill("SIGKILL");
  process.once("exit", killOnExit);
  exited.then(() => process.off("exit", killOnExit));

  const deadline = Date.now() + timeoutMs;
  while (!(await ping(port))) {
    if (gone || Date.now() > deadline) {
      proc.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
      throw new Error(`redis-server on port ${port} did not start in ${timeoutMs} ms; output:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    log: () => out,
    /** Kills the server and removes its directory. */
    async stop() {
      if (!gone) proc.kill("SIGKILL");
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
