package mpack

import (
	"errors"
	"fmt"
)

// Sentinel errors. Reader errors wrap exactly one of them together with the
// byte offset at which decoding failed; test with errors.Is.
var (
	// ErrTruncated: the input ended in the middle of a value.
	ErrTruncated = errors.New("mpack: truncated input")
	// ErrTooLarge: a length exceeds Limits or the bytes left in the input.
	ErrTooLarge = errors.New("mpack: length too large")
	// ErrTooDeep: containers nest deeper than Limits.MaxDepth.
	ErrTooDeep = errors.New("mpack: nesting too deep")
	// ErrType: the value has a different type than requested, or is a type
	// this package does not decode (or, for AppendValue, encode).
	ErrType = errors.New("mpack: unexpected type")
)

// errAt wraps sentinel with the offset and a short description of what failed.
func errAt(off int, sentinel error, format string, args ...any) error {
	return fmt.Errorf("at offset %d: %s: %w", off, fmt.Sprintf(format, args...), sentinel)
}
