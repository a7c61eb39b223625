package socketio

import (
	"fmt"
	"log/slog"
	"time"

	siocodec "github.com/roomcast/roomcast/codec/socketio"
	"github.com/roomcast/roomcast/transport/engineio"
)

// Parser selects the Socket.IO wire parser of a session.
type Parser int32

// Parsers.
const (
	// ParserAuto learns the parser from the session's first Socket.IO
	// packet: a text frame selects ParserDefault, a binary frame ParserMsgpack.
	ParserAuto Parser = iota
	// ParserDefault is socket.io-parser (JSON text + binary attachments).
	ParserDefault
	// ParserMsgpack is socket.io-msgpack-parser (one msgpack map per packet).
	ParserMsgpack
)

func (p Parser) String() string {
	switch p {
	case ParserAuto:
		return "auto"
	case ParserDefault:
		return "default"
	case ParserMsgpack:
		return "msgpack"
	}
	return fmt.Sprintf("Parser(%d)", int32(p))
}

// Defaults.
const (
	DefaultPath           = "/socket.io/"
	DefaultConnectTimeout = 45 * time.Second // socket.io's connectTimeout
	DefaultMaxPendingAcks = 1024
)

// Config configures a Server. Every field works at its zero value.
type Config struct {
	// Engine configures the underlying Engine.IO server. Engine.Path
	// defaults to "/socket.io/" (not Engine.IO's "/engine.io/").
	Engine engineio.Config
	// Parser fixes the parser of every session; default ParserAuto.
	Parser Parser
	// ConnectTimeout closes an Engine.IO session that has not connected to
	// any namespace this long after its handshake. Default 45 s; negative
	// disables it.
	ConnectTimeout time.Duration
	// AckTimeout is applied to EmitWithAck when its context has no deadline.
	// Default 0: no timeout beyond the context (the callback then runs at
	// the latest when the socket disconnects).
	AckTimeout time.Duration
	// MaxPendingAcks bounds the server-to-client acks awaited per socket;
	// EmitWithAck beyond it fails with ErrTooManyPendingAcks. Default 1024.
	MaxPendingAcks int
	// Limits bound packet decoding (JSON/msgpack depth, attachments per
	// packet); zero fields take siocodec's defaults (32, 10). Packet size is
	// bounded by Engine.MaxPayload.
	Limits siocodec.Limits
	// Logger receives handler panics and protocol errors; default slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Engine.Path == "" {
		c.Engine.Path = DefaultPath
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.MaxPendingAcks == 0 {
		c.MaxPendingAcks = DefaultMaxPendingAcks
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Validate reports the first invalid field (after defaults are applied).
func (c Config) Validate() error {
	switch {
	case c.Parser < ParserAuto || c.Parser > ParserMsgpack:
		return fmt.Errorf("socketio: Config.Parser %d is not ParserAuto, ParserDefault or ParserMsgpack", c.Parser)
	case c.AckTimeout < 0:
		return fmt.Errorf("socketio: Config.AckTimeout %v is negative", c.AckTimeout)
	case c.MaxPendingAcks < 0:
		return fmt.Errorf("socketio: Config.MaxPendingAcks %d is negative", c.MaxPendingAcks)
	case c.Limits.MaxDepth < 0:
		return fmt.Errorf("socketio: Config.Limits.MaxDepth %d is negative", c.Limits.MaxDepth)
	case c.Limits.MaxAttachments < 0:
		return fmt.Errorf("socketio: Config.Limits.MaxAttachments %d is negative", c.Limits.MaxAttachments)
	}
	return nil
}
