// Command cluster benchmarks clustering (issue 14): the same total CCU on
// one gameserver against three gameservers on one redis-server, all on
// this machine (127.0.0.1). For each setup it measures
//
//   - join latency: -joins players, connected round-robin to the nodes, call
//     rooms.joinOrCreate at -join-rate per second; the time from the request
//     until the player is seated (a redirect and its rooms.claim included),
//     p50/p99/max;
//   - Redis commands per join (INFO commandstats around the join phase,
//     less the steady rate) and per second at steady state (during the
//     swarm's measurement window);
//   - server CPU per client: one cmd/bots swarm per node (-ccu split evenly,
//     the arena bench workload), each reading its node's CPU from /proc;
//     summed over the nodes, per client-second. Redis's own CPU is reported
//     beside it.
//
// Setups (-setups): "single" (one node, no Redis), "split" (three nodes, no
// Redis: what three processes cost by themselves on this machine) and
// "cluster" (three nodes on Redis). Clustering's overhead is cluster
// against single; cluster against split is the part Redis adds. Every
// child runs in its own process group and is killed at the end; the whole
// run has a hard limit. Use bench/cluster.sh, which builds the binaries.
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
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/roomcast/roomcast/bots"
)

type config struct {
	binDir, redisServer string
	setups              []string
	ccu, nodes          int
	nodeProcs           int // GOMAXPROCS of each node when a setup has several (0: Go's default)
	joins               int
	joinRate            float64
	duration, warmup    time.Duration
	maxTime             time.Duration
}

// Row is one setup's figures.
type Row struct {
	Setup string `json:"setup"`
	Nodes int    `json:"nodes"`
	CCU   int    `json:"ccu"`

	Joins         int     `json:"joins"`
	JoinErrors    int     `json:"join_errors"`
	Redirected    int     `json:"redirected,omitempty"` // joins seated on another node than the one asked
	JoinP50Ms     float64 `json:"join_p50_ms"`
	JoinP99Ms     float64 `json:"join_p99_ms"`
	JoinMaxMs     float64 `json:"join_max_ms"`
	RedisPerJoin  float64 `json:"redis_cmds_per_join,omitempty"`
	RedisPerS     float64 `json:"redis_cmds_per_s,omitempty"` // steady state, during the swarm window
	RedisCPUPct   float64 `json:"redis_cpu_pct,omitempty"`
	RedisCommands string  `json:"redis_commands,omitempty"` // the join phase's commands by name

	Joined                int      `json:"joined"`
	ServerCPUPct          float64  `json:"server_cpu_pct"`             // all nodes
	ServerCPUUsPerClientS float64  `json:"server_cpu_us_per_client_s"` // all nodes
	FramesPerClientS      float64  `json:"frames_per_client_s"`
	AckP99Ms              float64  `json:"ack_p99_ms"`
	KeptUp                bool     `json:"kept_up"`
	Behind                []string `json:"behind,omitempty"` // what the swarms found behind (cmd/bots)
	Error                 string   `json:"error,omitempty"`
}

func main() {
	var c config
	var setups string
	fs := flag.NewFlagSet("cluster", flag.ExitOnError)
	fs.StringVar(&c.binDir, "bin", "bin", "directory holding gameserver and bots")
	fs.StringVar(&c.redisServer, "redis-server", "", "redis-server binary (default $REDIS_SERVER, /usr/bin/redis-server, PATH)")
	fs.StringVar(&setups, "setups", "single,split,cluster", "setups to run, in order: single, split, cluster")
	fs.IntVar(&c.ccu, "ccu", 1200, "total swarm clients (split over the nodes)")
	fs.IntVar(&c.nodes, "nodes", 3, "nodes of the split and cluster setups")
	fs.IntVar(&c.nodeProcs, "node-gomaxprocs", 0, "GOMAXPROCS of each node when a setup runs several on this machine, e.g. 1 to model a core per node (0: Go's default, every core)")
	fs.IntVar(&c.joins, "joins", 400, "players of the join-latency phase")
	fs.Float64Var(&c.joinRate, "join-rate", 50, "joins per second in the join-latency phase")
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "swarm measurement window")
	fs.DurationVar(&c.warmup, "warmup", 5*time.Second, "swarm warm-up")
	fs.DurationVar(&c.maxTime, "max-time", 20*time.Minute, "hard limit for the whole run")
	_ = fs.Parse(os.Args[1:])
	c.setups = strings.Split(setups, ",")
	for _, s := range c.setups {
		if s != "single" && s != "split" && s != "cluster" {
			fatal(fmt.Errorf("-setups: unknown setup %q", s))
		}
	}
	if c.redisServer == "" {
		c.redisServer = redisBinary()
	}
	if c.ccu < 1 || c.nodes < 1 || c.joins < 0 || c.joinRate <= 0 {
		fatal(errors.New("-ccu and -nodes must be positive, -joins not negative, -join-rate positive"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.maxTime)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	var rows []Row
	for _, s := range c.setups {
		row := runSetup(ctx, c, s)
		line, _ := json.Marshal(row)
		fmt.Fprintln(os.Stderr, string(line))
		rows = append(rows, row)
	}
	printTable(os.Stdout, rows)
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "cluster:", err)
	os.Exit(2)
}

