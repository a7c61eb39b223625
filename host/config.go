package host

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"runtime"
	"time"

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
	// DefaultMaxRoomsPerCPU: BenchmarkLiveRooms (BENCHMARKS.md) ticked
	// 2000 rooms of 8 moving players on time on 2 cores (p50 lateness
	// 0.8 ms, no skipped tick) and 4000 not (p50 102 ms, 17 000 skipped
	// ticks a second), with rooms' own work only; the transport needs
	// the rest.
	DefaultMaxRoomsPerCPU = 1000
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
	// ParkIdlePolls makes waiting long-polling GETs hold no goroutine or
	// buffers (engineio.Config.ParkIdlePolls). Default false.
	ParkIdlePolls bool
	// InlineWrites lets a room's tick write a frame to an idle WebSocket
	// session itself (one non-blocking syscall) instead of handing it to
	// the session's writer goroutine (engineio.Config.DisableInlineWrites
	// is its negation). It saves a few % of CPU per frame but puts the
	// syscalls on the room goroutines: in the arena sweep at 2000 CCU on
	// 2 cores it raised tick lateness p99 from ≤ 25.6 to ≤ 102 ms and ack
	// p99 from 119 to 524 ms (BENCHMARKS.md). Default false.
	InlineWrites bool
	// AllowedOrigins is the Origin allowlist of Socket.IO requests (like
	// "http://localhost:3000"); empty allows any.
	AllowedOrigins []string
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
	}
	for _, tr := range c.Transports {
		if tr != engineio.TransportPolling && tr != engineio.TransportWebSocket {
			return fmt.Errorf("host: --transports: %q is not %q or %q", tr, engineio.TransportPolling, engineio.TransportWebSocket)
		}
	}
	for _, origin := range c.AllowedOrigins {
		u, err := url.Parse(origin)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("host: --origins: %q is not an origin like http://host:port", origin)
		}
	}
	return nil
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
