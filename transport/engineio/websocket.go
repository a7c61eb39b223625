package engineio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/lxzan/gws"
	eiocodec "github.com/roomcast/roomcast/codec/engineio"
)

// serveDirectWebSocket opens a session whose first transport is WebSocket
// (no polling before). Every check has been done: Upgrade is the last step.
func (s *Server) serveDirectWebSocket(w http.ResponseWriter, r *http.Request, c *Conn) {
	if rerr, ok := s.register(c); !ok {
		rerr.write(w)
		return
	}
	ws, err := s.upgrader.Upgrade(w, withConn(r, c))
	if err != nil {
		s.cfg.Logger.Debug("engineio: websocket handshake failed", "remote", r.RemoteAddr, "err", err)
		c.closeWith(ReasonTransportError, fmt.Errorf("engineio: websocket handshake: %w", err))
		return
	}
	c.mu.Lock()
	if c.closed || !c.acquireLocked() { // Shutdown came first
		c.mu.Unlock()
		_ = ws.NetConn().Close()
		return
	}
	s.limitSendBuffer(ws)
	c.ws, c.wsRaw = ws, c.rawConnOf(ws)
	c.enqueueLocked(controlFrame(string(s.openPacket(c))))
	c.mu.Unlock()
	s.open(c)
	s.writers.attach()
	go c.readLoop(ws)
}

// serveUpgrade handles a WebSocket request for an existing polling session:
// the probe of an upgrade. For a session already on (or upgrading to)
// WebSocket, the new WebSocket is accepted and closed at once (the
// protocol: "the server MUST close the WebSocket connection"); the session
// goes on. A closed session refuses it with 400.
func (s *Server) serveUpgrade(w http.ResponseWriter, r *http.Request, c *Conn) {
	if s.cfg.AllowRequest != nil {
		if err := s.cfg.AllowRequest(r); err != nil {
			errForbidden.write(w)
			return
		}
	}
	c.mu.Lock()
	switch {
	case c.closed:
		c.mu.Unlock()
		errBadRequest.write(w)
		return
	case c.transport != TransportPolling || c.probing:
		c.mu.Unlock()
		s.closeExtraWebSocket(w, r, c)
		return
	}
	c.probing = true
	c.mu.Unlock()

	ws, err := s.upgrader.Upgrade(w, withConn(r, c))
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || c.closed || !c.acquireLocked() {
		c.probing = false
		if err == nil {
			_ = ws.NetConn().Close()
		}
		return
	}
	s.limitSendBuffer(ws)
	c.probe = ws
	c.probeWS.Store(ws)
	c.upgradeTimer = time.AfterFunc(s.cfg.UpgradeTimeout, func() { c.abortProbe(ws) })
	s.writers.attach()
	go c.readLoop(ws)
}

