// Command bareclient is the floor's load generator: N gws WebSocket
// clients that each write 20 small frames a second (spread evenly, from a
// few shared scheduler goroutines, like cmd/bots) and read and count
// whatever arrives. It prints one JSON line: frames per client per second
// over the measurement window (mean and slowest client).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lxzan/gws"

	"github.com/roomcast/roomcast/bots"
)

type client struct {
	gws.BuiltinEventHandler
	conn   *gws.Conn
	frames atomic.Int64
}

func (c *client) OnMessage(_ *gws.Conn, m *gws.Message) { c.frames.Add(1); m.Close() }

func main() {
	url := flag.String("url", "ws://127.0.0.1:2600/", "floor server URL (loopback)")
	n := flag.Int("clients", 800, "clients")
	rate := flag.Float64("rate", 20, "frames per client per second")
	size := flag.Int("frame", 40, "bytes per client frame")
	ramp := flag.Float64("ramp", 500, "clients connected per second")
	warmup := flag.Duration("warmup", 5*time.Second, "time after the ramp before measuring")
	duration := flag.Duration("duration", 30*time.Second, "measurement window")
	flag.Parse()
	if err := bots.CheckLocal(*url); err != nil {
		fmt.Fprintln(os.Stderr, "bareclient:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rampTime := time.Duration(float64(*n) / *ramp * float64(time.Second))
	ctx, cancel := context.WithTimeout(ctx, 2*rampTime+*warmup+*duration+60*time.Second)
	defer cancel()

	shards := runtime.GOMAXPROCS(0)
	const slot = 5 * time.Millisecond
	slots := max(1, int(time.Duration(float64(time.Second) / *rate)/slot))
	type shard struct {
		mu    sync.Mutex
		slots [][]*client
	}
	sh := make([]*shard, shards)
	for i := range sh {
		sh[i] = &shard{slots: make([][]*client, slots)}
	}
	payload := make([]byte, *size)
	for _, s := range sh {
		go func() {
			t := time.NewTicker(slot)
			defer t.Stop()
			for k := 0; ; k++ {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				s.mu.Lock()
				for _, c := range s.slots[k%slots] {
					_ = c.conn.WriteMessage(gws.OpcodeBinary, payload)
				}
				s.mu.Unlock()
			}
		}()
	}
	var all []*client
	var allMu sync.Mutex
	start := time.Now()
	var errs atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 256) // handshakes in flight
	for i := range *n {
		if d := time.Until(start.Add(time.Duration(float64(i) / *ramp * float64(time.Second)))); d > 0 {
			time.Sleep(d)
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c := &client{}
			conn, _, err := gws.NewClient(c, &gws.ClientOption{Addr: *url, ReadBufferSize: 2048})
			if err != nil {
				errs.Add(1)
				return
			}
			c.conn = conn
			go conn.ReadLoop()
			allMu.Lock()
			all = append(all, c)
			allMu.Unlock()
			s := sh[i%shards]
			s.mu.Lock()
			s.slots[(i/shards)%slots] = append(s.slots[(i/shards)%slots], c)
			s.mu.Unlock()
		}()
	}
	wg.Wait() // the window starts a warm-up after the last handshake
	count := func() []int64 {
		allMu.Lock()
		defer allMu.Unlock()
		out := make([]int64, len(all))
		for i, c := range all {
			out[i] = c.frames.Load()
		}
		return out
	}
	select {
	case <-ctx.Done():
	case <-time.After(*warmup):
	}
	a, ta := count(), time.Now()
	fmt.Println(`{"event":"window_start"}`)
	select {
	case <-ctx.Done():
	case <-time.After(*duration):
	}
	b, tb := count(), time.Now()
	fmt.Println(`{"event":"window_end"}`)
	dt := tb.Sub(ta).Seconds()
	var sum int64
	minRate := math.Inf(1)
	for i := range a {
		sum += b[i] - a[i]
		minRate = min(minRate, float64(b[i]-a[i])/dt)
	}
	res := map[string]any{"clients": *n, "connected": len(a), "connect_errors": errs.Load(), "window_s": math.Round(dt*100) / 100}
	if len(a) > 0 {
		res["frames_per_client_s"] = math.Round(float64(sum)/dt/float64(len(a))*100) / 100
		res["frames_per_client_s_min"] = math.Round(minRate*100) / 100
	}
	line, _ := json.Marshal(res)
	fmt.Println(string(line))
}
