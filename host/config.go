package host

import (
	"cmp"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/roomcast/roomcast/cluster"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/transport/engineio"
)

// Defaults of Config.
const (
	DefaultAddr         = "127.0.0.1:2567"
	DefaultPingInterval = 25 * time.Second
	DefaultPingTimeout  = 20 * time.Second
	DefaultMaxPayload   = 1_000_000
	DefaultDrainGrace   = 10 * time.Second
	DefaultLogFormat    = LogText

	// Limits for a public server (see Config). A browser holds one
	// WebSocket per player (polling: up to three connections for a
	// moment) plus a few for the page, so 256 connections and 128
	// sessions per address leave room for dozens of players behind one
	// NAT (a school, an office, a carrier-grade NAT), while one host
	// cannot take more than a sliver of the file descriptors. 20
	// handshakes per second with bursts of 40 let a whole NAT reconnect
	// after a restart and stop a loop that opens sessions.
	DefaultIdleTimeout      = 30 * time.Second
	DefaultPostTimeout      = 10 * time.Second
	DefaultMaxConnsPerIP    = 256
	DefaultMaxSessionsPerIP = 128
	DefaultHandshakeRate    = 20.0
	DefaultHandshakeBurst   = 40
	DefaultMaxPollPackets   = 16
	DefaultPollDrainWait    = 2 * time.Second

	// DefaultMaxRoomsPerCPU: BenchmarkLiveRooms (BENCHMARKS.md) ticked
	// 2000 rooms of 8 moving players on time on 2 cores (p50 lateness
	// 0.8 ms, no skipped tick) and 4000 not (p50 102 ms, 17 000 skipped
	// ticks a second), with rooms' own work only; the transport needs
	// the rest.
	DefaultMaxRoomsPerCPU = 1000

	// DefaultGCPercent is the garbage collector's target that Main and
	// Execute set when neither --gc-percent nor GOGC is given: the heap
	// may grow to 1.5× the live heap between collections instead of Go's
	// 2×. The steady-state paths allocate little (a state frame nothing),
	// so collections are cheap; measured in BENCHMARKS.md ("Memory
	// default").
	DefaultGCPercent = 50
)

// Log formats (Config.LogFormat).
const (
	LogText = "text"
	LogJSON = "json"
)

