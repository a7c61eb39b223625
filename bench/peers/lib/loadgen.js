// Load generator harness shared by the peers' load generators: it runs N
// bots of one peer (a module exporting connectBot) spread over worker
// threads (one process, so the sweep reads its CPU and RSS from one PID),
// ramps them up, and measures a window the way cmd/bots and
// bench/bareclient do for bench/sweep:
//
//   {"event":"window_start"} … {"event":"window_end"} on stdout around the
//   measurement window (a warm-up after the last bot joined), then one JSON
//   line: connected, frames per client per second (mean and slowest),
//   bytes down per client per second (Engine.IO / WebSocket message
//   payloads, as cmd/bots counts them), input→ack latency p50/p99.
//
// A bot module exports
//   connectBot({url, id, transport, counters, index}) → Promise<{sendInput(), close()}>
// and counts into counters: frames[index]++, down += bytes, ack (an AckTracker's histogram).
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import os from 'node:os';
import { Histogram, quantileMs, sub } from './histogram.js';
import { botName } from './arena.js';

export { botName };

/** AckTracker keeps one bot's sent inputs and records input→ack latency into hist. */
export class AckTracker {
  constructor(hist) {
    this.hist = hist;
    this.seqs = new Float64Array(64);
    this.sent = new Float64Array(64);
    this.head = 0; // oldest pending
    this.count = 0;
  }

  /** sent notes input seq sent at time now (ms). */
  onSent(seq, now) {
    if (this.count === 64) { this.head = (this.head + 1) & 63; this.count--; } // forget the oldest
    const i = (this.head + this.count) & 63;
    this.seqs[i] = seq;
    this.sent[i] = now;
    this.count++;
  }

  /** onAck records the latency of every pending input with seq <= ack. */
  onAck(ack, now) {
    while (this.count > 0 && this.seqs[this.head] <= ack) {
      this.hist.record(now - this.sent[this.head]);
      this.head = (this.head + 1) & 63;
      this.count--;
    }
  }
}

function parseArgs(argv, defaults) {
  const o = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i].replace(/^--?/, '');
    const [k, inline] = a.split('=', 2);
    if (!(k in o)) throw new Error(`unknown flag -${k} (flags: ${Object.keys(o).map((f) => '-' + f).join(' ')})`);
    const v = inline ?? argv[++i];
    if (v === undefined) throw new Error(`flag -${k} needs a value`);
    o[k] = typeof o[k] === 'number' ? parseDuration(v, k) : v;
  }
  return o;
}

const UNIT_S = { h: 3600, m: 60, s: 1, ms: 1e-3, us: 1e-6, 'µs': 1e-6 };

// parseDuration reads a plain number or a Go duration ("5s", "500ms",
// "1m30s", as bench/sweep passes them) and returns seconds.
export function parseDuration(v, k) {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const re = /(\d+(?:\.\d+)?)(h|ms|us|µs|m|s)/gy;
  let total = 0, m, end = 0;
  while ((m = re.exec(v)) !== null) {
    total += Number(m[1]) * UNIT_S[m[2]];
    end = re.lastIndex;
  }
  if (end === 0 || end !== v.length) throw new Error(`flag -${k}: bad value ${JSON.stringify(v)}`);
  return total;
}

function checkLocal(url) {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host)) {
    throw new Error(`-url ${url}: loopback only`);
  }
}

/**
 * main runs the load generator (main thread): call it from a bot module's
 * entry point with that module's URL; the workers import the module for its
 * connectBot.
 */
