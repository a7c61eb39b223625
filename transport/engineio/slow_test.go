package engineio

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Finding 6: a WebSocket client that stops reading is closed as a slow
// consumer by its own rule (writes stalled for WriteTimeout), not by the
// ping timeout, after the socket buffers and the queue took a bounded
// amount (SocketSendBuffer, SendQueueBytes), while frames keep coming at
// a steady rate as a room's ticks send them.
// With inline writes off, the shared writers meet the full socket and hand
// the session to a writer goroutine of its own, which the same rule stops.
func TestStalledReaderClosedAsSlowConsumer(t *testing.T) {
	for _, disable := range []bool{false, true} {
		t.Run(fmt.Sprintf("DisableInlineWrites=%v", disable), func(t *testing.T) { testStalledReader(t, disable) })
	}
}

func testStalledReader(t *testing.T, disableInline bool) {
	ts := startServer(t, Config{PingInterval: time.Minute, PingTimeout: time.Minute, WriteTimeout: 500 * time.Millisecond,
		DisableInlineWrites: disableInline})
	line, _ := rawWebSocketRequest(t, ts, "EIO=4&transport=websocket", "") // never read from again
	require.Equal(t, "101 Switching Protocols", line)
	rec := ts.nextConn(t)

	frame := TextFrame(bytes.Repeat([]byte("x"), 1000))
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	giveUp := time.After(30 * time.Second)
	accepted := 0
	for {
		select {
		case ev := <-rec.closed:
			t.Logf("closed (%v) after %d bytes were taken", ev.reason, accepted)
			require.Equal(t, ReasonSlowConsumer, ev.reason, "%v", ev.err)
			require.ErrorIs(t, ev.err, ErrSlowConsumer)
			require.Less(t, accepted, 2<<20, "bytes taken before the client was dropped")
			require.Equal(t, uint64(1), ts.Stats().SlowConsumerCloses)
			return
		case <-giveUp:
			t.Fatalf("a client that reads nothing is still open after %d bytes were sent to it", accepted)
		case <-tick.C:
		}
		if rec.conn.Send(frame) == nil {
			accepted += frame.size()
		}
	}
}

// A long-polling client that stops sending GETs while packets wait for it
// is closed as a slow consumer, long before its ping times out.
func TestStalledPollerClosedAsSlowConsumer(t *testing.T) {
	ts := startServer(t, Config{PingInterval: time.Minute, PingTimeout: time.Minute, WriteTimeout: 200 * time.Millisecond})
	dialPoll(t, ts) // and never polls
	rec := ts.nextConn(t)
	require.NoError(t, rec.conn.Send(TextFrame([]byte("state"))))
	ev := rec.waitClose(t)
	require.Equal(t, ReasonSlowConsumer, ev.reason)
	require.ErrorIs(t, ev.err, ErrSlowConsumer)
	require.Equal(t, uint64(1), ts.Stats().SlowConsumerCloses)
}
