package mpack

import (
	"math"
)

// Default limits, used for Limits fields that are zero.
const (
	DefaultMaxDepth        = 32
	DefaultMaxContainerLen = 65536
	DefaultMaxStringLen    = 1 << 20
)

// Limits bound what a Reader accepts. A field <= 0 selects its default.
type Limits struct {
	// MaxDepth is how deeply arrays and maps may nest in Skip, ReadRaw and
	// ReadValue (a top-level array of scalars has depth 1). Default 32.
	MaxDepth int
	// MaxContainerLen is the largest element count of an array or pair count
	// of a map. Default 65536.
	MaxContainerLen int
	// MaxStringLen is the largest byte length of a str, bin or ext payload.
	// Default 1 MiB.
	MaxStringLen int
}

func (l Limits) withDefaults() Limits {
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxContainerLen <= 0 {
		l.MaxContainerLen = DefaultMaxContainerLen
	}
	if l.MaxStringLen <= 0 {
		l.MaxStringLen = DefaultMaxStringLen
	}
	return l
}

// Kind is the type of the next msgpack value, as reported by PeekKind.
type Kind uint8

// Kinds. Every integer encoding (fixint, uint8..64, int8..64) is KindInt.
const (
	KindInvalid Kind = iota
	KindNil
	KindBool
	KindInt
	KindFloat32
	KindFloat64
	KindString
	KindBytes
	KindArray
	KindMap
	KindExt
)

var kindNames = [...]string{"invalid", "nil", "bool", "int", "float32", "float64", "string", "bytes", "array", "map", "ext"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(?)"
}

// Reader decodes msgpack values from a byte slice, one after another. It
// never panics and never allocates more than a constant factor times the
// input size. Slices it returns without copying (ReadStringBytes, ReadBytes,
// ReadRaw) alias the input and have their capacity clipped to their length.
//
// When a typed read (ReadInt, ReadString, ...) fails, the position is left
// unchanged, so a caller may try another type. When Skip, ReadRaw or
// ReadValue fail, the position is restored to the start of that value.
// A Reader is not safe for concurrent use.
type Reader struct {
	buf []byte
	off int
	lim Limits
}

// NewReader returns a Reader over b with the given limits.
func NewReader(b []byte, lim Limits) *Reader {
	return &Reader{buf: b, lim: lim.withDefaults()}
}

// Reset makes r read b from its start, keeping its limits.
func (r *Reader) Reset(b []byte) {
	r.buf = b
	r.off = 0
}

// Len reports how many bytes are left to read.
func (r *Reader) Len() int { return len(r.buf) - r.off }

// Offset reports how many bytes have been consumed.
func (r *Reader) Offset() int { return r.off }

// header describes the msgpack item starting at some offset.
type header struct {
	kind Kind
	code byte
	// hlen is the number of bytes of the format byte plus length/type fields;
	// for scalars (nil, bool, ints, floats) it is the whole item.
	hlen int
	// n is the payload byte length for strings, bytes and ext data (the ext
	// type byte is counted in hlen), the element count for arrays and the
	// pair count for maps.
	n int
}

// size is the byte length of the item's header plus its own payload (for
// containers, just the header).
func (h header) size() int {
	switch h.kind {
	case KindString, KindBytes, KindExt:
		return h.hlen + h.n
	default:
		return h.hlen
	}
}

