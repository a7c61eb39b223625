// Socket.IO 4.8 server running arena v1 (lib/arena.js), for bench/sweep.
//
//   node bench/peers/socketio-server.js -addr 127.0.0.1:2567
//
// A plain Socket.IO game server written the way its documentation suggests:
// the msgpack parser (socket.io-msgpack-parser, the same wire as roomcast's
// msgpack parser and cmd/bots'), polling and WebSocket transports with
// Socket.IO's defaults. A client sends join({name}) with an ack
// (→ {slot, tick, players}), then input(seq, {dx, dy}) 20 times a second.
// Players are grouped in rooms of 8 by arrival; each room ticks 20 times a
// second (setInterval): it moves every player by its latest input and
// broadcasts the changes to the room once, encoded once for all its
// sockets (io.to(room).emit):
//
//   state(tick, [[slot, x, y, ack], …])   players that moved or sent input
//   joined([slot, x, y, ack, hp, score, name])   left(slot)
//
// ack is the seq of the player's last input (acked on receipt, as arena v1);
// each client reads its own from its slot's entry. Prints "listening on
// http://HOST:PORT" once listening; GET /benchstats serves the tick loop's
// lateness and duration (lib/serverstats.js).
import http from 'node:http';
import { Server } from 'socket.io';
import msgpackParser from 'socket.io-msgpack-parser';
import { ROOM_SIZE, TICK_MS, move, snapAxis, spawn } from './lib/arena.js';
import { TickStats, listenAddr } from './lib/serverstats.js';

const stats = new TickStats();

class Room {
  constructor(io, id) {
    this.io = io;
    this.name = 'arena-' + id;
    this.slots = new Array(ROOM_SIZE).fill(null);
    this.size = 0;
    this.tick = 0;
    this.timer = setInterval(stats.timed(() => this.step()), TICK_MS);
    stats.rooms++;
  }

  full() { return this.size === ROOM_SIZE; }

  add(socket, name) {
    const slot = this.slots.indexOf(null);
    const p = { slot, name, x: 0, y: 0, hp: 0, score: 0, dx: 0, dy: 0, ack: 0, dirty: true };
    spawn(p);
    this.slots[slot] = p;
    this.size++;
    socket.join(this.name);
    socket.to(this.name).emit('joined', record(p));
    return p;
  }

  remove(p) {
    this.slots[p.slot] = null;
    this.size--;
    this.io.to(this.name).emit('left', p.slot);
    if (this.size === 0) {
      clearInterval(this.timer);
      stats.rooms--;
    }
  }

  snapshot() {
    return this.slots.filter(Boolean).map(record);
  }

  step() {
    this.tick++;
    const changes = [];
    for (const p of this.slots) {
      if (p === null) continue;
      if (move(p, p.dx, p.dy) || p.dirty) {
        changes.push([p.slot, p.x, p.y, p.ack]);
        p.dirty = false;
      }
    }
    if (changes.length > 0) this.io.to(this.name).emit('state', this.tick, changes);
  }
}

function record(p) {
  return [p.slot, p.x, p.y, p.ack, p.hp, p.score, p.name];
}

function cleanName(n) {
  return typeof n === 'string' && n.trim() !== '' ? n.trim().slice(0, 16) : 'player';
}

function main() {
  let addr;
  try {
    addr = listenAddr(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`socketio-server: ${err.message}\n`);
    process.exit(2);
  }
  const httpServer = http.createServer((req, res) => {
    if (req.url === '/benchstats') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(stats.json());
      return;
    }
    res.writeHead(404);
    res.end();
  });
  const io = new Server(httpServer, { parser: msgpackParser, serveClient: false });
  let filling = null;
  let rooms = 0;
  io.on('connection', (socket) => {
    let room = null, player = null;
    socket.on('join', (opts, reply) => {
      if (player !== null || typeof reply !== 'function') return;
      if (filling === null || filling.full()) filling = new Room(io, ++rooms);
      room = filling;
      player = room.add(socket, cleanName(opts?.name));
      reply({ slot: player.slot, tick: room.tick, players: room.snapshot() });
    });
    socket.on('input', (seq, move) => {
      if (player === null || typeof seq !== 'number') return;
      player.dx = snapAxis(move?.dx);
      player.dy = snapAxis(move?.dy);
      player.ack = seq;
      player.dirty = true;
    });
    socket.on('disconnect', () => {
      if (player !== null) room.remove(player);
      if (room === filling && room.size === 0) filling = null;
      player = null;
    });
  });
  httpServer.listen(addr.port, addr.host, () => {
    const a = httpServer.address();
    console.log(`listening on http://${a.address}:${a.port}`);
  });
  const stop = () => { io.close(); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
