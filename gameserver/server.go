package gameserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/examples/sioecho"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
	"github.com/roomcast/roomcast/transport/engineio"
	"github.com/roomcast/roomcast/transport/socketio"
)

// HTTP paths of the server.
const (
	PathPage     = "/"
	PathSocketIO = "/socket.io/"
	PathMetrics  = "/metrics"
	PathHealthz  = "/healthz"
	PathReadyz   = "/readyz"
	PathPprof    = "/debug/pprof/"
)

// placeholder is served at "/" when Config.Web is nil.
const placeholder = "roomcast game server\n\nThe arena page is not built into this binary.\n" +
	"Socket.IO: /socket.io/   metrics: /metrics   health: /healthz, /readyz\n"

// Server is the assembled game server: Socket.IO transport, rooms with
// the arena room type (or the sioecho demo), the page, metrics, health
// and drain. It is an http.Handler; Run listens and serves it.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *metrics

	sio   *socketio.Server // arena
	rooms *rooms.Server    // arena
	echo  *sioecho.Server  // sioecho demo

	draining atomic.Bool
}

// New validates cfg and builds the server (nothing listens yet).
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	if s.log == nil {
		s.log = newLogger(cfg, os.Stderr)
	}
	engineCfg := engineio.Config{
		PingInterval:        cfg.PingInterval,
		PingTimeout:         cfg.PingTimeout,
		MaxPayload:          cfg.MaxPayload,
		AllowedOrigins:      cfg.AllowedOrigins,
		Transports:          cfg.Transports,
		MaxSessions:         cfg.MaxSessions,
		ParkIdlePolls:       cfg.ParkIdlePolls,
		DisableInlineWrites: !cfg.InlineWrites,
		Logger:              s.log,
	}
	switch cfg.Demo {
	case DemoSioecho:
		echo, err := sioecho.New(sioecho.Config{
			PingInterval: cfg.PingInterval, PingTimeout: cfg.PingTimeout, MaxPayload: cfg.MaxPayload,
			AllowedOrigins: cfg.AllowedOrigins, Logger: s.log,
		})
		if err != nil {
			return nil, fmt.Errorf("gameserver: sioecho demo: %w", err)
		}
		s.echo = echo
		s.metrics = newMetrics(echo.SocketIO().Engine().Stats, nil, nil, s.draining.Load)
		s.mux.Handle(sioecho.EngineIOPath, echo)
		s.mux.Handle(sioecho.SocketIOPath, echo)
	default:
		sio, err := socketio.NewServer(socketio.Config{Engine: engineCfg, Logger: s.log})
		if err != nil {
			return nil, fmt.Errorf("gameserver: socket.io server: %w", err)
		}
		rs, err := rooms.NewServer(rooms.Config{Logger: s.log, MaxRooms: cfg.MaxRooms})
		if err != nil {
			return nil, fmt.Errorf("gameserver: rooms server: %w", err)
		}
		s.sio, s.rooms = sio, rs
		s.metrics = newMetrics(sio.Engine().Stats, rs, []string{arena.RoomType}, s.draining.Load)
		if err := s.defineArena(); err != nil {
			_ = rs.Shutdown(context.Background())
			return nil, err
		}
		ns := sio.Of("/")
		roomsio.Attach(rs, ns)
		ns.OnConnection(s.countSocket)
		s.mux.Handle(PathSocketIO, sio)
	}
	s.routes()
	return s, nil
}

// defineArena registers the arena room type, its ticks observed.
func (s *Server) defineArena() error {
	acfg := arena.Config{Mode: s.cfg.ArenaMode, Quantized: s.cfg.Quantized, Packed: s.cfg.Packed}
	if err := acfg.Validate(); err != nil {
		return fmt.Errorf("gameserver: %w", err)
	}
	settings := arena.Settings()
	if s.cfg.TickRate != 0 {
		settings.TickRate = s.cfg.TickRate
	}
	if s.cfg.ReconnectGrace != 0 {
		settings.ReconnectGrace = s.cfg.ReconnectGrace
	}
	settings.Observer = s.metrics.observer(arena.RoomType)
	err := s.rooms.Define(arena.RoomType, func() rooms.Game { return arena.NewGame(acfg) }, settings)
	if err != nil {
		return fmt.Errorf("gameserver: define arena: %w", err)
	}
	return nil
}

// countSocket keeps the sockets-by-parser gauge.
func (s *Server) countSocket(sock *socketio.Socket) {
	g := s.metrics.sockets.WithLabelValues(parserLabel(sock.Parser()))
	g.Inc()
	sock.OnDisconnect(func(*socketio.Socket, string) { g.Dec() })
}

