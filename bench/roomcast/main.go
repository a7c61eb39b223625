// Command roomcast is the benchmark's roomcast server: transport/socketio
// over transport/engineio, rooms with the arena v1 room type (bench/arena)
// attached through rooms/roomsio. It serves only what the benchmark needs
// (cmd/gameserver is the real binary).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/roomcast/roomcast/bench/arena"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
	"github.com/roomcast/roomcast/transport/socketio"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:2567", "listen address (loopback)")
	quantized := flag.Bool("quantized", false, "arena positions as statesync.Fixed (1/32 steps)")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this loopback address")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sio, err := socketio.NewServer(socketio.Config{Logger: logger})
	if err != nil {
		log.Fatal(err)
	}
	rs, err := rooms.NewServer(rooms.Config{Logger: logger})
	if err != nil {
		log.Fatal(err)
	}
	if err := rs.Define("arena", arena.New(*quantized), rooms.Settings{TickRate: 20, MaxClients: 8}); err != nil {
		log.Fatal(err)
	}
	roomsio.Attach(rs, sio.Of("/"))
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", sio)
	if *pprofAddr != "" {
		go func() { _ = http.ListenAndServe(*pprofAddr, http.DefaultServeMux) }()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("roomcast listening on", ln.Addr())
	hs := &http.Server{Handler: mux}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		_ = rs.Shutdown(sctx)
		_ = sio.Shutdown(sctx)
		_ = hs.Close()
	}()
	_ = hs.Serve(ln)
}