func redisBinary() string {
	if p := os.Getenv("REDIS_SERVER"); p != "" {
		return p
	}
	if _, err := os.Stat("/usr/bin/redis-server"); err == nil {
		return "/usr/bin/redis-server"
	}
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	return "redis-server"
}

// node is a started gameserver.
type node struct {
	url string
	ch  *child
}

func runSetup(ctx context.Context, c config, setup string) (row Row) {
	row = Row{Setup: setup, Nodes: 1, CCU: c.ccu}
	if setup != "single" {
		row.Nodes = c.nodes
	}
	var redis *redisServer
	defer func() {
		if redis != nil {
			redis.ch.stop()
		}
	}()
	if setup == "cluster" {
		var err error
		if redis, err = startRedis(ctx, c.redisServer); err != nil {
			row.Error = err.Error()
			return row
		}
	}
	nodes := make([]*node, 0, row.Nodes)
	defer func() {
		for _, n := range nodes {
			n.ch.stop()
		}
	}()
	for i := range row.Nodes {
		n, err := startNode(ctx, c, fmt.Sprintf("node%d", i+1), redis, row.Nodes > 1)
		if err != nil {
			row.Error = err.Error()
			return row
		}
		nodes = append(nodes, n)
	}

	// Join latency, and Redis commands per join.
	before := redis.stats()
	t0 := time.Now()
	lat, redirected, errs := joinPhase(ctx, c, nodes)
	joinTime := time.Since(t0)
	after := redis.stats()
	row.Joins, row.JoinErrors, row.Redirected = len(lat), errs, redirected
	row.JoinP50Ms, row.JoinP99Ms, row.JoinMaxMs = pct(lat, 0.50), pct(lat, 0.99), pct(lat, 1)

	// Steady state: one swarm per node.
	res, redisSteady, err := swarmPhase(ctx, c, nodes, redis)
	if err != nil {
		row.Error = err.Error()
	}
	row.KeptUp = len(res) == len(nodes)
	for _, r := range res {
		row.Joined += r.Joined
		row.ServerCPUPct += r.ServerCPUPct
		row.ServerCPUUsPerClientS += r.ServerCPUUsPerClientS * float64(r.Joined)
		row.FramesPerClientS += r.FramesPerClientS * float64(r.Joined)
		row.AckP99Ms = math.Max(row.AckP99Ms, r.AckP99Ms)
		row.KeptUp = row.KeptUp && r.KeptUp
		row.Behind = append(row.Behind, r.Behind...)
	}
	if row.Joined > 0 {
		row.ServerCPUUsPerClientS /= float64(row.Joined)
		row.FramesPerClientS /= float64(row.Joined)
	}
	if redis != nil {
		row.RedisPerS = redisSteady.perS
		row.RedisCPUPct = redisSteady.cpuPct
		if row.Joins > 0 {
			background := redisSteady.idlePerS * joinTime.Seconds()
			row.RedisPerJoin = math.Max(0, (float64(after.calls-before.calls)-background)/float64(row.Joins))
			row.RedisCommands = commandDiff(before, after)
		}
	}
	for _, v := range []*float64{&row.ServerCPUPct, &row.ServerCPUUsPerClientS, &row.FramesPerClientS,
		&row.RedisPerJoin, &row.RedisPerS, &row.RedisCPUPct} {
		*v = math.Round(*v*10) / 10
	}
	return row
}

