package bots

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestReadProcStat_Self(t *testing.T) {
	// burn a little CPU so the figure is not zero
	deadline := time.Now().Add(30 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	ps, err := ReadProcStat(os.Getpid())
	require.NoError(t, err)
	require.Positive(t, ps.RSS)
	require.GreaterOrEqual(t, ps.CPU, time.Duration(0))
	_, err = ReadProcStat(1 << 30)
	require.Error(t, err)
}

func TestReadMetricsStat(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "# HELP x\nprocess_cpu_seconds_total 12.5\nprocess_resident_memory_bytes 4.2e+07\nother 1\n")
	}))
	defer ts.Close()
	ps, err := ReadMetricsStat(context.Background(), ts.Client(), ts.URL)
	require.NoError(t, err)
	require.Equal(t, 12500*time.Millisecond, ps.CPU)
	require.EqualValues(t, 42000000, ps.RSS)
}

func TestCheckLocal(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:2567", "ws://localhost/x", "http://[::1]:80"} {
		require.NoError(t, CheckLocal(ok), ok)
	}
	for _, bad := range []string{"http://10.0.0.1:2567", "http://example.com", "http://127.0.0.2"} {
		require.ErrorIs(t, CheckLocal(bad), ErrNotLocal, bad)
	}
}
