package mpack

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// fuzzSeeds are hand-picked inputs: valid values of every kind, the hostile
// length claims (such as dd ff ff ff ff: 4 G elements in 5 bytes), and
// truncations.
var fuzzSeeds = []string{
	"c0", "c3", "d4 00 00", "7f", "e0", "cf ff ff ff ff ff ff ff ff", "d3 80 00 00 00 00 00 00 00",
	"ca 3f c0 00 00", "cb 3f f8 00 00 00 00 00 00", "a3 61 62 63", "d9 01 7a", "c4 02 01 02",
	"93 01 c0 a1 61", "82 a1 61 01 a1 62 92 c2 c3", "dd ff ff ff ff", "df ff ff ff ff", "db ff ff ff ff",
	"c9 00 00 00 01 05 00", "d6 ff 00 00 00 00", "81 01 02", "92 92 01 01", "c1",
	"83 a4 74 79 70 65 02 a4 64 61 74 61 92 a4 6d 6f 76 65 81 a1 78 cb 3f f8 00 00 00 00 00 00 a3 6e 73 70 a1 2f",
}

func addSeeds(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(unhex(f, s))
	}
}

// checkErr asserts err wraps exactly one of the package's sentinels.
func checkErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	n := 0
	for _, s := range []error{ErrTruncated, ErrTooLarge, ErrTooDeep, ErrType} {
		if errors.Is(err, s) {
			n++
		}
	}
	require.Equal(t, 1, n, "error %v wraps %d sentinels", err, n)
}

func FuzzReadValue(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		lim := Limits{MaxDepth: 8, MaxContainerLen: 1024, MaxStringLen: 4096}
		r := NewReader(in, lim)
		v, err := r.ReadValue()
		checkErr(t, err)
		if err != nil {
			require.Zero(t, r.Offset())
			return
		}
		used := in[:r.Offset()]
		checkTyped(t, NewReader(in, lim), v)
		// Re-encoding the decoded value and decoding that again is stable.
		enc, err := AppendValue(nil, v)
		require.NoError(t, err)
		v2, err := NewReader(enc, lim).ReadValue()
		require.NoError(t, err)
		// Compare encodings, not values: NaN != NaN but its bits survive.
		enc2, err := AppendValue(nil, v2)
		require.NoError(t, err)
		require.Equal(t, enc, enc2)
		// Our encoding is canonical: never longer than the input's.
		require.LessOrEqual(t, len(enc), len(used)+0, "input %x re-encoded as %x", used, enc)
	})
}

func FuzzSkipRaw(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		lim := Limits{MaxDepth: 8, MaxContainerLen: 1024, MaxStringLen: 4096}
		r := NewReader(in, lim)
		skipErr := r.Skip()
		checkErr(t, skipErr)
		skipped := r.Offset()

		r.Reset(in)
		raw, rawErr := r.ReadRaw()
		checkErr(t, rawErr)
		require.Equal(t, skipErr == nil, rawErr == nil)
		if rawErr != nil {
			require.Zero(t, r.Offset())
			return
		}
		require.Equal(t, skipped, len(raw))
		require.True(t, bytes.Equal(in[:len(raw)], raw))

		// ReadRaw's bytes re-read give the same result as reading in place.
		want, wantErr := NewReader(in, lim).ReadValue()
		rr := NewReader(raw, lim)
		got, gotErr := rr.ReadValue()
		require.Equal(t, wantErr == nil, gotErr == nil, "in place: %v, from raw: %v", wantErr, gotErr)
		if wantErr == nil {
			require.Equal(t, mustAppend(t, want), mustAppend(t, got))
			require.Zero(t, rr.Len())
		}
		// ReadValue never accepts what Skip rejects, and consumes the same span.
		if wantErr == nil {
			r2 := NewReader(in, lim)
			_, _ = r2.ReadValue()
			require.Equal(t, len(raw), r2.Offset())
		}
	})
}

func mustAppend(t *testing.T, v any) []byte {
	t.Helper()
	b, err := AppendValue(nil, v)
	require.NoError(t, err)
	return b
}

// checkTyped reads the first value of r with the typed reader matching v
// (ReadValue's result) and requires the same value.
func checkTyped(t *testing.T, r *Reader, v any) {
	t.Helper()
	k, err := r.PeekKind()
	require.NoError(t, err)
	switch v := v.(type) {
	case nil:
		if k == KindNil {
			require.NoError(t, r.ReadNil())
		}
	case bool:
		got, err := r.ReadBool()
		require.NoError(t, err)
		require.Equal(t, v, got)
	case int64:
		got, err := r.ReadInt()
		require.NoError(t, err)
		require.Equal(t, v, got)
		if v >= 0 {
			r2 := NewReader(r.buf, r.lim)
			u, err := r2.ReadUint()
			require.NoError(t, err)
			require.Equal(t, uint64(v), u)
		}
	case uint64:
		got, err := r.ReadUint()
		require.NoError(t, err)
		require.Equal(t, v, got)
	case float32:
		got, err := r.ReadFloat32()
		require.NoError(t, err)
		require.Equal(t, math.Float32bits(v), math.Float32bits(got))
	case float64:
		got, err := r.ReadFloat64()
		require.NoError(t, err)
		require.Equal(t, math.Float64bits(v), math.Float64bits(got))
	case string:
		got, err := r.ReadString()
		require.NoError(t, err)
		require.Equal(t, v, got)
	case []byte:
		got, err := r.ReadBytes()
		require.NoError(t, err)
		require.Equal(t, v, got)
	case []any:
		n, err := r.ReadArrayHeader()
		require.NoError(t, err)
		require.Equal(t, len(v), n)
	case map[string]any:
		n, err := r.ReadMapHeader()
		require.NoError(t, err)
		require.GreaterOrEqual(t, n, len(v)) // repeated keys collapse
	default:
		t.Fatalf("ReadValue returned %T", v)
	}
}