func startNode(ctx context.Context, c config, id string, redis *redisServer, shared bool) (*node, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	url := "http://" + addr
	args := []string{"--addr", addr, "--arena-mode", "bench", "--log-level", "warn", "--drain-grace", "2s"}
	if redis != nil {
		args = append(args, "--redis", redis.url, "--public-url", url, "--node-id", id)
	}
	var env []string
	if shared && c.nodeProcs > 0 {
		env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(c.nodeProcs))
	}
	ch, err := startEnv(ctx, env, filepath.Join(c.binDir, "gameserver"), args...)
	if err != nil {
		return nil, err
	}
	ch.reap() // it prints one line to stdout; logs go to stderr
	if err := waitHTTP(ctx, url+"/readyz", 30*time.Second, ch.waited); err != nil {
		ch.stop()
		return nil, fmt.Errorf("node %s: %w; its log:\n%s", id, err, ch.tail())
	}
	return &node{url: url, ch: ch}, nil
}

// waitHTTP waits until url answers 200, the process exits or d passes.
func waitHTTP(ctx context.Context, url string, d time.Duration, exited <-chan struct{}) error {
	deadline := time.Now().Add(d)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		resp, err := client.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready in %v (last: %v)", url, d, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exited:
			return errors.New("exited before it was ready")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// joinPhase connects c.joins players round-robin to the nodes, then has
// them call joinOrCreate at c.joinRate; it returns each successful join's
// latency, how many were seated on another node than the one asked, and
// how many failed. The players leave and disconnect at the end.
func joinPhase(ctx context.Context, c config, nodes []*node) (lat []time.Duration, redirected, failed int) {
	games := make([]*bots.Game, c.joins)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for i := range games {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			g, err := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: nodes[i%len(nodes)].url, AckTimeout: 30 * time.Second}})
			if err == nil && g.Connect(ctx) == nil {
				games[i] = g
			}
		})
	}
	wg.Wait()
	defer func() {
		for _, g := range games {
			if g != nil {
				_ = g.Close()
			}
		}
	}()
	var mu sync.Mutex
	every := time.Duration(float64(time.Second) / c.joinRate)
	next := time.Now()
	for i, g := range games {
		if g == nil {
			failed++
			continue
		}
		if d := time.Until(next); d > 0 {
			select {
			case <-ctx.Done():
				return lat, redirected, failed + len(games) - i
			case <-time.After(d):
			}
		}
		next = next.Add(every)
		wg.Go(func() {
			asked := nodes[i%len(nodes)].url
			t := time.Now()
			jr, err := g.JoinOrCreate(ctx, "arena", map[string]any{"mode": "bench"})
			d := time.Since(t)
			moved := err == nil && jr.URL != asked
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				return
			}
			lat = append(lat, d)
			if moved {
				redirected++
			}
		})
	}
	wg.Wait()
	return lat, redirected, failed
}

// swarmResult is the part of cmd/bots' JSON line used here.
type swarmResult struct {
	Joined                int      `json:"joined"`
	ServerCPUPct          float64  `json:"server_cpu_pct"`
	ServerCPUUsPerClientS float64  `json:"server_cpu_us_per_client_s"`
	FramesPerClientS      float64  `json:"frames_per_client_s"`
	AckP99Ms              float64  `json:"ack_p99_ms"`
	KeptUp                bool     `json:"kept_up"`
	Behind                []string `json:"behind"`
}

// steady is Redis at steady state, over the swarms' common window.
type steady struct {
	perS, idlePerS, cpuPct float64
}

