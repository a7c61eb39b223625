// Command sweep runs the arena v1 benchmark: for each CCU it starts a fresh
// server and its load generator on 127.0.0.1, measures both processes' CPU
// and the server's RSS from /proc over the measurement window, and reads
// the load generator's JSON result. It runs the floor pair (bench/floor +
// bench/bareclient) and roomcast (bench/roomcast + cmd/bots) at the same
// CCUs, finds the largest CCU each held, and prints roomcast ÷ floor ratios
// and swarm ÷ bare-client CPU. With -systems it also runs the peer servers
// of bench/peers (Colyseus 0.18, Socket.IO 4.8; peers.go) at the same CCUs
// and prints them side by side (compare.go); with -search-runs it searches
// for each system's largest CCU held between the CCUs it tried.
//
// Every child runs in its own process group and is killed when its run
// ends, and the whole sweep has a hard time limit. Use bench/run.sh, which
// builds the binaries first.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/roomcast/roomcast/bots"
)

type config struct {
	binDir, outDir        string
	ccu, pollCCU          []int
	duration, warmup      time.Duration
	ramp                  float64
	maxTime               time.Duration
	stopBehind, quantized bool
	server                string
	quietWait             time.Duration
	quietBelow            float64
	systems, pollSystems  []string // floor, roomcast, colyseus, socketio
	peersDir, node        string   // bench/peers and the node binary, for the peers
	search                searchConfig
}

// Row is one run's figures.
type Row struct {
	System    string `json:"system"` // floor | roomcast | colyseus | socketio
	Transport string `json:"transport"`
	Parser    string `json:"parser,omitempty"`
	Quantized bool   `json:"quantized,omitempty"`
	CCU       int    `json:"ccu"`
	Connected int    `json:"connected"`

	ServerCPUPct          float64 `json:"server_cpu_pct"`
	ServerCPUUsPerClientS float64 `json:"server_cpu_us_per_client_s"`
	ServerRSSMB           float64 `json:"server_rss_mb"`
	ClientCPUPct          float64 `json:"client_cpu_pct"`
	ClientCPUUsPerClientS float64 `json:"client_cpu_us_per_client_s"`
	OtherCPUPct           float64 `json:"other_cpu_pct"` // the rest of the machine (other processes) during the window

	FramesPerClientS    float64 `json:"frames_per_client_s"`
	FramesPerClientSMin float64 `json:"frames_per_client_s_min"`
	DownBytesPerClientS float64 `json:"down_bytes_per_client_s,omitempty"`
	UpBytesPerClientS   float64 `json:"up_bytes_per_client_s,omitempty"`
	AckP50Ms            float64 `json:"ack_p50_ms,omitempty"`
	AckP99Ms            float64 `json:"ack_p99_ms,omitempty"`
	TickLatenessP99Ms   float64 `json:"tick_lateness_p99_ms,omitempty"`
	TickDurationP99Ms   float64 `json:"tick_duration_p99_ms,omitempty"`
	FramesDropped       uint64  `json:"frames_dropped,omitempty"`

	KeptUp bool     `json:"kept_up"`
	Search bool     `json:"search,omitempty"` // a run of the largest-CCU-held search
	Behind []string `json:"behind,omitempty"`
	Error  string   `json:"error,omitempty"`
}

