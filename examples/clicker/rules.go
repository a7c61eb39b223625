package clicker

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/roomcast/roomcast/rooms"
)

// Rules.
const (
	DefaultRound        = 20 * time.Second
	DefaultIntermission = 5 * time.Second
	// MinPhase and MaxPhase bound the round options.
	MinPhase = 500 * time.Millisecond
	MaxPhase = 10 * time.Minute
	// MaxClicksPerInput bounds an input's n.
	MaxClicksPerInput = 10
	// MaxNameRunes bounds a player's name; longer names are cut.
	MaxNameRunes = 16
	DefaultName  = "player"
)

// Emotes returns the emotes a player may send with msg("emote", emote).
func Emotes() []string { return []string{"👍", "🎉", "😮", "😂"} }

// Rounds are a room's phase lengths.
type Rounds struct {
	Round, Intermission time.Duration
}

// ParseRounds reads the room options "roundSeconds" and
// "intermissionSeconds" (numbers, MinPhase..MaxPhase; absent means the
// default).
func ParseRounds(opts rooms.Options) (Rounds, error) {
	round, err := phaseOption(opts, OptionRoundSeconds, DefaultRound)
	if err != nil {
		return Rounds{}, err
	}
	pause, err := phaseOption(opts, OptionIntermissionSeconds, DefaultIntermission)
	if err != nil {
		return Rounds{}, err
	}
	return Rounds{Round: round, Intermission: pause}, nil
}

func phaseOption(opts rooms.Options, key string, def time.Duration) (time.Duration, error) {
	if _, ok := opts[key]; !ok {
		return def, nil
	}
	s := opts.Float(key, math.NaN())
	if math.IsNaN(s) || s < MinPhase.Seconds() || s > MaxPhase.Seconds() {
		return 0, fmt.Errorf("clicker: option %s %v: want seconds in %v..%v", key, opts[key], MinPhase.Seconds(), MaxPhase.Seconds())
	}
	return time.Duration(s * float64(time.Second)), nil
}

// Clicks returns how many clicks an input payload {n} carries: n when it
// is a whole number in 1..MaxClicksPerInput, 1 when n is absent ({}), and
// 0 for anything else (the input is ignored).
func Clicks(payload any) int {
	m, ok := payload.(map[string]any)
	if !ok {
		return 0
	}
	if _, ok := m["n"]; !ok {
		return 1
	}
	n := rooms.Options(m).Int("n", 0)
	if n < 1 || n > MaxClicksPerInput {
		return 0
	}
	return int(n)
}

// PlayerName returns the name a joiner asked for, trimmed and cut to
// MaxNameRunes runes, or DefaultName.
func PlayerName(opts rooms.Options) string {
	name := strings.TrimSpace(strings.ToValidUTF8(opts.String(OptionName, ""), ""))
	if utf8.RuneCountInString(name) > MaxNameRunes {
		name = string([]rune(name)[:MaxNameRunes])
	}
	if name == "" {
		return DefaultName
	}
	return name
}

// winner returns the session id of the round's winner: the highest
// score, ties going to whoever reached it first; "" when nobody scored.
func winner(s *State) string {
	best, bestID := (*Player)(nil), ""
	for id, p := range s.Players.All() {
		if p.Score.Get() == 0 {
			continue
		}
		if best == nil || p.Score.Get() > best.Score.Get() ||
			(p.Score.Get() == best.Score.Get() && p.scoredAt < best.scoredAt) {
			best, bestID = p, id
		}
	}
	return bestID
}

// secondsLeft rounds d up to whole seconds.
func secondsLeft(d time.Duration) uint16 {
	if d <= 0 {
		return 0
	}
	return uint16(min((d+time.Second-1)/time.Second, math.MaxUint16))
}
