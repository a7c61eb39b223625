package bots

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHistogram_BucketsAreMonotonicAndTight(t *testing.T) {
	prev := -1
	for us := int64(0); us < 1<<22; us += 1 + us/50 {
		b := bucketOf(us)
		require.GreaterOrEqual(t, b, prev, "us=%d", us)
		require.GreaterOrEqual(t, bucketUpper(b), us, "us=%d bucket=%d", us, b)
		if us >= histSub {
			require.LessOrEqual(t, float64(bucketUpper(b)), float64(us)*1.07, "us=%d", us)
		}
		prev = b
	}
}

func TestHistogram_Quantiles(t *testing.T) {
	var h Histogram
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	s := h.Snapshot()
	require.EqualValues(t, 1000, s.Total)
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.99, 990 * time.Millisecond}, {0.01, 10 * time.Millisecond}} {
		got := s.Quantile(tc.q)
		require.InEpsilon(t, float64(tc.want), float64(got), 0.07, "q=%v got %v", tc.q, got)
	}
	require.Equal(t, time.Second, time.Duration(s.MaxUS)*time.Microsecond)
	require.InEpsilon(t, float64(500500*time.Microsecond), float64(s.Mean()), 0.01)
	d := h.Snapshot().Sub(s)
	require.Zero(t, d.Total)
	require.Zero(t, HistogramSnapshot{}.Quantile(0.5))
}
