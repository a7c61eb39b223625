package mpack

import (
	"math"
)

// msgpack format bytes.
const (
	fmtNil      = 0xc0
	fmtNeverUse = 0xc1
	fmtFalse    = 0xc2
	fmtTrue     = 0xc3
	fmtBin8     = 0xc4
	fmtBin16    = 0xc5
	fmtBin32    = 0xc6
	fmtExt8     = 0xc7
	fmtExt16    = 0xc8
	fmtExt32    = 0xc9
	fmtFloat32  = 0xca
	fmtFloat64  = 0xcb
	fmtUint8    = 0xcc
	fmtUint16   = 0xcd
	fmtUint32   = 0xce
	fmtUint64   = 0xcf
	fmtInt8     = 0xd0
	fmtInt16    = 0xd1
	fmtInt32    = 0xd2
	fmtInt64    = 0xd3
	fmtFixExt1  = 0xd4
	fmtFixExt2  = 0xd5
	fmtFixExt4  = 0xd6
	fmtFixExt8  = 0xd7
	fmtFixExt16 = 0xd8
	fmtStr8     = 0xd9
	fmtStr16    = 0xda
	fmtStr32    = 0xdb
	fmtArray16  = 0xdc
	fmtArray32  = 0xdd
	fmtMap16    = 0xde
	fmtMap32    = 0xdf

	fixMapPrefix   = 0x80
	fixArrayPrefix = 0x90
	fixStrPrefix   = 0xa0
)

// AppendNil appends msgpack nil.
func AppendNil(b []byte) []byte { return append(b, fmtNil) }

// AppendBool appends true or false.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, fmtTrue)
	}
	return append(b, fmtFalse)
}

// AppendInt appends v in its smallest encoding. Non-negative values use the
// unsigned forms (positive fixint, uint8, ...), as JavaScript encoders do.
func AppendInt(b []byte, v int64) []byte {
	if v >= 0 {
		return AppendUint(b, uint64(v))
	}
	switch {
	case v >= -32:
		return append(b, byte(v)) // negative fixint 0xe0..0xff
	case v >= math.MinInt8:
		return append(b, fmtInt8, byte(v))
	case v >= math.MinInt16:
		return append(b, fmtInt16, byte(v>>8), byte(v))
	case v >= math.MinInt32:
		return append(b, fmtInt32, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	default:
		return appendU64(append(b, fmtInt64), uint64(v))
	}
}

// AppendUint appends v in its smallest encoding.
func AppendUint(b []byte, v uint64) []byte {
	switch {
	case v <= 0x7f:
		return append(b, byte(v))
	case v <= math.MaxUint8:
		return append(b, fmtUint8, byte(v))
	case v <= math.MaxUint16:
		return append(b, fmtUint16, byte(v>>8), byte(v))
	case v <= math.MaxUint32:
		return append(b, fmtUint32, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	default:
		return appendU64(append(b, fmtUint64), v)
	}
}

func appendU64(b []byte, v uint64) []byte {
	return append(b, byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32),
		byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
}

// AppendFloat32 appends v as a msgpack float32 (5 bytes).
func AppendFloat32(b []byte, v float32) []byte {
	u := math.Float32bits(v)
	return append(b, fmtFloat32, byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
}

// AppendFloat64 appends v as a msgpack float64 (9 bytes).
func AppendFloat64(b []byte, v float64) []byte {
	return appendU64(append(b, fmtFloat64), math.Float64bits(v))
}

// AppendString appends s as a msgpack str (fixstr, str8, str16 or str32).
// It panics if len(s) exceeds math.MaxUint32, which msgpack cannot express.
func AppendString(b []byte, s string) []byte {
	b = appendStrHeader(b, len(s))
	return append(b, s...)
}

// AppendStringBytes appends s as a msgpack str, like AppendString.
func AppendStringBytes(b []byte, s []byte) []byte {
	b = appendStrHeader(b, len(s))
	return append(b, s...)
}

func appendStrHeader(b []byte, n int) []byte {
	switch {
	case n < 32:
		return append(b, fixStrPrefix|byte(n))
	case n <= math.MaxUint8:
		return append(b, fmtStr8, byte(n))
	case n <= math.MaxUint16:
		return append(b, fmtStr16, byte(n>>8), byte(n))
	default:
		return appendLen32(b, fmtStr32, n, "string")
	}
}

// AppendBytes appends p as msgpack bin (bin8, bin16 or bin32). A nil or empty
// p is written as an empty bin, never as nil.
// It panics if len(p) exceeds math.MaxUint32.
func AppendBytes(b []byte, p []byte) []byte {
	n := len(p)
	switch {
	case n <= math.MaxUint8:
		b = append(b, fmtBin8, byte(n))
	case n <= math.MaxUint16:
		b = append(b, fmtBin16, byte(n>>8), byte(n))
	default:
		b = appendLen32(b, fmtBin32, n, "bin")
	}
	return append(b, p...)
}

// AppendArrayHeader appends the header of an array of n elements; the caller
// then appends exactly n values. It panics if n is negative or exceeds
// math.MaxUint32 (a programming error, like a negative slice length).
func AppendArrayHeader(b []byte, n int) []byte {
	switch {
	case n < 0:
		panic("mpack: AppendArrayHeader with negative length")
	case n < 16:
		return append(b, fixArrayPrefix|byte(n))
	case n <= math.MaxUint16:
		return append(b, fmtArray16, byte(n>>8), byte(n))
	default:
		return appendLen32(b, fmtArray32, n, "array")
	}
}

// AppendMapHeader appends the header of a map of n key/value pairs; the
// caller then appends 2n values (key, value, key, value, ...). It panics if n
// is negative or exceeds math.MaxUint32.
func AppendMapHeader(b []byte, n int) []byte {
	switch {
	case n < 0:
		panic("mpack: AppendMapHeader with negative length")
	case n < 16:
		return append(b, fixMapPrefix|byte(n))
	case n <= math.MaxUint16:
		return append(b, fmtMap16, byte(n>>8), byte(n))
	default:
		return appendLen32(b, fmtMap32, n, "map")
	}
}

func appendLen32(b []byte, format byte, n int, what string) []byte {
	if uint64(n) > math.MaxUint32 {
		panic("mpack: " + what + " longer than 4 GiB - 1 cannot be encoded")
	}
	return append(b, format, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
}
