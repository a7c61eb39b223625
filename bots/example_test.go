package bots_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"time"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
	statesync "github.com/roomcast/roomcast/sync"
	"github.com/roomcast/roomcast/transport/socketio"
)

// A bot joins an arena room over WebSocket with the msgpack parser, sends
// three inputs and waits until a state frame acknowledges them; its mirror
// holds the room state, and ReadMirror reads it from this goroutine while
// the connection's read goroutine keeps applying frames.
func ExampleGame() {
	// a roomcast server with the arena room type, on 127.0.0.1
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sio, _ := socketio.NewServer(socketio.Config{Logger: log})
	rs, _ := rooms.NewServer(rooms.Config{Logger: log})
	_ = arena.Define(rs, arena.RoomType, arena.Config{Mode: arena.ModeBench}, arena.Settings())
	roomsio.Attach(rs, sio.Of("/"))
	srv := httptest.NewServer(sio)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	mirror := statesync.NewMirror(statesync.MirrorLimits{})
	acked := make(chan uint64, 64)
	g, err := bots.NewGame(bots.GameConfig{
		Client:     bots.Config{URL: srv.URL, Transport: bots.TransportWebSocket, Parser: bots.ParserMsgpack},
		Mirror:     mirror, // applied on the read goroutine, before OnState
		AutoResume: true,   // a dropped connection takes its seat back
	})
	if err != nil {
		panic(err)
	}
	g.OnState(func(kind string, ack uint64) { acked <- ack })
	if err := g.Connect(ctx); err != nil {
		panic(err)
	}
	defer g.Close()
	jr, err := g.JoinOrCreate(ctx, "arena", map[string]any{"name": "ada"})
	if err != nil {
		panic(err)
	}
	fmt.Println("tick rate:", jr.TickRate)
	for range 3 {
		if _, err := g.SendInput(bots.MoveInput{DX: 1, DY: 0}); err != nil {
			panic(err)
		}
	}
	for ack := range acked {
		if ack == 3 {
			break
		}
	}
	fmt.Println("inputs acknowledged:", g.Stats().LastAck)
	g.ReadMirror(func(m bots.StateMirror) {
		players, _ := m.(*statesync.Mirror).Value()["players"].(map[string]any)
		me, _ := players[jr.SessionID].(map[string]any)
		fmt.Println("players:", len(players), "my name:", me["name"])
	})
	// Output:
	// tick rate: 20
	// inputs acknowledged: 3
	// players: 1 my name: ada
}
