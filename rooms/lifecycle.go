package rooms

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/roomcast/roomcast/tick"
)

// errStop ends the room loop after a dispose.
var errStop = errors.New("rooms: room stopped")

// run is the room goroutine: OnCreate, then one step per tick until the
// room is disposed, fails, or the server shuts down.
func (r *Room) run() {
	defer r.srv.wg.Done()
	r.srv.stats.roomsCreated.Add(1)
	if err := r.create(); err != nil {
		return
	}
	loop := tick.Loop{Rate: r.settings.TickRate, Clock: r.srv.clock, Observer: r.settings.Observer}
	for {
		sched, err := loop.Start()
		if err != nil {
			r.fail(fmt.Errorf("rooms: tick loop: %w", err), nil)
			return
		}
		stopped := r.tick(sched)
		sched.Stop()
		if stopped {
			return
		}
		// Every seat is in grace: pause, then start the loop again with
		// the tick numbers going on.
		if r.pause() {
			return
		}
		r.tickBase = r.tickN
	}
}

// tick runs the tick loop until the room stops (true) or every seat is
// held for a dropped client and the room type pauses such rooms (false).
func (r *Room) tick(sched *tick.Schedule) (stopped bool) {
	for {
		select {
		case <-r.srv.ctx.Done():
			r.safeDispose(LeaveShutdown)
			return true
		case <-sched.C():
			err := sched.RunDue(r.step)
			if err == nil {
				if r.abandoned() {
					return false
				}
				continue
			}
			if !errors.Is(err, errStop) {
				r.failWith(err)
			}
			return true
		}
	}
}

func (r *Room) failWith(err error) {
	var pe *tick.PanicError
	if errors.As(err, &pe) {
		r.fail(fmt.Errorf("rooms: game panicked: %v", pe.Value), pe.Stack)
	} else {
		r.fail(err, nil)
	}
}

// abandoned reports whether the room is to pause: it has seats, every one
// held for a dropped client, and Settings.TickWhileAbandoned is off.
func (r *Room) abandoned() bool {
	if r.settings.TickWhileAbandoned || len(r.clients) == 0 {
		return false
	}
	for _, c := range r.clients {
		if !c.dropped {
			return false
		}
	}
	return true
}

// pause waits, without ticking, for the first of: a message in the inbox
// (a resume, a join, a Do; handled at once), the end of the first grace
// period, shutdown. It reports whether the room stopped.
func (r *Room) pause() (stopped bool) {
	first := r.clients[0].graceEnd
	for _, c := range r.clients[1:] {
		if c.graceEnd.Before(first) {
			first = c.graceEnd
		}
	}
	r.srv.stats.roomPauses.Add(1)
	t := r.srv.clock.NewTimer(first.Sub(r.srv.clock.Now()))
	defer t.Stop()
	select {
	case <-r.srv.ctx.Done():
		r.safeDispose(LeaveShutdown)
		return true
	case <-t.C():
		return false // the restarted loop's first step expires the seat
	case m := <-r.inbox.ch:
		if err := r.safeHandle(&m); err != nil {
			r.failWith(err)
			return true
		}
		if r.disposeReason != "" {
			r.safeDispose(r.disposeReason)
			return true
		}
		return false
	}
}

// safeHandle handles m outside a tick, turning a game panic into a
// *tick.PanicError.
func (r *Room) safeHandle(m *inboxMsg) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &tick.PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	r.handle(m)
	return nil
}

// create runs OnCreate (with panic recovery).
func (r *Room) create() (err error) {
	r.game = r.typ.newGame()
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("rooms: OnCreate panicked: %v", v)
			r.fail(err, debug.Stack())
		}
	}()
	if err := r.game.OnCreate(r, r.opts); err != nil {
		r.log.Info("rooms: OnCreate refused", "err", err)
		r.stop(asError(err, CodeCreateFailed))
		return err
	}
	r.listingDirty = true
	r.flushListing()
	return nil
}

// step is one tick: the inbox, expired seats and kicks, OnTick, the state
// frames, the listing.
func (r *Room) step(s tick.Step) error {
	r.tickN = r.tickBase + s.N + 1
	r.drain()
	r.expireSeats(s.Started)
	r.runKicks()
	if r.disposeReason != "" {
		r.dispose(r.disposeReason)
		return errStop
	}
	r.game.OnTick(r, Tick{N: r.tickN, DT: s.DT, Time: s.Scheduled})
	r.runKicks()
	if r.disposeReason != "" {
		r.dispose(r.disposeReason)
		return errStop
	}
	r.fan.send(r.tickN, s.Started)
	for _, c := range r.deadConns {
		if !c.gone && c.sess != nil && c.sess.isClosed() {
			r.dropClient(c)
		}
	}
	clear(r.deadConns)
	r.deadConns = r.deadConns[:0]
	r.flushListing()
	if r.autoDisposeDue() {
		r.dispose(LeaveDisposed)
		return errStop
	}
	return nil
}

// drain handles the messages that arrived before this tick, in order.
func (r *Room) drain() {
	for n := len(r.inbox.ch); n > 0; n-- {
		m := <-r.inbox.ch
		r.handle(&m)
	}
}

func (r *Room) handle(m *inboxMsg) {
	// Copied (not pointed to, so m stays on the stack); not cleared by a
	// panic: fail answers it.
	r.current, r.inHandle = *m, true
	r.dispatch(m)
	r.inHandle = false
	r.current = inboxMsg{}
}

