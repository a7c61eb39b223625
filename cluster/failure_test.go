package cluster_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/internal/redistest"
	"github.com/roomcast/roomcast/rooms"
)

// 200 joinOrCreate spread over 3 nodes, rooms of 8: exactly 25 full rooms,
// every client seated in the room its reply named.
func TestConcurrentJoinsOverThreeNodesNeverOverfill(t *testing.T) {
	r := redistest.Start(t)
	nodes := []*testNode{
		startNode(t, r, "n1", nodeOpts{}), startNode(t, r, "n2", nodeOpts{}), startNode(t, r, "n3", nodeOpts{}),
	}
	const joins = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	perRoom := map[string]int{}
	owner := map[string]*testNode{}
	for i := range joins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, _, seat, err := joinAnywhere(t, nodes[i%3], nodes, rooms.JoinRequest{Mode: rooms.JoinOrCreate, Name: "arena"})
			if !assert.NoError(t, err) {
				return
			}
			assert.NotNil(t, n.rs.Room(seat.RoomID), "seated on the node the reply named")
			mu.Lock()
			perRoom[seat.RoomID]++
			owner[seat.RoomID] = n
			mu.Unlock()
		}()
	}
	wg.Wait()
	require.Len(t, perRoom, joins/8)
	for id, n := range perRoom {
		assert.Equal(t, 8, n, "room %s", id)
	}
	total := 0
	for _, n := range nodes {
		total += len(n.rs.Rooms())
	}
	assert.Equal(t, joins/8, total, "no room created twice or left empty")
	eventually(t, "every room listed full on every node", func() bool {
		for _, n := range nodes {
			page, err := n.connect().sess.List(rooms.ListRequest{})
			if err != nil || len(page.Rooms) != joins/8 {
				return false
			}
			for _, l := range page.Rooms {
				if l.Clients != 8 {
					return false
				}
			}
		}
		return true
	})
	_, err := nodes[0].connect().join(t, rooms.JoinRequest{Mode: rooms.JoinExisting, Name: "arena"})
	assert.Equal(t, rooms.CodeRoomNotFound, codeOf(err), "no free seat anywhere")
}

func TestUnclaimedReservationGivesItsSeatBack(t *testing.T) {
	r := redistest.Start(t)
	a := startNode(t, r, "a", nodeOpts{maxClients: 2, claimTTL: 200 * time.Millisecond})
	b := startNode(t, r, "b", nodeOpts{maxClients: 2, claimTTL: 200 * time.Millisecond})
	seat, err := a.connect().join(t, rooms.JoinRequest{Mode: rooms.Create, Name: "arena"})
	require.NoError(t, err)

	byID := rooms.JoinRequest{Mode: rooms.JoinByID, RoomID: seat.RoomID}
	_, err = b.connect().join(t, byID)
	rd := redirectOf(err)
	require.NotNil(t, rd, "%v", err)
	_, err = b.connect().join(t, byID)
	assert.Equal(t, rooms.CodeRoomFull, codeOf(err), "the reserved seat counts")

	var again *rooms.Redirect
	eventually(t, "the unclaimed seat to come back", func() bool {
		_, err := b.connect().join(t, byID)
		again = redirectOf(err)
		return again != nil
	})
	_, err = a.connect().claim(t, rd.Claim)
	assert.Equal(t, rooms.CodeClaimInvalid, codeOf(err), "an expired claim")
	_, err = a.connect().claim(t, again.Claim)
	require.NoError(t, err)
	eventually(t, "two clients in the room", func() bool { return a.rs.Room(seat.RoomID).Listing().Clients == 2 })
}

