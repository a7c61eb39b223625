package statesync

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// resumeTraffic encodes one changed delta per tick in ticks, and a snapshot
// after each (plus one at tick 0).
func resumeTraffic(t *testing.T, ticks []uint32) (*Encoder, map[uint32][]byte, map[uint32][]byte) {
	_, ps, enc := newBenchArena(t, 4)
	deltas, snaps := map[uint32][]byte{}, map[uint32][]byte{0: enc.EncodeSnapshot(nil, 0)}
	for _, tick := range ticks {
		ps[tick%4].X.Set(float32(tick))
		d, changed := enc.EncodeDelta(nil, tick)
		require.True(t, changed)
		deltas[tick] = d
		snaps[tick] = enc.EncodeSnapshot(nil, tick)
	}
	return enc, deltas, snaps
}

func TestResumeBuffer(t *testing.T) {
	ticks := []uint32{1, 2, 5, 6, 9}
	enc, deltas, snaps := resumeTraffic(t, ticks)
	rb := NewResumeBuffer(ResumeOptions{MaxDeltas: 4})
	d, snap := rb.Resume(0, 1000)
	require.Empty(t, d)
	require.False(t, snap, "nothing pushed yet: nothing to send")
	for _, tick := range ticks {
		rb.Push(tick, deltas[tick])
	}
	require.Equal(t, 4, rb.Len())
	newest, ok := rb.Newest()
	require.True(t, ok)
	require.Equal(t, uint32(9), newest)
	size := func(ts ...uint32) int {
		n := 0
		for _, t := range ts {
			n += len(deltas[t])
		}
		return n
	}
	require.Equal(t, size(2, 5, 6, 9), rb.Bytes())

	cases := []struct {
		name     string
		lastSeen uint32
		snapSize int
		want     []uint32
		snapshot bool
	}{
		{"up to date", 9, 1000, nil, false},
		{"between deltas", 7, 1000, []uint32{9}, false},
		{"at a delta", 5, 1000, []uint32{6, 9}, false},
		{"oldest kept base", 1, 1000, []uint32{2, 5, 6, 9}, false},
		{"evicted", 0, 1000, nil, true},
		{"deltas not smaller than snapshot", 1, size(2, 5, 6, 9), nil, true},
		{"just smaller", 1, size(2, 5, 6, 9) + 1, []uint32{2, 5, 6, 9}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, snap := rb.Resume(c.lastSeen, c.snapSize)
			require.Equal(t, c.snapshot, snap)
			require.Len(t, got, len(c.want))
			for i, tick := range c.want {
				require.Equal(t, deltas[tick], got[i])
			}
			if snap || c.lastSeen > 9 {
				return
			}
			// Replaying them on the client's state reaches the server's.
			m := NewMirror(MirrorLimits{})
			base := c.lastSeen
			for base > 0 && snaps[base] == nil {
				base-- // the client's state at an empty tick is the last changed one's
			}
			require.NoError(t, m.ApplySnapshot(snaps[base]))
			m.tick = c.lastSeen
			for _, b := range got {
				require.NoError(t, m.ApplyDelta(b))
			}
			require.Equal(t, enc.Checksum(), m.Checksum())
		})
	}
}

func TestResumeBufferBrokenChain(t *testing.T) {
	_, deltas, _ := resumeTraffic(t, []uint32{1, 2, 3, 4})
	rb := NewResumeBuffer(ResumeOptions{})
	rb.Push(1, deltas[1])
	rb.Push(2, deltas[2])
	rb.Push(4, deltas[4]) // 3 was never pushed: 4's base is 3
	_, snap := rb.Resume(1, 1<<20)
	require.True(t, snap)
	got, snap := rb.Resume(3, 1<<20)
	require.False(t, snap)
	require.Equal(t, [][]byte{deltas[4]}, got)

	rb.Push(9, []byte{0xc1}) // garbage: everything before 9 needs a snapshot
	require.Equal(t, 0, rb.Len())
	_, snap = rb.Resume(4, 1<<20)
	require.True(t, snap)
}

func TestResumeBufferMaxBytes(t *testing.T) {
	_, deltas, _ := resumeTraffic(t, []uint32{1, 2, 3})
	rb := NewResumeBuffer(ResumeOptions{MaxBytes: len(deltas[2]) + len(deltas[3])})
	for _, tick := range []uint32{1, 2, 3} {
		rb.Push(tick, deltas[tick])
	}
	require.Equal(t, 2, rb.Len())
	_, snap := rb.Resume(0, 1<<20)
	require.True(t, snap)
	got, snap := rb.Resume(1, 1<<20)
	require.False(t, snap)
	require.Len(t, got, 2)

	small := NewResumeBuffer(ResumeOptions{MaxBytes: 4})
	small.Push(1, deltas[1]) // larger than the whole buffer
	require.Equal(t, 0, small.Len())
	_, snap = small.Resume(0, 1<<20)
	require.True(t, snap)
}

