package mpack

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadTyped(t *testing.T) {
	t.Parallel()
	type result struct {
		v   any
		err error
	}
	readInt := func(r *Reader) (any, error) { return r.ReadInt() }
	readUint := func(r *Reader) (any, error) { return r.ReadUint() }
	readF32 := func(r *Reader) (any, error) { return r.ReadFloat32() }
	readF64 := func(r *Reader) (any, error) { return r.ReadFloat64() }
	readStr := func(r *Reader) (any, error) { return r.ReadString() }
	readStrB := func(r *Reader) (any, error) { return r.ReadStringBytes() }
	readBin := func(r *Reader) (any, error) { return r.ReadBytes() }
	readBool := func(r *Reader) (any, error) { return r.ReadBool() }
	readNil := func(r *Reader) (any, error) { return nil, r.ReadNil() }
	readArr := func(r *Reader) (any, error) { return r.ReadArrayHeader() }
	readMap := func(r *Reader) (any, error) { return r.ReadMapHeader() }

	cases := []struct {
		name string
		in   string
		read func(*Reader) (any, error)
		want any
		err  error
	}{
		{"int fixint", "05", readInt, int64(5), nil},
		{"int neg fixint", "e0", readInt, int64(-32), nil},
		{"int uint8", "cc ff", readInt, int64(255), nil},
		{"int uint16", "cd 12 34", readInt, int64(0x1234), nil},
		{"int uint32", "ce ff ff ff ff", readInt, int64(math.MaxUint32), nil},
		{"int uint64 fits", "cf 7f ff ff ff ff ff ff ff", readInt, int64(math.MaxInt64), nil},
		{"int uint64 overflow", "cf 80 00 00 00 00 00 00 00", readInt, nil, ErrType},
		{"int int8", "d0 80", readInt, int64(-128), nil},
		{"int int16", "d1 80 00", readInt, int64(-32768), nil},
		{"int int32", "d2 80 00 00 00", readInt, int64(math.MinInt32), nil},
		{"int int64", "d3 80 00 00 00 00 00 00 00", readInt, int64(math.MinInt64), nil},
		{"int non-minimal int8 positive", "d0 05", readInt, int64(5), nil},
		{"int from float", "ca 3f c0 00 00", readInt, nil, ErrType},
		{"int truncated", "cd 01", readInt, nil, ErrTruncated},
		{"int empty", "", readInt, nil, ErrTruncated},
		{"uint max", "cf ff ff ff ff ff ff ff ff", readUint, uint64(math.MaxUint64), nil},
		{"uint from int8 positive", "d0 05", readUint, uint64(5), nil},
		{"uint negative", "ff", readUint, nil, ErrType},
		{"f32", "ca 3f c0 00 00", readF32, float32(1.5), nil},
		{"f32 from f64", "cb 3f f8 00 00 00 00 00 00", readF32, float32(1.5), nil},
		{"f32 from int", "fe", readF32, float32(-2), nil},
		{"f32 from string", "a0", readF32, nil, ErrType},
		{"f32 truncated", "ca 3f c0", readF32, nil, ErrTruncated},
		{"f64", "cb 3f f8 00 00 00 00 00 00", readF64, 1.5, nil},
		{"f64 from f32", "ca 3f c0 00 00", readF64, 1.5, nil},
		{"f64 from uint64", "cf ff ff ff ff ff ff ff ff", readF64, float64(math.MaxUint64), nil},
		{"f64 from nil", "c0", readF64, nil, ErrType},
		{"f64 truncated", "cb 3f f8 00 00 00 00 00", readF64, nil, ErrTruncated},
		{"str fix", "a3 61 62 63", readStr, "abc", nil},
		{"str8", "d9 01 7a", readStr, "z", nil},
		{"str16", "da 00 01 7a", readStr, "z", nil},
		{"str32", "db 00 00 00 01 7a", readStr, "z", nil},
		{"str truncated", "a3 61 62", readStr, nil, ErrTruncated},
		{"str32 huge", "db ff ff ff ff", readStr, nil, ErrTooLarge},
		{"str32 truncated length", "db 00 00", readStr, nil, ErrTruncated},
		{"str from bin", "c4 00", readStr, nil, ErrType},
		{"str bytes", "a2 68 69", readStrB, []byte("hi"), nil},
		{"bin8", "c4 02 01 02", readBin, []byte{1, 2}, nil},
		{"bin16", "c5 00 01 07", readBin, []byte{7}, nil},
		{"bin32", "c6 00 00 00 01 07", readBin, []byte{7}, nil},
		{"bin truncated", "c4 05 01", readBin, nil, ErrTruncated},
		{"bin from str", "a0", readBin, nil, ErrType},
		{"bool true", "c3", readBool, true, nil},
		{"bool false", "c2", readBool, false, nil},
		{"bool from nil", "c0", readBool, nil, ErrType},
		{"nil", "c0", readNil, nil, nil},
		{"nil from false", "c2", readNil, nil, ErrType},
		{"never used byte", "c1", readNil, nil, ErrType},
		{"array fix", "92 01 02", readArr, 2, nil},
		{"array16", "dc 00 01 01", readArr, 1, nil},
		{"array32", "dd 00 00 00 01 01", readArr, 1, nil},
		{"array 4G in 5 bytes", "dd ff ff ff ff", readArr, nil, ErrTooLarge},
		{"array more than bytes left", "dc 00 03 01 02", readArr, nil, ErrTruncated},
		{"array from map", "80", readArr, nil, ErrType},
		{"map fix", "81 a1 61 01", readMap, 1, nil},
		{"map16", "de 00 01 a1 61 01", readMap, 1, nil},
		{"map32 4G", "df ff ff ff ff", readMap, nil, ErrTooLarge},
		{"map needs 2 bytes per pair", "82 a1 61 01", readMap, nil, ErrTruncated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := unhex(t, tc.in)
			r := NewReader(in, Limits{})
			got, err := tc.read(r)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				require.Zero(t, r.Offset(), "failed read must not consume")
				return
			}
			require.NoError(t, err)
			if tc.want != nil {
				require.Equal(t, tc.want, got)
			}
			if !strings.HasPrefix(tc.name, "array") && !strings.HasPrefix(tc.name, "map") {
				require.Zero(t, r.Len(), "scalar read consumes the whole input")
			}
		})
	}
}

