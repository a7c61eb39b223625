package engineio

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A polling session that the application closes gracefully while the
// client has left a ping unanswered (socket.io's connect timeout on an
// abandoned handshake) is gone by the pong deadline: it does not wait
// PollDrainWait for a GET that will not come.
func TestAbandonedHandshakeEndsByPingDeadline(t *testing.T) {
	ts := startServer(t, Config{PingInterval: 50 * time.Millisecond, PingTimeout: 300 * time.Millisecond, PollDrainWait: time.Minute})
	dialPoll(t, ts) // and never polls
	rec := ts.nextConn(t)
	require.Eventually(t, func() bool {
		rec.conn.mu.Lock()
		defer rec.conn.mu.Unlock()
		return rec.conn.awaitingPong
	}, waitFor, time.Millisecond)
	rec.conn.Close(ReasonForcedClose) // the ping is still queued: a drain starts
	require.Equal(t, ReasonForcedClose, rec.waitClose(t).reason)
	require.Eventually(t, func() bool { return ts.Stats().Sessions == 0 }, waitFor, time.Millisecond)
}
