// The npm package @roomcast/client (clients/js/package): `npm pack` builds
// and packs it; the tarball holds the ESM build, the types, the README and
// the manifest and nothing else; installed into a fresh project (npm
// install of the tarball, its dependencies from the npm cache or registry)
// it is imported by name and plays an arena room against the real
// gameserver; its hand-written types name exactly the module's exports
// and members, and a consumer type-checks against them with tsc --strict.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as runtime from "../src/roomcast.js";
import { startArena } from "./helpers/arena.js";

const run = promisify(execFile);
const jsDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const pkgDir = join(jsDir, "package");
const fixtures = join(jsDir, "test/fixtures/package-consumer");
const npm = process.env.NPM ?? "npm";

let work; // temporary folder: the tarball and the consumer project
let project;
let tarball;
let server;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "roomcast-pkg-"));
  const packed = await run(npm, ["pack", "--json", "--pack-destination", work], { cwd: pkgDir, timeout: 120_000 });
  const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("[")));
  tarball = { ...info, path: join(work, info.filename) };
  project = join(work, "app");
  await cp(fixtures, project, { recursive: true });
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "roomcast-pkg-consumer", private: true, type: "module" }));
  await run(npm, ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", tarball.path], { cwd: project, timeout: 300_000 });
  server = await startArena();
});

after(async () => {
  if (server) await server.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

test("the tarball holds the build, the types, the README and the manifest", async () => {
  const manifest = JSON.parse(await readFile(join(pkgDir, "package.json"), "utf8"));
  assert.equal(tarball.name, "@roomcast/client");
  assert.equal(tarball.version, manifest.version);
  assert.deepEqual(tarball.files.map((f) => f.path).sort(), ["README.md", "dist/roomcast.js", "package.json", "roomcast.d.ts"]);
  assert.deepEqual(Object.keys(manifest.dependencies).sort(), ["socket.io-client", "socket.io-msgpack-parser"]);
  // The dependencies are imported, not bundled in.
  const installed = join(project, "node_modules/@roomcast/client");
  const dist = await readFile(join(installed, "dist/roomcast.js"), "utf8");
  assert.match(dist, /from "socket\.io-client"/);
  assert.match(dist, /from "socket\.io-msgpack-parser"/);
  assert.ok(dist.length < 120_000, `dist/roomcast.js is ${dist.length} bytes: a dependency bundled in?`);
  const deps = await readdir(join(project, "node_modules"));
  for (const d of ["socket.io-client", "socket.io-msgpack-parser"]) assert.ok(deps.includes(d), `${d} installed as a dependency`);
  // No game's rules in the generic client.
  assert.doesNotMatch(dist, /arenaRoomOptions|applyInput|PLAYER_RADIUS/);
});

test("imported by package name, the client plays an arena room against the gameserver", { timeout: 120_000 }, async () => {
  const { stdout } = await run(process.execPath, ["play.mjs", server.url], { cwd: project, timeout: 90_000 });
  const got = JSON.parse(stdout.trim().split("\n").at(-1));
  assert.equal(got.roomClass, true);
  assert.ok(got.roomId && got.sessionId, "seated");
  assert.equal(got.start.name, "pkg");
  assert.equal(got.start.online, true);
  assert.equal(got.ackedSeq, 10);
  assert.ok((got.end.x - got.start.x) * got.dx > 20, `moved along x: ${JSON.stringify(got)}`);
  assert.equal(got.end.y, got.start.y);
  assert.ok(got.stats.snapshots >= 1 && got.stats.deltas >= 10, JSON.stringify(got.stats));
  assert.equal(got.stats.desyncs, 0);
  assert.deepEqual(got.left, { code: "left", reason: "left" });
  assert.equal(got.refused, "room_not_found");
});

test("the installed package resolves to the same exports as src/roomcast.js", async () => {
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", 'console.log(JSON.stringify(Object.keys(await import("@roomcast/client")).sort()))'], {
    cwd: project,
  });
  assert.deepEqual(JSON.parse(stdout), Object.keys(runtime).sort());
});

test("roomcast.d.ts declares exactly the module's exports and their members", async () => {
  const dts = await readFile(join(pkgDir, "roomcast.d.ts"), "utf8");
  const declared = [...dts.matchAll(/^export declare (?:class|function|const) (\w+)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(declared, Object.keys(runtime).sort());

  // Every public member of a runtime instance is declared, and every
  // declared member exists at runtime.
  const stub = { stallTimeout: 0, connected: false, socket: { emit() {}, io: {} }, request: async () => ({ ok: true }) };
  const client = new runtime.Client("http://127.0.0.1:9", { autoConnect: false, reconnection: false });
  const instances = {
    Client: client,
    Room: new runtime.Room(stub, {}),
    Lobby: new runtime.Lobby(stub, {}),
    Mirror: new runtime.Mirror(),
    RoomcastError: new runtime.RoomcastError("x", "y"),
    MirrorError: new runtime.MirrorError("malformed", "y"),
  };
  const emitterMembers = [...dts.matchAll(/^declare class Emitter[^{]*\{([\s\S]*?)^\}/gm)][0][1];
  try {
    for (const [name, obj] of Object.entries(instances)) {
      const body = new RegExp(`^export declare class ${name}\\b[^{]*\\{([\\s\\S]*?)^\\}`, "m").exec(dts)?.[1];
      assert.ok(body, `class ${name} declared`);
      const members = new Set(
        [...(body + (/extends Emitter</.test(dts.match(new RegExp(`class ${name}\\b.*`))[0]) ? emitterMembers : "")).matchAll(/^\s+(?:readonly\s+)?(\w+)\??[(<:]/gm)]
          .map((m) => m[1])
          .filter((m) => m !== "constructor"),
      );
      const actual = new Set();
      for (let p = obj; p && p !== Object.prototype && p !== Error.prototype; p = Object.getPrototypeOf(p)) {
        for (const k of Object.getOwnPropertyNames(p)) if (!k.startsWith("_") && k !== "constructor") actual.add(k);
      }
      const optional = new Set(["tick", "base", "stale"]); // MirrorError's out_of_order fields
      for (const m of members) assert.ok(actual.has(m) || (name === "MirrorError" && optional.has(m)), `${name}.${m} is declared but not at runtime`);
      for (const m of actual) assert.ok(members.has(m) || (obj instanceof Error && (m === "stack" || m === "message" || m === "name")), `${name}.${m} exists at runtime but is not declared`);
    }
  } finally {
    client.close();
  }
});

test("a TypeScript consumer type-checks against the installed types (tsc --strict)", { timeout: 120_000 }, async () => {
  await writeFile(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: "es2022", module: "nodenext", moduleResolution: "nodenext", lib: ["es2022", "dom"], skipLibCheck: false, types: [] },
      files: ["typecheck.ts"],
    }),
  );
  const tsc = join(jsDir, "node_modules/typescript/bin/tsc");
  const res = await run(process.execPath, [tsc, "-p", "."], { cwd: project, timeout: 100_000 }).catch((err) => err);
  assert.equal(res.code ?? 0, 0, `tsc failed:\n${res.stdout}${res.stderr}`);
});