func TestPeekKind(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want Kind
	}{
		{"c0", KindNil}, {"c3", KindBool}, {"7f", KindInt}, {"e0", KindInt}, {"cf", KindInt},
		{"ca", KindFloat32}, {"cb", KindFloat64}, {"a0", KindString}, {"db ff ff ff ff", KindString},
		{"c4", KindBytes}, {"90", KindArray}, {"dd ff ff ff ff", KindArray}, {"80", KindMap},
		{"de", KindMap}, {"d4", KindExt}, {"c7", KindExt},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			k, err := NewReader(unhex(t, tc.in), Limits{}).PeekKind()
			require.NoError(t, err)
			require.Equal(t, tc.want, k)
			require.NotEqual(t, "Kind(?)", k.String())
		})
	}
	_, err := NewReader(nil, Limits{}).PeekKind()
	require.ErrorIs(t, err, ErrTruncated)
	_, err = NewReader([]byte{0xc1}, Limits{}).PeekKind()
	require.ErrorIs(t, err, ErrType)
}

func TestReaderSequenceAndReset(t *testing.T) {
	t.Parallel()
	var b []byte
	b = AppendMapHeader(b, 2)
	b = AppendString(b, "id")
	b = AppendInt(b, 42)
	b = AppendString(b, "pos")
	b = AppendArrayHeader(b, 2)
	b = AppendFloat32(b, 1.5)
	b = AppendFloat64(b, -2.25)

	r := NewReader(b, Limits{})
	n, err := r.ReadMapHeader()
	require.NoError(t, err)
	require.Equal(t, 2, n)
	k, err := r.ReadString()
	require.NoError(t, err)
	require.Equal(t, "id", k)
	id, err := r.ReadInt()
	require.NoError(t, err)
	require.Equal(t, int64(42), id)
	kb, err := r.ReadStringBytes()
	require.NoError(t, err)
	require.Equal(t, "pos", string(kb))
	require.Equal(t, len(kb), cap(kb), "aliasing slices are clipped")
	raw, err := r.ReadRaw()
	require.NoError(t, err)
	require.Equal(t, Raw(b[len(b)-15:]), raw)
	require.Zero(t, r.Len())
	require.Equal(t, len(b), r.Offset())

	r.Reset(b)
	require.Equal(t, len(b), r.Len())
	require.NoError(t, r.Skip())
	require.Zero(t, r.Len())
	_, err = r.ReadInt()
	require.ErrorIs(t, err, ErrTruncated)
}