// peekHeader decodes the header at r.off without consuming it. reserve is the
// number of bytes that must still follow this item (at least one per pending
// sibling of it and of its ancestors); lengths are checked against what is
// left after that reserve and against the limits.
func (r *Reader) peekHeader(reserve int) (header, error) {
	p := r.buf[r.off:]
	if len(p) == 0 {
		return header{}, errAt(r.off, ErrTruncated, "reading format byte")
	}
	c := p[0]
	h := header{code: c, hlen: 1}
	var lenBytes int // size of a big-endian length field following c
	switch {
	case c <= 0x7f || c >= 0xe0:
		h.kind = KindInt
		return h, nil
	case c <= 0x8f:
		h.kind, h.n = KindMap, int(c&0x0f)
	case c <= 0x9f:
		h.kind, h.n = KindArray, int(c&0x0f)
	case c <= 0xbf:
		h.kind, h.n = KindString, int(c&0x1f)
	default:
		switch c {
		case fmtNil:
			h.kind = KindNil
			return h, nil
		case fmtFalse, fmtTrue:
			h.kind = KindBool
			return h, nil
		case fmtUint8, fmtInt8:
			h.kind, h.hlen = KindInt, 2
		case fmtUint16, fmtInt16:
			h.kind, h.hlen = KindInt, 3
		case fmtUint32, fmtInt32:
			h.kind, h.hlen = KindInt, 5
		case fmtUint64, fmtInt64:
			h.kind, h.hlen = KindInt, 9
		case fmtFloat32:
			h.kind, h.hlen = KindFloat32, 5
		case fmtFloat64:
			h.kind, h.hlen = KindFloat64, 9
		case fmtStr8:
			h.kind, lenBytes = KindString, 1
		case fmtStr16:
			h.kind, lenBytes = KindString, 2
		case fmtStr32:
			h.kind, lenBytes = KindString, 4
		case fmtBin8:
			h.kind, lenBytes = KindBytes, 1
		case fmtBin16:
			h.kind, lenBytes = KindBytes, 2
		case fmtBin32:
			h.kind, lenBytes = KindBytes, 4
		case fmtArray16:
			h.kind, lenBytes = KindArray, 2
		case fmtArray32:
			h.kind, lenBytes = KindArray, 4
		case fmtMap16:
			h.kind, lenBytes = KindMap, 2
		case fmtMap32:
			h.kind, lenBytes = KindMap, 4
		case fmtFixExt1:
			h.kind, h.hlen, h.n = KindExt, 2, 1
		case fmtFixExt2:
			h.kind, h.hlen, h.n = KindExt, 2, 2
		case fmtFixExt4:
			h.kind, h.hlen, h.n = KindExt, 2, 4
		case fmtFixExt8:
			h.kind, h.hlen, h.n = KindExt, 2, 8
		case fmtFixExt16:
			h.kind, h.hlen, h.n = KindExt, 2, 16
		case fmtExt8:
			h.kind, lenBytes = KindExt, 1
		case fmtExt16:
			h.kind, lenBytes = KindExt, 2
		case fmtExt32:
			h.kind, lenBytes = KindExt, 4
		default: // 0xc1, never used
			return header{}, errAt(r.off, ErrType, "invalid format byte 0x%02x", c)
		}
	}
	if lenBytes > 0 {
		if len(p) < 1+lenBytes {
			return h, errAt(r.off, ErrTruncated, "reading %s length", h.kind)
		}
		var n uint64
		for _, x := range p[1 : 1+lenBytes] {
			n = n<<8 | uint64(x)
		}
		h.n = int(n) // at most 1<<32-1: fits in int on 64-bit platforms
		if n > math.MaxInt32 {
			h.n = math.MaxInt32 // only matters on 32-bit platforms; still rejected below
		}
		h.hlen = 1 + lenBytes
		if h.kind == KindExt {
			h.hlen++ // type byte
		}
	}
	left := len(p) - reserve
	switch h.kind {
	case KindString, KindBytes, KindExt:
		if h.n > r.lim.MaxStringLen {
			return h, errAt(r.off, ErrTooLarge, "%s of %d bytes exceeds limit %d", h.kind, h.n, r.lim.MaxStringLen)
		}
		if h.hlen+h.n > left {
			return h, errAt(r.off, ErrTruncated, "%s of %d bytes with %d bytes left", h.kind, h.n, len(p)-h.hlen)
		}
	case KindArray, KindMap:
		if h.n > r.lim.MaxContainerLen {
			return h, errAt(r.off, ErrTooLarge, "%s of %d elements exceeds limit %d", h.kind, h.n, r.lim.MaxContainerLen)
		}
		need := h.n // at least one byte per element
		if h.kind == KindMap {
			need *= 2
		}
		if h.hlen+need > left {
			return h, errAt(r.off, ErrTruncated, "%s of %d elements with %d bytes left", h.kind, h.n, len(p)-h.hlen)
		}
	default:
		if h.hlen > left {
			return h, errAt(r.off, ErrTruncated, "reading %s", h.kind)
		}
	}
	return h, nil
}

