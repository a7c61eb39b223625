package statesync

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/vmihailenco/msgpack/v5"
)

// Recorded traffic for other mirrors (the JS client): testdata/traffic/*.json
// hold a snapshot and the deltas that follow it, each with the canonical
// encoding and checksum of the state after applying it. A mirror in any
// language must rebuild exactly these. The files are pinned: this test
// regenerates the traffic and compares; STATESYNC_WRITE_TRAFFIC=1 rewrites.

type trafficFrame struct {
	Kind      string `json:"kind"` // "snapshot" or "delta"
	Tick      uint32 `json:"tick"`
	Hex       string `json:"hex"`
	Canonical string `json:"canonical"` // hex of the canonical encoding after this frame
	Checksum  string `json:"checksum"`  // FNV-1a 64 of it, 16 hex digits
}

type trafficFile struct {
	Description string         `json:"description"`
	Frames      []trafficFrame `json:"frames"`
}

func recordTraffic(t *testing.T, seed uint64) trafficFile {
	rng := rand.New(rand.NewPCG(seed, 99))
	w := &world{root: &tRoot{}, rng: rng}
	for range 6 {
		w.mutate()
	}
	enc, err := NewEncoder(w.root, EncoderOptions{})
	require.NoError(t, err)
	m := NewMirror(MirrorLimits{})
	tf := trafficFile{Description: fmt.Sprintf("random mutation script %d over the test schema of sync/property_test.go (tRoot)", seed)}
	add := func(kind string, tick uint32, b []byte) {
		if kind == "snapshot" {
			require.NoError(t, m.ApplySnapshot(b))
		} else {
			require.NoError(t, m.ApplyDelta(b))
		}
		canon := m.AppendCanonical(nil)
		require.Equal(t, enc.AppendCanonical(nil), canon)
		tf.Frames = append(tf.Frames, trafficFrame{Kind: kind, Tick: tick, Hex: hex.EncodeToString(b),
			Canonical: hex.EncodeToString(canon), Checksum: fmt.Sprintf("%016x", m.Checksum())})
	}
	add("snapshot", 0, enc.EncodeSnapshot(nil, 0))
	for tick := uint32(1); tick <= 30; tick++ {
		for range rng.IntN(5) {
			w.mutate()
		}
		if d, ok := enc.EncodeDelta(nil, tick); ok {
			add("delta", tick, d)
		}
	}
	return tf
}

func TestRecordedTraffic(t *testing.T) {
	dir := filepath.Join("testdata", "traffic")
	write := os.Getenv("STATESYNC_WRITE_TRAFFIC") == "1"
	for seed := range uint64(3) {
		tf := recordTraffic(t, seed)
		got, err := json.MarshalIndent(tf, "", " ")
		require.NoError(t, err)
		name := filepath.Join(dir, fmt.Sprintf("script-%d.json", seed))
		if write {
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, os.WriteFile(name, append(got, '\n'), 0o644))
			continue
		}
		want, err := os.ReadFile(name)
		require.NoError(t, err, "run with STATESYNC_WRITE_TRAFFIC=1 to create it")
		require.JSONEq(t, string(want), string(got), "%s changed: the wire format moved (update PROTOCOL.md (State replication) and other mirrors)", name)
	}
}

// TestStockMsgpackDecodes decodes every recorded frame with a stock msgpack
// library (vmihailenco/msgpack, generic decoding of our own trusted bytes)
// to show that nothing beyond plain msgpack is needed: no ext types, one
// value per frame.
func TestStockMsgpackDecodes(t *testing.T) {
	for seed := range uint64(3) {
		for _, fr := range recordTraffic(t, seed).Frames {
			b, err := hex.DecodeString(fr.Hex)
			require.NoError(t, err)
			dec := msgpack.NewDecoder(bytes.NewReader(b))
			// Maps may have integer keys: decode them as map[any]any
			// (the library's default wants string keys).
			dec.SetMapDecoder(func(d *msgpack.Decoder) (any, error) { return d.DecodeUntypedMap() })
			v, err := dec.DecodeInterface()
			require.NoError(t, err)
			arr, ok := v.([]any)
			require.True(t, ok, "a frame is one msgpack array")
			tick, err := toUint(arr[0])
			require.NoError(t, err)
			require.Equal(t, uint64(fr.Tick), tick)
			_, err = dec.DecodeInterface()
			require.ErrorIs(t, err, io.EOF, "nothing after the one value")
		}
	}
}

func toUint(v any) (uint64, error) {
	switch x := v.(type) {
	case int8:
		return uint64(x), nil
	case uint8:
		return uint64(x), nil
	case uint16:
		return uint64(x), nil
	case uint32:
		return uint64(x), nil
	case uint64:
		return x, nil
	case int64:
		return uint64(x), nil
	}
	return 0, fmt.Errorf("not an integer: %T", v)
}
