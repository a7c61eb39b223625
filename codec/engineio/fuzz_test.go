package eiocodec

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodePacket decodes one WebSocket frame: the first byte of the input
// selects the frame kind (odd = binary), the rest is the frame. A decoded
// packet re-encodes to the frame it came from.
func FuzzDecodePacket(f *testing.F) {
	for _, s := range []string{"\x004hello", "\x002probe", "\x003probe", "\x005", "\x006", "\x001", "\x00", "\x009", "\x01\x00\xff", "\x01"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		binary, frame := data[0]&1 == 1, data[1:]
		p, err := DecodeFrame(frame, binary)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidPacket)
			return
		}
		if binary {
			require.Equal(t, frame, p.Data)
			return
		}
		require.Equal(t, string(frame), string(AppendText(nil, p)))
	})
}

// FuzzDecodePayload decodes a polling payload; whatever decodes re-encodes
// and decodes to the same packets.
func FuzzDecodePayload(f *testing.F) {
	for _, s := range []string{
		"4hello", "4a\x1e4b", "bAQIDBA==", "4hello\x1ebAQIDBA==\x1e3\x1e4€", "2", "3\x1e6", "1",
		"b", "4a\x1e", "\x1e", "b!!", "bAQI", "4\x1e\x1e4", "7", `0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`,
	} {
		f.Add([]byte(s))
	}
	const max = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		var d PayloadDecoder
		var got []Packet
		err := d.Decode(data, max, func(p Packet) error {
			p.Data = append([]byte(nil), p.Data...)
			got = append(got, p)
			return nil
		})
		if err != nil {
			if len(data) > max {
				require.ErrorIs(t, err, ErrTooLarge)
			} else {
				require.ErrorIs(t, err, ErrInvalidPacket)
			}
			return
		}
		require.NotEmpty(t, got)
		wire := AppendPayload(nil, got...)
		var again []Packet
		require.NoError(t, d.Decode(wire, 0, func(p Packet) error {
			p.Data = append([]byte(nil), p.Data...)
			again = append(again, p)
			return nil
		}))
		require.Equal(t, len(got), len(again))
		for i := range got {
			require.Equal(t, got[i].Type, again[i].Type)
			require.Equal(t, got[i].Binary, again[i].Binary)
			require.Equal(t, got[i].Data, again[i].Data)
		}
	})
}