func (s *Server) routes() {
	if s.cfg.Web != nil {
		s.mux.Handle(PathPage, http.FileServerFS(s.cfg.Web))
	} else {
		s.mux.HandleFunc(PathPage, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, placeholder)
		})
	}
	s.mux.Handle(PathMetrics, promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}))
	s.mux.HandleFunc(PathHealthz, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	s.mux.HandleFunc(PathReadyz, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if s.draining.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "draining\n")
			return
		}
		_, _ = io.WriteString(w, "ready\n")
	})
	if s.cfg.Pprof {
		s.mux.HandleFunc(PathPprof, pprof.Index)
		s.mux.HandleFunc(PathPprof+"cmdline", pprof.Cmdline)
		s.mux.HandleFunc(PathPprof+"profile", pprof.Profile)
		s.mux.HandleFunc(PathPprof+"symbol", pprof.Symbol)
		s.mux.HandleFunc(PathPprof+"trace", pprof.Trace)
	}
}

// ServeHTTP serves the page, Socket.IO, metrics, health and (if enabled)
// pprof.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Registry returns the Prometheus registry behind /metrics.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

// Rooms returns the rooms server (nil in the sioecho demo).
func (s *Server) Rooms() *rooms.Server { return s.rooms }

// SocketIO returns the Socket.IO server.
func (s *Server) SocketIO() *socketio.Server {
	if s.echo != nil {
		return s.echo.SocketIO()
	}
	return s.sio
}

// Logger returns the server's logger.
func (s *Server) Logger() *slog.Logger { return s.log }

// Draining reports whether Drain has started.
func (s *Server) Draining() bool { return s.draining.Load() }

// Run listens on Config.Addr, prints "listening on http://HOST:PORT" to
// stdout (one line; scripts parse it) and serves until ctx is cancelled,
// then drains within Config.DrainGrace and returns nil if the drain
// completed in time.
func (s *Server) Run(ctx context.Context, stdout io.Writer) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("gameserver: listen on %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln, stdout)
}

// Serve is Run on a listener the caller opened (it is closed on return).
func (s *Server) Serve(ctx context.Context, ln net.Listener, stdout io.Writer) error {
	if stdout == nil {
		stdout = os.Stdout
	}
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	if _, err := fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr()); err != nil {
		_ = hs.Close()
		<-served
		return fmt.Errorf("gameserver: write listening line: %w", err)
	}
	s.log.Info("serving", "demo", s.cfg.Demo, "addr", ln.Addr().String(), "arena_mode", s.cfg.ArenaMode,
		"quantized", s.cfg.Quantized, "packed", s.cfg.Packed, "ping_interval", s.cfg.PingInterval, "ping_timeout", s.cfg.PingTimeout,
		"max_payload", s.cfg.MaxPayload, "pprof", s.cfg.Pprof)

	select {
	case err := <-served:
		graceCtx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainGrace)
		defer cancel()
		_ = s.Drain(graceCtx)
		return fmt.Errorf("gameserver: serve: %w", err)
	case <-ctx.Done():
	}
	start := time.Now()
	s.log.Info("draining", "grace", s.cfg.DrainGrace, "wait", s.cfg.DrainWait, "rooms", s.roomCount(),
		"sessions", s.SocketIO().Engine().Stats().Sessions)
	graceCtx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainGrace)
	defer cancel()
	err := s.Drain(graceCtx)
	err = errors.Join(err, hs.Shutdown(graceCtx))
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("serve: %w", serr))
	}
	if err != nil {
		_ = hs.Close()
		return fmt.Errorf("gameserver: drain: %w", err)
	}
	s.log.Info("stopped", "drain", time.Since(start).Round(time.Millisecond))
	return nil
}

func (s *Server) roomCount() int {
	if s.rooms == nil {
		return 0
	}
	return len(s.rooms.Rooms())
}

// Drain marks the server not ready, stops matchmaking, lets the rooms play
// on for up to Config.DrainWait (less if they all end), disposes every room
// (each client gets room.left {code: "shutdown"}), lets the last frames
// reach the clients and closes every session, within ctx. The HTTP
// listener is the caller's (Run shuts it down after Drain).
func (s *Server) Drain(ctx context.Context) error {
	s.draining.Store(true)
	return s.shutdownApp(ctx)
}

func (s *Server) shutdownApp(ctx context.Context) error {
	if s.echo != nil {
		return s.echo.Shutdown(ctx)
	}
	s.rooms.Drain() // matchmaking answers server_shutting_down from now on
	s.waitRooms(ctx)
	var err error
	if e := s.rooms.Shutdown(ctx); e != nil {
		err = fmt.Errorf("rooms: %w", e)
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

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
