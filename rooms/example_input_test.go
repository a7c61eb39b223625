package rooms_test

import (
	"fmt"

	"github.com/roomcast/roomcast/codec/mpack"
	"github.com/roomcast/roomcast/rooms"
)

// Aim is a game's own input type.
type Aim struct {
	Angle float64
	Fire  bool
}

// decodeAim reads {angle, fire} piece by piece: no map per input.
func decodeAim(r rooms.ValueReader) (any, error) {
	var a Aim
	n, err := r.ReadMapHeader()
	if err != nil {
		return nil, err
	}
	for range n {
		key, err := r.ReadStringBytes()
		if err != nil {
			return nil, err
		}
		switch string(key) {
		case "angle":
			a.Angle, err = r.ReadFloat64()
		case "fire":
			a.Fire, err = r.ReadBool()
		default:
			err = r.Skip()
		}
		if err != nil {
			return nil, err
		}
	}
	return a, nil
}

// A room type declares its input type with Settings.Input; OnInput gets
// the decoded value (rooms.InputAs). Here the decoder runs on bytes as a
// msgpack client sends them.
func ExampleInputDecoder() {
	settings := rooms.Settings{Input: decodeAim}
	payload, _ := mpack.AppendValue(nil, map[string]any{"angle": 1.5, "fire": true, "extra": "ignored"})
	v, err := settings.Input(mpack.NewReader(payload, mpack.Limits{}))
	in := rooms.Input{Seq: 7, Payload: v}
	aim, ok := rooms.InputAs[Aim](in)
	fmt.Println(err, ok, aim.Angle, aim.Fire)
	// Output: <nil> true 1.5 true
}