// PeekKind reports the kind of the next value without consuming it.
func (r *Reader) PeekKind() (Kind, error) {
	if r.off >= len(r.buf) {
		return KindInvalid, errAt(r.off, ErrTruncated, "peeking kind")
	}
	// A bad length still reports the kind (the read itself will fail); only
	// an invalid format byte is an error here.
	h, err := r.peekHeader(0)
	if h.kind == KindInvalid {
		return KindInvalid, err
	}
	return h.kind, nil
}

func (r *Reader) expect(want Kind) (header, error) {
	h, err := r.peekHeader(0)
	if err != nil {
		return h, err
	}
	if h.kind != want {
		return h, errAt(r.off, ErrType, "want %s, have %s", want, h.kind)
	}
	return h, nil
}

// ReadNil consumes a nil.
func (r *Reader) ReadNil() error {
	if _, err := r.expect(KindNil); err != nil {
		return err
	}
	r.off++
	return nil
}

// ReadBool consumes a bool.
func (r *Reader) ReadBool() (bool, error) {
	h, err := r.expect(KindBool)
	if err != nil {
		return false, err
	}
	r.off++
	return h.code == fmtTrue, nil
}

// intValue decodes the integer item h at r.off. If signed is true the value
// is i; otherwise it is u (an unsigned format).
func (r *Reader) intValue(h header) (i int64, u uint64, signed bool) {
	p := r.buf[r.off : r.off+h.hlen]
	c := h.code
	switch {
	case c <= 0x7f:
		return 0, uint64(c), false
	case c >= 0xe0:
		return int64(int8(c)), 0, true
	}
	var v uint64
	for _, x := range p[1:] {
		v = v<<8 | uint64(x)
	}
	switch c {
	case fmtInt8:
		return int64(int8(v)), 0, true
	case fmtInt16:
		return int64(int16(v)), 0, true
	case fmtInt32:
		return int64(int32(v)), 0, true
	case fmtInt64:
		return int64(v), 0, true
	default:
		return 0, v, false
	}
}

// ReadInt consumes an integer in any msgpack integer format whose value fits
// in an int64.
func (r *Reader) ReadInt() (int64, error) {
	if r.off < len(r.buf) {
		if c := r.buf[r.off]; c <= 0x7f || c >= 0xe0 { // fast path: fixint
			r.off++
			return int64(int8(c)), nil
		}
	}
	h, err := r.expect(KindInt)
	if err != nil {
		return 0, err
	}
	i, u, signed := r.intValue(h)
	if !signed {
		if u > math.MaxInt64 {
			return 0, errAt(r.off, ErrType, "uint %d overflows int64", u)
		}
		i = int64(u)
	}
	r.off += h.hlen
	return i, nil
}

// ReadUint consumes a non-negative integer in any msgpack integer format.
func (r *Reader) ReadUint() (uint64, error) {
	h, err := r.expect(KindInt)
	if err != nil {
		return 0, err
	}
	i, u, signed := r.intValue(h)
	if signed {
		if i < 0 {
			return 0, errAt(r.off, ErrType, "negative int %d read as uint", i)
		}
		u = uint64(i)
	}
	r.off += h.hlen
	return u, nil
}

func (r *Reader) float32At() float32 {
	p := r.buf[r.off:]
	return math.Float32frombits(uint32(p[1])<<24 | uint32(p[2])<<16 | uint32(p[3])<<8 | uint32(p[4]))
}

func (r *Reader) float64At() float64 {
	var v uint64
	for _, x := range r.buf[r.off+1 : r.off+9] {
		v = v<<8 | uint64(x)
	}
	return math.Float64frombits(v)
}

