package host

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/roomcast/roomcast/cluster"
)

// EnvPrefix prefixes the environment variable of every flag: --drain-grace
// is ROOMCAST_DRAIN_GRACE. A flag given on the command line wins.
const EnvPrefix = "ROOMCAST_"

// EnvName returns the environment variable of flag name, e.g.
// ROOMCAST_ARENA_MODE for "arena-mode".
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// An Option changes what Main, Execute and ParseFlags do.
type Option func(*options)

type options struct {
	name        string
	description string
	flags       []func(*flag.FlagSet)
	prepare     []func(*Config, func(string) bool) error
}

func collect(opts []Option) options {
	o := options{name: "server"}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Name is the program's name in --help and error messages. Main's default
// is the base name of os.Args[0], Execute's "server".
func Name(name string) Option { return func(o *options) { o.name = name } }

// Description is the line --help starts with: what the program does.
func Description(text string) Option { return func(o *options) { o.description = text } }

// Flags lets the program add its own flags to the command line (before
// it is parsed): register binds them to fs, e.g. fs.IntVar(&n, "bots", 8,
// "..."). Each gets a ROOMCAST_* environment variable like the server's
// own (see EnvName) and its place in --help. Their values are set once
// Main's setup function runs. A flag.Value whose Set rejects a value makes
// the command exit 2 with an error naming the flag (or variable).
func Flags(register func(fs *flag.FlagSet)) Option {
	return func(o *options) { o.flags = append(o.flags, register) }
}

// Prepare lets the program change the Config parsed from the command line
// and environment before the server is built, e.g. defaults that depend
// on its own flags. given reports whether a flag (by name) was set on the
// command line or by its environment variable. An error makes the command
// exit 2.
func Prepare(fn func(cfg *Config, given func(flag string) bool) error) Option {
	return func(o *options) { o.prepare = append(o.prepare, fn) }
}

// ParseFlags reads a Config from command-line args and, for flags not
// given, from the environment (getenv, e.g. os.Getenv; nil reads none),
// with the flags of opts (see Flags) beside the server's. -h or --help
// writes the help to help and returns flag.ErrHelp. Errors name the flag
// or variable (as "host: --flag ..."); the result is validated.
func ParseFlags(args []string, getenv func(string) string, help io.Writer, opts ...Option) (Config, error) {
	o := collect(opts)
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var c Config
	fs := flag.NewFlagSet(o.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, --help written below
	fs.Usage = func() {}
	var origins, logLevel, transports, trustedProxies string
	fs.StringVar(&c.Addr, "addr", DefaultAddr, "listen address host:port (port 0 picks a free one)")
	fs.DurationVar(&c.PingInterval, "ping-interval", DefaultPingInterval, "Engine.IO ping interval")
	fs.DurationVar(&c.PingTimeout, "ping-timeout", DefaultPingTimeout, "Engine.IO ping timeout")
	fs.Int64Var(&c.MaxPayload, "max-payload", DefaultMaxPayload, "largest message or polling body in bytes")
	fs.StringVar(&origins, "origins", "", "comma-separated browser Origins allowed besides the server's own (e.g. https://game.example)")
	fs.BoolVar(&c.DevAnyOrigin, "dev-any-origin", false, "development only: allow pages of any Origin (CORS *, no credentials)")
	fs.StringVar(&transports, "transports", "polling,websocket", "comma-separated Engine.IO transports to allow")
	fs.BoolVar(&c.ParkIdlePolls, "park-idle-polls", false, "waiting long-polling requests hold no goroutine or buffers")
	fs.BoolVar(&c.InlineWrites, "inline-writes", false, "room ticks write to idle WebSocket sessions themselves (less CPU per frame, later ticks under load)")
	fs.IntVar(&c.MaxSessions, "max-sessions", 0, "most open Engine.IO sessions; more get 503 (0: no bound)")
	fs.IntVar(&c.MaxConnsPerIP, "max-conns-per-ip", DefaultMaxConnsPerIP, "most TCP connections from one IP address; more get 429 (0: no bound)")
	fs.IntVar(&c.MaxSessionsPerIP, "max-sessions-per-ip", DefaultMaxSessionsPerIP, "most open Engine.IO sessions of one client address; more get 429 (0: no bound)")
	fs.Float64Var(&c.HandshakeRate, "handshake-rate", DefaultHandshakeRate, "Engine.IO handshakes per second allowed to one client address, on average (0: no bound)")
	fs.IntVar(&c.HandshakeBurst, "handshake-burst", DefaultHandshakeBurst, "handshakes one client address may open at once (the token bucket's size)")
	fs.StringVar(&trustedProxies, "trusted-proxies", "", "comma-separated IPs or CIDR prefixes of reverse proxies whose X-Forwarded-For names the client (default none: the TCP peer is the client)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", DefaultIdleTimeout, "close a keep-alive connection idle this long (behind a proxy: above its upstream keep-alive)")
	fs.DurationVar(&c.PostTimeout, "post-timeout", DefaultPostTimeout, "most time to upload one long-polling POST body")
	fs.IntVar(&c.MaxPollPackets, "max-poll-packets", DefaultMaxPollPackets, "most packets in one long-polling response")
	fs.DurationVar(&c.PollDrainWait, "poll-drain-wait", DefaultPollDrainWait, "how long a closed polling session with packets queued waits for the client's next GET")
	fs.StringVar(&c.LogFormat, "log-format", DefaultLogFormat, `log format: "text" or "json"`)
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	fs.BoolVar(&c.Pprof, "pprof", false, "serve net/http/pprof under /debug/pprof/")
	fs.DurationVar(&c.DrainGrace, "drain-grace", DefaultDrainGrace, "how long SIGTERM/SIGINT waits for rooms and sessions to close")
	fs.DurationVar(&c.DrainGrace, "shutdown-grace", DefaultDrainGrace, "same as --drain-grace")
	fs.DurationVar(&c.DrainWait, "drain-wait", 0, "part of the drain during which rooms play on (no new seats) before clients are told; ends early when no room is left")
	fs.IntVar(&c.MaxRooms, "max-rooms", 0, fmt.Sprintf("most live rooms in this process (0: %d per CPU)", DefaultMaxRoomsPerCPU))
	fs.Var(rateFlag{&c.CreateRate}, "create-rate", `rooms one connection may create: RATE/BURST, e.g. 0.5/3, or "off" (default 0.5/3)`)
	fs.Var(rateFlag{&c.IPCreateRate}, "create-rate-per-ip", `rooms one client address may create (the address of the other per-IP limits; loopback only with --limit-loopback): RATE/BURST or "off" (default 5/20)`)
	fs.Var(rateFlag{&c.ListRate}, "list-rate", `rooms.list and lobby.subscribe requests per connection: RATE/BURST or "off" (default 2/10)`)
	fs.BoolVar(&c.LimitLoopback, "limit-loopback", false, "apply the per-IP limits to loopback clients too (off: local bots and proxies are not limited)")
	fs.IntVar(&c.GCPercent, "gc-percent", 0, fmt.Sprintf("garbage collector target, as GOGC (0: GOGC if set, else %d)", DefaultGCPercent))
	fs.Var(byteSizeFlag{&c.MemoryLimit}, "memory-limit", "soft memory limit, as GOMEMLIMIT: bytes or a number with KiB, MiB or GiB, e.g. 900MiB (0: GOMEMLIMIT if set, else none)")
	fs.DurationVar(&c.ReconnectGrace, "reconnect-grace", 0, "how long a dropped player's seat is held for rooms.resume (0: each room type's own, 20s unless it says; negative: none)")
	fs.StringVar(&c.Redis, "redis", "", "redis://host:port/db of the Redis that makes several nodes one server (default none: one process)")
	fs.StringVar(&c.PublicURL, "public-url", "", "with --redis: this node's base URL as clients reach it, e.g. http://10.0.0.5:2567 (default http:// + the listen address)")
	fs.StringVar(&c.NodeID, "node-id", "", "with --redis: this node's id, 1..32 of A-Z a-z 0-9 - _ (default 8 random characters)")
	fs.StringVar(&c.RedisPrefix, "redis-prefix", "", "with --redis: prefix of every Redis key and channel, to share one Redis between clusters (default roomcast)")
	fs.DurationVar(&c.ClusterBeat, "cluster-beat", cluster.DefaultBeat, "with --redis: how often this node renews its registration (the heartbeat)")
	fs.DurationVar(&c.ClusterTTL, "cluster-ttl", cluster.DefaultTTL, "with --redis: how long a node's registration outlives its last beat (at least 2 beats): a dead node's rooms leave the lists after it")
	fs.DurationVar(&c.ClaimTTL, "claim-ttl", cluster.DefaultClaimTTL, "with --redis: how long a redirected client has to claim its seat on the other node before the seat comes back")
	serverFlags := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { serverFlags[f.Name] = true })
	for _, register := range o.flags {
		register(fs)
	}

	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		writeHelp(help, fs, o, serverFlags)
		return c, err
	}
	if err != nil {
		return c, fmt.Errorf("host: %w", err)
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("host: unexpected argument %q", fs.Arg(0))
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
			envErr = fmt.Errorf("host: %s=%q: %w", EnvName(f.Name), v, err)
		}
	})
	if envErr != nil {
		return c, envErr
	}
	set := map[string]bool{} // given on the command line or by the environment
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if err := c.LogLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return c, fmt.Errorf("host: --log-level %q: want debug, info, warn or error", logLevel)
	}
	c.AllowedOrigins = splitList(origins)
	c.TrustedProxies = splitList(trustedProxies)
	noBound(&c.MaxConnsPerIP)
	noBound(&c.MaxSessionsPerIP)
	if c.HandshakeRate == 0 {
		c.HandshakeRate = -1
	}
	c.Transports = splitList(transports)
	if len(c.Transports) == 0 {
		return c, fmt.Errorf("host: --transports %q: want polling and/or websocket", transports)
	}
	if err := cmp.Or(
		positive("ping-interval", c.PingInterval),
		positive("ping-timeout", c.PingTimeout),
		positive("max-payload", c.MaxPayload),
		positive("drain-grace", c.DrainGrace),
		positive("handshake-burst", c.HandshakeBurst),
		positive("idle-timeout", c.IdleTimeout),
		positive("post-timeout", c.PostTimeout),
		positive("max-poll-packets", c.MaxPollPackets),
		positive("poll-drain-wait", c.PollDrainWait),
	); err != nil {
		return c, err
	}
	for _, fn := range o.prepare {
		if err := fn(&c, func(name string) bool { return set[name] }); err != nil {
			return c, fmt.Errorf("host: %w", err)
		}
	}
	return c, c.Validate()
}