// swarmPhase runs one cmd/bots per node (c.ccu split evenly) and reads
// Redis's command rate and CPU over the window all swarms measure in. It
// also measures Redis's rate with the nodes idle (no client) before.
func swarmPhase(ctx context.Context, c config, nodes []*node, redis *redisServer) ([]swarmResult, steady, error) {
	var st steady
	if redis != nil { // the background rate: heartbeats and listings of idle nodes
		a := redis.stats()
		select {
		case <-ctx.Done():
		case <-time.After(3 * time.Second):
		}
		b := redis.stats()
		st.idlePerS = float64(b.calls-a.calls) / b.at.Sub(a.at).Seconds()
	}
	type out struct {
		res swarmResult
		err error
	}
	var (
		mu             sync.Mutex
		started, ended int
		winStart       redisStats
		winEnd         redisStats
	)
	mark := func(event string) {
		mu.Lock()
		defer mu.Unlock()
		switch event {
		case "window_start":
			if started++; started == len(nodes) {
				winStart = redis.stats()
			}
		case "window_end":
			if ended++; ended == 1 {
				winEnd = redis.stats()
			}
		}
	}
	results := make([]out, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			bots := c.ccu / len(nodes)
			if i < c.ccu%len(nodes) {
				bots++
			}
			ch, err := start(ctx, filepath.Join(c.binDir, "bots"), "-url", n.url, "-bots", strconv.Itoa(bots),
				"-duration", c.duration.String(), "-warmup", c.warmup.String(), "-pid", strconv.Itoa(n.ch.cmd.Process.Pid),
				"-quiet", "-markers", "-report", "")
			if err != nil {
				results[i].err = err
				return
			}
			for line := range ch.lines {
				var ev struct {
					Event string `json:"event"`
				}
				if json.Unmarshal([]byte(line), &ev) == nil && ev.Event != "" {
					mark(ev.Event)
					continue
				}
				var r swarmResult
				if err := json.Unmarshal([]byte(line), &r); err == nil && r.Joined > 0 {
					results[i].res = r
				}
			}
			if err := ch.wait(); err != nil && results[i].res.Joined == 0 {
				results[i].err = fmt.Errorf("bots on %s: %w: %s", n.url, err, ch.tail())
			}
		})
	}
	wg.Wait()
	var res []swarmResult
	var errs []error
	for _, r := range results {
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		res = append(res, r.res)
	}
	if redis != nil && !winStart.at.IsZero() && winEnd.at.After(winStart.at) {
		secs := winEnd.at.Sub(winStart.at).Seconds()
		st.perS = float64(winEnd.calls-winStart.calls) / secs
		st.cpuPct = 100 * (winEnd.cpu - winStart.cpu).Seconds() / secs
	}
	return res, st, errors.Join(errs...)
}

func pct(d []time.Duration, q float64) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	i = max(0, min(i, len(s)-1))
	return math.Round(float64(s[i].Microseconds())/100) / 10
}

func printTable(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| setup | nodes | CCU held | server CPU % | CPU µs/client·s | frames/client·s | join p50 ms | join p99 ms | redirected | Redis cmds/join | Redis cmds/s | Redis CPU % |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|")
	var single, split float64
	for _, r := range rows {
		switch r.Setup {
		case "single":
			single = r.ServerCPUUsPerClientS
		case "split":
			split = r.ServerCPUUsPerClientS
		}
		fmt.Fprintf(w, "| %s | %d | %d/%d | %.1f | %.1f | %.1f | %.1f | %.1f | %d | %.1f | %.1f | %.1f |\n",
			r.Setup, r.Nodes, r.Joined, r.CCU, r.ServerCPUPct, r.ServerCPUUsPerClientS, r.FramesPerClientS,
			r.JoinP50Ms, r.JoinP99Ms, r.Redirected, r.RedisPerJoin, r.RedisPerS, r.RedisCPUPct)
	}
	for _, r := range rows {
		if r.Setup != "single" && single > 0 && r.ServerCPUUsPerClientS > 0 {
			fmt.Fprintf(w, "\n%s: server CPU per client %+.1f %% against single", r.Setup, 100*(r.ServerCPUUsPerClientS/single-1))
		}
		if r.Setup == "cluster" && split > 0 && r.ServerCPUUsPerClientS > 0 {
			fmt.Fprintf(w, "\ncluster: server CPU per client %+.1f %% against split (what Redis adds to three processes)", 100*(r.ServerCPUUsPerClientS/split-1))
		}
		if r.Error != "" {
			fmt.Fprintf(w, "\n%s: error: %s", r.Setup, r.Error)
		}
		if len(r.Behind) > 0 {
			fmt.Fprintf(w, "\n%s: behind: %s", r.Setup, strings.Join(r.Behind, "; "))
		}
		if r.JoinErrors > 0 {
			fmt.Fprintf(w, "\n%s: %d of %d joins failed", r.Setup, r.JoinErrors, r.JoinErrors+r.Joins)
		}
		if r.RedisCommands != "" {
			fmt.Fprintf(w, "\n%s: Redis commands of the join phase: %s", r.Setup, r.RedisCommands)
		}
	}
	fmt.Fprintln(w)
}

// redisServer is a started redis-server.
type redisServer struct {
	addr, url string
	ch        *child
}

