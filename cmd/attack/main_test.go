package main

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/internal/hostile"
	"github.com/roomcast/roomcast/internal/syncbuf"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
		check   func(t *testing.T, o options)
	}{
		{name: "defaults", args: nil, check: func(t *testing.T, o options) {
			require.Equal(t, allAttacks, o.attacks)
			require.False(t, o.small)
			require.Equal(t, 7, o.honest)
		}},
		{name: "some attacks, small", args: []string{"-attacks", "idle,utf8", "-size", "small", "-url", "http://[::1]:1"},
			check: func(t *testing.T, o options) {
				require.Equal(t, []string{"idle", "utf8"}, o.attacks)
				require.True(t, o.small)
			}},
		{name: "localhost", args: []string{"-url", "http://localhost:2567"}},
		{name: "not loopback", args: []string{"-url", "http://10.0.0.1:2567"}, wantErr: "loopback only"},
		{name: "a name", args: []string{"-url", "http://example.com"}, wantErr: "loopback only"},
		{name: "unknown attack", args: []string{"-attacks", "idle,nuke"}, wantErr: `unknown attack "nuke"`},
		{name: "bad size", args: []string{"-size", "huge"}, wantErr: `-size "huge"`},
		{name: "too many honest", args: []string{"-honest", "8"}, wantErr: "-honest 8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parse(tt.args, io.Discard)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			if tt.check != nil {
				tt.check(t, o)
			}
		})
	}
}

// Without a server at -url the command fails at once with exit code 1.
func TestRunWithoutServer(t *testing.T) {
	var stderr syncbuf.Buffer
	code := run([]string{"-url", "http://127.0.0.1:1", "-attacks", "utf8"}, io.Discard, &stderr)
	require.Equal(t, 1, code)
	require.Contains(t, stderr.String(), "no server metrics")
}

// The bar fails a window for each rule the honest players' figures break.
func TestBar(t *testing.T) {
	good := hostile.HonestSample{FramesPerS: 20, MaxGap: 80 * time.Millisecond}
	r := &runner{quiet: row{latP99: 0.002}}
	for _, tc := range []struct {
		name string
		rw   row
		want string
	}{
		{"ok", row{name: "list", honest: good, latP99: 0.004}, "ok"},
		{"late", row{name: "list", honest: good, latP99: 0.0092}, "FAIL: lateness p99 4.6× the quiet baseline"},
		{"slow frames and a gap", row{name: "rooms", honest: hostile.HonestSample{FramesPerS: 16.2, MaxGap: 2013 * time.Millisecond}, latP99: 0.001},
			"FAIL: 16.2 frames/s < 18, gap 2.013s > 1 s"},
		{"goroutines stay", row{name: "idle", honest: good, before: proc{goroutines: 20}, after: proc{goroutines: 274}, settled: true}, "FAIL: goroutines 20 → 274"},
		{"not waited for", row{name: "rooms", honest: good, before: proc{goroutines: 20}, after: proc{goroutines: 140}}, "ok"},
		{"drain disconnects are expected", row{name: "drain", honest: hostile.HonestSample{Disconnects: 7}, latP99: 0.003}, "ok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, r.bar(tc.rw))
		})
	}
}
