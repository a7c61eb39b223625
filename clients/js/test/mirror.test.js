// The JS mirror against the Go reference mirror on recorded frames
// (test/testdata/mirror-frames.json, written by clients/js/mirror_record_test.go
// with `go test ./clients/js -run TestMirrorFrames -update`), plus the
// worked examples of PROTOCOL.md (State replication).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { Mirror, MirrorError } from "../src/mirror.js";
import { decode } from "../src/msgpack.js";
import { canonical } from "./helpers/canonical.js";

const load = (name) => JSON.parse(readFileSync(new URL(`./testdata/${name}`, import.meta.url), "utf8")).frames;
const frames = load("mirror-frames.json");

for (const name of ["mirror-frames.json", "arena-frames.json"]) {
  test(`JS mirror rebuilds the same state as the Go mirror on recorded frames (${name})`, () => replay(load(name)));
}

function replay(frames) {
  assert.ok(frames.length >= 100, `only ${frames.length} frames`);
  const m = new Mirror();
  let compared = 0;
  let refused = 0;
  for (const [i, f] of frames.entries()) {
    const bytes = Buffer.from(f.state, "base64");
    const apply = () => (f.kind === "snapshot" ? m.applySnapshot(bytes) : m.applyDelta(bytes));
    if (f.error) {
      const before = JSON.stringify(canonical(m.value()));
      assert.throws(apply, (err) => err instanceof MirrorError && err.code === f.error, `frame ${i}: want ${f.error}`);
      assert.equal(JSON.stringify(canonical(m.value())), before, `frame ${i}: refused delta changed the state`);
      refused++;
      continue;
    }
    apply();
    assert.equal(m.tick, f.tick, `frame ${i}: tick`);
    assert.equal(m.checksum(), f.checksum, `frame ${i}: checksum`);
    if (f.value !== undefined) {
      assert.deepStrictEqual(canonical(m.value()), f.value, `frame ${i} (${f.kind} at tick ${f.tick})`);
      compared++;
    }
  }
  assert.ok(compared > 50, `compared ${compared}`);
  return { compared, refused };
}

test("the recorded frames include refused deltas", () => {
  assert.ok(replay(frames).refused > 0);
});

test("canonical encoding and checksum agree with sync/testdata/traffic (recorded by package sync)", () => {
  const dir = new URL("../../../sync/testdata/traffic/", import.meta.url);
  const files = readdirSync(dir).filter((n) => n.endsWith(".json"));
  assert.ok(files.length > 0, "no traffic files in sync/testdata/traffic");
  let n = 0;
  for (const name of files) {
    const { frames: fs } = JSON.parse(readFileSync(new URL(name, dir), "utf8"));
    const m = new Mirror();
    for (const [i, f] of fs.entries()) {
      const b = Buffer.from(f.hex, "hex");
      if (f.kind === "snapshot") m.applySnapshot(b);
      else m.applyDelta(b);
      assert.equal(m.tick, f.tick, `${name} frame ${i}: tick`);
      if (f.canonical !== undefined) assert.equal(Buffer.from(m.canonical()).toString("hex"), f.canonical, `${name} frame ${i}: canonical`);
      if (f.checksum !== undefined) assert.equal(m.checksum(), f.checksum, `${name} frame ${i}: checksum`);
      n++;
    }
  }
  assert.ok(n > 20, `${n} frames`);
});

test("change callbacks describe the recorded frames exactly", () => {
  // Rebuild the entity table from add/remove events alone and compare
  // with the mirror's after every frame.
  const m = new Mirror();
  const live = new Map();
  let changes = 0;
  m.on("add", (e) => {
    assert.ok(!live.has(e.$ref), `add of live ref ${e.$ref}`);
    live.set(e.$ref, e);
  });
  m.on("remove", (e) => {
    assert.equal(live.get(e.$ref), e, `remove of unknown ref ${e.$ref}`);
    live.delete(e.$ref);
  });
  m.on("change", (e, fields) => {
    assert.equal(live.get(e.$ref), e, "change of a dead entity");
    assert.ok(fields.length > 0);
    changes++;
  });
  for (const f of frames) {
    if (f.error) continue;
    const bytes = Buffer.from(f.state, "base64");
    if (f.kind === "snapshot") m.applySnapshot(bytes);
    else m.applyDelta(bytes);
    assert.deepEqual([...live.keys()].sort(), [...m.entities.keys()].sort());
    for (const [ref, e] of live) assert.equal(m.entity(ref), e);
  }
  assert.ok(changes > 100);
});