func startRedis(ctx context.Context, bin string) (*redisServer, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "roomcast-bench-redis-")
	if err != nil {
		return nil, err
	}
	ch, err := start(ctx, bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--loglevel", "warning")
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	ch.cleanup = func() { _ = os.RemoveAll(dir) }
	ch.reap() // redis writes nothing to stdout: drain it all the same
	r := &redisServer{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), ch: ch}
	r.url = "redis://" + r.addr + "/0"
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := r.info("server"); err == nil {
			return r, nil
		}
		if time.Now().After(deadline) {
			ch.stop()
			return nil, fmt.Errorf("redis-server on %s did not start", r.addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// redisStats are Redis's command counts and CPU at one moment.
type redisStats struct {
	at    time.Time
	calls int64            // all commands
	byCmd map[string]int64 // calls per command
	cpu   time.Duration
}

// stats reads INFO commandstats (not counting its own INFO calls) and
// the server's CPU; a nil server gives zero stats.
func (r *redisServer) stats() redisStats {
	s := redisStats{at: time.Now(), byCmd: map[string]int64{}}
	if r == nil {
		return s
	}
	if ps, err := bots.ReadProcStat(r.ch.cmd.Process.Pid); err == nil {
		s.cpu = ps.CPU
	}
	text, err := r.info("commandstats")
	if err != nil {
		return s
	}
	for _, line := range strings.Split(text, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		name = strings.TrimPrefix(name, "cmdstat_")
		for _, kv := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(kv, "calls="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				if name != "info" {
					s.byCmd[name] = n
					s.calls += n
				}
			}
		}
	}
	return s
}

// info sends INFO section over RESP and returns the bulk string.
func (r *redisServer) info(section string) (string, error) {
	conn, err := net.DialTimeout("tcp", r.addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(conn, "*2\r\n$4\r\nINFO\r\n$%d\r\n%s\r\n", len(section), section); err != nil {
		return "", err
	}
	br := bufio.NewReader(conn)
	head, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(head, "$") {
		return "", fmt.Errorf("INFO answered %q", strings.TrimSpace(head))
	}
	n, err := strconv.Atoi(strings.TrimSpace(head[1:]))
	if err != nil || n < 0 {
		return "", fmt.Errorf("INFO answered %q", strings.TrimSpace(head))
	}
	body := make([]byte, n+2)
	if _, err := io.ReadFull(br, body); err != nil {
		return "", err
	}
	return string(body[:n]), nil
}

// commandDiff lists the commands between two stats, most called first.
func commandDiff(a, b redisStats) string {
	type kv struct {
		name string
		n    int64
	}
	var l []kv
	for name, n := range b.byCmd {
		if d := n - a.byCmd[name]; d > 0 {
			l = append(l, kv{name, d})
		}
	}
	slices.SortFunc(l, func(x, y kv) int { return int(y.n - x.n) })
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = fmt.Sprintf("%s %d", e.name, e.n)
	}
	return strings.Join(parts, ", ")
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
	cmd     *exec.Cmd
	stderr  *lockedTail
	lines   chan string // stdout, closed at its end
	once    sync.Once
	waited  chan struct{}
	waitErr error
	cleanup func() // after exit (nil: nothing)
}

func start(ctx context.Context, name string, args ...string) (*child, error) {
	return startEnv(ctx, nil, name, args...)
}

// startEnv is start with the environment env (nil: this process's).
func startEnv(ctx context.Context, env []string, name string, args ...string) (*child, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	ch := &child{cmd: cmd, stderr: &lockedTail{}, lines: make(chan string, 64), waited: make(chan struct{})}
	cmd.Stderr = ch.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			ch.lines <- sc.Text()
		}
		close(ch.lines)
	}()
	return ch, nil
}

// reap starts, once, the goroutine that drains stdout and waits for exit.
func (c *child) reap() {
	c.once.Do(func() {
		go func() {
			for range c.lines { // drain, so the reader ends
			}
			c.waitErr = c.cmd.Wait()
			if c.cleanup != nil {
				c.cleanup()
			}
			close(c.waited)
		}()
	})
}

// wait waits for the child to exit by itself and returns its exit error.
func (c *child) wait() error {
	c.reap()
	<-c.waited
	return c.waitErr
}

func (c *child) tail() string {
	c.stderr.mu.Lock()
	defer c.stderr.mu.Unlock()
	return c.stderr.buf.String()
}

// stop ends the child's whole process group: SIGTERM, then SIGKILL.
func (c *child) stop() {
	if c == nil || c.cmd.Process == nil {
		return
	}
	pgid := c.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	c.reap()
	select {
	case <-c.waited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-c.waited
	}
}

// lockedTail keeps the last 16 KiB written.
type lockedTail struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedTail) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if l.buf.Len() > 16<<10 {
		b := l.buf.Bytes()[l.buf.Len()-8<<10:]
		l.buf.Reset()
		l.buf.Write(b)
	}
	return len(p), nil
}
