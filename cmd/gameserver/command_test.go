package main

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/host"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// parse runs the command's flag parsing (host.ParseFlags with its options).
func parse(args []string, getenv func(string) string) (*command, host.Config, error) {
	c := &command{}
	cfg, err := host.ParseFlags(args, getenv, io.Discard, c.options()...)
	return c, cfg, err
}

// The binary's own flags: each has its ROOMCAST_* variable, a bad value is
// an error naming the flag or variable, and the demo's heartbeat applies
// only when neither flag nor variable chose one.
func TestFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     func(string) string
		wantErr string
		check   func(t *testing.T, c *command, cfg host.Config)
	}{
		{name: "defaults", check: func(t *testing.T, c *command, cfg host.Config) {
			require.Equal(t, demoArena, c.demo)
			require.Equal(t, arena.Options{Config: arena.Config{Mode: arena.ModePlay}}, c.arena)
			require.Equal(t, host.DefaultPingInterval, cfg.PingInterval)
			require.Equal(t, arena.TickRate, c.arena.Settings().TickRate)
		}},
		{name: "flags", args: []string{"--demo", "arena", "--arena-mode", "bench", "--quantized", "--packed=true", "--tick-rate", "30"},
			check: func(t *testing.T, c *command, _ host.Config) {
				require.Equal(t, arena.Options{Config: arena.Config{Mode: arena.ModeBench, Quantized: true, Packed: true}, TickRate: 30}, c.arena)
				require.Equal(t, 30, c.arena.Settings().TickRate)
			}},
		{name: "env", env: envOf("ROOMCAST_ARENA_MODE", "bench", "ROOMCAST_QUANTIZED", "1", "ROOMCAST_PACKED", "true",
			"ROOMCAST_TICK_RATE", "25", "ROOMCAST_DEMO", "sioecho"),
			check: func(t *testing.T, c *command, _ host.Config) {
				require.Equal(t, demoSioecho, c.demo)
				require.Equal(t, arena.Options{Config: arena.Config{Mode: arena.ModeBench, Quantized: true, Packed: true}, TickRate: 25}, c.arena)
			}},
		{name: "sioecho heartbeat", args: []string{"--demo", "sioecho"}, check: func(t *testing.T, _ *command, cfg host.Config) {
			require.Equal(t, 300*time.Millisecond, cfg.PingInterval)
			require.Equal(t, 200*time.Millisecond, cfg.PingTimeout)
		}},
		{name: "sioecho heartbeat chosen", args: []string{"--demo", "sioecho", "--ping-interval", "2s"}, env: envOf("ROOMCAST_PING_TIMEOUT", "3s"),
			check: func(t *testing.T, _ *command, cfg host.Config) {
				require.Equal(t, 2*time.Second, cfg.PingInterval)
				require.Equal(t, 3*time.Second, cfg.PingTimeout)
			}},
		{name: "bad demo", args: []string{"--demo", "chess"}, wantErr: `invalid value "chess" for flag -demo`},
		{name: "bad arena mode", args: []string{"--arena-mode", "ctf"}, wantErr: `invalid value "ctf" for flag -arena-mode: want "play" or "bench"`},
		{name: "bad arena mode env", env: envOf("ROOMCAST_ARENA_MODE", "ctf"), wantErr: `ROOMCAST_ARENA_MODE="ctf"`},
		{name: "bad tick rate", args: []string{"--tick-rate", "100000"}, wantErr: `invalid value "100000" for flag -tick-rate: want 1..1000`},
		{name: "bad tick rate env", env: envOf("ROOMCAST_TICK_RATE", "fast"), wantErr: `ROOMCAST_TICK_RATE="fast"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, cfg, err := parse(tc.args, tc.env)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, c, cfg)
		})
	}
}

// --help says what the program is and lists every flag, the arena's too,
// each with its variable; it exits 0. A bad flag exits 2.
func TestHelp(t *testing.T) {
	t.Parallel()
	c := &command{}
	var stdout, stderr strings.Builder
	require.Equal(t, 0, host.Execute(context.Background(), host.Env{Args: []string{"--help"}, Stdout: &stdout, Stderr: &stderr}, c.setup, c.options()...))
	out := stdout.String()
	require.True(t, strings.HasPrefix(out, description+"\n"), out)
	for _, name := range []string{"addr", "ping-interval", "ping-timeout", "max-payload", "origins", "transports", "park-idle-polls",
		"inline-writes", "max-sessions", "log-format", "log-level", "pprof", "drain-grace", "shutdown-grace", "drain-wait",
		"max-rooms", "create-rate", "create-rate-per-ip", "list-rate", "reconnect-grace", "demo", "arena-mode", "quantized", "packed", "tick-rate",
		"dev-any-origin", "max-conns-per-ip", "max-sessions-per-ip", "handshake-rate", "handshake-burst", "trusted-proxies",
		"idle-timeout", "post-timeout", "max-poll-packets", "poll-drain-wait", "limit-loopback",
		"redis", "public-url", "node-id", "redis-prefix", "cluster-beat", "cluster-ttl", "claim-ttl", "gc-percent", "memory-limit"} {
		require.Regexp(t, `(?m)^  --`+name+`( \w+)? +`+host.EnvName(name)+`$`, out)
	}
	require.Equal(t, 45, strings.Count(out, "\n  --"), "no flag unlisted above")

	c = &command{}
	require.Equal(t, 2, host.Execute(context.Background(), host.Env{Args: []string{"--arena-mode", "ctf"}, Stderr: &stderr}, c.setup, c.options()...))
	require.Contains(t, stderr.String(), "-arena-mode")
}

// The arena options reach new rooms: --arena-mode bench --quantized and
// --tick-rate make a room created without options a quantized bench room
// ticking at that rate.
func TestArenaOptionsReachRooms(t *testing.T) {
	t.Parallel()
	c := &command{}
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	go func() {
		exit <- host.Execute(ctx, host.Env{Args: []string{"--addr", "127.0.0.1:0", "--quantized", "--tick-rate", "25"},
			Getenv: envOf("ROOMCAST_ARENA_MODE", "bench"), Stdout: outW}, c.setup, c.options()...)
		_ = outW.Close()
	}()
	defer func() {
		cancel()
		require.Equal(t, 0, <-exit)
	}()
	line, err := bufio.NewReader(outR).ReadString('\n')
	require.NoError(t, err)
	m := regexp.MustCompile(`^listening on (http://127\.0\.0\.1:\d+)\n$`).FindStringSubmatch(line)
	require.NotNil(t, m, "line %q", line)
	go func() { _, _ = io.Copy(io.Discard, outR) }()

	code, page := get(t, m[1]+"/")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, strings.ToLower(page), "<html", "the arena page")

	jctx, jcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer jcancel()
	g, err := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: m[1], Logger: quietLogger()}})
	require.NoError(t, err)
	defer g.Close()
	require.NoError(t, g.Connect(jctx))
	res, err := g.JoinOrCreate(jctx, arena.RoomType, map[string]any{"name": "opt"})
	require.NoError(t, err)
	require.Equal(t, 25, res.TickRate)
	list, err := g.List(jctx, arena.RoomType, nil)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, arena.ModeBench, list[0].Metadata[arena.OptionMode])
	require.Equal(t, true, list[0].Metadata[arena.OptionQuantized])
}
