package engineio

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzPollingPOST sends the input as a polling POST body to a fresh session
// (in memory, no network): the server answers 200, 400 or 413, never
// panics, and a session that answered other than 200 is closed.
func FuzzPollingPOST(f *testing.F) {
	for _, s := range []string{
		"4hello", "4a\x1e4b", "bAQID", "3", "1", "6", "4x\x1e1\x1e4y", "5", "2probe", "", "\x1e", "b!!", "4\x1e\x1e4",
		"0{}", "9", `42["event",{"a":1}]`, "451-[\"b\",{\"_placeholder\":true,\"num\":0}]\x1ebAQID",
	} {
		f.Add([]byte(s))
	}
	srv, err := NewServer(Config{MaxPayload: 1 << 12})
	require.NoError(f, err)
	got := 0
	srv.OnConnection(func(c *Conn) {
		c.SetHandler(funcHandler{msg: func(data []byte) { got += len(data) }})
	})
	f.Cleanup(func() { require.NoError(f, srv.Shutdown(context.Background())) })

	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/socket.io/?EIO=4&transport=polling", nil))
		require.Equal(t, http.StatusOK, rec.Code)
		sid := parseOpen(t, rec.Body.String()).Sid
		c := srv.lookup(sid)
		require.NotNil(t, c)
		defer c.Close(ReasonForcedClose)

		rec = httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/socket.io/?EIO=4&transport=polling&sid="+sid, strings.NewReader(string(body)))
		srv.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			c.mu.Lock()
			closed := c.closed
			c.mu.Unlock()
			require.True(t, closed, "answered %d but the session is open", rec.Code)
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}
