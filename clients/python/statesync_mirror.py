"""A statesync mirror in Python, written from PROTOCOL.md ("State replication").

It decodes the `state` bytes of roomcast's `snapshot` and `delta` events with
the stock msgpack library, keeps the replicated entities, and computes the
optional checksum (FNV-1a 64 over the canonical encoding of the root).

    mirror = Mirror()
    mirror.apply_snapshot(state)         # bytes of a snapshot event
    result = mirror.apply_delta(state)   # APPLIED, OLD (a duplicate) or GAP (missed frame)
    mirror.checksum_hex()                # '0123456789abcdef'
    mirror.plain()                       # the root as dicts and lists

State bytes are untrusted: anything that does not follow the format raises
MirrorError; after a failed delta the mirror needs a new snapshot.
"""

import struct

import msgpack

APPLIED, OLD, GAP, EMPTY = "applied", "old", "gap", "empty"

INT_RANGES = {
    "i8": (-(1 << 7), (1 << 7) - 1),
    "i16": (-(1 << 15), (1 << 15) - 1),
    "i32": (-(1 << 31), (1 << 31) - 1),
    "i64": (-(1 << 63), (1 << 63) - 1),
    "u8": (0, (1 << 8) - 1),
    "u16": (0, (1 << 16) - 1),
    "u32": (0, (1 << 32) - 1),
    "u64": (0, (1 << 64) - 1),
}
SCALAR_KINDS = set(INT_RANGES) | {"bool", "f32", "f64", "str", "bin"}
KEY_KINDS = set(INT_RANGES) | {"str"}
MAX_FIELDS = 63


class MirrorError(ValueError):
    """State bytes that do not follow the statesync format."""


def unpack(data):
    """Decodes one msgpack value. Maps may have integer keys (entity maps
    keyed by an integer kind), which msgpack >= 1.0 refuses by default."""
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=False, use_list=True)
    except (ValueError, msgpack.UnpackException) as exc:  # ExtraData is a ValueError
        raise MirrorError(f"state is not one msgpack value: {exc}") from exc


class Field:
    """One field of an entity type in the schema."""

    def __init__(self, name, kind):
        self.name, self.kind = name, kind
        self.min = self.max = self.step = None
        self.steps = self.bits = 0  # q, q2: N and its bit length
        self.type_index = None  # ref, and map/arr of entities
        self.key_kind = None  # map
        self.elem_kind = None  # map/arr of scalars

    @property
    def container(self):
        return self.kind in ("map", "arr")


class EntityType:
    def __init__(self, name, fields):
        self.name, self.fields = name, fields


class Entity:
    """A live entity: its ref, type and one value per field (q/q2 as their
    integer n, ref as an Entity or None, map as a dict, arr as a list)."""

    __slots__ = ("ref", "type", "vals")

    def __init__(self, ref, etype, vals):
        self.ref, self.type, self.vals = ref, etype, vals


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _parse_schema(raw):
    if not isinstance(raw, list) or not raw:
        raise MirrorError("schema: not a non-empty array")
    types = []
    for ti, t in enumerate(raw):
        if not isinstance(t, list) or len(t) != 2 or not isinstance(t[0], str) or not isinstance(t[1], list):
            raise MirrorError(f"schema type {ti}: not [name, [fields]]")
        if len(t[1]) > MAX_FIELDS:
            raise MirrorError(f"schema type {ti}: {len(t[1])} fields, at most {MAX_FIELDS}")
        types.append((t[0], t[1]))
    parsed = []
    for ti, (name, raw_fields) in enumerate(types):
        fields = []
        for fi, f in enumerate(raw_fields):
            fields.append(_parse_field(f, len(types), f"schema type {ti} field {fi}"))
        parsed.append(EntityType(name, fields))
    return parsed


def _parse_element(e, ntypes, where):
    if _is_int(e):
        if not 0 <= e < ntypes:
            raise MirrorError(f"{where}: type index {e} out of range")
        return e, None
    if isinstance(e, str) and e in SCALAR_KINDS and e != "bin":
        return None, e
    raise MirrorError(f"{where}: bad element {e!r}")


