package gameserver_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/roomcast/roomcast/gameserver"
)

// The server is an http.Handler; Run listens on Config.Addr and drains on
// context cancellation.
func ExampleNew() {
	srv, err := gameserver.New(gameserver.Config{
		ArenaMode: "bench",
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	defer srv.Drain(context.Background()) // what Run does on cancel
	for _, path := range []string{gameserver.PathHealthz, gameserver.PathReadyz} {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		fmt.Print(path, " ", rec.Code, " ", rec.Body.String())
	}
	// Output:
	// /healthz 200 ok
	// /readyz 200 ready
}
