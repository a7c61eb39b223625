package roomsio

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/roomcast/roomcast/rooms"
)

// The redirect reply of PROTOCOL.md ("Several nodes: redirects").
func TestErrorAckRedirect(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want map[string]any
	}{
		{"join", &rooms.Error{Code: rooms.CodeRedirect, Message: "elsewhere",
			Redirect: &rooms.Redirect{URL: "http://10.0.0.12:2567", Claim: "k3Jd9", RoomID: "Qm9z"}},
			map[string]any{"ok": false, "error": map[string]any{"code": "redirect", "message": "elsewhere"},
				"redirect": map[string]any{"url": "http://10.0.0.12:2567", "claim": "k3Jd9", "roomId": "Qm9z"}}},
		{"resume", &rooms.Error{Code: rooms.CodeRedirect, Message: "elsewhere", Redirect: &rooms.Redirect{URL: "http://b"}},
			map[string]any{"ok": false, "error": map[string]any{"code": "redirect", "message": "elsewhere"},
				"redirect": map[string]any{"url": "http://b"}}},
		{"node gone", &rooms.Error{Code: rooms.CodeNodeGone, Message: "gone"},
			map[string]any{"ok": false, "error": map[string]any{"code": "node_gone", "message": "gone"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, errorAck(tc.err)) })
	}
}
