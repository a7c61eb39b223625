// Tests of the peer servers and load generators (not part of make test:
// `cd bench/peers && npm ci && npm test`). The end-to-end tests start each
// server on a free loopback port and run its load generator with 16 bots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { BUCKETS, Histogram, bucketOf, bucketUpper, quantileMs, sub } from '../lib/histogram.js';
import { BotDirection, move, snapAxis } from '../lib/arena.js';
import { AckTracker, parseDuration } from '../lib/loadgen.js';
import { listenAddr } from '../lib/serverstats.js';

const dir = fileURLToPath(new URL('..', import.meta.url));

test('histogram buckets are contiguous, as bots.Histogram', () => {
  for (let b = 0; b < BUCKETS - 1; b++) {
    assert.equal(bucketOf(bucketUpper(b)), b, `upper of ${b}`);
    assert.equal(bucketOf(bucketUpper(b) + 1), b + 1, `after ${b}`);
  }
  assert.equal(bucketUpper(16), 16);
  assert.equal(bucketUpper(32), 33); // 2 µs wide from 32 µs
  assert.equal(bucketOf(2 ** 40), BUCKETS - 1);
});

test('histogram quantiles and window differences', () => {
  const h = new Histogram();
  const before = h.snapshot();
  for (let i = 0; i < 98; i++) h.record(10);
  h.record(50);
  h.record(200);
  const w = sub(h.snapshot(), before);
  assert.equal(w.Total, 100);
  const p50 = quantileMs(w, 0.5), p99 = quantileMs(w, 0.99);
  assert.ok(p50 >= 10 && p50 < 10.7, `p50 ${p50}`); // within a bucket (~6 %)
  assert.ok(p99 >= 50 && p99 < 54, `p99 ${p99}`);
  assert.equal(quantileMs(sub(w, w), 0.99), 0);
});

test('arena v1 rules', () => {
  assert.deepEqual([0.9, 0.5, 0.49, -0.5, -2, 'x', undefined].map(snapAxis), [1, 1, 0, -1, -1, 0, 0]);
  const p = { x: 500, y: 500 };
  assert.equal(move(p, 1, 0), true);
  assert.deepEqual(p, { x: 505, y: 500 });
  move(p, 1, 1); // diagonal: 5 units in all
  assert.ok(Math.abs(Math.hypot(p.x - 505, p.y - 500) - 5) < 1e-4);
  const q = { x: 999, y: 0 };
  move(q, 1, -1);
  assert.equal(q.x, 1000);
  assert.equal(q.y, 0);
  assert.equal(move(q, 0, -1), false, 'against the wall: no change');
  assert.equal(move(q, 0, 0), false);
  const d = new BotDirection();
  assert.ok(Math.abs(Math.hypot(d.dx, d.dy) - 1) < 1e-5);
});

test('ack tracker records every input up to the ack', () => {
  const h = new Histogram();
  const a = new AckTracker(h);
  a.onSent(1, 0);
  a.onSent(2, 10);
  a.onSent(3, 20);
  a.onAck(2, 30); // 30 and 20 ms
  assert.equal(h.total, 2);
  assert.equal(h.sumUS, 50000);
  a.onAck(2, 40);
  assert.equal(h.total, 2, 'an ack seen before records nothing');
  a.onAck(3, 45);
  assert.equal(h.total, 3);
});

test('load generator flags take numbers and Go durations', () => {
  assert.equal(parseDuration('800', 'clients'), 800);
  assert.equal(parseDuration('1.5', 'ramp'), 1.5);
  assert.equal(parseDuration('5s', 'warmup'), 5);
  assert.equal(parseDuration('500ms', 'warmup'), 0.5);
  assert.equal(parseDuration('1m30s', 'duration'), 90);
  assert.equal(parseDuration('1h0m0s', 'duration'), 3600);
  assert.throws(() => parseDuration('5x', 'duration'), /bad value/);
  assert.throws(() => parseDuration('s', 'duration'), /bad value/);
  assert.throws(() => parseDuration('5s junk', 'duration'), /bad value/);
});

test('servers listen on loopback only', () => {
  assert.deepEqual(listenAddr(['-addr', '127.0.0.1:0']), { host: '127.0.0.1', port: 0 });
  assert.throws(() => listenAddr(['-addr', '0.0.0.0:2567']), /loopback/);
  assert.throws(() => listenAddr(['-port', '1']), /unknown argument/);
});

async function startServer(name) {
  const srv = spawn(process.execPath, [`${dir}/${name}-server.js`, '-addr', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  srv.stdout.setEncoding('utf8');
  while (!/listening on (\S+)\n/.test(out)) {
    const [chunk] = await Promise.race([once(srv.stdout, 'data'), once(srv, 'exit').then(() => { throw new Error(`${name} server exited`); })]);
    out += chunk;
  }
  return { srv, url: /listening on (\S+)\n/.exec(out)[1] };
}

async function runBots(name, url, transport) {
  const cli = spawn(process.execPath, [`${dir}/${name}-bots.js`, '-url', url, '-clients', '16', '-ramp', '100',
    '-warmup', '1s', '-duration', '2s', '-transport', transport], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  cli.stdout.setEncoding('utf8');
  cli.stdout.on('data', (d) => { out += d; });
  const [code] = await once(cli, 'exit');
  assert.equal(code, 0, out);
  const lines = out.trim().split('\n');
  assert.deepEqual(lines.slice(0, 2), ['{"event":"window_start"}', '{"event":"window_end"}']);
  return JSON.parse(lines[2]);
}

for (const [name, transport] of [['colyseus', 'websocket'], ['socketio', 'websocket'], ['socketio', 'polling']]) {
  test(`${name} over ${transport}: 16 bots join, get frames and acks`, { timeout: 120000 }, async () => {
    const { srv, url } = await startServer(name);
    try {
      const res = await runBots(name, url, transport);
      assert.equal(res.connected, 16);
      assert.ok(res.frames_per_client_s > 0 && res.frames_per_client_s_min > 0, JSON.stringify(res));
      assert.ok(res.ack_samples > 0 && res.ack_p50_ms > 0, JSON.stringify(res));
      assert.ok(res.down_bytes_per_client_s > 0, JSON.stringify(res));
      const stats = await (await fetch(`${url}/benchstats`)).json();
      assert.ok(stats.Ticks > 0 && stats.Lateness.Total > 0 && stats.Duration.Total > 0);
      assert.equal(stats.Lateness.Counts.length, BUCKETS);
    } finally {
      srv.kill('SIGKILL');
    }
  });
}
