package rooms

import (
	"errors"
	"github.com/roomcast/roomcast/codec/mpack"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenTable(t *testing.T) {
	now := time.Unix(1000, 0)
	tt := newTokenTable(time.Minute)
	r, c := &Room{}, &Client{}
	tt.issue("a", r, c)
	tt.issue("b", r, c)

	gr, gc, err := tt.take("a", now)
	require.NoError(t, err)
	assert.Same(t, r, gr)
	assert.Same(t, c, gc)
	_, _, err = tt.take("a", now)
	assert.True(t, errors.Is(err, ErrTokenUsed))
	tt.revoke("b", tokenExpired, now)
	_, _, err = tt.take("b", now)
	assert.True(t, errors.Is(err, ErrTokenExpired))
	_, _, err = tt.take("zzz", now)
	assert.True(t, errors.Is(err, ErrTokenUnknown))

	// Forgotten after the memory period.
	later := now.Add(2 * time.Minute)
	_, _, err = tt.take("a", later)
	assert.True(t, errors.Is(err, ErrTokenUnknown))
	_, _, err = tt.take("b", later)
	assert.True(t, errors.Is(err, ErrTokenUnknown))
	assert.Empty(t, tt.entries)
	assert.Empty(t, tt.dead)
}

func TestKeepWhenEmptyAndMaxRooms(t *testing.T) {
	bubble(t, func(t *testing.T) {
		srv, err := NewServer(Config{Logger: discardLogger(), MaxRooms: 1})
		require.NoError(t, err)
		defer srv.Shutdown(t.Context())
		require.NoError(t, srv.Define("keep", func() Game { return &counterGame{} }, Settings{KeepWhenEmpty: true}))
		a := newClient(t, srv, "a")
		id := a.mustJoin(EventCreate, "keep", nil)["roomId"]
		require.Equal(t, "", errCode(a.call(EventLeave)))
		time.Sleep(time.Second)
		synctest.Wait()
		require.NotNil(t, srv.Room(id.(string)), "kept while empty")
		assert.Equal(t, CodeCreateFailed, errCode(a.call(EventCreate, "keep", nil)), "MaxRooms")
		assert.Equal(t, id, a.mustJoin(EventJoinOrCreate, "keep", nil)["roomId"])
		require.NoError(t, srv.Shutdown(t.Context()))
	})
}

func TestSettingsValidation(t *testing.T) {
	srv, err := NewServer(Config{Logger: discardLogger()})
	require.NoError(t, err)
	defer srv.Shutdown(t.Context())
	mk := func() Game { return NopGame{} }
	for name, s := range map[string]Settings{
		"tick rate":   {TickRate: 5000},
		"max clients": {MaxClients: -1},
		"metadata":    {Metadata: map[string]any{"x": struct{}{}}},
		"inbox":       {InboxSize: -3},
	} {
		assert.Error(t, srv.Define("t-"+name, mk, s), name)
	}
	require.NoError(t, srv.Define("ok", mk, Settings{}))
	assert.Error(t, srv.Define("ok", mk, Settings{}), "duplicate")
	assert.Error(t, srv.Define("", mk, Settings{}))
	assert.Error(t, srv.Define("nil", nil, Settings{}))
	_, err = NewServer(Config{LobbyInterval: -1})
	assert.Error(t, err)
}

func TestInputAccessors(t *testing.T) {
	in := Input{Seq: 3, Payload: map[string]any{"dx": 1.5, "n": int64(4), "ok": true, "s": "x"}}
	assert.Equal(t, 1.5, in.Float("dx", 0))
	assert.Equal(t, 4.0, in.Float("n", 0))
	assert.Equal(t, int64(4), in.Int("n", 0))
	assert.Equal(t, int64(7), in.Int("dx", 7), "not integral")
	assert.True(t, in.Bool("ok", false))
	assert.Equal(t, "x", in.String("s", ""))
	assert.Equal(t, "d", in.String("missing", "d"))
	assert.Nil(t, in.Reader(mpack.Limits{}))

	bin := Input{Payload: []byte{0x92, 0x01, 0xa1, 'a'}}
	r := bin.Reader(mpack.Limits{})
	n, err := r.ReadArrayHeader()
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	bad := Input{Payload: []byte{0xdd, 0xff, 0xff, 0xff, 0xff}}
	_, err = bad.Reader(mpack.Limits{}).ReadValue()
	assert.Error(t, err, "a 4 G element claim in 5 bytes is refused")
}
