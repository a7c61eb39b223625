package engineio

import (
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// With Config.ParkIdlePolls a long-polling GET that has to wait is hijacked
// from net/http: the session keeps only the network connection (no
// goroutine, no buffers) until there is something to answer. The answer is
// written by a short-lived goroutine, then the connection is handed to an
// internal http.Server (keep-alive) for the client's next requests.

// parkedPoll is a hijacked GET waiting for its answer.
type parkedPoll struct {
	conn      net.Conn
	header    http.Header // set before the hijack (CORS)
	keepAlive bool
}

// park hijacks a waiting GET. It reports false if the connection cannot be
// hijacked (the caller then waits as usual).
func (c *Conn) park(w http.ResponseWriter, r *http.Request) bool {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	header := w.Header().Clone()
	conn, brw, err := hj.Hijack()
	if err != nil {
		return false
	}
	// Bytes already read past this request (pipelining) cannot be handed
	// back to net/http: such a connection is closed after the answer.
	p := &parkedPoll{conn: conn, header: header, keepAlive: !r.Close && brw.Reader.Buffered() == 0}
	c.mu.Lock()
	c.parked = p
	if !c.pollMustWaitLocked() { // something happened during the hijack
		c.wakePollLocked()
	}
	c.mu.Unlock()
	return true
}

// answerParked writes the answer of a parked GET, then returns its
// connection to HTTP serving (or closes it).
func (c *Conn) answerParked(p *parkedPoll) {
	defer c.release()
	c.mu.Lock()
	frames, size, ans := c.takePollLocked()
	// The client may send its next GET, on another connection, as soon as
	// it has read this answer, before finishPoll runs: release the claim
	// now, or that GET would count as an overlap (400, session closed).
	c.getActive = false
	c.mu.Unlock()

	body := c.srv.appendPollBody(make([]byte, 0, size+1), frames, ans)
	head := appendResponseHead(make([]byte, 0, 256), p, len(body))
	_ = p.conn.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
	bufs := net.Buffers{head, body}
	_, err := bufs.WriteTo(p.conn)
	c.finishPoll(frames, ans, err)
	if err != nil || !p.keepAlive || !c.srv.reinject(p.conn) {
		_ = p.conn.Close()
	}
}

// appendResponseHead appends the status line and headers of a 200 polling
// answer with a body of n bytes.
func appendResponseHead(b []byte, p *parkedPoll, n int) []byte {
	b = append(b, "HTTP/1.1 200 OK\r\n"...)
	for k, vs := range p.header {
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	b = append(b, "Content-Type: text/plain; charset=UTF-8\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, "\r\nDate: "...)
	b = time.Now().UTC().AppendFormat(b, http.TimeFormat)
	if !p.keepAlive {
		b = append(b, "\r\nConnection: close"...)
	}
	return append(b, "\r\n\r\n"...)
}

// reinject hands a connection back to HTTP serving (an internal
// http.Server started on first use); false once the server is closing.
func (s *Server) reinject(conn net.Conn) bool {
	_ = conn.SetDeadline(time.Time{})
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return false
	}
	if s.parkServer == nil {
		s.parkListener = &connListener{conns: make(chan net.Conn), done: make(chan struct{}), addr: conn.LocalAddr()}
		s.parkServer = &http.Server{
			Handler:           s,
			ReadHeaderTimeout: s.cfg.WriteTimeout,
			IdleTimeout:       s.cfg.PingInterval + s.cfg.PingTimeout,
			ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelDebug),
		}
		s.parkServed = make(chan struct{})
		go func(hs *http.Server, l net.Listener, done chan struct{}) {
			_ = hs.Serve(l)
			close(done)
		}(s.parkServer, s.parkListener, s.parkServed)
	}
	l := s.parkListener
	s.mu.Unlock()
	select {
	case l.conns <- conn:
		return true
	case <-l.done:
		return false
	}
}

// closeParkServer stops the internal http.Server, if started, and waits for
// its accept loop.
func (s *Server) closeParkServer() {
	s.mu.Lock()
	hs, served := s.parkServer, s.parkServed
	s.mu.Unlock()
	if hs != nil {
		_ = hs.Close()
		<-served
	}
}

// connListener is a net.Listener fed by reinject.
type connListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	addr  net.Addr
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }
