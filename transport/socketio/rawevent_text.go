package socketio

import (
	"errors"
	"math"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/roomcast/roomcast/codec/mpack"
	siocodec "github.com/roomcast/roomcast/codec/socketio"
)

// The default parser's raw path: an EVENT text packet without attachments
// whose event has a raw handler is transcoded from JSON to msgpack, value
// by value, into a pooled buffer (no []any or map[string]any), so a raw
// handler sees the same RawArgs with either parser. JSON numbers become
// msgpack integers when they are integers that fit an int64 (else
// float64), as the generic decoder decodes them; strings are unescaped
// the same way.

var errJSON = errors.New("socketio: invalid JSON")

// transcodeBufs holds the msgpack buffers of the text raw path.
var transcodeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// dispatchRawText is dispatchRaw for a default-parser text message.
func (c *client) dispatchRawText(data []byte) bool {
	depth := c.srv.cfg.Limits.MaxDepth
	if depth <= 0 {
		depth = siocodec.DefaultMaxDepth
	}
	bp := transcodeBufs.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 64<<10 {
			transcodeBufs.Put(bp)
		}
	}()
	ev, out, ok := peekRawText(data, depth, (*bp)[:0])
	*bp = out[:0]
	return ok && c.runRaw(ev, depth+1)
}

// peekRawText reads a default-parser EVENT text packet
// (2[/nsp,][id][name, args...]) and transcodes its data to msgpack into
// buf; ok is false for anything the generic decoder should see.
func peekRawText(data []byte, maxDepth int, buf []byte) (ev rawEvent, out []byte, ok bool) {
	out = buf
	if len(data) < 2 || data[0] != '0'+byte(siocodec.Event) {
		return ev, out, false
	}
	i := 1
	if data[i] == '/' {
		start := i
		for i < len(data) && data[i] != ',' {
			i++
		}
		ev.nsp = data[start:i]
		if i < len(data) {
			i++ // ','
		}
	}
	if i < len(data) && isDigit(data[i]) {
		for i < len(data) && isDigit(data[i]) {
			d := uint64(data[i] - '0')
			if ev.id > (math.MaxUint64-d)/10 {
				return ev, out, false // out of range: the generic decoder refuses it
			}
			ev.id = ev.id*10 + d
			i++
		}
		ev.hasID = true
	}
	t := jsonTranscoder{s: data[i:], maxDepth: maxDepth}
	out, err := t.document(out)
	if err != nil {
		return ev, out, false
	}
	r := mpack.NewReader(out, mpack.Limits{MaxDepth: maxDepth + 1})
	an, err := r.ReadArrayHeader()
	if err != nil || an < 1 {
		return ev, out, false
	}
	if ev.name, err = r.ReadStringBytes(); err != nil || siocodec.IsReservedEvent(string(ev.name)) {
		return ev, out, false
	}
	ev.args, ev.nargs = out[r.Offset():], an-1
	return ev, out, true
}

// jsonTranscoder converts one JSON document to msgpack, with the generic
// decoder's rules and depth limit (the outermost container is depth 1).
// Containers and strings get 32-bit headers, patched once their size is
// known (any msgpack reader takes them).
type jsonTranscoder struct {
	s        []byte
	i        int
	depth    int
	maxDepth int
}

func (t *jsonTranscoder) skipSpace() {
	for t.i < len(t.s) {
		switch t.s[t.i] {
		case ' ', '\t', '\n', '\r':
			t.i++
		default:
			return
		}
	}
}

// document transcodes exactly one value spanning the whole input.
func (t *jsonTranscoder) document(dst []byte) ([]byte, error) {
	dst, err := t.value(dst)
	if err != nil {
		return dst, err
	}
	t.skipSpace()
	if t.i != len(t.s) {
		return dst, errJSON
	}
	return dst, nil
}

func (t *jsonTranscoder) value(dst []byte) ([]byte, error) {
	t.skipSpace()
	if t.i >= len(t.s) {
		return dst, errJSON
	}
	switch c := t.s[t.i]; {
	case c == '{':
		return t.object(dst)
	case c == '[':
		return t.array(dst)
	case c == '"':
		return t.str(dst)
	case c == 't':
		return mpack.AppendBool(dst, true), t.literal("true")
	case c == 'f':
		return mpack.AppendBool(dst, false), t.literal("false")
	case c == 'n':
		return mpack.AppendNil(dst), t.literal("null")
	case c == '-' || isDigit(c):
		return t.number(dst)
	}
	return dst, errJSON
}

func (t *jsonTranscoder) literal(lit string) error {
	if len(t.s)-t.i < len(lit) || string(t.s[t.i:t.i+len(lit)]) != lit {
		return errJSON
	}
	t.i += len(lit)
	return nil
}

// header32 appends a 32-bit header with code and a zero size to patch.
func header32(dst []byte, code byte) ([]byte, int) {
	return append(dst, code, 0, 0, 0, 0), len(dst) + 1
}

