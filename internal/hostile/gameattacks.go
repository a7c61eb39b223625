package hostile

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roomcast/roomcast/bots"
)

// botConfig is the connection config of a bot connecting from src (nil:
// the kernel's choice, 127.0.0.1 on loopback).
func botConfig(base string, tr bots.Transport, src net.IP) bots.Config {
	cfg := bots.Config{URL: base, Transport: tr, ConnectTimeout: 10 * time.Second, AckTimeout: 10 * time.Second}
	if src != nil {
		cfg.LocalAddr = &net.TCPAddr{IP: src}
		cfg.HTTPClient = HTTPClientFrom(src, 4)
	}
	return cfg
}

// countErr tallies a failed request or connection: a server error code
// or HTTP status as refused, anything else as an error.
func (t *tally) countErr(err error) {
	var pe *bots.ProtocolError
	var ce *bots.ConnectError
	switch {
	case errors.As(err, &pe):
		t.refusedCode(pe.Code)
	case errors.As(err, &ce):
		t.refusedCode("connect_error " + ce.Message)
	default:
		if m := statusInError.FindStringSubmatch(err.Error()); m != nil {
			st, _ := strconv.Atoi(m[1])
			t.refusedStatus(st)
			return
		}
		t.failed()
	}
}

// statusInError finds the HTTP status in a bots connection error (the
// client reports a refused handshake as "status NNN" (polling) or
// "unexpected status code: NNN" (WebSocket)).
var statusInError = regexp.MustCompile(`status(?: code)?:? (\d{3})\b`)

// RoomFlood is finding 2: Clients connections each create an arena room
// with rooms.create, drop the connection without leaving (the seat goes
// into its grace period and the room keeps ticking), connect again and
// create the next, for Duration. A server with a creation rate and a
// room cap refuses them with an error code.
type RoomFlood struct {
	Clients  int
	Duration time.Duration
	RoomType string // default "arena"
	// PerConnection is how many rooms a connection creates before it
	// drops (leaving the seat between two, which disposes that room);
	// default 1: create, drop, reconnect (what a per-connection rate
	// alone does not stop). More tests the per-connection rate.
	PerConnection int
}

// Run runs the attack against base. Accepted counts rooms created,
// Attempts creations tried.
func (a RoomFlood) Run(ctx context.Context, base string) (Result, error) {
	if a.RoomType == "" {
		a.RoomType = "arena"
	}
	if a.PerConnection < 1 {
		a.PerConnection = 1
	}
	t := newTally("room-flood")
	ctx, cancel := context.WithTimeout(ctx, a.Duration)
	defer cancel()
	var wg sync.WaitGroup
	for range a.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				a.connection(ctx, t, base)
			}
		}()
	}
	wg.Wait()
	return t.result(), nil
}

// connection is one connection of the flood: it creates up to
// PerConnection rooms, then drops (no Close: that would tell the server,
// and the last seat would be freed at once instead of held for its grace).
func (a RoomFlood) connection(ctx context.Context, t *tally, base string) {
	g, err := bots.NewGame(bots.GameConfig{Client: botConfig(base, bots.TransportWebSocket, nil)})
	if err != nil {
		t.attempt()
		t.failed()
		pause(ctx, 50*time.Millisecond)
		return
	}
	if err := connect(g); err != nil {
		if ctx.Err() == nil {
			t.attempt()
			t.countErr(err)
			pause(ctx, 50*time.Millisecond)
		}
		return
	}
	for i := 0; i < a.PerConnection && ctx.Err() == nil; i++ {
		t.attempt()
		_, err := g.Create(ctx, a.RoomType, map[string]any{"name": "flood"})
		switch {
		case err == nil:
			t.accepted()
			if i+1 < a.PerConnection {
				_ = g.Leave(ctx)
			}
		case ctx.Err() == nil:
			t.countErr(err)
			pause(ctx, 50*time.Millisecond)
		}
	}
	if ctx.Err() != nil {
		_ = g.Close()
		return
	}
	g.Drop()
}

// connect connects g with a context of its own, so that the attack's
// deadline does not cancel a handshake half-way.
func connect(g *bots.Game) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return g.Connect(ctx)
}

func pause(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// ListLoop is finding 4: Clients connections call rooms.list in a tight
// loop for Duration. A server that caps the page and rate-limits the call
// answers with an error code (or disconnects the abuser). Extra
// "max_rooms_per_reply" is the longest list one reply held, and
// "closing_notices" counts refusals that said the connection is being
// closed.
type ListLoop struct {
	Clients  int
	Duration time.Duration
	// Source is the address the clients connect from (nil: the kernel's
	// choice, 127.0.0.1 on loopback); another one keeps them clear of the
	// per-address handshake rate an earlier attack used up.
	Source net.IP
	// Reconnect makes a client that the server closed (or refused) connect
	// again and go on, until Duration ends.
	Reconnect bool
}

// Run runs the attack against base. Accepted counts answered calls.
func (a ListLoop) Run(ctx context.Context, base string) (Result, error) {
	t := newTally("rooms-list-loop")
	ctx, cancel := context.WithTimeout(ctx, a.Duration)
	defer cancel()
	var wg sync.WaitGroup
	for range a.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a.connection(ctx, t, base) && a.Reconnect && ctx.Err() == nil {
				// the server closed or refused it: the next connection
			}
		}()
	}
	wg.Wait()
	return t.result(), nil
}

