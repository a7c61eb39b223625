package host

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/rooms"
)

func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// gameFlags is what a game adds to the command line in these tests: a
// plain flag and one whose Set checks the value.
type gameFlags struct {
	motd  string
	level int
}

func (g *gameFlags) option() Option {
	return Flags(func(fs *flag.FlagSet) {
		fs.StringVar(&g.motd, "motd", "hello", "message of the day")
		fs.Func("level", "difficulty 1..3", func(v string) error {
			var n int
			if _, err := fmt.Sscan(v, &n); err != nil || n < 1 || n > 3 {
				return errors.New("want 1..3")
			}
			g.level = n
			return nil
		})
	})
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     func(string) string
		wantErr string
		check   func(t *testing.T, c Config, g gameFlags)
	}{
		{name: "defaults", check: func(t *testing.T, c Config, g gameFlags) {
			require.Equal(t, DefaultAddr, c.Addr)
			require.Equal(t, 25*time.Second, c.PingInterval)
			require.Equal(t, 20*time.Second, c.PingTimeout)
			require.EqualValues(t, 1_000_000, c.MaxPayload)
			require.Equal(t, LogText, c.LogFormat)
			require.Equal(t, slog.LevelInfo, c.LogLevel)
			require.Equal(t, DefaultDrainGrace, c.DrainGrace)
			require.False(t, c.Pprof)
			require.Empty(t, c.AllowedOrigins)
			require.Zero(t, c.ReconnectGrace, "each room type's own")
			require.Equal(t, []string{"polling", "websocket"}, c.Transports)
			require.Zero(t, c.MaxSessions)
			require.False(t, c.InlineWrites)
			require.Equal(t, gameFlags{motd: "hello"}, g)
			require.False(t, c.DevAnyOrigin)
			require.Equal(t, DefaultMaxConnsPerIP, c.MaxConnsPerIP)
			require.Equal(t, DefaultMaxSessionsPerIP, c.MaxSessionsPerIP)
			require.Equal(t, DefaultHandshakeRate, c.HandshakeRate)
			require.Equal(t, DefaultHandshakeBurst, c.HandshakeBurst)
			require.Empty(t, c.TrustedProxies)
			require.Equal(t, DefaultIdleTimeout, c.IdleTimeout)
			require.Equal(t, DefaultPostTimeout, c.PostTimeout)
			require.Equal(t, 16, c.MaxPollPackets)
			require.Equal(t, 2*time.Second, c.PollDrainWait)
		}},
		{name: "public limits", args: []string{"--max-conns-per-ip", "10", "--max-sessions-per-ip", "5", "--handshake-rate", "2.5",
			"--handshake-burst", "4", "--trusted-proxies", "10.0.0.0/8, 127.0.0.1", "--idle-timeout", "5s", "--post-timeout", "3s",
			"--max-poll-packets", "8", "--poll-drain-wait", "500ms", "--dev-any-origin"},
			check: func(t *testing.T, c Config, _ gameFlags) {
				require.Equal(t, 10, c.MaxConnsPerIP)
				require.Equal(t, 5, c.MaxSessionsPerIP)
				require.Equal(t, 2.5, c.HandshakeRate)
				require.Equal(t, 4, c.HandshakeBurst)
				require.Equal(t, []string{"10.0.0.0/8", "127.0.0.1"}, c.TrustedProxies)
				require.Equal(t, 5*time.Second, c.IdleTimeout)
				require.Equal(t, 3*time.Second, c.PostTimeout)
				require.Equal(t, 8, c.MaxPollPackets)
				require.Equal(t, 500*time.Millisecond, c.PollDrainWait)
				require.True(t, c.DevAnyOrigin)
				require.Equal(t, []string{"*"}, c.Origins())
			}},
		{name: "public limits from env", env: envOf("ROOMCAST_MAX_CONNS_PER_IP", "0", "ROOMCAST_MAX_SESSIONS_PER_IP", "0",
			"ROOMCAST_HANDSHAKE_RATE", "0", "ROOMCAST_MAX_POLL_PACKETS", "4", "ROOMCAST_POLL_DRAIN_WAIT", "1s",
			"ROOMCAST_TRUSTED_PROXIES", "::1", "ROOMCAST_DEV_ANY_ORIGIN", "true"),
			check: func(t *testing.T, c Config, _ gameFlags) {
				require.Negative(t, c.MaxConnsPerIP, "0: no bound")
				require.Negative(t, c.MaxSessionsPerIP, "0: no bound")
				require.Negative(t, c.HandshakeRate, "0: no bound")
				require.Equal(t, 4, c.MaxPollPackets)
				require.Equal(t, time.Second, c.PollDrainWait)
				require.Equal(t, []string{"::1"}, c.TrustedProxies)
				require.True(t, c.DevAnyOrigin)
			}},
		{name: "bad trusted proxy", args: []string{"--trusted-proxies", "proxy.local"}, wantErr: `--trusted-proxies: "proxy.local" is not an IP address`},
		{name: "star origin", args: []string{"--origins", "*"}, wantErr: "use --dev-any-origin"},
		{name: "zero post timeout", args: []string{"--post-timeout", "0s"}, wantErr: "--post-timeout 0s"},
		{name: "zero idle timeout", args: []string{"--idle-timeout", "0s"}, wantErr: "--idle-timeout 0s"},
		{name: "zero handshake burst", args: []string{"--handshake-burst", "0"}, wantErr: "--handshake-burst 0"},
		{name: "zero max poll packets", args: []string{"--max-poll-packets", "0"}, wantErr: "--max-poll-packets 0"},
		{name: "zero poll drain wait", args: []string{"--poll-drain-wait", "0s"}, wantErr: "--poll-drain-wait 0s"},
		{name: "memory", args: []string{"--gc-percent", "80", "--memory-limit", "900MiB"}, check: func(t *testing.T, c Config, _ gameFlags) {
			require.Equal(t, 80, c.GCPercent)
			require.EqualValues(t, 900<<20, c.MemoryLimit)
		}},
		{name: "memory from env", env: envOf("ROOMCAST_GC_PERCENT", "30", "ROOMCAST_MEMORY_LIMIT", "2GiB"), check: func(t *testing.T, c Config, _ gameFlags) {
			require.Equal(t, 30, c.GCPercent)
			require.EqualValues(t, 2<<30, c.MemoryLimit)
		}},
		{name: "memory limit in bytes", args: []string{"--memory-limit", "4096"}, check: func(t *testing.T, c Config, _ gameFlags) {
			require.EqualValues(t, 4096, c.MemoryLimit)
			require.Zero(t, c.GCPercent, "default: GOGC or DefaultGCPercent")
		}},
		{name: "bad memory limit", args: []string{"--memory-limit", "lots"}, wantErr: `want a byte count such as 900MiB, got "lots"`},
		{name: "negative memory limit", args: []string{"--memory-limit", "-1MiB"}, wantErr: "want a byte count"},
		{name: "negative gc percent", args: []string{"--gc-percent", "-5"}, wantErr: "--gc-percent -5"},
		{name: "reconnect grace", args: []string{"--reconnect-grace", "1s"}, check: func(t *testing.T, c Config, _ gameFlags) {
			require.Equal(t, time.Second, c.ReconnectGrace)
		}},
		{name: "transports", args: []string{"--transports", "websocket", "--max-sessions", "100"}, check: func(t *testing.T, c Config, _ gameFlags) {
			require.Equal(t, []string{"websocket"}, c.Transports)
			require.Equal(t, 100, c.MaxSessions)
		}},
		{name: "bad transport", args: []string{"--transports", "websocket,carrier-pigeon"}, wantErr: `--transports: "carrier-pigeon"`},
		{name: "no transport", args: []string{"--transports", " , "}, wantErr: `--transports " , "`},
		{name: "negative max sessions", args: []string{"--max-sessions", "-2"}, wantErr: "--max-sessions -2"},
		{name: "drain wait", args: []string{"--drain-wait", "5s"}, check: func(t *testing.T, c Config, _ gameFlags) {
			require.Equal(t, 5*time.Second, c.DrainWait)
		}},
		{name: "drain wait beyond grace", args: []string{"--drain-wait", "10s"}, wantErr: "--drain-wait 10s: want 0 up to less than --drain-grace 10s"},
		{name: "env", env: envOf("ROOMCAST_ADDR", "127.0.0.1:9999", "ROOMCAST_LOG_FORMAT", "json", "ROOMCAST_PPROF", "true",
			"ROOMCAST_DRAIN_GRACE", "3s", "ROOMCAST_PARK_IDLE_POLLS", "true", "ROOMCAST_INLINE_WRITES", "true",
			"ROOMCAST_ORIGINS", "http://a.example", "ROOMCAST_LOG_LEVEL", "debug", "ROOMCAST_MAX_ROOMS", "7",
			"ROOMCAST_RECONNECT_GRACE", "-1s", "ROOMCAST_MOTD", "hi", "ROOMCAST_LEVEL", "2"),
			check: func(t *testing.T, c Config, g gameFlags) {
				require.Equal(t, "127.0.0.1:9999", c.Addr)
				require.Equal(t, LogJSON, c.LogFormat)
				require.True(t, c.Pprof)
				require.Equal(t, 3*time.Second, c.DrainGrace)
				require.True(t, c.ParkIdlePolls)
				require.True(t, c.InlineWrites)
				require.Equal(t, []string{"http://a.example"}, c.AllowedOrigins)
				require.Equal(t, slog.LevelDebug, c.LogLevel)
				require.Equal(t, 7, c.MaxRooms)
				require.Equal(t, -time.Second, c.ReconnectGrace)
				require.Equal(t, gameFlags{motd: "hi", level: 2}, g, "the game's flags read the environment too")
			}},
		{name: "flag beats env", args: []string{"--addr", "127.0.0.1:0", "--drain-grace", "1s", "--motd", "cli"},
			env: envOf("ROOMCAST_ADDR", "127.0.0.1:9999", "ROOMCAST_DRAIN_GRACE", "7s", "ROOMCAST_SHUTDOWN_GRACE", "9s", "ROOMCAST_MOTD", "env"),
			check: func(t *testing.T, c Config, g gameFlags) {
				require.Equal(t, "127.0.0.1:0", c.Addr)
				require.Equal(t, time.Second, c.DrainGrace)
				require.Equal(t, "cli", g.motd)
			}},
		{name: "shutdown-grace alias", args: []string{"--shutdown-grace", "2s"}, check: func(t *testing.T, c Config, _ gameFlags) {
			require.Equal(t, 2*time.Second, c.DrainGrace)
		}},
		{name: "all flags", args: []string{"--ping-interval", "300ms", "--ping-timeout", "200ms", "--max-payload", "1000",
			"--origins", "http://localhost:3000, https://example.com", "--log-level", "warn", "--max-rooms", "10", "--level", "3"},
			check: func(t *testing.T, c Config, g gameFlags) {
				require.Equal(t, 300*time.Millisecond, c.PingInterval)
				require.Equal(t, 200*time.Millisecond, c.PingTimeout)
				require.EqualValues(t, 1000, c.MaxPayload)
				require.Equal(t, []string{"http://localhost:3000", "https://example.com"}, c.AllowedOrigins)
				require.Equal(t, slog.LevelWarn, c.LogLevel)
				require.Equal(t, 10, c.MaxRooms)
				require.Equal(t, 3, g.level)
			}},
		{name: "bad addr", args: []string{"--addr", "localhost"}, wantErr: `--addr "localhost"`},
		{name: "zero ping interval", args: []string{"--ping-interval", "0s"}, wantErr: "--ping-interval 0s"},
		{name: "negative ping timeout", args: []string{"--ping-timeout", "-1s"}, wantErr: "--ping-timeout -1s"},
		{name: "zero max payload", args: []string{"--max-payload", "0"}, wantErr: "--max-payload 0"},
		{name: "zero drain grace", args: []string{"--drain-grace", "0s"}, wantErr: "--drain-grace 0s"},
		{name: "zero handshake burst", args: []string{"--handshake-burst", "0"}, wantErr: "--handshake-burst 0: must be positive"},
		{name: "zero idle timeout", args: []string{"--idle-timeout", "0s"}, wantErr: "--idle-timeout 0s: must be positive"},
		{name: "negative post timeout", args: []string{"--post-timeout", "-2s"}, wantErr: "--post-timeout -2s: must be positive"},
		{name: "zero max poll packets", args: []string{"--max-poll-packets", "0"}, wantErr: "--max-poll-packets 0: must be positive"},
		{name: "zero poll drain wait", args: []string{"--poll-drain-wait", "0s"}, wantErr: "--poll-drain-wait 0s: must be positive"},
		{name: "bad log format", args: []string{"--log-format", "xml"}, wantErr: `--log-format "xml"`},
		{name: "bad log level", args: []string{"--log-level", "loud"}, wantErr: `--log-level "loud"`},
		{name: "negative max rooms", args: []string{"--max-rooms", "-1"}, wantErr: "--max-rooms -1"},
		{name: "rates", args: []string{"--create-rate", "0.25/2", "--create-rate-per-ip", "off", "--list-rate", "4"},
			check: func(t *testing.T, c Config, _ gameFlags) {
				require.Equal(t, rooms.Rate{PerSecond: 0.25, Burst: 2}, c.CreateRate)
				require.Equal(t, rooms.Rate{PerSecond: -1}, c.IPCreateRate)
				require.Equal(t, rooms.Rate{PerSecond: 4, Burst: 4}, c.ListRate)
			}},
		{name: "default rates", args: nil, check: func(t *testing.T, c Config, _ gameFlags) {
			require.Equal(t, rooms.Rate{}, c.CreateRate, "zero: rooms' default")
		}},
		{name: "bad rate", args: []string{"--create-rate", "fast"}, wantErr: "create-rate"},
		{name: "bad burst", args: []string{"--list-rate", "2/0"}, wantErr: "list-rate"},
		{name: "origin with path", args: []string{"--origins", "http://a.b/c"}, wantErr: `"http://a.b/c" is not an origin`},
		{name: "bad env value", env: envOf("ROOMCAST_PING_INTERVAL", "soon"), wantErr: `ROOMCAST_PING_INTERVAL="soon"`},
		{name: "bad game flag", args: []string{"--level", "9"}, wantErr: `invalid value "9" for flag -level: want 1..3`},
		{name: "bad game env", env: envOf("ROOMCAST_LEVEL", "0"), wantErr: `ROOMCAST_LEVEL="0": want 1..3`},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "flag provided but not defined: -nope"},
		{name: "stray argument", args: []string{"serve"}, wantErr: `unexpected argument "serve"`},
		{name: "cluster", args: []string{"--redis", "redis://127.0.0.1:6379/0", "--public-url", "http://10.0.0.5:2567",
			"--node-id", "n1"}, env: envOf("ROOMCAST_REDIS_PREFIX", "game"),
			check: func(t *testing.T, c Config, _ gameFlags) {
				require.Equal(t, "redis://127.0.0.1:6379/0", c.Redis)
				require.Equal(t, "http://10.0.0.5:2567", c.PublicURL)
				require.Equal(t, "n1", c.NodeID)
				require.Equal(t, "game", c.RedisPrefix)
			}},
		{name: "cluster from the environment", env: envOf("ROOMCAST_REDIS", "redis://r:6379/1", "ROOMCAST_NODE_ID", "x_2",
			"ROOMCAST_PUBLIC_URL", "https://game.example/n2"),
			check: func(t *testing.T, c Config, _ gameFlags) {
				require.Equal(t, "redis://r:6379/1", c.Redis)
				require.Equal(t, "x_2", c.NodeID)
				require.Equal(t, "https://game.example/n2", c.PublicURL, "a path prefix per node behind a proxy")
			}},
		{name: "cluster timings", args: []string{"--redis", "redis://r:1/0", "--cluster-beat", "500ms", "--claim-ttl", "3s"},
			env: envOf("ROOMCAST_CLUSTER_TTL", "2s"),
			check: func(t *testing.T, c Config, _ gameFlags) {
				require.Equal(t, 500*time.Millisecond, c.ClusterBeat)
				require.Equal(t, 2*time.Second, c.ClusterTTL)
				require.Equal(t, 3*time.Second, c.ClaimTTL)
			}},
		{name: "cluster timing defaults", args: []string{"--redis", "redis://r:1/0"},
			check: func(t *testing.T, c Config, _ gameFlags) {
				require.Equal(t, time.Second, c.ClusterBeat)
				require.Equal(t, 5*time.Second, c.ClusterTTL)
				require.Equal(t, 10*time.Second, c.ClaimTTL)
			}},
		{name: "cluster ttl under two beats", args: []string{"--redis", "redis://r:1/0", "--cluster-beat", "2s", "--cluster-ttl", "3s"},
			wantErr: "--cluster-ttl 3s: must be at least two beats"},
		{name: "negative claim ttl", args: []string{"--redis", "redis://r:1/0", "--claim-ttl", "-1s"}, wantErr: "negative"},
		{name: "no redis by default", check: func(t *testing.T, c Config, _ gameFlags) { require.Empty(t, c.Redis) }},
		{name: "node id without redis", args: []string{"--node-id", "a"}, wantErr: "--node-id needs --redis"},
		{name: "bad redis url", args: []string{"--redis", "http://x"}, wantErr: `--redis "http://x"`},
		{name: "bad node id", args: []string{"--redis", "redis://r:1/0", "--node-id", "a.b"}, wantErr: `--node-id "a.b"`},
		{name: "public url with socket.io", args: []string{"--redis", "redis://r:1/0", "--public-url", "http://h:1/socket.io"},
			wantErr: "--public-url"},
		{name: "public url with trailing slash", args: []string{"--redis", "redis://r:1/0", "--public-url", "http://h:1/"},
			wantErr: "--public-url"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var g gameFlags
			c, err := ParseFlags(tc.args, tc.env, io.Discard, g.option())
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, c, g)
		})
	}
}

