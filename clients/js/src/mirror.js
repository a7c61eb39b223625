// Mirror rebuilds the server's replicated state from the `state` bytes of
// snapshot and delta frames (format: PROTOCOL.md (State replication) at the repository
// root). It agrees with the Go reference decoder (package statesync,
// Mirror): the tests decode the same recorded frames with both.
//
// Entities are plain objects with one property per schema field
// (non-enumerable `$ref` and `$type` say which entity it is); maps are JS
// Maps (keys keep their kind: strings, or numbers/BigInts for integer
// keys); arrays are JS arrays; ref fields hold an entity or null; fixed
// ("q") fields hold the decoded Number, quantized pairs ("q2") an array
// [x, y] of Numbers; u64/i64 beyond 2^53 are BigInts;
// bin fields are Uint8Arrays.

import { decode, toUint8Array } from "./msgpack.js";

/** Error codes of MirrorError. */
export const MirrorErrors = Object.freeze({
  malformed: "malformed", // bytes do not follow the format; a new snapshot is needed
  outOfOrder: "out_of_order", // delta does not follow the mirror's tick; state unchanged
  noSnapshot: "no_snapshot", // no valid snapshot to apply the delta to
});

/** A decoding failure; .code is one of MirrorErrors. */
export class MirrorError extends Error {
  constructor(code, message) {
    super(`mirror: ${message}`);
    this.name = "MirrorError";
    this.code = code;
  }
}