def _parse_field(f, ntypes, where):
    if not isinstance(f, list) or len(f) < 2 or not isinstance(f[0], str) or not isinstance(f[1], str):
        raise MirrorError(f"{where}: not [name, kind, ...]")
    field = Field(f[0], f[1])
    kind, extra = f[1], f[2:]
    if kind in SCALAR_KINDS:
        if extra:
            raise MirrorError(f"{where}: kind {kind} takes no parameters")
    elif kind in ("q", "q2"):
        if len(extra) != 3 or not all(isinstance(x, float) for x in extra):
            raise MirrorError(f"{where}: {kind} needs min, max, step as floats")
        field.min, field.max, field.step = extra
        if not field.step > 0 or not field.max > field.min:
            raise MirrorError(f"{where}: bad range {extra}")
        field.steps = round((field.max - field.min) / field.step)
        field.bits = field.steps.bit_length()
    elif kind == "ref":
        if len(extra) != 1 or not _is_int(extra[0]) or not 0 <= extra[0] < ntypes:
            raise MirrorError(f"{where}: ref needs a type index")
        field.type_index = extra[0]
    elif kind == "map":
        if len(extra) != 2 or extra[0] not in KEY_KINDS:
            raise MirrorError(f"{where}: map needs a key kind and an element")
        field.key_kind = extra[0]
        field.type_index, field.elem_kind = _parse_element(extra[1], ntypes, where)
    elif kind == "arr":
        if len(extra) != 1:
            raise MirrorError(f"{where}: arr needs an element")
        field.type_index, field.elem_kind = _parse_element(extra[0], ntypes, where)
    else:
        raise MirrorError(f"{where}: unknown kind {kind!r}")
    return field


def _check_scalar(kind, v, where):
    """Checks one value of a scalar kind and returns it."""
    if kind == "bool":
        ok = isinstance(v, bool)
    elif kind in INT_RANGES:
        lo, hi = INT_RANGES[kind]
        ok = _is_int(v) and lo <= v <= hi
    elif kind in ("f32", "f64"):
        # The stock decoder turns both widths into float; a strict decoder
        # would also check the width (PROTOCOL.md, "What a strict decoder rejects").
        ok = isinstance(v, float)
    elif kind == "str":
        ok = isinstance(v, str)
    elif kind == "bin":
        ok = isinstance(v, bytes)
    else:
        ok = False
    if not ok:
        raise MirrorError(f"{where}: {v!r} is not a valid {kind}")
    return v


