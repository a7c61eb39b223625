package siocodec

import (
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// JSONScanner reads the tokens of one JSON document with the default
// parser's rules, for code that builds its own value from them (the
// generic decoder builds []any/map[string]any; the server's raw event path
// transcodes to msgpack). The rules, shared by both so they cannot drift:
//
//   - white space is ' ', '\t', '\n' and '\r';
//   - a string may not hold a control character; escapes are JSON's, a
//     lone or mismatched UTF-16 surrogate becomes U+FFFD, other bytes are
//     copied as they are (invalid UTF-8 included);
//   - a number is JSON's grammar; an integer literal that fits an int64 is
//     an integer, anything else a float64 (overflow gives ±Inf);
//   - containers nest at most maxDepth deep (the outermost is depth 1).
//
// The scanner does not check the grammar between tokens: its user walks
// values, arrays and objects and calls Enter and Leave around containers.
// Errors wrap ErrInvalidPacket (ErrTooDeep for the depth) and name the
// offset.
type JSONScanner struct {
	s        []byte
	i        int
	depth    int
	maxDepth int
}

// NewJSONScanner returns a scanner at the start of data allowing
// containers maxDepth deep.
func NewJSONScanner(data []byte, maxDepth int) JSONScanner {
	return JSONScanner{s: data, maxDepth: maxDepth}
}

// Offset is the index of the next unread byte.
func (s *JSONScanner) Offset() int { return s.i }

// SkipSpace moves past white space.
func (s *JSONScanner) SkipSpace() {
	for s.i < len(s.s) {
		switch s.s[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// Peek skips white space and returns the next byte without reading it;
// ok is false at the end of the input.
func (s *JSONScanner) Peek() (c byte, ok bool) {
	s.SkipSpace()
	if s.i >= len(s.s) {
		return 0, false
	}
	return s.s[s.i], true
}

// Skip reads one byte (one Peek has returned).
func (s *JSONScanner) Skip() { s.i++ }

// Literal reads lit (true, false or null) or fails.
func (s *JSONScanner) Literal(lit string) error {
	if len(s.s)-s.i < len(lit) || string(s.s[s.i:s.i+len(lit)]) != lit {
		return s.Errorf("invalid literal")
	}
	s.i += len(lit)
	return nil
}

// Enter counts one more level of nesting; it fails past maxDepth.
func (s *JSONScanner) Enter() error {
	s.depth++
	if s.depth > s.maxDepth {
		return fmt.Errorf("%w (limit %d) at offset %d", ErrTooDeep, s.maxDepth, s.i)
	}
	return nil
}

// Leave ends the level Enter began.
func (s *JSONScanner) Leave() { s.depth-- }

// End fails unless only white space is left.
func (s *JSONScanner) End() error {
	s.SkipSpace()
	if s.i != len(s.s) {
		return s.Errorf("trailing data")
	}
	return nil
}

// Errorf returns an ErrInvalidPacket error naming the current offset.
func (s *JSONScanner) Errorf(format string, args ...any) error {
	return fmt.Errorf("%w: JSON at offset %d: %s", ErrInvalidPacket, s.i, fmt.Sprintf(format, args...))
}

// AppendString reads the string at the current offset (its opening quote
// included) and appends its unescaped bytes to dst.
func (s *JSONScanner) AppendString(dst []byte) ([]byte, error) {
	s.i++ // opening quote
	for {
		start := s.i
		for s.i < len(s.s) && s.s[s.i] != '"' && s.s[s.i] != '\\' && s.s[s.i] >= 0x20 {
			s.i++
		}
		dst = append(dst, s.s[start:s.i]...)
		if s.i >= len(s.s) {
			return dst, s.Errorf("unterminated string")
		}
		switch c := s.s[s.i]; {
		case c == '"':
			s.i++
			return dst, nil
		case c < 0x20:
			return dst, s.Errorf("control character in string")
		}
		var err error
		if dst, err = s.appendEscape(dst); err != nil {
			return dst, err
		}
	}
}

// appendEscape reads the escape at the current offset (its backslash
// included) and appends what it stands for.
func (s *JSONScanner) appendEscape(dst []byte) ([]byte, error) {
	if s.i+1 >= len(s.s) {
		return dst, s.Errorf("unterminated escape")
	}
	e := s.s[s.i+1]
	s.i += 2
	switch e {
	case '"', '\\', '/':
		return append(dst, e), nil
	case 'b':
		return append(dst, '\b'), nil
	case 'f':
		return append(dst, '\f'), nil
	case 'n':
		return append(dst, '\n'), nil
	case 'r':
		return append(dst, '\r'), nil
	case 't':
		return append(dst, '\t'), nil
	case 'u':
		r, ok := s.hex4()
		if !ok {
			return dst, s.Errorf("invalid \\u escape")
		}
		if utf16.IsSurrogate(r) {
			r = s.lowSurrogate(r)
		}
		return utf8.AppendRune(dst, r), nil
	}
	return dst, s.Errorf("invalid escape")
}

// lowSurrogate pairs the high surrogate hi with a following \uXXXX low
// surrogate, reading it; without one it reads nothing and returns U+FFFD.
func (s *JSONScanner) lowSurrogate(hi rune) rune {
	if s.i+1 >= len(s.s) || s.s[s.i] != '\\' || s.s[s.i+1] != 'u' {
		return utf8.RuneError
	}
	save := s.i
	s.i += 2
	if lo, ok := s.hex4(); ok {
		if r := utf16.DecodeRune(hi, lo); r != utf8.RuneError {
			return r
		}
	}
	s.i = save
	return utf8.RuneError
}

func (s *JSONScanner) hex4() (rune, bool) {
	if len(s.s)-s.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s.s[s.i : s.i+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	s.i += 4
	return r, true
}

// JSONNumber is a number JSONScanner read: Int when IsInt, else Float.
type JSONNumber struct {
	Int   int64
	Float float64
	IsInt bool
}

// Number reads the number at the current offset (its first byte is '-' or
// a digit).
func (s *JSONScanner) Number() (JSONNumber, error) {
	start := s.i
	if s.i < len(s.s) && s.s[s.i] == '-' {
		s.i++
	}
	if !s.digits(true) {
		return JSONNumber{}, s.Errorf("invalid number")
	}
	integer := true
	if s.i < len(s.s) && s.s[s.i] == '.' {
		integer = false
		s.i++
		if !s.digits(false) {
			return JSONNumber{}, s.Errorf("invalid number")
		}
	}
	if s.i < len(s.s) && (s.s[s.i] == 'e' || s.s[s.i] == 'E') {
		integer = false
		s.i++
		if s.i < len(s.s) && (s.s[s.i] == '+' || s.s[s.i] == '-') {
			s.i++
		}
		if !s.digits(false) {
			return JSONNumber{}, s.Errorf("invalid number")
		}
	}
	text := s.s[start:s.i]
	if integer {
		if n, ok := parseInt64(text); ok {
			return JSONNumber{Int: n, IsInt: true}, nil
		}
	}
	// The string aliases text only for this call (an error, which could
	// keep it, is dropped): no allocation per float.
	f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(text), len(text)), 64)
	if err != nil && !math.IsInf(f, 0) {
		return JSONNumber{}, s.Errorf("invalid number")
	}
	return JSONNumber{Float: f}, nil
}

// digits reads one or more decimal digits; with integerPart a leading '0'
// stands alone (JSON has no leading zeros). It reports whether there was
// at least one.
func (s *JSONScanner) digits(integerPart bool) bool {
	if s.i >= len(s.s) || !isDigit(s.s[s.i]) {
		return false
	}
	if integerPart && s.s[s.i] == '0' {
		s.i++
		return true
	}
	for s.i < len(s.s) && isDigit(s.s[s.i]) {
		s.i++
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseInt64 parses an optionally negative decimal integer that fits an
// int64, without allocating.
func parseInt64(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}
