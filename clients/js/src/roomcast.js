// roomcast JavaScript client: matchmaking, a mirrored room state, inputs
// with client-side prediction and reconciliation, interpolation of other
// entities, automatic seat resume after a dropped connection, and the
// lobby. Built on socket.io-client with socket.io-msgpack-parser; the game
// protocol is PROTOCOL.md (Game protocol), the state bytes PROTOCOL.md
// (State replication). Nothing here knows a particular game: a game's
// rules (e.g. the arena's prediction, src/arena.js) come in as roomOpts. How the server is built:
// ARCHITECTURE.md.
//
//   import { connect } from "@roomcast/client";
//   const client = await connect("http://127.0.0.1:2567");
//   const room = await client.joinOrCreate("arena", { name: "ada" });
//   room.on("state", () => draw(room.state));
//   room.send({ dx: 1, dy: 0 });

import { io } from "socket.io-client";
import msgpackParser from "socket.io-msgpack-parser";
import { Mirror, MirrorError, MirrorErrors, plain } from "./mirror.js";

export { Mirror, MirrorError, MirrorErrors, plain };

/** Error of a refused request; .code is the server's stable error code (e.g. "room_full"). */
export class RoomcastError extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.name = "RoomcastError";
    this.code = code;
  }
}

/** Tiny event emitter (works in browsers and Node without dependencies). */
class Emitter {
  constructor() {
    this._ev = new Map();
  }
  /** Adds a listener; returns a function removing it. */
  on(event, fn) {
    let l = this._ev.get(event);
    if (!l) this._ev.set(event, (l = []));
    l.push(fn);
    return () => this.off(event, fn);
  }
  off(event, fn) {
    const l = this._ev.get(event);
    const i = l ? l.indexOf(fn) : -1;
    if (i >= 0) l.splice(i, 1);
  }
  once(event, fn) {
    const off = this.on(event, (...a) => {
      off();
      fn(...a);
    });
    return off;
  }
  emit(event, ...args) {
    const l = this._ev.get(event);
    if (!l) return;
    for (const fn of [...l]) {
      try {
        fn(...args);
      } catch (err) {
        // A listener's bug must not break the client's bookkeeping.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }
}

function isLerpable(v) {
  return typeof v === "number" || (Array.isArray(v) && v.length === 2 && typeof v[0] === "number");
}

function lerp(p, c, a) {
  if (typeof p === "number" && typeof c === "number") return p + (c - p) * a;
  if (isLerpable(p) && isLerpable(c) && Array.isArray(p)) return [p[0] + (c[0] - p[0]) * a, p[1] + (c[1] - p[1]) * a];
  return c;
}

/** True for a frame checksum: 16 lowercase hex digits (FNV-1a 64, as Mirror.checksum()). */
const isChecksum = (v) => typeof v === "string" && /^[0-9a-f]{16}$/.test(v);

const now = () => (typeof performance !== "undefined" ? performance.now() : Date.now());

/** How many redirects one join or resume follows (PROTOCOL.md, "Several nodes: redirects"). */
const MAX_REDIRECTS = 3;

/**
 * After this many failed reconnection attempts to a node a redirect led
 * to, a seated client goes back to the URL it was given and resumes the
 * seat there: that node redirects to the seat's node, or says node_gone.
 */
const ATTEMPTS_BEFORE_ENTRY = 3;

/**
 * Connects to a roomcast server (Socket.IO at url + "/socket.io/", the
 * msgpack parser). Resolves once connected; rejects after opts.timeout ms
 * (default 10 s) with the last connection error. A path in url is a
 * prefix before the Socket.IO path (a reverse proxy's per-node prefix:
 * "https://play.example.com/n2" reaches /n2/socket.io/), not a namespace.
 *
 * opts: transports (e.g. ["polling"] to force long-polling; default
 * websocket with polling fallback as socket.io-client does), auth, query,
 * stallTimeout (ms an input may wait for its ack with no state frame at
 * all before the connection is considered dead and re-established; default
 * 2500, 0 = off),
 * reconnectionDelay / reconnectionDelayMax (ms, default 250 / 2000), and
 * any other socket.io-client option.
 */
export async function connect(url, opts = {}) {
  const client = new Client(url, opts);
  await client._connected(opts.timeout ?? 10_000);
  return client;
}

/**
 * Client is one connection to a server; it holds at most one room at a
 * time. A join or resume that the server redirects to another node moves
 * the Client to a new connection there (client.url says which node).
 */
export class Client extends Emitter {
  constructor(url, opts = {}) {
    super();
    const { stallTimeout = 2500, timeout, ...ioOpts } = opts;
    this.stallTimeout = stallTimeout;
    this._ioOpts = ioOpts;
    this._timeout = timeout ?? 10_000;
    this._entryUrl = url;
    /** The base URL of the node this client is connected to: url, or the last redirect's. */
    this.url = url;
    /** The current room (or null). */
    this.room = null;
    this._lobbies = new Set();
    this._everConnected = false;
    this.socket = this._open(url);
  }

  // _open makes a socket.io-client connection to the node at url with the
  // client's options, and its handlers. Each connection is its own
  // Manager (forceNew) with the msgpack parser (state frames are binary).
  _open(url) {
    let target = url;
    const opts = { reconnectionDelay: 250, reconnectionDelayMax: 2000, ...this._ioOpts, forceNew: true, parser: msgpackParser };
    const prefix = pathPrefix(url);
    if (prefix) {
      // socket.io-client reads a URL's path as the namespace: the path is
      // moved in front of the Socket.IO path instead.
      target = new URL(url).origin;
      opts.path = prefix + (this._ioOpts.path ?? "/socket.io");
    }
    const s = io(target, opts);
    this._attach(s, url);
    return s;
  }

  // _attach installs the handlers of socket s, which reaches url.
  // Connection events count only for the Client's current socket; state
  // frames and messages go to the room from any socket, because a
  // redirect's snapshot may arrive before the Client has moved to the new
  // socket (the ack and the snapshot can come in one long-polling payload).
  _attach(s, url) {
    const current = () => s === this.socket;
    s.on("connect", () => {
      if (!current()) return;
      const again = this._everConnected;
      this._everConnected = true;
      this.emit("connect", { reconnect: again });
      if (again) {
        if (this.room) this.room._resume();
        for (const l of this._lobbies) l._subscribe().catch(() => {});
      }
    });
    s.on("disconnect", (reason) => {
      if (!current()) return;
      this.emit("disconnect", reason);
      if (this.room) this.room._dropped(reason);
      for (const l of this._lobbies) l._lost();
    });
    s.on("connect_error", (err) => current() && this.emit("connect_error", err));
    if (url !== this._entryUrl) {
      s.io.on("reconnect_attempt", (attempt) => {
        if (current() && attempt > ATTEMPTS_BEFORE_ENTRY && this.room && !this.room.left) this._moveTo(this._open(this._entryUrl), this._entryUrl);
      });
    }
    s.on("snapshot", (state, ack, checksum) => this.room?._frame("snapshot", state, ack, checksum));
    s.on("delta", (state, ack, checksum) => this.room?._frame("delta", state, ack, checksum));
    s.on("msg", (type, payload, cb) => this.room?.emit("message", type, payload, cb));
    s.on("room.left", (info) => current() && this.room?._left(info ?? {}));
    s.on("lobby.rooms", (list) => {
      if (current()) for (const l of this._lobbies) l._all(list);
    });
    s.on("lobby.update", (listing) => {
      if (current()) for (const l of this._lobbies) l._update(listing);
    });
    s.on("lobby.remove", (id) => {
      if (current()) for (const l of this._lobbies) l._remove(id);
    });
  }

  // _moveTo makes s (connected to url, or connecting) the Client's socket
  // and closes the previous one. Lobby subscriptions do not move with a
  // connection: they are made again on s.
  _moveTo(s, url) {
    const old = this.socket;
    this.socket = s;
    this.url = url;
    old.disconnect();
    if (s.connected) for (const l of this._lobbies) l._subscribe().catch(() => {});
  }

  /** True while the socket is connected. */
  get connected() {
    return this.socket.connected;
  }

  /** The transport in use: "websocket" or "polling" (null when disconnected). */
  get transport() {
    return this.socket.io.engine?.transport?.name ?? null;
  }

  _connected(ms) {
    return socketConnected(this.socket, ms).catch((err) => {
      this.close();
      throw err;
    });
  }

  /**
   * Emits event with args and resolves with the ack's fields; a reply
   * {ok:false, error:{code,message}} rejects with a RoomcastError.
   */
  async request(event, ...args) {
    return replyOrThrow(event, await ask(this.socket, event, args));
  }

  // _seatRequest sends a join or resume and follows redirects (at most
  // MAX_REDIRECTS): a redirect with a claim is answered by
  // rooms.claim({claim}) on a new connection to its url, one without by
  // the same request there. Once seated on another node, that connection
  // becomes the Client's and the first one is closed; connections that
  // led nowhere are closed.
  async _seatRequest(event, args) {
    let s = this.socket;
    let url = this.url;
    const drop = () => s !== this.socket && s.disconnect();
    for (let hops = 0; ; hops++) {
      let reply;
      try {
        reply = await ask(s, event, args);
      } catch (err) {
        drop();
        throw err;
      }
      const rd = reply?.redirect;
      if (reply?.ok === true || reply?.error?.code !== "redirect" || typeof rd?.url !== "string") {
        try {
          replyOrThrow(event, reply);
        } catch (err) {
          drop();
          throw err;
        }
        if (s !== this.socket) this._moveTo(s, url);
        return reply;
      }
      if (hops === MAX_REDIRECTS) {
        drop();
        throw new RoomcastError("redirect_loop", `${event}: redirected ${hops + 1} times, the last to ${rd.url}`);
      }
      if (!isNodeUrl(rd.url)) {
        drop();
        throw new RoomcastError("bad_reply", `${event}: redirect to ${JSON.stringify(rd.url)}, not an http(s) or ws(s) URL`);
      }
      drop();
      s = this._open(rd.url);
      url = rd.url;
      try {
        await socketConnected(s, this._timeout);
      } catch (err) {
        drop();
        throw new RoomcastError("connect_failed", `${event}: redirect to ${rd.url}: ${err.message}`);
      }
      if (typeof rd.claim === "string" && rd.claim) {
        event = "rooms.claim";
        args = [{ claim: rd.claim }];
      }
    }
  }

  /** Joins a room of type name with a free seat, or creates one. Resolves to a Room. */
  joinOrCreate(name, options = {}, roomOpts = {}) {
    return this._join("rooms.joinOrCreate", [name, options], roomOpts);
  }

  /** Creates a new room of type name. */
  create(name, options = {}, roomOpts = {}) {
    return this._join("rooms.create", [name, options], roomOpts);
  }

  /** Joins an existing room of type name (room_not_found if none has a seat). */
  join(name, options = {}, roomOpts = {}) {
    return this._join("rooms.join", [name, options], roomOpts);
  }

  /** Joins the room with this id. */
  joinById(roomId, options = {}, roomOpts = {}) {
    return this._join("rooms.joinById", [roomId, options], roomOpts);
  }

  async _join(event, args, roomOpts) {
    if (this.room && !this.room.left) throw new RoomcastError("already_in_room", "leave the current room first");
    // The room must exist before the ack returns: the snapshot follows it
    // immediately on the same socket.
    const room = new Room(this, roomOpts);
    this.room = room;
    try {
      const reply = await this._seatRequest(event, args);
      room._seated(reply);
      return room;
    } catch (err) {
      if (this.room === room) this.room = null;
      throw err;
    }
  }

  /**
   * Lists rooms: query {name?, filter?, limit?}. Resolves to the first page
   * (at most limit rooms, default and most 100):
   * [{roomId, name, clients, maxClients, locked, metadata}]. listPage gives
   * the cursor of the next page.
   */
  async list(query = {}) {
    return (await this.listPage(query)).rooms;
  }

  /**
   * One page of rooms: query {name?, filter?, limit?, cursor?}. Resolves to
   * {rooms, next}: next (absent on the last page) is the cursor of the
   * following page, to pass back as query.cursor.
   */
  async listPage(query = {}) {
    const reply = await this.request("rooms.list", query);
    const page = { rooms: reply.rooms ?? [] };
    if (typeof reply.next === "string") page.next = reply.next;
    return page;
  }

  /**
   * Subscribes to the lobby (query {name?, filter?}). The Lobby's rooms
   * Map (roomId → listing) is kept live; it emits "change" (rooms) after
   * every update. Resubscribes by itself after a reconnect.
   */
  async lobby(query = {}) {
    const l = new Lobby(this, query);
    this._lobbies.add(l);
    try {
      await l._subscribe();
    } catch (err) {
      this._lobbies.delete(l);
      throw err;
    }
    return l;
  }

  /**
   * Closes the connection. The room, if any, is left locally with code
   * "closed"; the server holds its seat for the grace period (call
   * room.leave() first to free it at once).
   */
  close() {
    for (const l of this._lobbies) l._closed = true;
    this._lobbies.clear();
    this.room?._left({ code: "closed", reason: "client closed" });
    this.socket.disconnect();
  }
}

// ask emits event(...args) on socket s and resolves with the ack's first
// argument; it rejects with a RoomcastError "timeout" after 10 s.
function ask(s, event, args) {
  return new Promise((resolve, reject) => {
    s.timeout(10_000).emit(event, ...args, (err, reply) => {
      if (err) reject(new RoomcastError("timeout", `no reply to ${event}: ${err.message}`));
      else resolve(reply);
    });
  });
}

// replyOrThrow returns an {ok:true} reply and throws a RoomcastError for
// anything else.
function replyOrThrow(event, reply) {
  if (!reply || reply.ok !== true) {
    const e = reply?.error ?? {};
    throw new RoomcastError(e.code ?? "bad_reply", e.message ?? `bad reply to ${event}`);
  }
  return reply;
}

// socketConnected resolves once s is connected; it rejects after ms with
// the last connection error.
function socketConnected(s, ms) {
  if (s.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let lastErr;
    const onErr = (err) => (lastErr = err);
    const timer = setTimeout(() => {
      s.off("connect_error", onErr);
      reject(new Error(`roomcast: could not connect in ${ms} ms${lastErr ? ": " + lastErr.message : ""}`));
    }, ms);
    s.on("connect_error", onErr);
    s.once("connect", () => {
      clearTimeout(timer);
      s.off("connect_error", onErr);
      resolve();
    });
  });
}

// isNodeUrl reports whether url is an absolute http, https, ws or wss URL.
function isNodeUrl(url) {
  try {
    return ["http:", "https:", "ws:", "wss:"].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

// pathPrefix returns the path of a node's base URL without its trailing
// slash ("" for none, or for a URL it cannot parse, which socket.io-client
// then reads as before).
function pathPrefix(url) {
  try {
    return new URL(url).pathname.replace(/\/+$/, "");
  } catch {
    return "";
  }
}

/**
 * Lobby is a live list of rooms. While the connection is down the list is
 * unknown: rooms is emptied and live is false (a stopped server's rooms
 * must not stay joinable on screen); after the reconnect the lobby
 * resubscribes and the server's full list makes it live again.
 */
export class Lobby extends Emitter {
  constructor(client, query) {
    super();
    this.client = client;
    this.query = query;
    /** roomId → {roomId, name, clients, maxClients, locked, metadata} */
    this.rooms = new Map();
    /** True while rooms is the server's current list (false while disconnected). */
    this.live = false;
    this._closed = false;
  }

  _subscribe() {
    return this.client.request("lobby.subscribe", this.query);
  }

  _all(list) {
    this.rooms = new Map((list ?? []).map((r) => [r.roomId, r]));
    this.live = true;
    this.emit("change", this.rooms);
  }

  _lost() {
    this.live = false;
    this.rooms = new Map();
    this.emit("change", this.rooms);
  }

  _update(listing) {
    if (!listing?.roomId) return;
    this.rooms.set(listing.roomId, listing);
    this.emit("change", this.rooms);
  }

  _remove(id) {
    if (this.rooms.delete(id)) this.emit("change", this.rooms);
  }

  /** Stops the subscription. */
  async close() {
    this._closed = true;
    this.client._lobbies.delete(this);
    if (this.client._lobbies.size === 0 && this.client.connected) await this.client.request("lobby.unsubscribe");
  }
}

/**
 * Room is one seat in a room: its mirrored state, inputs, prediction,
 * interpolation and the connection status.
 *
 * roomOpts:
 *   predict: { entity(room) → the own entity in room.state (or null),
 *              apply(predicted, input, dt) mutating a copy of it }
 *   interpolate: field names to interpolate on other entities (default ["x", "y"])
 *   verifyChecksums: check the checksum a state frame may carry (default true)
 *
 * Events: "state" (kind, ack), "add"/"change"/"remove" (entity, ...) from
 * the mirror, "message" (type, payload, ackFn?), "drop" (reason),
 * "resume" (), "leave" ({code, reason}), "desync" ({expected, actual,
 * tick}), "error" (err).
 */
export class Room extends Emitter {
  constructor(client, opts = {}) {
    super();
    this.client = client;
    this.opts = opts;
    this.id = null;
    /** The base URL of the node the seat is on (client.url when seated). */
    this.url = null;
    this.sessionId = null;
    this.token = null;
    this.name = null;
    this.tickRate = 20;
    /** "joining" | "connected" | "resuming" | "left" */
    this.status = "joining";
    this.left = null; // {code, reason} once gone
    this.mirror = new Mirror(opts.limits);
    this.mirror.on("add", (e, info) => this.emit("add", e, info));
    this.mirror.on("change", (e, fields, info) => this.emit("change", e, fields, info));
    this.mirror.on("remove", (e, info) => {
      this._hist.delete(e);
      this.emit("remove", e, info);
    });
    /** The last input seq the server processed (from state frames). */
    this.ackedSeq = 0;
    this.seq = 0;
    this.pending = []; // [{seq, input, at}] not yet acked
    /** Smoothed input→ack round trip in ms (null until measured). */
    this.ping = null;
    /** The own entity as predicted (a plain copy), or null without opts.predict. */
    this.predicted = null;
    this.stats = { snapshots: 0, deltas: 0, resumes: 0, resyncs: 0, bytes: 0, verified: 0, desyncs: 0 };
    this._interp = opts.interpolate ?? ["x", "y"];
    this._hist = new Map(); // entity → {prev, cur} samples of interpolated fields
    this._needSnapshot = false;
    this._stallTimer = null;
    this._lastFrame = 0;
  }

  /** The mirrored state root (null before the first snapshot). */
  get state() {
    return this.mirror.root;
  }

  /** The server tick of the mirrored state. */
  get tick() {
    return this.mirror.tick;
  }

  /** Seconds per server tick. */
  get dt() {
    return 1 / (this.tickRate || 20);
  }

  _seated(reply) {
    this.url = this.client.url;
    this.id = reply.roomId;
    this.sessionId = reply.sessionId;
    this.token = reply.token;
    this.name = reply.name ?? this.name;
    if (reply.tickRate) this.tickRate = Number(reply.tickRate);
    this.status = "connected";
    this._lastFrame = now();
    this._armStallTimer();
    this._reconcile(); // the join snapshot arrived before the seat was known
  }

  // _frame applies one state frame: event(state, ack[, checksum]). The
  // optional checksum (16 lowercase hex digits) is the server's
  // statesync checksum of the state after this frame; a mirror that
  // disagrees has silently diverged and is rebuilt from a snapshot.
  _frame(kind, state, ack, checksum) {
    const t = now();
    this._lastFrame = t;
    const bytes = state instanceof ArrayBuffer || ArrayBuffer.isView(state) ? state : new Uint8Array(0);
    this.stats.bytes += bytes.byteLength;
    let applied = false;
    try {
      if (kind === "snapshot") {
        this.mirror.applySnapshot(bytes);
        this.stats.snapshots++;
        this._needSnapshot = false;
        applied = true;
      } else if (!this._needSnapshot) {
        this.mirror.applyDelta(bytes);
        this.stats.deltas++;
        applied = true;
      }
    } catch (err) {
      // A delta before the first snapshot, or an old duplicate: ignore it.
      if (err.code === MirrorErrors.noSnapshot && this.stats.snapshots === 0) return;
      if (err.code === MirrorErrors.outOfOrder && err.stale) return;
      // Lost sync (a missed delta or bad bytes).
      this.emit("error", err);
      this._resync();
      return;
    }
    if (applied && this.opts.verifyChecksums !== false && isChecksum(checksum)) {
      const actual = this.mirror.checksum();
      if (actual !== checksum) {
        this.stats.desyncs++;
        this.emit("desync", { expected: checksum, actual, tick: this.mirror.tick });
        this._resync();
        return;
      }
      this.stats.verified++;
    }
    const a = typeof ack === "bigint" ? Number(ack) : Number(ack ?? 0);
    if (a > this.ackedSeq) this.ackedSeq = a;
    while (this.pending.length && this.pending[0].seq <= this.ackedSeq) {
      const p = this.pending.shift();
      if (p.seq === this.ackedSeq) {
        const rtt = t - p.at;
        this.ping = this.ping === null ? rtt : this.ping * 0.8 + rtt * 0.2;
      }
    }
    this._sample(t);
    this._reconcile();
    this.emit("state", kind, this.ackedSeq);
  }

  // _resync throws the mirror's state away for a fresh snapshot. A
  // snapshot comes with a resume at tick 0, and a seat resumes only on a
  // new connection: drop the transport; socket.io-client reconnects and
  // the room resumes. Deltas until the snapshot are not applied.
  _resync() {
    this._needSnapshot = true;
    this.stats.resyncs++;
    if (this.client.connected) this.client.socket.io.engine?.close();
  }

  // _sample records the interpolated fields (numbers, or [x, y] pairs of
  // q2 fields) of every entity that has one of them.
  _sample(t) {
    if (!this._interp.length) return;
    for (const e of this.mirror.entities.values()) {
      if (!this._interp.some((f) => isLerpable(e[f]))) continue;
      const vals = this._interp.map((f) => e[f]);
      const h = this._hist.get(e);
      // New, or not sampled for a while (e.g. back from a drop): no
      // sliding from where it was long ago.
      if (!h || t - h.cur.t > 3000 / this.tickRate) this._hist.set(e, { prev: { t, vals }, cur: { t, vals } });
      else {
        h.prev = h.cur;
        h.cur = { t, vals };
      }
    }
  }

  /**
   * The interpolated fields of entity at time t (ms, performance.now()):
   * between its values at the two latest server frames, so it moves
   * smoothly one tick behind. Returns an object {field: value} (pairs of a
   * q2 field as [x, y]).
   */
  interpolated(entity, t = now()) {
    const h = this._hist.get(entity);
    const out = {};
    if (!h) {
      for (const f of this._interp) if (f in entity) out[f] = entity[f];
      return out;
    }
    const span = Math.max(1, h.cur.t - h.prev.t, 1000 / this.tickRate);
    const a = Math.min(1, Math.max(0, (t - h.cur.t) / span));
    this._interp.forEach((f, i) => {
      if (!(f in entity)) return;
      out[f] = lerp(h.prev.vals[i], h.cur.vals[i], a);
    });
    return out;
  }

  /** The own entity in the mirrored (authoritative) state, via opts.predict.entity. */
  get me() {
    return this.state && this.opts.predict ? this.opts.predict.entity(this) : null;
  }

  _reconcile() {
    const p = this.opts.predict;
    if (!p) return;
    const me = this.me;
    if (!me) {
      this.predicted = null;
      return;
    }
    const pred = plain(me);
    for (const q of this.pending) p.apply(pred, q.input, this.dt);
    this.predicted = pred;
  }

  /**
   * Sends an input (any msgpack-able value) with the next seq and applies
   * it to the prediction at once. Returns the seq, or 0 if the room is not
   * connected (inputs are not queued while the seat is being resumed).
   */
  send(input) {
    if (this.status !== "connected" || !this.client.connected) return 0;
    const seq = ++this.seq;
    this.pending.push({ seq, input, at: now() });
    if (this.pending.length > 256) this.pending.shift();
    this.client.socket.emit("input", seq, input);
    if (this.opts.predict && this.predicted) this.opts.predict.apply(this.predicted, input, this.dt);
    return seq;
  }

  /**
   * Sends a room message msg(type, payload) to the game and resolves with
   * the data of its reply ({ok:true, data}); a refusal rejects with a
   * RoomcastError (e.g. message_refused).
   */
  async message(type, payload) {
    const reply = await this.client.request("msg", type, payload);
    return reply.data;
  }

  /**
   * Measures one round trip of msg("ping") in ms and folds it into
   * room.ping. Works with games that answer a "ping" message (the arena
   * does); others refuse it (message_refused).
   */
  async measurePing() {
    const t0 = now();
    await this.message("ping", 0);
    const rtt = now() - t0;
    this.ping = this.ping === null ? rtt : this.ping * 0.7 + rtt * 0.3;
    return rtt;
  }

  /** Leaves the room at once (the seat is freed, no grace). */
  async leave() {
    if (this.left) return;
    try {
      if (this.client.connected && this.status === "connected") await this.client.request("rooms.leave");
    } finally {
      this._left({ code: "left", reason: "left" });
    }
  }

  _dropped(reason) {
    if (this.left || this.status === "joining") return;
    this.status = "resuming";
    this._stopStallTimer();
    this.pending = [];
    this.emit("drop", reason);
  }

  async _resume() {
    if (this.left || !this.token) return;
    this.status = "resuming";
    const tick = this.mirror.valid && !this._needSnapshot ? this.mirror.tick : 0;
    try {
      const reply = await this.client._seatRequest("rooms.resume", [{ token: this.token, tick }]);
      this._seated(reply);
      this.stats.resumes++;
      this.emit("resume");
    } catch (err) {
      if (err.code === "timeout" || err.code === "room_busy" || err.code === "connect_failed") {
        // Try again on this connection soon (a redirect's node that could
        // not be reached: the node asked again redirects, or says
        // node_gone once that node's registration has expired).
        setTimeout(() => this.client.connected && this._resume(), 250);
        return;
      }
      this.emit("error", err);
      this._left({ code: err.code, reason: err.message });
    }
  }

  _left(info) {
    if (this.left) return;
    this.left = { code: info.code ?? "left", reason: info.reason ?? "" };
    this.status = "left";
    this._stopStallTimer();
    if (this.client.room === this) this.client.room = null;
    this.emit("leave", this.left);
  }

  // The stall check: while an input waits for its ack and no frame has
  // arrived for stallTimeout ms, the connection is dead even if the socket
  // has not noticed (e.g. the network went away): drop the transport;
  // socket.io-client reconnects and the seat is resumed. A room whose
  // state does not change sends nothing, so silence alone proves nothing.
  _armStallTimer() {
    this._stopStallTimer();
    const ms = this.client.stallTimeout;
    if (!ms) return;
    this._stallTimer = setInterval(() => {
      if (this.status !== "connected" || !this.pending.length) return;
      if (now() - Math.max(this.pending[0].at, this._lastFrame) >= ms) {
        this._stopStallTimer();
        this.client.socket.io.engine?.close();
      }
    }, Math.max(50, Math.min(250, ms / 4)));
  }

  _stopStallTimer() {
    if (this._stallTimer) clearInterval(this._stallTimer);
    this._stallTimer = null;
  }
}
