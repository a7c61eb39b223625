package engineio

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Client fleets for the benchmarks run in a child process (this test
// binary re-executed with fleetEnv set, which TestMain turns into
// runClientFleet instead of the tests), so that their memory, goroutines
// and file descriptors are not the server's.

const fleetEnv = "ENGINEIO_CLIENT_FLEET" // "mode addr n": mode ws-idle | ws-drain | polling-idle

func TestMain(m *testing.M) {
	if spec := os.Getenv(fleetEnv); spec != "" {
		runClientFleet(fleetFailer{}, spec)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// fleetFailer reports the fleet process's failures (require's TestingT).
type fleetFailer struct{}

func (fleetFailer) Errorf(format string, args ...any) { fmt.Fprintf(os.Stderr, format+"\n", args...) }
func (fleetFailer) FailNow()                          { os.Exit(1) }

// runClientFleet is the child process of the benchmarks: it opens n
// sessions, prints "ready", and holds them until stdin closes.
func runClientFleet(t require.TestingT, spec string) {
	var (
		mode, addr string
		n          int
	)
	_, err := fmt.Sscan(spec, &mode, &addr, &n)
	require.NoError(t, err)
	conns := make([]net.Conn, 0, n)
	for range n {
		conn, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		br := bufio.NewReader(conn)
		switch mode {
		case "ws-idle", "ws-drain":
			_, err = fmt.Fprintf(conn, "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"+
				"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", addr)
			require.NoError(t, err)
			resp, err := http.ReadResponse(br, nil)
			require.NoError(t, err)
			require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
			if mode == "ws-drain" {
				go func() { _, _ = io.Copy(io.Discard, br) }()
			}
		case "polling-idle":
			sid := pollHandshake(t, conn, br, addr)
			// The pending GET that an idle polling client keeps open.
			_, err = fmt.Fprintf(conn, "GET /socket.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: %s\r\n\r\n", sid, addr)
			require.NoError(t, err)
		}
		conns = append(conns, conn)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		_ = c.Close()
	}
}

func pollHandshake(t require.TestingT, conn net.Conn, br *bufio.Reader, addr string) string {
	_, err := fmt.Fprintf(conn, "GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: %s\r\n\r\n", addr)
	require.NoError(t, err)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	s := string(body)
	i := strings.Index(s, `"sid":"`)
	require.GreaterOrEqual(t, i, 0, s)
	return s[i+7 : i+7+20]
}

// startFleet starts the child process and waits until its n sessions are
// open on srv.
func startFleet(b *testing.B, srv *Server, addr, mode string, n int) (stop func()) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s %d", fleetEnv, mode, addr, n))
	stdin, err := cmd.StdinPipe()
	require.NoError(b, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(b, err)
	cmd.Stderr = os.Stderr
	require.NoError(b, cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(b, err, "client fleet: %q", line)
	require.Equal(b, "ready\n", line)
	require.Eventually(b, func() bool { return srv.Stats().Sessions == n }, time.Minute, 10*time.Millisecond)
	return func() {
		_ = stdin.Close()
		_ = cmd.Wait()
	}
}

func serveBench(b *testing.B, cfg Config) (*Server, string) {
	srv, err := NewServer(cfg)
	require.NoError(b, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	hs := &http.Server{Handler: srv}
	go func() { _ = hs.Serve(ln) }()
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = hs.Close()
	})
	return srv, ln.Addr().String()
}

func sessionsFromEnv(def int) int {
	if n, err := strconv.Atoi(os.Getenv("ENGINEIO_BENCH_SESSIONS")); err == nil && n > 0 {
		return n
	}
	return def
}

// benchIdle measures the server's memory per idle session: heap and
// goroutine stacks, after GC, with n sessions open (default 10 000,
// ENGINEIO_BENCH_SESSIONS overrides). Run with -benchtime=1x.
func benchIdle(b *testing.B, mode string, park bool) { benchIdleAfter(b, mode, park, 0) }

// benchIdleAfter is benchIdle after frames frames were sent to every
// session one by one and written (inline writes off, as the gameserver
// runs): what a session holds between two ticks.
func benchIdleAfter(b *testing.B, mode string, park bool, frames int) {
	n := sessionsFromEnv(10_000)
	srv, addr := serveBench(b, Config{PingInterval: time.Hour, PingTimeout: time.Hour, ParkIdlePolls: park,
		DisableInlineWrites: frames > 0})
	var conns []*Conn
	var mu sync.Mutex
	srv.OnConnection(func(c *Conn) {
		c.SetHandler(funcHandler{})
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
	})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	stop := startFleet(b, srv, addr, mode, n)
	defer stop()
	frame := BinaryFrame(make([]byte, 100))
	for range frames {
		out := srv.Stats().FramesOut
		for _, c := range conns {
			require.NoError(b, c.Send(frame))
		}
		require.Eventually(b, func() bool { return srv.Stats().FramesOut >= out+uint64(n) }, time.Minute, time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // let handshake goroutines finish (not an assertion)
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n) // signed: stacks can shrink
	stack := float64(int64(after.StackInuse)-int64(before.StackInuse)) / float64(n)
	goroutines := float64(runtime.NumGoroutine()) / float64(n)
	for b.Loop() {
	}
	b.ReportMetric(heap, "heapB/session")
	b.ReportMetric(stack, "stackB/session")
	b.ReportMetric(heap+stack, "B/session")
	b.ReportMetric(goroutines, "goroutines/session")
}

// processCPU is this process's user+system CPU time (its child processes
// excluded).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkIdleWebSocketSessions(b *testing.B) { benchIdle(b, "ws-idle", false) }

// BenchmarkIdleWebSocketSessionsAfterFrames: idle WebSocket sessions that
// were each sent 20 frames first (the clients read them): with the shared
// writers, a session holds no writer goroutine between frames.
func BenchmarkIdleWebSocketSessionsAfterFrames(b *testing.B) {
	benchIdleAfter(b, "ws-drain", false, 20)
}

// BenchmarkParkedGoroutine is the design alternative the shared writers
// avoid: what one long-lived writer goroutine per session would cost,
// parked on its channel after having written once (a write(2) through
// net.Conn, as a writer does). 10 000 goroutines; stack and heap per
// goroutine after GC.
func BenchmarkParkedGoroutine(b *testing.B) {
	const n = 10_000
	c1, c2 := net.Pipe()
	defer c1.Close()
	go func() { _, _ = io.Copy(io.Discard, c2) }()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	wake := make([]chan struct{}, n)
	var wg sync.WaitGroup
	var ready sync.WaitGroup
	ready.Add(n)
	for i := range wake {
		wake[i] = make(chan struct{}, 1)
		wg.Add(1)
		go func(ch chan struct{}) {
			defer wg.Done()
			_, _ = c1.Write([]byte{1})
			ready.Done()
			<-ch
		}(wake[i])
	}
	ready.Wait()
	runtime.GC()
	runtime.ReadMemStats(&after)
	for b.Loop() {
	}
	b.ReportMetric(float64(int64(after.StackInuse)-int64(before.StackInuse))/n, "stackB/goroutine")
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/n, "heapB/goroutine")
	for _, ch := range wake {
		close(ch)
	}
	wg.Wait()
}

func BenchmarkIdlePollingSessions(b *testing.B) { benchIdle(b, "polling-idle", false) }

func BenchmarkIdlePollingSessionsParked(b *testing.B) { benchIdle(b, "polling-idle", true) }

// BenchmarkBroadcast1000 sends one 100-byte frame (built once) to 1 000
// WebSocket sessions per op, and counts the op done when every copy has
// been written to the sockets. The clients (a child process) drain.
func BenchmarkBroadcast1000(b *testing.B) { benchBroadcast(b, 256, false) }

// BenchmarkBroadcast1000Tick is BenchmarkBroadcast1000 as a game tick sends
// it: each broadcast is written out before the next one starts, so every
// session has one frame to write at a time (as with one state frame per
// tick), not a backlog that the writer can send back to back.
func BenchmarkBroadcast1000Tick(b *testing.B) { benchBroadcast(b, 1, false) }

// BenchmarkBroadcast1000TickQueued is BenchmarkBroadcast1000Tick with
// inline writes off, as the gameserver runs: every frame goes through the
// writers (the shared writers; before them, a goroutine started per
// session and burst).
func BenchmarkBroadcast1000TickQueued(b *testing.B) { benchBroadcast(b, 1, true) }

// benchBroadcast waits for every frame to be written each window
// broadcasts.
func benchBroadcast(b *testing.B, window uint64, disableInline bool) {
	const n = 1000
	srv, addr := serveBench(b, Config{PingInterval: time.Hour, PingTimeout: time.Hour, DisableInlineWrites: disableInline})
	conns := make(chan *Conn, n)
	srv.OnConnection(func(c *Conn) {
		c.SetHandler(funcHandler{})
		conns <- c
	})
	stop := startFleet(b, srv, addr, "ws-drain", n)
	defer stop()
	all := make([]*Conn, 0, n)
	for range n {
		all = append(all, <-conns)
	}
	payload := []byte(strings.Repeat("x", 100))
	waitWritten := func(frames uint64) {
		for srv.Stats().FramesOut < frames {
			runtime.Gosched()
		}
	}
	waitWritten(n) // the open packets
	base := srv.Stats().FramesOut
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	i := uint64(0)
	for b.Loop() {
		f := TextFrame(payload)
		for _, c := range all {
			if err := c.Send(f); err != nil {
				b.Fatal(err)
			}
		}
		i++
		if i%window == 0 { // keep queues far below their bound
			waitWritten(base + i*n)
		}
	}
	waitWritten(base + i*n)
	b.StopTimer()
	cpu := processCPU() - cpu0
	elapsed := b.Elapsed()
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(i*n), "ns/recipient")
	// The server's CPU (user+system of this process, all threads; the
	// clients are a child process): what a broadcast costs the machine,
	// whichever goroutine does the writes.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(i*n), "cpu-ns/recipient")
}
