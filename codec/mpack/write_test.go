package mpack

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

func TestAppendEncodings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		got  []byte
		want string
	}{
		{"nil", AppendNil(nil), "c0"},
		{"true", AppendBool(nil, true), "c3"},
		{"false", AppendBool(nil, false), "c2"},
		{"int 0", AppendInt(nil, 0), "00"},
		{"int 127", AppendInt(nil, 127), "7f"},
		{"int 128", AppendInt(nil, 128), "cc 80"},
		{"int 255", AppendInt(nil, 255), "cc ff"},
		{"int 256", AppendInt(nil, 256), "cd 01 00"},
		{"int 65535", AppendInt(nil, 65535), "cd ff ff"},
		{"int 65536", AppendInt(nil, 65536), "ce 00 01 00 00"},
		{"int maxuint32", AppendInt(nil, math.MaxUint32), "ce ff ff ff ff"},
		{"int 2^32", AppendInt(nil, 1<<32), "cf 00 00 00 01 00 00 00 00"},
		{"int maxint64", AppendInt(nil, math.MaxInt64), "cf 7f ff ff ff ff ff ff ff"},
		{"int -1", AppendInt(nil, -1), "ff"},
		{"int -32", AppendInt(nil, -32), "e0"},
		{"int -33", AppendInt(nil, -33), "d0 df"},
		{"int -128", AppendInt(nil, -128), "d0 80"},
		{"int -129", AppendInt(nil, -129), "d1 ff 7f"},
		{"int -32768", AppendInt(nil, -32768), "d1 80 00"},
		{"int -32769", AppendInt(nil, -32769), "d2 ff ff 7f ff"},
		{"int minint32", AppendInt(nil, math.MinInt32), "d2 80 00 00 00"},
		{"int minint32-1", AppendInt(nil, math.MinInt32-1), "d3 ff ff ff ff 7f ff ff ff"},
		{"int minint64", AppendInt(nil, math.MinInt64), "d3 80 00 00 00 00 00 00 00"},
		{"uint max", AppendUint(nil, math.MaxUint64), "cf ff ff ff ff ff ff ff ff"},
		{"uint 5", AppendUint(nil, 5), "05"},
		{"float32 1.5", AppendFloat32(nil, 1.5), "ca 3f c0 00 00"},
		{"float64 1.5", AppendFloat64(nil, 1.5), "cb 3f f8 00 00 00 00 00 00"},
		{"string empty", AppendString(nil, ""), "a0"},
		{"string abc", AppendString(nil, "abc"), "a3 61 62 63"},
		{"string 31", AppendString(nil, strings.Repeat("x", 31))[:1], "bf"},
		{"string 32", AppendString(nil, strings.Repeat("x", 32))[:2], "d9 20"},
		{"string 255", AppendString(nil, strings.Repeat("x", 255))[:2], "d9 ff"},
		{"string 256", AppendString(nil, strings.Repeat("x", 256))[:3], "da 01 00"},
		{"string 65536", AppendString(nil, strings.Repeat("x", 65536))[:5], "db 00 01 00 00"},
		{"string bytes", AppendStringBytes(nil, []byte("hi")), "a2 68 69"},
		{"bytes empty", AppendBytes(nil, nil), "c4 00"},
		{"bytes 2", AppendBytes(nil, []byte{1, 2}), "c4 02 01 02"},
		{"bytes 256", AppendBytes(nil, make([]byte, 256))[:3], "c5 01 00"},
		{"bytes 65536", AppendBytes(nil, make([]byte, 65536))[:5], "c6 00 01 00 00"},
		{"array 0", AppendArrayHeader(nil, 0), "90"},
		{"array 15", AppendArrayHeader(nil, 15), "9f"},
		{"array 16", AppendArrayHeader(nil, 16), "dc 00 10"},
		{"array 65536", AppendArrayHeader(nil, 65536), "dd 00 01 00 00"},
		{"map 0", AppendMapHeader(nil, 0), "80"},
		{"map 15", AppendMapHeader(nil, 15), "8f"},
		{"map 16", AppendMapHeader(nil, 16), "de 00 10"},
		{"map 65536", AppendMapHeader(nil, 65536), "df 00 01 00 00"},
		{"appends after prefix", AppendInt([]byte{0x01}, 1), "01 01"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, unhex(t, tc.want), tc.got)
		})
	}
}

