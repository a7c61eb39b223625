package host

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"time"
)

// Run listens on Config.Addr, prints "listening on http://HOST:PORT" to
// stdout (one line; scripts parse it) and serves until ctx is cancelled,
// then drains within Config.DrainGrace and returns nil if the drain
// completed in time.
func (s *Server) Run(ctx context.Context, stdout io.Writer) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("host: listen on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln, stdout)
}

// Serve is Run on a listener the caller opened (it is closed on return).
// A nil stdout is os.Stdout.
func (s *Server) Serve(ctx context.Context, ln net.Listener, stdout io.Writer) error {
	if stdout == nil {
		stdout = os.Stdout
	}
	if s.cfg.MaxConnsPerIP > 0 {
		ln = newConnLimiter(ln, s.cfg.MaxConnsPerIP, s.trusted, s.cfg.LimitLoopback)
	}
	// No ReadTimeout or WriteTimeout: they would cut long-polling GETs
	// (which wait up to PingInterval) and hijacked WebSockets. Engine.IO
	// bounds POST bodies (PostTimeout) and WebSocket writes itself, and
	// the ping timeout ends silent sessions.
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       s.cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	if s.node != nil {
		if s.node.URL() == "" {
			s.node.SetURL("http://" + ln.Addr().String())
			if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
				s.log.Warn("cluster: the public URL is the listen address, which clients cannot reach; set --public-url",
					"public_url", s.node.URL())
			}
		}
		if err := s.node.Start(); err != nil {
			_ = ln.Close()
			return fmt.Errorf("host: %w", err)
		}
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	if _, err := fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr()); err != nil {
		_ = hs.Close()
		<-served
		return fmt.Errorf("host: write listening line: %w", err)
	}
	s.log.Info("serving", "addr", ln.Addr().String(), "room_types", s.RoomTypes(),
		"ping_interval", s.cfg.PingInterval, "ping_timeout", s.cfg.PingTimeout,
		"max_payload", s.cfg.MaxPayload, "max_rooms", s.cfg.MaxRooms, "pprof", s.cfg.Pprof,
		"max_conns_per_ip", s.cfg.MaxConnsPerIP, "max_sessions_per_ip", s.cfg.MaxSessionsPerIP,
		"handshake_rate", s.cfg.HandshakeRate, "handshake_burst", s.cfg.HandshakeBurst,
		"trusted_proxies", s.cfg.TrustedProxies, "origins", s.cfg.Origins())
	if s.node != nil {
		s.log.Info("cluster node", "node_id", s.node.NodeID(), "public_url", s.node.URL())
	}

	select {
	case err := <-served:
		graceCtx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainGrace)
		defer cancel()
		_ = s.Drain(graceCtx)
		return fmt.Errorf("host: serve: %w", err)
	case <-ctx.Done():
	}
	start := time.Now()
	s.log.Info("draining", "grace", s.cfg.DrainGrace, "wait", s.cfg.DrainWait, "rooms", len(s.rooms.Rooms()),
		"sessions", s.sio.Engine().Stats().Sessions)
	graceCtx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainGrace)
	defer cancel()
	err := s.Drain(graceCtx)
	err = errors.Join(err, hs.Shutdown(graceCtx))
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("serve: %w", serr))
	}
	if err != nil {
		_ = hs.Close()
		return fmt.Errorf("host: drain: %w", err)
	}
	s.log.Info("stopped", "drain", time.Since(start).Round(time.Millisecond))
	return nil
}

// Drain marks the server not ready (/readyz 503), stops matchmaking, lets
// the rooms play on for up to Config.DrainWait (less if they all end),
// disposes every room (each client gets room.left {code: "shutdown"}),
// runs the OnDrain functions, lets the last frames reach the clients and
// closes every session, within ctx. The HTTP listener is the caller's
// (Run shuts it down after Drain).
func (s *Server) Drain(ctx context.Context) error {
	s.draining.Store(true)
	s.rooms.Drain() // matchmaking answers server_shutting_down from now on
	if s.node != nil {
		s.node.Drain() // no node places rooms or seats here any more
	}
	s.waitRooms(ctx)
	var err error
	if e := s.rooms.Shutdown(ctx); e != nil {
		err = fmt.Errorf("rooms: %w", e)
	}
	if s.node != nil {
		// The rooms are gone: the node leaves the cluster (its listings
		// at once, not after the heartbeat's TTL).
		if e := s.node.Close(); e != nil {
			// Its heartbeat expires on its own: the others drop its rooms.
			s.log.Warn("cluster: leaving the cluster failed", "err", e)
		}
	}
	s.mu.Lock()
	hooks := slices.Clone(s.onDrain)
	s.mu.Unlock()
	for _, fn := range hooks {
		if e := fn(ctx); e != nil {
			err = errors.Join(err, fmt.Errorf("on drain: %w", e))
		}
	}
	if e := s.sio.Shutdown(ctx); e != nil {
		err = errors.Join(err, fmt.Errorf("socket.io: %w", e))
	}
	return err
}

// roomsPoll is how often waitRooms looks for rooms that are still going.
const roomsPoll = 50 * time.Millisecond

// waitRooms lets the rooms play on for up to Config.DrainWait (within ctx),
// returning early once none is left.
func (s *Server) waitRooms(ctx context.Context) {
	if s.cfg.DrainWait <= 0 {
		return
	}
	deadline := time.NewTimer(s.cfg.DrainWait)
	defer deadline.Stop()
	poll := time.NewTicker(roomsPoll)
	defer poll.Stop()
	for len(s.rooms.Rooms()) > 0 {
		select {
		case <-deadline.C:
			return
		case <-ctx.Done():
			return
		case <-poll.C:
		}
	}
}
