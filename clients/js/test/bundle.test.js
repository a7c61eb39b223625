// The browser bundle web/roomcast.bundle.js is committed (the gameserver
// embeds it and must run without npm). This rebuilds it from src/ into a
// temporary folder and fails if the committed file differs: run
// `npm run build` in clients/js and commit web/roomcast.bundle.js.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBundle } from "../build.mjs";

test("committed browser bundle is built from the current sources", async () => {
  const dir = await mkdtemp(join(tmpdir(), "roomcast-bundle-"));
  try {
    const fresh = await readFile(await buildBundle(join(dir, "roomcast.bundle.js")));
    const committed = await readFile(new URL("../web/roomcast.bundle.js", import.meta.url));
    assert.ok(fresh.length > 10_000, `bundle only ${fresh.length} bytes`);
    assert.ok(
      fresh.equals(committed),
      `web/roomcast.bundle.js is stale (${committed.length} bytes committed, ${fresh.length} built): run \`npm run build\` in clients/js and commit it`,
    );
    // It is an ES module exporting the client API (what web/app.js imports).
    const text = fresh.toString("utf8");
    for (const name of ["connect", "arenaRoomOptions", "SIZE", "Mirror"]) assert.match(text, new RegExp(`\\b${name}\\b`), `export ${name}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