const hex = (s) => Buffer.from(s.replace(/#.*$/gm, "").replace(/\s+/g, ""), "hex");

test("PROTOCOL.md (State replication) worked example", () => {
  const snap = hex(`93 07 92
    92 a4 47616d65 94
      92 a5 726f756e64 a3 753136
      94 a7 706c6179657273 a3 6d6170 a3 737472 01
      93 a6 73636f726573 a3 617272 a3 753136
      95 a2 7178 a1 71 cb 0000000000000000 cb 4090000000000000 cb 3fa0000000000000
    92 a6 506c61796572 94
      92 a1 78 a3 663332
      92 a1 79 a3 663332
      92 a2 6870 a2 7538
      92 a4 6e616d65 a3 737472
    95 00 01 81 a1 61 95 01 ca 3fc00000 ca c0000000 64 a3 416e6e 90 00`);
  const m = new Mirror();
  const seen = [];
  m.on("add", (e) => seen.push(`add ${e.$type} ${e.$ref}`));
  m.on("remove", (e) => seen.push(`remove ${e.$type} ${e.$ref}`));
  m.on("change", (e, f) => seen.push(`change ${e.$ref} ${f.join(",")}`));
  m.applySnapshot(snap);
  assert.equal(m.tick, 7);
  assert.deepEqual(m.value(), { round: 1, players: { a: { x: 1.5, y: -2, hp: 100, name: "Ann" } }, scores: [], qx: 0 });
  m.applyDelta(hex("95 08 08 ff 01 ca 40000000"));
  assert.equal(m.state?.players, undefined); // (no such property: the root is m.root)
  assert.equal(m.root.players.get("a").x, 2);
  m.applyDelta(hex("99 0a 02 ff 00 02 fc 01 5a 94 00 01 a1 62 95 02 ca 41200000 ca 41a00000 64 a2 426f"));
  // The tick-8 delta again is out of order and changes nothing.
  assert.throws(() => m.applyDelta(hex("95 08 08 ff 01 ca 40000000")), { code: "out_of_order" });
  m.applyDelta(hex("97 0b 01 f8 00 cd 4008 94 00 01 a1 61 c0 96 00 02 00 00 05 cd 012c"));
  assert.equal(m.tick, 11);
  assert.deepEqual(m.value(), { round: 2, players: { b: { x: 10, y: 20, hp: 100, name: "Bo" } }, scores: [5, 300], qx: 512.25 });
  assert.deepEqual(seen, [
    "add Game 0",
    "add Player 1",
    "change 1 x",
    "add Player 2",
    "change 0 round,players",
    "change 1 hp",
    "remove Player 1",
    "change 0 qx,players,scores",
  ]);
  // Empty (ack-only) deltas are ignored; so is [tick, gap] with no tokens, which moves the tick.
  m.applyDelta(new Uint8Array(0));
  m.applyDelta(hex("92 0c 01"));
  assert.equal(m.tick, 12);
});

test("malformed frames are refused and never throw anything but MirrorError", () => {
  const m = new Mirror();
  assert.throws(() => m.applyDelta(hex("92 01 01")), { code: "no_snapshot" });
  for (const b of ["", "c1", "93", "93 07 90 90", "93 07 91 92 a1 61 90 91 00 00", "dc ffff", "93 07 91 92 a1 41 91 92 a1 78 a2 7538 92 00 cd 0100"]) {
    assert.throws(() => m.applySnapshot(hex(b)), MirrorError, b);
  }
  // A delta against a valid snapshot with a bad patch leaves the mirror invalid.
  m.applySnapshot(hex("93 07 91 92 a1 41 91 92 a1 78 a2 7538 92 00 05"));
  assert.deepEqual(m.value(), { x: 5 });
  assert.throws(() => m.applyDelta(hex("94 08 01 ff 09")), { code: "malformed" });
  assert.equal(m.valid, false);
  // Random garbage: only MirrorErrors.
  let s = 1;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
  for (let i = 0; i < 2000; i++) {
    const b = Uint8Array.from({ length: 1 + (rnd() % 40) }, rnd);
    for (const f of [() => new Mirror().applySnapshot(b), () => m.applyDelta(b)]) {
      try {
        f();
      } catch (err) {
        assert.ok(err instanceof MirrorError, `${Buffer.from(b).toString("hex")}: ${err}`);
      }
    }
  }
  // Recorded frames with bytes flipped: only MirrorErrors.
  for (const f of frames.slice(0, 60)) {
    const b = Buffer.from(f.state, "base64");
    for (let k = 0; k < 8; k++) {
      const c = Buffer.from(b);
      c[rnd() % c.length] ^= 1 << (rnd() % 8);
      try {
        const mm = new Mirror();
        mm.applySnapshot(Buffer.from(frames[0].state, "base64"));
        if (f.kind === "snapshot") mm.applySnapshot(c);
        else mm.applyDelta(c);
      } catch (err) {
        assert.ok(err instanceof MirrorError, String(err));
      }
    }
  }
});

test("msgpack decoder: 64-bit integers stay exact, maps keep key types", () => {
  assert.equal(decode(hex("cf ffffffffffffffff")), 18446744073709551615n);
  assert.equal(decode(hex("d3 8000000000000000")), -9223372036854775808n);
  assert.equal(decode(hex("cf 0000000000000005")), 5);
  const mp = decode(hex("82 01 a1 61 a1 62 02"));
  assert.equal(mp.get(1), "a");
  assert.equal(mp.get("b"), 2);
  assert.throws(() => decode(hex("91")), { code: "malformed" });
  assert.throws(() => decode(hex("01 02")), { code: "malformed" });
  assert.throws(() => decode(hex("d4 01 00")), { code: "malformed" });
});
