package eiocodec

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestDecodeFrame(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     string
		binary bool
		want   Packet
		err    error
	}{
		{"open", `0{"sid":"x"}`, false, Packet{Type: Open, Data: []byte(`{"sid":"x"}`)}, nil},
		{"close", "1", false, Packet{Type: Close, Data: []byte{}}, nil},
		{"ping probe", "2probe", false, Packet{Type: Ping, Data: []byte("probe")}, nil},
		{"pong", "3", false, Packet{Type: Pong, Data: []byte{}}, nil},
		{"message", "4hello", false, Packet{Type: Message, Data: []byte("hello")}, nil},
		{"upgrade", "5", false, Packet{Type: Upgrade, Data: []byte{}}, nil},
		{"noop", "6", false, Packet{Type: Noop, Data: []byte{}}, nil},
		{"binary", "\x00\x01", true, Packet{Type: Message, Data: []byte{0, 1}, Binary: true}, nil},
		{"empty binary", "", true, Packet{Type: Message, Data: []byte{}, Binary: true}, nil},
		{"empty text", "", false, Packet{}, ErrInvalidPacket},
		{"type 7", "7", false, Packet{}, ErrInvalidPacket},
		{"type letter", "x", false, Packet{}, ErrInvalidPacket},
		{"type below digit", "/", false, Packet{}, ErrInvalidPacket},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := DecodeFrame([]byte(tc.in), tc.binary)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want.Type, p.Type)
			require.Equal(t, tc.want.Binary, p.Binary)
			require.Equal(t, string(tc.want.Data), string(p.Data))
		})
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name    string
		packets []Packet
		wire    string
	}{
		{"one message", []Packet{{Type: Message, Data: []byte("hi")}}, "4hi"},
		{"ping", []Packet{{Type: Ping}}, "2"},
		{"mixed", []Packet{
			{Type: Message, Data: []byte("hello")},
			{Type: Message, Data: []byte{1, 2, 3, 4}, Binary: true},
			{Type: Pong},
			{Type: Message, Data: []byte("€")},
		}, "4hello\x1ebAQIDBA==\x1e3\x1e4€"},
		{"empty binary", []Packet{{Type: Message, Data: nil, Binary: true}}, "b"},
		{"empty message", []Packet{{Type: Message}, {Type: Message}}, "4\x1e4"},
		{"noop and close", []Packet{{Type: Noop}, {Type: Close}}, "6\x1e1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wire := AppendPayload(nil, tc.packets...)
			require.Equal(t, tc.wire, string(wire))
			var got []Packet
			var d PayloadDecoder
			err := d.Decode(wire, 0, func(p Packet) error {
				p.Data = append([]byte(nil), p.Data...)
				got = append(got, p)
				return nil
			})
			require.NoError(t, err)
			require.Len(t, got, len(tc.packets))
			for i := range got {
				require.Equal(t, tc.packets[i].Type, got[i].Type)
				require.Equal(t, tc.packets[i].Binary, got[i].Binary)
				require.Equal(t, string(tc.packets[i].Data), string(got[i].Data))
			}
		})
	}
}

func TestPayloadErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		max  int
		err  error
		seen int // packets delivered before the error
	}{
		{"empty", "", 0, ErrInvalidPacket, 0},
		{"trailing separator", "4a\x1e", 0, ErrInvalidPacket, 0},
		{"empty packet in the middle", "4a\x1e\x1e4b", 0, ErrInvalidPacket, 1},
		{"leading separator", "\x1e4a", 0, ErrInvalidPacket, 0},
		{"bad type", "4a\x1e9", 0, ErrInvalidPacket, 1},
		{"bad base64", "b!!!!", 0, ErrInvalidPacket, 0},
		{"truncated base64", "bAQI", 0, ErrInvalidPacket, 0},
		{"too large", strings.Repeat("4", 11), 10, ErrTooLarge, 0},
		{"exactly max", strings.Repeat("4", 10), 10, nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d PayloadDecoder
			seen := 0
			err := d.Decode([]byte(tc.in), tc.max, func(Packet) error { seen++; return nil })
			if tc.err == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.err)
			}
			require.Equal(t, tc.seen, seen)
		})
	}
}

func TestPayloadCallbackErrorStops(t *testing.T) {
	stop := errors.New("stop")
	var d PayloadDecoder
	seen := 0
	err := d.Decode([]byte("4a\x1e4b\x1e4c"), 0, func(Packet) error {
		seen++
		if seen == 2 {
			return stop
		}
		return nil
	})
	require.ErrorIs(t, err, stop)
	require.Equal(t, 2, seen)
}

func TestPacketTypeString(t *testing.T) {
	require.Equal(t, "message", Message.String())
	require.Equal(t, "PacketType(9)", PacketType(9).String())
}