// ReadFloat64 consumes a float64, a float32 (widened exactly) or an integer
// (converted, rounding to nearest if beyond 2^53).
func (r *Reader) ReadFloat64() (float64, error) {
	h, err := r.peekHeader(0)
	if err != nil {
		return 0, err
	}
	var f float64
	switch h.kind {
	case KindFloat64:
		f = r.float64At()
	case KindFloat32:
		f = float64(r.float32At())
	case KindInt:
		i, u, signed := r.intValue(h)
		if signed {
			f = float64(i)
		} else {
			f = float64(u)
		}
	default:
		return 0, errAt(r.off, ErrType, "want number, have %s", h.kind)
	}
	r.off += h.hlen
	return f, nil
}

// ReadFloat32 consumes a float32, a float64 or an integer, converted to
// float32 (rounding to nearest). JavaScript encoders send every non-integer
// number as float64, so accepting it here is deliberate.
func (r *Reader) ReadFloat32() (float32, error) {
	h, err := r.peekHeader(0)
	if err != nil {
		return 0, err
	}
	if h.kind == KindFloat32 {
		f := r.float32At()
		r.off += h.hlen
		return f, nil
	}
	f, err := r.ReadFloat64()
	return float32(f), err
}

// ReadStringBytes consumes a str and returns its bytes without copying.
func (r *Reader) ReadStringBytes() ([]byte, error) {
	if r.off < len(r.buf) {
		if c := r.buf[r.off]; c&0xe0 == fixStrPrefix { // fast path: fixstr
			start := r.off + 1
			end := start + int(c&0x1f)
			if end <= len(r.buf) {
				r.off = end
				return r.buf[start:end:end], nil
			}
		}
	}
	h, err := r.expect(KindString)
	if err != nil {
		return nil, err
	}
	return r.payload(h), nil
}

// payload consumes item h and returns its payload bytes, aliasing the input.
func (r *Reader) payload(h header) []byte {
	start := r.off + h.hlen
	end := start + h.n
	r.off = end
	return r.buf[start:end:end]
}

// ReadString consumes a str and returns a copy of it.
func (r *Reader) ReadString() (string, error) {
	p, err := r.ReadStringBytes()
	return string(p), err
}

// ReadBytes consumes a bin and returns its bytes without copying.
func (r *Reader) ReadBytes() ([]byte, error) {
	h, err := r.expect(KindBytes)
	if err != nil {
		return nil, err
	}
	return r.payload(h), nil
}

// ReadArrayHeader consumes an array header and returns its element count,
// which has been checked against Limits.MaxContainerLen (ErrTooLarge) and
// against the bytes left, at one byte per element (ErrTruncated).
func (r *Reader) ReadArrayHeader() (int, error) {
	h, err := r.expect(KindArray)
	if err != nil {
		return 0, err
	}
	r.off += h.hlen
	return h.n, nil
}

// ReadMapHeader consumes a map header and returns its pair count, checked
// like ReadArrayHeader's at two bytes per pair.
func (r *Reader) ReadMapHeader() (int, error) {
	h, err := r.expect(KindMap)
	if err != nil {
		return 0, err
	}
	r.off += h.hlen
	return h.n, nil
}

// Skip consumes one whole value, including everything nested in it.
func (r *Reader) Skip() error {
	start := r.off
	if err := r.skip(0, 0); err != nil {
		r.off = start
		return err
	}
	return nil
}

func (r *Reader) skip(depth, reserve int) error {
	h, err := r.peekHeader(reserve)
	if err != nil {
		return err
	}
	switch h.kind {
	case KindArray, KindMap:
		if depth >= r.lim.MaxDepth {
			return errAt(r.off, ErrTooDeep, "more than %d nested containers", r.lim.MaxDepth)
		}
		r.off += h.hlen
		n := h.n
		if h.kind == KindMap {
			n *= 2
		}
		for i := range n {
			if err := r.skip(depth+1, reserve+n-i-1); err != nil {
				return err
			}
		}
		return nil
	default:
		r.off += h.size()
		return nil
	}
}

// ReadRaw consumes one whole value and returns its encoded bytes without
// copying. It validates the value exactly as Skip does.
func (r *Reader) ReadRaw() (Raw, error) {
	start := r.off
	if err := r.Skip(); err != nil {
		return nil, err
	}
	return Raw(r.buf[start:r.off:r.off]), nil
}
