package rooms_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/cluster"
	"github.com/roomcast/roomcast/internal/redistest"
	"github.com/roomcast/roomcast/internal/roomstest"
	"github.com/roomcast/roomcast/rooms"
)

// These tests run rooms.Servers on a cluster.Node each, sharing one real
// redis-server: what game code sees when its rooms are placed across
// nodes.

const clusterWait = 20 * time.Second

// recorder is a game that records what its hooks saw.
type recorder struct {
	rooms.NopGame
	mu      *sync.Mutex
	created *[]rooms.Options
	joined  *[]rooms.Options
}

func (g recorder) OnCreate(r *rooms.Room, opts rooms.Options) error {
	g.mu.Lock()
	*g.created = append(*g.created, opts)
	g.mu.Unlock()
	return nil
}

func (g recorder) OnJoin(r *rooms.Room, c *rooms.Client, opts rooms.Options) error {
	g.mu.Lock()
	*g.joined = append(*g.joined, opts)
	g.mu.Unlock()
	return nil
}

type clusterNode struct {
	rs      *rooms.Server
	node    *cluster.Node
	mu      sync.Mutex
	created []rooms.Options
	joined  []rooms.Options
}

func newClusterNode(t *testing.T, r *redistest.Server, id string, maxRooms int) *clusterNode {
	t.Helper()
	node, err := cluster.New(cluster.Config{RedisURL: r.URL(), NodeID: id, URL: "http://" + id, Prefix: "rt",
		Beat: 100 * time.Millisecond, TTL: time.Second})
	require.NoError(t, err)
	rs, err := rooms.NewServer(rooms.Config{Directory: node, MaxRooms: maxRooms})
	require.NoError(t, err)
	n := &clusterNode{rs: rs, node: node}
	require.NoError(t, rs.Define("duel", func() rooms.Game {
		return recorder{mu: &n.mu, created: &n.created, joined: &n.joined}
	}, rooms.Settings{MaxClients: 2, FilterBy: []string{"map"}}))
	require.NoError(t, node.Start())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), clusterWait)
		defer cancel()
		assert.NoError(t, rs.Shutdown(ctx))
		assert.NoError(t, node.Close())
	})
	return n
}

func seatOf(t *testing.T, start func(func(rooms.Seat, error))) (rooms.Seat, error) {
	t.Helper()
	type result struct {
		s   rooms.Seat
		err error
	}
	ch := make(chan result, 1)
	start(func(s rooms.Seat, err error) { ch <- result{s, err} })
	select {
	case r := <-ch:
		return r.s, r.err
	case <-time.After(clusterWait):
		t.Fatal("no seat reply")
		return rooms.Seat{}, nil
	}
}

func redirect(t *testing.T, err error) *rooms.Redirect {
	t.Helper()
	var e *rooms.Error
	require.True(t, errors.As(err, &e), "%v", err)
	require.Equal(t, rooms.CodeRedirect, e.Code, "%v", err)
	return e.Redirect
}

