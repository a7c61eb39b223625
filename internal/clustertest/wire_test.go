package clustertest_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/examples/arena"
)

// The game protocol at the wire, with the redirects of PROTOCOL.md
// ("Several nodes") followed by hand: the tests see each reply, so they can
// check that a client ends up seated exactly where the reply sent it.

const (
	eventClaim    = "rooms.claim"
	codeRedirect  = "redirect"
	codeNodeGone  = "node_gone"
	maxRedirects  = 3
	requestTimout = 60 * time.Second // one request's bound (busy machine, 1000 joins at once)
)

// answer is a request's ack object.
type answer map[string]any

func (a answer) ok() bool { v, _ := a["ok"].(bool); return v }

// code is the error code of an {ok:false} answer ("" when ok).
func (a answer) code() string {
	e, _ := a["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func (a answer) str(key string) string { s, _ := a[key].(string); return s }

// redirect is the answer's redirect object (zero when none).
func (a answer) redirect() (url, claim, roomID string) {
	r, _ := a["redirect"].(map[string]any)
	url, _ = r["url"].(string)
	claim, _ = r["claim"].(string)
	roomID, _ = r["roomId"].(string)
	return url, claim, roomID
}

func (a answer) String() string { return fmt.Sprintf("%v", map[string]any(a)) }

// conn is one Socket.IO connection to a node that counts the state frames
// it receives.
type conn struct {
	url    string
	cli    *bots.Client
	frames atomic.Int64
	first  chan struct{} // closed at the first state frame
	once   sync.Once
	left   chan string // room.left codes
}

func dial(ctx context.Context, url string) (*conn, error) {
	cli, err := bots.New(bots.Config{URL: url, AckTimeout: requestTimout, ConnectTimeout: requestTimout})
	if err != nil {
		return nil, err
	}
	c := &conn{url: url, cli: cli, first: make(chan struct{}), left: make(chan string, 4)}
	frame := func([]any, func(...any) error) {
		c.frames.Add(1)
		c.once.Do(func() { close(c.first) })
	}
	cli.On(bots.EventSnapshot, frame)
	cli.On(bots.EventDelta, frame)
	cli.On(bots.EventRoomLeft, func(args []any, _ func(...any) error) {
		code := ""
		if len(args) > 0 {
			m, _ := args[0].(map[string]any)
			code, _ = m["code"].(string)
		}
		select {
		case c.left <- code:
		default:
		}
	})
	if err := cli.Connect(ctx); err != nil {
		return nil, fmt.Errorf("connect %s: %w", url, err)
	}
	return c, nil
}

func (c *conn) close() { _ = c.cli.Close() }

// request emits event with an ack and returns the answer, ok or not.
func (c *conn) request(ctx context.Context, event string, args ...any) (answer, error) {
	res, err := c.cli.EmitWithAck(ctx, event, args...)
	if err != nil {
		return nil, fmt.Errorf("%s on %s: %w", event, c.url, err)
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("%s on %s: empty answer", event, c.url)
	}
	m, ok := res[0].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s on %s: answer is %T", event, c.url, res[0])
	}
	return answer(m), nil
}

// waitFrame waits for the connection's first state frame.
func (c *conn) waitFrame(ctx context.Context) error {
	select {
	case <-c.first:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("no state frame on %s: %w", c.url, ctx.Err())
	}
}

// seat is a player seated by join: the connection that holds the seat
// and the seat reply.
type seat struct {
	*conn
	node      string   // URL of the node that seated it (conn.url)
	hops      []string // URLs the join went through, first to last
	roomID    string
	sessionID string
	token     string
}

// join sends a join request (rooms.joinOrCreate, create, join, joinById)
// to the node at url and follows redirects as PROTOCOL.md says: a new
// connection to redirect.url, rooms.claim there, then the first
// connection is closed. A redirect must name the room it seats in, and the
// claim's seat must be in that room.
func join(ctx context.Context, url, event string, args ...any) (*seat, error) {
	c, err := dial(ctx, url)
	if err != nil {
		return nil, err
	}
	return joinFrom(ctx, c, event, args...)
}

// joinFrom is join on an open connection, which it closes when redirected
// or when the join fails.
func joinFrom(ctx context.Context, c *conn, event string, args ...any) (*seat, error) {
	url := c.url
	hops := []string{url}
	a, err := c.request(ctx, event, args...)
	for range maxRedirects {
		if err != nil || a.code() != codeRedirect {
			break
		}
		to, claim, roomID := a.redirect()
		if to == "" || claim == "" || roomID == "" {
			c.close()
			return nil, fmt.Errorf("%s via %s: redirect without url, claim or roomId: %v", event, url, a)
		}
		next, derr := dial(ctx, to)
		if derr != nil {
			c.close()
			return nil, fmt.Errorf("%s via %s: redirected to %s: %w", event, url, to, derr)
		}
		hops = append(hops, to)
		a, err = next.request(ctx, eventClaim, map[string]any{"claim": claim})
		c.close()
		c = next
		if err == nil && a.ok() && a.str("roomId") != roomID {
			c.close()
			return nil, fmt.Errorf("%s via %s: redirect named room %s, the claim seated in %s", event, url, roomID, a.str("roomId"))
		}
	}
	if err == nil && !a.ok() {
		err = &bots.ProtocolError{Code: a.code(), Message: fmt.Sprint(a)}
	}
	if err != nil {
		c.close()
		return nil, fmt.Errorf("%s via %v: %w", event, hops, err)
	}
	return &seat{conn: c, node: c.url, hops: hops, roomID: a.str("roomId"), sessionID: a.str("sessionId"), token: a.str("token")}, nil
}

// errCode is the protocol error code in err ("" if none).
func errCode(err error) string {
	var pe *bots.ProtocolError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// lobby follows one node's lobby through the Go bots client.
type lobby struct {
	node    string
	game    *bots.Game
	mu      sync.Mutex
	rooms   map[string]bots.RoomInfo
	removed []string // every lobby.remove, in order
}

func subscribeLobby(t *testing.T, ctx context.Context, url string) *lobby {
	t.Helper()
	g, err := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: url, AckTimeout: requestTimout}})
	require.NoError(t, err)
	require.NoError(t, g.Connect(ctx))
	t.Cleanup(func() { _ = g.Close() })
	l := &lobby{node: url, game: g, rooms: map[string]bots.RoomInfo{}}
	require.NoError(t, g.SubscribeLobby(ctx, l.apply))
	return l
}

