// Types of @roomcast/client (hand-written; clients/js/test/package.test.js
// checks them against the module's exports and type-checks a consumer).
import type { ManagerOptions, Socket, SocketOptions } from "socket.io-client";

/** A mirrored entity: one property per schema field (non-enumerable $ref and $type say which entity). */
export interface Entity {
  readonly $ref: number;
  readonly $type: string;
  [field: string]: any;
}

/** Where an entity sits: the parent entity (null for the root), the parent's field holding it, its map key or array index. */
export interface EntityInfo {
  ref: number;
  type: string;
  parent: Entity | null;
  field: string | null;
  key: string | number | bigint | null;
}

/** Bounds of the state decoder (defaults: 16 MiB, 2^20 entities, 256 types, depth 32, 2^20 items). */
export interface MirrorLimits {
  maxBytes?: number;
  maxEntities?: number;
  maxTypes?: number;
  maxDepth?: number;
  maxContainerLen?: number;
}

/** Error codes of MirrorError. */
export declare const MirrorErrors: Readonly<{
  malformed: "malformed";
  outOfOrder: "out_of_order";
  noSnapshot: "no_snapshot";
}>;

export type MirrorErrorCode = (typeof MirrorErrors)[keyof typeof MirrorErrors];

/** A state frame the mirror could not apply. */
export declare class MirrorError extends Error {
  constructor(code: MirrorErrorCode, message: string);
  code: MirrorErrorCode;
  /** out_of_order only: the delta's tick and base tick; stale = an old frame, not a gap. */
  tick?: number;
  base?: number;
  stale?: boolean;
}

export interface MirrorEvents {
  add: (entity: Entity, info: EntityInfo) => void;
  change: (entity: Entity, fields: string[], info: EntityInfo) => void;
  remove: (entity: Entity, info: EntityInfo) => void;
  state: (mirror: Mirror, kind: "snapshot" | "delta") => void;
}

/** The state of one room rebuilt from snapshot and delta frames (the Go statesync.Mirror's twin). */
export declare class Mirror {
  constructor(limits?: MirrorLimits);
  limits: Required<MirrorLimits>;
  /** Server tick of the state (0 before the first snapshot). */
  tick: number;
  /** The schema of the last snapshot: types in id order, fields in id order (null before it). */
  schema: { name: string; fields: { name: string; kind: string; [option: string]: unknown }[] }[] | null;
  /** The root entity (null before the first snapshot). */
  root: Entity | null;
  /** ref → entity. */
  entities: Map<number, Entity>;
  /** False before the first snapshot and after a malformed delta. */
  valid: boolean;
  on<E extends keyof MirrorEvents>(event: E, fn: MirrorEvents[E]): () => void;
  entity(ref: number): Entity | undefined;
  info(entity: Entity): EntityInfo | undefined;
  applySnapshot(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): void;
  applyDelta(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): void;
  /** The state as plain values (maps as objects); null before the first snapshot. */
  value(): any;
  /** The canonical encoding of the state (PROTOCOL.md, State replication). */
  canonical(): Uint8Array;
  /** FNV-1a 64 of canonical() as 16 lowercase hex digits. */
  checksum(): string;
}

/** A plain copy of a mirrored value: entities → objects, Maps → objects keyed by String(key). */
export declare function plain(value: unknown): any;

/**
 * A refused request; code is the server's stable error code (e.g. "room_full";
 * across nodes "claim_invalid", "node_gone", "unavailable"), or one of the
 * client's own: "timeout", "bad_reply", "already_in_room", "redirect_loop"
 * (more than 3 redirects in one call), "connect_failed" (a redirect's node
 * could not be reached).
 */
export declare class RoomcastError extends Error {
  constructor(code: string, message: string);
  code: string;
}

