package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseSystems(t *testing.T) {
	got, err := parseSystems("socketio, floor,,roomcast", allSystems)
	require.NoError(t, err)
	require.Equal(t, []string{"floor", "roomcast", "socketio"}, got, "in the known order")
	_, err = parseSystems("roomcast,colyseus", pollingSystems)
	require.ErrorContains(t, err, `unknown system "colyseus"`)
	got, err = parseSystems("", allSystems)
	require.NoError(t, err)
	require.Empty(t, got)
}

func TestSearchNext(t *testing.T) {
	s := searchConfig{runs: 4, step: 100, max: 6000}
	tests := []struct {
		name string
		runs map[int]bool
		want int
	}{
		{"nothing ran", map[int]bool{}, 0},
		{"bisect between held and not held", map[int]bool{800: true, 2000: false}, 1400},
		{"narrower", map[int]bool{800: true, 2000: false, 1400: true}, 1700},
		{"done within a step", map[int]bool{1600: true, 1700: false}, 0},
		{"everything held: go up by half", map[int]bool{800: true, 2000: true}, 3000},
		{"up to max", map[int]bool{800: true, 5000: true}, 6000},
		{"max held: done", map[int]bool{6000: true}, 0},
		{"nothing held: bisect down", map[int]bool{800: false, 2000: false}, 400},
		{"a failure below the largest held is noise", map[int]bool{800: true, 1400: false, 2000: true, 3000: false}, 2500},
		{"a probe already tried ends the search", map[int]bool{800: true, 900: false, 850: true}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, s.next(tt.runs))
		})
	}
}

func TestHeldRuns(t *testing.T) {
	rows := []Row{
		{System: "colyseus", Transport: "websocket", CCU: 800, KeptUp: true},
		{System: "colyseus", Transport: "websocket", CCU: 2000},
		{System: "colyseus", Transport: "polling", CCU: 96, KeptUp: true},
		{System: "roomcast", Transport: "websocket", CCU: 800, KeptUp: true, Quantized: true},
		{System: "roomcast", Transport: "websocket", CCU: 3000, KeptUp: true},
	}
	require.Equal(t, map[int]bool{800: true, 2000: false}, heldRuns(rows, "colyseus"))
	require.Equal(t, map[int]bool{3000: true}, heldRuns(rows, "roomcast"))
}

func TestComparison(t *testing.T) {
	ws := func(sys string, ccu int, cpu, rss float64, held bool) Row {
		return Row{System: sys, Transport: "websocket", CCU: ccu, Connected: ccu, ServerCPUUsPerClientS: cpu, ServerRSSMB: rss,
			FramesPerClientS: 20, DownBytesPerClientS: 2000, AckP50Ms: 25, AckP99Ms: 50, TickLatenessP99Ms: 2, KeptUp: held}
	}
	rows := []Row{
		ws("floor", 800, 400, 20, true), ws("roomcast", 800, 600, 40, true), ws("colyseus", 800, 600, 80, true), ws("socketio", 800, 1200, 60, true),
		ws("floor", 2000, 300, 40, true), ws("roomcast", 2000, 450, 90, true), ws("colyseus", 2000, 900, 150, false), ws("socketio", 2000, 900, 100, false),
		{System: "colyseus", Transport: "websocket", CCU: 1400, KeptUp: true, Search: true},
		{System: "roomcast", Transport: "polling", CCU: 96, ServerCPUUsPerClientS: 1000, FramesPerClientS: 20, KeptUp: true},
		{System: "socketio", Transport: "polling", CCU: 96, ServerCPUUsPerClientS: 4000, FramesPerClientS: 20, KeptUp: true},
	}
	var b bytes.Buffer
	printSummary(&b, rows)
	out := b.String()
	require.Contains(t, out, "| figure (arena v1, WebSocket) | floor | roomcast | Colyseus 0.18 | Socket.IO 4.8 | roomcast÷floor | roomcast÷Colyseus 0.18 | roomcast÷Socket.IO 4.8 |")
	require.Contains(t, out, "| server CPU µs per client-second, 800 CCU | 400 | 600 | 600 | 1200 | 1.50 | 1.00 | 0.50 |")
	require.Contains(t, out, "| server RSS MB, 2000 CCU | 40.0 | 90.0 | 150.0 | 100.0 | 2.25 | 0.60 | 0.90 |")
	require.Contains(t, out, "| held, 2000 CCU | yes | yes | no | no | | | |")
	require.Contains(t, out, "| largest CCU held (grid and search) | 2000 | 2000 | 1400 | 800 | 1.00 | 1.43 | 2.50 |")
	require.Contains(t, out, "- Colyseus 0.18: 800 held, 1400 held, 2000 not held")
	require.Contains(t, out, "| 96 | 1000 | 4000 | 4.00 | 4.00 |")
	require.Contains(t, out, "floor 2000, roomcast 2000, roomcast÷floor 1.00, colyseus 1400, socketio 800")

	b.Reset()
	printComparison(&b, rows[:2])
	require.Empty(t, b.String(), "no peers, no comparison")
}
