package cluster_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/internal/redistest"
	"github.com/roomcast/roomcast/rooms"
)

func TestJoinOrCreateRedirectsToTheOwnerAndClaimsOnce(t *testing.T) {
	r := redistest.Start(t)
	a := startNode(t, r, "a", nodeOpts{maxClients: 4})
	b := startNode(t, r, "b", nodeOpts{maxClients: 4})
	req := rooms.JoinRequest{Mode: rooms.JoinOrCreate, Name: "arena", Options: rooms.Options{"nick": "x"}}

	first := a.connect()
	seat, err := first.join(t, req)
	require.NoError(t, err)
	require.NotNil(t, a.rs.Room(seat.RoomID), "created on the caller, which has capacity")
	assert.Regexp(t, `^a\.`, seat.Token, "tokens carry the node id")

	viaB := b.connect()
	_, err = viaB.join(t, req)
	rd := redirectOf(err)
	require.NotNil(t, rd, "joining through b: %v", err)
	assert.Equal(t, "http://a.test", rd.URL)
	assert.Equal(t, seat.RoomID, rd.RoomID)
	assert.NotEmpty(t, rd.Claim)

	_, err = b.connect().claim(t, rd.Claim)
	assert.Equal(t, rooms.CodeClaimInvalid, codeOf(err), "a claim presented to the wrong node")

	claimer := a.connect()
	seat2, err := claimer.claim(t, rd.Claim)
	require.NoError(t, err)
	assert.Equal(t, seat.RoomID, seat2.RoomID)
	assert.Equal(t, "arena", seat2.Name)

	_, err = a.connect().claim(t, rd.Claim)
	assert.Equal(t, rooms.CodeClaimInvalid, codeOf(err), "a claim works once")

	room := a.rs.Room(seat.RoomID)
	eventually(t, "two clients listed", func() bool { return room.Listing().Clients == 2 })
	page, err := b.connect().sess.List(rooms.ListRequest{})
	require.NoError(t, err)
	require.Len(t, page.Rooms, 1, "b lists a's room")
	assert.Equal(t, seat.RoomID, page.Rooms[0].ID)
}

func TestRemoteCreateRunsTheRoomOnTheChosenNodeOnce(t *testing.T) {
	r := redistest.Start(t)
	full := startNode(t, r, "full", nodeOpts{maxRooms: 1, maxClients: 2})
	other := startNode(t, r, "other", nodeOpts{maxRooms: 10, maxClients: 2})
	nodes := []*testNode{full, other}
	create := rooms.JoinRequest{Mode: rooms.Create, Name: "arena"}

	_, _, s1, err := joinAnywhere(t, full, nodes, create)
	require.NoError(t, err)
	require.NotNil(t, full.rs.Room(s1.RoomID), "the caller had capacity")

	// full holds its one room: the next room goes to the least loaded node.
	c := full.connect()
	_, err = c.join(t, create)
	rd := redirectOf(err)
	require.NotNil(t, rd, "create on a full node: %v", err)
	assert.Equal(t, "http://other.test", rd.URL)
	assert.Nil(t, other.rs.Room(rd.RoomID), "the room runs once claimed")

	// A second joiner reserved through full lands in the same room.
	_, err = full.connect().join(t, rooms.JoinRequest{Mode: rooms.JoinByID, RoomID: rd.RoomID})
	rd2 := redirectOf(err)
	require.NotNil(t, rd2, "joinById: %v", err)
	assert.Equal(t, rd.RoomID, rd2.RoomID)

	var wg sync.WaitGroup
	seats := make([]rooms.Seat, 2)
	for i, claim := range []string{rd.Claim, rd2.Claim} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := other.connect().claim(t, claim)
			assert.NoError(t, err)
			seats[i] = s
		}()
	}
	wg.Wait()
	assert.Equal(t, rd.RoomID, seats[0].RoomID)
	assert.Equal(t, rd.RoomID, seats[1].RoomID)
	assert.Equal(t, uint64(1), other.rs.Stats().RoomsCreated, "claims racing on a new room create it once")
}

// rooms.list pages through every node's rooms in creation order, rooms
// created in the same millisecond included.
func TestListPagesEveryRoomOnce(t *testing.T) {
	r := redistest.Start(t)
	a := startNode(t, r, "a", nodeOpts{maxClients: 1})
	b := startNode(t, r, "b", nodeOpts{maxClients: 1})
	want := map[string]bool{}
	for i := range 30 {
		n := []*testNode{a, b}[i%2]
		seat, err := n.connect().join(t, rooms.JoinRequest{Mode: rooms.Create, Name: "arena"})
		require.NoError(t, err)
		want[seat.RoomID] = true
	}
	eventually(t, "every room listed", func() bool {
		page, err := a.connect().sess.List(rooms.ListRequest{})
		return err == nil && len(page.Rooms) == len(want)
	})
	got := map[string]bool{}
	lister := b.connect()
	var prev rooms.Listing
	for cursor := ""; ; {
		page, err := lister.sess.List(rooms.ListRequest{Limit: 7, Cursor: cursor})
		require.NoError(t, err)
		for _, l := range page.Rooms {
			assert.False(t, got[l.ID], "room %s listed twice", l.ID)
			assert.False(t, l.CreatedAt.Before(prev.CreatedAt), "oldest first")
			got[l.ID], prev = true, l
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	assert.Equal(t, want, got)
}
