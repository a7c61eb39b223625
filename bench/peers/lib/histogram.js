// Histogram of durations in log-linear buckets, the same buckets as the Go
// swarm's bots.Histogram (16 per power of two, from 1 µs), so that quantiles
// from the peers' load generators and servers read exactly like roomcast's.
// Its snapshot is bots.HistogramSnapshot's JSON: {Counts, Total, SumUS, MaxUS}.

const SUB = 16; // sub-buckets per power of two
const SUB_BITS = 4;
export const BUCKETS = 32 * SUB;

/** bucketOf maps whole microseconds to a bucket index. */
export function bucketOf(us) {
  if (us < SUB) return us < 0 ? 0 : us;
  // floor(log2 us), also past 32 bits (clz32 sees 32 bits only)
  const exp = us < 2 ** 31 ? 31 - Math.clz32(us) : 31 + (31 - Math.clz32(Math.floor(us / 2 ** 31)));
  const sub = Math.floor(us / 2 ** (exp - SUB_BITS)) & (SUB - 1);
  const b = (exp - SUB_BITS + 1) * SUB + sub;
  return b >= BUCKETS ? BUCKETS - 1 : b;
}

/** bucketUpper is the largest value (µs) of bucket b. */
export function bucketUpper(b) {
  if (b < SUB) return b;
  const exp = Math.floor(b / SUB) + SUB_BITS - 1;
  const sub = b % SUB;
  return (SUB + sub + 1) * 2 ** (exp - SUB_BITS) - 1;
}

export class Histogram {
  constructor() {
    this.counts = new Float64Array(BUCKETS);
    this.total = 0;
    this.sumUS = 0;
    this.maxUS = 0;
  }

  /** record adds one duration given in milliseconds (fractions kept to 1 µs). */
  record(ms) {
    let us = Math.floor(ms * 1000);
    if (!(us >= 0)) us = 0; // negative or NaN
    if (us > 2 ** 40) us = 2 ** 40; // past the last bucket (about 68 minutes) anyway
    this.counts[bucketOf(us)]++;
    this.total++;
    this.sumUS += us;
    if (us > this.maxUS) this.maxUS = us;
  }

  /** add merges a snapshot (from another thread) into this histogram. */
  add(snap) {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += snap.Counts[i];
    this.total += snap.Total;
    this.sumUS += snap.SumUS;
    this.maxUS = Math.max(this.maxUS, snap.MaxUS);
  }

  snapshot() {
    return { Counts: Array.from(this.counts), Total: this.total, SumUS: this.sumUS, MaxUS: this.maxUS };
  }
}

/** sub returns the recordings between two snapshots of one histogram. */
export function sub(after, before) {
  return {
    Counts: after.Counts.map((n, i) => n - before.Counts[i]),
    Total: after.Total - before.Total,
    SumUS: after.SumUS - before.SumUS,
    MaxUS: after.MaxUS,
  };
}

/** quantileMs is the q-quantile of a snapshot in ms (a bucket's upper bound), as bots.HistogramSnapshot.Quantile. */
export function quantileMs(snap, q) {
  if (snap.Total === 0) return 0;
  const rank = Math.max(1, Math.floor(q * snap.Total + 0.5));
  let seen = 0;
  for (let b = 0; b < BUCKETS; b++) {
    seen += snap.Counts[b];
    if (seen >= rank) return bucketUpper(b) / 1000;
  }
  return snap.MaxUS / 1000;
}
