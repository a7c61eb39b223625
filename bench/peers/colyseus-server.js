// Colyseus 0.18 server running arena v1 (lib/arena.js), for bench/sweep.
//
//   node bench/peers/colyseus-server.js -addr 127.0.0.1:2567
//
// Written the way Colyseus's documentation suggests: room "arena" with
// maxClients 8 (joinOrCreate fills rooms of 8), a Schema state
// {players: map<sessionId, Player{x, y float32, hp uint8, score uint16,
// name string}>}, and Colyseus's own input channel (defineInput; the SDK's
// room.input()). The room ticks 20 times a second with
// setSimulationInterval: it drains each player's inputs, moves the player
// by the latest one, and sends the patch (broadcastPatch, once per tick;
// the automatic patch timer is off so that every tick makes exactly one
// frame). Colyseus encodes the patch once for the room and prefixes each
// client's copy with that client's input ack (the count of inputs the
// room consumed), so inputs are acked in the state as in arena v1.
//
// Prints "listening on http://HOST:PORT" once listening; GET /benchstats
// serves the tick loop's lateness and duration (lib/serverstats.js).
import { Server, Room } from '@colyseus/core';
import { WebSocketTransport } from '@colyseus/ws-transport';
import { schema, t } from '@colyseus/schema';
import { ROOM_SIZE, TICK_MS, move, snapAxis, spawn } from './lib/arena.js';
import { TickStats, listenAddr } from './lib/serverstats.js';

const Player = schema({
  x: t.float32(),
  y: t.float32(),
  hp: t.uint8(),
  score: t.uint16(),
  name: t.string(),
}, 'Player');

const ArenaState = schema({ players: t.map(Player) }, 'ArenaState');

// Input fields are "number" (Colyseus's self-describing number) because
// the bots send arena v1's unit vectors as roomcast's bots do (e.g. 0.707107).
const MoveInput = schema({ dx: t.number(), dy: t.number() }, 'MoveInput');

const stats = new TickStats();

class ArenaRoom extends Room {
  maxClients = ROOM_SIZE;
  state = new ArenaState();
  inputs = this.defineInput(MoveInput);
  dirs = new Map(); // sessionId → {dx, dy} of the latest input, snapped
  scratch = { x: 0, y: 0 };

  onCreate() {
    this.patchRate = null; // one patch per tick, sent by step()
    this.setSimulationInterval(stats.timed(() => this.step()), TICK_MS);
    stats.rooms++;
  }

  onJoin(client, options) {
    const p = new Player();
    spawn(p);
    p.name = typeof options?.name === 'string' && options.name.trim() !== '' ? options.name.trim().slice(0, 16) : 'player';
    this.state.players.set(client.sessionId, p);
    this.dirs.set(client.sessionId, { dx: 0, dy: 0 });
  }

  onLeave(client) {
    this.state.players.delete(client.sessionId);
    this.dirs.delete(client.sessionId);
  }

  onDispose() {
    stats.rooms--;
  }

  step() {
    for (const [sid, p] of this.state.players) {
      const dir = this.dirs.get(sid);
      const acc = this.inputs.get(sid);
      if (acc.drain().length > 0) { // consumes (acks) every input received since the last tick
        const latest = acc.latest;
        dir.dx = snapAxis(latest.dx);
        dir.dy = snapAxis(latest.dy);
      }
      // move a plain copy, then assign only what changed: an assignment is
      // what marks a Schema field changed
      const q = this.scratch;
      q.x = p.x;
      q.y = p.y;
      if (move(q, dir.dx, dir.dy)) {
        if (q.x !== p.x) p.x = q.x;
        if (q.y !== p.y) p.y = q.y;
      }
    }
    this.broadcastPatch();
  }
}

async function main() {
  let addr;
  try {
    addr = listenAddr(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`colyseus-server: ${err.message}\n`);
    process.exit(2);
  }
  const server = new Server({
    transport: new WebSocketTransport(),
    greet: false,
    express: (app) => {
      app.get('/benchstats', (req, res) => {
        res.type('application/json').send(stats.json());
      });
    },
  });
  server.define('arena', ArenaRoom);
  await server.listen(addr.port, addr.host);
  const a = server.transport.server.address();
  console.log(`listening on http://${a.address}:${a.port}`);
}

main().catch((err) => {
  process.stderr.write(`colyseus-server: ${err.stack ?? err}\n`);
  process.exit(1);
});
