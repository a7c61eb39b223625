package cluster_test

import (
	"io"
	"net"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/internal/redistest"
	"github.com/roomcast/roomcast/rooms"
)

// cutter is a TCP relay to Redis that can cut one node off (and let it
// back) while the others still reach Redis.
type cutter struct {
	ln     net.Listener
	target string

	mu        sync.Mutex
	cut       bool
	blackhole bool // while cut: accept connections and never answer
	conns     []net.Conn
}

func newCutter(t *testing.T, target string) *cutter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	c := &cutter{ln: ln, target: target}
	t.Cleanup(func() { _ = ln.Close(); c.setCut(true) })
	go c.accept()
	return c
}

func (c *cutter) url() string { return "redis://" + c.ln.Addr().String() + "/0" }

func (c *cutter) accept() {
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.mu.Lock()
		if c.cut && c.blackhole {
			c.conns = append(c.conns, conn)
			c.mu.Unlock()
			go func() { _, _ = io.Copy(io.Discard, conn) }()
			continue
		}
		if c.cut {
			c.mu.Unlock()
			_ = conn.Close()
			continue
		}
		up, err := net.Dial("tcp", c.target)
		if err != nil {
			c.mu.Unlock()
			_ = conn.Close()
			continue
		}
		c.conns = append(c.conns, conn, up)
		c.mu.Unlock()
		go func() { _, _ = io.Copy(up, conn); _ = up.Close() }()
		go func() { _, _ = io.Copy(conn, up); _ = conn.Close() }()
	}
}

// setCut cuts every relayed connection and refuses new ones (true), or
// relays again (false).
func (c *cutter) setCut(cut bool) { c.set(cut, false) }

// setBlackhole cuts every relayed connection and takes new ones without
// ever answering (a network that drops packets).
func (c *cutter) setBlackhole() { c.set(true, true) }

func (c *cutter) set(cut, blackhole bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut, c.blackhole = cut, blackhole
	if cut {
		for _, conn := range c.conns {
			_ = conn.Close()
		}
		c.conns = nil
	}
}

// A node cut off from Redis longer than the TTL: it answers its joins
// unavailable, the others drop its rooms; once it reaches Redis again it
// publishes them again and everyone sees them.
func TestCutOffNodeLeavesAndComesBack(t *testing.T) {
	r := redistest.Start(t)
	relay := newCutter(t, r.Addr())
	a := startNode(t, r, "a", nodeOpts{redisURL: relay.url()})
	b := startNode(t, r, "b", nodeOpts{})
	watcher := b.connect()
	require.NoError(t, watcher.sess.SubscribeLobby(rooms.Query{}))

	seat, err := a.connect().join(t, rooms.JoinRequest{Mode: rooms.Create, Name: "arena"})
	require.NoError(t, err)
	watcher.conn.waitLobby(t, "a's room", func(m map[string]rooms.Listing) bool { _, ok := m[seat.RoomID]; return ok })

	relay.setCut(true)
	_, err = a.connect().join(t, rooms.JoinRequest{Mode: rooms.JoinOrCreate, Name: "arena"})
	assert.Equal(t, rooms.CodeUnavailable, codeOf(err), "a cut-off node takes no join")
	watcher.conn.waitLobby(t, "a's room dropped", func(m map[string]rooms.Listing) bool { _, ok := m[seat.RoomID]; return !ok })
	_, err = b.connect().join(t, rooms.JoinRequest{Mode: rooms.JoinByID, RoomID: seat.RoomID})
	assert.Equal(t, rooms.CodeRoomNotFound, codeOf(err), "no seat in a room whose node is gone")
	require.NotNil(t, a.rs.Room(seat.RoomID), "the room plays on at a")

	relay.setCut(false)
	watcher.conn.waitLobby(t, "a's room back", func(m map[string]rooms.Listing) bool { _, ok := m[seat.RoomID]; return ok })
	_, err = b.connect().join(t, rooms.JoinRequest{Mode: rooms.JoinByID, RoomID: seat.RoomID})
	rd := redirectOf(err)
	require.NotNil(t, rd, "%v", err)
	assert.Equal(t, seat.RoomID, rd.RoomID)
	_, err = a.connect().claim(t, rd.Claim)
	require.NoError(t, err)
}

// Redis that never answers (packets dropped): joins answer unavailable
// within their deadline, the node's own seats still resume, and it
// recovers.
func TestBlackholedRedisAnswersUnavailable(t *testing.T) {
	r := redistest.Start(t)
	relay := newCutter(t, r.Addr())
	a := startNode(t, r, "a", nodeOpts{redisURL: relay.url()})
	player := a.connect()
	seat, err := player.join(t, rooms.JoinRequest{Mode: rooms.Create, Name: "arena"})
	require.NoError(t, err)

	relay.setBlackhole()
	_, err = a.connect().join(t, rooms.JoinRequest{Mode: rooms.JoinOrCreate, Name: "arena"})
	assert.Equal(t, rooms.CodeUnavailable, codeOf(err))
	player.sess.Close()
	_, err = a.connect().resume(t, seat.Token)
	require.NoError(t, err, "this node's own seat")

	relay.setCut(false)
	eventually(t, "joins to work again", func() bool {
		c := a.connect()
		_, err := c.join(t, rooms.JoinRequest{Mode: rooms.JoinByID, RoomID: seat.RoomID})
		c.sess.Close()
		return err == nil
	})
}
