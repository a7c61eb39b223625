// A small, bounded MessagePack decoder for roomcast state frames.
//
// It returns plain values: null, booleans, numbers, strings, Uint8Array
// (bin), arrays and Maps (msgpack maps keep their key types: a state map
// may be keyed by integers). Integers outside Number's safe range decode
// to BigInt so 64-bit fields stay exact. Float32 values are returned as
// Numbers; the schema tells the mirror which fields are f32.
//
// Extension types are rejected: the state format (PROTOCOL.md (State replication)) uses
// none.

const textDecoder = new TextDecoder("utf-8", { fatal: true });

/** Error thrown for malformed or oversized input. */
export class DecodeError extends Error {
  constructor(message) {
    super(message);
    this.name = "DecodeError";
    this.code = "malformed";
  }
}

/** Default bounds: depth of nesting and total number of decoded items. */
export const defaultLimits = Object.freeze({ maxDepth: 64, maxItems: 1 << 20 });

/**
 * Decodes exactly one msgpack value from bytes (Uint8Array, ArrayBuffer
 * or a view). Trailing bytes are an error.
 */
export function decode(bytes, limits = defaultLimits) {
  const u8 = toUint8Array(bytes);
  const r = new Reader(u8, limits);
  const v = r.value(0);
  if (r.off !== u8.length) throw new DecodeError(`msgpack: ${u8.length - r.off} trailing bytes`);
  return v;
}

/** Normalizes Uint8Array, Buffer, ArrayBuffer or any view to a Uint8Array (no copy). */
export function toUint8Array(b) {
  if (b instanceof Uint8Array) return b;
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  throw new DecodeError("msgpack: input is not binary");
}

class Reader {
  constructor(u8, limits) {
    this.u8 = u8;
    this.dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    this.off = 0;
    this.items = 0;
    this.maxDepth = limits.maxDepth ?? defaultLimits.maxDepth;
    this.maxItems = limits.maxItems ?? defaultLimits.maxItems;
  }

  need(n) {
    if (this.off + n > this.u8.length) throw new DecodeError(`msgpack: truncated at offset ${this.off}`);
    const o = this.off;
    this.off += n;
    return o;
  }

  count(n) {
    this.items += n;
    // Every element takes at least one byte: a count larger than what is
    // left cannot be honest.
    if (this.items > this.maxItems || n > this.u8.length - this.off) {
      throw new DecodeError(`msgpack: container of ${n} items too large at offset ${this.off}`);
    }
  }

  value(depth) {
    if (depth > this.maxDepth) throw new DecodeError("msgpack: nesting too deep");
    const t = this.u8[this.need(1)];
    if (t <= 0x7f) return t;
    if (t >= 0xe0) return t - 0x100;
    if ((t & 0xf0) === 0x80) return this.map(t & 0x0f, depth);
    if ((t & 0xf0) === 0x90) return this.array(t & 0x0f, depth);
    if ((t & 0xe0) === 0xa0) return this.str(t & 0x1f);
    const dv = this.dv;
    switch (t) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: return this.bin(dv.getUint8(this.need(1)));
      case 0xc5: return this.bin(dv.getUint16(this.need(2)));
      case 0xc6: return this.bin(dv.getUint32(this.need(4)));
      case 0xca: return dv.getFloat32(this.need(4));
      case 0xcb: return dv.getFloat64(this.need(8));
      case 0xcc: return dv.getUint8(this.need(1));
      case 0xcd: return dv.getUint16(this.need(2));
      case 0xce: return dv.getUint32(this.need(4));
      case 0xcf: return small(dv.getBigUint64(this.need(8)));
      case 0xd0: return dv.getInt8(this.need(1));
      case 0xd1: return dv.getInt16(this.need(2));
      case 0xd2: return dv.getInt32(this.need(4));
      case 0xd3: return small(dv.getBigInt64(this.need(8)));
      case 0xd9: return this.str(dv.getUint8(this.need(1)));
      case 0xda: return this.str(dv.getUint16(this.need(2)));
      case 0xdb: return this.str(dv.getUint32(this.need(4)));
      case 0xdc: return this.array(dv.getUint16(this.need(2)), depth);
      case 0xdd: return this.array(dv.getUint32(this.need(4)), depth);
      case 0xde: return this.map(dv.getUint16(this.need(2)), depth);
      case 0xdf: return this.map(dv.getUint32(this.need(4)), depth);
    }
    throw new DecodeError(`msgpack: unsupported type byte 0x${t.toString(16)} at offset ${this.off - 1}`);
  }

  str(n) {
    const o = this.need(n);
    try {
      return textDecoder.decode(this.u8.subarray(o, o + n));
    } catch {
      throw new DecodeError(`msgpack: invalid UTF-8 string at offset ${o}`);
    }
  }

  bin(n) {
    const o = this.need(n);
    return this.u8.slice(o, o + n);
  }

  array(n, depth) {
    this.count(n);
    const a = new Array(n);
    for (let i = 0; i < n; i++) a[i] = this.value(depth + 1);
    return a;
  }

  map(n, depth) {
    this.count(2 * n);
    const m = new Map();
    for (let i = 0; i < n; i++) {
      const k = this.value(depth + 1);
      m.set(k, this.value(depth + 1));
    }
    return m;
  }
}

// small returns a BigInt as a Number when that is exact.
function small(b) {
  return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}
