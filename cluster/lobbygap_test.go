package cluster_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/internal/redistest"
	"github.com/roomcast/roomcast/rooms"
)

// A room disposed on another node while this node's lobby subscription
// was down leaves this node's lobby once the subscription is back (its
// lobby.remove was lost with the subscription); the rooms still live stay.
func TestLobbyDropsARoomDisposedDuringASubscriptionGap(t *testing.T) {
	r := redistest.Start(t)
	relay := newCutter(t, r.Addr())
	a := startNode(t, r, "a", nodeOpts{redisURL: relay.url()})
	b := startNode(t, r, "b", nodeOpts{})
	watcher := a.connect()
	require.NoError(t, watcher.sess.SubscribeLobby(rooms.Query{}))

	leaver := b.connect()
	gone, err := leaver.join(t, rooms.JoinRequest{Mode: rooms.Create, Name: "arena"})
	require.NoError(t, err)
	stays, err := b.connect().join(t, rooms.JoinRequest{Mode: rooms.Create, Name: "arena"})
	require.NoError(t, err)
	watcher.conn.waitLobby(t, "both of b's rooms", func(m map[string]rooms.Listing) bool {
		_, ok1 := m[gone.RoomID]
		_, ok2 := m[stays.RoomID]
		return ok1 && ok2
	})

	relay.setCut(true) // a's subscription (and every Redis call of a) drops
	leaver.sess.Leave(nil)
	eventually(t, "the empty room disposed at b", func() bool { return b.rs.Room(gone.RoomID) == nil })
	watcher.conn.mu.Lock()
	_, stale := watcher.conn.lobby[gone.RoomID]
	watcher.conn.mu.Unlock()
	require.True(t, stale, "a missed the lobby.remove while cut off")

	relay.setCut(false)
	watcher.conn.waitLobby(t, "the disposed room removed, the live one kept", func(m map[string]rooms.Listing) bool {
		_, ok1 := m[gone.RoomID]
		_, ok2 := m[stays.RoomID]
		return !ok1 && ok2
	})
	page, err := a.connect().sess.List(rooms.ListRequest{})
	require.NoError(t, err)
	require.Len(t, page.Rooms, 1)
	assert.Equal(t, stays.RoomID, page.Rooms[0].ID)
}