class Mirror:
    """The client side of statesync: state at `tick`, entities by ref."""

    def __init__(self):
        self.tick = None  # None until the first snapshot
        self.types = None
        self.root = None
        self.entities = {}

    # -- frames ------------------------------------------------------------

    def apply_snapshot(self, data):
        v = unpack(data) if isinstance(data, (bytes, bytearray)) else data
        if not isinstance(v, list) or len(v) != 3 or not _is_int(v[0]) or v[0] < 0:
            raise MirrorError("snapshot: not [tick, schema, root]")
        types = _parse_schema(v[1])
        saved = (self.types, self.entities)
        self.types, self.entities = types, {}
        try:
            root = self._read_entity(v[2], 0, "snapshot root")
        except MirrorError:
            self.types, self.entities = saved
            raise
        if root.ref != 0:
            self.types, self.entities = saved
            raise MirrorError(f"snapshot: root ref {root.ref}, want 0")
        self.root, self.tick = root, v[0]

    def apply_delta(self, data):
        """Applies a delta if base <= tick < its tick. Returns APPLIED, EMPTY
        (zero bytes: ack only), OLD (tick not after ours: ignore) or GAP (a
        frame is missing: a snapshot is needed)."""
        if len(data) == 0:
            return EMPTY
        v = unpack(data)
        if not isinstance(v, list) or len(v) < 2 or not _is_int(v[0]) or not _is_int(v[1]):
            raise MirrorError("delta: not [tick, gap, ...]")
        tick, gap = v[0], v[1]
        if gap < 1 or tick < 0:
            raise MirrorError(f"delta: tick {tick} gap {gap}")
        if self.tick is None:
            return GAP
        if tick <= self.tick:
            return OLD
        if tick - gap > self.tick:
            return GAP
        mask = None
        i = 2
        while i < len(v):
            t = v[i]
            i += 1
            if isinstance(t, list):
                self._container_op(t)
            elif not _is_int(t):
                raise MirrorError(f"delta token {i - 1}: {t!r}")
            elif t < 0:
                mask = -t
            else:
                if mask is None:
                    raise MirrorError("delta: patch before any mask")
                ent = self._live(t, "patch")
                fields = ent.type.fields
                bit = 0
                m = mask
                while m:
                    if m & 1:
                        if bit >= len(fields) or fields[bit].container:
                            raise MirrorError(f"delta: mask names field {bit} of {ent.type.name}")
                        if i >= len(v):
                            raise MirrorError("delta: patch cut short")
                        self._set_field(ent, bit, v[i])
                        i += 1
                    m >>= 1
                    bit += 1
        self.tick = tick
        return APPLIED

    # -- reading values ----------------------------------------------------

    def _live(self, ref, what):
        if not _is_int(ref) or ref not in self.entities:
            raise MirrorError(f"{what}: unknown ref {ref!r}")
        return self.entities[ref]

    def _read_entity(self, raw, type_index, where):
        etype = self.types[type_index]
        if not isinstance(raw, list) or len(raw) != 1 + len(etype.fields):
            raise MirrorError(f"{where}: not a whole {etype.name} of {1 + len(etype.fields)} elements")
        ref = raw[0]
        if not _is_int(ref) or ref < 0:
            raise MirrorError(f"{where}: bad ref {ref!r}")
        if ref in self.entities:
            raise MirrorError(f"{where}: ref {ref} is already live")
        ent = Entity(ref, etype, [None] * len(etype.fields))
        self.entities[ref] = ent
        for fi, field in enumerate(etype.fields):
            ent.vals[fi] = self._read_value(field, raw[1 + fi], f"{where}.{field.name}")
        return ent

    def _read_value(self, field, v, where):
        kind = field.kind
        if kind in SCALAR_KINDS:
            return _check_scalar(kind, v, where)
        if kind == "q":
            if not _is_int(v) or not 0 <= v <= field.steps:
                raise MirrorError(f"{where}: q index {v!r} beyond {field.steps}")
            return v
        if kind == "q2":
            lo_mask = (1 << field.bits) - 1
            if not _is_int(v) or v < 0 or v & lo_mask > field.steps or v >> field.bits > field.steps:
                raise MirrorError(f"{where}: q2 index {v!r} beyond {field.steps}")
            return v
        if kind == "ref":
            return None if v is None else self._read_entity(v, field.type_index, where)
        if kind == "map":
            if not isinstance(v, dict):
                raise MirrorError(f"{where}: not a map")
            return {_check_scalar(field.key_kind, k, f"{where} key"): self._read_elem(field, e, f"{where}[{k!r}]")
                    for k, e in v.items()}
        if kind == "arr":
            if not isinstance(v, list):
                raise MirrorError(f"{where}: not an array")
            return [self._read_elem(field, e, f"{where}[{j}]") for j, e in enumerate(v)]
        raise MirrorError(f"{where}: kind {kind}")

    def _read_elem(self, field, v, where):
        if field.type_index is not None:
            return self._read_entity(v, field.type_index, where)
        return _check_scalar(field.elem_kind, v, where)

    # -- changes -----------------------------------------------------------

    def _free(self, value):
        """Forgets an entity value (and everything below it)."""
        if not isinstance(value, Entity):
            return
        del self.entities[value.ref]
        for field, v in zip(value.type.fields, value.vals):
            if field.kind == "ref":
                self._free(v)
            elif field.kind == "map" and field.type_index is not None:
                for e in v.values():
                    self._free(e)
            elif field.kind == "arr" and field.type_index is not None:
                for e in v:
                    self._free(e)

    def _set_field(self, ent, fi, v):
        field = ent.type.fields[fi]
        where = f"{ent.type.name}#{ent.ref}.{field.name}"
        if field.kind == "ref":
            self._free(ent.vals[fi])
            ent.vals[fi] = None
        ent.vals[fi] = self._read_value(field, v, where)

    def _container_op(self, op):
        if len(op) < 2:
            raise MirrorError(f"container op {op!r}: too short")
        owner = self._live(op[0], "container op")
        fi = op[1]
        if not _is_int(fi) or not 0 <= fi < len(owner.type.fields) or not owner.type.fields[fi].container:
            raise MirrorError(f"container op: field {fi!r} of {owner.type.name} is no map or array")
        field = owner.type.fields[fi]
        where = f"{owner.type.name}#{owner.ref}.{field.name}"
        if field.kind == "map":
            self._map_op(owner.vals[fi], field, op[2:], where)
        else:
            self._splice(owner.vals[fi], field, op[2:], where)

    def _map_op(self, m, field, pairs, where):
        if len(pairs) % 2:
            raise MirrorError(f"{where}: odd number of key/value elements")
        for j in range(0, len(pairs), 2):
            key = _check_scalar(field.key_kind, pairs[j], f"{where} key")
            val = pairs[j + 1]
            if val is None:
                if key not in m:
                    raise MirrorError(f"{where}: delete of missing key {key!r}")
                self._free(m.pop(key))
            else:
                self._free(m.pop(key, None))
                m[key] = self._read_elem(field, val, f"{where}[{key!r}]")

    def _splice(self, arr, field, args, where):
        if len(args) < 2 or not _is_int(args[0]) or not _is_int(args[1]):
            raise MirrorError(f"{where}: splice needs at, deleteCount")
        at, count = args[0], args[1]
        if at < 0 or count < 0 or at + count > len(arr):
            raise MirrorError(f"{where}: splice({at}, {count}) beyond {len(arr)} elements")
        removed = arr[at:at + count]
        items = []
        if field.type_index is not None:
            movable = {e.ref: e for e in removed}
            for j, it in enumerate(args[2:]):
                if _is_int(it):
                    if it not in movable:
                        raise MirrorError(f"{where}: moved ref {it} was not in the replaced span")
                    items.append(movable.pop(it))
                else:
                    items.append(self._read_entity(it, field.type_index, f"{where}[{at + j}]"))
            for e in movable.values():
                self._free(e)
        else:
            items = [_check_scalar(field.elem_kind, it, f"{where}[{at + j}]") for j, it in enumerate(args[2:])]
        arr[at:at + count] = items

    # -- reading the state -------------------------------------------------

    def plain(self, ent=None):
        """The state as dicts (entity: {field name: value}), lists and
        scalars; q and q2 fields as numbers (q2: [x, y])."""
        if ent is None:
            ent = self.root
        if ent is None:
            return None
        out = {}
        for field, v in zip(ent.type.fields, ent.vals):
            out[field.name] = self._plain_value(field, v)
        return out

    def _plain_value(self, field, v):
        if field.kind == "q":
            return field.min + v * field.step
        if field.kind == "q2":
            lo = v & ((1 << field.bits) - 1)
            return [field.min + lo * field.step, field.min + (v >> field.bits) * field.step]
        if isinstance(v, Entity):
            return self.plain(v)
        if isinstance(v, dict):
            return {k: self.plain(e) if isinstance(e, Entity) else e for k, e in v.items()}
        if isinstance(v, list):
            return [self.plain(e) if isinstance(e, Entity) else e for e in v]
        return v

    def canonical(self):
        """The canonical encoding of the root (PROTOCOL.md, "Checksum")."""
        if self.root is None:
            return b""
        out = bytearray()
        _canon_entity(out, self.root)
        return bytes(out)

    def checksum(self):
        """FNV-1a 64 of the canonical encoding (0 before the first snapshot)."""
        if self.root is None:
            return 0
        return fnv1a64(self.canonical())

    def checksum_hex(self):
        return f"{self.checksum():016x}"


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for c in data:
        h ^= c
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


