package siocodec

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/roomcast/roomcast/codec/mpack"
)

// jsonParser is a bounded JSON parser producing the argument model, its
// tokens read by a JSONScanner. With attachments set it replaces
// {"_placeholder":true,"num":N} objects by attachments[N], like
// socket.io-parser's reconstructPacket.
type jsonParser struct {
	sc          JSONScanner
	attachments [][]byte
	binary      bool
}

// parseDocument parses exactly one JSON value spanning the whole input
// (surrounding white space allowed).
func (p *jsonParser) parseDocument() (any, error) {
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	if err := p.sc.End(); err != nil {
		return nil, err
	}
	return v, nil
}

func (p *jsonParser) value() (any, error) {
	c, ok := p.sc.Peek()
	if !ok {
		return nil, p.sc.Errorf("unexpected end")
	}
	switch {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		return p.str()
	case c == 't':
		return true, p.sc.Literal("true")
	case c == 'f':
		return false, p.sc.Literal("false")
	case c == 'n':
		return nil, p.sc.Literal("null")
	case c == '-' || isDigit(c):
		n, err := p.sc.Number()
		if err != nil {
			return nil, err
		}
		if n.IsInt {
			return n.Int, nil
		}
		return n.Float, nil
	default:
		return nil, p.sc.Errorf("unexpected character %q", c)
	}
}

func (p *jsonParser) array() (any, error) {
	if err := p.sc.Enter(); err != nil {
		return nil, err
	}
	p.sc.Skip() // '['
	arr := []any{}
	if c, ok := p.sc.Peek(); ok && c == ']' {
		p.sc.Skip()
		p.sc.Leave()
		return arr, nil
	}
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		c, ok := p.sc.Peek()
		if !ok {
			return nil, p.sc.Errorf("unterminated array")
		}
		switch c {
		case ',':
			p.sc.Skip()
		case ']':
			p.sc.Skip()
			p.sc.Leave()
			return arr, nil
		default:
			return nil, p.sc.Errorf("expected ',' or ']'")
		}
	}
}

func (p *jsonParser) object() (any, error) {
	if err := p.sc.Enter(); err != nil {
		return nil, err
	}
	p.sc.Skip() // '{'
	obj := map[string]any{}
	if c, ok := p.sc.Peek(); ok && c == '}' {
		p.sc.Skip()
		p.sc.Leave()
		return obj, nil
	}
	for {
		if c, ok := p.sc.Peek(); !ok || c != '"' {
			return nil, p.sc.Errorf("expected object key")
		}
		key, err := p.str()
		if err != nil {
			return nil, err
		}
		if c, ok := p.sc.Peek(); !ok || c != ':' {
			return nil, p.sc.Errorf("expected ':'")
		}
		p.sc.Skip()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		obj[key] = v
		c, ok := p.sc.Peek()
		if !ok {
			return nil, p.sc.Errorf("unterminated object")
		}
		switch c {
		case ',':
			p.sc.Skip()
		case '}':
			p.sc.Skip()
			p.sc.Leave()
			if p.binary {
				if ph, ok := obj["_placeholder"]; ok && ph == true {
					return p.placeholder(obj)
				}
			}
			return obj, nil
		default:
			return nil, p.sc.Errorf("expected ',' or '}'")
		}
	}
}

func (p *jsonParser) placeholder(obj map[string]any) (any, error) {
	var num int64 = -1
	switch n := obj["num"].(type) {
	case int64:
		num = n
	case float64:
		if n == math.Trunc(n) && n >= 0 && n < float64(len(p.attachments)) {
			num = int64(n)
		}
	}
	if num < 0 || num >= int64(len(p.attachments)) {
		return nil, fmt.Errorf("%w: illegal attachment placeholder (have %d attachments)", ErrInvalidPacket, len(p.attachments))
	}
	return p.attachments[num], nil
}

func (p *jsonParser) str() (string, error) {
	var short [64]byte // most strings are unescaped here, off the heap
	b, err := p.sc.AppendString(short[:0])
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// ---- encoding ----

const maxEncodeDepth = 100

// appendJSON appends v as JSON. []byte and mpack.Raw become placeholders and
// are appended to *attachments (which must then be non-nil).
func appendJSON(b []byte, v any, attachments *[][]byte, depth int) ([]byte, error) {
	if depth > maxEncodeDepth {
		return b, fmt.Errorf("%w: nesting deeper than %d", ErrTooDeep, maxEncodeDepth)
	}
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		if v {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case string:
		return appendJSONString(b, v), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int8:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int16:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case uint:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint64:
		return strconv.AppendUint(b, v, 10), nil
	case float32:
		return appendJSONFloat(b, float64(v), 32), nil
	case float64:
		return appendJSONFloat(b, v, 64), nil
	case json.Number:
		if _, err := strconv.ParseFloat(string(v), 64); err != nil || !json.Valid([]byte(v)) {
			return b, fmt.Errorf("%w: invalid json.Number %q", ErrUnsupportedValue, string(v))
		}
		return append(b, v...), nil
	case []byte:
		return appendPlaceholder(b, v, attachments)
	case mpack.Raw:
		if len(v) == 0 {
			return b, fmt.Errorf("%w: empty mpack.Raw", ErrUnsupportedValue)
		}
		return appendPlaceholder(b, v, attachments)
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, e, attachments, depth+1); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case map[string]any:
		if v == nil {
			return append(b, "null"...), nil
		}
		var stack [16]string
		keys := stack[:0]
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			var err error
			if b, err = appendJSON(b, v[k], attachments, depth+1); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	default:
		return b, fmt.Errorf("%w: %T", ErrUnsupportedValue, v)
	}
}

func appendPlaceholder(b []byte, data []byte, attachments *[][]byte) ([]byte, error) {
	if attachments == nil {
		return b, fmt.Errorf("%w: binary value where no attachments are allowed", ErrUnsupportedValue)
	}
	b = append(b, `{"_placeholder":true,"num":`...)
	b = strconv.AppendInt(b, int64(len(*attachments)), 10)
	*attachments = append(*attachments, data)
	return append(b, '}'), nil
}

// appendJSONFloat formats like JavaScript's JSON.stringify: non-finite -> null.
func appendJSONFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b) - start
		if n >= 4 && b[len(b)-4] == 'e' && b[len(b)-3] == '-' && b[len(b)-2] == '0' {
			b[len(b)-2] = b[len(b)-1]
			b = b[:len(b)-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
