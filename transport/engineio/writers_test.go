package engineio

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// poolState returns the shared writers' running and attached counts.
func poolState(s *Server) (workers, users int) {
	s.writers.mu.Lock()
	defer s.writers.mu.Unlock()
	return s.writers.workers, s.writers.users
}

// With inline writes off, frames sent one at a time to an idle session
// (each one finds the queue empty, as a room's tick does) are written by
// the shared writers: they arrive whole and in order, the server never
// runs more writer goroutines than WriteWorkers, and none is left once
// the last WebSocket is gone.
func TestSharedWritersWriteIdleSessions(t *testing.T) {
	ts := startServer(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour, DisableInlineWrites: true, WriteWorkers: 2})
	type client struct {
		conn interface{ Close() error }
		rec  *recorder
		read func() (byte, []byte)
	}
	clients := make([]client, 3)
	for i := range clients {
		conn, br := rawWS(t, ts)
		op, open := readWSFrame(t, conn, br)
		require.Equal(t, byte(1), op)
		require.Equal(t, byte('0'), open[0])
		clients[i] = client{conn: conn, rec: ts.nextConn(t), read: func() (byte, []byte) { return readWSFrame(t, conn, br) }}
	}
	// A session attaches to the writers after its open packet is queued,
	// so the client may read that packet first.
	require.Eventually(t, func() bool {
		_, users := poolState(ts.Server)
		return users == 3
	}, waitFor, time.Millisecond, "three sessions attached to the shared writers")
	workers, _ := poolState(ts.Server)
	require.LessOrEqual(t, workers, 2)

	for i := range 300 {
		for j, c := range clients {
			data := []byte(fmt.Sprintf("frame %d to %d", i, j))
			if i%2 == 0 {
				queued, err := c.rec.conn.SendCopy(data, true, true)
				require.NoError(t, err)
				require.True(t, queued)
			} else {
				require.NoError(t, c.rec.conn.Send(TextFrame(data)))
			}
		}
		for j, c := range clients {
			op, got := c.read()
			want := fmt.Sprintf("frame %d to %d", i, j)
			if i%2 == 0 {
				require.Equal(t, byte(2), op)
			} else {
				require.Equal(t, byte(1), op)
				want = "4" + want
			}
			require.Equal(t, want, string(got))
		}
		workers, _ := poolState(ts.Server)
		require.LessOrEqual(t, workers, 2, "writer goroutines")
	}
	require.Eventually(t, func() bool { return ts.Stats().FramesOut == 903 }, waitFor, time.Millisecond, "900 frames and the open packets")

	for _, c := range clients {
		_ = c.conn.Close()
		c.rec.waitClose(t)
	}
	require.Eventually(t, func() bool {
		workers, users := poolState(ts.Server)
		return workers == 0 && users == 0
	}, waitFor, time.Millisecond)
}

// SendCopy's frames are recycled once written: the copy is the caller's
// data at the time of the call, whatever the caller's buffer holds later,
// and a dropped copy is not sent.
func TestSendCopyOwnsItsCopy(t *testing.T) {
	for _, disable := range []bool{false, true} {
		t.Run(fmt.Sprintf("DisableInlineWrites=%v", disable), func(t *testing.T) {
			ts := startServer(t, Config{PingInterval: time.Hour, PingTimeout: time.Hour, DisableInlineWrites: disable,
				SendQueueFrames: 4})
			conn, br := rawWS(t, ts)
			_, _ = readWSFrame(t, conn, br) // open
			rec := ts.nextConn(t)
			buf := []byte("aaaa")
			for i := range 50 {
				for j := range buf {
					buf[j] = byte('a' + i%26)
				}
				queued, err := rec.conn.SendCopy(buf, false, false)
				require.NoError(t, err)
				require.True(t, queued)
				clear(buf) // the caller reuses its buffer at once
				op, got := readWSFrame(t, conn, br)
				require.Equal(t, byte(1), op)
				require.Equal(t, "4"+string([]byte{byte('a' + i%26), byte('a' + i%26), byte('a' + i%26), byte('a' + i%26)}), string(got))
			}
			queued, err := rec.conn.SendCopy(make([]byte, 10), true, true, BinaryFrame(nil), BinaryFrame(nil), BinaryFrame(nil), BinaryFrame(nil))
			require.NoError(t, err)
			require.False(t, queued, "5 frames do not fit a queue of 4")
			require.Equal(t, uint64(5), ts.Stats().DroppedFrames)
		})
	}
}
