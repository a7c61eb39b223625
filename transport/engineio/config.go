package engineio

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"slices"
	"time"
)

// Transport names, as in the "transport" query parameter.
const (
	TransportPolling   = "polling"
	TransportWebSocket = "websocket"
)

// Config configures a Server. Every field works at its zero value; the
// comment states the default.
type Config struct {
	// Path is where the server is mounted. Default "/socket.io/".
	Path string
	// PingInterval is how often the server pings. Default 25s.
	PingInterval time.Duration
	// PingTimeout is how long a pong may take; a client silent for
	// PingInterval+PingTimeout is closed with ReasonPingTimeout. Default 20s.
	PingTimeout time.Duration
	// MaxPayload bounds a POST body and a WebSocket message from the client,
	// and the size of one polling response (at least one packet is always
	// sent). Default 1 000 000 bytes.
	MaxPayload int64
	// MaxPollPackets bounds the packets in one polling response; the rest
	// waits for the next GET (python-engineio, for one, drops a session
	// whose polling response has more than 16). Default 16.
	MaxPollPackets int
	// PollDrainWait bounds how long a polling session closed gracefully
	// (Conn.Close, Shutdown) with packets still queued waits for the
	// client's next GET; a client that does not poll within it (it went
	// away) is dropped without its last packets. Default 2s.
	PollDrainWait time.Duration
	// UpgradeTimeout bounds the polling→WebSocket upgrade from the probe to
	// the "5" packet; a late probe is closed, the session stays. Default 10s.
	UpgradeTimeout time.Duration
	// Transports allowed. Default {"polling", "websocket"}.
	Transports []string
	// AllowedOrigins is the Origin policy for browsers. A request without
	// an Origin header (not a browser's) is always allowed; one with an
	// Origin is allowed when it is the server's own (its host:port is the
	// request's Host: a page served by the same server) or is listed here
	// (exact match, e.g. "https://game.example"; "null" only if listed),
	// and then gets CORS headers with credentials allowed. AnyOrigin ("*")
	// allows every Origin, "null" included, with CORS "*" and no
	// credentials: a development setting. A request with a refused Origin
	// is answered 403 {"code":4,"message":"Forbidden"} before any upgrade.
	// Default empty: same origin only.
	AllowedOrigins []string
	// AllowRequest, if set, may refuse a handshake (polling or direct
	// WebSocket) and an upgrade request by returning an error: answered
	// 403 {"code":4,"message":"Forbidden"}, before any WebSocket upgrade.
	AllowRequest func(*http.Request) error
	// SendQueueFrames bounds the frames queued for one session (including
	// those being written). Default 1024.
	SendQueueFrames int
	// SendQueueBytes bounds the bytes queued for one session, and so the
	// largest frame that can be sent. Default 256 KiB: more than 4 s of a
	// 3 KB snapshot every tick at 20 Hz (far more of ~100 B deltas), so
	// a short stall is ridden out and the stall rule (WriteTimeout)
	// decides, yet 1000 stalled clients hold at most 256 MB.
	SendQueueBytes int
	// SocketSendBuffer sets SO_SNDBUF of each WebSocket connection (the
	// kernel doubles it) where the platform allows: what a peer that
	// stopped reading can absorb besides the queue and its own receive
	// buffer, before writes stall. Without it Linux grows the buffer up to
	// megabytes and a stalled client is noticed only after they fill.
	// Default 64 KiB (a game's stream of tens of KB/s needs far less);
	// negative leaves the system's default.
	SocketSendBuffer int
	// MaxSessions bounds the open sessions; further handshakes get 503.
	// Default 0: unlimited.
	MaxSessions int
	// MaxSessionsPerClient bounds the open sessions of one client (one
	// ClientKey: by default one IP address); its further handshakes get
	// 429 {"code":3,"message":"Too many sessions from this address"}.
	// Default 0: unlimited.
	MaxSessionsPerClient int
	// HandshakeRate bounds the handshakes of one client (ClientKey) per
	// second, on average, with bursts of up to HandshakeBurst (a token
	// bucket); a handshake over it gets 429 {"code":3,"message":"Too many
	// handshakes from this address"} with Retry-After. Default 0:
	// unlimited.
	HandshakeRate  float64
	HandshakeBurst int // default 2*HandshakeRate, at least 1
	// ClientKey names the client a request comes from, for
	// MaxSessionsPerClient and HandshakeRate. Default ClientAddr (the TCP
	// peer's IP address); behind a reverse proxy give one that reads the
	// proxy's header (only for requests from the proxy). A request whose
	// key is "" is not limited (e.g. a load test on loopback).
	ClientKey func(*http.Request) string
	// PostTimeout bounds the reading of a polling POST body: a client
	// that sends it slower is closed with ReasonTransportError (400).
	// Default 10s.
	PostTimeout time.Duration
	// WriteTimeout is the slow-consumer rule: on WebSocket, a write that
	// cannot proceed (the peer stopped reading and the socket buffers are
	// full) for this long, on long-polling, packets waiting with no GET
	// for this long, close the session with ReasonSlowConsumer (counted in
	// Stats.SlowConsumerCloses). The WebSocket deadline is renewed only
	// when less than half of it is left (not per frame), so a stalled
	// write is given between WriteTimeout/2 and WriteTimeout; the polling
	// check runs every WriteTimeout/2. Default 5s.
	WriteTimeout time.Duration
	// ParkIdlePolls makes a long-polling GET that has to wait hold no
	// goroutine or buffers: it is hijacked from net/http and answered by a
	// short-lived goroutine when there is something to send; its connection
	// then goes to an internal http.Server (IdleTimeout
	// PingInterval+PingTimeout, ReadHeaderTimeout WriteTimeout) rather than
	// back to the one that accepted it, whose timeouts and hooks therefore
	// no longer apply to it. A client that abandons a parked GET is noticed
	// only by the ping timeout. HTTP/2 requests are never parked.
	// Default false.
	ParkIdlePolls bool
	// ReadBufferSize is gws's read buffer per WebSocket connection, held
	// for the connection's lifetime. Larger messages (up to MaxPayload) are
	// still read, in several reads. Default 1024 bytes.
	ReadBufferSize int
	// HandshakeHeaders are the request headers (canonical names) that
	// Handshake.Header keeps for the session's lifetime, copied out of the
	// request so that the rest of it is released. []string{"*"} keeps every
	// header. Default: Origin, User-Agent, Cookie, Authorization,
	// X-Forwarded-For, X-Real-Ip.
	HandshakeHeaders []string
	// DisableInlineWrites makes every WebSocket write go through the
	// shared writers (WriteWorkers). By default, a Send that finds nothing
	// queued writes from the sender's goroutine with one non-blocking
	// write(2) (see the package doc): no hand-off, but a goroutine that
	// sends to many sessions (a room's tick) spends the system calls' time
	// itself. Default false.
	DisableInlineWrites bool
	// WriteWorkers is how many goroutines the server keeps to write the
	// frames of plain-TCP WebSocket sessions that were not written inline
	// (writers.go): a session waiting to be written holds no goroutine of
	// its own, and none is created per frame. They write without blocking;
	// a session whose socket does not take its frames at once gets a
	// writer goroutine of its own until its queue is empty. They exist
	// only while WebSocket connections are open. Default
	// runtime.GOMAXPROCS(0).
	WriteWorkers int
	// Logger receives debug and error logs. Default: discard.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Path == "" {
		c.Path = "/socket.io/"
	}
	if c.PingInterval == 0 {
		c.PingInterval = 25 * time.Second
	}
	if c.PingTimeout == 0 {
		c.PingTimeout = 20 * time.Second
	}
	if c.MaxPayload == 0 {
		c.MaxPayload = 1_000_000
	}
	if c.MaxPollPackets == 0 {
		c.MaxPollPackets = 16
	}
	if c.PollDrainWait == 0 {
		c.PollDrainWait = 2 * time.Second
	}
	if c.UpgradeTimeout == 0 {
		c.UpgradeTimeout = 10 * time.Second
	}
	if c.Transports == nil {
		c.Transports = []string{TransportPolling, TransportWebSocket}
	}
	if c.SendQueueFrames == 0 {
		c.SendQueueFrames = 1024
	}
	if c.SendQueueBytes == 0 {
		c.SendQueueBytes = 256 << 10
	}
	if c.HandshakeBurst == 0 {
		c.HandshakeBurst = max(1, int(2*c.HandshakeRate))
	}
	if c.ClientKey == nil {
		c.ClientKey = ClientAddr
	}
	if c.PostTimeout == 0 {
		c.PostTimeout = 10 * time.Second
	}
	if c.SocketSendBuffer == 0 {
		c.SocketSendBuffer = 64 << 10
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 5 * time.Second
	}
	if c.ReadBufferSize == 0 {
		c.ReadBufferSize = 1024
	}
	if c.WriteWorkers == 0 {
		c.WriteWorkers = runtime.GOMAXPROCS(0)
	}
	if c.HandshakeHeaders == nil {
		c.HandshakeHeaders = []string{"Origin", "User-Agent", "Cookie", "Authorization", "X-Forwarded-For", "X-Real-Ip"}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports the first invalid field (after defaults are applied).
func (c Config) Validate() error {
	switch {
	case c.Path == "" || c.Path[0] != '/':
		return fmt.Errorf("engineio: Path %q must start with /", c.Path)
	case c.PingInterval < 0:
		return fmt.Errorf("engineio: PingInterval %v must be > 0", c.PingInterval)
	case c.PingTimeout < 0:
		return fmt.Errorf("engineio: PingTimeout %v must be > 0", c.PingTimeout)
	case c.MaxPayload < 0 || c.MaxPayload > 1<<30:
		return fmt.Errorf("engineio: MaxPayload %d must be in (0, 1 GiB]", c.MaxPayload)
	case c.MaxPollPackets < 0:
		return fmt.Errorf("engineio: MaxPollPackets %d must be > 0", c.MaxPollPackets)
	case c.PollDrainWait < 0:
		return fmt.Errorf("engineio: PollDrainWait %v must be > 0", c.PollDrainWait)
	case c.UpgradeTimeout < 0:
		return fmt.Errorf("engineio: UpgradeTimeout %v must be > 0", c.UpgradeTimeout)
	case len(c.Transports) == 0:
		return fmt.Errorf("engineio: Transports must not be empty")
	case c.SendQueueFrames < 0:
		return fmt.Errorf("engineio: SendQueueFrames %d must be > 0", c.SendQueueFrames)
	case c.SendQueueBytes < 0:
		return fmt.Errorf("engineio: SendQueueBytes %d must be > 0", c.SendQueueBytes)
	case c.MaxSessions < 0:
		return fmt.Errorf("engineio: MaxSessions %d must be >= 0", c.MaxSessions)
	case c.MaxSessionsPerClient < 0:
		return fmt.Errorf("engineio: MaxSessionsPerClient %d must be >= 0", c.MaxSessionsPerClient)
	case c.HandshakeRate < 0 || c.HandshakeBurst < 0:
		return fmt.Errorf("engineio: HandshakeRate %v and HandshakeBurst %d must be >= 0", c.HandshakeRate, c.HandshakeBurst)
	case c.PostTimeout < 0:
		return fmt.Errorf("engineio: PostTimeout %v must be > 0", c.PostTimeout)
	case c.WriteTimeout < 0:
		return fmt.Errorf("engineio: WriteTimeout %v must be > 0", c.WriteTimeout)
	case c.ReadBufferSize < 0:
		return fmt.Errorf("engineio: ReadBufferSize %d must be > 0", c.ReadBufferSize)
	case c.WriteWorkers < 0:
		return fmt.Errorf("engineio: WriteWorkers %d must be > 0", c.WriteWorkers)
	}
	for _, t := range c.Transports {
		if t != TransportPolling && t != TransportWebSocket {
			return fmt.Errorf("engineio: Transports: unknown transport %q", t)
		}
	}
	return nil
}

func (c *Config) allows(transport string) bool { return slices.Contains(c.Transports, transport) }
