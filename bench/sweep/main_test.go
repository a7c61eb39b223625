package main

import (
	"bytes"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseList(t *testing.T) {
	got, err := parseList(" 800, 2000,,3000 ")
	require.NoError(t, err)
	require.Equal(t, []int{800, 2000, 3000}, got)
	got, err = parseList("")
	require.NoError(t, err)
	require.Empty(t, got)
	_, err = parseList("800,x")
	require.Error(t, err)
	_, err = parseList("-1")
	require.Error(t, err)
}

const promBefore = `# TYPE roomcast_tick_lateness_seconds histogram
roomcast_tick_lateness_seconds_bucket{type="arena",le="0.001"} 10
roomcast_tick_lateness_seconds_bucket{type="arena",le="0.002"} 10
roomcast_tick_lateness_seconds_bucket{type="arena",le="0.004"} 10
roomcast_tick_lateness_seconds_bucket{type="arena",le="+Inf"} 10
`

const promAfter = `# TYPE roomcast_tick_lateness_seconds histogram
roomcast_tick_lateness_seconds_bucket{type="arena",le="0.001"} 90
roomcast_tick_lateness_seconds_bucket{type="arena",le="0.002"} 108
roomcast_tick_lateness_seconds_bucket{type="arena",le="0.004"} 110
roomcast_tick_lateness_seconds_bucket{type="arena",le="+Inf"} 110
roomcast_tick_lateness_seconds_sum 0.05
`

func TestPromQuantile(t *testing.T) {
	name := "roomcast_tick_lateness_seconds_bucket"
	// 100 observations in the window: 80 <= 1 ms, 18 in (1, 2], 2 in (2, 4]
	require.Equal(t, 0.001, promQuantile(promBefore, promAfter, name, 0.5))
	require.Equal(t, 0.002, promQuantile(promBefore, promAfter, name, 0.98))
	require.Equal(t, 0.004, promQuantile(promBefore, promAfter, name, 0.99))
	require.Zero(t, promQuantile(promAfter, promAfter, name, 0.99), "no observations")
	require.Zero(t, promQuantile("", "", name, 0.99))
}

func TestSummary_RatiosAndHeld(t *testing.T) {
	rows := []Row{
		{System: "floor", Transport: "websocket", CCU: 800, Connected: 800, ServerCPUUsPerClientS: 400, ServerRSSMB: 20,
			ClientCPUUsPerClientS: 500, FramesPerClientS: 20, KeptUp: true},
		{System: "roomcast", Transport: "websocket", CCU: 800, Connected: 800, ServerCPUUsPerClientS: 600, ServerRSSMB: 50,
			ClientCPUUsPerClientS: 550, FramesPerClientS: 20, KeptUp: true},
		{System: "floor", Transport: "websocket", CCU: 2000, ServerCPUUsPerClientS: 300, ServerRSSMB: 40,
			ClientCPUUsPerClientS: 300, FramesPerClientS: 20, KeptUp: true},
		{System: "roomcast", Transport: "websocket", CCU: 2000, ServerCPUUsPerClientS: 300, ServerRSSMB: 100,
			ClientCPUUsPerClientS: 300, FramesPerClientS: 10, Behind: []string{"10.00 frames/s < 18"}},
	}
	var b bytes.Buffer
	printSummary(&b, rows)
	out := b.String()
	require.Contains(t, out, "| 800 | 1.50 | 1.50 | 2.50 | 1.10 | 1.10 |")
	require.Contains(t, out, "| 2000 | 1.00 | 2.00 | 2.50 | 1.00 | 2.00 |")
	require.Contains(t, out, "floor 2000, roomcast 800, roomcast÷floor 0.40")
	require.True(t, math.IsNaN(perFrame(100, Row{})))
}