func (l *lobby) apply(ev bots.LobbyEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch ev.Kind {
	case bots.EventLobbyRooms:
		clear(l.rooms)
		for _, r := range ev.Rooms {
			l.rooms[r.ID] = r
		}
	case bots.EventLobbyUpdate:
		for _, r := range ev.Rooms {
			l.rooms[r.ID] = r
		}
	case bots.EventLobbyRemove:
		delete(l.rooms, ev.RoomID)
		l.removed = append(l.removed, ev.RoomID)
	}
}

// snapshot returns the rooms the lobby shows and every removal so far.
func (l *lobby) snapshot() (map[string]bots.RoomInfo, []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps(l.rooms), slices.Clone(l.removed)
}

func maps(m map[string]bots.RoomInfo) map[string]bots.RoomInfo {
	out := make(map[string]bots.RoomInfo, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// listAll pages through rooms.list on one connection.
func listAll(ctx context.Context, c *conn) (map[string]bots.RoomInfo, error) {
	out := map[string]bots.RoomInfo{}
	q := map[string]any{"limit": 100}
	for range 100 {
		a, err := c.request(ctx, bots.EventList, q)
		if err != nil {
			return nil, err
		}
		if !a.ok() {
			return nil, fmt.Errorf("rooms.list on %s: %v", c.url, a)
		}
		arr, _ := a["rooms"].([]any)
		for _, e := range arr {
			m, _ := e.(map[string]any)
			id, _ := m["roomId"].(string)
			out[id] = bots.RoomInfo{ID: id, Name: str(m["name"]), Clients: toInt(m["clients"]), MaxClients: toInt(m["maxClients"])}
		}
		next, _ := a["next"].(string)
		if next == "" {
			return out, nil
		}
		q["cursor"] = next
	}
	return nil, fmt.Errorf("rooms.list on %s: more than 100 pages", c.url)
}

func str(v any) string { s, _ := v.(string); return s }

func toInt(v any) int {
	switch n := v.(type) {
	case int64:
		return int(n)
	case uint64:
		return int(n)
	case float64:
		return int(n)
	case int8:
		return int(n)
	case uint8:
		return int(n)
	case int16:
		return int(n)
	case uint16:
		return int(n)
	case int32:
		return int(n)
	case uint32:
		return int(n)
	}
	return -1
}

// eventually polls check every 50 ms until it returns nil, and fails the
// test with its last error after d.
func eventually(t *testing.T, d time.Duration, what string, check func() error) {
	t.Helper()
	eventuallyEvery(t, d, 50*time.Millisecond, what, check)
}

// listPoll is how often a test polls rooms.list: the server allows a
// connection 2 list requests a second (bursts of 10), and listAll may
// read several pages.
const listPoll = 1500 * time.Millisecond

// eventuallyEvery is eventually polling every interval.
func eventuallyEvery(t *testing.T, d, every time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v: %v", what, d, err)
		}
		time.Sleep(every)
	}
}