func main() {
	var c config
	var ccu, pollCCU string
	flag.StringVar(&c.binDir, "bin", "", "directory with the floor, bareclient, roomcast and bots binaries (required)")
	flag.StringVar(&c.outDir, "out", "bench-out", "directory for results.jsonl and the HTML reports")
	flag.StringVar(&ccu, "ccu", "800,2000,3000,4000", "CCUs over WebSocket + msgpack")
	flag.StringVar(&pollCCU, "polling-ccu", "96,200,1000", "CCUs over long-polling + msgpack (roomcast only); empty: none")
	flag.DurationVar(&c.duration, "duration", 20*time.Second, "measurement window per run")
	flag.DurationVar(&c.warmup, "warmup", 5*time.Second, "time after the ramp before measuring")
	flag.Float64Var(&c.ramp, "ramp", 1000, "clients connected per second")
	flag.DurationVar(&c.maxTime, "max-time", 40*time.Minute, "hard limit for the whole sweep")
	flag.BoolVar(&c.stopBehind, "stop-when-behind", true, "skip a system's higher CCUs once it fell behind twice")
	flag.BoolVar(&c.quantized, "quantized", true, "also run roomcast with quantized positions at the lowest CCU")
	flag.StringVar(&c.server, "server", "gameserver", `roomcast server: "gameserver" (cmd/gameserver -arena-mode bench) or "bench" (bench/roomcast)`)
	summarize := flag.String("summarize", "", "only print the summary of an earlier run's results.jsonl")
	systems := flag.String("systems", "floor,roomcast", "systems to run over WebSocket, in this order: floor, roomcast, colyseus, socketio (the last two from bench/peers)")
	pollSystems := flag.String("polling-systems", "roomcast", "systems to run at the -polling-ccu points: roomcast, socketio")
	flag.StringVar(&c.peersDir, "peers-dir", "bench/peers", "directory of the peer servers and load generators (npm ci there first)")
	flag.StringVar(&c.node, "node", "node", "node binary for the peers")
	flag.IntVar(&c.search.runs, "search-runs", 0, "after the grid, up to this many more runs per system to find its largest CCU held (bisection; 0: none)")
	flag.IntVar(&c.search.step, "search-step", 100, "resolution of the largest-CCU-held search")
	flag.IntVar(&c.search.max, "search-max", 6000, "largest CCU the search tries")
	flag.DurationVar(&c.quietWait, "quiet-wait", 0, "before each run, wait up to this long for the machine to be quiet (shared machines)")
	flag.Float64Var(&c.quietBelow, "quiet-below", 25, "quiet means the machine is less busy than this, in % of all its cores")
	flag.Parse()
	if *summarize != "" {
		rows, err := readRows(*summarize)
		if err != nil {
			fatal(err)
		}
		printSummary(os.Stdout, rows)
		return
	}
	var err error
	if c.ccu, err = parseList(ccu); err != nil {
		fatal(err)
	}
	if c.pollCCU, err = parseList(pollCCU); err != nil {
		fatal(err)
	}
	if c.systems, err = parseSystems(*systems, allSystems); err != nil {
		fatal(fmt.Errorf("-systems: %w", err))
	}
	if c.pollSystems, err = parseSystems(*pollSystems, pollingSystems); err != nil {
		fatal(fmt.Errorf("-polling-systems: %w", err))
	}
	if c.binDir == "" {
		fatal(errors.New("-bin is required"))
	}
	if err := os.MkdirAll(c.outDir, 0o755); err != nil {
		fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, c.maxTime)
	defer cancel()
	rows := sweep(ctx, c)
	printSummary(os.Stdout, rows)
}

func readRows(path string) ([]Row, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r Row
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "sweep:", err)
	os.Exit(2)
}

func parseList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("bad CCU %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func sweep(ctx context.Context, c config) []Row {
	jl, err := os.Create(filepath.Join(c.outDir, "results.jsonl"))
	if err != nil {
		fatal(err)
	}
	defer jl.Close()
	var rows []Row
	record := func(r Row) {
		rows = append(rows, r)
		b, _ := json.Marshal(r)
		fmt.Fprintln(jl, string(b))
		fmt.Fprintf(os.Stderr, "sweep: %-8s %-9s q=%-5v ccu=%-5d server %6.0f µs/client-s %5.1f%% rss %5.1f MB | client %5.0f µs/client-s | frames %5.2f (min %5.2f) ack p50/p99 %.1f/%.1f ms | other %4.0f%% | kept up %v %s\n",
			r.System, r.Transport, r.Quantized, r.CCU, r.ServerCPUUsPerClientS, r.ServerCPUPct, r.ServerRSSMB, r.ClientCPUUsPerClientS,
			r.FramesPerClientS, r.FramesPerClientSMin, r.AckP50Ms, r.AckP99Ms, r.OtherCPUPct, r.KeptUp, strings.TrimSpace(strings.Join(append(r.Behind, r.Error), " ")))
	}
	behind := map[string]int{}
	for _, n := range c.ccu {
		for _, sys := range c.systems {
			if ctx.Err() != nil {
				return rows
			}
			if c.stopBehind && behind[sys] >= 2 {
				continue
			}
			r := runOne(ctx, c, sys, "websocket", n, false)
			if !r.KeptUp {
				behind[sys]++
			}
			record(r)
		}
	}
	if c.quantized && len(c.ccu) > 0 && ctx.Err() == nil && slices.Contains(c.systems, "roomcast") {
		record(runOne(ctx, c, "roomcast", "websocket", c.ccu[0], true))
	}
	for _, n := range c.pollCCU {
		for _, sys := range c.pollSystems {
			if ctx.Err() != nil {
				return rows
			}
			record(runOne(ctx, c, sys, "polling", n, false))
		}
	}
	for _, sys := range c.systems {
		for range c.search.runs {
			n := c.search.next(heldRuns(rows, sys))
			if n == 0 || ctx.Err() != nil {
				break
			}
			r := runOne(ctx, c, sys, "websocket", n, false)
			r.Search = true
			record(r)
		}
	}
	return rows
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// child is a started process in its own process group.
type child struct {
	cmd    *exec.Cmd
	stdout *bytes.Buffer
	lines  chan string
}

func start(ctx context.Context, name string, args ...string) (*child, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	ch := &child{cmd: cmd, stdout: &bytes.Buffer{}, lines: make(chan string, 64)}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			ch.stdout.WriteString(line + "\n")
			ch.lines <- line // the sweep drains every child's lines
		}
		close(ch.lines)
	}()
	return ch, nil
}