func TestAppendHeaderPanicsOnNegative(t *testing.T) {
	t.Parallel()
	require.Panics(t, func() { AppendArrayHeader(nil, -1) })
	require.Panics(t, func() { AppendMapHeader(nil, -1) })
}

func TestAppendZeroAlloc(t *testing.T) {
	buf := make([]byte, 0, 4096)
	str := strings.Repeat("y", 300)
	bin := make([]byte, 300)
	allocs := testing.AllocsPerRun(100, func() {
		b := buf[:0]
		b = AppendNil(b)
		b = AppendBool(b, true)
		b = AppendInt(b, -123456)
		b = AppendUint(b, 1<<40)
		b = AppendFloat32(b, 1.25)
		b = AppendFloat64(b, 2.5)
		b = AppendString(b, str)
		b = AppendStringBytes(b, bin[:10])
		b = AppendBytes(b, bin)
		b = AppendArrayHeader(b, 70000)
		b = AppendMapHeader(b, 3)
		_ = b
	})
	require.Zero(t, allocs)

	small := map[string]any{"x": 1.5, "y": int64(2), "name": "bob", "tags": []any{"a", true, nil}}
	allocs = testing.AllocsPerRun(100, func() {
		_, err := AppendValue(buf[:0], small)
		if err != nil {
			panic(err)
		}
	})
	require.Zero(t, allocs, "AppendValue of a small map")
}

func TestAppendValue(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   any
		want string
	}{
		{"nil", nil, "c0"},
		{"bool", true, "c3"},
		{"int", int(-5), "fb"},
		{"int8", int8(-100), "d0 9c"},
		{"int16", int16(300), "cd 01 2c"},
		{"int32", int32(-70000), "d2 ff fe ee 90"},
		{"int64", int64(7), "07"},
		{"uint", uint(200), "cc c8"},
		{"uint8", uint8(1), "01"},
		{"uint16", uint16(1), "01"},
		{"uint32", uint32(1), "01"},
		{"uint64", uint64(math.MaxUint64), "cf ff ff ff ff ff ff ff ff"},
		{"float32", float32(1.5), "ca 3f c0 00 00"},
		{"float64", 1.5, "cb 3f f8 00 00 00 00 00 00"},
		{"string", "a", "a1 61"},
		{"bytes", []byte{9}, "c4 01 09"},
		{"nil bytes", []byte(nil), "c0"},
		{"raw", Raw{0x92, 0x01, 0x02}, "92 01 02"},
		{"json int", json.Number("-3"), "fd"},
		{"json big uint", json.Number("18446744073709551615"), "cf ff ff ff ff ff ff ff ff"},
		{"json float", json.Number("0.5"), "cb 3f e0 00 00 00 00 00 00"},
		{"array", []any{1, "b", nil}, "93 01 a1 62 c0"},
		{"nil array", []any(nil), "c0"},
		{"map sorted", map[string]any{"b": 2, "a": 1, "c": []any{}}, "83 a1 61 01 a1 62 02 a1 63 90"},
		{"nil map", map[string]any(nil), "c0"},
		{"raw in array", []any{Raw{0xc3}, Raw{0x80}}, "92 c3 80"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := AppendValue(nil, tc.in)
			require.NoError(t, err)
			require.Equal(t, unhex(t, tc.want), got)
		})
	}
}

func TestAppendValueErrors(t *testing.T) {
	t.Parallel()
	self := make([]any, 1)
	self[0] = self
	deep := any(1)
	for range 101 {
		deep = []any{deep}
	}
	cases := []struct {
		name string
		in   any
		want error
	}{
		{"struct", struct{}{}, ErrType},
		{"map any any", map[any]any{1: 2}, ErrType},
		{"nested unsupported", map[string]any{"a": []any{1, complex(1, 2)}}, ErrType},
		{"empty raw", Raw{}, ErrType},
		{"bad json number", json.Number("12abc"), ErrType},
		{"self reference", self, ErrTooDeep},
		{"too deep", deep, ErrTooDeep},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := AppendValue(nil, tc.in)
			require.ErrorIs(t, err, tc.want)
		})
	}
}