const scalarKinds = new Set(["bool", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64", "str", "bin"]);
const intBits = { i8: 8, i16: 16, i32: 32, i64: 64, u8: 8, u16: 16, u32: 32, u64: 64 };

/** Default bounds (like the Go mirror's MirrorLimits). */
export const defaultMirrorLimits = Object.freeze({
  maxBytes: 16 << 20,
  maxEntities: 1 << 20,
  maxTypes: 256,
  maxDepth: 32,
  maxContainerLen: 1 << 20,
});

function bad(msg) {
  return new MirrorError(MirrorErrors.malformed, msg);
}

/**
 * Mirror of one room's state.
 *
 * Listeners (all optional, set with on(event, fn)):
 *   "add"    (entity, info)            an entity appeared (snapshot or delta)
 *   "change" (entity, fields, info)    fields (array of names) of a live entity changed
 *   "remove" (entity, info)            an entity is gone (with everything below it)
 *   "state"  (mirror, kind)            after each applied frame ("snapshot" | "delta")
 * info = {ref, type, parent, field, key}: parent entity (null for the
 * root), the field of the parent holding it, and its map key or array
 * index at the time it was placed.
 */
export class Mirror {
  constructor(limits = {}) {
    this.limits = { ...defaultMirrorLimits, ...limits };
    this.tick = 0;
    this.schema = null; // [{name, fields: [{name, kind, ...}]}]
    this.root = null;
    this.entities = new Map(); // ref -> entity
    this.valid = false;
    this._info = new Map(); // ref -> info
    this._listeners = { add: [], change: [], remove: [], state: [] };
  }

  /** Adds a listener; returns a function removing it. */
  on(event, fn) {
    const l = this._listeners[event];
    if (!l) throw new Error(`mirror: unknown event ${event}`);
    l.push(fn);
    return () => {
      const i = l.indexOf(fn);
      if (i >= 0) l.splice(i, 1);
    };
  }

  /** The entity with reference id ref, or undefined. */
  entity(ref) {
    return this.entities.get(ref);
  }

  /** Where an entity sits: {ref, type, parent, field, key}. */
  info(entity) {
    return this._info.get(entity?.$ref);
  }

  /** Replaces the state with snapshot bytes [tick, schema, root]. On error the mirror is unchanged. */
  applySnapshot(bytes) {
    const u8 = toUint8Array(bytes);
    if (u8.length > this.limits.maxBytes) throw bad(`snapshot of ${u8.length} bytes`);
    const v = decodeOrThrow(u8, this.limits);
    if (!Array.isArray(v) || v.length !== 3) throw bad("snapshot is not [tick, schema, root]");
    const tick = u32(v[0], "tick");
    const schema = readSchema(v[1], this.limits);
    const d = new Decoder(this, schema, new Map(), new Map());
    d.root = d.entity(v[2], 0, 0, null, null, null);
    // Entities that survive (same ref and type) keep their object, so a
    // game's per-entity bookkeeping survives a resync; they get "change"
    // for the fields that differ, the others "remove" / "add".
    const old = this.entities;
    const oldInfo = this._info;
    const entities = new Map();
    const info = new Map();
    const changed = [];
    const added = [];
    const adopt = (e, parent, field, key) => {
      const o = old.get(e.$ref);
      const keep = o !== undefined && o.$type === e.$type;
      const target = keep ? o : e;
      entities.set(e.$ref, target);
      info.set(e.$ref, { ref: e.$ref, type: e.$type, parent, field, key });
      if (!keep) added.push(target); // parents before children
      const fields = [];
      for (const f of schema[e.$typeIndex].fields) {
        let v = e[f.name];
        if (v instanceof Map) v = new Map([...v].map(([k, x]) => [k, x !== null && typeof x === "object" && "$ref" in x ? adopt(x, target, f.name, k) : x]));
        else if (Array.isArray(v)) v = v.map((x, i) => (x !== null && typeof x === "object" && "$ref" in x ? adopt(x, target, f.name, i) : x));
        else if (v !== null && typeof v === "object" && "$ref" in v) v = adopt(v, target, f.name, null);
        if (keep && !sameValue(o[f.name], v)) fields.push(f.name);
        target[f.name] = v;
      }
      if (keep && fields.length) changed.push([target, fields]);
      return target;
    };
    const root = adopt(d.root, null, null, null);
    this.tick = tick;
    this.schema = schema;
    this.root = root;
    this.entities = entities;
    this._info = info;
    this.valid = true;
    for (const [ref, e] of old) if (entities.get(ref) !== e) this._emit("remove", e, oldInfo.get(ref));
    for (const e of added) this._emit("add", e, info.get(e.$ref));
    for (const [e, fields] of changed) this._emit("change", e, fields, info.get(e.$ref));
    this._emit("state", this, "snapshot");
  }

  /**
   * Applies delta bytes [tick, gap, token...]. A zero-length delta (ack
   * only) is ignored. Throws MirrorError: out_of_order leaves the state
   * unchanged; malformed leaves the mirror invalid (needs a snapshot).
   */
  applyDelta(bytes) {
    const u8 = toUint8Array(bytes);
    if (u8.length === 0) return;
    if (!this.valid) throw new MirrorError(MirrorErrors.noSnapshot, "delta without a valid snapshot");
    if (u8.length > this.limits.maxBytes) throw bad(`delta of ${u8.length} bytes`);
    const v = decodeOrThrow(u8, this.limits);
    if (!Array.isArray(v) || v.length < 2) throw bad("delta is not [tick, gap, ...]");
    const tick = u32(v[0], "tick");
    const gap = u32(v[1], "tick gap");
    if (gap === 0 || gap > tick) throw bad(`tick ${tick} with gap ${gap}`);
    const base = tick - gap;
    if (base > this.tick || this.tick >= tick) {
      const err = new MirrorError(MirrorErrors.outOfOrder, `delta from tick ${base} to ${tick}, mirror at ${this.tick}`);
      err.tick = tick;
      err.base = base;
      err.stale = this.tick >= tick; // an old frame (harmless), not a gap
      throw err;
    }
    const d = new Decoder(this, this.schema, this.entities, this._info);
    try {
      d.tokens(v);
    } catch (err) {
      this.valid = false;
      throw err;
    }
    this.tick = tick;
    for (const [e, inf] of d.removed) this._emit("remove", e, inf);
    for (const e of d.added) if (this.entities.get(e.$ref) === e) this._emit("add", e, this._info.get(e.$ref));
    for (const [e, fields] of d.changed) {
      if (this.entities.get(e.$ref) === e && !d.added.has(e)) this._emit("change", e, [...fields], this._info.get(e.$ref));
    }
    this._emit("state", this, "delta");
  }

  /**
   * The whole state as plain values (like Go's Mirror.Value): entities as
   * objects by field name, maps as objects (keys as strings), arrays as
   * arrays. null before the first snapshot.
   */
  value() {
    return this.root ? plain(this.root) : null;
  }

  /**
   * The canonical encoding of the state (PROTOCOL.md (State replication) "Checksum"):
   * entities as arrays of their fields without ref, map keys sorted, every
   * value in its wire encoding. Empty before the first snapshot.
   */
  canonical() {
    if (!this.root) return new Uint8Array(0);
    const w = new Writer();
    canonEntity(w, this.schema, this.root);
    return w.bytes();
  }

  /** FNV-1a 64 of canonical() as 16 hex digits (same as Go's Mirror.Checksum / Encoder.Checksum). */
  checksum() {
    if (!this.root) return "0000000000000000";
    let h = 0xcbf29ce484222325n;
    for (const b of this.canonical()) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
    return h.toString(16).padStart(16, "0");
  }

  _emit(event, ...args) {
    for (const fn of this._listeners[event]) fn(...args);
  }
}

// Writer appends msgpack values in their smallest encodings.
class Writer {
  constructor() {
    this.buf = new Uint8Array(256);
    this.dv = new DataView(this.buf.buffer);
    this.n = 0;
  }
  grow(k) {
    if (this.n + k <= this.buf.length) return;
    const nb = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    nb.set(this.buf.subarray(0, this.n));
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
  }
  byte(b) {
    this.grow(1);
    this.buf[this.n++] = b;
  }
  u(tag, bytes, v) {
    this.grow(1 + bytes);
    this.buf[this.n++] = tag;
    if (bytes === 1) this.dv.setUint8(this.n, v);
    else if (bytes === 2) this.dv.setUint16(this.n, v);
    else if (bytes === 4) this.dv.setUint32(this.n, v);
    this.n += bytes;
  }
  uint(v) {
    const b = BigInt(v);
    if (b <= 0x7fn) this.byte(Number(b));
    else if (b <= 0xffn) this.u(0xcc, 1, Number(b));
    else if (b <= 0xffffn) this.u(0xcd, 2, Number(b));
    else if (b <= 0xffffffffn) this.u(0xce, 4, Number(b));
    else {
      this.grow(9);
      this.buf[this.n++] = 0xcf;
      this.dv.setBigUint64(this.n, b);
      this.n += 8;
    }
  }
  int(v) {
    const b = BigInt(v);
    if (b >= 0n) return this.uint(b);
    if (b >= -32n) this.byte(Number(b) & 0xff);
    else if (b >= -128n) this.u(0xd0, 1, Number(b) & 0xff);
    else if (b >= -32768n) this.u(0xd1, 2, Number(b) & 0xffff);
    else if (b >= -2147483648n) this.u(0xd2, 4, Number(b) >>> 0);
    else {
      this.grow(9);
      this.buf[this.n++] = 0xd3;
      this.dv.setBigInt64(this.n, b);
      this.n += 8;
    }
  }
  f32(v) {
    this.grow(5);
    this.buf[this.n++] = 0xca;
    this.dv.setFloat32(this.n, v);
    this.n += 4;
  }
  f64(v) {
    this.grow(9);
    this.buf[this.n++] = 0xcb;
    this.dv.setFloat64(this.n, v);
    this.n += 8;
  }
  str(s) {
    const b = textEncoder.encode(s);
    if (b.length <= 31) this.byte(0xa0 | b.length);
    else if (b.length <= 0xff) this.u(0xd9, 1, b.length);
    else if (b.length <= 0xffff) this.u(0xda, 2, b.length);
    else this.u(0xdb, 4, b.length);
    this.raw(b);
  }
  bin(b) {
    if (b.length <= 0xff) this.u(0xc4, 1, b.length);
    else if (b.length <= 0xffff) this.u(0xc5, 2, b.length);
    else this.u(0xc6, 4, b.length);
    this.raw(b);
  }
  raw(b) {
    this.grow(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
  }
  array(len) {
    if (len <= 15) this.byte(0x90 | len);
    else if (len <= 0xffff) this.u(0xdc, 2, len);
    else this.u(0xdd, 4, len);
  }
  map(len) {
    if (len <= 15) this.byte(0x80 | len);
    else if (len <= 0xffff) this.u(0xde, 2, len);
    else this.u(0xdf, 4, len);
  }
  bytes() {
    return this.buf.slice(0, this.n);
  }
}

const textEncoder = new TextEncoder();

function canonScalar(w, kind, v) {
  switch (kind) {
    case "bool":
      return w.byte(v ? 0xc3 : 0xc2);
    case "f32":
      return w.f32(v);
    case "f64":
      return w.f64(v);
    case "str":
      return w.str(v);
    case "bin":
      return w.bin(v);
  }
  if (kind[0] === "u") return w.uint(v);
  return w.int(v);
}

function compareKeys(a, b) {
  if (typeof a === "string") {
    // Bytewise UTF-8 order (Go's strings.Compare).
    const x = textEncoder.encode(a);
    const y = textEncoder.encode(b);
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  }
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function canonElem(w, schema, f, v) {
  if (f.elem === "ref") canonEntity(w, schema, v);
  else canonScalar(w, f.elem, v);
}

function canonEntity(w, schema, e) {
  const t = schema[e.$typeIndex];
  w.array(t.fields.length);
  for (const f of t.fields) {
    const v = e[f.name];
    switch (f.kind) {
      case "q":
        w.uint(Math.round((v - f.min) / f.step));
        break;
      case "q2":
        w.uint((BigInt(Math.round((v[1] - f.min) / f.step)) << f.bits) | BigInt(Math.round((v[0] - f.min) / f.step)));
        break;
      case "ref":
        if (v === null) w.byte(0xc0);
        else canonEntity(w, schema, v);
        break;
      case "map": {
        const keys = [...v.keys()].sort(compareKeys);
        w.map(keys.length);
        for (const k of keys) {
          canonScalar(w, f.key, k);
          canonElem(w, schema, f, v.get(k));
        }
        break;
      }
      case "arr":
        w.array(v.length);
        for (const x of v) canonElem(w, schema, f, x);
        break;
      default:
        canonScalar(w, f.kind, v);
    }
  }
}

// sameValue compares a field's old and new value after adoption: entities
// by identity, containers element by element, bin by bytes.
function sameValue(a, b) {
  if (Object.is(a, b)) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
  if (a instanceof Map && b instanceof Map) {
    if (a.size !== b.size) return false;
    for (const [k, x] of a) if (!b.has(k) || !sameValue(x, b.get(k))) return false;
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  return false;
}

function decodeOrThrow(u8, limits) {
  try {
    return decode(u8, { maxDepth: 2 * limits.maxDepth + 8, maxItems: limits.maxContainerLen * 4 });
  } catch (err) {
    throw bad(err.message);
  }
}

function isUint(v) {
  return (typeof v === "number" && Number.isInteger(v) && v >= 0) || (typeof v === "bigint" && v >= 0n);
}

function u32(v, what) {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw bad(`${what} is not a uint32`);
  return v;
}

function readSchema(v, limits) {
  if (!Array.isArray(v) || v.length === 0) throw bad("schema has no types");
  if (v.length > limits.maxTypes) throw bad(`schema has ${v.length} types`);
  const ntypes = v.length;
  return v.map((t, ti) => {
    if (!Array.isArray(t) || t.length !== 2 || typeof t[0] !== "string" || !Array.isArray(t[1])) throw bad(`type ${ti} is not [name, fields]`);
    if (t[1].length > 63) throw bad(`type ${t[0]} has ${t[1].length} fields`);
    return { name: t[0], fields: t[1].map((f) => readField(f, ntypes)) };
  });
}

function readField(f, ntypes) {
  if (!Array.isArray(f) || f.length < 2 || typeof f[0] !== "string" || typeof f[1] !== "string") throw bad("field is not [name, kind, ...]");
  const [name, kind] = f;
  const want = (n) => {
    if (f.length !== n) throw bad(`${kind} field has ${f.length} elements, want ${n}`);
  };
  const elem = (e) => {
    if (typeof e === "number") {
      if (!Number.isInteger(e) || e < 0 || e >= ntypes) throw bad("bad element type index");
      return { elem: "ref", type: e };
    }
    if (e === "bin" || !scalarKinds.has(e)) throw bad(`bad element kind ${e}`);
    return { elem: e, type: -1 };
  };
  if (scalarKinds.has(kind)) {
    want(2);
    return { name, kind };
  }
  switch (kind) {
    case "q":
    case "q2": {
      want(5);
      const [min, max, step] = f.slice(2);
      if (![min, max, step].every((x) => typeof x === "number")) throw bad("bad fixed range");
      const steps = Math.round((max - min) / step);
      if (!(step > 0) || !(max > min) || !(steps <= 2 ** 53)) throw bad("bad fixed range");
      const bits = BigInt(steps).toString(2).length;
      if (kind === "q2" && bits > 32) throw bad("q2 range too large");
      return { name, kind, min, max, step, qmax: steps, bits: BigInt(bits) };
    }
    case "ref":
      want(3);
      if (!Number.isInteger(f[2]) || f[2] < 0 || f[2] >= ntypes) throw bad("bad ref type index");
      return { name, kind, type: f[2], elem: "ref" };
    case "map": {
      want(4);
      const key = f[2];
      if (key !== "str" && !(key in intBits)) throw bad(`bad map key kind ${key}`);
      return { name, kind, key, ...elem(f[3]) };
    }
    case "arr":
      want(3);
      return { name, kind, ...elem(f[2]) };
  }
  throw bad(`unknown kind ${kind}`);
}

function scalar(kind, v) {
  switch (kind) {
    case "bool":
      if (typeof v !== "boolean") throw bad(`want bool, have ${typeof v}`);
      return v;
    case "f32":
    case "f64":
      // The width is not visible after decoding; the Go mirror checks it,
      // a JS client only needs the value.
      if (typeof v !== "number") throw bad(`want ${kind}, have ${typeof v}`);
      return v;
    case "str":
      if (typeof v !== "string") throw bad(`want str, have ${typeof v}`);
      return v;
    case "bin":
      if (!(v instanceof Uint8Array)) throw bad(`want bin, have ${typeof v}`);
      return v;
  }
  const bits = intBits[kind];
  if (typeof v === "number") {
    if (!Number.isInteger(v)) throw bad(`want ${kind}, have ${v}`);
  } else if (typeof v !== "bigint") {
    throw bad(`want ${kind}, have ${typeof v}`);
  }
  const b = BigInt(v);
  const lo = kind[0] === "u" ? 0n : -(1n << BigInt(bits - 1));
  const hi = kind[0] === "u" ? (1n << BigInt(bits)) - 1n : (1n << BigInt(bits - 1)) - 1n;
  if (b < lo || b > hi) throw bad(`${v} overflows ${kind}`);
  return v;
}

class Decoder {
  constructor(mirror, schema, entities, info) {
    this.m = mirror;
    this.lim = mirror.limits;
    this.schema = schema;
    this.entities = entities;
    this.info = info;
    this.added = new Set();
    this.removed = new Map(); // entity -> info
    this.changed = new Map(); // entity -> Set of field names
  }

  entity(v, ti, depth, parent, field, key) {
    if (depth >= this.lim.maxDepth) throw bad(`entities nest deeper than ${this.lim.maxDepth}`);
    const t = this.schema[ti];
    if (!Array.isArray(v) || v.length !== 1 + t.fields.length) throw bad(`${t.name} entity is not [ref, ${t.fields.length} fields]`);
    const ref = u32(v[0], "ref id");
    if (this.entities.has(ref)) throw bad(`ref id ${ref} already in use`);
    if (this.entities.size >= this.lim.maxEntities) throw bad(`more than ${this.lim.maxEntities} entities`);
    const e = {};
    Object.defineProperties(e, {
      $ref: { value: ref },
      $type: { value: t.name },
      $typeIndex: { value: ti },
      $depth: { value: depth },
    });
    this.entities.set(ref, e);
    this.info.set(ref, { ref, type: t.name, parent, field, key });
    this.added.add(e);
    for (let i = 0; i < t.fields.length; i++) {
      const f = t.fields[i];
      e[f.name] = this.field(f, v[i + 1], depth, e, null);
    }
    return e;
  }

  field(f, v, depth, owner) {
    switch (f.kind) {
      case "q":
        if (!isUint(v)) throw bad(`want q step, have ${v}`);
        if (Number(v) > f.qmax) throw bad(`fixed step ${v} beyond range`);
        return f.min + Number(v) * f.step;
      case "q2": {
        // Two quantized numbers in one integer: x in the low bits, y above.
        if (!isUint(v)) throw bad(`want q2 pair, have ${v}`);
        const n = BigInt(v);
        const mask = (1n << f.bits) - 1n;
        const lo = n & mask;
        const hi = n >> f.bits;
        if (hi >> f.bits !== 0n || Number(lo) > f.qmax || Number(hi) > f.qmax) throw bad(`fixed pair 0x${n.toString(16)} beyond range`);
        return [f.min + Number(lo) * f.step, f.min + Number(hi) * f.step];
      }
      case "ref":
        if (v === null) return null;
        return this.entity(v, f.type, depth + 1, owner, f.name, null);
      case "map": {
        if (!(v instanceof Map)) throw bad(`want map for ${f.name}`);
        if (v.size > this.lim.maxContainerLen) throw bad(`map of ${v.size} elements`);
        const out = new Map();
        for (const [k, x] of v) {
          const key = scalar(f.key, k);
          if (out.has(key)) throw bad(`duplicate map key ${key}`);
          out.set(key, this.elem(f, x, depth, owner, key));
        }
        return out;
      }
      case "arr": {
        if (!Array.isArray(v)) throw bad(`want array for ${f.name}`);
        if (v.length > this.lim.maxContainerLen) throw bad(`array of ${v.length} elements`);
        return v.map((x, i) => this.elem(f, x, depth, owner, i));
      }
    }
    return scalar(f.kind, v);
  }

  elem(f, v, depth, owner, key) {
    if (f.elem === "ref") return this.entity(v, f.type, depth + 1, owner, f.name, key);
    return scalar(f.elem, v);
  }

  free(v) {
    if (v === null || typeof v !== "object") return;
    if (v instanceof Map) {
      for (const x of v.values()) this.free(x);
      return;
    }
    if (Array.isArray(v)) {
      for (const x of v) this.free(x);
      return;
    }
    if (v instanceof Uint8Array) return;
    if (typeof v.$ref !== "number" || this.entities.get(v.$ref) !== v) return;
    this.entities.delete(v.$ref);
    const inf = this.info.get(v.$ref);
    this.info.delete(v.$ref);
    if (this.added.has(v)) this.added.delete(v);
    else this.removed.set(v, inf);
    this.changed.delete(v);
    for (const f of this.schema[v.$typeIndex].fields) this.free(v[f.name]);
  }

  touch(e, name) {
    let s = this.changed.get(e);
    if (!s) this.changed.set(e, (s = new Set()));
    s.add(name);
  }

  tokens(v) {
    let mask = 0n;
    for (let i = 2; i < v.length; ) {
      const t = v[i++];
      if (Array.isArray(t)) {
        this.op(t);
        continue;
      }
      if (typeof t === "bigint") {
        if (t >= 0n) throw bad(`ref id ${t} exceeds uint32`);
        mask = -t;
        continue;
      }
      if (typeof t !== "number" || !Number.isInteger(t)) throw bad(`unexpected token ${typeof t}`);
      if (t < 0) {
        mask = BigInt(-t);
        continue;
      }
      i = this.patch(u32(t, "ref id"), mask, v, i);
    }
  }

  patch(ref, mask, v, i) {
    const e = this.entities.get(ref);
    if (!e) throw bad(`patch of unknown entity ${ref}`);
    if (mask === 0n) throw bad("patch before any mask");
    const t = this.schema[e.$typeIndex];
    const nf = t.fields.length;
    if (mask >> BigInt(nf) !== 0n) throw bad(`mask 0x${mask.toString(16)} beyond the ${nf} fields of ${t.name}`);
    for (let fi = 0; fi < nf; fi++) {
      if (((mask >> BigInt(fi)) & 1n) === 0n) continue;
      const f = t.fields[fi];
      if (f.kind === "map" || f.kind === "arr") throw bad(`patch of container field ${t.name}.${f.name}`);
      if (i >= v.length) throw bad(`patch of ${t.name} runs past the delta`);
      const nv = this.field(f, v[i++], e.$depth, e);
      if (f.kind === "ref") this.free(e[f.name]);
      e[f.name] = nv;
      this.touch(e, f.name);
    }
    return i;
  }

  op(t) {
    if (t.length < 2) throw bad(`container op with ${t.length} elements`);
    const ref = u32(t[0], "owner ref");
    const e = this.entities.get(ref);
    if (!e) throw bad(`op on unknown entity ${ref}`);
    if (!isUint(t[1])) throw bad("bad field id");
    const ty = this.schema[e.$typeIndex];
    const fid = Number(t[1]);
    if (fid >= ty.fields.length) throw bad(`op on field ${fid} of ${ty.name}`);
    const f = ty.fields[fid];
    if (f.kind === "map") {
      if ((t.length - 2) % 2 !== 0) throw bad("map op with odd length");
      const m = e[f.name];
      for (let i = 2; i < t.length; i += 2) {
        const key = scalar(f.key, t[i]);
        const had = m.has(key);
        const old = m.get(key);
        if (t[i + 1] === null) {
          if (!had) throw bad(`delete of missing key ${key}`);
          m.delete(key);
          this.free(old);
          continue;
        }
        if (had) this.free(old);
        const nv = this.elem(f, t[i + 1], e.$depth, e, key);
        if (!had && m.size >= this.lim.maxContainerLen) throw bad(`map grows beyond ${this.lim.maxContainerLen}`);
        m.set(key, nv);
      }
      this.touch(e, f.name);
      return;
    }
    if (f.kind === "arr") {
      if (t.length < 4) throw bad(`array op with ${t.length} elements`);
      const a = e[f.name];
      if (!isUint(t[2]) || !isUint(t[3])) throw bad("bad splice position");
      const at = Number(t[2]);
      const del = Number(t[3]);
      if (at > a.length || del > a.length - at) throw bad(`splice ${at},${del} of ${a.length} elements`);
      const ins = t.length - 4;
      if (a.length - del + ins > this.lim.maxContainerLen) throw bad(`array grows beyond ${this.lim.maxContainerLen}`);
      const removed = a.slice(at, at + del);
      const items = [];
      for (let i = 4; i < t.length; i++) {
        const x = t[i];
        if (f.elem === "ref" && (typeof x === "number" || typeof x === "bigint")) {
          const mref = u32(typeof x === "bigint" ? -1 : x, "moved ref");
          const j = removed.findIndex((r) => r && r.$ref === mref);
          if (j < 0) throw bad(`moved entity ${mref} was not in the replaced span`);
          items.push(removed[j]);
          removed[j] = null;
          continue;
        }
        items.push(this.elem(f, x, e.$depth, e, at + items.length));
      }
      for (const r of removed) this.free(r);
      a.splice(at, del, ...items);
      this.touch(e, f.name);
      return;
    }
    throw bad(`op on ${f.kind} field ${ty.name}.${f.name}`);
  }
}

/** Plain copy of a mirrored value (entities → objects, Maps → objects). */
export function plain(v) {
  if (v === null || typeof v !== "object") return v;
  if (v instanceof Uint8Array) return v;
  if (v instanceof Map) {
    const o = {};
    for (const [k, x] of v) o[String(k)] = plain(x);
    return o;
  }
  if (Array.isArray(v)) return v.map(plain);
  const o = {};
  for (const k of Object.keys(v)) o[k] = plain(v[k]);
  return o;
}
