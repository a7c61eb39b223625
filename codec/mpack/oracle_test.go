package mpack

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

// The oracle tests check this package against github.com/vmihailenco/msgpack/v5
// in both directions, always through concrete typed values (never into any,
// whose decoding differs by design).

func TestOracleWriterToMsgpack(t *testing.T) {
	t.Parallel()
	ints := []int64{0, 1, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxInt64,
		-1, -32, -33, -128, -129, -32768, -32769, math.MinInt32, math.MinInt32 - 1, math.MinInt64}
	for _, v := range ints {
		var got int64
		require.NoError(t, msgpack.Unmarshal(AppendInt(nil, v), &got))
		require.Equal(t, v, got)
	}
	uints := []uint64{0, 127, 128, 255, 256, 65535, 65536, math.MaxUint32, math.MaxUint32 + 1, math.MaxUint64}
	for _, v := range uints {
		var got uint64
		require.NoError(t, msgpack.Unmarshal(AppendUint(nil, v), &got))
		require.Equal(t, v, got)
	}
	for _, v := range []float32{0, -1.5, math.MaxFloat32, math.SmallestNonzeroFloat32, float32(math.Inf(1))} {
		var got float32
		b := AppendFloat32(nil, v)
		require.Len(t, b, 5)
		require.NoError(t, msgpack.Unmarshal(b, &got))
		require.Equal(t, v, got)
	}
	for _, v := range []float64{0, -1.5, math.MaxFloat64, math.SmallestNonzeroFloat64, math.Inf(-1)} {
		var got float64
		require.NoError(t, msgpack.Unmarshal(AppendFloat64(nil, v), &got))
		require.Equal(t, v, got)
	}
	for _, n := range []int{0, 1, 31, 32, 255, 256, 65535, 65536} {
		s := strings.Repeat("é", n/2) + strings.Repeat("x", n%2)
		var got string
		require.NoError(t, msgpack.Unmarshal(AppendString(nil, s), &got))
		require.Equal(t, s, got)

		p := bytes.Repeat([]byte{7}, n)
		var gotBytes []byte
		require.NoError(t, msgpack.Unmarshal(AppendBytes(nil, p), &gotBytes))
		require.Equal(t, p, gotBytes)
	}
	for _, n := range []int{0, 1, 15, 16, 65535, 65536} {
		b := AppendArrayHeader(nil, n)
		want := make([]int64, n)
		for i := range n {
			want[i] = int64(i)
			b = AppendInt(b, int64(i))
		}
		var got []int64
		require.NoError(t, msgpack.Unmarshal(b, &got))
		require.Equal(t, want, got)

		m := AppendMapHeader(nil, n)
		wantMap := make(map[string]int64, n)
		for i := range n {
			k := strings.Repeat("k", i%40) + string(rune('a'+i%26))
			if _, dup := wantMap[k]; dup {
				k += string(AppendUint(nil, uint64(i)))
			}
			wantMap[k] = int64(-i)
			m = AppendString(m, k)
			m = AppendInt(m, int64(-i))
		}
		var gotMap map[string]int64
		require.NoError(t, msgpack.Unmarshal(m, &gotMap))
		require.Equal(t, wantMap, gotMap)
	}

	type move struct {
		X    float32 `msgpack:"x"`
		Y    float64 `msgpack:"y"`
		Seq  uint32  `msgpack:"seq"`
		Name string  `msgpack:"name"`
		Keys []bool  `msgpack:"keys"`
		Blob []byte  `msgpack:"blob"`
	}
	b, err := AppendValue(nil, map[string]any{"x": float32(1.25), "y": -3.5, "seq": 70000, "name": "p1",
		"keys": []any{true, false}, "blob": []byte{1}})
	require.NoError(t, err)
	var got move
	require.NoError(t, msgpack.Unmarshal(b, &got))
	require.Equal(t, move{X: 1.25, Y: -3.5, Seq: 70000, Name: "p1", Keys: []bool{true, false}, Blob: []byte{1}}, got)
}

func TestOracleMsgpackToReader(t *testing.T) {
	t.Parallel()
	enc := func(v any) *Reader {
		b, err := msgpack.Marshal(v)
		require.NoError(t, err)
		return NewReader(b, Limits{MaxContainerLen: 1 << 17})
	}
	for _, v := range []int64{0, 1, 127, 128, -1, -33, -129, -32769, math.MinInt32 - 1, math.MinInt64, math.MaxInt64} {
		for _, r := range []*Reader{enc(v), enc(int32(max(min(v, math.MaxInt32), math.MinInt32))), enc(int8(v))} {
			_, err := r.ReadInt()
			require.NoError(t, err)
			require.Zero(t, r.Len())
		}
		got, err := enc(v).ReadInt()
		require.NoError(t, err)
		require.Equal(t, v, got)
	}
	for _, v := range []uint64{0, 200, 70000, math.MaxUint32 + 1, math.MaxUint64} {
		got, err := enc(v).ReadUint()
		require.NoError(t, err)
		require.Equal(t, v, got)
	}
	f32, err := enc(float32(2.5)).ReadFloat32()
	require.NoError(t, err)
	require.Equal(t, float32(2.5), f32)
	f64, err := enc(2.5).ReadFloat64()
	require.NoError(t, err)
	require.Equal(t, 2.5, f64)
	for _, n := range []int{0, 31, 32, 300, 70000} {
		s := strings.Repeat("s", n)
		got, err := enc(s).ReadString()
		require.NoError(t, err)
		require.Equal(t, s, got)
		p := bytes.Repeat([]byte{1}, n)
		gotBytes, err := enc(p).ReadBytes()
		require.NoError(t, err)
		require.Equal(t, p, gotBytes)

		arr := make([]int16, n)
		r := enc(arr)
		count, err := r.ReadArrayHeader()
		require.NoError(t, err)
		require.Equal(t, n, count)
	}

	type state struct {
		Tick    uint64             `msgpack:"tick"`
		Players map[string][]int16 `msgpack:"players"`
		Name    string             `msgpack:"name"`
		Ratio   float32            `msgpack:"ratio"`
		Flags   []bool             `msgpack:"flags"`
		Blob    []byte             `msgpack:"blob"`
		Nothing *int               `msgpack:"nothing"`
	}
	in := state{Tick: 1 << 40, Players: map[string][]int16{"a": {1, -300}, "b": nil}, Name: "n", Ratio: 0.5,
		Flags: []bool{true}, Blob: []byte{9}}
	v, err := enc(in).ReadValue()
	require.NoError(t, err)
	require.Equal(t, map[string]any{
		"tick":    int64(1 << 40),
		"players": map[string]any{"a": []any{int64(1), int64(-300)}, "b": nil},
		"name":    "n",
		"ratio":   float32(0.5),
		"flags":   []any{true},
		"blob":    []byte{9},
		"nothing": nil,
	}, v)

	// Our re-encoding of the decoded value decodes back to the same struct.
	b, err := AppendValue(nil, v)
	require.NoError(t, err)
	var back state
	require.NoError(t, msgpack.Unmarshal(b, &back))
	require.Equal(t, in, back)
}
