package engineio

import (
	"encoding/binary"
	"math"
	"sync"
	"syscall"

	"github.com/lxzan/gws"
)

// Inline writes: when Send finds a WebSocket session with nothing queued
// and no write in flight, the sender itself writes the frames with one
// non-blocking write(2) (writeNonBlocking) instead of handing them to a new
// writer (a scheduler hand-off per frame). Whatever the socket
// does not take at once (a full send buffer, EAGAIN, an error, an expired
// deadline) goes to the writer goroutine, which writes the rest first; the
// sender never waits for the network, so a slow peer cannot stall it. The
// frames count against the send queue's bounds until they are fully
// written, exactly as when the writer writes them.
//
// The frames are encoded here (server frames are unmasked; gws runs without
// permessage-deflate) into one pooled buffer, so a Send of several frames is
// one system call. Only plain TCP connections (syscall.Conn) qualify, and
// only up to inlineMax bytes; anything else uses the shared writers.
//
// gws's own writes never interleave with a half-written frame: pongs are
// written by the writer (pongDue), and gws writes a close frame only when
// the connection is closing anyway.

// inlineMax bounds the wire size of one inline write.
const inlineMax = 4096

// inlineBuf is one inline write: the encoded frames and how far the
// socket took them. Pooled per Server; fn is built once per buffer so
// that RawConn.Write does not allocate.
type inlineBuf struct {
	b      []byte
	off    int      // bytes written
	frames []*Frame // the frames in b, still counted in the queue bounds
	err    error
	fn     func(fd uintptr) bool
}

type inlinePool struct{ p sync.Pool }

func (p *inlinePool) get() *inlineBuf {
	if ib, ok := p.p.Get().(*inlineBuf); ok {
		return ib
	}
	ib := &inlineBuf{b: make([]byte, 0, inlineMax)}
	ib.fn = func(fd uintptr) bool {
		ib.off, ib.err = writeNonBlocking(fd, ib.b)
		return true // never wait for the socket to become writable
	}
	return ib
}

func (p *inlinePool) put(ib *inlineBuf) {
	ib.b, ib.off, ib.frames, ib.err = ib.b[:0], 0, nil, nil
	p.p.Put(ib)
}

// wsFrameSize is the wire size of f as an unmasked WebSocket frame.
func wsFrameSize(f *Frame) int {
	n := f.size()
	switch {
	case n < 126:
		return 2 + n
	case n <= 0xffff:
		return 4 + n
	default:
		return 10 + n
	}
}

// appendWSFrame appends f as an unmasked, final WebSocket frame.
func appendWSFrame(dst []byte, f *Frame) []byte {
	op := byte(gws.OpcodeText)
	if f.IsBinary() {
		op = byte(gws.OpcodeBinary)
	}
	dst = append(dst, 0x80|op)
	n := f.size()
	switch {
	case n < 126:
		dst = append(dst, byte(n))
	case n <= 0xffff:
		dst = append(dst, 126)
		dst = binary.BigEndian.AppendUint16(dst, uint16(n))
	default:
		dst = append(dst, 127)
		dst = binary.BigEndian.AppendUint64(dst, uint64(n))
	}
	if !f.IsBinary() {
		dst = append(dst, f.typ[0])
	}
	return append(dst, f.data...)
}

// rawConnOf returns the socket of a plain TCP WebSocket, nil otherwise
// (TLS, a platform without writeNonBlocking).
func (c *Conn) rawConnOf(ws *gws.Conn) syscall.RawConn {
	if !inlineSupported {
		return nil
	}
	sc, ok := ws.NetConn().(syscall.Conn) // a TCP connection (a TLS one has none)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// sendLocked queues frames (the caller checked the bounds). If they can be
// written inline it takes them out of the queue again, becomes the
// session's writer and returns the encoded write, which the caller passes
// to writeInline after unlocking; otherwise it kicks the transport and
// returns nil.
func (c *Conn) sendLocked(frames []*Frame) *inlineBuf {
	wasEmpty := len(c.queue) == 0
	for _, f := range frames {
		c.queue = append(c.queue, f)
		c.pendingFrames++
		c.pendingBytes += f.size()
	}
	if !wasEmpty || c.srv.cfg.DisableInlineWrites || c.transport != TransportWebSocket || c.ws == nil || c.wsRaw == nil ||
		c.writing || c.closeAfter || c.pongDue != nil || !c.fitsInline(frames) || !c.acquireLocked() {
		c.kickLocked()
		return nil
	}
	c.writing = true
	ib := c.srv.inline.get()
	ib.frames, _ = c.dequeueLocked(math.MaxInt, math.MaxInt)
	for _, f := range ib.frames {
		ib.b = appendWSFrame(ib.b, f)
	}
	return ib
}

func (c *Conn) fitsInline(frames []*Frame) bool {
	n := 0
	for _, f := range frames {
		n += wsFrameSize(f)
	}
	return n <= inlineMax
}

// writeInline makes the write that sendLocked prepared, without blocking,
// then gives up the writer role, or passes what is left to a writer
// goroutine (with the reference sendLocked took).
func (c *Conn) writeInline(ib *inlineBuf) {
	c.mu.Lock()
	ws, rc := c.ws, c.wsRaw
	c.mu.Unlock()
	if !c.writeBatch(ws, rc, ib) {
		return
	}
	c.mu.Lock()
	c.writing = false
	c.kickLocked() // frames queued meanwhile, a pong, a close
	c.mu.Unlock()
	c.release()
}

// writeBatch writes ib (frames already taken from the queue) with one
// non-blocking write(2); the caller is the session's writer. It reports
// whether the socket took everything; if not, the rest is handed to a
// writer goroutine of the session's own, with the writer role and its
// reference, and the caller must stop.
func (c *Conn) writeBatch(ws *gws.Conn, rc syscall.RawConn, ib *inlineBuf) bool {
	c.extendWriteDeadline(ws) // an expired deadline would fail the write
	if err := rc.Write(ib.fn); err != nil && ib.err == nil {
		ib.err = err
	}
	c.mu.Lock()
	if ib.err == nil && ib.off == len(ib.b) {
		c.doneWritingLocked(ib.frames, true)
		c.mu.Unlock()
		c.srv.inline.put(ib)
		return true
	}
	c.wsPartial = ib // the writer writes the rest (and meets any error again)
	c.mu.Unlock()
	go c.writeLoop(ws)
	return false
}

// writePartial writes the rest of an inline write that the socket did not
// take at once; the caller is the writer.
func (c *Conn) writePartial(ws *gws.Conn, ib *inlineBuf) error {
	c.extendWriteDeadline(ws)
	_, err := ws.NetConn().Write(ib.b[ib.off:])
	c.mu.Lock()
	c.doneWritingLocked(ib.frames, err == nil)
	c.mu.Unlock()
	c.srv.inline.put(ib)
	return err
}
