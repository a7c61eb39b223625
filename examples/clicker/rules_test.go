package clicker_test

import (
	"math"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/examples/clicker"
	"github.com/roomcast/roomcast/rooms"
)

func TestClicks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload any
		want    int
	}{
		{"empty object is one click", map[string]any{}, 1},
		{"msgpack integer", map[string]any{"n": int64(7)}, 7},
		{"JSON number", map[string]any{"n": 10.0}, 10},
		{"msgpack unsigned", map[string]any{"n": uint64(2)}, 2},
		{"zero", map[string]any{"n": int64(0)}, 0},
		{"negative", map[string]any{"n": -1.0}, 0},
		{"above the bound", map[string]any{"n": int64(clicker.MaxClicksPerInput + 1)}, 0},
		{"fraction", map[string]any{"n": 1.5}, 0},
		{"huge", map[string]any{"n": 1e300}, 0},
		{"NaN", map[string]any{"n": math.NaN()}, 0},
		{"string", map[string]any{"n": "3"}, 0},
		{"null n", map[string]any{"n": nil}, 0},
		{"null payload", nil, 0},
		{"not an object", []any{int64(1)}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, clicker.Clicks(tc.payload)) })
	}
}

func TestParseRounds(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts rooms.Options
		want clicker.Rounds
		err  string
	}{
		{"defaults", nil, clicker.Rounds{Round: 20 * time.Second, Intermission: 5 * time.Second}, ""},
		{"short", rooms.Options{"roundSeconds": int64(2), "intermissionSeconds": 0.5}, clicker.Rounds{Round: 2 * time.Second, Intermission: 500 * time.Millisecond}, ""},
		{"longest", rooms.Options{"roundSeconds": 600.0}, clicker.Rounds{Round: 10 * time.Minute, Intermission: 5 * time.Second}, ""},
		{"too short", rooms.Options{"roundSeconds": 0.4}, clicker.Rounds{}, "clicker: option roundSeconds 0.4: want seconds in 0.5..600"},
		{"too long", rooms.Options{"intermissionSeconds": int64(601)}, clicker.Rounds{}, "clicker: option intermissionSeconds 601: want seconds in 0.5..600"},
		{"not a number", rooms.Options{"roundSeconds": "5"}, clicker.Rounds{}, "clicker: option roundSeconds 5: want seconds in 0.5..600"},
		{"NaN", rooms.Options{"roundSeconds": math.NaN()}, clicker.Rounds{}, "clicker: option roundSeconds NaN: want seconds in 0.5..600"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := clicker.ParseRounds(tc.opts)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestPlayerName(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts rooms.Options
		want string
	}{
		{"given", rooms.Options{"name": "ada"}, "ada"},
		{"trimmed", rooms.Options{"name": "  ada \n"}, "ada"},
		{"absent", nil, clicker.DefaultName},
		{"blank", rooms.Options{"name": "   "}, clicker.DefaultName},
		{"not a string", rooms.Options{"name": int64(5)}, clicker.DefaultName},
		{"cut to 16 runes", rooms.Options{"name": "ääääääääääääääääääää"}, "ää" + "ää" + "ää" + "ää" + "ää" + "ää" + "ää" + "ää"},
		{"invalid UTF-8 dropped", rooms.Options{"name": "a\xffb"}, "ab"},
	} {
		t.Run(tc.name, func(t *testing.T) { require.Equal(t, tc.want, clicker.PlayerName(tc.opts)) })
	}
}

// Whatever a client sends, Clicks stays in 0..MaxClicksPerInput and
// PlayerName returns valid UTF-8 of at most MaxNameRunes runes.
func FuzzInput(f *testing.F) {
	f.Add(int64(1), 1.0, "ada", uint8(0))
	f.Add(int64(11), 2.5, "\xff", uint8(1))
	f.Add(int64(-1), math.Inf(1), "", uint8(2))
	f.Fuzz(func(t *testing.T, i int64, x float64, s string, pick uint8) {
		var n any
		switch pick % 4 {
		case 0:
			n = i
		case 1:
			n = x
		case 2:
			n = s
		case 3:
			n = uint64(i)
		}
		c := clicker.Clicks(map[string]any{"n": n})
		require.True(t, c >= 0 && c <= clicker.MaxClicksPerInput, "%v -> %d", n, c)
		if c > 0 {
			require.EqualValues(t, c, clicker.Clicks(map[string]any{"n": int64(c)}))
		}
		name := clicker.PlayerName(rooms.Options{"name": s})
		require.True(t, utf8.ValidString(name))
		require.LessOrEqual(t, utf8.RuneCountInString(name), clicker.MaxNameRunes)
		require.NotEmpty(t, name)
	})
}