export async function main(botModuleURL, name) {
  let o;
  try {
    o = parseArgs(process.argv.slice(2), {
      url: 'http://127.0.0.1:2567', clients: 800, ramp: 500, warmup: 5, duration: 30,
      transport: 'websocket', workers: os.availableParallelism(), rate: 20,
    });
    o.clients = Math.floor(o.clients);
    o.workers = Math.max(1, Math.min(Math.floor(o.workers), o.clients));
    checkLocal(o.url);
    if (!['websocket', 'polling'].includes(o.transport)) throw new Error(`-transport ${o.transport}: websocket or polling`);
  } catch (err) {
    process.stderr.write(`${name}: ${err.message}\n`);
    process.exit(2);
  }
  const rampS = o.clients / o.ramp;
  const hardLimit = setTimeout(() => {
    process.stderr.write(`${name}: hard time limit\n`);
    process.exit(1);
  }, (2 * rampS + o.warmup + o.duration + 60) * 1000);
  hardLimit.unref();

  const workers = [];
  for (let w = 0; w < o.workers; w++) {
    // bots w, w+W, w+2W, …: every worker ramps at ramp/W
    const ids = [];
    for (let id = w; id < o.clients; id += o.workers) ids.push(id);
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { botModuleURL, url: o.url, transport: o.transport, ids, ramp: o.ramp / o.workers, rate: o.rate },
    });
    worker.on('error', (err) => { process.stderr.write(`${name}: worker: ${err.stack}\n`); process.exit(1); });
    workers.push(worker);
  }
  const ask = (cmd) => Promise.all(workers.map((w) => new Promise((resolve) => {
    const onMsg = (m) => { if (m.reply === cmd) { w.off('message', onMsg); resolve(m); } };
    w.on('message', onMsg);
    w.postMessage({ cmd });
  })));
  const ramped = await ask('ramped'); // resolves once each worker's bots have all tried to join
  const errors = ramped.reduce((n, r) => n + r.errors, 0);
  process.stderr.write(`${name}: ${ramped.reduce((n, r) => n + r.joined, 0)} of ${o.clients} joined (${errors} failed)\n`);
  await sleep(o.warmup * 1000);
  const a = await ask('snap');
  const ta = performance.now();
  console.log('{"event":"window_start"}');
  await sleep(o.duration * 1000);
  const b = await ask('snap');
  const tb = performance.now();
  console.log('{"event":"window_end"}');
  const dt = (tb - ta) / 1000;

  let joined = 0, frames = 0, minRate = Infinity, down = 0, up = 0, inputs = 0;
  const ack = new Histogram();
  for (let w = 0; w < workers.length; w++) {
    const [wa, wb] = [a[w], b[w]];
    for (let i = 0; i < wb.frames.length; i++) {
      if (!wb.joined[i]) continue;
      joined++;
      const n = wb.frames[i] - wa.frames[i];
      frames += n;
      minRate = Math.min(minRate, n / dt);
    }
    down += wb.down - wa.down;
    up += wb.up - wa.up;
    inputs += wb.inputs - wa.inputs;
    ack.add(sub(wb.ack, wa.ack));
  }
  const r2 = (x) => Math.round(x * 100) / 100;
  const ackSnap = ack.snapshot();
  const res = {
    peer: name, transport: o.transport, clients: o.clients, connected: joined, joined, connect_errors: errors,
    window_s: r2(dt), workers: o.workers,
  };
  if (joined > 0) {
    Object.assign(res, {
      frames_per_client_s: r2(frames / dt / joined),
      frames_per_client_s_min: r2(minRate),
      down_bytes_per_client_s: Math.round(down / dt / joined),
      up_bytes_per_client_s: Math.round(up / dt / joined),
      inputs_per_client_s: r2(inputs / dt / joined),
      ack_p50_ms: quantileMs(ackSnap, 0.5),
      ack_p99_ms: quantileMs(ackSnap, 0.99),
      ack_max_ms: ackSnap.MaxUS / 1000,
      ack_samples: ackSnap.Total,
    });
  }
  console.log(JSON.stringify(res));
  await Promise.race([ask('stop'), sleep(3000)]);
  process.exit(0);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function runWorker() {
  const { botModuleURL, url, transport, ids, ramp, rate } = workerData;
  const { connectBot } = await import(botModuleURL);
  const counters = {
    frames: new Float64Array(ids.length),
    joined: new Uint8Array(ids.length),
    down: 0,
    up: 0,
    inputs: 0,
    ack: new Histogram(),
  };
  const bots = [];
  let errors = 0;
  let rampDone;
  const ramped = new Promise((resolve) => { rampDone = resolve; });

  // inputs: `rate` a second per bot, spread evenly over 5 ms slots from one timer
  const slotMs = 5;
  const slots = Math.max(1, Math.round(1000 / rate / slotMs));
  const bySlot = Array.from({ length: slots }, () => []);
  // a late timer catches up on the slots it missed (at most one period), so
  // a busy machine delays inputs rather than dropping them
  let k = 0;
  let nextDue = performance.now();
  const inputTimer = setInterval(() => {
    const now = performance.now();
    if (now - nextDue > 1000 / rate) nextDue = now - 1000 / rate;
    while (nextDue <= now) {
      const due = bySlot[k++ % slots];
      for (let i = 0; i < due.length; i++) due[i].sendInput();
      nextDue += slotMs;
    }
  }, slotMs);

  parentPort.on('message', async (m) => {
    if (m.cmd === 'ramped') {
      await ramped;
      parentPort.postMessage({ reply: 'ramped', joined: bots.length, errors });
    } else if (m.cmd === 'snap') {
      parentPort.postMessage({
        reply: 'snap', frames: Array.from(counters.frames), joined: Array.from(counters.joined),
        down: counters.down, up: counters.up, inputs: counters.inputs, ack: counters.ack.snapshot(),
      });
    } else if (m.cmd === 'stop') {
      clearInterval(inputTimer);
      for (const b of bots) { try { b.close(); } catch { /* already gone */ } }
      parentPort.postMessage({ reply: 'stop' });
      setTimeout(() => process.exit(0), 200);
    }
  });

  const start = performance.now();
  let inFlight = 0;
  const pending = [];
  for (let i = 0; i < ids.length; i++) {
    const wait = start + (i / ramp) * 1000 - performance.now();
    if (wait > 0) await sleep(wait);
    while (inFlight >= 256) await sleep(5); // handshakes in flight
    inFlight++;
    pending.push(connectBot({ url, id: ids[i], transport, counters, index: i }).then((bot) => {
      counters.joined[i] = 1;
      bots.push(bot);
      bySlot[i % slots].push(bot);
    }, (err) => {
      errors++;
      if (errors <= 3) process.stderr.write(`bot ${ids[i]}: ${err?.message ?? err}\n`);
    }).finally(() => { inFlight--; }));
  }
  await Promise.all(pending);
  rampDone();
}

if (!isMainThread && workerData?.botModuleURL) {
  runWorker();
}
