package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/roomcast/roomcast/internal/hostile"
)

// runner runs the attacks one after another around one honest room.
type runner struct {
	opt     options
	out     io.Writer
	metrics string
	hc      *http.Client
	honest  *hostile.Honest
	quiet   row
	rows    []row
}

// proc is the server's footprint from /metrics.
type proc struct{ rss, goroutines, rooms, sessions float64 }

// row is one measured window.
type row struct {
	name                string
	what                string // what the server did to the attack
	honest              hostile.HonestSample
	latP99, latP50      float64 // seconds, arena tick lateness over the window
	skipped             float64 // skipped ticks over the window
	cpu                 float64 // the server's CPU seconds per second over the window
	before, peak, after proc
	settled             bool // after was taken once goroutines settled
	elapsed             time.Duration
}

func readProc(m hostile.Metrics) proc {
	return proc{
		rss:        m.Sum("process_resident_memory_bytes"),
		goroutines: m.Sum("go_goroutines"),
		rooms:      m.Sum("roomcast_rooms"),
		sessions:   m.Sum("roomcast_sessions"),
	}
}

func (r *runner) scrape(ctx context.Context) (hostile.Metrics, error) {
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return hostile.ScrapeMetrics(sctx, r.hc, r.metrics)
}

func (r *runner) run(ctx context.Context) error {
	r.hc = &http.Client{Timeout: 10 * time.Second}
	if _, err := r.scrape(ctx); err != nil {
		return fmt.Errorf("no server metrics at %s: %w", r.metrics, err)
	}
	h, err := hostile.NewHonest(ctx, r.opt.url, r.opt.honest, honestTransport, 10)
	if err != nil {
		return err
	}
	r.honest = h
	defer h.Close()
	fmt.Fprintf(r.out, "honest room %s: %d players (WebSocket, 10 inputs/s); quiet baseline %v\n", h.RoomID, r.opt.honest, r.opt.quiet)
	wait(ctx, 2*time.Second)
	r.quiet, err = r.measure(ctx, "quiet", func(ctx context.Context) (string, error) {
		wait(ctx, r.opt.quiet)
		return "no attack", nil
	}, false)
	if err != nil {
		return err
	}
	r.print(r.quiet)
	for _, name := range r.opt.attacks {
		if ctx.Err() != nil {
			break
		}
		if name == "drain" && r.opt.pid == 0 {
			fmt.Fprintln(r.out, "drain: skipped (needs -pid)")
			continue
		}
		// the room flood's rooms are left for rooms.list to list
		rw, err := r.measure(ctx, name, r.attack(name), name != "drain" && name != "rooms")
		if err != nil {
			fmt.Fprintf(r.out, "%s: %v\n", name, err)
			continue
		}
		r.rows = append(r.rows, rw)
		r.print(rw)
	}
	r.table()
	return nil
}

// minWindow is the shortest measured window: a quick attack (a probe, a
// few frames) is followed by a wait so the honest players' rates mean
// something.
const minWindow = 5 * time.Second

// measure runs fn as window name: honest players, lateness and the
// server's footprint before, during (peak) and after (once goroutines
// settle, when settle is set).
func (r *runner) measure(ctx context.Context, name string, fn func(context.Context) (string, error), settle bool) (row, error) {
	rw := row{name: name}
	m0, err := r.scrape(ctx)
	if err != nil {
		return rw, err
	}
	rw.before = readProc(m0)
	rw.peak = rw.before
	r.honest.Mark()
	start := time.Now()
	var (
		mu   sync.Mutex
		last = m0
	)
	sctx, stopSampler := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for {
			select {
			case <-sctx.Done():
				return
			case <-tk.C:
			}
			m, err := r.scrape(sctx)
			if err != nil {
				continue
			}
			p := readProc(m)
			mu.Lock()
			last = m
			rw.peak.rss = math.Max(rw.peak.rss, p.rss)
			rw.peak.goroutines = math.Max(rw.peak.goroutines, p.goroutines)
			rw.peak.rooms = math.Max(rw.peak.rooms, p.rooms)
			rw.peak.sessions = math.Max(rw.peak.sessions, p.sessions)
			mu.Unlock()
		}
	}()
	what, err := fn(ctx)
	if rest := minWindow - time.Since(start); rest > 0 {
		wait(ctx, rest) // frames/s and lateness need a window of some length
	}
	rw.elapsed = time.Since(start)
	rw.honest = r.honest.Sample(rw.elapsed)
	m1, serr := r.scrape(ctx)
	stopSampler()
	wg.Wait()
	if serr != nil { // the drain ends the server: use the last sample
		m1 = last
	}
	rw.what = what
	lat := hostile.HistogramDelta(m0.Histogram("roomcast_tick_lateness_seconds", `type="arena"`),
		m1.Histogram("roomcast_tick_lateness_seconds", `type="arena"`))
	rw.latP99, rw.latP50 = hostile.Quantile(0.99, lat), hostile.Quantile(0.5, lat)
	rw.skipped = m1.Sum("roomcast_ticks_skipped_total") - m0.Sum("roomcast_ticks_skipped_total")
	rw.cpu = (m1.Sum("process_cpu_seconds_total") - m0.Sum("process_cpu_seconds_total")) / rw.elapsed.Seconds()
	rw.after = readProc(m1)
	if settle {
		rw.settled = true
		deadline := time.Now().Add(r.opt.recover)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			m, err := r.scrape(ctx)
			if err == nil {
				rw.after = readProc(m)
				if rw.after.goroutines <= rw.before.goroutines*1.1+10 && rw.after.rooms <= rw.before.rooms+1 {
					break
				}
			}
			wait(ctx, time.Second)
		}
	}
	return rw, err
}

