// Package engineio is a PLACEHOLDER with the agreed API only (see /work/plan/CONTRACTS.md); the real Engine.IO v4 server replaces this file.
package engineio

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

type Config struct {
	Path            string
	PingInterval    time.Duration
	PingTimeout     time.Duration
	MaxPayload      int64
	UpgradeTimeout  time.Duration
	Transports      []string
	AllowedOrigins  []string
	AllowRequest    func(*http.Request) error
	SendQueueFrames int
	SendQueueBytes  int
	MaxSessions     int
	Logger          *slog.Logger
}
type Stats struct{}
type Server struct{ onConn func(*Conn) }

func NewServer(cfg Config) (*Server, error)                    { return &Server{}, nil }
func (s *Server) OnConnection(fn func(c *Conn))                { s.onConn = fn }
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {}
func (s *Server) Shutdown(ctx context.Context) error           { return nil }
func (s *Server) Stats() Stats                                 { return Stats{} }

type Frame struct {
	data   []byte
	binary bool
}

func TextFrame(data []byte) *Frame   { return &Frame{data: append([]byte(nil), data...)} }
func BinaryFrame(data []byte) *Frame { return &Frame{data: append([]byte(nil), data...), binary: true} }
func (f *Frame) Payload() []byte     { return f.data }
func (f *Frame) IsBinary() bool      { return f.binary }

type Handshake struct {
	RemoteAddr string
	Header     http.Header
	Query      url.Values
	Time       time.Time
}
type CloseReason string

const (
	ReasonTransportClose     CloseReason = "transport close"
	ReasonTransportError     CloseReason = "transport error"
	ReasonPingTimeout        CloseReason = "ping timeout"
	ReasonParseError         CloseReason = "parse error"
	ReasonForcedClose        CloseReason = "forced close"
	ReasonServerShuttingDown CloseReason = "server shutting down"
	ReasonSlowConsumer       CloseReason = "slow consumer"
)

var (
	ErrClosed       = errors.New("engineio: closed")
	ErrSlowConsumer = errors.New("engineio: slow consumer")
)

type Handler interface {
	OnMessage(c *Conn, data []byte, binary bool)
	OnClose(c *Conn, reason CloseReason, err error)
}
type Conn struct{}

func (c *Conn) ID() string                                         { return "" }
func (c *Conn) Transport() string                                  { return "" }
func (c *Conn) Handshake() Handshake                               { return Handshake{} }
func (c *Conn) SetHandler(h Handler)                               {}
func (c *Conn) Send(frames ...*Frame) error                        { return nil }
func (c *Conn) SendDroppable(frames ...*Frame) (bool, error)       { return true, nil }
func (c *Conn) Close(reason CloseReason)                           {}
