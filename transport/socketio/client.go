package socketio

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	siocodec "github.com/roomcast/roomcast/codec/socketio"
	"github.com/roomcast/roomcast/transport/engineio"
)

// client is one Engine.IO session and the sockets (one per namespace) it
// multiplexes.
type client struct {
	srv  *Server
	conn engineConn
	exec executor

	parser atomic.Int32      // Parser; ParserAuto until the first packet
	dec    *siocodec.Decoder // used only by onMessage (sequential)

	mu           sync.Mutex // guards sockets, closed, connectTimer
	sockets      map[string]*Socket
	root         atomic.Pointer[Socket] // sockets["/"], written under mu, read without it
	closed       bool
	everConnect  bool
	connectTimer *time.Timer
}

func (s *Server) newClient(conn engineConn) *client {
	c := &client{srv: s, conn: conn, sockets: map[string]*Socket{}}
	c.parser.Store(int32(s.cfg.Parser))
	if s.cfg.ConnectTimeout > 0 {
		c.mu.Lock()
		c.connectTimer = time.AfterFunc(s.cfg.ConnectTimeout, c.onConnectTimeout)
		c.mu.Unlock()
	}
	return c
}

func (c *client) getParser() Parser { return Parser(c.parser.Load()) }

func (c *client) onConnectTimeout() {
	c.mu.Lock()
	timedOut := !c.everConnect && !c.closed
	c.mu.Unlock()
	if timedOut {
		c.conn.Close(engineio.ReasonForcedClose)
	}
}

// onMessage handles one Engine.IO message; called sequentially by the engine.
func (c *client) onMessage(data []byte, binary bool) {
	parser := c.getParser()
	if parser == ParserAuto {
		parser = ParserDefault
		if binary {
			parser = ParserMsgpack
		}
		c.parser.Store(int32(parser))
	}
	var (
		p   siocodec.Packet // stays on the stack: dispatchPacket copies it
		err error
	)
	switch parser {
	case ParserMsgpack:
		if !binary {
			err = fmt.Errorf("%w: text frame in a msgpack-parser session", siocodec.ErrUnexpectedFrame)
		} else if c.dispatchRaw(data) {
			return
		} else {
			p, err = siocodec.DecodeMsgpack(data, c.srv.cfg.Limits)
		}
	default:
		if c.dec == nil {
			c.dec = siocodec.NewDecoder(c.srv.cfg.Limits)
		}
		if !binary && !c.dec.Pending() && c.dispatchRawText(data) {
			return
		}
		var done bool
		p, done, err = c.dec.Decode(data, binary)
		if err == nil && !done {
			return
		}
	}
	if err != nil {
		c.srv.log.Debug("socketio: closing session after invalid packet", "sid", c.conn.ID(), "err", err)
		c.closeWith(ReasonParseError, engineio.ReasonParseError)
		return
	}
	c.dispatchPacket(p)
}

// dispatchPacket runs dispatch in the handler sequence; p is its own copy
// (the closure that may be queued holds it), so onMessage's packet
// variable does not move to the heap for the packets the raw path takes.
func (c *client) dispatchPacket(p siocodec.Packet) {
	c.exec.runInline(func() { c.dispatch(&p) })
}

// dispatch runs inside the executor.
func (c *client) dispatch(p *siocodec.Packet) {
	nsp := p.Namespace()
	if p.Type == siocodec.Connect {
		c.connect(nsp, p.Data)
		return
	}
	c.mu.Lock()
	s := c.sockets[nsp]
	c.mu.Unlock()
	if s == nil {
		return // like socket.io: packets for a namespace not joined are ignored
	}
	switch p.Type {
	case siocodec.Event:
		s.onEvent(p)
	case siocodec.Ack:
		s.onAck(p)
	case siocodec.Disconnect:
		s.closeLocal(ReasonClientNamespaceDisconnect, false)
	case siocodec.ConnectError:
		// clients do not send CONNECT_ERROR; treat as a protocol error.
		c.closeWith(ReasonParseError, engineio.ReasonParseError)
	}
}