// player is one client of the 1000-join test: a wire client (redirects
// followed by hand, every hop seen) or a bots.Game (redirects followed by
// the Go bots package).
type player struct {
	asked string // the node it connected to first
	wire  *conn
	game  *bots.Game
	first chan struct{} // game: closed at its first state frame
	once  sync.Once

	// After the join.
	node   string // the node that seated it
	roomID string
	hops   int // nodes the join went through (0: not known, a bots.Game)
	seat   *seat
}

// connectPlayer connects a wire client (useGame false) or a bots.Game to url.
func connectPlayer(ctx context.Context, url string, useGame bool) (*player, error) {
	p := &player{asked: url, first: make(chan struct{})}
	if !useGame {
		c, err := dial(ctx, url)
		p.wire = c
		return p, err
	}
	g, err := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: url, AckTimeout: requestTimout, ConnectTimeout: requestTimout}})
	if err != nil {
		return nil, err
	}
	g.OnState(func(string, uint64) { p.once.Do(func() { close(p.first) }) })
	if err := g.Connect(ctx); err != nil {
		return nil, fmt.Errorf("connect %s: %w", url, err)
	}
	p.game = g
	return p, nil
}

func (p *player) joinOrCreate(ctx context.Context) error {
	if p.wire != nil {
		s, err := joinFrom(ctx, p.wire, "rooms.joinOrCreate", arena.RoomType, map[string]any{})
		if err != nil {
			return err
		}
		p.seat, p.node, p.roomID, p.hops = s, s.node, s.roomID, len(s.hops)
		return nil
	}
	jr, err := p.game.JoinOrCreate(ctx, arena.RoomType, map[string]any{})
	if err != nil {
		return fmt.Errorf("bots.Game via %s: %w", p.asked, err)
	}
	p.node, p.roomID = jr.URL, jr.RoomID
	return nil
}

func (p *player) waitFrame(ctx context.Context) error {
	if p.seat != nil {
		return p.seat.waitFrame(ctx)
	}
	select {
	case <-p.first:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("no state frame on %s: %w", p.node, ctx.Err())
	}
}

func (p *player) close() {
	switch {
	case p.seat != nil:
		p.seat.close()
	case p.wire != nil:
		p.wire.close()
	case p.game != nil:
		_ = p.game.Close()
	}
}
