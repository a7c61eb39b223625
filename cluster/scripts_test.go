package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/internal/redistest"
	"github.com/roomcast/roomcast/rooms"
)

// noRooms is a LocalRooms with no room.
type noRooms struct{}

func (noRooms) Placed() []rooms.PlacedRoom   { return nil }
func (noRooms) Capacity() int                { return 0 }
func (noRooms) ListingChanged(rooms.Listing) {}
func (noRooms) ListingRemoved(string)        {}

func scriptNode(t *testing.T, r *redistest.Server, id string) *Node {
	t.Helper()
	n, err := New(Config{RedisURL: r.URL(), NodeID: id, URL: "http://" + id, Prefix: "s", Beat: time.Hour, TTL: 2 * time.Hour})
	require.NoError(t, err)
	n.Bind(noRooms{})
	require.NoError(t, n.Start())
	t.Cleanup(func() { _ = n.Close() })
	return n
}

// reserve runs the reserve script with token tok, as Reserve does.
func reserve(t *testing.T, n *Node, mode, roomID, newID, tok string) []any {
	t.Helper()
	res, err := n.run(context.Background(), n.scripts.reserve, mode, "duel", roomID, "{}", "1", newID, 2, "0", "{}", "",
		time.Now().UnixNano(), tok, 10_000, "", openScan).Slice()
	require.NoError(t, err)
	return res
}

// A reserve whose answer was lost is undone by its token, and a late run
// of it does nothing (Colyseus #978: no room created twice, no seat lost).
func TestCancelUndoesALostReserve(t *testing.T) {
	r := redistest.Start(t)
	a := scriptNode(t, r, "a")
	b := scriptNode(t, r, "b")
	ctx := context.Background()

	res := reserve(t, a, "create", "", "room1", "tok1")
	require.Equal(t, "self", res[0])
	assert.Equal(t, res, reserve(t, a, "create", "", "room2", "tok1"), "a second run answers the first answer")
	require.NoError(t, a.run(ctx, a.scripts.cancel, "tok1").Err())
	exists, err := a.rdb.Exists(ctx, "s:room:room1").Result()
	require.NoError(t, err)
	assert.Zero(t, exists, "the room created for the lost answer is gone")
	assert.Equal(t, []any{"cancelled"}, reserve(t, a, "create", "", "room3", "tok1"))

	require.Equal(t, "self", reserve(t, b, "create", "", "room4", "tok2")[0])
	res = reserve(t, a, "id", "room4", "", "tok3")
	require.Equal(t, "remote", res[0])
	assert.Equal(t, "full", reserve(t, a, "id", "room4", "", "tok4")[0])
	require.NoError(t, a.run(ctx, a.scripts.cancel, "tok3").Err())
	claim, err := b.run(ctx, b.scripts.claim, "tok3").Slice()
	require.NoError(t, err)
	assert.Equal(t, []any{"invalid"}, claim, "the cancelled claim")
	assert.Equal(t, "remote", reserve(t, a, "id", "room4", "", "tok5")[0], "its seat came back")
}

// A cancel that arrives before its reserve (two connections) makes the
// reserve do nothing.
func TestCancelBeforeTheReserve(t *testing.T) {
	r := redistest.Start(t)
	a := scriptNode(t, r, "a")
	require.NoError(t, a.run(context.Background(), a.scripts.cancel, "early").Err())
	assert.Equal(t, []any{"cancelled"}, reserve(t, a, "create", "", "room1", "early"))
	n, err := a.rdb.Exists(context.Background(), "s:room:room1").Result()
	require.NoError(t, err)
	assert.Zero(t, n)
}
