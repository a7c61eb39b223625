package mpack

// ReadValue consumes one whole value and decodes it to a generic Go value:
//
//   - nil -> nil; bool -> bool
//   - integers -> int64, or uint64 for values above math.MaxInt64
//   - float32 -> float32 (not widened); float64 -> float64
//   - str -> string; bin -> []byte (both copied: the result never aliases
//     the input)
//   - array -> []any; map with str keys -> map[string]any (a repeated key
//     keeps its last value)
//   - fixext 1 with type 0 and data 0 (d4 00 00, how notepack.io and
//     socket.io-msgpack-parser write JavaScript's undefined) -> nil
//   - ext 8/16/32 with type 0 (how notepack.io writes an ArrayBuffer or a
//     Uint8Array, i.e. any binary sent from a browser) -> []byte (copied)
//
// Any other ext, and maps with non-str keys, yield ErrType. All limits apply;
// the total allocation is at most a constant factor times the input size,
// because every container's element count is checked against the bytes left
// after the minimum its pending siblings and ancestors' siblings still need.
func (r *Reader) ReadValue() (any, error) {
	start := r.off
	v, err := r.value(0, 0)
	if err != nil {
		r.off = start
		return nil, err
	}
	return v, nil
}

func (r *Reader) value(depth, reserve int) (any, error) {
	h, err := r.peekHeader(reserve)
	if err != nil {
		return nil, err
	}
	switch h.kind {
	case KindNil:
		r.off++
		return nil, nil
	case KindBool:
		r.off++
		return h.code == fmtTrue, nil
	case KindInt:
		i, u, signed := r.intValue(h)
		r.off += h.hlen
		if signed {
			return i, nil
		}
		if u <= 1<<63-1 {
			return int64(u), nil
		}
		return u, nil
	case KindFloat32:
		f := r.float32At()
		r.off += h.hlen
		return f, nil
	case KindFloat64:
		f := r.float64At()
		r.off += h.hlen
		return f, nil
	case KindString:
		return string(r.payload(h)), nil
	case KindBytes:
		p := r.payload(h)
		out := make([]byte, len(p))
		copy(out, p)
		return out, nil
	case KindExt:
		if h.code == fmtFixExt1 && r.buf[r.off+1] == 0 && r.buf[r.off+2] == 0 {
			r.off += 3
			return nil, nil // JavaScript undefined
		}
		if h.code >= fmtExt8 && h.code <= fmtExt32 && r.buf[r.off+h.hlen-1] == 0 {
			// notepack.io writes ArrayBuffer and typed arrays (all binary in
			// a browser) as ext 8/16/32 of type 0.
			p := r.payload(h)
			return append([]byte{}, p...), nil
		}
		return nil, errAt(r.off, ErrType, "unsupported ext type %d", int8(r.buf[r.off+h.hlen-1]))
	case KindArray:
		if depth >= r.lim.MaxDepth {
			return nil, errAt(r.off, ErrTooDeep, "more than %d nested containers", r.lim.MaxDepth)
		}
		r.off += h.hlen
		out := make([]any, h.n)
		for i := range out {
			if out[i], err = r.value(depth+1, reserve+h.n-i-1); err != nil {
				return nil, err
			}
		}
		return out, nil
	case KindMap:
		if depth >= r.lim.MaxDepth {
			return nil, errAt(r.off, ErrTooDeep, "more than %d nested containers", r.lim.MaxDepth)
		}
		r.off += h.hlen
		out := make(map[string]any, h.n)
		for i := range h.n {
			pending := 2 * (h.n - i)
			kh, err := r.peekHeader(reserve + pending - 1)
			if err != nil {
				return nil, err
			}
			if kh.kind != KindString {
				return nil, errAt(r.off, ErrType, "map key is %s, want string", kh.kind)
			}
			k := string(r.payload(kh))
			if out[k], err = r.value(depth+1, reserve+pending-2); err != nil {
				return nil, err
			}
		}
		return out, nil
	default:
		return nil, errAt(r.off, ErrType, "unexpected %s", h.kind)
	}
}
