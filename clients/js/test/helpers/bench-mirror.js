// Throughput of the JS mirror on the recorded arena traffic
// (test/testdata/arena-frames.json): how long a browser spends applying
// one state frame. Run: node test/helpers/bench-mirror.js [seconds]
import { readFileSync } from "node:fs";
import { Mirror } from "../../src/mirror.js";

const frames = JSON.parse(readFileSync(new URL("../testdata/arena-frames.json", import.meta.url), "utf8")).frames.map((f) => ({
  kind: f.kind,
  bytes: Buffer.from(f.state, "base64"),
}));
const seconds = Number(process.argv[2] ?? 3);

function run(listeners) {
  let n = 0;
  let deltas = 0;
  let bytes = 0;
  let ns = 0n;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const m = new Mirror();
    if (listeners) {
      m.on("add", () => n++);
      m.on("change", () => n++);
      m.on("remove", () => n++);
    }
    for (const f of frames) {
      if (f.kind === "snapshot") {
        m.applySnapshot(f.bytes);
        continue;
      }
      const t0 = process.hrtime.bigint();
      m.applyDelta(f.bytes);
      ns += process.hrtime.bigint() - t0;
      deltas++;
      bytes += f.bytes.length;
    }
  }
  return { deltas, avgBytes: bytes / deltas, usPerDelta: Number(ns) / 1000 / deltas, events: n };
}

run(false); // warm up
const plain = run(false);
const withEvents = run(true);
console.log(`node ${process.version}, ${frames.length} recorded arena frames (${frames.filter((f) => f.kind === "delta").length} deltas)`);
console.log(`applyDelta: ${plain.usPerDelta.toFixed(2)} µs per delta (avg ${plain.avgBytes.toFixed(1)} bytes), ${plain.deltas} deltas`);
console.log(`applyDelta with add/change/remove listeners: ${withEvents.usPerDelta.toFixed(2)} µs per delta`);
