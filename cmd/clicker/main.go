// Command clicker serves the clicker game of examples/clicker with its
// page at "/", on package host (flags with ROOMCAST_* variables, metrics,
// health checks, graceful drain):
//
//	go run ./cmd/clicker                     # http://127.0.0.1:2567
//	go run ./cmd/clicker --addr 127.0.0.1:0  # any free port; prints "listening on http://..."
package main

import (
	"github.com/roomcast/roomcast/examples/clicker"
	"github.com/roomcast/roomcast/host"
)

func main() {
	host.Main(func(srv *host.Server) error {
		srv.Page(clicker.Web())
		return srv.Define(clicker.RoomType, clicker.NewGame, clicker.Settings())
	})
}