// A room another node creates runs here with the creator's options, its
// filter metadata, and each joiner's own options.
func TestRoomCreatedForAnotherNodeKeepsItsOptions(t *testing.T) {
	r := redistest.Start(t)
	full := newClusterNode(t, r, "full", 0)
	host := newClusterNode(t, r, "host", 0)
	full.node.Drain() // full takes no room: creating through it places the room on host

	sess := full.rs.Connect(roomstest.NopConn{}, rooms.ConnInfo{})
	_, err := seatOf(t, func(done func(rooms.Seat, error)) {
		sess.Join(rooms.JoinRequest{Mode: rooms.JoinOrCreate, Name: "duel", Options: rooms.Options{"map": "dust", "nick": "ann"}}, done)
	})
	rd := redirect(t, err)
	assert.Equal(t, "http://host", rd.URL)

	seat, err := seatOf(t, func(done func(rooms.Seat, error)) {
		host.rs.Connect(roomstest.NopConn{}, rooms.ConnInfo{}).Claim(rd.Claim, done)
	})
	require.NoError(t, err)
	room := host.rs.Room(seat.RoomID)
	require.NotNil(t, room)
	assert.Equal(t, rooms.Options{"map": "dust", "nick": "ann"}, room.Options())
	assert.Equal(t, "dust", room.Listing().Metadata["map"])

	// A joiner filtering on another map does not get this room.
	_, err = seatOf(t, func(done func(rooms.Seat, error)) {
		host.rs.Connect(roomstest.NopConn{}, rooms.ConnInfo{}).Join(rooms.JoinRequest{Mode: rooms.JoinExisting, Name: "duel",
			Options: rooms.Options{"map": "nuke"}}, done)
	})
	assert.ErrorIs(t, err, rooms.ErrRoomNotFound)
	second, err := seatOf(t, func(done func(rooms.Seat, error)) {
		host.rs.Connect(roomstest.NopConn{}, rooms.ConnInfo{}).Join(rooms.JoinRequest{Mode: rooms.JoinExisting, Name: "duel",
			Options: rooms.Options{"map": "dust", "nick": "bob"}}, done)
	})
	require.NoError(t, err)
	assert.Equal(t, seat.RoomID, second.RoomID)

	host.mu.Lock()
	defer host.mu.Unlock()
	assert.Equal(t, []rooms.Options{{"map": "dust", "nick": "ann"}}, host.created, "created once")
	assert.Equal(t, []rooms.Options{{"map": "dust", "nick": "ann"}, {"map": "dust", "nick": "bob"}}, host.joined)
}

// An empty room whose seat another node reserved is not disposed: the
// claim still finds it. Once nobody holds or reserves a seat it goes,
// from every list.
func TestEmptyRoomWaitsForItsReservedSeat(t *testing.T) {
	r := redistest.Start(t)
	a := newClusterNode(t, r, "a", 0)
	b := newClusterNode(t, r, "b", 0)
	first := a.rs.Connect(roomstest.NopConn{}, rooms.ConnInfo{})
	seat, err := seatOf(t, func(done func(rooms.Seat, error)) {
		first.Join(rooms.JoinRequest{Mode: rooms.Create, Name: "duel"}, done)
	})
	require.NoError(t, err)
	_, err = seatOf(t, func(done func(rooms.Seat, error)) {
		b.rs.Connect(roomstest.NopConn{}, rooms.ConnInfo{}).Join(rooms.JoinRequest{Mode: rooms.JoinByID, RoomID: seat.RoomID}, done)
	})
	rd := redirect(t, err)

	left := make(chan error, 1)
	first.Leave(func(err error) { left <- err })
	require.NoError(t, <-left)
	room := a.rs.Room(seat.RoomID)
	require.NotNil(t, room)
	// The room asks Redis whether it may go (and is told no) at least
	// once before the claim: wait for a tick after the leave.
	ticked := make(chan struct{})
	require.True(t, room.Do(func(*rooms.Room) { close(ticked) }))
	<-ticked
	require.True(t, room.Do(func(*rooms.Room) {}))

	second := a.rs.Connect(roomstest.NopConn{}, rooms.ConnInfo{})
	s2, err := seatOf(t, func(done func(rooms.Seat, error)) { second.Claim(rd.Claim, done) })
	require.NoError(t, err, "the empty room waited for its reserved seat")
	assert.Equal(t, seat.RoomID, s2.RoomID)

	second.Leave(nil)
	deadline := time.Now().Add(clusterWait)
	for a.rs.Room(seat.RoomID) != nil || listed(t, b) != 0 {
		require.True(t, time.Now().Before(deadline), "the empty room was not disposed")
		time.Sleep(10 * time.Millisecond)
	}
}

func listed(t *testing.T, n *clusterNode) int {
	t.Helper()
	page, err := n.rs.Connect(roomstest.NopConn{}, rooms.ConnInfo{}).List(rooms.ListRequest{})
	require.NoError(t, err)
	return len(page.Rooms)
}
