package cluster_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/cluster"
	"github.com/roomcast/roomcast/internal/redistest"
	"github.com/roomcast/roomcast/rooms"
)

// wait is the deadline of every wait for an event (a busy CI machine).
const wait = 20 * time.Second

// testNode is one in-process node: a rooms.Server on a cluster.Node.
type testNode struct {
	id   string
	node *cluster.Node
	rs   *rooms.Server
}

type nodeOpts struct {
	maxRooms   int
	maxClients int
	claimTTL   time.Duration
	keepEmpty  bool
	redisURL   string // default the redis-server's
}

// startNode starts node id on redis r, with short beats so failures show
// quickly.
func startNode(t *testing.T, r *redistest.Server, id string, o nodeOpts) *testNode {
	t.Helper()
	if o.maxClients == 0 {
		o.maxClients = 8
	}
	redisURL := r.URL()
	if o.redisURL != "" {
		redisURL = o.redisURL
	}
	node, err := cluster.New(cluster.Config{
		RedisURL: redisURL, NodeID: id, URL: "http://" + id + ".test", Prefix: "t",
		Beat: 100 * time.Millisecond, TTL: time.Second, ClaimTTL: o.claimTTL,
		RedisTimeout: time.Second,
	})
	require.NoError(t, err)
	rs, err := rooms.NewServer(rooms.Config{
		Directory: node, MaxRooms: o.maxRooms,
		CreateRate: rooms.Rate{PerSecond: 1e6, Burst: 1e6}, IPCreateRate: rooms.Rate{PerSecond: 1e6, Burst: 1e6},
		ListRate: rooms.Rate{PerSecond: 1e6, Burst: 1e6}, LobbyInterval: 10 * time.Millisecond,
	})
	require.NoError(t, err)
	require.NoError(t, rs.Define("arena", func() rooms.Game { return rooms.NopGame{} },
		rooms.Settings{MaxClients: o.maxClients, FilterBy: []string{"mode"}, KeepWhenEmpty: o.keepEmpty}))
	require.NoError(t, node.Start())
	n := &testNode{id: id, node: node, rs: rs}
	t.Cleanup(func() { n.stop(t) })
	return n
}

func (n *testNode) stop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, n.rs.Shutdown(ctx))
	_ = n.node.Close()
}

// conn is a rooms.Conn that records what the client would receive.
type conn struct {
	mu     sync.Mutex
	left   []string
	lobby  map[string]rooms.Listing // the lobby as the client sees it
	events chan struct{}
}

func newConn() *conn { return &conn{lobby: map[string]rooms.Listing{}, events: make(chan struct{}, 1)} }

func (c *conn) ID() string                                         { return "fake" }
func (c *conn) SendState(*rooms.StatePacket, uint64) (bool, error) { return true, nil }
func (c *conn) SendMessage(string, any) error                      { return nil }
func (c *conn) SendMessageWithAck(string, any, func([]any, error)) error {
	return nil
}
func (c *conn) SendLeft(code, _ string) error {
	c.note(func() { c.left = append(c.left, code) })
	return nil
}
func (c *conn) SendLobbyRooms(ls []rooms.Listing) error {
	c.note(func() {
		clear(c.lobby)
		for _, l := range ls {
			c.lobby[l.ID] = l
		}
	})
	return nil
}
func (c *conn) SendLobbyUpdate(l rooms.Listing) error {
	c.note(func() { c.lobby[l.ID] = l })
	return nil
}
func (c *conn) SendLobbyRemove(id string) error {
	c.note(func() { delete(c.lobby, id) })
	return nil
}
func (c *conn) Close() {}

func (c *conn) note(f func()) {
	c.mu.Lock()
	f()
	c.mu.Unlock()
	select {
	case c.events <- struct{}{}:
	default:
	}
}

// waitLobby waits until cond holds for the client's lobby.
func (c *conn) waitLobby(t *testing.T, what string, cond func(map[string]rooms.Listing) bool) {
	t.Helper()
	deadline := time.After(wait)
	for {
		c.mu.Lock()
		ok := cond(c.lobby)
		c.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-c.events:
		case <-deadline:
			t.Fatalf("lobby: timed out waiting for %s", what)
		}
	}
}

// client is a connection to one node.
type client struct {
	conn *conn
	sess *rooms.Session
}

func (n *testNode) connect() *client {
	c := newConn()
	return &client{conn: c, sess: n.rs.Connect(c, rooms.ConnInfo{RemoteAddr: "127.0.0.1:1"})}
}

type seatResult struct {
	seat rooms.Seat
	err  error
}

func awaitSeat(t *testing.T, start func(func(rooms.Seat, error))) (rooms.Seat, error) {
	t.Helper()
	ch := make(chan seatResult, 1)
	start(func(s rooms.Seat, err error) { ch <- seatResult{s, err} })
	select {
	case r := <-ch:
		return r.seat, r.err
	case <-time.After(wait):
		t.Fatal("timed out waiting for a seat reply")
		return rooms.Seat{}, nil
	}
}

func (c *client) join(t *testing.T, req rooms.JoinRequest) (rooms.Seat, error) {
	return awaitSeat(t, func(done func(rooms.Seat, error)) { c.sess.Join(req, done) })
}

func (c *client) claim(t *testing.T, claim string) (rooms.Seat, error) {
	return awaitSeat(t, func(done func(rooms.Seat, error)) { c.sess.Claim(claim, done) })
}

func (c *client) resume(t *testing.T, token string) (rooms.Seat, error) {
	return awaitSeat(t, func(done func(rooms.Seat, error)) { c.sess.Resume(rooms.ResumeRequest{Token: token}, done) })
}

// redirectOf returns the redirect of a join's error (nil if none).
func redirectOf(err error) *rooms.Redirect {
	var e *rooms.Error
	if errors.As(err, &e) && e.Code == rooms.CodeRedirect {
		return e.Redirect
	}
	return nil
}

func codeOf(err error) string {
	var e *rooms.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// joinAnywhere joins through node first and follows a redirect to the
// node it names (found in nodes by URL), as a client does.
func joinAnywhere(t *testing.T, first *testNode, nodes []*testNode, req rooms.JoinRequest) (*testNode, *client, rooms.Seat, error) {
	t.Helper()
	c := first.connect()
	seat, err := c.join(t, req)
	rd := redirectOf(err)
	if rd == nil {
		return first, c, seat, err
	}
	c.sess.Close()
	for _, n := range nodes {
		if n.node.URL() == rd.URL {
			c2 := n.connect()
			seat, err := c2.claim(t, rd.Claim)
			return n, c2, seat, err
		}
	}
	t.Fatalf("redirect to an unknown node %q", rd.URL)
	return nil, nil, rooms.Seat{}, nil
}

// eventually waits for cond, polling (for state only Redis holds).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
