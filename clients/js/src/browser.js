// Entry point of the browser bundle (web/roomcast.bundle.js, built by
// `npm run build`): the client and the arena's and bigworld's client-side
// rules.
export * from "./roomcast.js";
export * from "./arena.js";
export * from "./bigworld.js";
