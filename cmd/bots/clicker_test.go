package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/examples/clicker"
	"github.com/roomcast/roomcast/internal/clickertest"
)

func TestRun_Clicker(t *testing.T) {
	url := clickertest.Server(t)
	var out, errb bytes.Buffer
	code := run([]string{"-url", url, "-scenario", "clicker", "-bots", "8", "-ramp", "200", "-warmup", "500ms",
		"-duration", "2s", "-quiet", "-report", ""}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	var res Result
	require.NoError(t, json.Unmarshal(out.Bytes(), &res))
	require.Equal(t, "clicker", res.Scenario)
	require.Equal(t, 8, res.Joined)
	require.Equal(t, clicker.TickRate, res.TickRate)
	require.Positive(t, res.InputsPerClientS)
	require.Positive(t, res.AckSamples)
	require.Zero(t, res.CheckFailures)
	require.True(t, res.KeptUp, res.Behind)
}
