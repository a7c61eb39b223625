package socketio

import (
	"errors"
	"math"
	"sync"

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

// transcodeBufs holds a Server's msgpack buffers of the text raw path;
// the zero value is ready.
type transcodeBufs struct{ pool sync.Pool }

func (b *transcodeBufs) get() *[]byte {
	if bp, ok := b.pool.Get().(*[]byte); ok {
		return bp
	}
	buf := make([]byte, 0, 256)
	return &buf
}

// put keeps bp for reuse unless it grew past 64 KiB.
func (b *transcodeBufs) put(bp *[]byte) {
	if cap(*bp) <= 64<<10 {
		b.pool.Put(bp)
	}
}

// dispatchRawText is dispatchRaw for a default-parser text message.
func (c *client) dispatchRawText(data []byte) bool {
	depth := c.srv.cfg.Limits.MaxDepth
	if depth <= 0 {
		depth = siocodec.DefaultMaxDepth
	}
	bp := c.srv.textBufs.get()
	defer c.srv.textBufs.put(bp)
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
	t := jsonTranscoder{sc: siocodec.NewJSONScanner(data[i:], maxDepth)}
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

// jsonTranscoder converts one JSON document to msgpack, its tokens read
// by the generic decoder's siocodec.JSONScanner (so the same rules and
// depth limit). Containers and strings get 32-bit headers, patched once
// their size is known (any msgpack reader takes them).
type jsonTranscoder struct {
	sc siocodec.JSONScanner
}

// document transcodes exactly one value spanning the whole input.
func (t *jsonTranscoder) document(dst []byte) ([]byte, error) {
	dst, err := t.value(dst)
	if err != nil {
		return dst, err
	}
	return dst, t.sc.End()
}

func (t *jsonTranscoder) value(dst []byte) ([]byte, error) {
	c, ok := t.sc.Peek()
	if !ok {
		return dst, errJSON
	}
	switch {
	case c == '{':
		return t.container(dst, true)
	case c == '[':
		return t.container(dst, false)
	case c == '"':
		return t.str(dst)
	case c == 't':
		return mpack.AppendBool(dst, true), t.sc.Literal("true")
	case c == 'f':
		return mpack.AppendBool(dst, false), t.sc.Literal("false")
	case c == 'n':
		return mpack.AppendNil(dst), t.sc.Literal("null")
	case c == '-' || isDigit(c):
		n, err := t.sc.Number()
		if err != nil {
			return dst, err
		}
		if n.IsInt {
			return mpack.AppendInt(dst, n.Int), nil
		}
		return mpack.AppendFloat64(dst, n.Float), nil
	}
	return dst, errJSON
}

// header32 appends a 32-bit header with code and a zero size to patch.
func header32(dst []byte, code byte) ([]byte, int) {
	return append(dst, code, 0, 0, 0, 0), len(dst) + 1
}

func patch32(dst []byte, at int, n int) {
	dst[at], dst[at+1], dst[at+2], dst[at+3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
}

// container transcodes an array (or with object, an object) to a msgpack
// array32 (map32) of its elements (members).
func (t *jsonTranscoder) container(dst []byte, object bool) ([]byte, error) {
	code, end := byte(0xdd), byte(']')
	if object {
		code, end = 0xdf, '}'
	}
	if err := t.sc.Enter(); err != nil {
		return dst, err
	}
	t.sc.Skip() // '[' or '{'
	dst, at := header32(dst, code)
	if c, ok := t.sc.Peek(); ok && c == end {
		t.sc.Skip()
		t.sc.Leave()
		return dst, nil
	}
	for n := 1; ; n++ {
		var err error
		if object {
			dst, err = t.member(dst)
		} else {
			dst, err = t.value(dst)
		}
		if err != nil {
			return dst, err
		}
		c, ok := t.sc.Peek()
		switch {
		case ok && c == ',':
			t.sc.Skip()
		case ok && c == end:
			t.sc.Skip()
			t.sc.Leave()
			patch32(dst, at, n)
			return dst, nil
		default:
			return dst, errJSON
		}
	}
}

// member transcodes an object's "key": value.
func (t *jsonTranscoder) member(dst []byte) ([]byte, error) {
	if c, ok := t.sc.Peek(); !ok || c != '"' {
		return dst, errJSON
	}
	dst, err := t.str(dst)
	if err != nil {
		return dst, err
	}
	if c, ok := t.sc.Peek(); !ok || c != ':' {
		return dst, errJSON
	}
	t.sc.Skip()
	return t.value(dst)
}

// str transcodes a string, unescaped by the scanner.
func (t *jsonTranscoder) str(dst []byte) ([]byte, error) {
	dst, at := header32(dst, 0xdb)
	start := len(dst)
	dst, err := t.sc.AppendString(dst)
	if err != nil {
		return dst, err
	}
	patch32(dst, at, len(dst)-start)
	return dst, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