// positive refuses a limit given as zero or less by flag --name.
func positive[T ~int | ~int64](name string, v T) error {
	if v <= 0 {
		return fmt.Errorf("host: --%s %v: must be positive", name, v)
	}
	return nil
}

// noBound turns a flag's "0: no bound" into the Config's negative (whose
// 0 takes the default).
func noBound(n *int) {
	if *n == 0 {
		*n = -1
	}
}

func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// writeHelp writes what the program does, then every flag with its
// environment variable: the server's, then the program's own.
func writeHelp(w io.Writer, fs *flag.FlagSet, o options, serverFlags map[string]bool) {
	if o.description != "" {
		fmt.Fprintf(w, "%s\n\n", o.description)
	}
	fmt.Fprintf(w, "Usage: %s [flags]\n\n", o.name)
	fmt.Fprintf(w, "Every flag can also be set by the environment variable shown beside it;\na flag on the command line wins.\n")
	var own []*flag.Flag
	fmt.Fprintf(w, "\nServer flags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		if serverFlags[f.Name] {
			writeFlag(w, f)
		} else {
			own = append(own, f)
		}
	})
	if len(own) > 0 {
		fmt.Fprintf(w, "\n%s flags:\n", o.name)
		for _, f := range own {
			writeFlag(w, f)
		}
	}
}

