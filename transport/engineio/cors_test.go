package engineio

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The Origin policy: no Origin (not a browser) and the server's own origin
// are always allowed; other origins only when listed (echoed, with
// credentials) or under AnyOrigin ("*", without credentials).
func TestOriginPolicy(t *testing.T) {
	type want struct {
		status      int
		allowOrigin string
		credentials string
	}
	for _, tc := range []struct {
		name    string
		allowed []string
		origin  string // "self" is the server's own origin
		want    want
	}{
		{"default: no Origin", nil, "", want{200, "", ""}},
		{"default: same origin", nil, "self", want{200, "", ""}},
		{"default: foreign origin", nil, "https://evil.example", want{403, "", ""}},
		{"default: null", nil, "null", want{403, "", ""}},
		{"default: same host, other port", nil, "http://127.0.0.1:1", want{403, "", ""}},
		{"list: listed", []string{"https://ok.example"}, "https://ok.example", want{200, "https://ok.example", "true"}},
		{"list: same origin", []string{"https://ok.example"}, "self", want{200, "", ""}},
		{"list: not listed", []string{"https://ok.example"}, "https://evil.example", want{403, "", ""}},
		{"list: listed null", []string{"null"}, "null", want{200, "null", "true"}},
		{"any: foreign origin", []string{AnyOrigin}, "https://evil.example", want{200, "*", ""}},
		{"any: null", []string{AnyOrigin}, "null", want{200, "*", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServer(t, Config{AllowedOrigins: tc.allowed})
			origin := tc.origin
			if origin == "self" {
				origin = "http://" + ts.addr
			}
			for _, method := range []string{http.MethodOptions, http.MethodGet} {
				req, err := http.NewRequest(method, ts.url("EIO=4&transport=polling"), nil)
				require.NoError(t, err)
				if origin != "" {
					req.Header.Set("Origin", origin)
				}
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				resp.Body.Close()
				status := tc.want.status
				if status == 200 && method == http.MethodOptions {
					status = http.StatusNoContent
				}
				require.Equal(t, status, resp.StatusCode, method)
				require.Equal(t, tc.want.allowOrigin, resp.Header.Get("Access-Control-Allow-Origin"), method)
				require.Equal(t, tc.want.credentials, resp.Header.Get("Access-Control-Allow-Credentials"), method)
			}

			header := ""
			if origin != "" {
				header = "Origin: " + origin + "\r\n"
			}
			line, _ := rawWebSocketRequest(t, ts, "EIO=4&transport=websocket", header)
			if tc.want.status == 200 {
				require.Equal(t, "101 Switching Protocols", line)
				require.Eventually(t, func() bool { return ts.Stats().SessionsOpened == 2 }, waitFor, time.Millisecond)
			} else {
				require.Equal(t, "403 Forbidden", line)
			}
		})
	}
}