func TestReadValue(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		want any
	}{
		{"nil", "c0", nil},
		{"undefined", "d4 00 00", nil},
		{"true", "c3", true},
		{"fixint", "05", int64(5)},
		{"neg", "ff", int64(-1)},
		{"uint64 big", "cf ff ff ff ff ff ff ff ff", uint64(math.MaxUint64)},
		{"uint64 fits", "cf 00 00 00 00 00 00 00 01", int64(1)},
		{"float32 stays", "ca 3f c0 00 00", float32(1.5)},
		{"float64", "cb 3f f8 00 00 00 00 00 00", 1.5},
		{"string", "a2 68 69", "hi"},
		{"bin", "c4 02 01 02", []byte{1, 2}},
		{"notepack ArrayBuffer ext8 type 0", "c7 03 00 09 08 07", []byte{9, 8, 7}},
		{"notepack ArrayBuffer ext16 type 0", "c8 00 02 00 01 02", []byte{1, 2}},
		{"notepack empty ArrayBuffer", "c7 00 00", []byte{}},
		{"msgpack packet with browser binary", "83 a4 74 79 70 65 02 a4 64 61 74 61 92 a4 65 63 68 6f c7 03 00 09 08 07 a3 6e 73 70 a1 2f",
			map[string]any{"type": int64(2), "data": []any{"echo", []byte{9, 8, 7}}, "nsp": "/"}},
		{"empty array", "90", []any{}},
		{"array", "93 01 c0 a1 61", []any{int64(1), nil, "a"}},
		{"array with undefined", "92 d4 00 00 01", []any{nil, int64(1)}},
		{"map", "82 a1 61 01 a1 62 92 c2 c3", map[string]any{"a": int64(1), "b": []any{false, true}}},
		{"map repeated key", "82 a1 61 01 a1 61 02", map[string]any{"a": int64(2)}},
		{"socket.io msgpack packet", "83 a4 74 79 70 65 02 a4 64 61 74 61 92 a4 6d 6f 76 65 81 a1 78 cb 3f f8 00 00 00 00 00 00 a3 6e 73 70 a1 2f",
			map[string]any{"type": int64(2), "data": []any{"move", map[string]any{"x": 1.5}}, "nsp": "/"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := unhex(t, tc.in)
			r := NewReader(in, Limits{})
			got, err := r.ReadValue()
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			require.Zero(t, r.Len())
		})
	}
}

func TestReadValueCopies(t *testing.T) {
	t.Parallel()
	in := unhex(t, "92 a1 61 c4 01 62")
	v, err := NewReader(in, Limits{}).ReadValue()
	require.NoError(t, err)
	for i := range in {
		in[i] = 0
	}
	require.Equal(t, []any{"a", []byte("b")}, v)
}

