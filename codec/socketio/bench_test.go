package siocodec

import (
	"testing"

	"github.com/roomcast/roomcast/codec/mpack"
)

var benchPackets = []struct {
	name string
	p    Packet
}{
	{"connect-reply", Packet{Type: Connect, Nsp: "/", Data: map[string]any{"sid": "wZX3oN0bSVIhsaknAAAI"}}},
	{"event-small", Packet{Type: Event, Nsp: "/", Data: []any{"input", int64(42), map[string]any{"dx": 0.5, "dy": -1.0}}}},
	{"event-ack-id", Packet{Type: Event, Nsp: "/", HasID: true, ID: 17, Data: []any{"rooms.join", "arena", map[string]any{"name": "bot-0001"}}}},
	{"ack", Packet{Type: Ack, Nsp: "/", HasID: true, ID: 17, Data: []any{map[string]any{"ok": true, "roomId": "r1", "tickRate": int64(20)}}}},
	{"binary-event", Packet{Type: Event, Nsp: "/", Data: []any{"delta", make([]byte, 100)}}},
	{"raw-event", Packet{Type: Event, Nsp: "/", Data: []any{"delta", mpack.Raw(append([]byte{0xc4, 98}, make([]byte, 98)...))}}},
}

func BenchmarkAppendDefault(b *testing.B) {
	for _, bp := range benchPackets {
		b.Run(bp.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 512)
			for b.Loop() {
				text, _, err := AppendDefault(buf[:0], &bp.p)
				if err != nil {
					b.Fatal(err)
				}
				buf = text
			}
		})
	}
}

func BenchmarkAppendMsgpack(b *testing.B) {
	for _, bp := range benchPackets {
		b.Run(bp.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 512)
			for b.Loop() {
				out, err := AppendMsgpack(buf[:0], &bp.p)
				if err != nil {
					b.Fatal(err)
				}
				buf = out
			}
		})
	}
}

func BenchmarkDecodeDefault(b *testing.B) {
	for _, bp := range benchPackets {
		text, atts, err := AppendDefault(nil, &bp.p)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bp.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(text)))
			d := NewDecoder(Limits{})
			for b.Loop() {
				_, done, err := d.Decode(text, false)
				for _, a := range atts {
					_, done, err = d.Decode(a, true)
				}
				if err != nil || !done {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeMsgpack(b *testing.B) {
	for _, bp := range benchPackets {
		data, err := AppendMsgpack(nil, &bp.p)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bp.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := DecodeMsgpack(data, Limits{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