func TestDeadNodeRoomsLeaveListsAndTakeNoSeat(t *testing.T) {
	r := redistest.Start(t)
	a := startNode(t, r, "a", nodeOpts{})
	b := startNode(t, r, "b", nodeOpts{})
	watcher := a.connect()
	require.NoError(t, watcher.sess.SubscribeLobby(rooms.Query{}))

	seat, err := b.connect().join(t, rooms.JoinRequest{Mode: rooms.Create, Name: "arena"})
	require.NoError(t, err)
	watcher.conn.waitLobby(t, "b's room", func(m map[string]rooms.Listing) bool { _, ok := m[seat.RoomID]; return ok })

	b.node.StopHeartbeat() // b is cut off (or killed): its key expires
	watcher.conn.waitLobby(t, "b's room removed", func(m map[string]rooms.Listing) bool { _, ok := m[seat.RoomID]; return !ok })
	page, err := a.connect().sess.List(rooms.ListRequest{})
	require.NoError(t, err)
	assert.Empty(t, page.Rooms)

	_, err = a.connect().join(t, rooms.JoinRequest{Mode: rooms.JoinByID, RoomID: seat.RoomID})
	assert.Equal(t, rooms.CodeRoomNotFound, codeOf(err), "no seat in a dead node's room")
	n, _, s2, err := joinAnywhere(t, a, []*testNode{a, b}, rooms.JoinRequest{Mode: rooms.JoinOrCreate, Name: "arena"})
	require.NoError(t, err)
	assert.Same(t, a, n, "a new room, on the live node")
	assert.NotEqual(t, seat.RoomID, s2.RoomID)

	_, err = a.connect().resume(t, seat.Token)
	assert.Equal(t, rooms.CodeNodeGone, codeOf(err), "resume of a dead node's seat")
}

func TestRedisRestartRepublishesEveryRoom(t *testing.T) {
	r := redistest.Start(t)
	a := startNode(t, r, "a", nodeOpts{})
	b := startNode(t, r, "b", nodeOpts{})
	sa, err := a.connect().join(t, rooms.JoinRequest{Mode: rooms.Create, Name: "arena", Options: rooms.Options{"mode": "ctf"}})
	require.NoError(t, err)
	sb, err := b.connect().join(t, rooms.JoinRequest{Mode: rooms.Create, Name: "arena"})
	require.NoError(t, err)
	listed := func(n *testNode) func() bool {
		return func() bool {
			page, err := n.connect().sess.List(rooms.ListRequest{})
			return err == nil && len(page.Rooms) == 2
		}
	}
	eventually(t, "both rooms listed", listed(a))
	watcher := a.connect()
	require.NoError(t, watcher.sess.SubscribeLobby(rooms.Query{}))
	watcher.conn.waitLobby(t, "both rooms", func(m map[string]rooms.Listing) bool { return len(m) == 2 })

	r.Restart()
	eventually(t, "both rooms listed again after the restart", listed(b))
	_, _, s3, err := joinAnywhere(t, b, []*testNode{a, b}, rooms.JoinRequest{Mode: rooms.Create, Name: "arena"})
	require.NoError(t, err)
	watcher.conn.waitLobby(t, "a room created after the restart", func(m map[string]rooms.Listing) bool {
		_, ok := m[s3.RoomID]
		return ok && len(m) == 3
	})
	// The seat counts came back with the rooms: a's room takes 7 more.
	for range 7 {
		_, _, s, err := joinAnywhere(t, b, []*testNode{a, b}, rooms.JoinRequest{Mode: rooms.JoinExisting, Name: "arena",
			Options: rooms.Options{"mode": "ctf"}})
		require.NoError(t, err)
		assert.Equal(t, sa.RoomID, s.RoomID, "the filter metadata came back too")
	}
	_, err = a.connect().join(t, rooms.JoinRequest{Mode: rooms.JoinByID, RoomID: sa.RoomID})
	assert.Equal(t, rooms.CodeRoomFull, codeOf(err))
	_, _, s, err := joinAnywhere(t, a, []*testNode{a, b}, rooms.JoinRequest{Mode: rooms.JoinByID, RoomID: sb.RoomID})
	require.NoError(t, err)
	assert.Equal(t, sb.RoomID, s.RoomID)
}

