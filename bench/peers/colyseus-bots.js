// Load generator for colyseus-server.js: arena v1 bots on Colyseus's own
// client (@colyseus/sdk 0.18): client.joinOrCreate("arena", {name}), inputs
// through room.input() (reliable), the state decoded by the SDK's Schema
// decoder as in any Colyseus client. lib/loadgen.js runs them and reports.
//
//   node bench/peers/colyseus-bots.js -url http://127.0.0.1:2567 -clients 800 -duration 15s
import { isMainThread } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { Client } from '@colyseus/sdk';
import { BotDirection, botName } from './lib/arena.js';
import { AckTracker, main } from './lib/loadgen.js';

export async function connectBot({ url, id, transport, counters, index }) {
  if (transport !== 'websocket') throw new Error('Colyseus: WebSocket only');
  const client = new Client(url);
  const room = await client.joinOrCreate('arena', { name: botName(id) });
  const acks = new AckTracker(counters.ack);
  const dir = new BotDirection();
  const input = room.input();
  input.data.dx = dir.dx;
  input.data.dy = dir.dy;
  // count what arrives on the WebSocket (message payloads, as cmd/bots counts them)
  room.connection.transport.ws.on('message', (d) => { counters.down += d.byteLength; });
  room.onStateChange(() => {
    counters.frames[index]++;
    acks.onAck(input.lastProcessed, performance.now());
  });
  return {
    sendInput() {
      if (dir.next()) { input.data.dx = dir.dx; input.data.dy = dir.dy; }
      const seq = input.send();
      if (seq > 0) {
        acks.onSent(seq, performance.now());
        counters.inputs++;
      }
    },
    close() { room.leave(); },
  };
}

if (isMainThread && process.argv[1] === fileURLToPath(import.meta.url)) {
  main(import.meta.url, 'colyseus-bots');
}
