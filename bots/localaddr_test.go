package bots

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Config.LocalAddr is the source address the server sees on a WebSocket
// dial (here the handshake is refused; only its source matters).
func TestLocalAddrIsTheWebSocketSource(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case got <- r.RemoteAddr:
		default:
		}
		http.Error(w, "not an Engine.IO server", http.StatusBadRequest)
	}))
	defer srv.Close()
	c, err := New(Config{URL: srv.URL, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 7)}})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.Error(t, c.Connect(ctx))
	select {
	case addr := <-got:
		host, _, err := net.SplitHostPort(addr)
		require.NoError(t, err)
		require.Equal(t, "127.0.0.7", host)
	default:
		t.Fatal("the server saw no request")
	}
}
