package cluster

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/rooms"
)

func TestListingRoundTrip(t *testing.T) {
	l := rooms.Listing{ID: "r1", Name: "arena", Clients: 3, MaxClients: 8, Locked: true, Private: false,
		Metadata:  map[string]any{"mode": "ctf", "level": int64(2), "bin": []byte{1, 2}},
		CreatedAt: time.Unix(0, 1_700_000_000_123_456_789)}
	enc, err := encodeListing(l, "n1")
	require.NoError(t, err)
	stored, err := decodeListing([]byte(enc))
	require.NoError(t, err)
	assert.Equal(t, "n1", stored.node)
	got := stored.Listing
	assert.Equal(t, l.ID, got.ID)
	assert.Equal(t, l.Metadata, got.Metadata)
	assert.True(t, l.CreatedAt.Equal(got.CreatedAt), "nanoseconds kept: rooms.list cursors compare them")
	got.CreatedAt, l.CreatedAt = time.Time{}, time.Time{}
	assert.Equal(t, l, got)
}

func TestOptionsRoundTrip(t *testing.T) {
	o := rooms.Options{"n": int64(-3), "f": 1.5, "s": "x", "b": []byte{0}, "nested": map[string]any{"a": []any{true, nil}}}
	enc, err := encodeOptions(o)
	require.NoError(t, err)
	got, err := decodeOptions([]byte(enc))
	require.NoError(t, err)
	assert.Equal(t, o, got)
	empty, err := decodeOptions(nil)
	require.NoError(t, err)
	assert.Empty(t, empty)
}

func TestDecodersRejectMalformedRecords(t *testing.T) {
	tests := []struct {
		name string
		data string
	}{
		{"empty", ""},
		{"not msgpack", "\xc1"},
		{"not a map", "\x93\x01\x02\x03"},
		{"map without fields", "\x80"},
		{"truncated", "\x88\xa2id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decodeListing([]byte(tc.data))
			assert.ErrorIs(t, err, errRecord)
			if tc.data != "" {
				_, err = decodeOptions([]byte(tc.data))
				if tc.name != "map without fields" {
					assert.ErrorIs(t, err, errRecord)
				}
			}
		})
	}
	for _, msg := range []string{"", "u", "u\n", "u\nnode", "r\nnode\n", "x\nnode\nid", "u\nnode\n\xc1"} {
		_, err := decodeLobbyMessage([]byte(msg))
		assert.ErrorIs(t, err, errRecord, "%q", msg)
	}
}

func TestLobbyMessage(t *testing.T) {
	m, err := decodeLobbyMessage([]byte("r\nn1\nroom\nwith newline"))
	require.NoError(t, err)
	assert.Equal(t, lobbyMessage{node: "n1", removed: "room\nwith newline"}, m)
	enc, err := encodeListing(rooms.Listing{ID: "r", Name: "arena"}, "n2")
	require.NoError(t, err)
	m, err = decodeLobbyMessage([]byte("u\nn2\n" + enc))
	require.NoError(t, err)
	assert.Equal(t, "n2", m.node)
	assert.Equal(t, "r", m.listing.ID)
}

// filterKey matches values as rooms does in one process: numbers by value,
// other scalars by type and value, the rest never.
func TestFilterKey(t *testing.T) {
	tests := []struct {
		a, b  any
		equal bool
	}{
		{int64(1), 1.0, true},
		{int64(1), float32(1), true},
		{uint64(7), int(7), true},
		{"1", int64(1), false},
		{"ctf", "ctf", true},
		{true, true, true},
		{true, "true", false},
		{nil, nil, true},
		{nil, "", false},
		{0.5, 0.25, false},
	}
	for _, tc := range tests {
		ka, oka := filterKey(tc.a)
		kb, okb := filterKey(tc.b)
		require.True(t, oka && okb)
		assert.Equal(t, tc.equal, ka == kb, "%#v vs %#v", tc.a, tc.b)
	}
	for _, v := range []any{math.NaN(), []any{1}, map[string]any{}, []byte("x")} {
		_, ok := filterKey(v)
		assert.False(t, ok, "%#v matches nothing", v)
	}
	assert.Equal(t, `{"mode":"`+noMatch+`"}`, encodeFilter(map[string]any{"mode": []any{}}))
	assert.Equal(t, `{"mode":"sctf"}`, encodeFM(map[string]any{"mode": "ctf", "list": []any{1}}))
	assert.Equal(t, "{}", encodeFM(nil))
}

func FuzzDecodeListing(f *testing.F) {
	enc, _ := encodeListing(rooms.Listing{ID: "r", Name: "a", Clients: 1, MaxClients: 2, Metadata: map[string]any{"k": "v"}}, "n")
	f.Add([]byte(enc))
	f.Add([]byte("\x80"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := decodeListing(b)
		if err != nil {
			return
		}
		again, err := encodeListing(l.Listing, l.node)
		if err != nil {
			return // decoded metadata the encoder refuses is still bounded
		}
		l2, err := decodeListing([]byte(again))
		require.NoError(t, err)
		require.Equal(t, l.ID, l2.ID)
		require.Equal(t, l.Clients, l2.Clients)
		require.True(t, l.Clients >= 0 && l.MaxClients >= 0)
	})
}

func FuzzDecodeOptions(f *testing.F) {
	enc, _ := encodeOptions(rooms.Options{"a": int64(1), "b": []any{"x"}})
	f.Add([]byte(enc))
	f.Fuzz(func(t *testing.T, b []byte) {
		o, err := decodeOptions(b)
		if err != nil {
			return
		}
		require.NotNil(t, o)
	})
}

func FuzzDecodeLobbyMessage(f *testing.F) {
	enc, _ := encodeListing(rooms.Listing{ID: "r", Name: "a"}, "n")
	f.Add([]byte("u\nn\n" + enc))
	f.Add([]byte("r\nn\nid"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeLobbyMessage(b)
		if err != nil {
			return
		}
		require.NotEmpty(t, m.node)
		require.True(t, m.removed != "" || m.listing.ID != "")
	})
}
