package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func noEnv(string) string { return "" }

func TestParseOptions(t *testing.T) {
	t.Parallel()
	env := func(k string) string {
		if k == "ROOMCAST_ADDR" {
			return "127.0.0.1:9999"
		}
		return ""
	}
	tests := []struct {
		name    string
		args    []string
		getenv  func(string) string
		wantErr string
		check   func(t *testing.T, o options)
	}{
		{name: "defaults", getenv: noEnv, check: func(t *testing.T, o options) {
			require.Equal(t, "127.0.0.1:2567", o.addr)
			require.Equal(t, "sioecho", o.demo)
			require.Equal(t, 25*time.Second, o.pingInterval)
			require.Equal(t, 20*time.Second, o.pingTimeout)
			require.EqualValues(t, 1_000_000, o.maxPayload)
			require.Empty(t, o.origins)
		}},
		{name: "env addr", getenv: env, check: func(t *testing.T, o options) {
			require.Equal(t, "127.0.0.1:9999", o.addr)
		}},
		{name: "flag beats env", args: []string{"--addr", "127.0.0.1:0"}, getenv: env, check: func(t *testing.T, o options) {
			require.Equal(t, "127.0.0.1:0", o.addr)
		}},
		{name: "all flags", getenv: noEnv, args: []string{"--ping-interval", "300ms", "--ping-timeout", "200ms",
			"--max-payload", "1000", "--origins", "http://localhost:3000, https://example.com", "--log-level", "debug"},
			check: func(t *testing.T, o options) {
				require.Equal(t, 300*time.Millisecond, o.pingInterval)
				require.Equal(t, 200*time.Millisecond, o.pingTimeout)
				require.EqualValues(t, 1000, o.maxPayload)
				require.Equal(t, []string{"http://localhost:3000", "https://example.com"}, o.origins)
			}},
		{name: "bad addr", getenv: noEnv, args: []string{"--addr", "localhost"}, wantErr: `--addr "localhost"`},
		{name: "bad demo", getenv: noEnv, args: []string{"--demo", "chess"}, wantErr: `--demo "chess"`},
		{name: "zero ping interval", getenv: noEnv, args: []string{"--ping-interval", "0s"}, wantErr: "--ping-interval 0s"},
		{name: "negative ping timeout", getenv: noEnv, args: []string{"--ping-timeout", "-1s"}, wantErr: "--ping-timeout -1s"},
		{name: "zero max payload", getenv: noEnv, args: []string{"--max-payload", "0"}, wantErr: "--max-payload 0"},
		{name: "origin with path", getenv: noEnv, args: []string{"--origins", "http://a.b/c"}, wantErr: `"http://a.b/c" is not an origin`},
		{name: "origin without scheme", getenv: noEnv, args: []string{"--origins", "localhost:3000"}, wantErr: "is not an origin"},
		{name: "bad log level", getenv: noEnv, args: []string{"--log-level", "loud"}, wantErr: "--log-level"},
		{name: "unknown flag", getenv: noEnv, args: []string{"--nope"}, wantErr: "flag provided but not defined"},
		{name: "stray argument", getenv: noEnv, args: []string{"serve"}, wantErr: `unexpected argument "serve"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o, err := parseOptions(tc.args, tc.getenv, io.Discard)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, o)
		})
	}
}

// startRun runs the server on a free port and returns its base URL and a
// stop function that cancels it and returns run's error.
func startRun(t *testing.T, args ...string) (string, func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"--addr", "127.0.0.1:0"}, args...), noEnv, outW, io.Discard)
		_ = outW.Close()
	}()
	lines := bufio.NewScanner(outR)
	require.True(t, lines.Scan(), "no listening line")
	line := lines.Text()
	require.Regexp(t, `^listening on http://127\.0\.0\.1:[1-9][0-9]*$`, line)
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(15 * time.Second):
			t.Fatal("run did not return after cancel")
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })
	return strings.TrimPrefix(line, "listening on "), stop
}

func TestRunServesAndStops(t *testing.T) {
	t.Parallel()
	base, stop := startRun(t, "--ping-interval", "300ms", "--ping-timeout", "200ms")

	resp, err := http.Get(base + "/nothing-here")
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)

	require.NoError(t, stop())
	_, err = http.Get(base + "/socket.io/?EIO=4&transport=polling")
	require.Error(t, err, "server still answers after shutdown")
}

func TestRunRefusesBusyAddr(t *testing.T) {
	t.Parallel()
	base, _ := startRun(t)
	err := run(context.Background(), []string{"--addr", strings.TrimPrefix(base, "http://")}, noEnv, io.Discard, io.Discard)
	require.ErrorContains(t, err, "listen on 127.0.0.1:")
}

func TestRunRejectsBadFlags(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), []string{"--max-payload", "-5"}, noEnv, io.Discard, io.Discard)
	require.ErrorContains(t, err, "--max-payload -5: must be positive")
}
