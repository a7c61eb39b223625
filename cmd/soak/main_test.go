package main

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "defaults"},
		{name: "reduced", args: []string{"-ccu", "400", "-duration", "3m"}},
		{name: "no players", args: []string{"-ccu", "0"}, wantErr: "-ccu 0"},
		{name: "churn over 1", args: []string{"-churn", "1.5"}, wantErr: "-churn 1.5"},
		{name: "polling share", args: []string{"-polling", "-0.1"}, wantErr: "-polling -0.1"},
		{name: "too many addresses", args: []string{"-ccu", "3000", "-per-address", "10"}, wantErr: "-per-address 10"},
		{name: "zero duration", args: []string{"-duration", "0s"}, wantErr: "-duration 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parse(tt.args, io.Discard)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Positive(t, o.ccu)
		})
	}
}

// The flatness check compares the means of the first and last thirds.
func TestReportFlatness(t *testing.T) {
	mk := func(g ...float64) []sample {
		var out []sample
		for i, v := range g {
			out = append(out, sample{at: time.Duration(i) * time.Second, goroutines: v, rss: 100e6, seated: 10})
		}
		return out
	}
	for _, tt := range []struct {
		name string
		g    []float64
		ok   bool
	}{
		{"flat with noise", []float64{900, 750, 850, 880, 820, 860, 700, 900, 880}, true},
		{"growing", []float64{500, 520, 540, 600, 650, 700, 800, 850, 900}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			s := &soak{opt: options{ccu: 10, flat: 0.10}, out: &out, samples: mk(tt.g...)}
			ok, err := s.report(t.Context())
			require.NoError(t, err)
			require.Equal(t, tt.ok, ok, out.String())
		})
	}
}

// The run fails when it churned less than asked (a loaded machine that
// could not keep the pace did not run the soak it claims).
func TestReportChurnRate(t *testing.T) {
	samples := []sample{{goroutines: 100, rss: 1e8, seated: 100}, {goroutines: 100, rss: 1e8, seated: 100}}
	for _, tt := range []struct {
		ops int64
		ok  bool
	}{{60, true}, {57, true}, {50, false}} {
		var out bytes.Buffer
		s := &soak{opt: options{ccu: 100, churn: 0.30, duration: 2 * time.Minute, flat: 0.10}, out: &out, samples: samples}
		s.churnOps.Store(tt.ops)
		ok, err := s.report(t.Context())
		require.NoError(t, err)
		require.Equal(t, tt.ok, ok, out.String())
		require.Contains(t, out.String(), "of 60 (")
	}
}