func TestCutOffAnswersUnavailableThenRecovers(t *testing.T) {
	r := redistest.Start(t)
	a := startNode(t, r, "a", nodeOpts{})
	player := a.connect()
	seat, err := player.join(t, rooms.JoinRequest{Mode: rooms.Create, Name: "arena"})
	require.NoError(t, err)

	r.Stop()
	_, err = a.connect().join(t, rooms.JoinRequest{Mode: rooms.JoinOrCreate, Name: "arena"})
	assert.Equal(t, rooms.CodeUnavailable, codeOf(err), "no guess without Redis")
	_, err = a.connect().claim(t, "whatever")
	assert.Equal(t, rooms.CodeUnavailable, codeOf(err))

	player.sess.Close()
	resumed, err := a.connect().resume(t, seat.Token)
	require.NoError(t, err, "this node's own seats resume without Redis")
	assert.Equal(t, seat.RoomID, resumed.RoomID)

	r.Start()
	eventually(t, "joins to work again", func() bool {
		c := a.connect()
		s, err := c.join(t, rooms.JoinRequest{Mode: rooms.JoinByID, RoomID: seat.RoomID})
		if err == nil {
			assert.Equal(t, seat.RoomID, s.RoomID)
			c.sess.Close()
		}
		return err == nil
	})
	assert.True(t, a.node.Healthy())
}

func TestDrainedNodeTakesNoNewRoomAndCloseDeregisters(t *testing.T) {
	r := redistest.Start(t)
	a := startNode(t, r, "a", nodeOpts{})
	b := startNode(t, r, "b", nodeOpts{})
	seat, err := b.connect().join(t, rooms.JoinRequest{Mode: rooms.Create, Name: "arena"})
	require.NoError(t, err)

	b.rs.Drain()
	b.node.Drain()
	n, _, s, err := joinAnywhere(t, a, []*testNode{a, b}, rooms.JoinRequest{Mode: rooms.JoinOrCreate, Name: "arena"})
	require.NoError(t, err)
	assert.Same(t, a, n, "a draining node's rooms take no one")
	assert.NotEqual(t, seat.RoomID, s.RoomID)

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, b.rs.Shutdown(ctx))
	require.NoError(t, b.node.Close())
	page, err := a.connect().sess.List(rooms.ListRequest{})
	require.NoError(t, err)
	require.Len(t, page.Rooms, 1, "b's room left the list at once")
	assert.Equal(t, s.RoomID, page.Rooms[0].ID)
}

func TestLockedRoomTakesNoMatchmakingJoiner(t *testing.T) {
	r := redistest.Start(t)
	a := startNode(t, r, "a", nodeOpts{})
	b := startNode(t, r, "b", nodeOpts{})
	seat, err := a.connect().join(t, rooms.JoinRequest{Mode: rooms.Create, Name: "arena"})
	require.NoError(t, err)
	onRoom(t, a.rs.Room(seat.RoomID), func(r *rooms.Room) { r.Lock() })

	eventually(t, "the lock to reach Redis", func() bool {
		c := b.connect()
		_, err := c.join(t, rooms.JoinRequest{Mode: rooms.JoinByID, RoomID: seat.RoomID})
		if rd := redirectOf(err); rd != nil {
			// reserved before Redis learnt of the lock: the owner refuses
			_, err := a.connect().claim(t, rd.Claim)
			require.Equal(t, rooms.CodeRoomLocked, codeOf(err), "%v", err)
		}
		return codeOf(err) == rooms.CodeRoomLocked
	})
	n, _, s2, err := joinAnywhere(t, b, []*testNode{a, b}, rooms.JoinRequest{Mode: rooms.JoinOrCreate, Name: "arena"})
	require.NoError(t, err)
	assert.Same(t, b, n, "a new room on the caller")
	assert.NotEqual(t, seat.RoomID, s2.RoomID)
}

// A room made private leaves matchmaking on every node (joinById still
// finds it); SetPrivate tells the Directory at once, like Lock.
func TestPrivateRoomTakesNoMatchmakingJoiner(t *testing.T) {
	r := redistest.Start(t)
	a := startNode(t, r, "a", nodeOpts{})
	b := startNode(t, r, "b", nodeOpts{})
	seat, err := a.connect().join(t, rooms.JoinRequest{Mode: rooms.Create, Name: "arena"})
	require.NoError(t, err)
	onRoom(t, a.rs.Room(seat.RoomID), func(r *rooms.Room) { r.SetPrivate(true) })

	eventually(t, "b's joinOrCreate to make a room of its own", func() bool {
		n, _, s2, err := joinAnywhere(t, b, []*testNode{a, b}, rooms.JoinRequest{Mode: rooms.JoinOrCreate, Name: "arena"})
		require.NoError(t, err)
		return n == b && s2.RoomID != seat.RoomID
	})
	_, err = b.connect().join(t, rooms.JoinRequest{Mode: rooms.JoinByID, RoomID: seat.RoomID})
	require.NotNil(t, redirectOf(err), "joinById still reaches the private room: %v", err)
}

