package mpack

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
)

// Raw is one already-encoded msgpack value. AppendValue splices it verbatim
// (it is trusted, not validated); Reader.ReadRaw returns one.
type Raw []byte

// maxAppendDepth bounds AppendValue's recursion so a self-referencing []any
// yields an error rather than a stack overflow.
const maxAppendDepth = 100

// AppendValue appends a generic Go value:
//
//   - nil -> nil; bool -> bool
//   - int, int8..int64, uint, uint8..uint64 -> smallest integer form
//   - float32 -> float32, float64 -> float64
//   - string -> str; []byte -> bin; Raw -> its bytes verbatim
//   - []any -> array; map[string]any -> map with keys in sorted order, so
//     equal maps encode to equal bytes
//   - json.Number -> int if it parses as int64 (or uint64), else float64
//
// Nil slices and maps ([]any(nil), map[string]any(nil), []byte(nil)) encode as
// nil, like encoding/json's null. Any other type, an empty Raw, an invalid
// json.Number or nesting deeper than 100 yields an error wrapping ErrType or
// ErrTooDeep; b is then returned with whatever was appended before the
// failure, so callers should discard it.
func AppendValue(b []byte, v any) ([]byte, error) {
	return appendValue(b, v, 0)
}

func appendValue(b []byte, v any, depth int) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return AppendNil(b), nil
	case bool:
		return AppendBool(b, v), nil
	case int:
		return AppendInt(b, int64(v)), nil
	case int8:
		return AppendInt(b, int64(v)), nil
	case int16:
		return AppendInt(b, int64(v)), nil
	case int32:
		return AppendInt(b, int64(v)), nil
	case int64:
		return AppendInt(b, v), nil
	case uint:
		return AppendUint(b, uint64(v)), nil
	case uint8:
		return AppendUint(b, uint64(v)), nil
	case uint16:
		return AppendUint(b, uint64(v)), nil
	case uint32:
		return AppendUint(b, uint64(v)), nil
	case uint64:
		return AppendUint(b, v), nil
	case float32:
		return AppendFloat32(b, v), nil
	case float64:
		return AppendFloat64(b, v), nil
	case string:
		return AppendString(b, v), nil
	case []byte:
		if v == nil {
			return AppendNil(b), nil
		}
		return AppendBytes(b, v), nil
	case Raw:
		if len(v) == 0 {
			return b, fmt.Errorf("mpack: append value: empty Raw: %w", ErrType)
		}
		return append(b, v...), nil
	case json.Number:
		return appendJSONNumber(b, v)
	case []any:
		if v == nil {
			return AppendNil(b), nil
		}
		if depth >= maxAppendDepth {
			return b, fmt.Errorf("mpack: append value: deeper than %d: %w", maxAppendDepth, ErrTooDeep)
		}
		b = AppendArrayHeader(b, len(v))
		var err error
		for _, e := range v {
			if b, err = appendValue(b, e, depth+1); err != nil {
				return b, err
			}
		}
		return b, nil
	case map[string]any:
		if v == nil {
			return AppendNil(b), nil
		}
		if depth >= maxAppendDepth {
			return b, fmt.Errorf("mpack: append value: deeper than %d: %w", maxAppendDepth, ErrTooDeep)
		}
		return appendMap(b, v, depth)
	default:
		return b, fmt.Errorf("mpack: append value: unsupported type %T: %w", v, ErrType)
	}
}

func appendMap(b []byte, m map[string]any, depth int) ([]byte, error) {
	b = AppendMapHeader(b, len(m))
	// Sort keys for deterministic output; small maps sort on the stack.
	var small [16]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var err error
	for _, k := range keys {
		b = AppendString(b, k)
		if b, err = appendValue(b, m[k], depth+1); err != nil {
			return b, err
		}
	}
	return b, nil
}

func appendJSONNumber(b []byte, n json.Number) ([]byte, error) {
	s := string(n)
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return AppendInt(b, i), nil
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		return AppendUint(b, u), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return b, fmt.Errorf("mpack: append value: json.Number %q: %w", s, ErrType)
	}
	return AppendFloat64(b, f), nil
}