// attack returns the attack called name at the chosen size.
func (r *runner) attack(name string) func(context.Context) (string, error) {
	full := !r.opt.small
	size := func(f, s int) int {
		if full {
			return f
		}
		return s
	}
	dur := func(f, s time.Duration) time.Duration {
		if full {
			return f
		}
		return s
	}
	base := r.opt.url
	result := func(res hostile.Result, err error) (string, error) { return res.String(), err }
	switch name {
	case "origin":
		return func(ctx context.Context) (string, error) {
			var parts []string
			for _, o := range []string{"null", "http://evil.example"} {
				p, err := hostile.ProbeOrigin(ctx, base, o)
				if err != nil {
					return "", err
				}
				parts = append(parts, fmt.Sprintf("Origin %s: polling %d (Allow-Origin %q, Allow-Credentials %q), WebSocket %d",
					o, p.PollingStatus, p.AllowOrigin, p.AllowCredentials, p.WebSocketStatus))
			}
			return strings.Join(parts, "; "), nil
		}
	case "utf8":
		return func(ctx context.Context) (string, error) {
			return result(hostile.InvalidUTF8{Conns: size(10, 2)}.Run(ctx, base))
		}
	case "handshake":
		return func(ctx context.Context) (string, error) {
			m0, err := r.scrape(ctx)
			if err != nil {
				return "", err
			}
			res, err := hostile.HandshakeFlood{Count: size(5000, 300)}.Run(ctx, base)
			if err != nil {
				return "", err
			}
			// how long the abandoned sessions live
			end := time.Now()
			before := m0.Sum("roomcast_sessions")
			gone := "still open after 150 s"
			for time.Since(end) < 150*time.Second && ctx.Err() == nil {
				m, err := r.scrape(ctx)
				if err == nil && m.Sum("roomcast_sessions") <= before {
					gone = fmt.Sprintf("abandoned sessions gone %.0f s after the flood", time.Since(end).Seconds())
					break
				}
				wait(ctx, time.Second)
			}
			return res.String() + "; " + gone, nil
		}
	case "idle":
		return func(ctx context.Context) (string, error) {
			return result(hostile.IdleKeepAlive{Conns: size(2000, 200), Hold: dur(75*time.Second, 20*time.Second)}.Run(ctx, base))
		}
	case "slowpost":
		return func(ctx context.Context) (string, error) {
			return result(hostile.SlowPost{Conns: size(300, 50), Drip: 3 * time.Second, BodySize: 1000,
				Hold: dur(75*time.Second, 20*time.Second)}.Run(ctx, base))
		}
	case "slowreader":
		return func(ctx context.Context) (string, error) {
			return result(hostile.StopReading{RoomID: r.honest.RoomID, MetricsURL: r.metrics, Hold: 60 * time.Second, Provoke: 500}.Run(ctx, base))
		}
	case "rooms":
		return func(ctx context.Context) (string, error) {
			return result(hostile.RoomFlood{Clients: size(50, 10), Duration: dur(20*time.Second, 5*time.Second)}.Run(ctx, base))
		}
	case "list":
		return func(ctx context.Context) (string, error) {
			return result(hostile.ListLoop{Clients: size(20, 5), Duration: dur(20*time.Second, 5*time.Second),
				Source: hostile.Source(0, 3), Reconnect: true}.Run(ctx, base))
		}
	case "drain":
		return func(ctx context.Context) (string, error) {
			d, err := hostile.NewDrainWatch(ctx, base, size(200, 48), 60)
			if err != nil {
				return "", err
			}
			wait(ctx, 3*time.Second)
			if err := syscall.Kill(r.opt.pid, syscall.SIGTERM); err != nil {
				d.Close()
				return "", fmt.Errorf("SIGTERM pid %d: %w", r.opt.pid, err)
			}
			return d.Result(30 * time.Second).String(), nil
		}
	}
	return func(context.Context) (string, error) { return "", errors.New("unknown attack " + name) }
}

