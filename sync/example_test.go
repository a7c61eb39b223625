package statesync_test

import (
	"fmt"

	statesync "github.com/roomcast/roomcast/sync"
)

type Player struct {
	statesync.Entity
	X, Y  statesync.Float32
	HP    statesync.Uint8
	Score statesync.Uint16
	Name  statesync.String
	input [2]float32 // server-only: not replicated
}

type Arena struct {
	statesync.Entity
	Players statesync.Map[string, *Player]
}

func Example() {
	// Server: declare, track, mutate in the tick, encode once per tick.
	arena := &Arena{}
	enc, err := statesync.NewEncoder(arena, statesync.EncoderOptions{})
	if err != nil {
		panic(err)
	}
	ann := &Player{}
	ann.Name.Set("Ann")
	ann.HP.Set(100)
	arena.Players.Set("s1", ann)
	joinDelta, _ := enc.EncodeDelta(nil, 1)
	snapshot := enc.EncodeSnapshot(nil, 1) // for a client joining now

	ann.X.Set(12.5) // tick 2: Ann moves
	ann.Y.Set(-3)
	moveDelta, changed := enc.EncodeDelta(nil, 2)
	fmt.Println(changed, len(moveDelta), "bytes")

	// Client (or bot): mirror the state.
	m := statesync.NewMirror(statesync.MirrorLimits{})
	if err := m.ApplySnapshot(snapshot); err != nil {
		panic(err)
	}
	if err := m.ApplyDelta(moveDelta); err != nil {
		panic(err)
	}
	fmt.Println(m.Tick(), m.Value()["Players"])
	fmt.Println(m.Checksum() == enc.Checksum(), len(joinDelta) > 0)
	// Output:
	// true 15 bytes
	// 2 map[s1:map[HP:100 Name:Ann Score:0 X:12.5 Y:-3]]
	// true true
}
