package gameserver

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/examples/arena"
)

func envOf(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParseFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     func(string) string
		wantErr string
		check   func(t *testing.T, c Config)
	}{
		{name: "defaults", check: func(t *testing.T, c Config) {
			require.Equal(t, DefaultAddr, c.Addr)
			require.Equal(t, DemoArena, c.Demo)
			require.Equal(t, 25*time.Second, c.PingInterval)
			require.Equal(t, 20*time.Second, c.PingTimeout)
			require.EqualValues(t, 1_000_000, c.MaxPayload)
			require.Equal(t, LogText, c.LogFormat)
			require.Equal(t, slog.LevelInfo, c.LogLevel)
			require.Equal(t, DefaultDrainGrace, c.DrainGrace)
			require.Equal(t, arena.ModePlay, c.ArenaMode)
			require.False(t, c.Pprof)
			require.False(t, c.Quantized)
			require.Zero(t, c.TickRate)
			require.Empty(t, c.AllowedOrigins)
			require.Equal(t, 20*time.Second, c.ReconnectGrace)
			require.Equal(t, []string{"polling", "websocket"}, c.Transports)
			require.Zero(t, c.MaxSessions)
			require.False(t, c.InlineWrites)
		}},
		{name: "sioecho demo heartbeat", args: []string{"--demo", "sioecho"}, check: func(t *testing.T, c Config) {
			require.Equal(t, 300*time.Millisecond, c.PingInterval)
			require.Equal(t, 200*time.Millisecond, c.PingTimeout)
			require.EqualValues(t, 1_000_000, c.MaxPayload)
		}},
		{name: "sioecho demo heartbeat overridden", args: []string{"--demo", "sioecho", "--ping-interval", "2s"},
			env: envOf("ROOMCAST_PING_TIMEOUT", "3s"), check: func(t *testing.T, c Config) {
				require.Equal(t, 2*time.Second, c.PingInterval)
				require.Equal(t, 3*time.Second, c.PingTimeout)
			}},
		{name: "reconnect grace", args: []string{"--reconnect-grace", "1s"}, check: func(t *testing.T, c Config) {
			require.Equal(t, time.Second, c.ReconnectGrace)
		}},
		{name: "transports", args: []string{"--transports", "websocket", "--max-sessions", "100"}, check: func(t *testing.T, c Config) {
			require.Equal(t, []string{"websocket"}, c.Transports)
			require.Equal(t, 100, c.MaxSessions)
		}},
		{name: "bad transport", args: []string{"--transports", "websocket,carrier-pigeon"}, wantErr: `--transports: "carrier-pigeon"`},
		{name: "no transport", args: []string{"--transports", " , "}, wantErr: `--transports " , "`},
		{name: "negative max sessions", args: []string{"--max-sessions", "-2"}, wantErr: "--max-sessions -2"},
		{name: "drain wait", args: []string{"--drain-wait", "5s"}, check: func(t *testing.T, c Config) {
			require.Equal(t, 5*time.Second, c.DrainWait)
		}},
		{name: "drain wait beyond grace", args: []string{"--drain-wait", "10s"}, wantErr: "--drain-wait 10s: want 0 up to less than --drain-grace 10s"},
		{name: "zero reconnect grace", args: []string{"--reconnect-grace", "0s"}, wantErr: "--reconnect-grace 0s"},
		{name: "env", env: envOf("ROOMCAST_ADDR", "127.0.0.1:9999", "ROOMCAST_LOG_FORMAT", "json", "ROOMCAST_PPROF", "true",
			"ROOMCAST_DRAIN_GRACE", "3s", "ROOMCAST_ARENA_MODE", "bench", "ROOMCAST_QUANTIZED", "1", "ROOMCAST_PACKED", "true", "ROOMCAST_PARK_IDLE_POLLS", "true", "ROOMCAST_INLINE_WRITES", "true", "ROOMCAST_TICK_RATE", "30",
			"ROOMCAST_ORIGINS", "http://a.example", "ROOMCAST_LOG_LEVEL", "debug", "ROOMCAST_DEMO", "sioecho"),
			check: func(t *testing.T, c Config) {
				require.Equal(t, "127.0.0.1:9999", c.Addr)
				require.Equal(t, LogJSON, c.LogFormat)
				require.True(t, c.Pprof)
				require.Equal(t, 3*time.Second, c.DrainGrace)
				require.Equal(t, arena.ModeBench, c.ArenaMode)
				require.True(t, c.Quantized)
				require.True(t, c.Packed)
				require.True(t, c.ParkIdlePolls)
				require.True(t, c.InlineWrites)
				require.Equal(t, 30, c.TickRate)
				require.Equal(t, []string{"http://a.example"}, c.AllowedOrigins)
				require.Equal(t, slog.LevelDebug, c.LogLevel)
				require.Equal(t, DemoSioecho, c.Demo)
			}},
		{name: "flag beats env", args: []string{"--addr", "127.0.0.1:0", "--drain-grace", "1s"},
			env: envOf("ROOMCAST_ADDR", "127.0.0.1:9999", "ROOMCAST_DRAIN_GRACE", "7s", "ROOMCAST_SHUTDOWN_GRACE", "9s"),
			check: func(t *testing.T, c Config) {
				require.Equal(t, "127.0.0.1:0", c.Addr)
				require.Equal(t, time.Second, c.DrainGrace)
			}},
		{name: "shutdown-grace alias", args: []string{"--shutdown-grace", "2s"}, check: func(t *testing.T, c Config) {
			require.Equal(t, 2*time.Second, c.DrainGrace)
		}},
		{name: "all flags", args: []string{"--ping-interval", "300ms", "--ping-timeout", "200ms", "--max-payload", "1000",
			"--origins", "http://localhost:3000, https://example.com", "--log-level", "warn", "--max-rooms", "10"},
			check: func(t *testing.T, c Config) {
				require.Equal(t, 300*time.Millisecond, c.PingInterval)
				require.Equal(t, 200*time.Millisecond, c.PingTimeout)
				require.EqualValues(t, 1000, c.MaxPayload)
				require.Equal(t, []string{"http://localhost:3000", "https://example.com"}, c.AllowedOrigins)
				require.Equal(t, slog.LevelWarn, c.LogLevel)
				require.Equal(t, 10, c.MaxRooms)
			}},
		{name: "bad addr", args: []string{"--addr", "localhost"}, wantErr: `--addr "localhost"`},
		{name: "bad demo", args: []string{"--demo", "chess"}, wantErr: `--demo "chess"`},
		{name: "zero ping interval", args: []string{"--ping-interval", "0s"}, wantErr: "--ping-interval 0s"},
		{name: "negative ping timeout", args: []string{"--ping-timeout", "-1s"}, wantErr: "--ping-timeout -1s"},
		{name: "zero max payload", args: []string{"--max-payload", "0"}, wantErr: "--max-payload 0"},
		{name: "zero drain grace", args: []string{"--drain-grace", "0s"}, wantErr: "--drain-grace 0s"},
		{name: "bad log format", args: []string{"--log-format", "xml"}, wantErr: `--log-format "xml"`},
		{name: "bad log level", args: []string{"--log-level", "loud"}, wantErr: `--log-level "loud"`},
		{name: "bad tick rate", args: []string{"--tick-rate", "100000"}, wantErr: "--tick-rate 100000"},
		{name: "bad arena mode", args: []string{"--arena-mode", "ctf"}, wantErr: `--arena-mode "ctf"`},
		{name: "negative max rooms", args: []string{"--max-rooms", "-1"}, wantErr: "--max-rooms -1"},
		{name: "origin with path", args: []string{"--origins", "http://a.b/c"}, wantErr: `"http://a.b/c" is not an origin`},
		{name: "bad env value", env: envOf("ROOMCAST_PING_INTERVAL", "soon"), wantErr: `ROOMCAST_PING_INTERVAL="soon"`},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: "flag provided but not defined"},
		{name: "stray argument", args: []string{"serve"}, wantErr: `unexpected argument "serve"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := tc.env
			if env == nil {
				env = envOf()
			}
			c, err := ParseFlags(tc.args, env, io.Discard)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, c)
		})
	}
}

func TestConfigValidateZero(t *testing.T) {
	t.Parallel()
	require.NoError(t, Config{}.Validate())
	require.ErrorContains(t, Config{DrainGrace: -time.Second}.Validate(), "--drain-grace -1s")
	_, err := New(Config{Demo: "x"})
	require.ErrorContains(t, err, `--demo "x"`)
}

// Main end to end: bad flags exit 2, -h exits 0, and a server started with
// JSON logs prints its listening line, serves, and exits 0 on cancel.
func TestMainCommand(t *testing.T) {
	t.Parallel()
	var stderr strings.Builder
	require.Equal(t, 2, Main(context.Background(), []string{"--addr", "nope"}, envOf(), io.Discard, &stderr, nil))
	require.Contains(t, stderr.String(), `--addr "nope"`)
	require.Equal(t, 0, Main(context.Background(), []string{"-h"}, envOf(), io.Discard, io.Discard, nil))

	pr, pw := io.Pipe()
	errR, errW := io.Pipe()
	logs := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(errR)
		logs <- b
	}()
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	go func() {
		exit <- Main(ctx, []string{"--log-format", "json"}, envOf("ROOMCAST_ADDR", "127.0.0.1:0"), pw, errW, nil)
		_ = pw.Close()
		_ = errW.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	m := regexp.MustCompile(`^listening on (http://127\.0\.0\.1:\d+)\n$`).FindStringSubmatch(line)
	require.NotNil(t, m, "line %q", line)
	resp, err := http.Get(m[1] + PathHealthz)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	cancel()
	select {
	case code := <-exit:
		require.Equal(t, 0, code)
	case <-time.After(20 * time.Second):
		t.Fatal("Main did not return")
	}
	// JSON logs, one object per line: serving, draining, stopped.
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(string(<-logs)), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "log line %q", line)
		msgs = append(msgs, rec["msg"].(string))
	}
	require.Equal(t, []string{"serving", "draining", "stopped"}, msgs)
}