// stop ends the child's whole process group: SIGTERM, then SIGKILL.
func (c *child) stop() {
	if c == nil || c.cmd.Process == nil {
		return
	}
	pgid := c.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
}

// cpuTotals reads the machine's busy and total jiffies from /proc/stat.
func cpuTotals() (busy, total float64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, v := range f[1:] {
		x, _ := strconv.ParseFloat(v, 64)
		total += x
		if i != 3 && i != 4 { // idle, iowait
			busy += x
		}
	}
	return busy, total
}

type snap struct {
	t              time.Time
	server, client bots.ProcStat
	busy, total    float64
}

func take(serverPID, clientPID int) snap {
	s := snap{t: time.Now()}
	s.server, _ = bots.ReadProcStat(serverPID)
	s.client, _ = bots.ReadProcStat(clientPID)
	s.busy, s.total = cpuTotals()
	return s
}

// waitQuiet waits up to c.quietWait until the machine's busy share over
// one second is below c.quietBelow % (of all cores).
func waitQuiet(ctx context.Context, c config) {
	deadline := time.Now().Add(c.quietWait)
	for time.Now().Before(deadline) {
		b0, t0 := cpuTotals()
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		b1, t1 := cpuTotals()
		if t1 > t0 && 100*(b1-b0)/(t1-t0) < c.quietBelow {
			return
		}
	}
}

