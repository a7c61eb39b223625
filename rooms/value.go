package rooms

import (
	"encoding/json"
	"fmt"
	"math"
)

// checkValue verifies v is in the argument model (what Socket.IO can carry).
func checkValue(v any, depth int) error {
	if depth > 32 {
		return fmt.Errorf("nesting deeper than 32")
	}
	switch v := v.(type) {
	case nil, bool, string, []byte, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64, json.Number:
		return nil
	case []any:
		for _, e := range v {
			if err := checkValue(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	case map[string]any:
		for _, e := range v {
			if err := checkValue(e, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unsupported value of type %T", v)
}

// approxSize estimates v's encoded size (msgpack-ish) and stops counting
// once it passes limit (returning a value > limit).
func approxSize(v any, limit int) int {
	n := 0
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if n > limit || depth > 64 {
			n = limit + 1
			return
		}
		switch v := v.(type) {
		case nil, bool:
			n++
		case int64, float64, int, uint64, float32, int32, uint32:
			n += 5
		case string:
			n += 2 + len(v)
		case []byte:
			n += 2 + len(v)
		case []any:
			n += 3
			for _, e := range v {
				walk(e, depth+1)
			}
		case map[string]any:
			n += 3
			for k, e := range v {
				n += 2 + len(k)
				walk(e, depth+1)
			}
		default:
			n += 8
		}
	}
	walk(v, 0)
	return n
}

// numeric converts a number in the argument model to float64.
func numeric(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case int:
		return float64(v), true
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case uint64:
		return float64(v), true
	case int32:
		return float64(v), true
	case uint32:
		return float64(v), true
	}
	return 0, false
}

// valuesEqual compares two filter/metadata values (numbers by value).
func valuesEqual(a, b any) bool {
	if fa, ok := numeric(a); ok {
		fb, ok := numeric(b)
		return ok && fa == fb && !math.IsNaN(fa)
	}
	switch a := a.(type) {
	case string:
		s, ok := b.(string)
		return ok && a == s
	case bool:
		x, ok := b.(bool)
		return ok && a == x
	case nil:
		return b == nil
	}
	return false
}

// matchFilter reports whether every key of filter is in meta with an equal
// value.
func matchFilter(meta, filter map[string]any) bool {
	for k, want := range filter {
		got, ok := meta[k]
		if !ok || !valuesEqual(got, want) {
			return false
		}
	}
	return true
}

// cloneMap copies a metadata map one level deep (values are immutable by
// contract).
func cloneMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
