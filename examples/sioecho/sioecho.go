package sioecho

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/roomcast/roomcast/transport/engineio"
	"github.com/roomcast/roomcast/transport/socketio"
)

// Paths the handler serves.
const (
	EngineIOPath = "/engine.io/"
	SocketIOPath = "/socket.io/"
)

// The heartbeat the demo is specified with (issue 3): fast, so that ping
// timeouts show within a test. cmd/gameserver --demo sioecho uses them
// unless --ping-interval/--ping-timeout (or their variables) say otherwise.
const (
	DemoPingInterval = 300 * time.Millisecond
	DemoPingTimeout  = 200 * time.Millisecond
)

// DefaultAdminToken is the token "/admin" accepts when Config.AdminToken is empty.
const DefaultAdminToken = "s3cret"

// ackmeTimeout bounds the server→client ack round trip of "ackme".
const ackmeTimeout = 5 * time.Second

// keptDisconnects is how many disconnect reasons "last-disconnect" remembers.
const keptDisconnects = 1024

var dynamicNamespace = regexp.MustCompile(`^/dyn-[a-z0-9-]+$`)

// Config configures the demo. Every field works at its zero value.
type Config struct {
	// PingInterval and PingTimeout of both servers; zero takes Engine.IO's
	// defaults (25 s and 20 s).
	PingInterval, PingTimeout time.Duration
	// MaxPayload bounds a message (and a polling request body) in bytes;
	// zero takes Engine.IO's default (1 000 000). A client that sends more
	// is disconnected.
	MaxPayload int64
	// AllowedOrigins, when not empty, is the Origin allowlist of both
	// servers (for example "http://localhost:3000"); empty allows any.
	AllowedOrigins []string
	// ParkIdlePolls is engineio.Config.ParkIdlePolls for both servers: a
	// waiting long-polling GET holds no goroutine (default false).
	ParkIdlePolls bool
	// AdminToken is the auth token "/admin" accepts; default DefaultAdminToken.
	AdminToken string
	// Logger; default slog.Default().
	Logger *slog.Logger
	// SocketIO, if set, is the Socket.IO server the demo's namespaces are
	// added to (for example a host.Server's, which then serves it at
	// /socket.io/, counts it on /metrics and drains it); the heartbeat,
	// payload and origin fields then apply to the raw Engine.IO echo only,
	// and Shutdown leaves this server to its owner. Namespace "/" must be
	// free (no rooms on it). Default: the demo makes its own.
	SocketIO *socketio.Server
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.PingInterval < 0:
		return fmt.Errorf("sioecho: Config.PingInterval %v is negative", c.PingInterval)
	case c.PingTimeout < 0:
		return fmt.Errorf("sioecho: Config.PingTimeout %v is negative", c.PingTimeout)
	case c.MaxPayload < 0:
		return fmt.Errorf("sioecho: Config.MaxPayload %d is negative", c.MaxPayload)
	}
	return nil
}

// Server is the demo: an http.Handler serving EngineIOPath and SocketIOPath.
type Server struct {
	mux      *http.ServeMux
	engine   *engineio.Server
	socketio *socketio.Server
	token    string
	// ownsSocketIO: the demo made socketio (Shutdown closes it).
	ownsSocketIO bool

	mu          sync.Mutex        // guards disconnects and order
	disconnects map[string]string // namespace + " " + socket id → reason
	order       []string          // keys of disconnects, oldest first
}

// New builds the demo from cfg.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.AdminToken == "" {
		cfg.AdminToken = DefaultAdminToken
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	engineCfg := engineio.Config{
		PingInterval:   cfg.PingInterval,
		PingTimeout:    cfg.PingTimeout,
		MaxPayload:     cfg.MaxPayload,
		AllowedOrigins: cfg.AllowedOrigins,
		ParkIdlePolls:  cfg.ParkIdlePolls,
		Logger:         cfg.Logger,
	}

	s := &Server{mux: http.NewServeMux(), token: cfg.AdminToken, disconnects: map[string]string{}, ownsSocketIO: cfg.SocketIO == nil}

	// (a) Raw Engine.IO echo.
	eioCfg := engineCfg
	eioCfg.Path = EngineIOPath
	eng, err := engineio.NewServer(eioCfg)
	if err != nil {
		return nil, fmt.Errorf("sioecho: engine.io server: %w", err)
	}
	eng.OnConnection(func(c *engineio.Conn) { c.SetHandler(echoHandler{}) })
	s.engine = eng

	// (b) Socket.IO.
	sio := cfg.SocketIO
	if sio == nil {
		sioCfg := socketio.Config{Engine: engineCfg, Logger: cfg.Logger}
		sioCfg.Engine.Path = SocketIOPath
		if sio, err = socketio.NewServer(sioCfg); err != nil {
			return nil, fmt.Errorf("sioecho: socket.io server: %w", err)
		}
	}
	s.socketio = sio
	sio.Of("/").OnConnection(s.onEchoConnection)
	sio.Of("/custom").OnConnection(s.onEchoConnection)
	admin := sio.Of("/admin")
	admin.Use(s.checkAdminToken)
	admin.OnConnection(s.onAdminConnection)
	sio.DynamicNamespaces(
		func(name string, _ any) bool { return dynamicNamespace.MatchString(name) },
		func(ns *socketio.Namespace) { ns.OnConnection(s.onEchoConnection) },
	)

	s.mux.Handle(EngineIOPath, eng)
	s.mux.Handle(SocketIOPath, sio)
	return s, nil
}

