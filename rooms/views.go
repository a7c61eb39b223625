package rooms

import (
	"time"

	statesync "github.com/roomcast/roomcast/sync"
)

// ViewState is a State that shows each client its own view of the state
// (*statesync.Encoder does once it uses views: ViewsOn). Per tick the
// fanout encodes the state once per view group (EncodeViews), assembles
// every connected client's frame from the parts its View sees
// (AppendViewDelta) unless a client with the same view got its frame
// already (ShareViewDelta: then the same packet goes to both), and ends
// the tick (FinishViews). Snapshots, resumes
// and checksums are per View: a client never receives a byte of what its
// View does not hold. A resume with views always brings a snapshot of the
// client's view.
type ViewState interface {
	State
	ViewsOn() bool
	NewView(groups ...statesync.Group) *statesync.View
	EncodeViews(tick uint32)
	AppendViewDelta(dst []byte, v *statesync.View, tick uint32) (out []byte, changed, ok bool)
	ShareViewDelta(v *statesync.View, tick uint32) (index int, changed, ok bool)
	AppendViewSnapshot(dst []byte, v *statesync.View, tick uint32) []byte
	ViewChecksum(v *statesync.View) uint64
	FinishViews()
}

// SetView sets what client c sees of the room's state: v, made by the
// state's NewView, whose groups the game changes as it likes (a cell
// change, a team switch) from its hooks. Without one a client sees only
// the public state.
func (r *Room) SetView(c *Client, v *statesync.View) {
	c.view = v
}

// View returns client c's view, creating a public-only one if the game set
// none; nil when the room's state has no views.
func (r *Room) View(c *Client) *statesync.View {
	vs, ok := r.fan.state.(ViewState)
	if !ok || !vs.ViewsOn() {
		return nil
	}
	return r.fan.viewOf(c, vs)
}

func (f *fanout) viewOf(c *Client, vs ViewState) *statesync.View {
	if c.view == nil {
		c.view = vs.NewView()
	}
	return c.view
}

// Frames of a tick are carved from shared byte chunks, sized by the last
// tick's total but at most viewChunkBytes: the largest size that stays
// off the large-object path (whose allocations and frees cost more than a
// few small ones).
const viewChunkBytes = 32 << 10

// sendViews is send for a ViewState: each connected client gets its own
// frame (or the very frame of a client with the same view), assembled from
// the tick's shared parts into byte chunks and packet blocks that are
// reused from tick to tick: SendState keeps neither a packet nor its
// State once it returns (Conn), and nothing else holds a view frame after
// its tick (a resume with views is a snapshot). In steady state a tick
// allocates nothing.
func (f *fanout) sendViews(vs ViewState, T uint64, now time.Time) {
	r := f.room
	tick := uint32(T)
	vs.EncodeViews(tick)
	defer vs.FinishViews()
	clear(f.shared)
	f.shared = f.shared[:0]
	var buf []byte
	var pkts []StatePacket
	chunk, block := -1, -1 // indexes of buf in f.viewBufs, pkts in f.viewPktsB
	total, npkts := 0, 0
	defer func() {
		if chunk >= 0 {
			f.viewBufs[chunk] = buf[:0] // it may have grown (a snapshot)
		}
		f.viewTotal, f.viewPkts = total, npkts
	}()
	for _, c := range r.clients {
		if c.conn == nil {
			continue // its view misses this tick: it gets a snapshot when back
		}
		v := f.viewOf(c, vs)
		if cap(buf)-len(buf) < f.viewHint {
			buf, chunk = f.nextViewChunk(buf, chunk, total)
		}
		start := len(buf)
		share := false
		snap := c.needsSnapshot || c.resumeFrom > 0
		if c.resumeFrom > 0 {
			c.resumeFrom = 0
			r.srv.stats.resumeSnapshots.Add(1)
		}
		if !snap {
			// A client whose view got the same delta as an earlier one
			// this tick (same groups, same base) shares its frame.
			if i, changed, ok := vs.ShareViewDelta(v, tick); ok {
				switch {
				case changed:
					f.sendFrame(c, f.shared[i], now)
					continue
				case c.acked == c.sentAck:
					continue
				}
				buf = statesync.AppendEmptyDelta(buf, tick, v.Base())
			} else {
				var changed bool
				buf, changed, ok = vs.AppendViewDelta(buf, v, tick)
				if ok {
					f.shared = append(f.shared, nil) // the frame, if changed (below)
				}
				switch {
				case !ok:
					snap = true
				case !changed && c.acked == c.sentAck:
					continue
				case !changed:
					buf = statesync.AppendEmptyDelta(buf, tick, v.Base())
				default:
					share = true
				}
			}
		}
		event := EventDelta
		if snap {
			buf = vs.AppendViewSnapshot(buf, v, tick)
			event = EventSnapshot
		}
		if len(pkts) == cap(pkts) {
			pkts, block = f.nextViewPackets(block, npkts)
		}
		npkts++
		pkts = pkts[:len(pkts)+1]
		p := &pkts[len(pkts)-1]
		p.reuse(event, T, buf[start:len(buf):len(buf)])
		if f.every > 0 && (snap || T%f.every == 0) {
			p.Checksum, p.HasChecksum = vs.ViewChecksum(v), true
		}
		if share {
			f.shared[len(f.shared)-1] = p
		}
		f.viewHint = max(f.viewHint, len(p.State))
		total += len(p.State)
		f.sendFrame(c, p, now)
	}
}

// nextViewChunk returns the next byte chunk of this tick's view frames
// (empty) and its index, after buf (chunk's, which may have grown): the
// next kept one if it holds two of the largest frames, else a new one
// sized by what last tick's frames still need (at most viewChunkBytes).
func (f *fanout) nextViewChunk(buf []byte, chunk, total int) ([]byte, int) {
	if chunk >= 0 {
		f.viewBufs[chunk] = buf[:0]
	}
	chunk++
	if chunk < len(f.viewBufs) && cap(f.viewBufs[chunk]) >= 2*f.viewHint {
		return f.viewBufs[chunk][:0], chunk
	}
	need := max(f.viewTotal-total, 0)
	buf = make([]byte, 0, max(min(need+need/8, viewChunkBytes), 2*f.viewHint))
	if chunk < len(f.viewBufs) {
		f.viewBufs[chunk] = buf
	} else {
		f.viewBufs = append(f.viewBufs, buf)
	}
	return buf, chunk
}

// nextViewPackets returns the next packet block of this tick's view
// frames (empty) and its index: a kept one, or a new one sized by last
// tick's count (clients sharing a frame need no packet).
func (f *fanout) nextViewPackets(block, npkts int) ([]StatePacket, int) {
	block++
	if block < len(f.viewPktsB) {
		return f.viewPktsB[block][:0], block
	}
	pkts := make([]StatePacket, 0, max(f.viewPkts-npkts+f.viewPkts/8, 8))
	f.viewPktsB = append(f.viewPktsB, pkts)
	return pkts, block
}