# -- canonical msgpack writer (smallest integer forms, f32 as float32) ------


def _header(out, n, fix, fixmax, f16, f32):
    if n <= fixmax:
        out.append(fix | n)
    elif n <= 0xFFFF:
        out.append(f16)
        out += struct.pack(">H", n)
    else:
        out.append(f32)
        out += struct.pack(">I", n)


def _uint(out, v):
    if v <= 0x7F:
        out.append(v)
    elif v <= 0xFF:
        out += bytes((0xCC, v))
    elif v <= 0xFFFF:
        out.append(0xCD)
        out += struct.pack(">H", v)
    elif v <= 0xFFFFFFFF:
        out.append(0xCE)
        out += struct.pack(">I", v)
    else:
        out.append(0xCF)
        out += struct.pack(">Q", v)


def _int(out, v):
    if v >= 0:
        _uint(out, v)
    elif v >= -32:
        out.append(v & 0xFF)
    elif v >= -(1 << 7):
        out.append(0xD0)
        out += struct.pack(">b", v)
    elif v >= -(1 << 15):
        out.append(0xD1)
        out += struct.pack(">h", v)
    elif v >= -(1 << 31):
        out.append(0xD2)
        out += struct.pack(">i", v)
    else:
        out.append(0xD3)
        out += struct.pack(">q", v)


