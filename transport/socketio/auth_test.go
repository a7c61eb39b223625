package socketio

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	siocodec "github.com/roomcast/roomcast/codec/socketio"
)

// A CONNECT without payload gives middlewares and the socket an empty auth
// object (as socket.io does), not nil; a payload is passed as sent.
func TestConnectAuth(t *testing.T) {
	cases := []struct {
		name string
		nsp  string
		auth any
		want map[string]any
	}{
		{"main namespace, no payload", "/", nil, map[string]any{}},
		{"custom namespace, no payload", "/custom", nil, map[string]any{}},
		{"main namespace, payload", "/", map[string]any{"token": "123"}, map[string]any{"token": "123"}},
		{"custom namespace, payload", "/custom", map[string]any{"token": "abc"}, map[string]any{"token": "abc"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			forBothParsers(t, func(t *testing.T, mp bool) {
				srv := newTestServer(t, Config{})
				var middlewareAuth, socketAuth any
				ns := srv.Of(tc.nsp)
				ns.Use(func(s *Socket, auth any) error { middlewareAuth = auth; return nil })
				ns.OnConnection(func(s *Socket) { socketAuth = s.Handshake().Auth })
				client := srv.fakeClient(t, mp)
				reply := client.connect(tc.nsp, tc.auth)
				require.Equal(t, siocodec.Connect, reply.Type)
				assert.Equal(t, tc.want, middlewareAuth)
				assert.Equal(t, tc.want, socketAuth)
			})
		})
	}
}
