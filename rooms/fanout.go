package rooms

import (
	"time"

	statesync "github.com/roomcast/roomcast/sync"
)

// fanout sends a room's state frames (room goroutine only). Per tick it
// encodes the delta once and queues it on every connected client with
// that client's input ack; it sends snapshots to clients that need one
// (new, resumed without replay, or whose frames were dropped), ack-only
// deltas to clients whose ack alone moved, and replays missed deltas to
// resumed clients from the resume buffer. With Settings.ChecksumEvery it
// adds the state checksum, computed at most once per tick.
type fanout struct {
	room      *Room
	state     State
	resume    *statesync.ResumeBuffer
	deltaBuf  []byte      // the delta of the last tick; its buffer is reused
	deltaPkt  StatePacket // the delta frame of the last tick; reused
	snapHint  int         // capacity for the next snapshot buffer
	deltaBase uint32      // tick of the last delta that changed something

	every   uint64         // Settings.ChecksumEvery; 0: no checksums
	sumTick uint64         // tick of sum (0: none computed yet)
	sum     uint64         // the state's checksum at sumTick
	sums    []tickChecksum // checksums of recent changed deltas at multiples of every, oldest first (for replays)

	viewHint  int             // the largest view frame seen (views.go)
	viewTotal int             // bytes of last tick's view frames
	viewPkts  int             // packets of last tick's view frames
	shared    []*StatePacket  // this tick's view deltas, by statesync's index (nil: no change)
	viewBufs  [][]byte        // byte chunks of the view frames, reused from tick to tick
	viewPktsB [][]StatePacket // packet blocks of the view frames, reused from tick to tick
}

type tickChecksum struct {
	tick, sum uint64
}

// checksummer is a State that can hash itself (*statesync.Encoder).
type checksummer interface {
	Checksum() uint64
}

// EmptyDeltaEncoder is implemented by a State that encodes its own
// "nothing changed" delta for ack-only frames (*statesync.Encoder does).
// Other states get statesync's [tick, tick-base].
type EmptyDeltaEncoder interface {
	EncodeEmptyDelta(dst []byte, tick uint32) []byte
}

// emptyDelta appends the state of an ack-only delta frame at tick to dst.
func (f *fanout) emptyDelta(dst []byte, tick uint32) []byte {
	if e, ok := f.state.(EmptyDeltaEncoder); ok {
		return e.EncodeEmptyDelta(dst, tick)
	}
	return statesync.AppendEmptyDelta(dst, tick, f.deltaBase)
}

// checksum returns the state's checksum now (at tick T), computing it at
// most once per tick; ok is false when the state cannot hash itself.
func (f *fanout) checksum(T uint64) (sum uint64, ok bool) {
	cs, ok := f.state.(checksummer)
	if !ok {
		return 0, false
	}
	if f.sumTick != T {
		f.sum, f.sumTick = cs.Checksum(), T
	}
	return f.sum, true
}

// withChecksum sets p's checksum when the setting is on and p is a
// snapshot or at a multiple of it (the state is the room's current one).
func (f *fanout) withChecksum(p *StatePacket) *StatePacket {
	if f.every > 0 && (p.Event == EventSnapshot || p.Tick%f.every == 0) {
		p.Checksum, p.HasChecksum = f.checksum(p.Tick)
	}
	return p
}

// recordChecksum keeps the checksum of a changed delta at tick T for
// replays, as many as the resume buffer can hold deltas.
func (f *fanout) recordChecksum(T uint64) {
	sum, ok := f.checksum(T)
	if !ok {
		return
	}
	keep := f.room.settings.ResumeTicks/int(f.every) + 1
	if len(f.sums) >= keep {
		n := copy(f.sums, f.sums[len(f.sums)-keep+1:])
		f.sums = f.sums[:n]
	}
	f.sums = append(f.sums, tickChecksum{tick: T, sum: sum})
}

// recordedChecksum returns the checksum kept for tick.
func (f *fanout) recordedChecksum(tick uint64) (uint64, bool) {
	for _, e := range f.sums {
		if e.tick == tick {
			return e.sum, true
		}
	}
	return 0, false
}