func runOne(ctx context.Context, c config, sys, transport string, ccu int, quantized bool) (row Row) {
	row = Row{System: sys, Transport: transport, CCU: ccu, Quantized: quantized}
	if c.quietWait > 0 {
		waitQuiet(ctx, c)
	}
	if sys != "floor" && sys != "colyseus" {
		row.Parser = "msgpack"
	}
	port, err := freePort()
	if err != nil {
		row.Error = err.Error()
		return row
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	rampTime := time.Duration(float64(ccu) / c.ramp * float64(time.Second))
	limit := 2*rampTime + c.warmup + c.duration + 60*time.Second
	rctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()

	var srv, cli *child
	defer func() { cli.stop(); srv.stop() }()
	startWait := 10 * time.Second
	if isPeer(sys) {
		srv, err = startPeerServer(rctx, c, sys, addr)
		startWait = 30 * time.Second // node and its modules load slowly on a busy machine
	} else if sys == "floor" {
		srv, err = start(rctx, filepath.Join(c.binDir, "floor"), "-addr", addr)
	} else {
		args := []string{"-addr", addr}
		bin := "roomcast"
		if c.server == "gameserver" {
			bin = "gameserver"
			args = append(args, "-arena-mode", "bench", "-log-level", "warn")
		}
		if quantized {
			args = append(args, "-quantized")
		}
		srv, err = start(rctx, filepath.Join(c.binDir, bin), args...)
	}
	if err != nil {
		row.Error = err.Error()
		return row
	}
	select {
	case line := <-srv.lines:
		if !strings.Contains(line, "listening") {
			row.Error = "server said " + line
			return row
		}
		go func() { // a server that writes more to stdout must not block on it
			for range srv.lines {
			}
		}()
	case <-time.After(startWait):
		row.Error = "server did not start"
		return row
	case <-rctx.Done():
		row.Error = rctx.Err().Error()
		return row
	}
	secs := func(d time.Duration) string { return d.String() }
	if isPeer(sys) {
		cli, err = startPeerClient(rctx, c, sys, transport, addr, ccu)
	} else if sys == "floor" {
		cli, err = start(rctx, filepath.Join(c.binDir, "bareclient"), "-url", "ws://"+addr+"/", "-clients", strconv.Itoa(ccu),
			"-ramp", fmt.Sprint(c.ramp), "-warmup", secs(c.warmup), "-duration", secs(c.duration))
	} else {
		name := fmt.Sprintf("report-%s-%d%s.html", transport, ccu, map[bool]string{true: "-quantized"}[quantized])
		cli, err = start(rctx, filepath.Join(c.binDir, "bots"), "-url", "http://"+addr, "-bots", strconv.Itoa(ccu),
			"-transport", transport, "-parser", "msgpack", "-ramp", fmt.Sprint(c.ramp), "-warmup", secs(c.warmup),
			"-duration", secs(c.duration), "-pid", strconv.Itoa(srv.cmd.Process.Pid), "-quiet", "-markers",
			"-report", filepath.Join(c.outDir, name))
	}
	if err != nil {
		row.Error = err.Error()
		return row
	}
	// the client prints {"event":"window_start"} and {"event":"window_end"}
	// around its measurement window; /proc is sampled at those moments
	marker := func(want string) bool {
		for {
			select {
			case line, ok := <-cli.lines:
				if !ok {
					return false
				}
				if strings.Contains(line, want) {
					return true
				}
			case <-rctx.Done():
				return false
			}
		}
	}
	if !marker("window_start") {
		row.Error = "no measurement window (client ended or time limit)"
		return row
	}
	a := take(srv.cmd.Process.Pid, cli.cmd.Process.Pid)
	statsA, statsOK := serverStatsOf(rctx, c, addr, sys)
	if !marker("window_end") {
		row.Error = "measurement window not finished (client ended or time limit)"
		return row
	}
	b := take(srv.cmd.Process.Pid, cli.cmd.Process.Pid)
	if statsB, ok := serverStatsOf(rctx, c, addr, sys); ok && statsOK {
		if sys == "roomcast" && c.server == "gameserver" {
			row.TickLatenessP99Ms = promQuantile(statsA.prom, statsB.prom, "roomcast_tick_lateness_seconds_bucket", 0.99) * 1000
			row.TickDurationP99Ms = promQuantile(statsA.prom, statsB.prom, "roomcast_tick_duration_seconds_bucket", 0.99) * 1000
		} else {
			row.TickLatenessP99Ms = float64(statsB.Lateness.Sub(statsA.Lateness).Quantile(0.99).Microseconds()) / 1000
			row.TickDurationP99Ms = float64(statsB.Duration.Sub(statsA.Duration).Quantile(0.99).Microseconds()) / 1000
			row.FramesDropped = statsB.Rooms.FramesDropped - statsA.Rooms.FramesDropped
		}
	}
	for range cli.lines { // until the client exits
	}
	_ = cli.cmd.Wait()
	stdout := cli.stdout.String()
	cli = nil

	dt := b.t.Sub(a.t).Seconds()
	cores := float64(runtime.NumCPU())
	row.ServerCPUPct = round(100 * (b.server.CPU - a.server.CPU).Seconds() / dt)
	row.ClientCPUPct = round(100 * (b.client.CPU - a.client.CPU).Seconds() / dt)
	row.ServerRSSMB = round(float64(b.server.RSS) / (1 << 20))
	if b.total > a.total {
		machine := 100 * cores * (b.busy - a.busy) / (b.total - a.total)
		row.OtherCPUPct = round(math.Max(0, machine-row.ServerCPUPct-row.ClientCPUPct))
	}
	var res struct {
		Connected           int     `json:"connected"`
		Joined              int     `json:"joined"`
		FramesPerClientS    float64 `json:"frames_per_client_s"`
		FramesPerClientSMin float64 `json:"frames_per_client_s_min"`
		Down                float64 `json:"down_bytes_per_client_s"`
		Up                  float64 `json:"up_bytes_per_client_s"`
		AckP50Ms            float64 `json:"ack_p50_ms"`
		AckP99Ms            float64 `json:"ack_p99_ms"`
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		row.Error = fmt.Sprintf("no JSON result from the client: %q", stdout)
		return row
	}
	row.Connected = max(res.Connected, res.Joined)
	row.FramesPerClientS, row.FramesPerClientSMin = res.FramesPerClientS, res.FramesPerClientSMin
	row.DownBytesPerClientS, row.UpBytesPerClientS = res.Down, res.Up
	row.AckP50Ms, row.AckP99Ms = res.AckP50Ms, res.AckP99Ms
	n := float64(max(row.Connected, 1))
	row.ServerCPUUsPerClientS = round(row.ServerCPUPct / 100 * 1e6 / n)
	row.ClientCPUUsPerClientS = round(row.ClientCPUPct / 100 * 1e6 / n)

	if row.Connected < ccu {
		row.Behind = append(row.Behind, fmt.Sprintf("only %d of %d connected", row.Connected, ccu))
	}
	if row.FramesPerClientS < 18 {
		row.Behind = append(row.Behind, fmt.Sprintf("%.2f frames/s < 18", row.FramesPerClientS))
	}
	if row.AckP99Ms > 250 {
		row.Behind = append(row.Behind, fmt.Sprintf("ack p99 %.0f ms > 250", row.AckP99Ms))
	}
	if row.ServerCPUPct+row.ClientCPUPct >= 95*cores {
		row.Behind = append(row.Behind, fmt.Sprintf("CPU %.0f%% >= 95%% of %d cores", row.ServerCPUPct+row.ClientCPUPct, int(cores)))
	}
	row.KeptUp = len(row.Behind) == 0
	return row
}

// serverStats is the part of bench/roomcast's /benchstats the sweep uses,
// or cmd/gameserver's /metrics text.
type serverStats struct {
	Lateness, Duration bots.HistogramSnapshot
	Rooms              struct{ FramesDropped uint64 }
	prom               string
}

func serverStatsOf(ctx context.Context, c config, addr, sys string) (serverStats, bool) {
	var st serverStats
	if sys == "floor" {
		return st, false
	}
	prom := sys == "roomcast" && c.server == "gameserver"
	path := "/benchstats" // bench/roomcast and the peers
	if prom {
		path = "/metrics"
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return st, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return st, false
	}
	defer resp.Body.Close()
	if prom {
		b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		st.prom = string(b)
		return st, err == nil
	}
	return st, json.NewDecoder(resp.Body).Decode(&st) == nil
}

// promBuckets sums the cumulative buckets of histogram metric name (all
// label sets) by upper bound.
func promBuckets(text, name string) map[float64]float64 {
	out := map[float64]float64{}
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		i := strings.Index(line, `le="`)
		j := strings.LastIndexByte(line, ' ')
		if i < 0 || j < 0 {
			continue
		}
		le, _, _ := strings.Cut(line[i+4:], `"`)
		bound, err1 := strconv.ParseFloat(le, 64)
		if le == "+Inf" {
			bound, err1 = math.Inf(1), nil
		}
		n, err2 := strconv.ParseFloat(line[j+1:], 64)
		if err1 == nil && err2 == nil {
			out[bound] += n
		}
	}
	return out
}

