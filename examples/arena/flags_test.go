package arena_test

import (
	"flag"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/examples/arena"
)

func TestOptionsFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		want    arena.Options
		wantErr string
	}{
		{name: "defaults", want: arena.Options{Config: arena.Config{Mode: arena.ModePlay}}},
		{name: "all", args: []string{"-arena-mode", "bench", "-quantized", "--packed=true", "--tick-rate", "60"},
			want: arena.Options{Config: arena.Config{Mode: arena.ModeBench, Quantized: true, Packed: true}, TickRate: 60}},
		{name: "tick rate zero is the arena's", args: []string{"--tick-rate", "0"}, want: arena.Options{Config: arena.Config{Mode: arena.ModePlay}}},
		{name: "bad mode", args: []string{"--arena-mode", "ctf"}, wantErr: `invalid value "ctf" for flag -arena-mode: want "play" or "bench"`},
		{name: "bad tick rate", args: []string{"--tick-rate", "1001"}, wantErr: `invalid value "1001" for flag -tick-rate: want 1..1000 (or 0)`},
		{name: "tick rate not a number", args: []string{"--tick-rate", "fast"}, wantErr: "want a whole number of Hz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var o arena.Options
			fs := flag.NewFlagSet("arena", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			o.AddFlags(fs)
			err := fs.Parse(tc.args)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, o)
			require.NoError(t, o.Validate())
		})
	}
}

func TestOptionsSettingsAndGame(t *testing.T) {
	t.Parallel()
	// Functions compare unequal however they are made: compare the rest,
	// and that both decode inputs.
	want, got := arena.Settings(), arena.Options{}.Settings()
	require.NotNil(t, want.Input)
	require.NotNil(t, got.Input)
	want.Input, got.Input = nil, nil
	require.Equal(t, want, got)
	s := arena.Options{TickRate: 30}.Settings()
	require.Equal(t, 30, s.TickRate)
	require.True(t, s.ManualInputAck, "play mode acks inputs itself")
	require.IsType(t, &arena.Game{}, arena.Options{}.NewGame())

	require.ErrorContains(t, arena.Options{Config: arena.Config{Mode: "ctf"}}.Validate(), `--arena-mode "ctf"`)
	require.ErrorContains(t, arena.Options{TickRate: -1}.Validate(), "--tick-rate -1")
	require.ErrorContains(t, arena.Options{Config: arena.Config{Pickups: 5000}}.Validate(), "Pickups 5000")
}