func TestReadValueErrors(t *testing.T) {
	t.Parallel()
	nested := func(depth int) string {
		return strings.Repeat("91 ", depth) + "01"
	}
	cases := []struct {
		name string
		in   string
		lim  Limits
		want error
	}{
		{"empty", "", Limits{}, ErrTruncated},
		{"never used", "c1", Limits{}, ErrType},
		{"array 4G", "dd ff ff ff ff", Limits{}, ErrTooLarge},
		{"array claims more than left", "dd 00 00 10 00 01 02 03", Limits{}, ErrTruncated},
		{"map 4G", "df ff ff ff ff", Limits{}, ErrTooLarge},
		{"nested claims share the bytes", "92 92 01 01", Limits{}, ErrTruncated},
		{"map int key", "81 01 02", Limits{}, ErrType},
		{"map key truncated", "81", Limits{}, ErrTruncated},
		{"map value missing", "81 a1 61", Limits{}, ErrTruncated},
		{"ext other type", "d4 01 00", Limits{}, ErrType},
		{"undefined with data 1", "d4 00 01", Limits{}, ErrType},
		{"timestamp ext", "d6 ff 00 00 00 00", Limits{}, ErrType},
		{"ext8", "c7 01 05 00", Limits{}, ErrType},
		{"ext8 truncated", "c7 05 05 00", Limits{}, ErrTruncated},
		{"ext8 type 0 truncated", "c7 05 00 00", Limits{}, ErrTruncated},
		{"ext8 type 0 over limit", "c7 05 00 61 61 61 61 61", Limits{MaxStringLen: 4}, ErrTooLarge},
		{"fixext4 type 0 (notepack Date)", "d6 00 00 00 00 01", Limits{}, ErrType},
		{"string over limit", "a5 61 61 61 61 61", Limits{MaxStringLen: 4}, ErrTooLarge},
		{"bin over limit", "c4 05 61 61 61 61 61", Limits{MaxStringLen: 4}, ErrTooLarge},
		{"array over limit", "93 01 02 03", Limits{MaxContainerLen: 2}, ErrTooLarge},
		{"map over limit", "83 a1 61 01 a1 62 01 a1 63 01", Limits{MaxContainerLen: 2}, ErrTooLarge},
		{"depth over default", nested(33), Limits{}, ErrTooDeep},
		{"depth over limit", nested(3), Limits{MaxDepth: 2}, ErrTooDeep},
		{"truncated inside", "93 01 02", Limits{}, ErrTruncated},
		{"truncated float in array", "91 cb 00", Limits{}, ErrTruncated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := unhex(t, tc.in)
			r := NewReader(in, tc.lim)
			_, err := r.ReadValue()
			require.ErrorIs(t, err, tc.want)
			require.Contains(t, err.Error(), "offset")
			require.Zero(t, r.Offset(), "failed ReadValue restores the position")

			r.Reset(in)
			skipErr := r.Skip()
			_, rawErr := NewReader(in, tc.lim).ReadRaw()
			if tc.want == ErrType && !strings.HasPrefix(tc.name, "never") {
				// Skip accepts every well-formed value, including ext and
				// non-string keys, that ReadValue refuses to decode.
				require.NoError(t, skipErr)
				require.NoError(t, rawErr)
				return
			}
			require.ErrorIs(t, skipErr, tc.want)
			require.ErrorIs(t, rawErr, tc.want)
			require.Zero(t, r.Offset())
		})
	}
}

func TestDepthBoundary(t *testing.T) {
	t.Parallel()
	in := unhex(t, strings.Repeat("91 ", 32)+"01")
	_, err := NewReader(in, Limits{}).ReadValue()
	require.NoError(t, err, "exactly MaxDepth nested arrays are allowed")
	require.NoError(t, NewReader(in, Limits{}).Skip())
}

// TestHostileLengthsAreCheap checks that a 5-byte claim of 4 G elements is
// rejected without allocating anything proportional to the claim.
func TestHostileLengthsAreCheap(t *testing.T) {
	for _, in := range []string{"dd ff ff ff ff", "df ff ff ff ff", "db ff ff ff ff", "c6 ff ff ff ff", "c9 ff ff ff ff 00",
		"dd 00 01 00 00" + strings.Repeat(" dd 00 00 ff ff", 8)} {
		b := unhex(t, in)
		r := NewReader(b, Limits{})
		var err error
		allocs := testing.AllocsPerRun(20, func() {
			r.Reset(b)
			_, err = r.ReadValue()
		})
		require.Error(t, err, in)
		require.LessOrEqual(t, allocs, 16.0, in) // a few for the error message, none for the claim
	}
}

func TestReadValueAllocationBoundedByInput(t *testing.T) {
	// A chain of arrays, each claiming as many elements as the bytes left,
	// would make a naive decoder allocate depth × input. With the reserve
	// check the claims must fit the input together.
	var b []byte
	for range 30 {
		b = AppendArrayHeader(b, 60000)
	}
	b = append(b, make([]byte, 60000)...)
	var err error
	var ms1, ms2 testingMemStats
	ms1.read()
	_, err = NewReader(b, Limits{}).ReadValue()
	ms2.read()
	require.ErrorIs(t, err, ErrTruncated)
	require.Less(t, ms2.totalAlloc-ms1.totalAlloc, uint64(40*len(b)))
}
