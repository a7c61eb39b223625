package engineio

import (
	"net/http"
	"testing"

	"github.com/lxzan/gws"
	"github.com/stretchr/testify/require"
)

// A text message that is not UTF-8 is refused: over WebSocket the
// connection fails with 1007 (RFC 6455 §8.1), over polling the POST gets
// 400; either way the session closes and the handler sees no message.
func TestInvalidUTF8Refused(t *testing.T) {
	invalid := "4\xff\xfeplayer"

	t.Run("websocket", func(t *testing.T) {
		ts := startServer(t, Config{})
		c, _, err := dialWS(t, ts, "EIO=4&transport=websocket", nil)
		require.NoError(t, err)
		rec := ts.nextConn(t)
		parseOpen(t, c.next(t).data)
		require.NoError(t, c.conn.WriteString(invalid))
		c.waitClosed(t)
		var ce *gws.CloseError
		require.ErrorAs(t, c.closeErr, &ce)
		require.Equal(t, uint16(1007), ce.Code)
		require.Equal(t, ReasonTransportError, rec.waitClose(t).reason)
		require.Empty(t, rec.msgs)
	})

	t.Run("polling", func(t *testing.T) {
		ts := startServer(t, Config{})
		p, _ := dialPoll(t, ts)
		rec := ts.nextConn(t)
		status, _ := p.post(invalid)
		require.Equal(t, http.StatusBadRequest, status)
		require.Equal(t, ReasonParseError, rec.waitClose(t).reason)
		require.Empty(t, rec.msgs)
	})
}
