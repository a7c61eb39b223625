package rooms_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
	statesync "github.com/roomcast/roomcast/sync"
	"github.com/roomcast/roomcast/transport/socketio"
)

// Player and World are the replicated state (package sync).
type Player struct {
	statesync.Entity
	X, Y statesync.Float32
	Name statesync.String
}

type World struct {
	statesync.Entity
	Players statesync.Map[string, *Player]
}

// Arena is the game code of one room. Every hook runs on the room's own
// goroutine: no locks.
type Arena struct {
	rooms.NopGame // no-op hooks for the ones we skip
	world         World
}

func (a *Arena) OnCreate(r *rooms.Room, opts rooms.Options) error {
	enc, err := statesync.NewEncoder(&a.world, statesync.EncoderOptions{})
	if err != nil {
		return err
	}
	r.SetState(enc) // deltas of a.world go out every tick
	r.SetMetadata("mode", opts.String("mode", "ffa"))
	return nil
}

func (a *Arena) OnJoin(r *rooms.Room, c *rooms.Client, opts rooms.Options) error {
	name := opts.String("name", "")
	if name == "" {
		return rooms.Refuse("pick a name")
	}
	p := &Player{}
	p.Name.Set(name)
	a.world.Players.Set(c.ID(), p)
	c.Data = p
	r.BroadcastExcept(c, "joined", name)
	return nil
}

func (a *Arena) OnInput(r *rooms.Room, c *rooms.Client, in rooms.Input) {
	p := c.Data.(*Player)
	p.X.Set(p.X.Get() + float32(in.Float("dx", 0)))
	p.Y.Set(p.Y.Get() + float32(in.Float("dy", 0)))
}

func (a *Arena) OnLeave(r *rooms.Room, c *rooms.Client, _ rooms.LeaveReason) {
	a.world.Players.Delete(c.ID())
}

// A room type served over Socket.IO, and a Go client that joins, moves and
// sees its input acknowledged in the state it mirrors.
func Example() {
	// Server: Socket.IO transport + rooms.
	sio, _ := socketio.NewServer(socketio.Config{})
	rs, _ := rooms.NewServer(rooms.Config{})
	_ = rs.Define("arena", func() rooms.Game { return &Arena{} }, rooms.Settings{
		TickRate:       20,
		MaxClients:     8,
		ReconnectGrace: 20 * time.Second,
		FilterBy:       []string{"mode"},
	})
	roomsio.Attach(rs, sio.Of("/"))
	hs := httptest.NewServer(sio) // or http.Handle("/socket.io/", sio)
	defer hs.Close()
	defer rs.Shutdown(context.Background())

	// Client (any Socket.IO client works; this is the Go bot).
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	mirror := statesync.NewMirror(statesync.MirrorLimits{})
	acked := make(chan uint64, 100)
	g, _ := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: hs.URL}, Mirror: mirror})
	g.OnState(func(kind string, ack uint64) { acked <- ack })
	if err := g.Connect(ctx); err != nil {
		panic(err)
	}
	defer g.Close()

	_, err := g.JoinOrCreate(ctx, "arena", map[string]any{"mode": "duel"})
	var refused *bots.ProtocolError
	if errors.As(err, &refused) {
		fmt.Println("without a name:", refused.Code, refused.Message)
	}
	seat, err := g.JoinOrCreate(ctx, "arena", map[string]any{"mode": "duel", "name": "ada"})
	if err != nil {
		panic(err)
	}
	fmt.Println("tick rate:", seat.TickRate)

	seq, _ := g.SendInput(map[string]any{"dx": 3, "dy": -1.5})
	for ack := range acked {
		if ack == seq {
			break
		}
	}
	for _, p := range mirror.Value()["Players"].(map[string]any) {
		fmt.Printf("input %d acked; ada at %v\n", seq, []any{p.(map[string]any)["X"], p.(map[string]any)["Y"]})
	}
	rl, _ := g.List(ctx, "arena", map[string]any{"mode": "duel"})
	fmt.Printf("rooms: %d, clients: %d/%d\n", len(rl), rl[0].Clients, rl[0].MaxClients)
	// Output:
	// without a name: join_refused pick a name
	// tick rate: 20
	// input 1 acked; ada at [3 -1.5]
	// rooms: 1, clients: 1/8
}