def _str(out, s):
    b = s.encode("utf-8")
    n = len(b)
    if n < 32:
        out.append(0xA0 | n)
    elif n <= 0xFF:
        out += bytes((0xD9, n))
    elif n <= 0xFFFF:
        out.append(0xDA)
        out += struct.pack(">H", n)
    else:
        out.append(0xDB)
        out += struct.pack(">I", n)
    out += b


def _bin(out, b):
    n = len(b)
    if n <= 0xFF:
        out += bytes((0xC4, n))
    elif n <= 0xFFFF:
        out.append(0xC5)
        out += struct.pack(">H", n)
    else:
        out.append(0xC6)
        out += struct.pack(">I", n)
    out += b


def _canon_scalar(out, kind, v):
    if kind == "bool":
        out.append(0xC3 if v else 0xC2)
    elif kind in ("u8", "u16", "u32", "u64", "q", "q2"):
        _uint(out, v)
    elif kind in INT_RANGES:
        _int(out, v)
    elif kind == "f32":
        out.append(0xCA)
        out += struct.pack(">f", v)
    elif kind == "f64":
        out.append(0xCB)
        out += struct.pack(">d", v)
    elif kind == "str":
        _str(out, v)
    elif kind == "bin":
        _bin(out, v)
    else:
        raise MirrorError(f"canonical: kind {kind}")


def _map_key_order(key_kind):
    if key_kind == "str":
        return lambda k: k.encode("utf-8")  # bytewise
    return lambda k: k  # numerically


def _canon_entity(out, ent):
    _header(out, len(ent.vals), 0x90, 15, 0xDC, 0xDD)
    for field, v in zip(ent.type.fields, ent.vals):
        if field.kind == "ref":
            if v is None:
                out.append(0xC0)
            else:
                _canon_entity(out, v)
        elif field.kind == "map":
            _header(out, len(v), 0x80, 15, 0xDE, 0xDF)
            for k in sorted(v, key=_map_key_order(field.key_kind)):
                _canon_scalar(out, field.key_kind, k)
                _canon_elem(out, field, v[k])
        elif field.kind == "arr":
            _header(out, len(v), 0x90, 15, 0xDC, 0xDD)
            for e in v:
                _canon_elem(out, field, e)
        else:
            _canon_scalar(out, field.kind, v)


def _canon_elem(out, field, e):
    if field.type_index is not None:
        _canon_entity(out, e)
    else:
        _canon_scalar(out, field.elem_kind, e)
