package engineio

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"
)

// Server is an Engine.IO v4 server; mount it (an http.Handler) at
// Config.Path.
type Server struct {
	cfg       Config
	upgrader  *gws.Upgrader
	pingFrame *Frame
	noopFrame *Frame
	wg        sync.WaitGroup // one count per session until fully finished

	handshakes *handshakeLimiter // nil: HandshakeRate unlimited

	mu        sync.RWMutex // guards sessions, perClient, closing, onConn, park*
	sessions  map[string]*Conn
	perClient map[string]int // open sessions by ClientKey (MaxSessionsPerClient)
	closing   bool
	onConn    func(*Conn)

	// internal http.Server for connections of parked GETs (ParkIdlePolls)
	parkServer   *http.Server
	parkListener *connListener
	parkServed   chan struct{}

	stats   counters
	inline  inlinePool  // buffers of inline and shared WebSocket writes
	writers *writerPool // shared WebSocket writers (writers.go)
	frames  framePool   // frames of SendCopy

	reorderWait time.Duration // the constant reorderWait; tests lengthen it
}

type counters struct {
	polling, websocket atomic.Int64
	framesOut          atomic.Uint64
	bytesOut           atomic.Uint64
	droppedFrames      atomic.Uint64
	slowConsumerCloses atomic.Uint64
	upgrades           atomic.Uint64
	opened             atomic.Uint64
}

// Stats is a snapshot of the server's counters.
type Stats struct {
	Sessions           int    // open sessions (with closed polling sessions still draining)
	PollingSessions    int    // of which on polling
	WebSocketSessions  int    // of which on WebSocket
	SessionsOpened     uint64 // sessions opened (successful handshakes) since start
	FramesOut          uint64 // frames written to clients (messages and control packets)
	BytesOut           uint64 // their Engine.IO wire size (before base64 and WebSocket framing)
	DroppedFrames      uint64 // frames dropped by SendDroppable
	SlowConsumerCloses uint64 // sessions closed as slow consumers: Send on a full queue, or a WebSocket write stalled for WriteTimeout
	Upgrades           uint64 // polling sessions upgraded to WebSocket
}

// NewServer validates cfg (after defaults) and returns a Server.
func NewServer(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:       cfg,
		pingFrame: controlFrame("2"),
		noopFrame: controlFrame("6"),
		sessions:  map[string]*Conn{},
		perClient: map[string]int{},

		handshakes: newHandshakeLimiter(cfg.HandshakeRate, cfg.HandshakeBurst),

		reorderWait: reorderWait,
		writers:     newWriterPool(cfg.WriteWorkers),
	}
	s.upgrader = gws.NewUpgrader(wsEvents{s}, &gws.ServerOption{
		ParallelEnabled:    false, // keeps messages in order
		ReadMaxPayloadSize: int(cfg.MaxPayload),
		// A frame larger than the send queue cannot be queued, so this
		// never refuses a frame Send accepted.
		WriteMaxPayloadSize: cfg.SendQueueBytes + 1,
		ReadBufferSize:      cfg.ReadBufferSize,
		// RFC 6455 §8.1: a text frame that is not UTF-8 fails the
		// connection with 1007. gws also checks the text frames written,
		// which are JSON the server encoded.
		CheckUtf8Enabled: true,
		Recovery:         gws.Recovery,
		Logger:           gwsLogger{cfg.Logger},
		HandshakeTimeout: cfg.WriteTimeout,
		Authorize:        authorizeWS,
		NewSession:       func() gws.SessionStorage { return &wsSession{} },
	})
	return s, nil
}

// OnConnection sets the function called for each new session, before any
// of its messages; it should call Conn.SetHandler. It runs in the
// handshake request, so it should not block.
func (s *Server) OnConnection(fn func(c *Conn)) {
	s.mu.Lock()
	s.onConn = fn
	s.mu.Unlock()
}

// Stats returns the current counters.
func (s *Server) Stats() Stats {
	p, w := int(s.stats.polling.Load()), int(s.stats.websocket.Load())
	return Stats{
		Sessions:           p + w,
		PollingSessions:    p,
		WebSocketSessions:  w,
		SessionsOpened:     s.stats.opened.Load(),
		FramesOut:          s.stats.framesOut.Load(),
		BytesOut:           s.stats.bytesOut.Load(),
		DroppedFrames:      s.stats.droppedFrames.Load(),
		SlowConsumerCloses: s.stats.slowConsumerCloses.Load(),
		Upgrades:           s.stats.upgrades.Load(),
	}
}

// Shutdown refuses new sessions, closes every session with
// ReasonServerShuttingDown (WebSocket sessions flush their queue first) and
// waits until every session goroutine and OnClose call has finished, or ctx
// is done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	conns := make([]*Conn, 0, len(s.sessions))
	for _, c := range s.sessions {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.closeWith(ReasonServerShuttingDown, ErrServerClosed)
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.closeParkServer()
		return nil
	case <-ctx.Done():
		for _, c := range conns { // stop flushing to slow peers
			c.dropConnections()
		}
		s.closeParkServer()
		return ctx.Err()
	}
}

// ServeHTTP answers Engine.IO requests: polling GET/POST, WebSocket
// handshakes and upgrades, CORS preflights.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != s.cfg.Path && r.URL.Path != strings.TrimSuffix(s.cfg.Path, "/") {
		http.NotFound(w, r)
		return
	}
	if !s.originAllowed(r) {
		errForbidden.write(w)
		return
	}
	q := r.URL.Query()
	transport := q.Get("transport")
	if !s.cfg.allows(transport) {
		errTransportUnknown.write(w)
		return
	}
	if transport == TransportPolling {
		s.setCORS(w, r)
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	if q.Get("EIO") != "4" {
		errUnsupportedProto.write(w)
		return
	}
	sid := q.Get("sid")
	if sid == "" {
		s.handshake(w, r, transport, q)
		return
	}
	c := s.lookup(sid)
	if c == nil || c.expireIfPongOverdue() {
		errSessionUnknown.write(w)
		return
	}
	if transport == TransportWebSocket {
		s.serveUpgrade(w, r, c)
		return
	}
	switch r.Method {
	case http.MethodGet:
		c.servePoll(w, r)
	case http.MethodPost:
		c.servePost(w, r)
	default:
		errBadRequest.write(w)
	}
}