// send encodes tick T's delta once and queues it (or a snapshot) on every
// connected client.
func (f *fanout) send(T uint64, now time.Time) {
	if f.state == nil {
		return
	}
	if vs, ok := f.state.(ViewState); ok && vs.ViewsOn() {
		f.sendViews(vs, T, now)
		return
	}
	r := f.room
	// The delta buffer and packet of the last tick are free again: every
	// SendState copied what it queued, and the resume buffer copies too.
	delta, changed := f.state.EncodeDelta(f.deltaBuf[:0], uint32(T))
	if cap(delta) > 0 {
		f.deltaBuf = delta[:0]
	}
	if changed {
		f.resume.PushChained(uint32(T), f.deltaBase, delta)
		f.deltaBase = uint32(T)
		if f.every > 0 && T%f.every == 0 {
			f.recordChecksum(T)
		}
	} else {
		delta = nil // an ack-only delta, built below if someone needs it
	}
	var deltaPkt, snapPkt *StatePacket
	snapshot := func() *StatePacket {
		if snapPkt == nil {
			b := f.state.EncodeSnapshot(make([]byte, 0, f.snapHint), uint32(T))
			f.snapHint = max(f.snapHint, len(b)+len(b)/4)
			snapPkt = f.withChecksum(&StatePacket{Event: EventSnapshot, Tick: T, State: b})
		}
		return snapPkt
	}
	for _, c := range r.clients {
		if c.conn == nil {
			continue
		}
		if c.resumeFrom > 0 {
			f.replay(c, snapshot())
			continue
		}
		if c.needsSnapshot {
			f.sendFrame(c, snapshot(), now)
			continue
		}
		if !changed && c.acked == c.sentAck {
			continue
		}
		if deltaPkt == nil {
			if delta == nil {
				delta = f.emptyDelta(f.deltaBuf[:0], uint32(T))
				f.deltaBuf = delta[:0]
			}
			f.deltaPkt.reuse(EventDelta, T, delta)
			deltaPkt = f.withChecksum(&f.deltaPkt)
		}
		f.sendFrame(c, deltaPkt, now)
	}
}

// sendFrame queues p on c; a dropped frame marks c for a snapshot, and a
// client that keeps dropping past SlowConsumerTimeout is disconnected.
func (f *fanout) sendFrame(c *Client, p *StatePacket, now time.Time) bool {
	r := f.room
	queued, err := c.conn.SendState(p, c.acked)
	if err == nil && queued {
		c.needsSnapshot = false
		c.sentAck = c.acked
		c.dropSince = time.Time{}
		if p.Event == EventSnapshot {
			r.srv.stats.snapshotsSent.Add(1)
		} else {
			r.srv.stats.deltasSent.Add(1)
		}
		return true
	}
	r.srv.stats.framesDropped.Add(1)
	c.needsSnapshot = true
	if err != nil {
		// The connection is unusable; normally its Session.Close arrives
		// as a drop, but make sure the seat moves to its grace period.
		r.deadConns = append(r.deadConns, c)
		return false
	}
	if c.dropSince.IsZero() {
		c.dropSince = now
	} else if r.settings.SlowConsumerTimeout > 0 && now.Sub(c.dropSince) >= r.settings.SlowConsumerTimeout {
		r.srv.stats.slowDisconnects.Add(1)
		r.log.Info("rooms: disconnecting slow consumer", "session", c.id, "dropping_for", now.Sub(c.dropSince))
		c.dropSince = time.Time{}
		c.conn.Close()
	}
	return false
}

// replay catches a resumed client up: the deltas after its last tick when
// they are fewer bytes than a snapshot, else the snapshot.
func (f *fanout) replay(c *Client, snap *StatePacket) {
	r := f.room
	from := c.resumeFrom
	c.resumeFrom = 0
	c.needsSnapshot = false
	now := r.srv.clock.Now()
	caughtUp := true
	useSnapshot := from > r.tickN || f.resume.Replay(uint32(from), len(snap.State), func(tick uint32, delta []byte) bool {
		p := &StatePacket{Event: EventDelta, Tick: uint64(tick), State: delta}
		if f.every > 0 && p.Tick%f.every == 0 {
			p.Checksum, p.HasChecksum = f.recordedChecksum(p.Tick)
		}
		caughtUp = f.sendFrame(c, p, now)
		return caughtUp
	})
	if useSnapshot {
		r.srv.stats.resumeSnapshots.Add(1)
		f.sendFrame(c, snap, now)
		return
	}
	r.srv.stats.resumeReplays.Add(1)
	if caughtUp {
		c.sentAck = c.acked
	}
}
