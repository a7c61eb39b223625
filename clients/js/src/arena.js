// Client-side rules of the arena example (examples/arena): what a client
// needs to predict its own player. They must match the server's Sim:
// input {dx, dy} snapped to {-1, 0, 1}, 100 units/s, diagonals normalised,
// clamped to the 1000 × 1000 field.
//
// How the server applies inputs (play mode): each input joins the player's
// queue (at most 8, the oldest dropped when full); every tick takes ONE
// queued input, the oldest, and moves the player by it for the tick's dt;
// with an empty queue the last direction is kept. So each input is one
// tick of movement, however the transport batches them (a key tap, press
// and release in one long-polling request, moves one tick's distance).
// Bench mode (arena v1) moves by the latest input each tick.
//
// The arena acknowledges an input when it APPLIES it (rooms'
// ManualInputAck): the state frames' ack is the last input the state
// shows applied. So the prediction is the standard one: the authoritative
// position, then every unacknowledged input, one tick each
// (arenaRoomOptions; the Room re-applies the pending inputs).

export const SIZE = 1000;
export const SPEED = 100;
export const PLAYER_RADIUS = 16;
export const PICKUP_RADIUS = 10;
export const MAX_HP = 100;

/** Snaps an input axis to {-1, 0, 1} like the server (≥ 0.5 → 1, ≤ -0.5 → -1). */
export function axis(v) {
  v = Number(v) || 0;
  return v >= 0.5 ? 1 : v <= -0.5 ? -1 : 0;
}

/**
 * The position of a player entity as {x, y}: fields x and y (float32 or
 * quantized "q"), or a quantized pair field pos ("q2", [x, y]).
 */
export function position(p) {
  if (!p) return null;
  if (Array.isArray(p.pos)) return { x: p.pos[0], y: p.pos[1] };
  return { x: p.x, y: p.y };
}

/** Moves player (either layout, see position) by input {dx, dy} for dt seconds; mutates and returns it. */
export function applyInput(player, input, dt) {
  return moveInField(player, input, dt, SIZE, SPEED);
}

/**
 * Moves player by input {dx, dy} for dt seconds at speed units/s, clamped
 * to the size × size field (applyInput with another game's field and
 * speed); mutates and returns it.
 */
export function moveInField(player, input, dt, size, speed) {
  let dx = axis(input?.dx);
  let dy = axis(input?.dy);
  if (dx === 0 && dy === 0) return player;
  if (dx !== 0 && dy !== 0) {
    dx *= Math.SQRT2 / 2;
    dy *= Math.SQRT2 / 2;
  }
  const p = position(player);
  const x = Math.min(size, Math.max(0, p.x + dx * speed * dt));
  const y = Math.min(size, Math.max(0, p.y + dy * speed * dt));
  if (Array.isArray(player.pos)) player.pos = [x, y];
  else {
    player.x = x;
    player.y = y;
  }
  return player;
}

/**
 * Room options for Client.joinOrCreate & co: predict the own player of an
 * arena room (the Room re-applies each unacknowledged input for one tick on
 * top of the server's player).
 */
export const arenaRoomOptions = Object.freeze({
  predict: {
    entity: (room) => room.state?.players?.get(room.sessionId) ?? null,
    apply: applyInput,
  },
  interpolate: ["x", "y", "pos"],
});
