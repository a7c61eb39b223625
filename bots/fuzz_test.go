package bots

import (
	"fmt"
	"testing"

	siocodec "github.com/roomcast/roomcast/codec/socketio"
)

// FuzzParseMsgpackState feeds arbitrary bytes to the state-frame fast path:
// it never panics, and whatever it accepts the generic decoder decodes to
// the same event, state and ack.
func FuzzParseMsgpackState(f *testing.F) {
	for _, p := range []siocodec.Packet{
		{Type: siocodec.Event, Nsp: "/", Data: []any{"delta", []byte{0x93, 1, 2, 3}, uint64(7)}},
		{Type: siocodec.Event, Nsp: "/", Data: []any{"snapshot", []byte{0x92, 1, 2}, uint64(0)}},
		{Type: siocodec.Event, Nsp: "/", Data: []any{"msg", "x", int64(1)}},
		{Type: siocodec.Event, Nsp: "/", Data: []any{"delta", []byte{0x92, 1, 2}, uint64(3), "00ff00ff00ff00ff"}},
	} {
		b, err := siocodec.AppendMsgpack(nil, &p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	g, err := NewGame(GameConfig{Client: Config{URL: "http://127.0.0.1:1"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, ok := g.parseMsgpackState(data, "/")
		if !ok {
			return
		}
		kind, state, ack := fr.kind, fr.state, fr.ack
		p, err := siocodec.DecodeMsgpack(data, siocodec.Limits{})
		if err != nil {
			t.Fatalf("fast path accepted what the decoder rejects: %v", err)
		}
		args, _ := p.Data.([]any)
		if len(args) != 3+boolInt(fr.hasSum) || args[0] != kind || string(args[1].([]byte)) != string(state) {
			t.Fatalf("fast path %q %x %d, decoder %#v", kind, state, ack, p.Data)
		}
		if fr.hasSum && args[3] != fmt.Sprintf("%016x", fr.sum) {
			t.Fatalf("checksum %016x, decoder %#v", fr.sum, args[3])
		}
		switch a := args[2].(type) {
		case int64:
			if uint64(a) != ack {
				t.Fatalf("ack %d vs %d", ack, a)
			}
		case uint64:
			if a != ack {
				t.Fatalf("ack %d vs %d", ack, a)
			}
		default:
			t.Fatalf("ack %T", a)
		}
	})
}

// FuzzOnRawDefault feeds text and binary frames to the default-parser fast
// path: it never panics and consumes a binary frame only after a state
// header.
func FuzzOnRawDefault(f *testing.F) {
	f.Add([]byte(`51-["delta",{"_placeholder":true,"num":0},12]`), []byte{0x93, 1, 2, 3})
	f.Add([]byte(`51-["snapshot",{"_placeholder":true,"num":0},0]`), []byte{})
	f.Add([]byte(`51-["delta",{"_placeholder":true,"num":0},x]`), []byte{1})
	f.Add([]byte(`2["msg","a",1]`), []byte{1})
	f.Add([]byte(`51-["delta",{"_placeholder":true,"num":0},12,"0123456789abcdef"]`), []byte{0x92, 1, 2})
	f.Add([]byte(`51-["delta",{"_placeholder":true,"num":0},12,"0123456789ABCDEF"]`), []byte{0x92, 1, 2})
	f.Fuzz(func(t *testing.T, text, bin []byte) {
		g, err := NewGame(GameConfig{Client: Config{URL: "http://127.0.0.1:1", Parser: ParserDefault}})
		if err != nil {
			t.Fatal(err)
		}
		c, err := New(g.cfg.Client)
		if err != nil {
			t.Fatal(err)
		}
		g.cli.Store(c)
		header := g.onRaw(text, false)
		consumed := g.onRaw(bin, true)
		if consumed != header {
			t.Fatalf("header %v, binary consumed %v", header, consumed)
		}
		if header && g.Stats().Deltas+g.Stats().Snapshots != 1 {
			t.Fatal("state frame not counted")
		}
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