func writeFlag(w io.Writer, f *flag.Flag) {
	kind, usage := flag.UnquoteUsage(f)
	if kind == "value" { // a flag.Value of the program's: its values are in usage
		kind = "string"
	}
	head := "--" + f.Name
	if kind != "" {
		head += " " + kind
	}
	fmt.Fprintf(w, "  %-28s %s\n", head, EnvName(f.Name))
	if !isZeroDefault(f) {
		usage += fmt.Sprintf(" (default %s)", f.DefValue)
	}
	fmt.Fprintf(w, "        %s\n", usage)
}

func isZeroDefault(f *flag.Flag) bool {
	switch f.DefValue {
	case "", "0", "false", time.Duration(0).String():
		return true
	}
	return false
}

// byteSizeFlag is a flag.Value of a byte count: a number, optionally with
// the suffix B, KiB, MiB or GiB.
type byteSizeFlag struct{ n *int64 }

func (f byteSizeFlag) String() string {
	if f.n == nil {
		return "0"
	}
	return fmt.Sprint(*f.n)
}

func (f byteSizeFlag) Set(s string) error {
	n, err := parseByteSize(s)
	if err != nil {
		return err
	}
	*f.n = n
	return nil
}

// parseByteSize reads "900MiB", "1GiB", "4096" or "4096B".
func parseByteSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	mult := int64(1)
	num := strings.TrimSpace(s)
	for _, u := range units {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("want a byte count such as 900MiB, got %q", s)
	}
	return n * mult, nil
}