// closeExtraWebSocket accepts a second WebSocket for a session and closes
// it with a close frame (1000), without reading from it.
func (s *Server) closeExtraWebSocket(w http.ResponseWriter, r *http.Request, c *Conn) {
	ws, err := s.upgrader.Upgrade(w, withConn(r, c))
	if err != nil {
		s.cfg.Logger.Debug("engineio: websocket handshake failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	_ = ws.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	_ = ws.WriteClose(1000, nil) // closes the connection too
}

// abortProbe closes a probe that did not finish the upgrade in time.
func (c *Conn) abortProbe(ws *gws.Conn) {
	c.mu.Lock()
	late := c.probe == ws && c.transport == TransportPolling
	c.mu.Unlock()
	if late {
		_ = ws.NetConn().Close()
	}
}

// readLoop runs gws's read loop (events arrive in wsEvents) and drops the
// reference taken for it and the shared writers' attach (the caller
// attached before starting it).
func (c *Conn) readLoop(ws *gws.Conn) {
	ws.ReadLoop()
	c.srv.writers.detach()
	c.release()
}

// writeLoop writes queued frames until the queue is empty, then exits; at
// most one runs per session (an inline write in Send is the writer while it
// lasts). It first finishes an inline write the socket did not fully take,
// and writes a due pong. A failed or timed-out write closes the session.
func (c *Conn) writeLoop(ws *gws.Conn) {
	defer c.release()
	var parts [2][]byte
	for {
		c.mu.Lock()
		if ib := c.wsPartial; ib != nil {
			c.wsPartial = nil
			c.mu.Unlock()
			if err := c.writePartial(ws, ib); err != nil {
				c.mu.Lock()
				c.writing = false
				c.mu.Unlock()
				c.writeFailed(err)
				return
			}
			continue
		}
		if pong := c.pongDue; pong != nil && len(c.queue) == 0 {
			c.pongDue = nil
			c.mu.Unlock()
			c.extendWriteDeadline(ws)
			_ = ws.WritePong(pong) // a failure shows on the next write or read
			continue
		}
		if len(c.queue) == 0 {
			c.writing = false
			closeNow := c.closeAfter && !c.closeSent
			c.closeSent = c.closeSent || closeNow
			c.mu.Unlock()
			if closeNow {
				c.extendWriteDeadline(ws)
				closeGracefully(ws, min(closeLinger, c.srv.cfg.WriteTimeout))
			}
			return
		}
		batch, _ := c.dequeueLocked(math.MaxInt, math.MaxInt)
		c.mu.Unlock()

		c.extendWriteDeadline(ws)
		var err error
		written := 0
		for _, f := range batch {
			if f.IsBinary() {
				err = ws.WriteMessage(gws.OpcodeBinary, f.data)
			} else {
				parts[0], parts[1] = f.typ[:], f.data // type digit + data, without copying them together
				err = ws.Writev(gws.OpcodeText, parts[:]...)
			}
			if err != nil {
				break
			}
			written++
		}
		parts = [2][]byte{}
		c.mu.Lock()
		c.doneWritingLocked(batch[:written], true)
		c.doneWritingLocked(batch[written:], false)
		if err != nil {
			c.writing = false
		}
		c.mu.Unlock()
		if err != nil {
			c.writeFailed(err)
			return
		}
	}
}

// writeFailed closes the session after a failed WebSocket write: a write
// that made no progress until its deadline is a slow consumer (the peer
// stopped reading; see Config.WriteTimeout), anything else a transport
// error.
func (c *Conn) writeFailed(err error) {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		c.closeWith(ReasonSlowConsumer, fmt.Errorf("%w: websocket write stalled: %w", ErrSlowConsumer, err))
		return
	}
	c.closeWith(ReasonTransportError, fmt.Errorf("engineio: websocket write: %w", err))
}

// closeNormal is the payload of a close frame with status 1000.
var closeNormal = []byte{0x03, 0xe8}

// closeLinger bounds how long a gracefully closed WebSocket waits for the
// peer's answering close frame: a live peer answers within a round trip;
// the wait only has to outlast the reading of what was sent before.
const closeLinger = 2 * time.Second

// closeGracefully sends the close frame (1000) after the frames already
// written, then shuts down the write side of the connection (FIN) and
// leaves it to the read loop: it reads, and discards, what the peer still
// sends until the peer answers the close (gws then closes the socket) or
// linger passes. Closing the socket at once instead, as gws's WriteClose
// does, makes the kernel answer input the server had not read (a client
// sending inputs fast) with a RST, and a RST makes the peer's kernel
// discard what it had received but not yet read: the last frames
// (room.left) and the close frame were lost, the client saw 1006.
func closeGracefully(ws *gws.Conn, linger time.Duration) {
	if err := ws.WriteMessage(gws.OpcodeCloseConnection, closeNormal); err != nil {
		return // gws closed the connection
	}
	if hc, ok := ws.NetConn().(interface{ CloseWrite() error }); ok {
		_ = hc.CloseWrite()
	}
	_ = ws.SetReadDeadline(time.Now().Add(linger))
}

// extendWriteDeadline gives the writes that follow at least WriteTimeout/2
// and at most WriteTimeout: the socket's deadline is moved (a runtime
// poller timer update) only when less than half of WriteTimeout is left,
// so a session written to every tick sets it about once per
// WriteTimeout/2, not once per frame. Only the writer calls it (one at a
// time; the field is handed over under c.mu with the writing flag).
func (c *Conn) extendWriteDeadline(ws *gws.Conn) {
	timeout := c.srv.cfg.WriteTimeout
	now := time.Now()
	if c.wsDeadline.ws == ws && c.wsDeadline.until.Sub(now) >= timeout/2 {
		return
	}
	c.wsDeadline.ws, c.wsDeadline.until = ws, now.Add(timeout)
	_ = ws.SetWriteDeadline(c.wsDeadline.until)
}

// wsEvents receives gws events for every WebSocket of the server.
type wsEvents struct{ srv *Server }

func (wsEvents) OnOpen(*gws.Conn) {}

// OnPing has the session's writer send the pong, so that it never falls
// inside a frame that an inline write left half-written. A probe has no
// writer: it answers at once.
func (wsEvents) OnPing(ws *gws.Conn, payload []byte) {
	c := connOf(ws)
	c.mu.Lock()
	if c.ws != ws {
		c.mu.Unlock()
		_ = ws.WritePong(payload)
		return
	}
	c.pongDue = append([]byte{}, payload...) // payload is gws's buffer
	c.kickLocked()
	c.mu.Unlock()
}

func (wsEvents) OnPong(*gws.Conn, []byte) {}

func (wsEvents) OnClose(ws *gws.Conn, err error) {
	c := connOf(ws)
	c.mu.Lock()
	if c.probe == ws { // a probe that did not complete: the session stays on polling
		c.probe, c.probing, c.upgrading = nil, false, false
		c.probeWS.Store(nil)
		if c.upgradeTimer != nil {
			c.upgradeTimer.Stop()
		}
		c.signalPollLocked() // a GET waiting in awaitUpgradeLocked
		c.mu.Unlock()
		return
	}
	active := c.ws == ws
	c.mu.Unlock()
	if !active {
		return
	}
	// The peer closed or went away: "transport close", as socket.io
	// reports it; anything else (a protocol error, a message over
	// MaxPayload) is a "transport error".
	var ce *gws.CloseError
	if errors.Is(err, os.ErrDeadlineExceeded) { // only writes have deadlines: gws met the writer's stalled write first
		c.writeFailed(err)
		return
	}
	if err == nil || errors.As(err, &ce) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
		c.closeWith(ReasonTransportClose, err)
	} else {
		c.closeWith(ReasonTransportError, err)
	}
}

