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
	require.Contains(t, errb.String(), "frames/s/bot=") // progress lines
	html, err := os.ReadFile(report)
	require.NoError(t, err)
	require.Contains(t, string(html), "<svg")
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