// connect handles CONNECT for nsp (inside the executor).
func (c *client) connect(nsp string, auth any) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if _, dup := c.sockets[nsp]; dup {
		c.mu.Unlock()
		return // already connected: ignore, as socket.io does
	}
	c.mu.Unlock()

	if auth == nil { // a CONNECT without payload: an empty auth object, as socket.io gives
		auth = map[string]any{}
	}
	ns := c.srv.lookupNamespace(nsp, auth)
	if ns == nil {
		c.sendConnectError(nsp, map[string]any{"message": "Invalid namespace"})
		return
	}
	s := newSocket(ns, c, auth)
	for _, mw := range ns.middlewareSnapshot() {
		if err := c.safeMiddleware(mw, s, auth); err != nil {
			data := map[string]any{"message": err.Error()}
			var ce *ConnectError
			if errors.As(err, &ce) {
				data["message"] = ce.Message
				if ce.Data != nil {
					data["data"] = ce.Data
				}
			}
			c.sendConnectError(nsp, data)
			s.cancel()
			return
		}
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		s.cancel()
		return
	}
	c.sockets[nsp] = s
	if nsp == "/" {
		c.root.Store(s)
	}
	c.everConnect = true
	if c.connectTimer != nil {
		c.connectTimer.Stop()
	}
	c.mu.Unlock()
	ns.add(s)
	reply := siocodec.Packet{Type: siocodec.Connect, Nsp: nsp, Data: map[string]any{"sid": s.id}}
	if err := c.sendPacket(&reply, false); err != nil {
		return // session is closing; onClose cleans up
	}
	for _, fn := range ns.connectionHandlers() {
		c.safeCall(func() { fn(s) })
		if !s.Connected() {
			return
		}
	}
}

func (c *client) safeMiddleware(mw func(*Socket, any) error, s *Socket, auth any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			c.srv.log.Error("socketio: middleware panic", "nsp", s.ns.name, "panic", r)
			err = errors.New("internal error")
		}
	}()
	return mw(s, auth)
}

func (c *client) safeCall(fn func()) {
	defer func() {
		if r := recover(); r != nil {
			c.srv.log.Error("socketio: handler panic", "sid", c.conn.ID(), "panic", r)
		}
	}()
	fn()
}

func (c *client) sendConnectError(nsp string, data map[string]any) {
	p := siocodec.Packet{Type: siocodec.ConnectError, Nsp: nsp, Data: data}
	_ = c.sendPacket(&p, false)
}

// sendPacket encodes p for this client's parser and queues it.
func (c *client) sendPacket(p *siocodec.Packet, droppable bool) error {
	frames, err := encodeFrames(p, c.effectiveParser())
	if err != nil {
		return err
	}
	return c.sendFrames(frames, droppable)
}

func (c *client) sendFrames(frames []*engineio.Frame, droppable bool) error {
	if droppable {
		queued, err := c.conn.SendDroppable(frames...)
		if err != nil {
			return err
		}
		if !queued {
			return ErrDropped
		}
		return nil
	}
	return c.conn.Send(frames...)
}

// sendCopy sends a copy of one packet's frame (binary: a msgpack packet)
// followed by its shared attachments, like sendFrames.
func (c *client) sendCopy(data []byte, binary, droppable bool, attachments []*engineio.Frame) error {
	queued, err := c.conn.SendCopy(data, binary, droppable, attachments...)
	if err == nil && !queued {
		return ErrDropped
	}
	return err
}

// effectiveParser is the parser to encode with; before the first packet
// (cannot happen for replies) it falls back to the default parser.
func (c *client) effectiveParser() Parser {
	if p := c.getParser(); p != ParserAuto {
		return p
	}
	return ParserDefault
}

// closeWith closes the engine session; sockets get reason.
func (c *client) closeWith(reason string, engineReason engineio.CloseReason) {
	c.teardown(reason)
	c.conn.Close(engineReason)
}

// onClose is called by the engine once the session is closed.
func (c *client) onClose(reason string) {
	c.teardown(reason)
}

// teardown disconnects every socket with reason (first call wins).
func (c *client) teardown(reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	if c.connectTimer != nil {
		c.connectTimer.Stop()
	}
	sockets := make([]*Socket, 0, len(c.sockets))
	for _, s := range c.sockets {
		sockets = append(sockets, s)
	}
	c.mu.Unlock()
	for _, s := range sockets {
		s.closeLocal(reason, false)
	}
}

func (c *client) removeSocket(s *Socket) (remaining int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sockets[s.ns.name] == s {
		delete(c.sockets, s.ns.name)
		if s.ns.name == "/" {
			c.root.Store(nil)
		}
	}
	return len(c.sockets)
}

// ackContext applies Config.AckTimeout to ctx when it has no deadline.
func (c *client) ackContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); !ok && c.srv.cfg.AckTimeout > 0 {
		return context.WithTimeout(ctx, c.srv.cfg.AckTimeout)
	}
	return ctx, func() {}
}
