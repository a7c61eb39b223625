package arena

import (
	"fmt"

	"github.com/roomcast/roomcast/codec/mpack"
	"github.com/roomcast/roomcast/rooms"
)

// Move is an arena input payload {dx, dy} as the room type decodes it
// (rooms.Settings.Input = DecodeMove): each axis already snapped with Axis
// to -1, 0 or 1, the direction the Sim applies.
type Move struct{ DX, DY float64 }

// DecodeMove is the arena's rooms.InputDecoder: it reads {dx, dy} into a
// Move straight from the payload's bytes, with no generic map, and snaps
// each axis with Axis (as the Sim would). Like the generic path it is
// lenient: a payload that is not an object, a missing axis or an axis that
// is not a number counts as 0; other keys are skipped. Only unreadable
// bytes are an error (the input is dropped). The result is one of nine
// values boxed in advance, so decoding allocates nothing.
func DecodeMove(r rooms.ValueReader) (any, error) {
	var m Move
	k, err := r.PeekKind()
	if err != nil {
		return nil, fmt.Errorf("arena: input: %w", err)
	}
	if k != mpack.KindMap {
		if err := r.Skip(); err != nil {
			return nil, fmt.Errorf("arena: input: %w", err)
		}
		return boxMove(m), nil
	}
	n, err := r.ReadMapHeader()
	if err != nil {
		return nil, fmt.Errorf("arena: input: %w", err)
	}
	for range n {
		key, err := r.ReadStringBytes()
		if err != nil {
			// A non-string key: skip it and its value.
			if err := r.Skip(); err != nil {
				return nil, fmt.Errorf("arena: input key: %w", err)
			}
			if err := r.Skip(); err != nil {
				return nil, fmt.Errorf("arena: input value: %w", err)
			}
			continue
		}
		var axis *float64
		switch string(key) {
		case "dx":
			axis = &m.DX
		case "dy":
			axis = &m.DY
		}
		if axis != nil {
			v, err := r.ReadFloat64()
			if err == nil {
				*axis = v // a repeated key: the last one counts
				continue
			}
			*axis = 0
		}
		if err := r.Skip(); err != nil {
			return nil, fmt.Errorf("arena: input value: %w", err)
		}
	}
	return boxMove(m), nil
}

// unitMoves are the nine snapped moves, already in interfaces: boxing
// these compile-time constants costs no allocation, so every input
// crosses rooms' inbox (an any) without garbage (a Move boxed at run time
// is a 16-byte allocation per input). Read-only.
var unitMoves = [3][3]any{
	{Move{-1, -1}, Move{-1, 0}, Move{-1, 1}},
	{Move{0, -1}, Move{0, 0}, Move{0, 1}},
	{Move{1, -1}, Move{1, 0}, Move{1, 1}},
}

// boxMove snaps m's axes with Axis and returns the matching unitMoves
// entry.
func boxMove(m Move) any {
	return unitMoves[int(Axis(m.DX))+1][int(Axis(m.DY))+1]
}

// moveOf returns in's Move: decoded by DecodeMove, or read from a generic
// payload (a room type defined without Settings.Input).
func moveOf(in rooms.Input) Move {
	if m, ok := rooms.InputAs[Move](in); ok {
		return m
	}
	return Move{DX: in.Float("dx", 0), DY: in.Float("dy", 0)}
}
