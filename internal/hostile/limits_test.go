package hostile_test

import (
	"time"

	"github.com/roomcast/roomcast/host"
)

// testLimits shortens the server's time limits so that the attacks are
// repelled within the test's time (the defaults, 30 s and 10 s, are
// lenient for players on slow networks), and the reconnection grace so
// that a flood's abandoned rooms are gone (and their goroutines with
// them) within seconds; the rules are the same. The attackers and the
// honest players connect over loopback, which the per-IP limits leave
// alone unless LimitLoopback is set.
func testLimits(cfg *host.Config) {
	cfg.LimitLoopback = true
	cfg.IdleTimeout = 2 * time.Second
	cfg.PostTimeout = 3 * time.Second
	cfg.ReconnectGrace = 3 * time.Second
}
