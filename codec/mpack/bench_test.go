package mpack

import (
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// entity appends a typical replicated entity: {id, x, y, hp, name}.
func appendEntity(b []byte, id int64, x, y float32, hp int64, name string) []byte {
	b = AppendMapHeader(b, 5)
	b = AppendString(b, "id")
	b = AppendInt(b, id)
	b = AppendString(b, "x")
	b = AppendFloat32(b, x)
	b = AppendString(b, "y")
	b = AppendFloat32(b, y)
	b = AppendString(b, "hp")
	b = AppendInt(b, hp)
	b = AppendString(b, "name")
	return AppendString(b, name)
}

func BenchmarkAppendInt(b *testing.B) {
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendInt(buf[:0], -70000)
	}
}

func BenchmarkAppendString(b *testing.B) {
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendString(buf[:0], "player-position")
	}
}

// BenchmarkAppendEntity8: an array of 8 entities, ~200 bytes, as in a
// room snapshot of 8 players.
func BenchmarkAppendEntity8(b *testing.B) {
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendArrayHeader(buf[:0], 8)
		for i := range 8 {
			buf = appendEntity(buf, int64(i), float32(i)*1.5, -2.25, 100, "player")
		}
	}
	b.SetBytes(int64(len(buf)))
}

var eventPacket = map[string]any{
	"type": 2,
	"nsp":  "/",
	"data": []any{"input", map[string]any{"seq": 1234, "dx": 0.5, "dy": -1.0, "fire": true}},
}

// BenchmarkAppendValueEvent: a Socket.IO msgpack-parser EVENT packet via
// the generic encoder.
func BenchmarkAppendValueEvent(b *testing.B) {
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = AppendValue(buf[:0], eventPacket); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkReadValueEvent(b *testing.B) {
	in, err := AppendValue(nil, eventPacket)
	if err != nil {
		b.Fatal(err)
	}
	r := NewReader(in, Limits{})
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		r.Reset(in)
		if _, err := r.ReadValue(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMsgpackV5UnmarshalEvent is the reference: msgpack/v5 decoding
// the same packet into any (never do this with untrusted input).
func BenchmarkMsgpackV5UnmarshalEvent(b *testing.B) {
	in, err := AppendValue(nil, eventPacket)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		var v any
		if err := msgpack.Unmarshal(in, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadTypedEntity8: streaming typed decode of the 8-entity array,
// no allocation (strings read as aliasing bytes).
func BenchmarkReadTypedEntity8(b *testing.B) {
	var in []byte
	in = AppendArrayHeader(in, 8)
	for i := range 8 {
		in = appendEntity(in, int64(i), float32(i)*1.5, -2.25, 100, "player")
	}
	r := NewReader(in, Limits{})
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		r.Reset(in)
		n, err := r.ReadArrayHeader()
		if err != nil {
			b.Fatal(err)
		}
		for range n {
			fields, err := r.ReadMapHeader()
			if err != nil {
				b.Fatal(err)
			}
			for range fields {
				key, err := r.ReadStringBytes()
				if err != nil {
					b.Fatal(err)
				}
				switch string(key) {
				case "x", "y":
					_, err = r.ReadFloat32()
				case "name":
					_, err = r.ReadStringBytes()
				default:
					_, err = r.ReadInt()
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

func BenchmarkSkipEvent(b *testing.B) {
	in, err := AppendValue(nil, eventPacket)
	if err != nil {
		b.Fatal(err)
	}
	r := NewReader(in, Limits{})
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		r.Reset(in)
		if err := r.Skip(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRejectHostileArray: "dd ff ff ff ff" (4 G elements claimed).
func BenchmarkRejectHostileArray(b *testing.B) {
	in := []byte{0xdd, 0xff, 0xff, 0xff, 0xff}
	r := NewReader(in, Limits{})
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(in)
		if _, err := r.ReadValue(); err == nil {
			b.Fatal("accepted")
		}
	}
}
