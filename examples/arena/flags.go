package arena

import (
	"flag"
	"fmt"
	"strconv"

	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/tick"
)

// Options are the arena's part of a server's command line: the defaults
// of new rooms and the tick rate. The zero value is the arena as
// designed (play mode, float32 positions, TickRate).
type Options struct {
	Config
	// TickRate overrides the room type's TickRate (20 Hz) when not zero.
	TickRate int
}

// AddFlags binds the options to fs: --arena-mode, --quantized, --packed
// and --tick-rate (with package host, also ROOMCAST_ARENA_MODE, …). Values
// are checked as they are set, so a bad one is a flag error naming the
// flag.
func (o *Options) AddFlags(fs *flag.FlagSet) {
	if o.Mode == "" {
		o.Mode = ModePlay
	}
	fs.Var(modeFlag{&o.Mode}, "arena-mode", `default arena room mode: "play" (pickups, collisions) or "bench" (movement only, the benchmark workload)`)
	fs.BoolVar(&o.Quantized, "quantized", o.Quantized, "arena positions quantized to 1/32 (statesync.Fixed) unless a room's creator chooses")
	fs.BoolVar(&o.Packed, "packed", o.Packed, `arena positions quantized and packed into one field "pos" (statesync.Fixed2) unless a room's creator chooses`)
	fs.Var(tickRateFlag{&o.TickRate}, "tick-rate", fmt.Sprintf("arena tick rate in Hz, %d..%d (0: the arena's %d)", tick.MinRate, tick.MaxRate, TickRate))
}

// Validate reports the first invalid option, naming its flag.
func (o Options) Validate() error {
	if o.Mode != "" && o.Mode != ModePlay && o.Mode != ModeBench {
		return fmt.Errorf("arena: --arena-mode %q: want %q or %q", o.Mode, ModePlay, ModeBench)
	}
	if o.TickRate != 0 && (o.TickRate < tick.MinRate || o.TickRate > tick.MaxRate) {
		return fmt.Errorf("arena: --tick-rate %d: want %d..%d", o.TickRate, tick.MinRate, tick.MaxRate)
	}
	return o.Config.Validate()
}

// NewGame returns the game of one room with o's defaults (the newGame of
// rooms.Server.Define or host.Server.Define).
func (o Options) NewGame() rooms.Game { return NewGame(o.Config) }

// Settings returns Settings() with o.TickRate when set.
func (o Options) Settings() rooms.Settings {
	s := Settings()
	if o.TickRate != 0 {
		s.TickRate = o.TickRate
	}
	return s
}

// modeFlag is --arena-mode: ModePlay or ModeBench.
type modeFlag struct{ mode *string }

func (f modeFlag) String() string {
	if f.mode == nil {
		return ""
	}
	return *f.mode
}

func (f modeFlag) Set(v string) error {
	if v != ModePlay && v != ModeBench {
		return fmt.Errorf("want %q or %q", ModePlay, ModeBench)
	}
	*f.mode = v
	return nil
}

// tickRateFlag is --tick-rate: 0 or tick.MinRate..tick.MaxRate.
type tickRateFlag struct{ rate *int }

func (f tickRateFlag) String() string {
	if f.rate == nil {
		return "0"
	}
	return strconv.Itoa(*f.rate)
}

func (f tickRateFlag) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("want a whole number of Hz")
	}
	if n != 0 && (n < tick.MinRate || n > tick.MaxRate) {
		return fmt.Errorf("want %d..%d (or 0)", tick.MinRate, tick.MaxRate)
	}
	*f.rate = n
	return nil
}
