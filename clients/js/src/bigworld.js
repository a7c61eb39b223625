// Client-side rules of the bigworld example (examples/bigworld): the map's
// geometry, to draw it, and the move, to predict the own player. They must
// match the server's: the arena's input {dx, dy} (each axis snapped to
// {-1, 0, 1}, diagonals normalised) at 120 units/s on a 1024 × 1024 map,
// cut into 12 × 12 cells; a client receives the players in the 3 × 3 cells
// around its own.
import { moveInField } from "./arena.js";

export const BIGWORLD_SIZE = 1024;
export const BIGWORLD_SPEED = 120;
export const BIGWORLD_CELLS = 12;

/** Moves player by input {dx, dy} for dt seconds as the bigworld room does; mutates and returns it. */
export function bigworldApplyInput(player, input, dt) {
  return moveInField(player, input, dt, BIGWORLD_SIZE, BIGWORLD_SPEED);
}

/** Room options for a bigworld room: predict the own player, interpolate the others (as arenaRoomOptions). */
export const bigworldRoomOptions = Object.freeze({
  predict: {
    entity: (room) => room.state?.players?.get(room.sessionId) ?? null,
    apply: bigworldApplyInput,
  },
  interpolate: ["x", "y"],
});