// Prepare sees what was given (flag or environment) and may change the
// Config or refuse it.
func TestPrepare(t *testing.T) {
	t.Parallel()
	var g gameFlags
	var seen map[string]bool
	quick := Prepare(func(c *Config, given func(string) bool) error {
		seen = map[string]bool{}
		for _, name := range []string{"ping-interval", "ping-timeout", "motd", "addr"} {
			seen[name] = given(name)
		}
		if g.motd == "quick" && !given("ping-interval") {
			c.PingInterval = time.Second
		}
		return nil
	})
	c, err := ParseFlags([]string{"--motd", "quick"}, envOf("ROOMCAST_PING_TIMEOUT", "3s"), io.Discard, g.option(), quick)
	require.NoError(t, err)
	require.Equal(t, map[string]bool{"ping-interval": false, "ping-timeout": true, "motd": true, "addr": false}, seen)
	require.Equal(t, time.Second, c.PingInterval)
	require.Equal(t, 3*time.Second, c.PingTimeout)

	c, err = ParseFlags([]string{"--motd", "quick", "--ping-interval", "2s"}, nil, io.Discard, g.option(), quick)
	require.NoError(t, err)
	require.Equal(t, 2*time.Second, c.PingInterval, "a given flag is kept")

	refuse := Prepare(func(*Config, func(string) bool) error { return errors.New("--motd: not today") })
	_, err = ParseFlags(nil, nil, io.Discard, refuse)
	require.EqualError(t, err, "host: --motd: not today")
	bad := Prepare(func(c *Config, _ func(string) bool) error { c.MaxRooms = -3; return nil })
	_, err = ParseFlags(nil, nil, io.Discard, bad)
	require.ErrorContains(t, err, "--max-rooms -3", "the prepared Config is validated")
}

