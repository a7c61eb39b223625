package host

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/roomcast/roomcast/cluster"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
	"github.com/roomcast/roomcast/tick"
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

// placeholder is served at "/" until Page gives a page.
const placeholder = "roomcast game server\n\nNo page is built into this binary.\n" +
	"Socket.IO: /socket.io/   metrics: /metrics   health: /healthz, /readyz\n"

// Server is a game server: Socket.IO at /socket.io/, rooms of the types
// given to Define served over it, the page, metrics, health checks, the
// game's own handlers and a graceful drain. It is an http.Handler; Run
// listens and serves it. Define, Page, Handle and OnDrain are meant for
// before Run (they are safe to call concurrently with it).
type Server struct {
	cfg     Config
	trusted trustedProxies
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *metrics
	sio     *socketio.Server
	rooms   *rooms.Server
	node    *cluster.Node // nil: one process (no --redis)

	page atomic.Pointer[http.Handler] // served at "/"; nil: placeholder

	mu       sync.Mutex                        // guards the fields below
	types    []string                          // room types defined
	attached bool                              // roomsio serves namespace "/"
	onDrain  []func(ctx context.Context) error // run by Drain, in order

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
	trusted, err := parseTrustedProxies(cfg.TrustedProxies)
	if err != nil {
		return nil, err
	}
	s.trusted = trusted
	sio, err := socketio.NewServer(socketio.Config{Engine: engineio.Config{
		PingInterval:         cfg.PingInterval,
		PingTimeout:          cfg.PingTimeout,
		MaxPayload:           cfg.MaxPayload,
		AllowedOrigins:       cfg.Origins(),
		Transports:           cfg.Transports,
		MaxSessions:          cfg.MaxSessions,
		MaxSessionsPerClient: max(0, cfg.MaxSessionsPerIP),
		HandshakeRate:        max(0, cfg.HandshakeRate),
		HandshakeBurst:       cfg.HandshakeBurst,
		ClientKey:            func(r *http.Request) string { return trusted.clientKey(r, cfg.LimitLoopback) },
		PostTimeout:          cfg.PostTimeout,
		MaxPollPackets:       cfg.MaxPollPackets,
		PollDrainWait:        cfg.PollDrainWait,
		ParkIdlePolls:        cfg.ParkIdlePolls,
		DisableInlineWrites:  !cfg.InlineWrites,
		Logger:               s.log,
	}, Logger: s.log})
	if err != nil {
		return nil, fmt.Errorf("host: socket.io server: %w", err)
	}
	rcfg := rooms.Config{Logger: s.log, MaxRooms: cfg.MaxRooms,
		CreateRate: cfg.CreateRate, IPCreateRate: cfg.IPCreateRate, ListRate: cfg.ListRate,
		LimitLoopback: cfg.LimitLoopback}
	if cfg.Redis != "" {
		node, err := cluster.New(cluster.Config{RedisURL: cfg.Redis, NodeID: cfg.NodeID, URL: cfg.PublicURL,
			Prefix: cfg.RedisPrefix, Beat: cfg.ClusterBeat, TTL: cfg.ClusterTTL, ClaimTTL: cfg.ClaimTTL, Logger: s.log})
		if err != nil {
			return nil, fmt.Errorf("host: %w", err)
		}
		s.node, rcfg.Directory = node, node
	}
	rs, err := rooms.NewServer(rcfg)
	if err != nil {
		return nil, fmt.Errorf("host: rooms server: %w", err)
	}
	s.sio, s.rooms = sio, rs
	s.metrics = newMetrics(sio.Engine().Stats, rs, s.RoomTypes, s.draining.Load)
	if s.node != nil {
		s.metrics.reg.MustRegister(clusterCollectors(s.node)...)
	}
	sio.Of("/").OnConnection(s.countSocket)
	s.routes()
	return s, nil
}

