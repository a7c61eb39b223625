// Tick statistics of a peer server, measured inside its tick loop and served
// as JSON at /benchstats for bench/sweep: {Lateness, Duration} in the
// bots.HistogramSnapshot format (log-linear µs buckets), plus counters.
//
// Lateness is Started − Scheduled with the loop's own schedule. Both peers
// tick with setInterval (Colyseus's setSimulationInterval is one), which
// schedules each tick one interval after the previous one started; so a
// tick's lateness is the time since the previous tick started minus the
// interval (never below 0). A loop that falls behind this way also ticks
// less often, which the load generator sees as fewer frames per second.
import { Histogram } from './histogram.js';
import { TICK_MS } from './arena.js';

export class TickStats {
  constructor() {
    this.lateness = new Histogram();
    this.duration = new Histogram();
    this.ticks = 0;
    this.rooms = 0;
  }

  /**
   * timed wraps a room's tick function: the returned function records its
   * lateness and duration. One per room (it keeps the previous start).
   */
  timed(tick) {
    let prev = 0;
    return () => {
      const started = performance.now();
      if (prev !== 0) this.lateness.record(Math.max(0, started - prev - TICK_MS));
      prev = started;
      tick();
      this.ticks++;
      this.duration.record(performance.now() - started);
    };
  }

  json() {
    return JSON.stringify({
      Lateness: this.lateness.snapshot(),
      Duration: this.duration.snapshot(),
      Ticks: this.ticks,
      Rooms: { Live: this.rooms, FramesDropped: 0 },
    });
  }
}

/** flags reads -addr host:port (loopback only) from argv. */
export function listenAddr(argv, def = '127.0.0.1:2567') {
  let addr = def;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i].replace(/^--?/, '');
    if (a === 'addr') addr = argv[++i];
    else if (a.startsWith('addr=')) addr = a.slice(5);
    else throw new Error(`unknown argument ${argv[i]} (only -addr host:port)`);
  }
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i), port = Number(addr.slice(i + 1));
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host) || !(port >= 0 && port < 65536)) {
    throw new Error(`-addr ${addr}: a loopback host:port`);
  }
  return { host: host.replace(/^\[|\]$/g, ''), port };
}
