package rooms

import (
	"fmt"
	"math/bits"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/codec/mpack"
)

// deltaBytes splits the bytes of delta frames by what they carry (the
// statesync delta format: [tick, gap, token...]), so that a benchmark can
// say where a client's bytes go as a room grows:
//   - head: the array header, tick and gap;
//   - patch: masks and patches (refs and field values) of entities the
//     client keeps seeing; ref: the refs' share of patch;
//   - enter: map ops setting a key (an entity entering the client's view,
//     whole), op header included;
//   - leave: map ops deleting a key (an entity leaving the view).
//
// An op holding both sets and deletes counts its header with its first
// pair. Snapshots are not counted (frames counts the deltas).
type deltaBytes struct {
	frames                         int
	head, patch, ref, enter, leave int
}

// add tallies one delta frame.
func (d *deltaBytes) add(frame []byte) error {
	r := mpack.NewReader(frame, mpack.Limits{})
	n, err := r.ReadArrayHeader()
	if err != nil {
		return fmt.Errorf("delta header: %w", err)
	}
	if n < 2 {
		return fmt.Errorf("delta of %d elements", n)
	}
	if _, err := r.ReadUint(); err != nil {
		return fmt.Errorf("delta tick: %w", err)
	}
	if _, err := r.ReadUint(); err != nil {
		return fmt.Errorf("delta gap: %w", err)
	}
	d.frames++
	d.head += r.Offset()
	var mask uint64
	for i := 2; i < n; i++ {
		at := r.Offset()
		kind, err := r.PeekKind()
		if err != nil {
			return fmt.Errorf("token %d: %w", i, err)
		}
		if kind == mpack.KindArray {
			if err := d.op(r); err != nil {
				return fmt.Errorf("token %d: %w", i, err)
			}
			continue
		}
		tok, err := r.ReadInt()
		if err != nil {
			return fmt.Errorf("token %d: %w", i, err)
		}
		if tok < 0 {
			mask = uint64(-tok)
			d.patch += r.Offset() - at
			continue
		}
		d.ref += r.Offset() - at
		for range bits.OnesCount64(mask) {
			if err := r.Skip(); err != nil {
				return fmt.Errorf("patch of %d: %w", tok, err)
			}
			i++
		}
		d.patch += r.Offset() - at
	}
	if r.Len() != 0 {
		return fmt.Errorf("%d trailing bytes", r.Len())
	}
	return nil
}

// op tallies a container op [owner, field, key, value, ...].
func (d *deltaBytes) op(r *mpack.Reader) error {
	at := r.Offset()
	n, err := r.ReadArrayHeader()
	if err != nil {
		return err
	}
	if n < 2 || n%2 != 0 {
		return fmt.Errorf("container op of %d elements", n)
	}
	if err := r.Skip(); err != nil {
		return err
	}
	if err := r.Skip(); err != nil {
		return err
	}
	for k := 2; k < n; k += 2 {
		if err := r.Skip(); err != nil { // the key
			return err
		}
		kind, err := r.PeekKind()
		if err != nil {
			return err
		}
		if err := r.Skip(); err != nil {
			return err
		}
		if kind == mpack.KindNil {
			d.leave += r.Offset() - at
		} else {
			d.enter += r.Offset() - at
		}
		at = r.Offset()
	}
	return nil
}

// report adds the tally's metrics to b, per client and tick (ticks×clients
// frames would have been sent had every tick changed something).
func (d *deltaBytes) report(b *testing.B, perClientTick float64) {
	b.ReportMetric(float64(d.patch)/perClientTick, "patch-B/client")
	b.ReportMetric(float64(d.ref)/perClientTick, "ref-B/client")
	b.ReportMetric(float64(d.enter)/perClientTick, "enter-B/client")
	b.ReportMetric(float64(d.leave)/perClientTick, "leave-B/client")
}

// tallyConn is a nullConn that also tallies the deltas it is sent.
type tallyConn struct {
	nullConn
	tally *deltaBytes
	err   error
}

func (c *tallyConn) SendState(p *StatePacket, ack uint64) (bool, error) {
	if c.tally != nil && p.Event == EventDelta && c.err == nil {
		c.err = c.tally.add(p.State)
	}
	return c.nullConn.SendState(p, ack)
}

// TestDeltaBytes checks the tally against a delta built by hand: a mask,
// two patches (refs 5 and 200), an op setting one key and deleting another.
func TestDeltaBytes(t *testing.T) {
	var f []byte
	f = mpack.AppendArrayHeader(f, 2+1+3+3+1)
	f = mpack.AppendUint(f, 9)
	f = mpack.AppendUint(f, 1)
	head := len(f)
	f = mpack.AppendInt(f, -3) // mask: fields 0 and 1
	f = mpack.AppendUint(f, 5)
	f = mpack.AppendUint(f, 1)
	f = mpack.AppendUint(f, 2)
	f = mpack.AppendUint(f, 200) // 2-byte ref
	f = mpack.AppendUint(f, 3)
	f = mpack.AppendUint(f, 4)
	patch := len(f) - head
	f = mpack.AppendArrayHeader(f, 6)
	f = mpack.AppendUint(f, 0)
	f = mpack.AppendUint(f, 0)
	f = mpack.AppendString(f, "in")
	f = mpack.AppendArrayHeader(f, 2)
	f = mpack.AppendUint(f, 7)
	f = mpack.AppendUint(f, 1)
	enter := len(f) - head - patch
	f = mpack.AppendString(f, "out")
	f = mpack.AppendNil(f)
	leave := len(f) - head - patch - enter

	var d deltaBytes
	require.NoError(t, d.add(f))
	require.Equal(t, deltaBytes{frames: 1, head: head, patch: patch, ref: 1 + 2, enter: enter, leave: leave}, d)
	require.Equal(t, len(f), d.head+d.patch+d.enter+d.leave)

	require.Error(t, d.add(f[:len(f)-1]), "truncated")
	require.Error(t, d.add(append(f, 0)), "trailing byte")
}

// TestDeltaBytesBigWorld: every delta of a views room adds up, and players
// crossing view edges show as enters and leaves.
func TestDeltaBytesBigWorld(t *testing.T) {
	r, game, _ := bwRoom(t, 64, true)
	var d deltaBytes
	conns := make([]*tallyConn, 0, len(r.clients))
	for _, c := range r.clients {
		tc := &tallyConn{tally: &d}
		conns = append(conns, tc)
		c.conn = tc
	}
	for range 100 {
		game.walk()
		r.tickN++
		r.fan.send(r.tickN, r.srv.clock.Now())
	}
	total := int64(0)
	for _, c := range conns {
		require.NoError(t, c.err)
		total += c.bytes.Load()
	}
	require.Equal(t, 64*100, d.frames)
	require.Equal(t, total, int64(d.head+d.patch+d.enter+d.leave))
	require.Positive(t, d.enter)
	require.Positive(t, d.leave)
}
