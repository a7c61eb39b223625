package siocodec

import (
	"encoding/json"
	"math"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestJSONScanner_String(t *testing.T) {
	tests := []struct {
		in, want string
		err      string
	}{
		{in: `""`, want: ""},
		{in: `"plain"`, want: "plain"},
		{in: `"a\"b\\c\/d\b\f\n\r\t"`, want: "a\"b\\c/d\b\f\n\r\t"},
		{in: `"\u00e9\ud83d\ude00"`, want: "é😀"},
		{in: `"\ud83d"`, want: "\uFFFD"},
		{in: `"\ud83dx"`, want: "\uFFFDx"},
		{in: `"\ud83d\u0041"`, want: "\uFFFDA"},
		{in: `"\ude00"`, want: "\uFFFD"},
		{in: "\"\xff\"", want: "\xff"},
		{in: `"abc`, err: "unterminated string"},
		{in: `"a\`, err: "unterminated escape"},
		{in: `"\x"`, err: "invalid escape"},
		{in: `"\u12g4"`, err: "invalid \\u escape"},
		{in: "\"a\nb\"", err: "control character in string"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			sc := NewJSONScanner([]byte(tt.in), 1)
			got, err := sc.AppendString([]byte("pre"))
			if tt.err != "" {
				require.ErrorIs(t, err, ErrInvalidPacket)
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, "pre"+tt.want, string(got))
			require.NoError(t, sc.End())
		})
	}
}

func TestJSONScanner_Number(t *testing.T) {
	tests := []struct {
		in    string
		want  JSONNumber
		wrong bool
	}{
		{in: "0", want: JSONNumber{IsInt: true}},
		{in: "-0", want: JSONNumber{IsInt: true}},
		{in: "42", want: JSONNumber{Int: 42, IsInt: true}},
		{in: "9223372036854775807", want: JSONNumber{Int: math.MaxInt64, IsInt: true}},
		{in: "-9223372036854775808", want: JSONNumber{Int: math.MinInt64, IsInt: true}},
		{in: "9223372036854775808", want: JSONNumber{Float: 9223372036854775808}},
		{in: "1.5", want: JSONNumber{Float: 1.5}},
		{in: "2e3", want: JSONNumber{Float: 2000}},
		{in: "1e400", want: JSONNumber{Float: math.Inf(1)}},
		{in: "-", wrong: true},
		{in: "1.", wrong: true},
		{in: "1e+", wrong: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			sc := NewJSONScanner([]byte(tt.in), 1)
			got, err := sc.Number()
			if tt.wrong {
				require.ErrorIs(t, err, ErrInvalidPacket)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.NoError(t, sc.End())
		})
	}
}

func TestJSONScanner_LeadingZeroStopsNumber(t *testing.T) {
	sc := NewJSONScanner([]byte("01"), 1)
	n, err := sc.Number()
	require.NoError(t, err)
	require.Equal(t, JSONNumber{IsInt: true}, n)
	require.ErrorContains(t, sc.End(), "trailing data")
}

func TestJSONScanner_Depth(t *testing.T) {
	sc := NewJSONScanner([]byte("[[["), 2)
	require.NoError(t, sc.Enter())
	require.NoError(t, sc.Enter())
	require.ErrorIs(t, sc.Enter(), ErrTooDeep)
	sc.Leave()
	sc.Leave()
	require.NoError(t, sc.Enter())
}

func TestJSONScanner_PeekLiteral(t *testing.T) {
	sc := NewJSONScanner([]byte(" \t\r\n true nul"), 1)
	c, ok := sc.Peek()
	require.True(t, ok)
	require.Equal(t, byte('t'), c)
	require.NoError(t, sc.Literal("true"))
	c, ok = sc.Peek()
	require.True(t, ok)
	require.Equal(t, byte('n'), c)
	require.ErrorContains(t, sc.Literal("null"), "invalid literal")
	sc = NewJSONScanner([]byte("  "), 1)
	_, ok = sc.Peek()
	require.False(t, ok)
}

// FuzzJSONScanner: a document that is one string or one number reads
// without panicking, and where it is valid UTF-8 the scanner agrees with
// encoding/json on whether it is valid and on its value.
func FuzzJSONScanner(f *testing.F) {
	for _, s := range []string{`"a\u00e9\ud83d\ude00"`, `"\ud83d\u0041"`, `-12.5e-3`, `12345678901234567890`, `"\x"`, `01`, `-`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		sc := NewJSONScanner(data, 1)
		var got any
		var err error
		switch c := data[0]; {
		case c == '"':
			var b []byte
			if b, err = sc.AppendString(nil); err == nil {
				got = string(b)
			}
		case c == '-' || isDigit(c):
			var n JSONNumber
			if n, err = sc.Number(); err == nil {
				got = n.Float
				if n.IsInt {
					got = float64(n.Int)
				}
			}
		default:
			return
		}
		if err == nil {
			err = sc.End()
		}
		if !utf8.Valid(data) {
			return
		}
		var want any
		wantErr := json.Unmarshal(data, &want)
		if wantErr != nil && json.Valid(data) {
			// encoding/json refuses a number past float64; the scanner
			// reads it as ±Inf, like JSON.parse.
			require.NoError(t, err, "scanner refused %q", data)
			require.True(t, math.IsInf(got.(float64), 0))
			return
		}
		if wantErr != nil {
			require.Error(t, err, "scanner took %q", data)
			return
		}
		require.NoError(t, err, "scanner refused %q", data)
		require.Equal(t, want, got)
	})
}
