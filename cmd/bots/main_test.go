package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/internal/arenatest"
)

func TestRun_ArenaJSONAndReport(t *testing.T) {
	url := arenatest.Server(t)
	report := filepath.Join(t.TempDir(), "r.html")
	var out, errb bytes.Buffer
	code := run([]string{"-url", url, "-bots", "16", "-ramp", "200", "-warmup", "500ms", "-duration", "2s",
		"-pid", "0", "-markers", "-report", report}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Equal(t, `{"event":"window_start"}`, lines[0])
	require.Equal(t, `{"event":"window_end"}`, lines[1])
	var res Result
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &res))
	require.Equal(t, 16, res.Joined)
	require.Equal(t, 2, res.Rooms)
	require.Greater(t, res.FramesPerClientS, 15.0)
	require.Positive(t, res.AckSamples)
	require.Positive(t, res.DownBytesPerClientS)
	require.Equal(t, "arena", res.Scenario)
	require.Equal(t, 20, res.TickRate) // from the join replies
	require.False(t, res.ServerMeasured)
	require.Zero(t, res.Desyncs)
	require.Contains(t, errb.String(), "frames/s/bot=") // progress lines
	html, err := os.ReadFile(report)
	require.NoError(t, err)
	require.Contains(t, string(html), "<svg")
	require.Contains(t, string(html), `class="phase-measurement"`)
	require.Contains(t, string(html), "not measured")
	for _, ref := range []string{"http://", "https://", "<script", "src="} {
		require.NotContains(t, string(html), ref, "the report must load nothing")
	}
}

func TestRun_RefusesNonLoopback(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"-url", "http://10.1.2.3:2567", "-bots", "1", "-report", ""}, &out, &errb)
	require.Equal(t, 1, code)
	require.Contains(t, errb.String(), "127.0.0.1")
}

func TestRun_Help(t *testing.T) {
	for _, arg := range []string{"-help", "--help", "-h"} {
		var out, errb bytes.Buffer
		require.Equal(t, 0, run([]string{arg}, &out, &errb), arg)
		require.Empty(t, errb.String())
		help := out.String()
		first, _, _ := strings.Cut(help, "\n")
		require.Contains(t, first, "loads a roomcast server")
		require.Contains(t, help, "reads no environment variables")
		for _, flag := range []string{"-scenario", "-url", "-bots", "-pid", "-metrics", "-mirror"} {
			require.Contains(t, help, flag)
		}
		require.Contains(t, help, "arena, churn, idle, clicker")
	}
	var out, errb bytes.Buffer
	require.Equal(t, 2, run([]string{"-no-such-flag"}, &out, &errb))
	require.Contains(t, errb.String(), "flag provided but not defined: -no-such-flag")
	require.Empty(t, out.String())
	require.Equal(t, 2, run([]string{"stray"}, &out, &errb))
}

func TestRun_NoServerIsOneClearError(t *testing.T) {
	for _, tr := range []string{"websocket", "polling"} {
		t.Run(tr, func(t *testing.T) {
			url := "http://" + freeAddr(t)
			var out, errb bytes.Buffer
			// a window far longer than the test's deadline: only giving up
			// at once can pass
			code := run([]string{"-url", url, "-transport", tr, "-bots", "5", "-warmup", "1s", "-duration", "10m", "-max-time", "2m",
				"-quiet", "-report", ""}, &out, &errb)
			require.Equal(t, 1, code)
			require.Empty(t, out.String(), "no result line for a run that never started")
			msg := errb.String()
			require.Equal(t, 1, strings.Count(msg, "connection refused"), msg)
			require.Contains(t, msg, "bots: no server at "+url)
			require.NotContains(t, msg, "bots: bots:")
			require.NotContains(t, msg, "no bot joined")
		})
	}
}

func TestRun_UnknownScenario(t *testing.T) {
	var out, errb bytes.Buffer
	require.Equal(t, 1, run([]string{"-scenario", "chess", "-report", ""}, &out, &errb))
	require.Contains(t, errb.String(), `unknown scenario "chess"`)
}