func TestResumeBufferCopies(t *testing.T) {
	_, deltas, _ := resumeTraffic(t, []uint32{1})
	rb := NewResumeBuffer(ResumeOptions{})
	b := append([]byte(nil), deltas[1]...)
	rb.Push(1, b)
	b[0] = 0
	got, _ := rb.Resume(0, 1<<20)
	require.Equal(t, deltas[1], got[0])
}

// PushChained takes the chain from the caller, so opaque bytes (another
// encoding that chains by base the same way) are buffered as they are, and
// Replay hands them out with their ticks and stops when asked.
func TestResumeBufferPushChainedReplay(t *testing.T) {
	rb := NewResumeBuffer(ResumeOptions{MaxDeltas: 3, MaxBytes: 10})
	rb.PushChained(2, 0, []byte("aa"))
	rb.PushChained(4, 2, []byte("bbb"))
	type sent struct {
		tick  uint32
		delta string
	}
	replay := func(lastSeen uint32, snapshotSize, stopAfter int) (out []sent, useSnapshot bool) {
		useSnapshot = rb.Replay(lastSeen, snapshotSize, func(tick uint32, delta []byte) bool {
			out = append(out, sent{tick, string(delta)})
			return len(out) < stopAfter
		})
		return out, useSnapshot
	}
	out, snap := replay(1, 100, 10)
	require.False(t, snap)
	require.Equal(t, []sent{{2, "aa"}, {4, "bbb"}}, out)
	out, snap = replay(1, 100, 1)
	require.False(t, snap)
	require.Equal(t, []sent{{2, "aa"}}, out, "send returning false stops the replay")
	out, snap = replay(2, 100, 10)
	require.False(t, snap)
	require.Equal(t, []sent{{4, "bbb"}}, out)
	_, snap = replay(1, 5, 10)
	require.True(t, snap, "5 bytes of deltas are not cheaper than a 5-byte snapshot")
	out, snap = replay(4, 100, 10)
	require.False(t, snap)
	require.Empty(t, out, "up to date")

	rb.PushChained(5, 4, []byte("cccc"))
	rb.PushChained(6, 5, []byte("dd")) // 3 entries max: tick 2 goes
	_, snap = replay(1, 100, 10)
	require.True(t, snap, "tick 2 is gone")
	out, _ = replay(2, 100, 10)
	require.Len(t, out, 3)
	rb.PushChained(7, 6, []byte("eeeeeeee")) // 8 bytes: older ones go until it fits
	_, snap = replay(4, 100, 10)
	require.True(t, snap)
	out, _ = replay(6, 100, 10)
	require.Equal(t, []sent{{7, "eeeeeeee"}}, out)

	rb.PushChained(9, 8, []byte("f")) // base 8 was never pushed: chain broken
	_, snap = replay(7, 100, 10)
	require.True(t, snap)
	out, snap = replay(8, 100, 10)
	require.False(t, snap)
	require.Equal(t, []sent{{9, "f"}}, out)

	rb.PushChained(10, 9, make([]byte, 11)) // larger than the bound: buffer emptied
	_, snap = replay(9, 100, 10)
	require.True(t, snap)
	out, snap = replay(10, 100, 10)
	require.False(t, snap)
	require.Empty(t, out)
	require.Zero(t, rb.Bytes())
}

// An empty delta chains to the last changed one: a Mirror applies it as
// "no change, now at tick", keeps its checksum, and takes the next changed
// delta after it.
func TestEmptyDelta(t *testing.T) {
	_, ps, enc := newBenchArena(t, 2)
	m := NewMirror(MirrorLimits{})
	require.NoError(t, m.ApplySnapshot(enc.EncodeSnapshot(nil, 1)))
	ps[0].X.Set(3)
	d, changed := enc.EncodeDelta(nil, 2)
	require.True(t, changed)
	require.NoError(t, m.ApplyDelta(d))
	_, changed = enc.EncodeDelta(nil, 3)
	require.False(t, changed)

	empty := enc.EncodeEmptyDelta(nil, 3)
	require.Equal(t, []byte{0x92, 0x03, 0x01}, empty, "[tick 3, gap 1]")
	require.Equal(t, empty, AppendEmptyDelta(nil, 3, 2))
	require.NoError(t, m.ApplyDelta(empty))
	require.Equal(t, uint32(3), m.Tick())
	require.Equal(t, enc.Checksum(), m.Checksum())

	ps[1].X.Set(4)
	d, changed = enc.EncodeDelta(nil, 5)
	require.True(t, changed)
	require.NoError(t, m.ApplyDelta(d), "base 2 <= mirror tick 3 < 5")
	require.Equal(t, enc.Checksum(), m.Checksum())
}
