package host_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/roomcast/roomcast/host"
	"github.com/roomcast/roomcast/rooms"
)

// nopGame is a room type with no rules (a real one mutates tracked state
// in its hooks; see package rooms).
type nopGame struct{ rooms.Game }

// A server with a room type of its own, a handler and a collector of the
// game's, answering health checks; Run would listen on Config.Addr and
// drain when its context ends.
func ExampleNew() {
	srv, err := host.New(host.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		panic(err)
	}
	defer srv.Drain(context.Background()) // what Run does on cancel
	if err := srv.Define("lobby", func() rooms.Game { return nopGame{} }, rooms.Settings{MaxClients: 4}); err != nil {
		panic(err)
	}
	matches := prometheus.NewCounter(prometheus.CounterOpts{Name: "mygame_matches_total", Help: "Matches played."})
	srv.Registry().MustRegister(matches)
	if err := srv.Handle("GET /version", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "v1")
	})); err != nil {
		panic(err)
	}
	for _, path := range []string{host.PathHealthz, host.PathReadyz, "/version"} {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		fmt.Print(path, " ", rec.Code, " ", rec.Body.String())
	}
	// Output:
	// /healthz 200 ok
	// /readyz 200 ready
	// /version 200 v1
}

// A game server's whole main; flags and ROOMCAST_* variables configure it
// (--help lists them), SIGTERM drains it.
func ExampleMain() {
	var motd string
	host.Main(func(srv *host.Server) error {
		srv.Logger().Info("message of the day", "motd", motd)
		return srv.Define("lobby", func() rooms.Game { return nopGame{} }, rooms.Settings{})
	},
		host.Description("lobby: a game server with one room type"),
		host.Flags(func(fs *flag.FlagSet) { fs.StringVar(&motd, "motd", "hello", "message of the day") }),
	)
}