/** Tiny event emitter of Client, Lobby and Room. */
declare class Emitter<Events extends { [E in keyof Events]: (...args: any[]) => void }> {
  /** Adds a listener; returns a function removing it. */
  on<E extends keyof Events & string>(event: E, fn: Events[E]): () => void;
  off<E extends keyof Events & string>(event: E, fn: Events[E]): void;
  once<E extends keyof Events & string>(event: E, fn: Events[E]): () => void;
  emit<E extends keyof Events & string>(event: E, ...args: Parameters<Events[E]>): void;
}

export interface ConnectOptions extends Partial<ManagerOptions & SocketOptions> {
  /** ms to wait for the connection before connect() rejects (default 10 000). */
  timeout?: number;
  /** ms an input may wait for its ack while no state frame arrives before the connection is re-established (default 2 500, 0 = off). */
  stallTimeout?: number;
}

/** One listing of rooms.list and the lobby. */
export interface RoomListing {
  roomId: string;
  name: string;
  clients: number;
  maxClients: number;
  locked: boolean;
  metadata?: Record<string, unknown>;
}

export interface RoomQuery {
  name?: string;
  filter?: Record<string, unknown>;
}

/** A rooms.list query: a RoomQuery, the page size and where to start. */
export interface ListQuery extends RoomQuery {
  /** Rooms per page, 1..100 (default 100). */
  limit?: number;
  /** A page's next, to get the page after it. */
  cursor?: string;
}

/** One page of rooms.list. */
export interface RoomPage {
  rooms: RoomListing[];
  /** The cursor of the next page; absent on the last one. */
  next?: string;
}

/** Client-side prediction of the own entity. */
export interface Prediction<Input = any> {
  /** The own entity in room.state, or null. */
  entity(room: Room<Input>): Entity | null | undefined;
  /** Applies one input for dt seconds to a plain copy of the entity (mutating it). */
  apply(predicted: any, input: Input, dt: number): unknown;
}

export interface RoomOptions<Input = any> {
  predict?: Prediction<Input>;
  /** Fields of other entities to interpolate (numbers or [x, y] pairs; default ["x", "y"]). */
  interpolate?: string[];
  limits?: MirrorLimits;
  /** Verify the checksum a state frame may carry (default true). */
  verifyChecksums?: boolean;
}

export interface LeaveInfo {
  code: string;
  reason: string;
}

export interface Desync {
  /** The server's checksum of the state after the frame. */
  expected: string;
  /** The mirror's checksum after applying it. */
  actual: string;
  tick: number;
}

export interface RoomStats {
  snapshots: number;
  deltas: number;
  resumes: number;
  resyncs: number;
  bytes: number;
  /** Frames whose checksum matched. */
  verified: number;
  /** Frames whose checksum did not match (each one resyncs). */
  desyncs: number;
}

export type RoomStatus = "joining" | "connected" | "resuming" | "left";

export interface RoomEvents {
  state: (kind: "snapshot" | "delta", ackedSeq: number) => void;
  add: (entity: Entity, info: EntityInfo) => void;
  change: (entity: Entity, fields: string[], info: EntityInfo) => void;
  remove: (entity: Entity, info: EntityInfo) => void;
  message: (type: string, payload: unknown, ack?: (reply: unknown) => void) => void;
  drop: (reason: string) => void;
  resume: () => void;
  leave: (info: LeaveInfo) => void;
  desync: (info: Desync) => void;
  error: (err: Error) => void;
}

export interface PendingInput<Input = any> {
  seq: number;
  input: Input;
  at: number;
}