// promQuantile is the q-quantile (a bucket's upper bound) of the
// observations between two scrapes.
func promQuantile(before, after, name string, q float64) float64 {
	a, b := promBuckets(before, name), promBuckets(after, name)
	var bounds []float64
	for k := range b {
		bounds = append(bounds, k)
	}
	slices.Sort(bounds)
	if len(bounds) == 0 {
		return 0
	}
	total := b[bounds[len(bounds)-1]] - a[bounds[len(bounds)-1]]
	if total <= 0 {
		return 0
	}
	for _, k := range bounds {
		if b[k]-a[k] >= q*total {
			if math.IsInf(k, 1) {
				return bounds[max(0, len(bounds)-2)]
			}
			return k
		}
	}
	return 0
}

func round(f float64) float64 { return math.Round(f*10) / 10 }

// perFrame divides a per-client-second cost by the frames each client got
// per second: on a starved machine a run that delivered fewer frames also
// did less work, and this keeps the comparison fair.
func perFrame(usPerClientS float64, r Row) float64 {
	if r.FramesPerClientS <= 0 {
		return math.NaN()
	}
	return usPerClientS / r.FramesPerClientS
}

// printSummary prints the runs and the ratios as Markdown.
func printSummary(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| system | transport | CCU | server µs/client-s | server µs/frame | server CPU % | server RSS MB | load gen µs/client-s | frames/s (min) | down B/client-s | ack p50/p99 ms | tick lateness p99 ms | other CPU % | kept up |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		sys := r.System
		if r.Quantized {
			sys += " (quantized)"
		}
		ack, late := "–", "–"
		if r.System != "floor" {
			ack = fmt.Sprintf("%.1f / %.1f", r.AckP50Ms, r.AckP99Ms)
			late = fmt.Sprintf("%.1f", r.TickLatenessP99Ms)
		}
		kept := "yes"
		if !r.KeptUp {
			reasons := r.Behind
			if r.Error != "" {
				reasons = append(reasons, r.Error)
			}
			kept = "no: " + strings.Join(reasons, "; ")
		}
		down := "–"
		if r.DownBytesPerClientS > 0 {
			down = fmt.Sprintf("%.0f", r.DownBytesPerClientS)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %.0f | %.1f | %.1f | %.1f | %.0f | %.2f (%.2f) | %s | %s | %s | %.0f | %s |\n", sys, r.Transport, r.CCU,
			r.ServerCPUUsPerClientS, perFrame(r.ServerCPUUsPerClientS, r), r.ServerCPUPct, r.ServerRSSMB, r.ClientCPUUsPerClientS, r.FramesPerClientS, r.FramesPerClientSMin,
			down, ack, late, r.OtherCPUPct, kept)
	}
	held := map[string]int{}
	byCCU := map[int]map[string]Row{}
	for _, r := range rows {
		if r.Transport != "websocket" || r.Quantized {
			continue
		}
		if byCCU[r.CCU] == nil {
			byCCU[r.CCU] = map[string]Row{}
		}
		byCCU[r.CCU][r.System] = r
		if r.KeptUp && r.CCU > held[r.System] {
			held[r.System] = r.CCU
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| CCU | server CPU roomcast÷floor (per client-s) | (per frame delivered) | server RSS roomcast÷floor | swarm÷bare client CPU (per client-s) | (per frame) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	var ccus []int
	for n := range byCCU {
		ccus = append(ccus, n)
	}
	slices.Sort(ccus)
	for _, n := range ccus {
		f, okF := byCCU[n]["floor"]
		r, okR := byCCU[n]["roomcast"]
		if !okF || !okR || f.ServerCPUUsPerClientS == 0 || f.ServerRSSMB == 0 || f.ClientCPUUsPerClientS == 0 {
			continue
		}
		fmt.Fprintf(w, "| %d | %.2f | %.2f | %.2f | %.2f | %.2f |\n", n, r.ServerCPUUsPerClientS/f.ServerCPUUsPerClientS,
			perFrame(r.ServerCPUUsPerClientS, r)/perFrame(f.ServerCPUUsPerClientS, f),
			r.ServerRSSMB/f.ServerRSSMB, r.ClientCPUUsPerClientS/f.ClientCPUUsPerClientS,
			perFrame(r.ClientCPUUsPerClientS, r)/perFrame(f.ClientCPUUsPerClientS, f))
	}
	fmt.Fprintln(w)
	ratio := "n/a"
	if held["floor"] > 0 {
		ratio = fmt.Sprintf("%.2f", float64(held["roomcast"])/float64(held["floor"]))
	}
	fmt.Fprintf(w, "Largest CCU held (of those tested): floor %d, roomcast %d, roomcast÷floor %s", held["floor"], held["roomcast"], ratio)
	for _, p := range peerSystems {
		if _, ok := held[p]; ok || hasSystem(rows, p) {
			fmt.Fprintf(w, ", %s %d", p, held[p])
		}
	}
	fmt.Fprintln(w)
	printComparison(w, rows)
}
