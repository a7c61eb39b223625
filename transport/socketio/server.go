package socketio

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/roomcast/roomcast/transport/engineio"
)

// Server is a Socket.IO server. It is an http.Handler to mount at
// Config.Engine.Path (default "/socket.io/").
type Server struct {
	cfg    Config
	engine *engineio.Server
	log    *slog.Logger

	mu         sync.RWMutex // guards namespaces, dynAccept, dynInit
	namespaces map[string]*Namespace
	dynAccept  func(name string, auth any) bool
	dynInit    func(ns *Namespace)

	textBufs transcodeBufs // buffers of the default parser's raw event path
}

// NewServer validates cfg and returns a Server with the main namespace "/".
func NewServer(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	eng, err := engineio.NewServer(cfg.Engine)
	if err != nil {
		return nil, fmt.Errorf("socketio: engine: %w", err)
	}
	s := newServer(cfg)
	s.engine = eng
	eng.OnConnection(func(c *engineio.Conn) {
		cl := s.newClient(c)
		c.SetHandler(engineHandler{cl})
	})
	return s, nil
}

func newServer(cfg Config) *Server {
	s := &Server{cfg: cfg, log: cfg.Logger, namespaces: map[string]*Namespace{}}
	s.namespaces["/"] = newNamespace(s, "/")
	return s
}

// ServeHTTP serves Engine.IO requests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// Engine returns the underlying Engine.IO server (for Stats).
func (s *Server) Engine() *engineio.Server { return s.engine }

// Shutdown closes every session with reason "server shutting down" (each
// socket's OnDisconnect sees it) and waits for the engine to finish, or ctx.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.engine == nil {
		return nil
	}
	return s.engine.Shutdown(ctx)
}

// Of returns the namespace name, creating it if needed. Names start with
// "/"; "" means "/".
func (s *Server) Of(name string) *Namespace {
	name = normalizeNsp(name)
	s.mu.RLock()
	ns := s.namespaces[name]
	s.mu.RUnlock()
	if ns != nil {
		return ns
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ns = s.namespaces[name]; ns == nil {
		ns = newNamespace(s, name)
		s.namespaces[name] = ns
	}
	return ns
}

// OnConnection registers fn for connections to the main namespace "/".
func (s *Server) OnConnection(fn func(s *Socket)) { s.Of("/").OnConnection(fn) }

// DynamicNamespaces lets clients connect to namespaces that were not
// created with Of: for a CONNECT to an unknown namespace, accept(name, auth)
// decides; when it returns true the namespace is created, init (if not nil)
// runs once on it (register middleware and connection handlers there), and
// the connection proceeds. Otherwise the client gets CONNECT_ERROR
// {"message":"Invalid namespace"}. Namespaces created this way stay.
func (s *Server) DynamicNamespaces(accept func(name string, auth any) bool, init func(ns *Namespace)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dynAccept, s.dynInit = accept, init
}

// lookupNamespace returns the namespace for a CONNECT, creating a dynamic
// one if accepted, or nil.
func (s *Server) lookupNamespace(name string, auth any) *Namespace {
	s.mu.RLock()
	ns, accept, init := s.namespaces[name], s.dynAccept, s.dynInit
	s.mu.RUnlock()
	if ns != nil {
		if ns.dynamic {
			ns.initOnce.Do(func() {
				if init != nil {
					init(ns)
				}
			})
		}
		return ns
	}
	if accept == nil || !accept(name, auth) {
		return nil
	}
	s.mu.Lock()
	ns = s.namespaces[name]
	if ns == nil {
		ns = newNamespace(s, name)
		ns.dynamic = true
		s.namespaces[name] = ns
	}
	s.mu.Unlock()
	if ns.dynamic {
		// Every connecting client waits until init has run once.
		ns.initOnce.Do(func() {
			if init != nil {
				init(ns)
			}
		})
	}
	return ns
}

func normalizeNsp(name string) string {
	if name == "" {
		return "/"
	}
	if name[0] != '/' {
		return "/" + name
	}
	return name
}

// newID returns a random 20-character URL-safe id.
func newID() string {
	var b [15]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
