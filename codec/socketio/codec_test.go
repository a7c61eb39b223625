package siocodec

import (
	"encoding/hex"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/codec/mpack"
)

func TestAppendDefault_SpecExamples(t *testing.T) {
	bin := []byte{1, 2, 3, 4}
	tests := []struct {
		name string
		p    Packet
		text string
		atts [][]byte
	}{
		{"connect main", Packet{Type: Connect, Nsp: "/"}, "0", nil},
		{"connect reply", Packet{Type: Connect, Data: map[string]any{"sid": "wZX3oN0bSVIhsaknAAAI"}}, `0{"sid":"wZX3oN0bSVIhsaknAAAI"}`, nil},
		{"connect admin", Packet{Type: Connect, Nsp: "/admin"}, "0/admin,", nil},
		{"connect admin reply", Packet{Type: Connect, Nsp: "/admin", Data: map[string]any{"sid": "oSO0OpakMV_3jnilAAAA"}}, `0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}`, nil},
		{"connect error", Packet{Type: ConnectError, Data: map[string]any{"message": "Not authorized"}}, `4{"message":"Not authorized"}`, nil},
		{"event", Packet{Type: Event, Data: []any{"foo"}}, `2["foo"]`, nil},
		{"event admin", Packet{Type: Event, Nsp: "/admin", Data: []any{"bar"}}, `2/admin,["bar"]`, nil},
		{"binary event", Packet{Type: Event, Data: []any{"baz", bin}}, `51-["baz",{"_placeholder":true,"num":0}]`, [][]byte{bin}},
		{"binary event admin 2", Packet{Type: Event, Nsp: "/admin", Data: []any{"baz", []byte{1, 2}, []byte{3, 4}}},
			`52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, [][]byte{{1, 2}, {3, 4}}},
		{"event with id", Packet{Type: Event, HasID: true, ID: 12, Data: []any{"foo"}}, `212["foo"]`, nil},
		{"ack empty", Packet{Type: Ack, HasID: true, ID: 12, Data: []any{}}, `312[]`, nil},
		{"event admin id", Packet{Type: Event, Nsp: "/admin", HasID: true, ID: 13, Data: []any{"foo"}}, `2/admin,13["foo"]`, nil},
		{"ack admin", Packet{Type: Ack, Nsp: "/admin", HasID: true, ID: 13, Data: []any{"bar"}}, `3/admin,13["bar"]`, nil},
		{"binary event id", Packet{Type: Event, HasID: true, ID: 14, Data: []any{"foo", bin}}, `51-14["foo",{"_placeholder":true,"num":0}]`, [][]byte{bin}},
		{"binary ack", Packet{Type: Ack, HasID: true, ID: 15, Data: []any{"bar", bin}}, `61-15["bar",{"_placeholder":true,"num":0}]`, [][]byte{bin}},
		{"disconnect", Packet{Type: Disconnect}, "1", nil},
		{"disconnect admin", Packet{Type: Disconnect, Nsp: "/admin"}, "1/admin,", nil},
		{"raw as attachment", Packet{Type: Event, Data: []any{"s", mpack.Raw{0x93, 1, 2, 3}}}, `51-["s",{"_placeholder":true,"num":0}]`, [][]byte{{0x93, 1, 2, 3}}},
		{"scalars", Packet{Type: Event, Data: []any{"x", nil, true, false, int8(-3), uint16(7), 1.5, float32(0.25), "é\"\n\x01"}},
			`2["x",null,true,false,-3,7,1.5,0.25,"é\"\n\u0001"]`, nil},
		{"sorted map", Packet{Type: Event, Data: []any{"m", map[string]any{"b": 1, "a": []any{}}}}, `2["m",{"a":[],"b":1}]`, nil},
		{"non-finite", Packet{Type: Event, Data: []any{"f", math.NaN(), math.Inf(1), 1e21, 1e-7}}, `2["f",null,null,1e+21,1e-7]`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text, atts, err := AppendDefault(nil, &tc.p)
			require.NoError(t, err)
			assert.Equal(t, tc.text, string(text))
			assert.Equal(t, tc.atts, atts)
		})
	}
}

func decodeAll(t *testing.T, d *Decoder, text string, atts ...[]byte) Packet {
	t.Helper()
	p, done, err := d.Decode([]byte(text), false)
	require.NoError(t, err)
	for i, a := range atts {
		require.False(t, done, "done before attachment %d", i)
		p, done, err = d.Decode(a, true)
		require.NoError(t, err)
	}
	require.True(t, done)
	return p
}

func TestDecoder_SpecExamples(t *testing.T) {
	bin := []byte{1, 2, 3, 4}
	tests := []struct {
		name string
		text string
		atts [][]byte
		want Packet
	}{
		{"connect", "0", nil, Packet{Type: Connect, Nsp: "/"}},
		{"connect auth", `0{"token":"123"}`, nil, Packet{Type: Connect, Nsp: "/", Data: map[string]any{"token": "123"}}},
		{"connect admin", "0/admin,", nil, Packet{Type: Connect, Nsp: "/admin"}},
		{"connect admin no comma", "0/admin", nil, Packet{Type: Connect, Nsp: "/admin"}},
		{"connect admin auth", `0/admin,{"token":"123"}`, nil, Packet{Type: Connect, Nsp: "/admin", Data: map[string]any{"token": "123"}}},
		{"event", `2["foo"]`, nil, Packet{Type: Event, Nsp: "/", Data: []any{"foo"}}},
		{"event id", `212["foo",1,-2,3.5,1e2,true,null,{"a":[]}]`, nil, Packet{Type: Event, Nsp: "/", HasID: true, ID: 12,
			Data: []any{"foo", int64(1), int64(-2), 3.5, 100.0, true, nil, map[string]any{"a": []any{}}}}},
		{"event admin id", `2/admin,13["foo"]`, nil, Packet{Type: Event, Nsp: "/admin", HasID: true, ID: 13, Data: []any{"foo"}}},
		{"numeric event name", `2[1]`, nil, Packet{Type: Event, Nsp: "/", Data: []any{int64(1)}}},
		{"ack", `312[]`, nil, Packet{Type: Ack, Nsp: "/", HasID: true, ID: 12, Data: []any{}}},
		{"binary event", `51-["baz",{"_placeholder":true,"num":0}]`, [][]byte{bin}, Packet{Type: Event, Nsp: "/", Data: []any{"baz", bin}}},
		{"binary two admin", `52-/admin,["baz",{"_placeholder":true,"num":1},{"num":0,"_placeholder":true}]`, [][]byte{{1}, {2}},
			Packet{Type: Event, Nsp: "/admin", Data: []any{"baz", []byte{2}, []byte{1}}}},
		{"binary nested", `61-15["bar",{"x":[{"_placeholder":true,"num":0}]}]`, [][]byte{bin},
			Packet{Type: Ack, Nsp: "/", HasID: true, ID: 15, Data: []any{"bar", map[string]any{"x": []any{bin}}}}},
		{"binary zero attachments", `50-["x"]`, nil, Packet{Type: Event, Nsp: "/", Data: []any{"x"}}},
		{"disconnect", "1", nil, Packet{Type: Disconnect, Nsp: "/"}},
		{"disconnect admin", "1/admin,", nil, Packet{Type: Disconnect, Nsp: "/admin"}},
		{"connect error string", `4"nope"`, nil, Packet{Type: ConnectError, Nsp: "/", Data: "nope"}},
		{"escapes", `2["\u00e9\ud83d\ude00\n\"\\\/", "\ud800x"]`, nil, Packet{Type: Event, Nsp: "/", Data: []any{"é😀\n\"\\/", "\uFFFDx"}}},
		{"big int", `2["n",9223372036854775808,-12345678901234567890]`, nil, Packet{Type: Event, Nsp: "/", Data: []any{"n", 9223372036854775808.0, -12345678901234567890.0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(Limits{})
			got := decodeAll(t, d, tc.text, tc.atts...)
			assert.Equal(t, tc.want, got)
			assert.False(t, d.Pending())
		})
	}
}

func TestDecoder_Errors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want error
	}{
		{"empty", "", ErrInvalidPacket},
		{"bad type", "7", ErrInvalidPacket},
		{"letter type", "x", ErrInvalidPacket},
		{"event no data", "2", ErrInvalidPacket},
		{"event empty array", "2[]", ErrInvalidPacket},
		{"event name out of float64 range", "2[1e700]", ErrInvalidPacket},
		{"event name out of float64 range, negative", "2[-1e700]", ErrInvalidPacket},
		{"event object", `2{"a":1}`, ErrInvalidPacket},
		{"reserved", `2["disconnect"]`, ErrInvalidPacket},
		{"event name bool", `2[true]`, ErrInvalidPacket},
		{"connect array", `0[1]`, ErrInvalidPacket},
		{"disconnect data", `1{}`, ErrInvalidPacket},
		{"ack no id", `3[]`, ErrInvalidPacket},
		{"ack not array", `31{}`, ErrInvalidPacket},
		{"bad json", `2["a"`, ErrInvalidPacket},
		{"trailing", `2["a"]x`, ErrInvalidPacket},
		{"attachments no dash", `51["a"]`, ErrInvalidPacket},
		{"attachments none", `5-["a"]`, ErrInvalidPacket},
		{"too many attachments", `511-["a"]`, ErrTooManyAttachments},
		{"huge attachments", `599999999999-["a"]`, ErrTooManyAttachments},
		{"id overflow", `299999999999999999999999["a"]`, ErrInvalidPacket},
		{"too deep", "2[" + repeat("[", 40) + repeat("]", 40) + "]", ErrTooDeep},
		{"control char", "2[\"a\x01\"]", ErrInvalidPacket},
		{"bad escape", `2["\x"]`, ErrInvalidPacket},
		{"leading zero", `2["a",01]`, ErrInvalidPacket},
		{"bad literal", `2["a",tru]`, ErrInvalidPacket},
		{"connect error number", `41`, ErrInvalidPacket},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := NewDecoder(Limits{})
			_, _, err := d.Decode([]byte(tc.text), false)
			require.Error(t, err)
			assert.True(t, errors.Is(err, tc.want), "got %v", err)
		})
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

func TestDecoder_AttachmentSequence(t *testing.T) {
	t.Run("binary frame without packet", func(t *testing.T) {
		d := NewDecoder(Limits{})
		_, _, err := d.Decode([]byte{1}, true)
		require.ErrorIs(t, err, ErrUnexpectedFrame)
	})
	t.Run("text while pending", func(t *testing.T) {
		d := NewDecoder(Limits{})
		_, done, err := d.Decode([]byte(`51-["a",{"_placeholder":true,"num":0}]`), false)
		require.NoError(t, err)
		require.False(t, done)
		require.True(t, d.Pending())
		_, _, err = d.Decode([]byte(`2["a"]`), false)
		require.ErrorIs(t, err, ErrUnexpectedFrame)
		require.False(t, d.Pending())
	})
	t.Run("placeholder out of range", func(t *testing.T) {
		d := NewDecoder(Limits{})
		_, _, err := d.Decode([]byte(`51-["a",{"_placeholder":true,"num":1}]`), false)
		require.NoError(t, err)
		_, _, err = d.Decode([]byte{9}, true)
		require.ErrorIs(t, err, ErrInvalidPacket)
	})
	t.Run("attachment copied", func(t *testing.T) {
		d := NewDecoder(Limits{})
		_, _, err := d.Decode([]byte(`51-["a",{"_placeholder":true,"num":0}]`), false)
		require.NoError(t, err)
		buf := []byte{7, 7}
		p, done, err := d.Decode(buf, true)
		require.NoError(t, err)
		require.True(t, done)
		buf[0] = 0
		assert.Equal(t, []any{"a", []byte{7, 7}}, p.Data)
	})
}

func TestDefault_RoundTrip(t *testing.T) {
	pkts := []Packet{
		{Type: Event, Nsp: "/game", HasID: true, ID: 99, Data: []any{"move", map[string]any{"x": 1.25, "y": int64(-3), "tags": []any{"a", "b"}}, []byte("bin")}},
		{Type: Ack, Nsp: "/", HasID: true, ID: 0, Data: []any{[]byte{}, nil}},
		{Type: ConnectError, Nsp: "/x", Data: map[string]any{"message": "m", "data": map[string]any{"code": int64(4)}}},
	}
	for _, p := range pkts {
		text, atts, err := AppendDefault(nil, &p)
		require.NoError(t, err)
		d := NewDecoder(Limits{})
		got := decodeAll(t, d, string(text), atts...)
		assert.Equal(t, p, got)
	}
}

func TestMsgpack_RoundTripAndWire(t *testing.T) {
	p := Packet{Type: Event, Nsp: "/", Data: []any{"hi", int64(1)}}
	b, err := AppendMsgpack(nil, &p)
	require.NoError(t, err)
	// {type:2, data:["hi",1], nsp:"/"}
	assert.Equal(t, "83a47479706502a46461746192a2686901a36e7370a12f", hex.EncodeToString(b))
	got, err := DecodeMsgpack(b, Limits{})
	require.NoError(t, err)
	assert.Equal(t, p, got)

	raw := Packet{Type: Ack, Nsp: "/a", HasID: true, ID: 300, Data: []any{mpack.Raw{0x92, 0xc3, 0xc0}, []byte{1}}}
	b, err = AppendMsgpack(nil, &raw)
	require.NoError(t, err)
	got, err = DecodeMsgpack(b, Limits{})
	require.NoError(t, err)
	assert.Equal(t, Packet{Type: Ack, Nsp: "/a", HasID: true, ID: 300, Data: []any{[]any{true, nil}, []byte{1}}}, got)
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func TestDecodeMsgpack(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want Packet
		err  error
	}{
		// {type:0, nsp:"/"} (client CONNECT without auth; data key omitted)
		{"connect", "82a47479706500a36e7370a12f", Packet{Type: Connect, Nsp: "/"}, nil},
		// {type:0, data:undefined, nsp:"/"}: notepack writes undefined as d4 00 00
		{"connect undefined data", "83a47479706500a464617461d40000a36e7370a12f", Packet{Type: Connect, Nsp: "/"}, nil},
		// {type:2, data:["x"], options:{compress:true}, nsp:"/admin", id:5}
		{"event with options", "85a47479706502a46461746191a178a76f7074696f6e7381a8636f6d7072657373c3a36e7370a62f61646d696ea26964" + "05",
			Packet{Type: Event, Nsp: "/admin", HasID: true, ID: 5, Data: []any{"x"}}, nil},
		// id undefined
		{"id undefined", "83a47479706502a46461746191a178a26964d40000", Packet{Type: Event, Nsp: "/", Data: []any{"x"}}, nil},
		{"not a map", "92", Packet{}, ErrInvalidPacket},
		{"no type", "81a36e7370a12f", Packet{}, ErrInvalidPacket},
		{"bad type", "81a47479706507", Packet{}, ErrInvalidPacket},
		{"event without data", "82a47479706502a36e7370a12f", Packet{}, ErrInvalidPacket},
		{"trailing", "81a4747970650100", Packet{}, ErrInvalidPacket},
		{"huge map", "dfffffffff", Packet{}, ErrInvalidPacket},
		{"negative id", "83a47479706502a46461746191a178a26964ff", Packet{}, ErrInvalidPacket},
		{"int key", "810102", Packet{}, ErrInvalidPacket},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeMsgpack(mustHex(t, tc.hex), Limits{})
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestAppend_Unsupported(t *testing.T) {
	type thing struct{}
	p := Packet{Type: Event, Data: []any{"x", thing{}}}
	_, _, err := AppendDefault(nil, &p)
	require.ErrorIs(t, err, ErrUnsupportedValue)
	_, err = AppendMsgpack(nil, &p)
	require.ErrorIs(t, err, ErrUnsupportedValue)
}
