// canonical converts a mirror's plain value (Mirror.value()) to what the
// Go recorder writes (clients/js/mirror_record_test.go, jsonValue): BigInts
// as "big:N" strings, bin as base64, everything else as JSON would.
export function canonical(v) {
  if (typeof v === "bigint") return `big:${v}`;
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === "object") {
    const o = {};
    for (const k of Object.keys(v)) o[k] = canonical(v[k]);
    return o;
  }
  return v;
}
