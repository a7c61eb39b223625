// Package clustertest runs a roomcast cluster for end-to-end tests: a real
// redis-server (internal/redistest) and N cmd/gameserver processes on free
// 127.0.0.1 ports, each started with --redis, --public-url and --node-id.
// A test can kill -9 a node, restart Redis, and read a node's output and
// /metrics. Everything stops when the test ends; every wait is bounded, and
// a failed test logs the tail of each node's output.
package clustertest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/roomcast/roomcast/internal/redistest"
)

// Bounds of the waits (generous: the tests run on busy 2-core machines).
const (
	buildTimeout = 5 * time.Minute
	startTimeout = 60 * time.Second
	stopTimeout  = 30 * time.Second
	outputTail   = 64 << 10 // bytes of a node's output kept for failure messages
)

// Build returns the gameserver binary the nodes run: $ROOMCAST_GAMESERVER
// when set (make builds bin/gameserver once), else cmd/gameserver built
// into a temporary directory of t (go's build cache makes a second build
// cheap). Build it once per test function and share it between subtests.
func Build(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("ROOMCAST_GAMESERVER"); p != "" {
		return p
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "gameserver")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/gameserver")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("clustertest: go build ./cmd/gameserver: %v\n%s", err, out)
	}
	return bin
}

// moduleRoot is the directory holding this module's go.mod, found from the
// working directory (a package's test runs in its own folder).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("clustertest: working directory: %w", err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.Contains(b, []byte("module github.com/roomcast/roomcast\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("clustertest: go.mod of github.com/roomcast/roomcast not found above the working directory")
		}
		dir = parent
	}
}

// Config describes a cluster.
type Config struct {
	// Bin is the gameserver binary (Build).
	Bin string
	// Nodes is how many gameserver processes to start; default 3.
	Nodes int
	// Args are extra flags for every node (e.g. "--tick-rate", "5").
	Args []string
}

// Cluster is a Redis and its gameserver nodes, owned by one test.
type Cluster struct {
	t     testing.TB
	cfg   Config
	Redis *redistest.Server
	Nodes []*Node
}

// Start starts Redis and cfg.Nodes nodes named node1..nodeN, and waits
// until every node answers /readyz. It registers their stop with
// t.Cleanup.
func Start(t testing.TB, cfg Config) *Cluster {
	t.Helper()
	if cfg.Nodes == 0 {
		cfg.Nodes = 3
	}
	c := &Cluster{t: t, cfg: cfg, Redis: redistest.Start(t)}
	t.Cleanup(c.cleanup)
	for i := range cfg.Nodes {
		c.StartNode(fmt.Sprintf("node%d", i+1))
	}
	return c
}

// StartNode starts one more node with the given id, adds it to Nodes and
// waits until it is ready.
func (c *Cluster) StartNode(id string) *Node {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	var lastErr error
	for ctx.Err() == nil { // a free port can be taken between probe and bind: try another
		n, exitedEarly, err := c.startNode(ctx, id)
		if err == nil {
			c.Nodes = append(c.Nodes, n)
			return n
		}
		lastErr = err
		if !exitedEarly { // alive but never ready: no point in retrying
			break
		}
	}
	c.t.Fatalf("clustertest: node %s did not start: %v", id, lastErr)
	return nil
}

// startNode starts a node on a free port; exitedEarly says the process
// exited by itself before it was ready (e.g. its port was taken meanwhile).
func (c *Cluster) startNode(ctx context.Context, id string) (n *Node, exitedEarly bool, err error) {
	port, err := freePort()
	if err != nil {
		return nil, false, err
	}
	n = &Node{
		ID:   id,
		Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		out:  &tailBuffer{max: outputTail},
		done: make(chan struct{}),
	}
	n.URL = "http://" + n.Addr
	args := append([]string{
		"--addr", n.Addr, "--public-url", n.URL, "--node-id", id, "--redis", c.Redis.URL(),
		"--demo", "arena", "--drain-grace", "5s",
	}, c.cfg.Args...)
	n.cmd = exec.Command(c.cfg.Bin, args...)
	n.cmd.Stdout, n.cmd.Stderr = n.out, n.out
	if err := n.cmd.Start(); err != nil {
		return nil, false, fmt.Errorf("clustertest: start %s: %w", c.cfg.Bin, err)
	}
	go func() { n.waitErr = n.cmd.Wait(); close(n.done) }()
	if err := n.waitReady(ctx); err != nil {
		exitedEarly = n.exited()
		n.Kill()
		return nil, exitedEarly, fmt.Errorf("%w; output:\n%s", err, n.Output())
	}
	return n, false, nil
}

