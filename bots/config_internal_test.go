package bots

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfig_EngineURL(t *testing.T) {
	cases := []struct {
		name, url, path, transport, want string
	}{
		{"root", "http://127.0.0.1:2567", "", "websocket", "ws://127.0.0.1:2567/socket.io/?EIO=4&transport=websocket"},
		{"root slash", "http://127.0.0.1:2567/", "", "polling", "http://127.0.0.1:2567/socket.io/?EIO=4&transport=polling"},
		{"own path", "https://h", "/rt/", "websocket", "wss://h/rt/?EIO=4&transport=websocket"},
		{"proxy prefix", "https://play.example.com/n2", "", "polling", "https://play.example.com/n2/socket.io/?EIO=4&transport=polling"},
		{"proxy prefix slash", "https://play.example.com/n2/", "", "websocket", "wss://play.example.com/n2/socket.io/?EIO=4&transport=websocket"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Config{URL: tc.url, Path: tc.path}.withDefaults().engineURL(tc.transport, "")
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestRedirectConfig(t *testing.T) {
	base := Config{URL: "http://a:1", Path: "/rt/", Transport: TransportPolling, Parser: ParserDefault,
		Namespace: "/", Auth: map[string]any{"k": "v"}}
	cfg, err := redirectConfig(base, "https://play.example.com/n2")
	require.NoError(t, err)
	want := base
	want.URL = "https://play.example.com/n2"
	require.Equal(t, want, cfg)

	for _, bad := range []string{"ftp://x", "//nohost", "http://", "::"} {
		_, err := redirectConfig(base, bad)
		require.Error(t, err, bad)
	}
}