func mb(b float64) string { return fmt.Sprintf("%.0f MB", b/1e6) }

func ms(s float64) string {
	if math.IsNaN(s) {
		return "n/a"
	}
	return fmt.Sprintf("%.1f ms", s*1e3)
}

func (r *runner) print(rw row) {
	fmt.Fprintf(r.out, "\n== %s (%v)\n  server: %s\n  honest: %v\n  arena tick lateness p50 %s p99 %s (quiet p99 %s), %0.f skipped ticks; server CPU %.0f %%\n"+
		"  RSS %s → peak %s → after %s; goroutines %.0f → %.0f → %.0f; rooms %.0f → %.0f → %.0f; sessions %.0f → %.0f → %.0f\n  bar: %s\n",
		rw.name, rw.elapsed.Round(time.Millisecond), rw.what, rw.honest, ms(rw.latP50), ms(rw.latP99), ms(r.quiet.latP99), rw.skipped, 100*rw.cpu,
		mb(rw.before.rss), mb(rw.peak.rss), mb(rw.after.rss), rw.before.goroutines, rw.peak.goroutines, rw.after.goroutines,
		rw.before.rooms, rw.peak.rooms, rw.after.rooms, rw.before.sessions, rw.peak.sessions, rw.after.sessions, r.bar(rw))
}

// bar checks a window against the bar for the honest players: no
// disconnect, at least 18 frames/s, no gap over 1 s, arena tick lateness
// p99 within 2× the quiet baseline, goroutines back to the baseline
// (within 10 % + 10) after the attack (when the window waited for them:
// not after the room flood, whose rooms are left for rooms.list). "ok",
// or what failed. The drain ends the honest room too, so only its
// lateness is checked.
func (r *runner) bar(rw row) string {
	var failed []string
	if rw.name != "drain" {
		if rw.honest.Disconnects > 0 {
			failed = append(failed, fmt.Sprintf("%d disconnects", rw.honest.Disconnects))
		}
		if rw.honest.FramesPerS < 18 {
			failed = append(failed, fmt.Sprintf("%.1f frames/s < 18", rw.honest.FramesPerS))
		}
		if rw.honest.MaxGap > time.Second {
			failed = append(failed, fmt.Sprintf("gap %v > 1 s", rw.honest.MaxGap.Round(time.Millisecond)))
		}
		if rw.settled && rw.after.goroutines > rw.before.goroutines*1.1+10 {
			failed = append(failed, fmt.Sprintf("goroutines %.0f → %.0f", rw.before.goroutines, rw.after.goroutines))
		}
	}
	if q := r.quiet.latP99; q > 0 && rw.latP99 > 2*q {
		failed = append(failed, fmt.Sprintf("lateness p99 %.1f× the quiet baseline", rw.latP99/q))
	}
	if len(failed) == 0 {
		return "ok"
	}
	return "FAIL: " + strings.Join(failed, ", ")
}

// table prints the rows as a Markdown table for BENCHMARKS.md.
func (r *runner) table() {
	fmt.Fprintf(r.out, "\n| attack | honest disconnects | frames/s | max gap | lateness p99 (quiet %s) | skipped ticks | server CPU | RSS before → peak → after | goroutines before → peak → after | bar |\n",
		ms(r.quiet.latP99))
	fmt.Fprintln(r.out, "|---|---|---|---|---|---|---|---|---|---|")
	for _, rw := range append([]row{r.quiet}, r.rows...) {
		fmt.Fprintf(r.out, "| %s | %d | %.1f | %v | %s | %.0f | %.0f %% | %s → %s → %s | %.0f → %.0f → %.0f | %s |\n",
			rw.name, rw.honest.Disconnects, rw.honest.FramesPerS, rw.honest.MaxGap.Round(time.Millisecond), ms(rw.latP99), rw.skipped, 100*rw.cpu,
			mb(rw.before.rss), mb(rw.peak.rss), mb(rw.after.rss), rw.before.goroutines, rw.peak.goroutines, rw.after.goroutines, r.bar(rw))
	}
}
