// Starts internal/redirectstub's three stub nodes (Go, built once per
// process or taken from $ROOMCAST_REDIRECTSTUB), which speak the multi-node
// redirect contract of PROTOCOL.md without rooms or Redis. Resolves to
// { A, B, C, stats(), stopNode(name), stop() }: the nodes' base URLs (C's
// has the path prefix /n3, as behind a reverse proxy), what each node saw,
// a way to kill one node, and the end of the process.
import { spawn, execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
let built; // Promise<string>

function stubBinary() {
  if (process.env.ROOMCAST_REDIRECTSTUB) return Promise.resolve(process.env.ROOMCAST_REDIRECTSTUB);
  built ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "roomcast-redirectstub-"));
    process.once("exit", () => rm(dir, { recursive: true, force: true }));
    const bin = join(dir, "redirectstub");
    await promisify(execFile)("go", ["build", "-o", bin, "./internal/redirectstub/cmd/redirectstub"], { cwd: repoRoot, timeout: 300_000 });
    return bin;
  })();
  return built;
}

export async function startRedirectStub({ timeoutMs = 20_000 } = {}) {
  const proc = spawn(await stubBinary(), [], { stdio: ["pipe", "pipe", "pipe"] });
  let errText = "";
  proc.stderr.setEncoding("utf8");
  proc.stderr.on("data", (d) => (errText += d));
  const exited = new Promise((res) => proc.once("exit", (code, signal) => res({ code, signal })));
  const urls = await new Promise((res, rej) => {
    let out = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      rej(new Error(`redirectstub printed no URLs in ${timeoutMs} ms; stderr:\n${errText}`));
    }, timeoutMs);
    proc.stdout.setEncoding("utf8");
    proc.stdout.on("data", (d) => {
      out += d;
      const nl = out.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        res(JSON.parse(out.slice(0, nl)));
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      rej(new Error(`redirectstub exited (code ${code}, signal ${signal}); stderr:\n${errText}`));
    });
  });
  const call = async (method, query = "") => {
    const res = await fetch(urls.stats + query, { method });
    if (!res.ok) throw new Error(`redirectstub ${method} ${query}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    A: urls.A,
    B: urls.B,
    C: urls.C,
    /** {A, B, C}: each {url, conns: [{transport, parser, auth, open}], events, seats}. */
    stats: () => call("GET"),
    /** Kills node name: its connections end and its port refuses. */
    stopNode: (name) => call("POST", `?stop=${name}`),
    async stop() {
      proc.stdin.end();
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      const st = await exited;
      clearTimeout(timer);
      return st;
    },
  };
}
