package rooms

import (
	"time"
)

// kick is a Client.Kick waiting for the end of the current hook.
type kick struct {
	c      *Client
	reason LeaveReason
	msg    string
}

// handleJoin seats the session of a join request whose seat matchmaking
// reserved, if the game's OnJoin agrees.
func (r *Room) handleJoin(m *inboxMsg) {
	sess := m.sess
	if sess.isClosed() {
		r.releaseSeat()
		sess.endSeat(nil)
		m.seatDone(Seat{}, errorf(CodeNotInRoom, "connection closed before the join completed"))
		return
	}
	opts, _ := m.payload.(Options)
	c := &Client{
		id: r.srv.randomID(9), room: r, opts: opts, auth: sess.info.Auth,
		joinedAt: r.srv.clock.Now(),
	}
	c.attach(sess)
	if err := r.game.OnJoin(r, c, opts); err != nil {
		c.detach()
		c.gone = true
		r.releaseSeat()
		sess.endSeat(nil)
		m.seatDone(Seat{}, asError(err, CodeJoinRefused))
		return
	}
	r.clients = append(r.clients, c)
	c.token = r.srv.newToken()
	r.srv.tokens.issue(c.token, r, c)
	c.needsSnapshot = true
	r.listingDirty = true
	// Seat the session before the answer: the client may send inputs as
	// soon as it reads it.
	seated := sess.endSeat(c)
	m.seatDone(r.seatOf(c), nil)
	if !seated {
		r.dropClient(c) // the connection closed meanwhile
	}
}

// seatOf is the answer to a join or resume that seated c.
func (r *Room) seatOf(c *Client) Seat {
	return Seat{RoomID: r.id, SessionID: c.id, Token: c.token, TickRate: r.settings.TickRate, Name: r.typ.name}
}

// handleResume moves a held (or still connected) seat to the requesting
// session with a new token; the fanout then replays the deltas since the
// client's last tick or sends a snapshot.
func (r *Room) handleResume(m *inboxMsg) {
	c, sess := m.client, m.sess
	if c.room != r || c.gone {
		r.srv.stats.resumeFailures.Add(1)
		sess.endSeat(nil)
		m.seatDone(Seat{}, ErrTokenExpired)
		return
	}
	if old := c.sess; old != nil {
		conn := c.conn
		c.detach()
		old.clearSeat(c)
		_ = conn.SendLeft(LeftCodeReplaced, "seat resumed on another connection")
	}
	c.attach(sess)
	c.dropped = false
	c.token = r.srv.newToken()
	r.srv.tokens.issue(c.token, r, c)
	c.resumeFrom = m.seq // the client's last tick
	if m.seq == 0 || r.fan.state == nil {
		// No tick (or no state to replay yet): the client gets a snapshot
		// with the next frame. The fanout's replay, which counts the other
		// resumes, never sees it, so it is counted here.
		c.resumeFrom = 0
		r.srv.stats.resumeSnapshots.Add(1)
	}
	c.needsSnapshot = c.resumeFrom == 0
	seated := sess.endSeat(c)
	m.seatDone(r.seatOf(c), nil)
	r.game.OnResume(r, c)
	if !seated {
		r.dropClient(c)
	}
}

// dropClient holds c's seat for the grace period (or ends it without one).
func (r *Room) dropClient(c *Client) {
	c.detach()
	if r.settings.ReconnectGrace < 0 {
		r.removeClient(c, LeaveExpired, false)
		return
	}
	c.dropped = true
	c.graceEnd = r.srv.clock.Now().Add(r.settings.ReconnectGrace)
	r.game.OnDrop(r, c)
}

// expireSeats ends seats whose grace passed.
func (r *Room) expireSeats(now time.Time) {
	for i := 0; i < len(r.clients); i++ {
		c := r.clients[i]
		if c.dropped && !now.Before(c.graceEnd) {
			r.removeClient(c, LeaveExpired, false)
			i--
		}
	}
}

// runKicks removes clients kicked during hooks.
func (r *Room) runKicks() {
	for len(r.pendingKicks) > 0 {
		k := r.pendingKicks[0]
		r.pendingKicks = r.pendingKicks[1:]
		if !k.c.gone {
			if k.c.conn != nil {
				_ = k.c.conn.SendLeft(string(k.reason), k.msg)
			}
			r.removeClient(k.c, k.reason, false)
		}
	}
	r.pendingKicks = nil
}

// removeClient ends c's seat: OnLeave, token revoked, seat released
// (unless the whole room is disposing).
func (r *Room) removeClient(c *Client, reason LeaveReason, disposing bool) {
	if c.gone {
		return
	}
	c.gone = true
	for i, x := range r.clients {
		if x == c {
			r.clients = append(r.clients[:i], r.clients[i+1:]...)
			break
		}
	}
	r.srv.tokens.revoke(c.token, tokenExpired, r.srv.clock.Now())
	if c.sess != nil {
		c.sess.clearSeat(c)
	}
	c.detach()
	r.listingDirty = true
	r.game.OnLeave(r, c, reason)
	if !disposing {
		r.releaseSeat()
	}
}
