package eiocodec

import (
	"bytes"
	"testing"
)

func BenchmarkDecodeFrameText(b *testing.B) {
	frame := []byte(`42["move",{"x":12,"y":7}]`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeFrame(frame, false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendPayload(b *testing.B) {
	packets := []Packet{
		{Type: Message, Data: []byte(`2["delta",{"_placeholder":true,"num":0},17]`)},
		{Type: Message, Data: bytes.Repeat([]byte{7}, 100), Binary: true},
		{Type: Ping},
	}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendPayload(buf[:0], packets...)
	}
}

func BenchmarkDecodePayload(b *testing.B) {
	payload := AppendPayload(nil,
		Packet{Type: Message, Data: []byte(`2["delta",{"_placeholder":true,"num":0},17]`)},
		Packet{Type: Message, Data: bytes.Repeat([]byte{7}, 100), Binary: true},
		Packet{Type: Pong},
	)
	var d PayloadDecoder
	count := func(Packet) error { return nil }
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Decode(payload, 1e6, count); err != nil {
			b.Fatal(err)
		}
	}
}