func (wsEvents) OnMessage(ws *gws.Conn, msg *gws.Message) {
	defer msg.Close() // the buffer goes back to gws's pool; nothing keeps it
	c := connOf(ws)
	p, err := eiocodec.DecodeFrame(msg.Bytes(), msg.Opcode == gws.OpcodeBinary)

	if c.probeWS.Load() == ws { // only this ws's own read loop changes that
		c.onProbePacket(ws, p, err)
		return
	}
	if err != nil {
		c.closeWith(ReasonParseError, fmt.Errorf("engineio: websocket frame: %w", err))
		return
	}
	switch p.Type {
	case eiocodec.Message:
		c.recvMu.Lock()
		c.deliver(p.Data, p.Binary)
		c.recvMu.Unlock()
	case eiocodec.Pong:
		c.onPong()
	case eiocodec.Close:
		c.closeWith(ReasonTransportClose, nil)
	case eiocodec.Noop, eiocodec.Ping:
	default:
		c.closeWith(ReasonParseError, fmt.Errorf("%w: unexpected %v packet over websocket", eiocodec.ErrInvalidPacket, p.Type))
	}
}

// onProbePacket drives the upgrade: "2probe" → "3probe" (and polling is
// paused: the pending GET gets a noop), then "5" makes the probe the
// session's transport. Anything else closes the probe.
func (c *Conn) onProbePacket(ws *gws.Conn, p eiocodec.Packet, err error) {
	switch {
	case err == nil && p.Type == eiocodec.Ping && string(p.Data) == "probe":
		// The session is upgrading before "3probe" can reach the client:
		// a GET the client sends after reading it must find it so (it
		// waits for the "5", see awaitUpgradeLocked), not wait as an
		// ordinary poll that the wake below answers with a noop.
		c.mu.Lock()
		c.upgrading = true
		c.mu.Unlock()
		if werr := ws.WriteString("3probe"); werr != nil {
			return // gws closes the probe: OnClose ends the upgrade
		}
		// The pending GET's noop follows the "3probe", as the client
		// expects: a noop read first would make it poll again, and that
		// GET would wait up to reorderWait before the client sends "5".
		c.mu.Lock()
		c.wakePollLocked()
		c.mu.Unlock()
	case err == nil && p.Type == eiocodec.Upgrade:
		c.mu.Lock()
		if !c.upgrading || c.closed {
			c.mu.Unlock()
			_ = ws.NetConn().Close()
			return
		}
		c.upgradeTimer.Stop()
		c.probe, c.probing, c.upgrading = nil, false, false
		c.probeWS.Store(nil)
		c.ws, c.wsRaw, c.transport = ws, c.rawConnOf(ws), TransportWebSocket
		c.srv.stats.polling.Add(-1)
		c.srv.stats.websocket.Add(1)
		c.srv.stats.upgrades.Add(1)
		c.wakePollLocked() // a GET still pending returns a noop
		c.kickLocked()
		c.mu.Unlock()
	default:
		_ = ws.NetConn().Close()
	}
}

// The Conn travels from ServeHTTP to gws's Authorize hook in the request
// context, and from there into the socket's session storage.

type connKey struct{}

func withConn(r *http.Request, c *Conn) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), connKey{}, c))
}

func authorizeWS(r *http.Request, session gws.SessionStorage) bool {
	c, ok := r.Context().Value(connKey{}).(*Conn)
	if ok {
		session.(*wsSession).conn = c
	}
	return ok
}

func connOf(ws *gws.Conn) *Conn { return ws.Session().(*wsSession).conn }

// wsSession is a gws.SessionStorage holding only the Conn (gws's default
// is a map per socket).
type wsSession struct{ conn *Conn }

func (s *wsSession) Len() int                     { return 0 }
func (s *wsSession) Load(string) (any, bool)      { return nil, false }
func (s *wsSession) Delete(string)                {}
func (s *wsSession) Store(string, any)            {}
func (s *wsSession) Range(func(string, any) bool) {}

// gwsLogger adapts slog to gws.Logger (used by gws.Recovery for panics in
// OnMessage).
type gwsLogger struct{ log *slog.Logger }

func (l gwsLogger) Error(v ...any) { l.log.Error("engineio: gws", "msg", fmt.Sprint(v...)) }
