// Small promise helpers for tests against the real clients. Every wait is
// bounded: a test never hangs, it fails with what it was waiting for. The
// default bounds (20 s) are generous: the tests run on busy 2-core machines.

/** Resolves with the args of the next `event` on emitter, or rejects after ms. */
export function next(emitter, event, ms = 20_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`timed out after ${ms} ms waiting for "${event}"`));
    }, ms);
    function on(...args) {
      clearTimeout(timer);
      resolve(args);
    }
    emitter.once(event, on);
  });
}

/** Emits event with args and an ack callback; resolves with all ack args (20 s timeout). */
export function ack(socket, event, ...args) {
  return ackWithin(20_000, socket, event, ...args);
}

/** ack with a timeout of ms. */
export function ackWithin(ms, socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(ms).emit(event, ...args, (err, ...res) => (err ? reject(new Error(`ack of "${event}": ${err.message}`)) : resolve(res)));
  });
}

/** Polls fn until it returns a truthy value (resolved with it), or rejects after ms. */
export async function eventually(fn, what, ms = 20_000, every = 20) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Normalizes any binary (Buffer, Uint8Array, ArrayBuffer) to a Buffer. */
export function toBuffer(x) {
  if (Buffer.isBuffer(x)) return x;
  if (x instanceof ArrayBuffer) return Buffer.from(new Uint8Array(x));
  if (ArrayBuffer.isView(x)) return Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  throw new TypeError(`not binary: ${Object.prototype.toString.call(x)}`);
}

/** Deterministic pseudo-random bytes. */
export function bytes(n, seed = 1) {
  const b = Buffer.alloc(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    b[i] = s & 0xff;
  }
  return b;
}