func patch32(dst []byte, at int, n int) {
	dst[at], dst[at+1], dst[at+2], dst[at+3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
}

func (t *jsonTranscoder) array(dst []byte) ([]byte, error) {
	if t.depth++; t.depth > t.maxDepth {
		return dst, errJSON
	}
	t.i++ // '['
	dst, at := header32(dst, 0xdd)
	n := 0
	t.skipSpace()
	if t.i < len(t.s) && t.s[t.i] == ']' {
		t.i++
		t.depth--
		return dst, nil
	}
	for {
		var err error
		if dst, err = t.value(dst); err != nil {
			return dst, err
		}
		n++
		t.skipSpace()
		if t.i >= len(t.s) {
			return dst, errJSON
		}
		switch t.s[t.i] {
		case ',':
			t.i++
		case ']':
			t.i++
			t.depth--
			patch32(dst, at, n)
			return dst, nil
		default:
			return dst, errJSON
		}
	}
}

func (t *jsonTranscoder) object(dst []byte) ([]byte, error) {
	if t.depth++; t.depth > t.maxDepth {
		return dst, errJSON
	}
	t.i++ // '{'
	dst, at := header32(dst, 0xdf)
	n := 0
	t.skipSpace()
	if t.i < len(t.s) && t.s[t.i] == '}' {
		t.i++
		t.depth--
		return dst, nil
	}
	for {
		t.skipSpace()
		if t.i >= len(t.s) || t.s[t.i] != '"' {
			return dst, errJSON
		}
		var err error
		if dst, err = t.str(dst); err != nil {
			return dst, err
		}
		t.skipSpace()
		if t.i >= len(t.s) || t.s[t.i] != ':' {
			return dst, errJSON
		}
		t.i++
		if dst, err = t.value(dst); err != nil {
			return dst, err
		}
		n++
		t.skipSpace()
		if t.i >= len(t.s) {
			return dst, errJSON
		}
		switch t.s[t.i] {
		case ',':
			t.i++
		case '}':
			t.i++
			t.depth--
			patch32(dst, at, n)
			return dst, nil
		default:
			return dst, errJSON
		}
	}
}

// str transcodes a string, unescaping like the generic decoder (a lone
// surrogate becomes U+FFFD; bytes are copied as they are).
func (t *jsonTranscoder) str(dst []byte) ([]byte, error) {
	t.i++ // opening quote
	dst, at := header32(dst, 0xdb)
	start := len(dst)
	for t.i < len(t.s) {
		c := t.s[t.i]
		switch {
		case c == '"':
			t.i++
			patch32(dst, at, len(dst)-start)
			return dst, nil
		case c < 0x20:
			return dst, errJSON
		case c != '\\':
			dst = append(dst, c)
			t.i++
			continue
		}
		if t.i+1 >= len(t.s) {
			return dst, errJSON
		}
		e := t.s[t.i+1]
		t.i += 2
		switch e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := t.hex4()
			if !ok {
				return dst, errJSON
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(utf8.RuneError)
				if t.i+1 < len(t.s) && t.s[t.i] == '\\' && t.s[t.i+1] == 'u' {
					save := t.i
					t.i += 2
					if lo, ok := t.hex4(); ok {
						if d := utf16.DecodeRune(r, lo); d != utf8.RuneError {
							r2 = d
						} else {
							t.i = save
						}
					} else {
						t.i = save
					}
				}
				r = r2
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, errJSON
		}
	}
	return dst, errJSON
}

func (t *jsonTranscoder) hex4() (rune, bool) {
	if len(t.s)-t.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range t.s[t.i : t.i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	t.i += 4
	return r, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// number transcodes a JSON number: an integer literal that fits int64 as
// a msgpack integer, anything else as float64 (overflow to ±Inf).
func (t *jsonTranscoder) number(dst []byte) ([]byte, error) {
	start := t.i
	if t.s[t.i] == '-' {
		t.i++
	}
	if t.i >= len(t.s) || !isDigit(t.s[t.i]) {
		return dst, errJSON
	}
	if t.s[t.i] == '0' {
		t.i++
	} else {
		for t.i < len(t.s) && isDigit(t.s[t.i]) {
			t.i++
		}
	}
	integer := true
	if t.i < len(t.s) && t.s[t.i] == '.' {
		integer = false
		t.i++
		if t.i >= len(t.s) || !isDigit(t.s[t.i]) {
			return dst, errJSON
		}
		for t.i < len(t.s) && isDigit(t.s[t.i]) {
			t.i++
		}
	}
	if t.i < len(t.s) && (t.s[t.i] == 'e' || t.s[t.i] == 'E') {
		integer = false
		t.i++
		if t.i < len(t.s) && (t.s[t.i] == '+' || t.s[t.i] == '-') {
			t.i++
		}
		if t.i >= len(t.s) || !isDigit(t.s[t.i]) {
			return dst, errJSON
		}
		for t.i < len(t.s) && isDigit(t.s[t.i]) {
			t.i++
		}
	}
	text := t.s[start:t.i]
	if integer {
		if n, ok := parseInt64(text); ok {
			return mpack.AppendInt(dst, n), nil
		}
	}
	// The string aliases text only for this call (an error, which could
	// keep it, is dropped): no allocation per float.
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(text), len(text)), 64)
	if err != nil && !math.IsInf(f, 0) {
		return dst, errJSON
	}
	return mpack.AppendFloat64(dst, f), nil
}

// parseInt64 parses an optionally negative decimal integer that fits an
// int64, without allocating.
func parseInt64(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}
