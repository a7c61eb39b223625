package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
)

// window returns the samples at the start and the end of a 10 s window in
// which every one of n bots received frames frames per second.
func window(n int, tickRate int, frames float64, srvOK bool) (a, b sample) {
	t0 := time.Unix(1000, 0)
	a = sample{sw: bots.SwarmSample{Time: t0, Bots: n, Joined: n, TickRate: tickRate, PerBotFrames: make([]int64, n)}, srvOK: srvOK}
	b = a
	b.sw.Time = t0.Add(10 * time.Second)
	b.sw.Frames = int64(frames * 10 * float64(n))
	b.sw.PerBotFrames = make([]int64, n)
	for i := range b.sw.PerBotFrames {
		b.sw.PerBotFrames[i] = int64(frames * 10)
	}
	if srvOK {
		b.server.CPU = 2 * time.Second
		b.server.RSS = 50 << 20
	}
	return a, b
}

func TestSummarize_KeptUpJudgedByTickRate(t *testing.T) {
	arena := bots.ArenaScenario{}
	plan := arena.Plan(bots.SwarmConfig{Bots: 8})
	o := options{bots: 8, scenario: "arena"}
	for _, tc := range []struct {
		name     string
		tickRate int
		frames   float64
		keptUp   bool
		behind   string
	}{
		{"10 Hz room, 9.5 frames/s", 10, 9.5, true, ""},
		{"10 Hz room, 8 frames/s", 10, 8, false, "of the 10 Hz tick rate"},
		{"20 Hz room, 19 frames/s", 20, 19, true, ""},
		{"20 Hz room, 9.5 frames/s", 20, 9.5, false, "of the 20 Hz tick rate"},
		{"60 Hz room, 20 frames/s", 60, 20, false, "of the 60 Hz tick rate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := window(8, tc.tickRate, tc.frames, false)
			r := summarize(o, arena, plan, a, b, 0)
			require.Equal(t, tc.keptUp, r.KeptUp, r.Behind)
			require.Equal(t, tc.tickRate, r.TickRate)
			if tc.behind != "" {
				require.Len(t, r.Behind, 1)
				require.Contains(t, r.Behind[0], tc.behind)
			}
		})
	}
	// no tickRate in the join replies: not judged, and said so
	a, b := window(8, 0, 3, false)
	r := summarize(o, arena, plan, a, b, 0)
	require.True(t, r.KeptUp, r.Behind)
	require.Contains(t, strings.Join(r.Notes, ";"), "tickRate")
	// a scenario that does not change the state every tick is not judged by frames
	idle := bots.IdleScenario{}
	r = summarize(options{bots: 8}, idle, idle.Plan(bots.SwarmConfig{}), a, b, 0)
	require.True(t, r.KeptUp, r.Behind)
}

func TestSummarize_DesyncsAndChecksAreFailures(t *testing.T) {
	arena := bots.ArenaScenario{}
	a, b := window(8, 20, 20, false)
	b.sw.Desyncs, b.sw.CheckFailures = 2, 3
	r := summarize(options{bots: 8}, arena, arena.Plan(bots.SwarmConfig{}), a, b, 0)
	require.False(t, r.KeptUp)
	require.EqualValues(t, 2, r.Desyncs)
	require.EqualValues(t, 3, r.CheckFailures)
	require.Len(t, r.Behind, 2)
}

func TestReport_ServerNotMeasured(t *testing.T) {
	arena := bots.ArenaScenario{}
	plan := arena.Plan(bots.SwarmConfig{})
	series := []point{{T: 1, Joined: 8, SwarmCPUPct: 30}, {T: 2, Joined: 8, SwarmCPUPct: 35}}
	ph := phases{RampEnd: 1, WindowStart: 1.5, WindowEnd: 2}

	a, b := window(8, 20, 20, false)
	r := summarize(options{bots: 8}, arena, plan, a, b, 0)
	require.False(t, r.ServerMeasured)
	require.Zero(t, r.ServerCPUPct)
	require.Contains(t, strings.Join(r.Notes, ";"), "server CPU and RSS were not measured (no -pid or -metrics)")
	raw, err := json.Marshal(r)
	require.NoError(t, err)
	require.Contains(t, string(raw), `"server_measured":false`)
	require.NotContains(t, string(raw), `"server_cpu_pct"`)
	page := reportPage(t, r, series, ph)
	require.Contains(t, page, "The server's CPU was not measured")
	require.NotContains(t, page, `fill="#c33">server</text>`, "no flat 0 % server line")

	// measured: the server line is drawn
	a, b = window(8, 20, 20, true)
	r = summarize(options{bots: 8, pid: 1}, arena, plan, a, b, 0)
	require.True(t, r.ServerMeasured)
	require.InDelta(t, 20, r.ServerCPUPct, 0.01)
	series[0].ServerOK, series[1].ServerOK = true, true
	page = reportPage(t, r, series, ph)
	require.Contains(t, page, `fill="#c33">server</text>`)
	require.NotContains(t, page, "The server's CPU was not measured")
}

func TestReport_MarksPhasesAndExplainsFields(t *testing.T) {
	series := []point{{T: 1}, {T: 2}, {T: 3}, {T: 4}}
	page := reportPage(t, &Result{Scenario: "arena"}, series, phases{RampEnd: 1, WindowStart: 2, WindowEnd: 4})
	for _, class := range []string{"phase-ramp", "phase-warm-up", "phase-measurement"} {
		// one band per time plot (CPU, frames, latency, joined)
		require.Equal(t, 4, strings.Count(page, `class="`+class+`"`), class)
	}
	require.Contains(t, page, "green: the measurement window")
	// every field of the JSON line has its explanation
	rt := reflect.TypeOf(Result{})
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		require.NotEmpty(t, fieldDocs[name], "fieldDocs[%q]", name)
	}
	// a run stopped during the warm-up shades no window
	page = reportPage(t, &Result{Scenario: "arena"}, series, phases{RampEnd: 1})
	require.Equal(t, 4, strings.Count(page, `class="phase-warm-up"`))
	require.NotContains(t, page, `class="phase-measurement"`)
}

func reportPage(t *testing.T, r *Result, series []point, ph phases) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.html")
	require.NoError(t, writeReport(path, r, series, ph, bots.HistogramSnapshot{}))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(b)
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}