// live reports whether m's client still holds its seat here through m's
// session.
func (r *Room) live(m *inboxMsg) bool {
	c := m.client
	return c.room == r && c.sess == m.sess && !c.gone
}

func (r *Room) dispatch(m *inboxMsg) {
	switch m.kind {
	case msgJoin:
		r.handleJoin(m)
	case msgInput:
		c := m.client
		if !r.live(m) {
			r.srv.stats.inputsDropped.Add(1)
			return
		}
		if m.seq <= c.lastSeq && c.anyInput {
			r.srv.stats.inputsStale.Add(1)
			return
		}
		c.lastSeq, c.anyInput = m.seq, true
		if !r.settings.ManualInputAck {
			c.acked = m.seq
		}
		r.game.OnInput(r, c, Input{Seq: m.seq, Payload: m.payload})
	case msgMessage:
		if !r.live(m) {
			if m.reply != nil {
				m.reply(nil, ErrNotInRoom)
			}
			return
		}
		msg := &Message{Type: m.str, Payload: m.payload, reply: m.reply}
		r.game.OnMessage(r, m.client, msg)
		if m.reply != nil && !msg.replied {
			msg.Reply(nil)
		}
	case msgDrop:
		if r.live(m) {
			r.dropClient(m.client)
		}
	case msgResume:
		r.handleResume(m)
	case msgLeave:
		c := m.client
		if !r.live(m) {
			m.reply(nil, ErrNotInRoom)
			return
		}
		// The connection is free before the answer (a join sent as soon
		// as it arrives must not find it seated), and the seat is freed
		// whatever OnLeave does.
		c.sess.clearSeat(c)
		m.reply(nil, nil)
		r.removeClient(c, LeaveRequested, false)
	case msgCall:
		m.payload.(func())()
	}
}

// safeDispose disposes with panic recovery (shutdown path).
func (r *Room) safeDispose(reason LeaveReason) {
	defer func() {
		if v := recover(); v != nil {
			r.fail(fmt.Errorf("rooms: game panicked while disposing: %v", v), debug.Stack())
		}
	}()
	r.dispose(reason)
}

// dispose removes every client (room.left + OnLeave), runs OnDispose and
// stops the room.
func (r *Room) dispose(reason LeaveReason) {
	r.markDisposing()
	for len(r.clients) > 0 {
		c := r.clients[0]
		if c.conn != nil {
			_ = c.conn.SendLeft(string(reason), "room "+string(reason))
		}
		r.removeClient(c, reason, true)
	}
	r.game.OnDispose(r)
	r.stop(errorf(CodeRoomNotFound, "room %q was disposed", r.id))
}

// fail disposes the room after a game error or panic without calling game
// code again: clients get room.left {code:"room_error"}.
func (r *Room) fail(err error, stack []byte) {
	r.srv.stats.roomPanics.Add(1)
	r.log.Error("rooms: room failed, disposing", "err", err, "stack", string(stack))
	for _, c := range r.clients {
		c.gone = true
		r.srv.tokens.revoke(c.token, tokenExpired, r.srv.clock.Now())
		if c.conn != nil {
			_ = c.conn.SendLeft(LeftCodeRoomError, "the room failed")
		}
		if c.sess != nil {
			c.sess.clearSeat(c)
		}
		c.detach()
	}
	r.clients = nil
	failed := &Error{Code: CodeInternal, Message: "the room failed"}
	if r.inHandle {
		m := r.current
		r.inHandle, r.current = false, inboxMsg{}
		r.reject(&m, failed)
	}
	r.stop(failed)
}

// stop closes the inbox, answers queued requests with reqErr, removes the
// room from matchmaking, the registry and the lobby.
func (r *Room) stop(reqErr *Error) {
	if r.stopped {
		return
	}
	r.stopped = true
	t := r.typ
	t.mu.Lock()
	r.match.disposing = true
	t.openLocked(r)
	for i, x := range t.rooms {
		if x == r {
			t.rooms = append(t.rooms[:i], t.rooms[i+1:]...)
			break
		}
	}
	t.mu.Unlock()
	r.inbox.close(reqErr, func(m *inboxMsg) { r.reject(m, reqErr) })
	r.srv.forget(r)
	if r.listed || r.srv.dir != nil {
		if err := r.srv.registry.Remove(context.WithoutCancel(r.srv.ctx), r.id); err != nil {
			r.log.Warn("rooms: registry remove failed", "err", err)
		}
		r.srv.lobby.removed(r.id)
	}
	r.srv.stats.roomsDisposed.Add(1)
}

// reject answers a message that arrived at a stopped room.
func (r *Room) reject(m *inboxMsg, e *Error) {
	switch m.kind {
	case msgJoin:
		m.sess.endSeat(nil)
		m.seatDone(Seat{}, e)
	case msgResume:
		m.sess.endSeat(nil)
		r.srv.stats.resumeFailures.Add(1)
		m.seatDone(Seat{}, ErrTokenExpired)
	case msgMessage, msgLeave:
		if m.client != nil && m.sess != nil {
			m.sess.clearSeat(m.client)
		}
		if m.reply != nil {
			if m.kind == msgLeave {
				m.reply(nil, nil)
			} else {
				m.reply(nil, e)
			}
		}
	}
}
