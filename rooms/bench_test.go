package rooms

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	statesync "github.com/roomcast/roomcast/sync"
)

// nullConn takes every frame (a session whose queue always has room): it
// isolates rooms' own per-tick cost from the transport's.
type nullConn struct {
	frames atomic.Int64
	bytes  atomic.Int64
}

func (n *nullConn) ID() string { return "null" }
func (n *nullConn) SendState(p *StatePacket, ack uint64) (bool, error) {
	n.frames.Add(1)
	n.bytes.Add(int64(len(p.State)))
	return true, nil
}
func (n *nullConn) SendMessage(string, any) error                            { return nil }
func (n *nullConn) SendMessageWithAck(string, any, func([]any, error)) error { return nil }
func (n *nullConn) SendLeft(string, string) error                            { return nil }
func (n *nullConn) SendLobbyRooms([]Listing) error                           { return nil }
func (n *nullConn) SendLobbyUpdate(Listing) error                            { return nil }
func (n *nullConn) SendLobbyRemove(string) error                             { return nil }
func (n *nullConn) Close()                                                   {}

// arena v1 state: player {x, y float32; hp uint8; score uint16; name 8 chars}.
type benchPlayer struct {
	statesync.Entity
	X, Y  statesync.Float32
	HP    statesync.Uint8
	Score statesync.Uint16
	Name  statesync.String
}

type benchWorld struct {
	statesync.Entity
	Players statesync.Map[string, *benchPlayer]
}

type benchGame struct {
	NopGame
	w *benchWorld
}

func (g *benchGame) OnCreate(r *Room, _ Options) error {
	g.w = &benchWorld{}
	enc, err := statesync.NewEncoder(g.w, statesync.EncoderOptions{})
	if err != nil {
		return err
	}
	r.SetState(enc)
	return nil
}

func (g *benchGame) OnJoin(r *Room, c *Client, _ Options) error {
	p := &benchPlayer{}
	p.Name.Set(fmt.Sprintf("bot%05d", len(r.Clients())))
	p.HP.Set(100)
	g.w.Players.Set(c.ID(), p)
	c.Data = p
	return nil
}

func (g *benchGame) OnInput(r *Room, c *Client, in Input) {
	p := c.Data.(*benchPlayer)
	p.X.Set(p.X.Get() + float32(in.Float("dx", 0)))
	p.Y.Set(p.Y.Get() + float32(in.Float("dy", 0)))
}

// benchRoom builds a room with n seated clients on nullConns without its
// goroutine, so step can be driven directly.
func benchRoom(b *testing.B, n int) (*Room, []*Client, []*nullConn) {
	conns := make([]*nullConn, n)
	r := seatedRoom(b, n, func() Game { return &benchGame{} }, func(i int) Conn {
		conns[i] = &nullConn{}
		return conns[i]
	})
	return r, r.clients, conns
}

// seatedRoom builds a room of a type whose games newGame makes, with n
// clients seated on connOf(0..n-1) and their snapshots sent, without the
// room's goroutine: a benchmark drives its ticks.
func seatedRoom(b testing.TB, n int, newGame func() Game, connOf func(i int) Conn) *Room {
	srv, err := NewServer(Config{Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	if err := srv.Define("bench", newGame, Settings{MaxClients: n}); err != nil {
		b.Fatal(err)
	}
	t, _ := srv.roomType("bench")
	r := newRoom(srv, t, "bench", nil)
	r.game = t.newGame()
	if err := r.game.OnCreate(r, nil); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		s := srv.Connect(connOf(i), ConnInfo{})
		s.pending = true
		r.match.seats++
		r.handleJoin(&inboxMsg{kind: msgJoin, sess: s, seatDone: func(Seat, error) {}})
	}
	r.tickN = 1
	r.fan.send(r.tickN, srv.clock.Now()) // snapshots
	return r
}

// BenchmarkRoomTick8: one tick of a room of 8 arena players, each with a
// new input: apply inputs, encode the delta once, queue it with each
// recipient's ack on 8 sessions (null transport). ns/op is per tick.
func BenchmarkRoomTick8(b *testing.B) {
	r, clients, conns := benchRoom(b, 8)
	payload := map[string]any{"dx": 0.5, "dy": -0.25}
	now := r.srv.clock.Now()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		seq := uint64(i + 1)
		for _, c := range clients {
			m := inboxMsg{kind: msgInput, sess: c.sess, client: c, seq: seq, payload: payload}
			r.handle(&m)
		}
		r.tickN++
		r.fan.send(r.tickN, now)
	}
	b.StopTimer()
	var frames, bytes int64
	for _, c := range conns {
		frames += c.frames.Load()
		bytes += c.bytes.Load()
	}
	b.ReportMetric(float64(bytes)/float64(frames), "state-B/frame")
}

// BenchmarkRoomTickFanout: per-recipient cost of the broadcast path (a
// delta every tick, 8..64 recipients); allocs/op divided by recipients
// shows what rooms adds per recipient (target 0).
func BenchmarkRoomTickFanout(b *testing.B) {
	for _, n := range []int{8, 64} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r, clients, _ := benchRoom(b, n)
			now := r.srv.clock.Now()
			p := clients[0].Data.(*benchPlayer)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				p.X.Set(float32(i))
				clients[0].acked++
				r.tickN++
				r.fan.send(r.tickN, now)
			}
		})
	}
}

// BenchmarkReserveSeat: the matchmaker's critical section alone (find a
// room with a free seat under the type's lock, or create one), parallel.
func BenchmarkReserveSeat(b *testing.B) {
	srv, err := NewServer(Config{Logger: discardLogger()})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	if err := srv.Define("arena", func() Game { return &benchGame{} }, Settings{MaxClients: 8, TickRate: 1}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := srv.reserve("arena", nil, JoinOrCreate, func() error { return nil }); err != nil {
				panic(err)
			}
		}
	})
}

// BenchmarkJoinOrCreateBurst: 1000 simultaneous rooms.joinOrCreate calls
// (rooms of 8, 20 Hz) until every ack arrived: reservation, room creation,
// the trip through each room's inbox, OnJoin, token, ack. One op = one
// burst; joins/s is the burst's throughput (bounded below by the one-tick
// wait for the join to be drained).
func BenchmarkJoinOrCreateBurst(b *testing.B) {
	const burst = 1000
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		srv, err := NewServer(Config{Logger: discardLogger()})
		if err != nil {
			b.Fatal(err)
		}
		if err := srv.Define("arena", func() Game { return &benchGame{} }, Settings{MaxClients: 8}); err != nil {
			b.Fatal(err)
		}
		sessions := make([]*Session, burst)
		for i := range sessions {
			sessions[i] = srv.Connect(&nullConn{}, ConnInfo{})
		}
		var wg sync.WaitGroup
		wg.Add(burst)
		b.StartTimer()
		for _, s := range sessions {
			go s.Join(JoinRequest{Name: "arena"}, func(_ Seat, err error) {
				if err != nil {
					panic(err)
				}
				wg.Done()
			})
		}
		wg.Wait()
		b.StopTimer()
		_ = srv.Shutdown(context.Background())
		b.StartTimer()
	}
	b.ReportMetric(float64(burst*b.N)/b.Elapsed().Seconds(), "joins/s")
}