// connection is one connection of the loop; false when it could not
// connect.
func (a ListLoop) connection(ctx context.Context, t *tally, base string) bool {
	g, err := bots.NewGame(bots.GameConfig{Client: botConfig(base, bots.TransportWebSocket, a.Source)})
	if err != nil {
		t.failed()
		return false
	}
	defer g.Close()
	if err := connect(g); err != nil {
		t.countErr(err)
		if a.Reconnect { // refused: try again a little later
			pause(ctx, 50*time.Millisecond)
			return true
		}
		return false
	}
	for ctx.Err() == nil {
		t.attempt()
		rooms, err := g.List(ctx, "", nil)
		var pe *bots.ProtocolError
		switch {
		case err == nil:
			t.accepted()
			t.max("max_rooms_per_reply", float64(len(rooms)))
		case ctx.Err() != nil:
		case errors.As(err, &pe): // an answer, though the close may follow it
			t.countErr(err)
			if strings.Contains(pe.Message, "closing the connection") {
				t.add(func(r *Result) { r.Extra["closing_notices"]++ })
			}
		default: // no answer: the connection is closed, or closing
			select {
			case <-g.Client().Done():
				t.closed()
				t.code("disconnected")
			case <-time.After(2 * time.Second):
				t.countErr(err)
			}
			return true
		}
	}
	t.open()
	return true
}

// DrainWatch is finding 3's clients: Clients WebSocket players in rooms of
// eight send inputs at InputRate while the caller drains the server
// (SIGTERM, or host.Server's Run context). Each should get room.left
// {code: "shutdown"} and then a clean close (a close frame, not a reset).
type DrainWatch struct {
	games []*bots.Game
	left  []chan string // room.left code per game
}

// NewDrainWatch connects clients players (eight a room, joinOrCreate,
// forty an address) and starts their inputs; call Result after the drain.
func NewDrainWatch(ctx context.Context, base string, clients int, inputRate float64) (*DrainWatch, error) {
	d := &DrainWatch{}
	for i := range clients {
		// 40 players an address (127.0.1.x): under the per-address limits
		src := Source(1, 1+i/40)
		g, err := bots.NewGame(bots.GameConfig{Client: botConfig(base, bots.TransportWebSocket, src)})
		if err != nil {
			d.Close()
			return nil, err
		}
		left := make(chan string, 1)
		g.OnRoomLeft(func(code, _ string) {
			select {
			case left <- code:
			default:
			}
		})
		d.games, d.left = append(d.games, g), append(d.left, left)
		if err := g.Connect(ctx); err != nil {
			d.Close()
			return nil, err
		}
		if _, err := g.JoinOrCreate(ctx, "arena", map[string]any{"name": "drain" + strconv.Itoa(i)}); err != nil {
			d.Close()
			return nil, err
		}
	}
	period := time.Duration(float64(time.Second) / inputRate)
	for _, g := range d.games {
		go func() {
			tk := time.NewTicker(period)
			defer tk.Stop()
			c := g.Client()
			for i := 0; ; i++ {
				select {
				case <-c.Done():
					return
				case <-tk.C:
					if _, err := g.SendInput(bots.MoveInput{DX: float64(i%3) - 1, DY: 1}); err != nil {
						return
					}
				}
			}
		}()
	}
	return d, nil
}

// Result waits up to wait for every connection to end and reports:
// Accepted = got room.left shutdown, Closed = ended with a close frame
// (or the Socket.IO disconnect), Codes "no-notice" / "reset" / "open" for
// those that did not.
func (d *DrainWatch) Result(wait time.Duration) Result {
	t := newTally("drain")
	deadline := time.After(wait)
	for i, g := range d.games {
		t.attempt()
		c := g.Client()
		select {
		case <-c.Done():
		case <-deadline:
		}
		select {
		case code := <-d.left[i]:
			if code == "shutdown" {
				t.accepted()
			} else {
				t.code("room.left " + code)
			}
		default:
			t.code("no-notice")
		}
		select {
		case <-c.Done():
			var de *bots.DisconnectError
			if errors.As(c.Err(), &de) && de.Reason == bots.ReasonTransportError {
				t.code("reset")
			} else {
				t.closed()
			}
		default:
			t.open()
			t.code("open")
		}
	}
	d.Close()
	return t.result()
}

// Close closes every connection.
func (d *DrainWatch) Close() {
	for _, g := range d.games {
		_ = g.Close()
	}
}