// A seat reserved in Redis before the room's lock got there (here: before
// the lock) is refused by the owner when claimed, with room_locked, and
// the seat comes back: nobody is seated in a room after Lock returned.
func TestOwnerRefusesASeatInARoomLockedMeanwhile(t *testing.T) {
	r := redistest.Start(t)
	a := startNode(t, r, "a", nodeOpts{maxClients: 2})
	b := startNode(t, r, "b", nodeOpts{maxClients: 2})
	seat, err := a.connect().join(t, rooms.JoinRequest{Mode: rooms.Create, Name: "arena"})
	require.NoError(t, err)
	room := a.rs.Room(seat.RoomID)
	eventually(t, "the room listed", func() bool {
		page, err := b.connect().sess.List(rooms.ListRequest{})
		return err == nil && len(page.Rooms) == 1
	})

	_, err = b.connect().join(t, rooms.JoinRequest{Mode: rooms.JoinOrCreate, Name: "arena"})
	rd := redirectOf(err)
	require.NotNil(t, rd, "%v", err)
	require.Equal(t, seat.RoomID, rd.RoomID, "the last seat of a's room")
	onRoom(t, room, func(r *rooms.Room) { r.Lock() })
	_, err = a.connect().claim(t, rd.Claim)
	assert.Equal(t, rooms.CodeRoomLocked, codeOf(err), "%v", err)
	clients := 0
	onRoom(t, room, func(r *rooms.Room) { clients = len(r.Clients()) })
	assert.Equal(t, 1, clients, "nobody seated after the lock")

	onRoom(t, room, func(r *rooms.Room) { r.Unlock() })
	eventually(t, "the refused seat to come back", func() bool {
		c := b.connect()
		_, err := c.join(t, rooms.JoinRequest{Mode: rooms.JoinByID, RoomID: seat.RoomID})
		return redirectOf(err) != nil
	})
}

// onRoom runs fn on the room's goroutine and waits for it.
func onRoom(t *testing.T, room *rooms.Room, fn func(*rooms.Room)) {
	t.Helper()
	done := make(chan struct{})
	require.True(t, room.Do(func(r *rooms.Room) { fn(r); close(done) }))
	select {
	case <-done:
	case <-time.After(wait):
		t.Fatal("timed out waiting for the room goroutine")
	}
}

// A node killed and started again under the same id at once (before its
// heartbeat expired) does not inherit its previous process's rooms: they
// run nowhere, so they leave the lists and take no seat.
func TestRestartedNodeDropsItsPreviousRooms(t *testing.T) {
	r := redistest.Start(t)
	old := startNode(t, r, "a", nodeOpts{})
	b := startNode(t, r, "b", nodeOpts{})
	seat, err := old.connect().join(t, rooms.JoinRequest{Mode: rooms.Create, Name: "arena"})
	require.NoError(t, err)
	eventually(t, "the room listed", func() bool {
		page, err := b.connect().sess.List(rooms.ListRequest{})
		return err == nil && len(page.Rooms) == 1
	})

	old.node.StopHeartbeat() // killed
	startNode(t, r, "a", nodeOpts{})
	eventually(t, "the previous process's room to leave the list", func() bool {
		page, err := b.connect().sess.List(rooms.ListRequest{})
		return err == nil && len(page.Rooms) == 0
	})
	_, err = b.connect().join(t, rooms.JoinRequest{Mode: rooms.JoinByID, RoomID: seat.RoomID})
	assert.Equal(t, rooms.CodeRoomNotFound, codeOf(err))
}
