package roomsio_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/internal/roomstest"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
)

// rooms.claim's arguments are checked; a single server holds no claim.
func TestClaimOnASingleServer(t *testing.T) {
	rs, err := rooms.NewServer(rooms.Config{Logger: discardLogger()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = rs.Shutdown(t.Context()) })
	tests := []struct {
		name string
		args []any
		code string
	}{
		{"no argument", nil, rooms.CodeBadRequest},
		{"not an object", []any{"k3Jd9"}, rooms.CodeBadRequest},
		{"no claim", []any{map[string]any{}}, rooms.CodeBadRequest},
		{"empty claim", []any{map[string]any{"claim": ""}}, rooms.CodeBadRequest},
		{"claim not a string", []any{map[string]any{"claim": int64(7)}}, rooms.CodeBadRequest},
		{"a claim", []any{map[string]any{"claim": "k3Jd9"}}, rooms.CodeClaimInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sess := rs.Connect(roomstest.NopConn{}, rooms.ConnInfo{})
			got := make(chan map[string]any, 1)
			roomsio.Dispatch(sess, roomsio.EventClaim, tc.args, func(args ...any) { got <- args[0].(map[string]any) })
			select {
			case ack := <-got:
				assert.Equal(t, false, ack["ok"])
				assert.Equal(t, tc.code, ack["error"].(map[string]any)["code"])
				assert.NotContains(t, ack, "redirect")
			case <-time.After(10 * time.Second):
				t.Fatal("no ack")
			}
		})
	}
}