func (s *Server) handshake(w http.ResponseWriter, r *http.Request, transport string, q url.Values) {
	if r.Method != http.MethodGet {
		errBadHandshake.write(w)
		return
	}
	if s.cfg.AllowRequest != nil {
		if err := s.cfg.AllowRequest(r); err != nil {
			s.cfg.Logger.Debug("engineio: request refused", "remote", r.RemoteAddr, "err", err)
			errForbidden.write(w)
			return
		}
	}
	client := s.cfg.ClientKey(r)
	if !s.handshakes.allow(client, time.Now()) {
		errClientRate.write(w)
		return
	}
	c := &Conn{
		srv:       s,
		id:        newSessionID(),
		client:    client,
		transport: transport,
		refs:      1,
		hs:        s.newHandshake(r, q),
	}
	c.hs.Client = client
	if transport == TransportWebSocket {
		s.serveDirectWebSocket(w, r, c)
		return
	}
	c.wake = make(chan struct{}, 1)
	if rerr, ok := s.register(c); !ok {
		rerr.write(w)
		return
	}
	c.startStallCheck()
	s.open(c)
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	_, _ = w.Write(s.openPacket(c))
}

// newHandshake keeps what Handshake exposes, copied out of the request so
// that the request's header map, query map and their backing strings are
// released after the handshake: the headers of Config.HandshakeHeaders and
// the query parameters other than Engine.IO's own (EIO, transport, t, sid).
// Empty results are nil maps (Get on them returns "").
func (s *Server) newHandshake(r *http.Request, q url.Values) Handshake {
	hs := Handshake{RemoteAddr: r.RemoteAddr, Time: time.Now()}
	keep := s.cfg.HandshakeHeaders
	if len(keep) == 1 && keep[0] == "*" {
		hs.Header = r.Header.Clone()
	} else {
		for _, name := range keep {
			if v := r.Header.Values(name); len(v) > 0 {
				if hs.Header == nil {
					hs.Header = make(http.Header, len(keep))
				}
				hs.Header[http.CanonicalHeaderKey(name)] = cloneStrings(v)
			}
		}
	}
	for k, v := range q {
		switch k {
		case "EIO", "transport", "t", "sid":
			continue
		}
		if hs.Query == nil {
			hs.Query = make(url.Values, len(q))
		}
		hs.Query[strings.Clone(k)] = cloneStrings(v)
	}
	return hs
}

func cloneStrings(v []string) []string {
	out := make([]string, len(v))
	for i, s := range v {
		out[i] = strings.Clone(s)
	}
	return out
}

// open starts the ping timer and calls OnConnection.
func (s *Server) open(c *Conn) {
	s.stats.opened.Add(1)
	c.startPing()
	s.mu.RLock()
	fn := s.onConn
	s.mu.RUnlock()
	if fn != nil {
		defer c.recoverHandler("OnConnection")
		fn(c)
	}
}

func (s *Server) openPacket(c *Conn) []byte {
	upgrades := `[]`
	if c.transport == TransportPolling && s.cfg.allows(TransportWebSocket) {
		upgrades = `["websocket"]`
	}
	b := make([]byte, 0, 128)
	b = append(b, `0{"sid":"`...)
	b = append(b, c.id...)
	b = append(b, `","upgrades":`...)
	b = append(b, upgrades...)
	b = append(b, `,"pingInterval":`...)
	b = strconv.AppendInt(b, s.cfg.PingInterval.Milliseconds(), 10)
	b = append(b, `,"pingTimeout":`...)
	b = strconv.AppendInt(b, s.cfg.PingTimeout.Milliseconds(), 10)
	b = append(b, `,"maxPayload":`...)
	b = strconv.AppendInt(b, s.cfg.MaxPayload, 10)
	return append(b, '}')
}

// register adds a new session, unless the server is closing or full.
func (s *Server) register(c *Conn) (requestError, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return errShuttingDown, false
	}
	if s.cfg.MaxSessions > 0 && len(s.sessions) >= s.cfg.MaxSessions {
		return errServerFull, false
	}
	if s.cfg.MaxSessionsPerClient > 0 && c.client != "" && s.perClient[c.client] >= s.cfg.MaxSessionsPerClient {
		return errClientSessions, false
	}
	s.sessions[c.id] = c
	s.perClient[c.client]++
	s.wg.Add(1)
	s.transportCounter(c.transport).Add(1)
	return requestError{}, true
}

func (s *Server) remove(c *Conn, transport string) {
	s.mu.Lock()
	if s.sessions[c.id] == c {
		delete(s.sessions, c.id)
		if n := s.perClient[c.client]; n > 1 {
			s.perClient[c.client] = n - 1
		} else {
			delete(s.perClient, c.client)
		}
		s.transportCounter(transport).Add(-1)
	}
	s.mu.Unlock()
}

func (s *Server) lookup(sid string) *Conn {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.sessions[sid]
}

func (s *Server) transportCounter(transport string) *atomic.Int64 {
	if transport == TransportWebSocket {
		return &s.stats.websocket
	}
	return &s.stats.polling
}

// newSessionID returns 20 URL-safe characters from 120 random bits.
func newSessionID() string {
	var b [15]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