// Config configures a Server. Every field works at its zero value. Only
// what every game needs is here; a game's own options are its own flags
// (see the Flags option).
type Config struct {
	// Addr is the listen address host:port; port 0 picks a free one.
	// Default DefaultAddr (127.0.0.1:2567).
	Addr string
	// PingInterval and PingTimeout of Engine.IO. Defaults 25 s and 20 s.
	PingInterval, PingTimeout time.Duration
	// MaxPayload bounds one message (and a polling request body) in bytes.
	// Default 1 000 000.
	MaxPayload int64
	// Transports allowed: "polling" and/or "websocket". Default both.
	Transports []string
	// MaxSessions bounds the open Engine.IO sessions; further handshakes
	// get 503. Default 0: unlimited.
	MaxSessions int
	// MaxConnsPerIP bounds the TCP connections open from one IP address
	// (the peer's; trusted proxies are not counted; IPv6 addresses count
	// by their /64, as all the per-IP limits do); one more is answered
	// 429 {"code":3,"message":"Too many connections from this address"}
	// and closed. 0 takes DefaultMaxConnsPerIP (256); negative: no bound.
	MaxConnsPerIP int
	// MaxSessionsPerIP bounds the open Engine.IO sessions of one client
	// address (see TrustedProxies); further handshakes get 429. 0 takes
	// DefaultMaxSessionsPerIP (128); negative: no bound.
	MaxSessionsPerIP int
	// HandshakeRate and HandshakeBurst bound the Engine.IO handshakes of
	// one client address: HandshakeRate per second on average, bursts of
	// up to HandshakeBurst (a token bucket); one over gets 429. 0 takes
	// the defaults (20/s, 40); a negative HandshakeRate: no bound.
	HandshakeRate  float64
	HandshakeBurst int
	// TrustedProxies lists the reverse proxies (IP addresses or CIDR
	// prefixes like 10.0.0.0/8) whose X-Forwarded-For names the client:
	// for requests from them, the per-IP limits apply to the nearest
	// X-Forwarded-For address that is not a trusted proxy, and their own
	// connections are not counted by MaxConnsPerIP. Default none: the
	// TCP peer's address is the client, whatever the headers say.
	TrustedProxies []string
	// LimitLoopback applies the per-IP limits (MaxConnsPerIP,
	// MaxSessionsPerIP, HandshakeRate, IPCreateRate) to loopback clients
	// too. Off by default: on 127.0.0.1/::1 are a bot swarm or a load
	// test on this machine, or a reverse proxy not listed in
	// TrustedProxies, which would put every player behind it in one
	// bucket.
	LimitLoopback bool
	// IdleTimeout closes a keep-alive connection that waits this long for
	// its next request. Behind a reverse proxy keep it above the proxy's
	// upstream keep-alive. 0 takes DefaultIdleTimeout (30 s).
	IdleTimeout time.Duration
	// PostTimeout bounds the upload of one long-polling POST body; a
	// slower client is disconnected. 0 takes DefaultPostTimeout (10 s).
	PostTimeout time.Duration
	// MaxPollPackets bounds the packets of one long-polling response
	// (engineio.Config.MaxPollPackets). 0 takes 16.
	MaxPollPackets int
	// PollDrainWait bounds how long a polling session closed with packets
	// queued waits for the client's next GET (engineio.Config.PollDrainWait).
	// 0 takes 2 s.
	PollDrainWait time.Duration
	// ParkIdlePolls makes waiting long-polling GETs hold no goroutine or
	// buffers (engineio.Config.ParkIdlePolls). Default false.
	ParkIdlePolls bool
	// InlineWrites lets a room's tick write a frame to an idle WebSocket
	// session itself (one non-blocking syscall) instead of handing it to
	// engineio's shared writers (engineio.Config.DisableInlineWrites is
	// its negation). It saves a few % of CPU per frame but puts the
	// syscalls on the room goroutines: in the arena sweep at 2000 CCU on
	// 2 cores it raised tick lateness p99 from ≤ 25.6 to ≤ 102 ms and ack
	// p99 from 119 to 524 ms (BENCHMARKS.md). Default false.
	InlineWrites bool
	// GCPercent is the garbage collector's target (runtime/debug's
	// SetGCPercent, as GOGC), set by Main and Execute (New leaves the
	// process's settings alone). 0: GOGC if it is set in the environment,
	// else DefaultGCPercent (50).
	GCPercent int
	// MemoryLimit is the runtime's soft memory limit in bytes
	// (runtime/debug's SetMemoryLimit, as GOMEMLIMIT), set by Main and
	// Execute: near it the collector runs more often. 0: GOMEMLIMIT if it
	// is set, else none. Set it a little below the container's limit.
	MemoryLimit int64
	// AllowedOrigins lists the browser Origins (like
	// "https://game.example") allowed besides the server's own: a page
	// served by this server (Origin host:port = the request's Host) is
	// always allowed, and so is a request without Origin (not a browser).
	// Other Origins, "null" included, get 403. Default empty: same origin
	// only.
	AllowedOrigins []string
	// DevAnyOrigin allows every Origin, without credentials (CORS "*"):
	// for a page served by a development server on another port. Not for
	// a public server: any site's page could then open sessions in its
	// visitors' browsers. Default false.
	DevAnyOrigin bool
	// LogFormat is LogText (default) or LogJSON; LogLevel defaults to info.
	LogFormat string
	LogLevel  slog.Level
	// Logger, if set, is used as is (LogFormat and LogLevel are then
	// ignored). Default: a slog handler of LogFormat on stderr.
	Logger *slog.Logger
	// Pprof serves net/http/pprof under /debug/pprof/. Default off.
	Pprof bool
	// DrainGrace bounds the drain after the Run context is cancelled:
	// rooms tell their clients, sessions close, Run returns. Default 10 s.
	DrainGrace time.Duration
	// DrainWait is the part of the drain during which rooms play on
	// (matchmaking already refuses new seats) before their clients are
	// told room.left; it ends early when no room is left. Default 0: tell
	// them at once. Must be less than DrainGrace.
	DrainWait time.Duration
	// MaxRooms bounds the live rooms of the process; creating more fails
	// with code create_failed. Default 0: DefaultMaxRoomsPerCPU per CPU
	// (GOMAXPROCS).
	MaxRooms int
	// CreateRate, IPCreateRate and ListRate bound room creation per
	// connection and per remote address, and rooms.list per connection
	// (rooms.Config's fields of the same names; zero values take their
	// defaults, a negative PerSecond means no limit).
	CreateRate, IPCreateRate, ListRate rooms.Rate
	// ReconnectGrace, when not zero, overrides the ReconnectGrace of every
	// room type defined with Server.Define: how long a dropped player's
	// seat is held; negative holds none. Default 0: each room type's own.
	ReconnectGrace time.Duration
	// Redis, when set (redis://host:port/db), makes this server one node
	// of several that act as one (package cluster): joins reserve their
	// seats in Redis and are redirected to the node holding the room,
	// lists and lobbies show every node's rooms. Default "": one process.
	Redis string
	// PublicURL is this node's base URL as clients reach it (with Redis):
	// redirects name it. Default "http://" + the listen address.
	PublicURL string
	// NodeID names this node (with Redis). Default 8 random characters.
	NodeID string
	// RedisPrefix starts every Redis key and channel. Default "roomcast".
	RedisPrefix string
	// ClusterBeat, ClusterTTL and ClaimTTL override the cluster's
	// heartbeat period (1 s), heartbeat TTL (5 s) and claim time (10 s).
	ClusterBeat, ClusterTTL, ClaimTTL time.Duration
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.PingInterval == 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.PingTimeout == 0 {
		c.PingTimeout = DefaultPingTimeout
	}
	if c.MaxPayload == 0 {
		c.MaxPayload = DefaultMaxPayload
	}
	if c.LogFormat == "" {
		c.LogFormat = DefaultLogFormat
	}
	if c.DrainGrace == 0 {
		c.DrainGrace = DefaultDrainGrace
	}
	if c.MaxConnsPerIP == 0 {
		c.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if c.MaxSessionsPerIP == 0 {
		c.MaxSessionsPerIP = DefaultMaxSessionsPerIP
	}
	if c.HandshakeRate == 0 {
		c.HandshakeRate = DefaultHandshakeRate
	}
	if c.HandshakeBurst == 0 {
		c.HandshakeBurst = DefaultHandshakeBurst
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.PostTimeout == 0 {
		c.PostTimeout = DefaultPostTimeout
	}
	if c.MaxPollPackets == 0 {
		c.MaxPollPackets = DefaultMaxPollPackets
	}
	if c.PollDrainWait == 0 {
		c.PollDrainWait = DefaultPollDrainWait
	}
	if c.MaxRooms == 0 {
		c.MaxRooms = DefaultMaxRoomsPerCPU * runtime.GOMAXPROCS(0)
	}
	return c
}

// Validate reports the first invalid field (after defaults), naming the
// flag that sets it.
func (c Config) Validate() error {
	c = c.withDefaults()
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		return fmt.Errorf("host: --addr %q: want host:port, e.g. 127.0.0.1:2567", c.Addr)
	}
	switch {
	case c.GCPercent < 0:
		return fmt.Errorf("host: --gc-percent %d: must be positive", c.GCPercent)
	case c.MemoryLimit < 0:
		return fmt.Errorf("host: --memory-limit %d: must be positive", c.MemoryLimit)
	case c.PingInterval < 0:
		return fmt.Errorf("host: --ping-interval %v: must be positive", c.PingInterval)
	case c.PingTimeout < 0:
		return fmt.Errorf("host: --ping-timeout %v: must be positive", c.PingTimeout)
	case c.MaxPayload < 0:
		return fmt.Errorf("host: --max-payload %d: must be positive", c.MaxPayload)
	case c.LogFormat != LogText && c.LogFormat != LogJSON:
		return fmt.Errorf("host: --log-format %q: want %q or %q", c.LogFormat, LogText, LogJSON)
	case c.DrainGrace < 0:
		return fmt.Errorf("host: --drain-grace %v: must be positive", c.DrainGrace)
	case c.DrainWait < 0 || c.DrainWait >= c.DrainGrace:
		return fmt.Errorf("host: --drain-wait %v: want 0 up to less than --drain-grace %v", c.DrainWait, c.DrainGrace)
	case c.MaxSessions < 0:
		return fmt.Errorf("host: --max-sessions %d: must not be negative", c.MaxSessions)
	case c.MaxRooms < 0:
		return fmt.Errorf("host: --max-rooms %d: must not be negative", c.MaxRooms)
	case c.HandshakeBurst < 0:
		return fmt.Errorf("host: --handshake-burst %d: must not be negative", c.HandshakeBurst)
	case c.IdleTimeout < 0:
		return fmt.Errorf("host: --idle-timeout %v: must be positive", c.IdleTimeout)
	case c.PostTimeout < 0:
		return fmt.Errorf("host: --post-timeout %v: must be positive", c.PostTimeout)
	case c.MaxPollPackets < 0:
		return fmt.Errorf("host: --max-poll-packets %d: must be positive", c.MaxPollPackets)
	case c.PollDrainWait < 0:
		return fmt.Errorf("host: --poll-drain-wait %v: must be positive", c.PollDrainWait)
	}
	if _, err := parseTrustedProxies(c.TrustedProxies); err != nil {
		return err
	}
	if err := c.validateCluster(); err != nil {
		return err
	}
	for _, tr := range c.Transports {
		if tr != engineio.TransportPolling && tr != engineio.TransportWebSocket {
			return fmt.Errorf("host: --transports: %q is not %q or %q", tr, engineio.TransportPolling, engineio.TransportWebSocket)
		}
	}
	for _, origin := range c.AllowedOrigins {
		if origin == engineio.AnyOrigin {
			return fmt.Errorf("host: --origins: %q: to allow any origin while developing, use --dev-any-origin", origin)
		}
		u, err := url.Parse(origin)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("host: --origins: %q is not an origin like http://host:port", origin)
		}
	}
	return nil
}