// --help starts with the description and lists every flag, the game's
// too, each with its environment variable.
func TestHelpListsEveryFlag(t *testing.T) {
	t.Parallel()
	var g gameFlags
	var help strings.Builder
	_, err := ParseFlags([]string{"--help"}, nil, &help, Name("tally"), Description("tally: counts"), g.option())
	require.ErrorIs(t, err, flag.ErrHelp)
	out := help.String()
	require.True(t, strings.HasPrefix(out, "tally: counts\n\nUsage: tally [flags]\n"), out)

	var names []string
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	_, _ = ParseFlags([]string{"-h"}, nil, io.Discard, Flags(func(set *flag.FlagSet) { fs = set }))
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	require.Len(t, names, 40, "the server's flags")
	lines := strings.Split(out, "\n")
	for _, name := range append(names, "motd", "level") {
		found := false
		for _, line := range lines {
			fields := strings.Fields(line)
			if len(fields) >= 2 && fields[0] == "--"+name && fields[len(fields)-1] == EnvName(name) {
				found = true
			}
		}
		require.True(t, found, "--%s with %s in:\n%s", name, EnvName(name), out)
	}
	require.Contains(t, out, "\ntally flags:\n  --level")
	require.Contains(t, out, `(default 127.0.0.1:2567)`)
	require.Less(t, strings.Index(out, "--addr"), strings.Index(out, "tally flags:"), "the server's flags first")
}