// Define registers room type name: newGame makes the game of each new
// room, settings are the type's (zero fields take rooms' defaults).
// Config.ReconnectGrace, when set, overrides settings.ReconnectGrace.
// The type's ticks feed the tick histograms of /metrics (label type=name)
// and settings.Observer, if any. The first Define starts serving the
// rooms protocol on Socket.IO namespace "/".
func (s *Server) Define(name string, newGame func() rooms.Game, settings rooms.Settings) error {
	if newGame == nil {
		return fmt.Errorf("host: define %q: newGame is nil", name)
	}
	if s.cfg.ReconnectGrace != 0 {
		settings.ReconnectGrace = s.cfg.ReconnectGrace
	}
	measured := s.metrics.observer(name)
	if own := settings.Observer; own != nil {
		settings.Observer = tick.ObserverFuncs{
			OnStep: func(st tick.StepStats) { own.Step(st); measured.Step(st) },
			OnSkip: func(sk tick.SkipStats) { own.Skipped(sk); measured.Skipped(sk) },
		}
	} else {
		settings.Observer = measured
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.rooms.Define(name, newGame, settings); err != nil {
		return fmt.Errorf("host: define %q: %w", name, err)
	}
	s.types = append(s.types, name)
	if !s.attached {
		roomsio.Attach(s.rooms, s.sio.Of("/"))
		s.attached = true
	}
	return nil
}

// RoomTypes returns the names given to Define, in order.
func (s *Server) RoomTypes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.types)
}

// Page serves page at "/" (index.html and its assets); nil brings back
// the short text placeholder served by default.
func (s *Server) Page(page fs.FS) {
	if page == nil {
		s.page.Store(nil)
		return
	}
	h := http.FileServerFS(page)
	s.page.Store(&h)
}

// Handle serves the game's own handler at pattern (http.ServeMux
// patterns, like "GET /api/leaderboard"). A pattern that conflicts with
// one already served (the paths of this package, "/" included: use Page)
// is an error.
func (s *Server) Handle(pattern string, h http.Handler) (err error) {
	if h == nil {
		return fmt.Errorf("host: handle %q: nil handler", pattern)
	}
	defer func() {
		// ServeMux reports bad and conflicting patterns by panicking.
		if p := recover(); p != nil {
			err = fmt.Errorf("host: handle %q: %v", pattern, p)
		}
	}()
	s.mux.Handle(pattern, h)
	return nil
}

// OnDrain adds fn to what Drain does once the rooms are closed and before
// the Socket.IO sessions close: for example shutting down a server of
// the game's own that Handle serves. fn gets the drain's context.
func (s *Server) OnDrain(fn func(ctx context.Context) error) {
	if fn == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onDrain = append(s.onDrain, fn)
}

// countSocket keeps the sockets-by-parser gauge.
func (s *Server) countSocket(sock *socketio.Socket) {
	g := s.metrics.sockets.WithLabelValues(parserLabel(sock.Parser()))
	g.Inc()
	sock.OnDisconnect(func(*socketio.Socket, string) { g.Dec() })
}

func (s *Server) routes() {
	s.mux.HandleFunc(PathPage, s.servePage)
	s.mux.Handle(PathSocketIO, s.sio)
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

func (s *Server) servePage(w http.ResponseWriter, r *http.Request) {
	if h := s.page.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, placeholder)
}

// ServeHTTP serves the page, Socket.IO, metrics, health, pprof (if
// enabled) and the handlers given to Handle.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Config returns the server's configuration, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Registry returns the Prometheus registry behind /metrics; register the
// game's own collectors on it.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

// Node returns the cluster node (nil without Config.Redis).
func (s *Server) Node() *cluster.Node { return s.node }

// Rooms returns the rooms server.
func (s *Server) Rooms() *rooms.Server { return s.rooms }

// SocketIO returns the Socket.IO server served at /socket.io/.
func (s *Server) SocketIO() *socketio.Server { return s.sio }

// Logger returns the server's logger.
func (s *Server) Logger() *slog.Logger { return s.log }

// Draining reports whether Drain has started.
func (s *Server) Draining() bool { return s.draining.Load() }
