// Load generator for socketio-server.js: arena v1 bots on socket.io-client
// 4.8 with the msgpack parser (lib/loadgen.js runs them and reports).
//
//   node bench/peers/socketio-bots.js -url http://127.0.0.1:2567 -clients 800 -duration 15s [-transport polling]
import http from 'node:http';
import { isMainThread } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import msgpackParser from 'socket.io-msgpack-parser';
import { BotDirection, botName } from './lib/arena.js';
import { AckTracker, main } from './lib/loadgen.js';

const size = (d) => (typeof d === 'string' ? d.length : d.byteLength);

// Long-polling over kept-alive connections, as browsers and cmd/bots poll:
// engine.io-client in Node opens a new TCP connection per request unless
// given an agent. One agent per worker thread, as cmd/bots shares one pool.
const keepAlive = new http.Agent({ keepAlive: true });

export function connectBot({ url, id, transport, counters, index }) {
  return new Promise((resolve, reject) => {
    const socket = io(url, {
      transports: [transport], parser: msgpackParser, reconnection: false, forceNew: true, timeout: 60000,
      ...(transport === 'polling' ? { agent: keepAlive } : {}),
    });
    const acks = new AckTracker(counters.ack);
    const dir = new BotDirection();
    const input = { dx: dir.dx, dy: dir.dy };
    let slot = -1, seq = 0;
    socket.on('connect_error', (err) => reject(err));
    socket.on('connect', () => {
      // count what arrives on the Engine.IO transport: every packet, pings included
      const tr = socket.io.engine.transport;
      const onData = tr.onData;
      tr.onData = (d) => { counters.down += size(d); onData.call(tr, d); };
      socket.emit('join', { name: botName(id) }, (res) => {
        slot = res.slot;
        resolve({
          sendInput() {
            if (dir.next()) { input.dx = dir.dx; input.dy = dir.dy; }
            seq++;
            acks.onSent(seq, performance.now());
            socket.emit('input', seq, input);
            counters.inputs++;
          },
          close() { socket.close(); },
        });
      });
    });
    socket.on('state', (tick, changes) => {
      counters.frames[index]++;
      for (let i = 0; i < changes.length; i++) {
        if (changes[i][0] === slot) { acks.onAck(changes[i][3], performance.now()); break; }
      }
    });
  });
}

if (isMainThread && process.argv[1] === fileURLToPath(import.meta.url)) {
  main(import.meta.url, 'socketio-bots');
}
