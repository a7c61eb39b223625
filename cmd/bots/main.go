// Command bots runs a swarm of roomcast game clients against a server on
// this machine and measures it: per-second progress on stderr, one JSON
// line of results on stdout at the end, and a self-contained HTML report.
// A scenario (-scenario arena|churn|idle|clicker) says what the bots do.
//
//	go run ./cmd/bots -url http://127.0.0.1:2567 -bots 800 -duration 30s -pid $(pgrep -n gameserver)
//
// Only loopback targets are accepted, and every run has a hard time limit.
// It reads no environment variables.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/roomcast/roomcast/bots"
	statesync "github.com/roomcast/roomcast/sync"
)

type options struct {
	url, transport, parser, room, scenario string
	bots, rooms                            int
	ramp, inputRate, churnRate             float64
	duration, warmup, maxTime              time.Duration
	pid                                    int
	metricsURL, report                     string
	mirror                                 bool
	quiet                                  bool
	cpuProfile                             string
	verbose                                bool
	markers                                bool
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("bots", flag.ContinueOnError)
	var parseOut bytes.Buffer // -help goes to stdout, a flag error to stderr
	fs.SetOutput(&parseOut)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `bots loads a roomcast server on this machine with a swarm of game clients
and reports frames, bytes, input-to-ack latency and CPU (JSON line on stdout,
HTML report, progress on stderr). It reads no environment variables.

Usage: bots [flags]

Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.url, "url", "http://127.0.0.1:2567", "server base URL (loopback only)")
	fs.StringVar(&o.transport, "transport", "websocket", "websocket, polling or polling+upgrade")
	fs.StringVar(&o.parser, "parser", "msgpack", "msgpack or default")
	fs.StringVar(&o.room, "room", "", "room type to create and join (default: the scenario's, arena or clicker)")
	fs.StringVar(&o.scenario, "scenario", bots.ScenarioArena, "what the bots do: "+strings.Join(bots.ScenarioNames(), ", "))
	fs.IntVar(&o.bots, "bots", 800, "number of bots (CCU)")
	fs.IntVar(&o.rooms, "rooms", 0, "number of rooms (default bots/8)")
	fs.Float64Var(&o.ramp, "ramp", 500, "bots connected per second")
	fs.Float64Var(&o.inputRate, "input-rate", 0, "inputs per bot per second (default: the scenario's, arena 20, clicker 5)")
	fs.Float64Var(&o.churnRate, "churn-rate", 0, "churn actions per second, churn scenario (default bots/20)")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "measurement window")
	fs.DurationVar(&o.warmup, "warmup", 5*time.Second, "time after the ramp before measuring")
	fs.DurationVar(&o.maxTime, "max-time", 0, "hard limit for the whole run (default ramp+warmup+duration+30s)")
	fs.IntVar(&o.pid, "pid", 0, "server pid: read its CPU and RSS from /proc")
	fs.StringVar(&o.metricsURL, "metrics", "", "server /metrics URL (process_cpu_seconds_total, process_resident_memory_bytes) when no -pid")
	fs.StringVar(&o.report, "report", "bots-report.html", "HTML report path (empty: none)")
	fs.BoolVar(&o.mirror, "mirror", false, "rebuild the state in every bot (statesync.Mirror) and verify the server's state checksums")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress lines")
	fs.BoolVar(&o.verbose, "v", false, "log every connect/join failure")
	fs.BoolVar(&o.markers, "markers", false, `print {"event":"window_start"} and {"event":"window_end"} on stdout (for bench/sweep)`)
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write the swarm's CPU profile (measurement window) here")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			_, _ = stdout.Write(parseOut.Bytes())
			return 0
		}
		_, _ = stderr.Write(parseOut.Bytes())
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "bots: unexpected argument %q (see -help)\n", fs.Arg(0))
		return 2
	}
	res, series, phases, hist, err := swarmRun(o, stdout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "bots:", strings.TrimPrefix(err.Error(), "bots: "))
		if res == nil {
			return 1
		}
	}
	line, _ := json.Marshal(res)
	fmt.Fprintln(stdout, string(line))
	if o.report != "" {
		if werr := writeReport(o.report, res, series, phases, hist); werr != nil {
			fmt.Fprintln(stderr, "bots: report:", werr)
		} else if !o.quiet {
			fmt.Fprintln(stderr, "bots: report written to", o.report)
		}
	}
	if err != nil {
		return 1
	}
	return 0
}

// Result is the final JSON line.
type Result struct {
	Scenario  string  `json:"scenario"`
	Transport string  `json:"transport"`
	Parser    string  `json:"parser"`
	Bots      int     `json:"bots"`
	Rooms     int     `json:"rooms"`
	Joined    int     `json:"joined"`
	Cores     int     `json:"cores"`
	WindowS   float64 `json:"window_s"`
	TickRate  int     `json:"tick_rate"`

	FramesPerClientS     float64 `json:"frames_per_client_s"`
	FramesPerClientSMin  float64 `json:"frames_per_client_s_min"`
	DownBytesPerClientS  float64 `json:"down_bytes_per_client_s"`
	UpBytesPerClientS    float64 `json:"up_bytes_per_client_s"`
	StateBytesPerClientS float64 `json:"state_bytes_per_client_s"`
	InputsPerClientS     float64 `json:"inputs_per_client_s"`

	AckP50Ms   float64 `json:"ack_p50_ms"`
	AckP99Ms   float64 `json:"ack_p99_ms"`
	AckMaxMs   float64 `json:"ack_max_ms"`
	AckSamples int64   `json:"ack_samples"`

	ServerMeasured        bool    `json:"server_measured"`
	ServerCPUPct          float64 `json:"server_cpu_pct,omitempty"`
	ServerCPUUsPerClientS float64 `json:"server_cpu_us_per_client_s,omitempty"`
	ServerRSSMB           float64 `json:"server_rss_mb,omitempty"`
	ServerRSSMaxMB        float64 `json:"server_rss_max_mb,omitempty"`

	SwarmCPUPct       float64 `json:"swarm_cpu_pct"`
	SwarmCPUUsPerBotS float64 `json:"swarm_cpu_us_per_bot_s"`
	SwarmRSSMB        float64 `json:"swarm_rss_mb"`

	ConnectErrors  int64 `json:"connect_errors"`
	JoinErrors     int64 `json:"join_errors"`
	Disconnects    int64 `json:"disconnects"`
	Resumes        int64 `json:"resumes"`
	ResumeFailures int64 `json:"resume_failures"`
	MirrorErrors   int64 `json:"mirror_errors"`
	Checksums      int64 `json:"checksums"`
	Desyncs        int64 `json:"desyncs"`
	CheckFailures  int64 `json:"check_failures"`
	ChurnOps       int64 `json:"churn_ops"`
	ChurnErrors    int64 `json:"churn_errors"`

	KeptUp  bool     `json:"kept_up"`
	Behind  []string `json:"behind,omitempty"`
	Notes   []string `json:"notes,omitempty"`
	Partial bool     `json:"partial,omitempty"`
}

// phases are the run's phases in seconds since its start, for the
// report's time plots: connecting until RampEnd, warm-up until
// WindowStart, measurement until WindowEnd (0: not reached).
type phases struct {
	RampEnd, WindowStart, WindowEnd float64
}

// point is one second of the run, for the report.
type point struct {
	T            float64 `json:"t"`
	Joined       int     `json:"joined"`
	FramesPerBot float64 `json:"frames_per_bot"`
	AckP50Ms     float64 `json:"ack_p50_ms"`
	AckP99Ms     float64 `json:"ack_p99_ms"`
	ServerOK     bool    `json:"server_ok"` // server CPU and RSS were read
	ServerCPUPct float64 `json:"server_cpu_pct"`
	SwarmCPUPct  float64 `json:"swarm_cpu_pct"`
	ServerRSSMB  float64 `json:"server_rss_mb"`
	DownKBPerBot float64 `json:"down_kb_per_bot"`
}

type sample struct {
	sw     bots.SwarmSample
	server bots.ProcStat
	srvOK  bool
	self   bots.ProcStat
}

func selfStat() bots.ProcStat {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	ps, err := bots.ReadProcStat(os.Getpid())
	if err != nil {
		return bots.ProcStat{CPU: cpu}
	}
	ps.CPU = cpu
	return ps
}

func swarmRun(o options, out, log io.Writer) (*Result, []point, phases, bots.HistogramSnapshot, error) {
	var (
		hist bots.HistogramSnapshot
		ph   phases
	)
	if err := bots.CheckLocal(o.url); err != nil {
		return nil, nil, ph, hist, err
	}
	if o.metricsURL != "" {
		if err := bots.CheckLocal(o.metricsURL); err != nil {
			return nil, nil, ph, hist, err
		}
	}
	tr, err := bots.ParseTransport(o.transport)
	if err != nil {
		return nil, nil, ph, hist, err
	}
	pr, err := bots.ParseParser(o.parser)
	if err != nil {
		return nil, nil, ph, hist, err
	}
	sc, err := bots.ScenarioByName(o.scenario)
	if err != nil {
		return nil, nil, ph, hist, err
	}
	if o.duration <= 0 {
		return nil, nil, ph, hist, errors.New("-duration must be positive")
	}
	rampTime := time.Duration(0)
	if o.ramp > 0 {
		rampTime = time.Duration(float64(o.bots) / o.ramp * float64(time.Second))
	}
	// the ramp ends when every bot joined or failed, at the latest at
	// rampLimit; the window starts a warm-up later
	rampLimit := 2*rampTime + 10*time.Second
	if o.maxTime == 0 {
		o.maxTime = rampLimit + o.warmup + o.duration + 30*time.Second
	}
	cfg := bots.SwarmConfig{
		Client:    bots.Config{URL: o.url, Transport: tr, Parser: pr},
		RoomType:  o.room,
		Bots:      o.bots,
		Rooms:     o.rooms,
		Scenario:  sc,
		InputRate: o.inputRate,
		Ramp:      o.ramp,
		ChurnRate: o.churnRate,
		Logger:    slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: logLevel(o.verbose)})),
	}
	if o.mirror {
		cfg.Mirror = func() bots.StateMirror { return statesync.NewMirror(statesync.MirrorLimits{}) }
	}
	sw, err := bots.NewSwarm(cfg)
	if err != nil {
		return nil, nil, ph, hist, err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.maxTime)
	defer cancel()
	swCtx, swCancel := context.WithCancel(ctx)
	defer swCancel()
	done := make(chan error, 1)
	go func() { done <- sw.Run(swCtx) }()

	hc := &http.Client{Timeout: 2 * time.Second}
	take := func() sample {
		s := sample{sw: sw.Sample(), self: selfStat()}
		switch {
		case o.pid > 0:
			if ps, err := bots.ReadProcStat(o.pid); err == nil {
				s.server, s.srvOK = ps, true
			}
		case o.metricsURL != "":
			mctx, mcancel := context.WithTimeout(ctx, time.Second)
			if ps, err := bots.ReadMetricsStat(mctx, hc, o.metricsURL); err == nil {
				s.server, s.srvOK = ps, true
			}
			mcancel()
		}
		return s
	}

	start := time.Now()
	var windowStart, windowEnd time.Time // zero until the ramp is over
	var (
		series      []point
		first, last sample
		haveFirst   bool
		rssMax      int64
		partial     bool
		runErr      error
		runDone     bool
	)
	prev := take()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			partial = true
			break loop
		case runErr = <-done: // the swarm gave up (nothing listens at -url)
			runDone = true
			break loop
		case <-tick.C:
		}
		cur := take()
		if windowStart.IsZero() {
			settled := int64(cur.sw.Joined) + cur.sw.ConnectErrors + cur.sw.JoinErrors
			if settled >= int64(o.bots) || time.Since(start) >= rampLimit {
				now := time.Now()
				windowStart = now.Add(o.warmup)
				windowEnd = windowStart.Add(o.duration)
				ph.RampEnd = now.Sub(start).Seconds()
			}
		}
		series = append(series, makePoint(start, prev, cur))
		if !o.quiet {
			fmt.Fprintln(log, progressLine(series[len(series)-1], cur, o.bots))
		}
		inWindow := !windowStart.IsZero() && !cur.sw.Time.Before(windowStart)
		if cur.server.RSS > rssMax && inWindow {
			rssMax = cur.server.RSS
		}
		if !haveFirst && inWindow {
			first, haveFirst = cur, true
			ph.WindowStart = cur.sw.Time.Sub(start).Seconds()
			if o.markers {
				fmt.Fprintln(out, `{"event":"window_start"}`)
			}
			if o.cpuProfile != "" {
				if f, err := os.Create(o.cpuProfile); err == nil {
					if pprof.StartCPUProfile(f) == nil {
						defer func() { pprof.StopCPUProfile(); f.Close() }()
					}
				}
			}
		}
		prev = cur
		if haveFirst && !cur.sw.Time.Before(windowEnd) {
			last = cur
			ph.WindowEnd = cur.sw.Time.Sub(start).Seconds()
			if o.markers {
				fmt.Fprintln(out, `{"event":"window_end"}`)
			}
			break
		}
	}
	if runDone {
		if runErr == nil {
			runErr = errors.New("the swarm stopped before the measurement window")
		}
		return nil, series, ph, hist, runErr
	}
	if !haveFirst || last.sw.Time.IsZero() {
		// cut short (signal or hard limit): measure what we have
		if !haveFirst {
			first = take()
		}
		last = take()
		partial = true
	}
	swCancel()
	runErr = <-done
	res := summarize(o, sw.Scenario(), sw.Plan(), first, last, rssMax)
	res.Partial = partial
	hist = last.sw.Latency.Sub(first.sw.Latency)
	if runErr != nil {
		return res, series, ph, hist, runErr
	}
	if partial {
		return res, series, ph, hist, fmt.Errorf("run cut short before the window ended (%v)", ctx.Err())
	}
	return res, series, ph, hist, nil
}

func makePoint(start time.Time, a, b sample) point {
	dt := b.sw.Time.Sub(a.sw.Time).Seconds()
	p := point{T: math.Round(b.sw.Time.Sub(start).Seconds()*10) / 10, Joined: b.sw.Joined}
	if dt <= 0 {
		return p
	}
	if b.sw.Joined > 0 {
		p.FramesPerBot = float64(b.sw.Frames-a.sw.Frames) / dt / float64(b.sw.Joined)
		p.DownKBPerBot = float64(b.sw.BytesIn-a.sw.BytesIn) / dt / float64(b.sw.Joined) / 1024
	}
	h := b.sw.Latency.Sub(a.sw.Latency)
	p.AckP50Ms = ms(h.Quantile(0.50))
	p.AckP99Ms = ms(h.Quantile(0.99))
	if b.srvOK && a.srvOK {
		p.ServerOK = true
		p.ServerCPUPct = 100 * (b.server.CPU - a.server.CPU).Seconds() / dt
		p.ServerRSSMB = mb(b.server.RSS)
	}
	p.SwarmCPUPct = 100 * (b.self.CPU - a.self.CPU).Seconds() / dt
	return p
}

func progressLine(p point, s sample, want int) string {
	line := fmt.Sprintf("t=%5.1fs bots=%d/%d frames/s/bot=%5.2f down=%6.2fKB/s/bot ack p50/p99=%.1f/%.1fms swarm cpu=%5.1f%%",
		p.T, p.Joined, want, p.FramesPerBot, p.DownKBPerBot, p.AckP50Ms, p.AckP99Ms, p.SwarmCPUPct)
	if s.srvOK {
		line += fmt.Sprintf(" server cpu=%5.1f%% rss=%.0fMB", p.ServerCPUPct, p.ServerRSSMB)
	}
	errs := s.sw.ConnectErrors + s.sw.JoinErrors + s.sw.ResumeFailures + s.sw.ChurnErrors
	line += fmt.Sprintf(" errors=%d disconnects=%d", errs, s.sw.Disconnects)
	if s.sw.Desyncs > 0 || s.sw.CheckFailures > 0 {
		line += fmt.Sprintf(" desyncs=%d check_failures=%d", s.sw.Desyncs, s.sw.CheckFailures)
	}
	return line
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
func mb(b int64) float64         { return math.Round(float64(b)/(1<<20)*10) / 10 }

// keptUpFrameShare is the share of the room's tick rate a bot must
// receive in state frames per second, when its scenario expects a frame
// every tick.
const keptUpFrameShare = 0.9

func summarize(o options, sc bots.Scenario, plan bots.ScenarioPlan, a, b sample, rssMax int64) *Result {
	r := &Result{Scenario: sc.Name(), Transport: o.transport, Parser: o.parser, Bots: o.bots,
		Rooms: o.rooms, Joined: b.sw.Joined, Cores: runtime.NumCPU(), TickRate: b.sw.TickRate}
	if r.Rooms == 0 {
		r.Rooms = (o.bots + 7) / 8
	}
	dt := b.sw.Time.Sub(a.sw.Time).Seconds()
	r.WindowS = math.Round(dt*100) / 100
	r.ConnectErrors, r.JoinErrors = b.sw.ConnectErrors, b.sw.JoinErrors
	r.Disconnects, r.Resumes, r.ResumeFailures = b.sw.Disconnects, b.sw.Resumes, b.sw.ResumeFailures
	r.MirrorErrors, r.ChurnOps, r.ChurnErrors = b.sw.MirrorErrors, b.sw.ChurnOps, b.sw.ChurnErrors
	r.Checksums, r.Desyncs, r.CheckFailures = b.sw.Checksums, b.sw.Desyncs, b.sw.CheckFailures
	r.ServerMeasured = a.srvOK && b.srvOK
	if !r.ServerMeasured {
		why := "no -pid or -metrics"
		if o.pid > 0 || o.metricsURL != "" {
			why = "reading it failed"
		}
		r.Notes = append(r.Notes, fmt.Sprintf("server CPU and RSS were not measured (%s)", why))
	}
	if dt <= 0 || b.sw.Joined == 0 {
		r.Behind = append(r.Behind, "no measurement window")
		return r
	}
	n := float64(b.sw.Joined)
	r.FramesPerClientS = round2(float64(b.sw.Frames-a.sw.Frames) / dt / n)
	r.DownBytesPerClientS = round2(float64(b.sw.BytesIn-a.sw.BytesIn) / dt / n)
	r.UpBytesPerClientS = round2(float64(b.sw.BytesOut-a.sw.BytesOut) / dt / n)
	r.StateBytesPerClientS = round2(float64(b.sw.StateBytes-a.sw.StateBytes) / dt / n)
	r.InputsPerClientS = round2(float64(b.sw.Inputs-a.sw.Inputs) / dt / n)
	minRate := math.Inf(1)
	for i, f := range b.sw.PerBotFrames {
		if f < 0 || i >= len(a.sw.PerBotFrames) || a.sw.PerBotFrames[i] < 0 {
			continue
		}
		minRate = min(minRate, float64(f-a.sw.PerBotFrames[i])/dt)
	}
	if !math.IsInf(minRate, 1) {
		r.FramesPerClientSMin = round2(minRate)
	}
	h := b.sw.Latency.Sub(a.sw.Latency)
	r.AckP50Ms, r.AckP99Ms = ms(h.Quantile(0.5)), ms(h.Quantile(0.99))
	r.AckMaxMs, r.AckSamples = float64(h.MaxUS)/1e3, h.Total
	if r.ServerMeasured {
		cpu := (b.server.CPU - a.server.CPU).Seconds()
		r.ServerCPUPct = round2(100 * cpu / dt)
		r.ServerCPUUsPerClientS = round2(cpu * 1e6 / dt / n)
		r.ServerRSSMB = mb(b.server.RSS)
		r.ServerRSSMaxMB = mb(rssMax)
	}
	self := (b.self.CPU - a.self.CPU).Seconds()
	r.SwarmCPUPct = round2(100 * self / dt)
	r.SwarmCPUUsPerBotS = round2(self * 1e6 / dt / n)
	r.SwarmRSSMB = mb(b.self.RSS)

	if b.sw.Joined < o.bots && plan.ChurnRate == 0 { // churning bots are between seats at times
		r.Behind = append(r.Behind, fmt.Sprintf("only %d of %d bots joined", b.sw.Joined, o.bots))
	}
	if plan.FrameEveryTick {
		if r.TickRate > 0 {
			if want := keptUpFrameShare * float64(r.TickRate); r.FramesPerClientS < want {
				r.Behind = append(r.Behind, fmt.Sprintf("%.2f frames/s per client < %.3g (%.0f %% of the %d Hz tick rate)",
					r.FramesPerClientS, want, 100*keptUpFrameShare, r.TickRate))
			}
		} else {
			r.Notes = append(r.Notes, "no join reply had a tickRate: the frame rate was not judged")
		}
	}
	if r.AckP99Ms > 250 {
		r.Behind = append(r.Behind, fmt.Sprintf("ack p99 %.1f ms > 250", r.AckP99Ms))
	}
	if r.ServerMeasured && r.ServerCPUPct >= 95*float64(r.Cores) {
		r.Behind = append(r.Behind, fmt.Sprintf("server CPU %.0f%% >= 95%% of %d cores", r.ServerCPUPct, r.Cores))
	}
	if r.Desyncs > 0 {
		r.Behind = append(r.Behind, fmt.Sprintf("%d state checksums did not match the mirror (desyncs)", r.Desyncs))
	}
	if r.CheckFailures > 0 {
		r.Behind = append(r.Behind, fmt.Sprintf("%d scenario checks failed", r.CheckFailures))
	}
	r.KeptUp = len(r.Behind) == 0
	return r
}

func round2(f float64) float64 { return math.Round(f*100) / 100 }

func logLevel(verbose bool) slog.Level {
	if verbose {
		return slog.LevelDebug
	}
	return slog.LevelWarn
}
