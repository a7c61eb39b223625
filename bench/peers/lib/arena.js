// Arena v1, the benchmark's game (roomcast's PROTOCOL.md, "The arena game",
// bench mode): rooms of 8, 20 ticks a second; a player is {x, y float32,
// hp uint8, score uint16, name}; each tick every player moves by its latest
// input at 100 units/s (a diagonal normalised to the same speed), clamped
// to the 1000 × 1000 field. Both peer servers use these rules.

export const TICK_RATE = 20;
export const TICK_MS = 1000 / TICK_RATE;
export const ROOM_SIZE = 8;
export const SPEED = 100;
export const SIZE = 1000;
export const MAX_HP = 100;
export const PLAYER_RADIUS = 16;
const DT = 1 / TICK_RATE;
const DIAGONAL = Math.SQRT2 / 2;

/** snapAxis snaps one input axis to -1, 0 or 1 (>= 0.5 → 1, <= -0.5 → -1); anything but a number is 0. */
export function snapAxis(v) {
  if (typeof v !== 'number') return 0;
  if (v >= 0.5) return 1;
  if (v <= -0.5) return -1;
  return 0;
}

/** spawn places p at a random spot at least a player's radius from the walls, with full hp. */
export function spawn(p) {
  p.x = Math.fround(PLAYER_RADIUS + Math.random() * (SIZE - 2 * PLAYER_RADIUS));
  p.y = Math.fround(PLAYER_RADIUS + Math.random() * (SIZE - 2 * PLAYER_RADIUS));
  p.hp = MAX_HP;
  p.score = 0;
}

const clamp = (v) => (v < 0 ? 0 : v > SIZE ? SIZE : v);

/**
 * move moves p one tick in direction (dx, dy), each -1, 0 or 1. It returns
 * whether the position changed. Positions are kept as float32 values.
 */
export function move(p, dx, dy) {
  if (dx === 0 && dy === 0) return false;
  let mx = dx, my = dy;
  if (dx !== 0 && dy !== 0) { mx *= DIAGONAL; my *= DIAGONAL; }
  const x = Math.fround(clamp(p.x + mx * SPEED * DT));
  const y = Math.fround(clamp(p.y + my * SPEED * DT));
  const changed = x !== p.x || y !== p.y;
  p.x = x;
  p.y = y;
  return changed;
}

/** botName is the name bot id joins with (8 characters, as cmd/bots). */
export function botName(id) {
  return 'bot' + String(id % 100000).padStart(5, '0');
}

/**
 * Bot is arena v1's client behaviour, as cmd/bots' arena scenario: it moves in
 * one of eight directions, sends input {dx, dy} 20 times a second and turns
 * about once a second (a chance of 1/20 at each input).
 */
export class BotDirection {
  constructor(inputRate = 20) {
    this.turnP = 1 / inputRate;
    this.turn();
  }

  turn() {
    const a = Math.floor(Math.random() * 8) * Math.PI / 4;
    // exact 0/±1 where they should be, so payloads stay small
    this.dx = Math.round(Math.cos(a) * 1e6) / 1e6;
    this.dy = Math.round(Math.sin(a) * 1e6) / 1e6;
  }

  /** next returns whether the bot turned; dx and dy hold the input to send. */
  next() {
    if (Math.random() < this.turnP) { this.turn(); return true; }
    return false;
  }
}