// ServeHTTP serves EngineIOPath and SocketIOPath; anything else is 404.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// SocketIO returns the Socket.IO server (to add events or read stats).
func (s *Server) SocketIO() *socketio.Server { return s.socketio }

// Engine returns the raw Engine.IO echo server.
func (s *Server) Engine() *engineio.Server { return s.engine }

// Shutdown closes every session of both servers ("server shutting down")
// and waits for them, or for ctx. A Socket.IO server given in
// Config.SocketIO is left to its owner.
func (s *Server) Shutdown(ctx context.Context) error {
	if !s.ownsSocketIO {
		return s.engine.Shutdown(ctx)
	}
	return errors.Join(s.socketio.Shutdown(ctx), s.engine.Shutdown(ctx))
}

// echoHandler sends every Engine.IO message back as it came.
type echoHandler struct{}

func (echoHandler) OnMessage(c *engineio.Conn, data []byte, binary bool) {
	// data is only valid during this call; TextFrame and BinaryFrame copy it.
	frame := engineio.TextFrame(data)
	if binary {
		frame = engineio.BinaryFrame(data)
	}
	_ = c.Send(frame) // fails only once the session is closed
}

func (echoHandler) OnClose(*engineio.Conn, engineio.CloseReason, error) {}

// onEchoConnection registers the events of "/" on a new socket.
func (s *Server) onEchoConnection(sock *socketio.Socket) {
	nsp := sock.Namespace().Name()
	sock.OnDisconnect(func(sock *socketio.Socket, reason string) { s.recordDisconnect(nsp, sock.ID(), reason) })
	_ = sock.Emit("auth", sock.Handshake().Auth)

	sock.On("echo", func(sock *socketio.Socket, args []any, ack func(...any)) {
		_ = sock.Emit("echo", args...)
		if ack != nil {
			ack(args...)
		}
	})
	sock.On("message", func(sock *socketio.Socket, args []any, _ func(...any)) {
		_ = sock.Emit("message-back", args...)
	})
	sock.On("message-with-ack", func(_ *socketio.Socket, args []any, ack func(...any)) {
		if ack != nil {
			ack(args...)
		}
	})
	sock.On("ackme", func(sock *socketio.Socket, args []any, ack func(...any)) {
		err := sock.EmitWithAckTimeout(ackmeTimeout, "ackme", func(reply []any, err error) {
			if ack == nil {
				return
			}
			if err != nil {
				ack(map[string]any{"error": err.Error()})
				return
			}
			ack(reply...)
		}, args...)
		if err != nil && ack != nil {
			ack(map[string]any{"error": err.Error()})
		}
	})
	sock.On("join", func(sock *socketio.Socket, args []any, ack func(...any)) {
		room, _ := firstString(args)
		sock.Join(room)
		if ack != nil {
			ack(sock.Namespace().RoomLen(room))
		}
	})
	sock.On("leave", func(sock *socketio.Socket, args []any, ack func(...any)) {
		room, _ := firstString(args)
		sock.Leave(room)
		if ack != nil {
			ack(sock.Namespace().RoomLen(room))
		}
	})
	sock.On("broadcast", func(sock *socketio.Socket, args []any, ack func(...any)) {
		room, ok := firstString(args)
		if !ok {
			if ack != nil {
				ack(map[string]any{"error": "broadcast needs a room name first"})
			}
			return
		}
		err := sock.To(room).Emit("broadcast", args[1:]...)
		if ack != nil {
			if err != nil {
				ack(map[string]any{"error": err.Error()})
				return
			}
			ack(true)
		}
	})
	sock.On("disconnect-me", func(sock *socketio.Socket, _ []any, _ func(...any)) {
		sock.Disconnect(false)
	})
	sock.On("close-session", func(sock *socketio.Socket, _ []any, _ func(...any)) {
		sock.Disconnect(true)
	})
	sock.On("last-disconnect", func(_ *socketio.Socket, args []any, ack func(...any)) {
		id, _ := firstString(args)
		if ack != nil {
			ack(s.lastDisconnect(nsp, id))
		}
	})
}

// checkAdminToken is "/admin"'s middleware.
func (s *Server) checkAdminToken(_ *socketio.Socket, auth any) error {
	if m, ok := auth.(map[string]any); ok && m["token"] == s.token {
		return nil
	}
	return &socketio.ConnectError{Message: "not authorized", Data: map[string]any{"reason": "bad token"}}
}

func (s *Server) onAdminConnection(sock *socketio.Socket) {
	sock.On("whoami", func(sock *socketio.Socket, _ []any, ack func(...any)) {
		if ack != nil {
			ack(map[string]any{"id": sock.ID(), "transport": sock.Handshake().Transport})
		}
	})
}

func (s *Server) recordDisconnect(nsp, id, reason string) {
	key := nsp + " " + id
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.disconnects[key]; !ok {
		if len(s.order) == keptDisconnects {
			delete(s.disconnects, s.order[0])
			s.order = s.order[1:]
		}
		s.order = append(s.order, key)
	}
	s.disconnects[key] = reason
}

func (s *Server) lastDisconnect(nsp, id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.disconnects[nsp+" "+id]
}

func firstString(args []any) (string, bool) {
	if len(args) == 0 {
		return "", false
	}
	str, ok := args[0].(string)
	return str, ok
}
