package host

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/roomcast/roomcast/rooms"
)

// rateFlag is a rooms.Rate on the command line: "RATE/BURST" (requests a
// second, at once), "RATE" (burst: one second's worth, at least 1), "off"
// (no limit), or "" / "0" (the default).
type rateFlag struct{ r *rooms.Rate }

func (f rateFlag) String() string {
	if f.r == nil || f.r.PerSecond == 0 {
		return ""
	}
	if f.r.PerSecond < 0 {
		return "off"
	}
	return strconv.FormatFloat(f.r.PerSecond, 'g', -1, 64) + "/" + strconv.Itoa(f.r.Burst)
}

func (f rateFlag) Set(s string) error {
	s = strings.TrimSpace(s)
	switch s {
	case "", "0":
		*f.r = rooms.Rate{}
		return nil
	case "off":
		*f.r = rooms.Rate{PerSecond: -1}
		return nil
	}
	rate, burst, hasBurst := strings.Cut(s, "/")
	r, err := strconv.ParseFloat(rate, 64)
	if err != nil || r <= 0 {
		return fmt.Errorf("want RATE/BURST (requests a second / at once, like 0.5/3) or off, not %q", s)
	}
	b := max(1, int(r))
	if hasBurst {
		if b, err = strconv.Atoi(burst); err != nil || b < 1 {
			return fmt.Errorf("want RATE/BURST with a positive whole BURST, not %q", s)
		}
	}
	*f.r = rooms.Rate{PerSecond: r, Burst: b}
	return nil
}