/** One seat in a room. */
export declare class Room<Input = any> extends Emitter<RoomEvents> {
  constructor(client: Client, opts?: RoomOptions<Input>);
  client: Client;
  opts: RoomOptions<Input>;
  id: string | null;
  /** The base URL of the node the seat is on (the client's url when seated). */
  url: string | null;
  sessionId: string | null;
  /** The resume token (renewed at every resume). */
  token: string | null;
  name: string | null;
  tickRate: number;
  status: RoomStatus;
  left: LeaveInfo | null;
  mirror: Mirror;
  /** The last input seq the server acknowledged. */
  ackedSeq: number;
  /** The last input seq sent. */
  seq: number;
  pending: PendingInput<Input>[];
  /** Smoothed ms from an input to the state frame acknowledging it (null until measured). */
  ping: number | null;
  /** The own entity as predicted (a plain copy), or null without opts.predict. */
  predicted: any;
  stats: RoomStats;
  /** The mirrored state root (null before the first snapshot). */
  readonly state: Entity | null;
  readonly tick: number;
  /** Seconds per server tick. */
  readonly dt: number;
  /** The own entity in the mirrored state (via opts.predict.entity). */
  readonly me: Entity | null;
  /** Interpolated fields of entity at time t (ms, performance.now()). */
  interpolated(entity: Entity, t?: number): Record<string, any>;
  /** Sends an input; returns its seq, or 0 while the room is not connected. */
  send(input: Input): number;
  /** Sends msg(type, payload) to the game; resolves with the reply's data. */
  message(type: string, payload?: unknown): Promise<unknown>;
  /** One msg("ping") round trip in ms (for games that answer "ping"). */
  measurePing(): Promise<number>;
  /** Leaves at once (the seat is freed). */
  leave(): Promise<void>;
}

export interface LobbyEvents {
  change: (rooms: Map<string, RoomListing>) => void;
}

/** A live list of rooms; empty and not live while the connection is down. */
export declare class Lobby extends Emitter<LobbyEvents> {
  constructor(client: Client, query: RoomQuery);
  client: Client;
  query: RoomQuery;
  rooms: Map<string, RoomListing>;
  /** True while rooms is the server's current list. */
  live: boolean;
  close(): Promise<void>;
}

export interface ClientEvents {
  connect: (info: { reconnect: boolean }) => void;
  disconnect: (reason: string) => void;
  connect_error: (err: Error) => void;
}

/** The reply of a successful request: {ok: true, ...fields}. */
export interface Reply {
  ok: true;
  [field: string]: any;
}

/**
 * One connection to a server; it holds at most one room at a time. A join or
 * resume redirected to another node moves it to a new connection there.
 */
export declare class Client extends Emitter<ClientEvents> {
  /** A path in url is a prefix before the Socket.IO path (a reverse proxy's per-node prefix), not a namespace. */
  constructor(url: string, opts?: ConnectOptions);
  /** The current connection (replaced when a redirect moves the client). */
  socket: Socket;
  /** The base URL of the node the client is connected to: the one given, or the last redirect's. */
  url: string;
  stallTimeout: number;
  /** The current room, or null. */
  room: Room | null;
  readonly connected: boolean;
  /** "websocket" or "polling" (null when disconnected). */
  readonly transport: string | null;
  request(event: string, ...args: unknown[]): Promise<Reply>;
  joinOrCreate<Input = any>(name: string, options?: Record<string, unknown>, roomOpts?: RoomOptions<Input>): Promise<Room<Input>>;
  create<Input = any>(name: string, options?: Record<string, unknown>, roomOpts?: RoomOptions<Input>): Promise<Room<Input>>;
  join<Input = any>(name: string, options?: Record<string, unknown>, roomOpts?: RoomOptions<Input>): Promise<Room<Input>>;
  joinById<Input = any>(roomId: string, options?: Record<string, unknown>, roomOpts?: RoomOptions<Input>): Promise<Room<Input>>;
  /** The first page of rooms (query.limit rooms, default 100). */
  list(query?: ListQuery): Promise<RoomListing[]>;
  /** One page of rooms and the cursor of the next. */
  listPage(query?: ListQuery): Promise<RoomPage>;
  lobby(query?: RoomQuery): Promise<Lobby>;
  close(): void;
}

/** Connects to a roomcast server; resolves once connected. */
export declare function connect(url: string, opts?: ConnectOptions): Promise<Client>;
