// Command roomcast is the benchmark's roomcast server: transport/socketio
// over transport/engineio, rooms with the arena v1 room type
// (examples/arena in bench mode: movement only) attached through
// rooms/roomsio. It serves only what the benchmark needs; cmd/gameserver is
// the real binary (it did not serve the arena yet when this was written).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
	"github.com/roomcast/roomcast/tick"
	"github.com/roomcast/roomcast/transport/socketio"
)

// BenchStats is what /benchstats returns (cumulative).
type BenchStats struct {
	Lateness bots.HistogramSnapshot // tick start minus its schedule, every room
	Duration bots.HistogramSnapshot // tick step time (game + encode + fan-out)
	Skipped  int64                  // tick slots skipped while catching up
	Rooms    rooms.Stats
}

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
	// tick lateness and duration of every room, for the sweep
	var lateness, duration bots.Histogram
	var skipped atomic.Int64
	settings := arena.Settings()
	settings.Observer = tick.ObserverFuncs{
		OnStep: func(s tick.StepStats) { lateness.Record(s.Lateness); duration.Record(s.Duration) },
		OnSkip: func(s tick.SkipStats) { skipped.Add(int64(s.Steps)) },
	}
	cfg := arena.Config{Mode: arena.ModeBench, Quantized: *quantized}
	if err := arena.Define(rs, arena.RoomType, cfg, settings); err != nil {
		log.Fatal(err)
	}
	roomsio.Attach(rs, sio.Of("/"))
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", sio)
	mux.HandleFunc("/benchstats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(BenchStats{Lateness: lateness.Snapshot(), Duration: duration.Snapshot(),
			Skipped: skipped.Load(), Rooms: rs.Stats()})
	})
	if *pprofAddr != "" {
		go func() { _ = http.ListenAndServe(*pprofAddr, http.DefaultServeMux) }()
	}
	if host, _, err := net.SplitHostPort(*addr); err != nil || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
		log.Fatalf("roomcast: -addr %q: loopback only", *addr)
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
