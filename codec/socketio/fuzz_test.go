package siocodec

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzDecodeDefault feeds data to a Decoder as one Engine.IO message
// sequence: data is split at each 0x1E byte; the first piece is a text frame
// (the Socket.IO packet without Engine.IO's "4"), each further piece a binary
// frame (an attachment). Seeds recorded from the real socket.io-parser
// encoder use the same layout (testdata/fuzz/FuzzDecodeDefault/recorded-*, cut from the real client by make seeds).
func FuzzDecodeDefault(f *testing.F) {
	for _, s := range []string{
		"0", `0{"token":"abc"}`, "0/admin,", `2["hello",1,2.5,{"a":[true,null]}]`, `212["ev"]`, `3/admin,7["ok"]`,
		"51-[\"bin\",{\"_placeholder\":true,\"num\":0}]\x1e\x01\x02\x03",
		"62-/g,4[{\"_placeholder\":true,\"num\":1},{\"_placeholder\":true,\"num\":0}]\x1eab\x1ecd",
		"1", "1/admin,", `4{"message":"no"}`, `2["\ud83d\ude00"]`, "511-[]", `2["x"` + "\x1e",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pieces := bytes.Split(data, []byte{0x1e})
		d := NewDecoder(Limits{})
		var (
			p    Packet
			done bool
			err  error
		)
		for i, piece := range pieces {
			p, done, err = d.Decode(piece, i > 0)
			if err != nil || done {
				break
			}
		}
		if err != nil || !done {
			return
		}
		// Re-encoding a decoded packet must succeed and be stable.
		text1, atts1, err := AppendDefault(nil, &p)
		require.NoError(t, err)
		p2 := decodeFrames(t, text1, atts1)
		text2, atts2, err := AppendDefault(nil, &p2)
		require.NoError(t, err)
		p3 := decodeFrames(t, text2, atts2)
		text3, _, err := AppendDefault(nil, &p3)
		require.NoError(t, err)
		require.Equal(t, string(text2), string(text3))
		// The msgpack parser must carry the same packet.
		mp, err := AppendMsgpack(nil, &p2)
		require.NoError(t, err)
		_, err = DecodeMsgpack(mp, Limits{})
		require.NoError(t, err)
	})
}

func decodeFrames(t *testing.T, text []byte, atts [][]byte) Packet {
	d := NewDecoder(Limits{MaxAttachments: 1 << 20})
	p, done, err := d.Decode(text, false)
	require.NoError(t, err, "text %q", text)
	for _, a := range atts {
		require.False(t, done)
		p, done, err = d.Decode(a, true)
		require.NoError(t, err)
	}
	require.True(t, done)
	return p
}

// FuzzDecodeMsgpack decodes data as one socket.io-msgpack-parser packet
// (the Engine.IO binary message). Decoded packets must re-encode and decode
// to the same packet.
func FuzzDecodeMsgpack(f *testing.F) {
	for _, h := range []string{
		"82a47479706500a36e7370a12f",
		"83a47479706500a464617461d40000a36e7370a12f",
		"85a47479706502a46461746191a178a76f7074696f6e7381a8636f6d7072657373c3a36e7370a62f61646d696ea2696405",
		"83a47479706502a46461746191a178a26964d40000",
		"83a47479706503a46461746192c4020102cb3ff8000000000000a36e7370a12f",
		"dfffffffff", "81a47479706507", "9100",
	} {
		f.Add(mustHexF(h))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := DecodeMsgpack(data, Limits{})
		if err != nil {
			return
		}
		b, err := AppendMsgpack(nil, &p)
		require.NoError(t, err)
		p2, err := DecodeMsgpack(b, Limits{})
		require.NoError(t, err)
		require.Equal(t, p, p2)
		// and the default parser can carry it
		_, _, err = AppendDefault(nil, &p)
		require.NoError(t, err)
	})
}

func mustHexF(s string) []byte {
	b := make([]byte, len(s)/2)
	for i := range b {
		b[i] = unhex(s[2*i])<<4 | unhex(s[2*i+1])
	}
	return b
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return 0
}
