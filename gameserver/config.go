package gameserver

import (
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"time"

	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/tick"
	"github.com/roomcast/roomcast/transport/engineio"
)

// Defaults of Config.
const (
	DefaultAddr         = "127.0.0.1:2567"
	DefaultPingInterval = 25 * time.Second
	DefaultPingTimeout  = 20 * time.Second
	DefaultMaxPayload   = 1_000_000
	DefaultDrainGrace   = 10 * time.Second
	DefaultLogFormat    = "text"
)

// What the server serves (Config.Demo).
const (
	DemoArena   = "arena"   // the arena game (default)
	DemoSioecho = "sioecho" // the transport demo of examples/sioecho (interop tests)
)

// Log formats.
const (
	LogText = "text"
	LogJSON = "json"
)

// Config configures a Server. Every field works at its zero value.
type Config struct {
	// Addr is the listen address host:port; port 0 picks a free one.
	// Default DefaultAddr (127.0.0.1:2567).
	Addr string
	// Demo is what to serve: DemoArena (default) or DemoSioecho.
	Demo string
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
	// TickRate overrides the arena's 20 Hz when not zero.
	TickRate int
	// ArenaMode is the mode of arena rooms whose creator does not choose:
	// arena.ModePlay (default) or arena.ModeBench.
	ArenaMode string
	// Quantized makes arena rooms use quantized positions unless their
	// creator chooses.
	Quantized bool
	// Packed makes arena rooms pack quantized x and y into one field "pos"
	// (statesync.Fixed2) unless their creator chooses.
	Packed bool
	// MaxRooms bounds the rooms of the process; 0 means no bound.
	MaxRooms int
	// ReconnectGrace is how long a dropped arena player's seat is held.
	// Default rooms.DefaultReconnectGrace (20 s); negative: no grace.
	ReconnectGrace time.Duration
	// Web is the page served at "/" (index.html and its assets). Nil
	// serves a short text placeholder.
	Web fs.FS
	// Logger, if set, is used as is (LogFormat and LogLevel are then
	// ignored). Default: a slog handler of LogFormat on Main's stderr (or
	// os.Stderr).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.Demo == "" {
		c.Demo = DemoArena
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
	if c.ArenaMode == "" {
		c.ArenaMode = arena.ModePlay
	}
	return c
}

// Validate reports the first invalid field (after defaults), naming the
// flag that sets it.
func (c Config) Validate() error {
	c = c.withDefaults()
	if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		return fmt.Errorf("gameserver: --addr %q: want host:port, e.g. 127.0.0.1:2567", c.Addr)
	}
	switch {
	case c.Demo != DemoArena && c.Demo != DemoSioecho:
		return fmt.Errorf("gameserver: --demo %q: want %q or %q", c.Demo, DemoArena, DemoSioecho)
	case c.PingInterval < 0:
		return fmt.Errorf("gameserver: --ping-interval %v: must be positive", c.PingInterval)
	case c.PingTimeout < 0:
		return fmt.Errorf("gameserver: --ping-timeout %v: must be positive", c.PingTimeout)
	case c.MaxPayload < 0:
		return fmt.Errorf("gameserver: --max-payload %d: must be positive", c.MaxPayload)
	case c.LogFormat != LogText && c.LogFormat != LogJSON:
		return fmt.Errorf("gameserver: --log-format %q: want %q or %q", c.LogFormat, LogText, LogJSON)
	case c.DrainGrace < 0:
		return fmt.Errorf("gameserver: --drain-grace %v: must be positive", c.DrainGrace)
	case c.DrainWait < 0 || c.DrainWait >= c.DrainGrace:
		return fmt.Errorf("gameserver: --drain-wait %v: want 0 up to less than --drain-grace %v", c.DrainWait, c.DrainGrace)
	case c.TickRate != 0 && (c.TickRate < tick.MinRate || c.TickRate > tick.MaxRate):
		return fmt.Errorf("gameserver: --tick-rate %d: want %d..%d", c.TickRate, tick.MinRate, tick.MaxRate)
	case c.ArenaMode != arena.ModePlay && c.ArenaMode != arena.ModeBench:
		return fmt.Errorf("gameserver: --arena-mode %q: want %q or %q", c.ArenaMode, arena.ModePlay, arena.ModeBench)
	case c.MaxSessions < 0:
		return fmt.Errorf("gameserver: --max-sessions %d: must not be negative", c.MaxSessions)
	case c.MaxRooms < 0:
		return fmt.Errorf("gameserver: --max-rooms %d: must not be negative", c.MaxRooms)
	}
	for _, tr := range c.Transports {
		if tr != engineio.TransportPolling && tr != engineio.TransportWebSocket {
			return fmt.Errorf("gameserver: --transports: %q is not %q or %q", tr, engineio.TransportPolling, engineio.TransportWebSocket)
		}
	}
	for _, origin := range c.AllowedOrigins {
		u, err := url.Parse(origin)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("gameserver: --origins: %q is not an origin like http://host:port", origin)
		}
	}
	return nil
}
