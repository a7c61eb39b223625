// Package redistest starts a real redis-server (Debian's, /usr/bin/redis-server
// or the first on PATH) for tests, on a free 127.0.0.1 port, with no
// persistence, and stops it when the test ends. A test can stop and start the
// same server (same port, empty data: a Redis restart) to test recovery.
package redistest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// startTimeout bounds how long a redis-server may take to accept
// connections (generous: CI machines are busy).
const startTimeout = 30 * time.Second

// Server is a redis-server process owned by one test.
type Server struct {
	t    testing.TB
	bin  string
	port int
	dir  string

	mu   sync.Mutex // guards cmd, done
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Binary returns the redis-server to run: $REDIS_SERVER, then
// /usr/bin/redis-server, then the first on PATH.
func Binary() (string, error) {
	if p := os.Getenv("REDIS_SERVER"); p != "" {
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/redis-server"); err == nil {
		return "/usr/bin/redis-server", nil
	}
	p, err := exec.LookPath("redis-server")
	if err != nil {
		return "", errors.New("redistest: redis-server not found (make test installs Debian's redis-server; or set REDIS_SERVER)")
	}
	return p, nil
}

// Start runs a redis-server on a free loopback port and registers its stop
// with t.Cleanup. It fails the test (never skips) when redis-server is missing.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{t: t, bin: bin, port: freePort(t), dir: t.TempDir()}
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	return s
}

// Addr is host:port, for go-redis Options.Addr.
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.port) }

// URL is redis://host:port/0, for --redis flags.
func (s *Server) URL() string { return "redis://" + s.Addr() + "/0" }

// Stop kills the server (SIGKILL: a crash, nothing saved) and waits for it
// to exit. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// Restart stops the server and starts a new one on the same port, with no
// data: what clients see when Redis restarts without persistence.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatal(err)
	}
}

// Start starts a stopped server again on the same port (Restart in two
// steps, for tests that act while Redis is down).
func (s *Server) Start() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatal(err)
	}
}

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	var lastErr error
	for ctx.Err() == nil { // the port may linger briefly after a kill
		cmd := exec.Command(s.bin,
			"--port", fmt.Sprint(s.port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", s.dir,
			"--protected-mode", "yes", "--loglevel", "warning")
		logFile, err := os.Create(filepath.Join(s.dir, fmt.Sprintf("redis-%d.log", time.Now().UnixNano())))
		if err != nil {
			return fmt.Errorf("redistest: log file: %w", err)
		}
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			logFile.Close()
			return fmt.Errorf("redistest: start %s: %w", s.bin, err)
		}
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); logFile.Close(); close(done) }()
		lastErr = waitPing(ctx, s.Addr(), done)
		if lastErr == nil {
			s.cmd, s.done = cmd, done
			return nil
		}
		_ = cmd.Process.Kill()
		<-done
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("redistest: redis-server on %s did not start: %w", s.Addr(), lastErr)
}

// waitPing waits until the server answers PING with PONG, or exits.
func waitPing(ctx context.Context, addr string, exited <-chan struct{}) error {
	for {
		select {
		case <-exited:
			return errors.New("redis-server exited")
		default:
		}
		if err := ping(addr); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-exited:
			return errors.New("redis-server exited")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