func TestEnvName(t *testing.T) {
	t.Parallel()
	require.Equal(t, "ROOMCAST_ADDR", EnvName("addr"))
	require.Equal(t, "ROOMCAST_ARENA_MODE", EnvName("arena-mode"))
}

func TestConfigValidateZero(t *testing.T) {
	t.Parallel()
	require.NoError(t, Config{}.Validate())
	require.ErrorContains(t, Config{DrainGrace: -time.Second}.Validate(), "--drain-grace -1s")
	_, err := New(Config{Transports: []string{"pigeon"}})
	require.ErrorContains(t, err, `--transports: "pigeon"`)
}

// Main and Execute set the GC target: the flag's, else GOGC's (left to the
// runtime), else DefaultGCPercent; and the memory limit when given.
func TestApplyMemorySettings(t *testing.T) {
	gc := debug.SetGCPercent(100)
	limit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(gc)
		debug.SetMemoryLimit(limit)
	})
	tests := []struct {
		name      string
		cfg       Config
		env       func(string) string
		wantGC    int
		wantLimit int64
	}{
		{"default", Config{}, nil, DefaultGCPercent, limit},
		{"flag", Config{GCPercent: 70, MemoryLimit: 1 << 30}, nil, 70, 1 << 30},
		{"GOGC set", Config{}, envOf("GOGC", "150"), 100, limit},
		{"flag over GOGC", Config{GCPercent: 20}, envOf("GOGC", "150"), 20, limit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			debug.SetMemoryLimit(limit)
			applyMemorySettings(tt.cfg, tt.env)
			require.Equal(t, tt.wantGC, debug.SetGCPercent(100))
			require.Equal(t, tt.wantLimit, debug.SetMemoryLimit(-1))
		})
	}
}