func (c *Cluster) cleanup() {
	var wg sync.WaitGroup
	for _, n := range c.Nodes {
		wg.Go(func() { n.Stop() })
	}
	wg.Wait()
	if c.t.Failed() {
		for _, n := range c.Nodes {
			c.t.Logf("clustertest: output of %s (%s), last %d bytes:\n%s", n.ID, n.URL, outputTail, n.Output())
		}
	}
}

// RedisKeys returns every key of the cluster's Redis whose name contains
// part, with its value (hashes as field=value pairs), for failure messages.
func (c *Cluster) RedisKeys(ctx context.Context, part string) map[string]string {
	opt, err := redis.ParseURL(c.Redis.URL())
	if err != nil {
		return map[string]string{"error": err.Error()}
	}
	rc := redis.NewClient(opt)
	defer rc.Close()
	out := map[string]string{}
	iter := rc.Scan(ctx, 0, "*"+part+"*", 100).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		switch typ, _ := rc.Type(ctx, key).Result(); typ {
		case "hash":
			out[key] = fmt.Sprint(rc.HGetAll(ctx, key).Val())
		case "string":
			out[key] = rc.Get(ctx, key).Val()
		default:
			out[key] = typ
		}
	}
	if err := iter.Err(); err != nil {
		out["error"] = err.Error()
	}
	return out
}

// CheckAlive fails the test if a node that was not killed has exited, or
// any node's output holds a Go panic or fatal error.
func (c *Cluster) CheckAlive() {
	c.t.Helper()
	for _, n := range c.Nodes {
		if n.exited() && !n.killed.Load() {
			c.t.Errorf("clustertest: node %s exited (%v); output:\n%s", n.ID, n.waitErr, n.Output())
		}
		if out := n.Output(); strings.Contains(out, "panic:") || strings.Contains(out, "fatal error:") {
			c.t.Errorf("clustertest: node %s crashed; output:\n%s", n.ID, out)
		}
	}
}

// Node is one gameserver process.
type Node struct {
	ID   string
	Addr string // 127.0.0.1:port
	URL  string // http://127.0.0.1:port, its --public-url

	cmd     *exec.Cmd
	out     *tailBuffer
	done    chan struct{} // closed when the process has exited
	waitErr error         // set before done is closed
	killed  atomic.Bool
}

// Output is the tail of the node's stdout and stderr.
func (n *Node) Output() string { return n.out.String() }

// Pid is the node's process id.
func (n *Node) Pid() int { return n.cmd.Process.Pid }

func (n *Node) exited() bool {
	select {
	case <-n.done:
		return true
	default:
		return false
	}
}

// Kill kills the node with SIGKILL (a crash: nothing is cleaned up, its
// Redis keys stay until they expire) and waits for it to exit.
func (n *Node) Kill() {
	n.killed.Store(true)
	_ = n.cmd.Process.Kill()
	<-n.done
}

// Stop drains the node (SIGTERM) and waits for it to exit; after
// stopTimeout it kills it. It returns the exit error (nil: exit 0).
func (n *Node) Stop() error {
	if n.exited() {
		return n.waitErr
	}
	n.killed.Store(true)
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(stopTimeout):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
	return n.waitErr
}

// waitReady waits for the listening line, then for /readyz to answer 200.
func (n *Node) waitReady(ctx context.Context) error {
	client := &http.Client{Timeout: 5 * time.Second}
	for {
		if n.exited() {
			return fmt.Errorf("clustertest: node %s exited before ready: %v", n.ID, n.waitErr)
		}
		if strings.Contains(n.out.String(), "listening on ") {
			if code, _, err := get(ctx, client, n.URL+"/readyz"); err == nil && code == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("clustertest: node %s not ready: %w", n.ID, ctx.Err())
		case <-n.done:
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// metricLine matches a sample: name, optional {labels}, value.
var metricLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})? ([0-9.eE+-]+|NaN|[+-]Inf)$`)

// Metrics reads the node's /metrics and returns each metric's samples
// summed over their labels (e.g. roomcast_rooms: the rooms of every type).
func (n *Node) Metrics(ctx context.Context) (map[string]float64, error) {
	code, body, err := get(ctx, &http.Client{Timeout: 10 * time.Second}, n.URL+"/metrics")
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("clustertest: %s/metrics answered %d", n.URL, code)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		m := metricLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		if v, err := strconv.ParseFloat(m[2], 64); err == nil {
			out[m[1]] += v
		}
	}
	return out, sc.Err()
}

func get(ctx context.Context, client *http.Client, url string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.StatusCode, string(b), err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("clustertest: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
