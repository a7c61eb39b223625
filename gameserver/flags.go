package gameserver

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/examples/sioecho"
	"github.com/roomcast/roomcast/rooms"
)

// EnvPrefix prefixes the environment variable of every flag: --drain-grace
// is ROOMCAST_DRAIN_GRACE. A flag given on the command line wins.
const EnvPrefix = "ROOMCAST_"

// EnvName returns the environment variable of flag name.
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// ParseFlags reads a Config from command-line args and, for flags not
// given, from the environment (getenv, e.g. os.Getenv). Usage and flag
// errors go to stderr. The result is validated.
func ParseFlags(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("gameserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var origins, logLevel, transports string
	fs.StringVar(&c.Addr, "addr", DefaultAddr, "listen address host:port (port 0 picks a free one)")
	fs.StringVar(&c.Demo, "demo", DemoArena, `what to serve: "arena" (the game) or "sioecho" (the transport demo)`)
	fs.DurationVar(&c.PingInterval, "ping-interval", DefaultPingInterval, "Engine.IO ping interval")
	fs.DurationVar(&c.PingTimeout, "ping-timeout", DefaultPingTimeout, "Engine.IO ping timeout")
	fs.Int64Var(&c.MaxPayload, "max-payload", DefaultMaxPayload, "largest message or polling body in bytes")
	fs.StringVar(&origins, "origins", "", "comma-separated allowed Origins (e.g. http://localhost:3000); empty allows any")
	fs.StringVar(&transports, "transports", "polling,websocket", "comma-separated Engine.IO transports to allow")
	fs.BoolVar(&c.ParkIdlePolls, "park-idle-polls", false, "waiting long-polling requests hold no goroutine or buffers")
	fs.BoolVar(&c.InlineWrites, "inline-writes", false, "room ticks write to idle WebSocket sessions themselves (less CPU per frame, later ticks under load)")
	fs.IntVar(&c.MaxSessions, "max-sessions", 0, "most open Engine.IO sessions; more get 503 (0: no bound)")
	fs.StringVar(&c.LogFormat, "log-format", DefaultLogFormat, `log format: "text" or "json"`)
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&c.Pprof, "pprof", false, "serve net/http/pprof under /debug/pprof/")
	fs.DurationVar(&c.DrainGrace, "drain-grace", DefaultDrainGrace, "how long SIGTERM/SIGINT waits for rooms and sessions to close")
	fs.DurationVar(&c.DrainGrace, "shutdown-grace", DefaultDrainGrace, "same as --drain-grace")
	fs.DurationVar(&c.DrainWait, "drain-wait", 0, "part of the drain during which rooms play on (no new seats) before clients are told; ends early when no room is left")
	fs.IntVar(&c.TickRate, "tick-rate", 0, "arena tick rate in Hz (0: the arena's 20)")
	fs.StringVar(&c.ArenaMode, "arena-mode", arena.ModePlay, `default arena room mode: "play" (pickups, collisions) or "bench" (movement only, the benchmark workload)`)
	fs.BoolVar(&c.Quantized, "quantized", false, "arena positions quantized to 1/32 (statesync.Fixed) unless a room's creator chooses")
	fs.BoolVar(&c.Packed, "packed", false, `arena positions quantized and packed into one field "pos" (statesync.Fixed2) unless a room's creator chooses`)
	fs.IntVar(&c.MaxRooms, "max-rooms", 0, "most rooms in this process (0: no bound)")
	fs.DurationVar(&c.ReconnectGrace, "reconnect-grace", rooms.DefaultReconnectGrace, "how long a dropped player's seat is held for rooms.resume")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("gameserver: unexpected argument %q", fs.Arg(0))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || envErr != nil || f.Name == "shutdown-grace" && given["drain-grace"] {
			return
		}
		v := getenv(EnvName(f.Name))
		if v == "" {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			envErr = fmt.Errorf("gameserver: %s=%q: %w", EnvName(f.Name), v, err)
		}
	})
	if envErr != nil {
		return c, envErr
	}
	if c.Demo == DemoSioecho {
		// The transport demo's own heartbeat unless a flag or env var
		// (both mark the flag as set) chose one.
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["ping-interval"] {
			c.PingInterval = sioecho.DemoPingInterval
		}
		if !set["ping-timeout"] {
			c.PingTimeout = sioecho.DemoPingTimeout
		}
	}
	if err := c.LogLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return c, fmt.Errorf("gameserver: --log-level %q: want debug, info, warn or error", logLevel)
	}
	for _, origin := range strings.Split(origins, ",") {
		if origin = strings.TrimSpace(origin); origin != "" {
			c.AllowedOrigins = append(c.AllowedOrigins, origin)
		}
	}
	for _, tr := range strings.Split(transports, ",") {
		if tr = strings.TrimSpace(tr); tr != "" {
			c.Transports = append(c.Transports, tr)
		}
	}
	if len(c.Transports) == 0 {
		return c, fmt.Errorf("gameserver: --transports %q: want polling and/or websocket", transports)
	}
	switch {
	case c.PingInterval <= 0:
		return c, fmt.Errorf("gameserver: --ping-interval %v: must be positive", c.PingInterval)
	case c.PingTimeout <= 0:
		return c, fmt.Errorf("gameserver: --ping-timeout %v: must be positive", c.PingTimeout)
	case c.MaxPayload <= 0:
		return c, fmt.Errorf("gameserver: --max-payload %d: must be positive", c.MaxPayload)
	case c.DrainGrace <= 0:
		return c, fmt.Errorf("gameserver: --drain-grace %v: must be positive", c.DrainGrace)
	case c.ReconnectGrace <= 0:
		return c, fmt.Errorf("gameserver: --reconnect-grace %v: must be positive", c.ReconnectGrace)
	}
	return c, c.Validate()
}

// Main is the whole gameserver command: flags and environment, logger,
// New, Run until ctx is cancelled (main cancels it on SIGTERM/SIGINT). web
// is the page to serve at "/" (nil: a placeholder). It returns the exit
// code: 0 after a clean drain (or -h), 2 for bad flags, 1 otherwise.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, web fs.FS) int {
	cfg, err := ParseFlags(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	cfg.Web = web
	cfg.Logger = newLogger(cfg, stderr)
	srv, err := New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if err := srv.Run(ctx, stdout); err != nil {
		cfg.Logger.Error("exit", "err", err)
		return 1
	}
	return 0
}