// Origins returns the engineio.Config.AllowedOrigins of the
// configuration: AllowedOrigins, or engineio.AnyOrigin alone under
// DevAnyOrigin. Give it to any other Engine.IO server the game serves.
func (c Config) Origins() []string {
	if c.DevAnyOrigin {
		return []string{engineio.AnyOrigin}
	}
	return slices.Clone(c.AllowedOrigins)
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// validateCluster checks the flags of several nodes.
func (c Config) validateCluster() error {
	if c.Redis == "" {
		for flag, v := range map[string]string{"--public-url": c.PublicURL, "--node-id": c.NodeID, "--redis-prefix": c.RedisPrefix} {
			if v != "" {
				return fmt.Errorf("host: %s needs --redis", flag)
			}
		}
		return nil
	}
	if _, err := redis.ParseURL(c.Redis); err != nil {
		return fmt.Errorf("host: --redis %q: want redis://host:port/db: %w", c.Redis, err)
	}
	if c.NodeID != "" && !cluster.ValidNodeID(c.NodeID) {
		return fmt.Errorf("host: --node-id %q: use 1..32 letters, digits, '-' or '_'", c.NodeID)
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.HasSuffix(u.Path, "/") ||
			u.RawQuery != "" || u.Fragment != "" || strings.Contains(u.Path, "/socket.io") {
			return fmt.Errorf("host: --public-url %q: want http(s)://host:port or a path prefix without a trailing slash (no /socket.io/)", c.PublicURL)
		}
	}
	if c.ClusterBeat < 0 || c.ClusterTTL < 0 || c.ClaimTTL < 0 {
		return fmt.Errorf("host: negative cluster beat, TTL or claim TTL")
	}
	beat, ttl := cmp.Or(c.ClusterBeat, cluster.DefaultBeat), cmp.Or(c.ClusterTTL, cluster.DefaultTTL)
	if ttl < 2*beat {
		return fmt.Errorf("host: --cluster-ttl %v: must be at least two beats (--cluster-beat %v)", ttl, beat)
	}
	return nil
}
