// Command floor is the benchmark's floor server: a bare gws WebSocket server
// with the arena v1 shape and no protocol. Clients are grouped in rooms of
// 8 by arrival; each room has its own goroutine that, 20 times a second,
// writes one pre-encoded 115-byte binary frame to each of its clients.
// Whatever clients send (20 small frames a second each) is read and
// discarded. What it costs is the kernel's and gws's share of any server
// with this workload: roomcast's figures are reported as ratios to it.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/lxzan/gws"
)

type room struct {
	mu    sync.Mutex // guards conns
	conns []*gws.Conn
}

type handler struct {
	gws.BuiltinEventHandler
}

func (handler) OnMessage(_ *gws.Conn, m *gws.Message) { m.Close() }

func (r *room) run(ctx context.Context, rate int, frame []byte) {
	t := time.NewTicker(time.Second / time.Duration(rate))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.mu.Lock()
		conns := r.conns
		r.mu.Unlock()
		for _, c := range conns {
			_ = c.WriteMessage(gws.OpcodeBinary, frame)
		}
	}
}

func main() {
	addr := flag.String("addr", "127.0.0.1:2600", "listen address (loopback)")
	size := flag.Int("frame", 115, "bytes per frame")
	rate := flag.Int("rate", 20, "frames per client per second")
	perRoom := flag.Int("room", 8, "clients per room")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	frame := make([]byte, *size)
	// gws defaults (4 KB read buffer), as a bare gws server has
	up := gws.NewUpgrader(handler{}, &gws.ServerOption{Recovery: gws.Recovery})
	var mu sync.Mutex // guards cur, n
	var cur *room
	n := 0
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r)
		if err != nil {
			return
		}
		mu.Lock()
		if n%*perRoom == 0 {
			cur = &room{}
			go cur.run(ctx, *rate, frame)
		}
		n++
		rm := cur
		mu.Unlock()
		rm.mu.Lock()
		rm.conns = append(rm.conns, c)
		rm.mu.Unlock()
		go c.ReadLoop()
	})
	if host, _, err := net.SplitHostPort(*addr); err != nil || (host != "127.0.0.1" && host != "localhost" && host != "::1") {
		log.Fatalf("floor: -addr %q: loopback only", *addr)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("floor listening on", ln.Addr())
	srv := &http.Server{}
	go func() { <-ctx.Done(); _ = srv.Close() }()
	_ = srv.Serve(ln)
}
