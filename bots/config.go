package bots

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Transport selects how a Client reaches the server.
type Transport int

// Transports.
const (
	// TransportWebSocket opens a WebSocket directly (socket.io-client's
	// transports: ["websocket"]).
	TransportWebSocket Transport = iota
	// TransportPolling uses HTTP long-polling only.
	TransportPolling
	// TransportPollingUpgrade starts with long-polling and upgrades to
	// WebSocket when the server offers it (socket.io-client's default).
	TransportPollingUpgrade
)

func (t Transport) String() string {
	switch t {
	case TransportWebSocket:
		return "websocket"
	case TransportPolling:
		return "polling"
	case TransportPollingUpgrade:
		return "polling+upgrade"
	}
	return fmt.Sprintf("Transport(%d)", int(t))
}

// ParseTransport parses "websocket", "polling" or "polling+upgrade" (also
// "upgrade").
func ParseTransport(s string) (Transport, error) {
	switch strings.ToLower(s) {
	case "websocket", "ws":
		return TransportWebSocket, nil
	case "polling":
		return TransportPolling, nil
	case "polling+upgrade", "upgrade":
		return TransportPollingUpgrade, nil
	}
	return 0, fmt.Errorf("bots: unknown transport %q (websocket, polling, polling+upgrade)", s)
}

// Parser selects the Socket.IO wire parser.
type Parser int

// Parsers.
const (
	// ParserMsgpack is socket.io-msgpack-parser: one msgpack map per packet,
	// in a binary frame.
	ParserMsgpack Parser = iota
	// ParserDefault is socket.io-parser: JSON text plus binary attachments.
	ParserDefault
)

func (p Parser) String() string {
	switch p {
	case ParserMsgpack:
		return "msgpack"
	case ParserDefault:
		return "default"
	}
	return fmt.Sprintf("Parser(%d)", int(p))
}

// ParseParser parses "msgpack" or "default" (also "json").
func ParseParser(s string) (Parser, error) {
	switch strings.ToLower(s) {
	case "msgpack":
		return ParserMsgpack, nil
	case "default", "json":
		return ParserDefault, nil
	}
	return 0, fmt.Errorf("bots: unknown parser %q (msgpack, default)", s)
}

// Defaults.
const (
	DefaultPath           = "/socket.io/"
	DefaultConnectTimeout = 10 * time.Second
	DefaultAckTimeout     = 10 * time.Second
	DefaultReadBufferSize = 2048
	DefaultMaxPayload     = 1 << 20
)

// Config configures a Client. Every field but URL works at its zero value.
type Config struct {
	// URL is the server's base URL, e.g. "http://127.0.0.1:2567" (ws:// and
	// wss:// are accepted too). Required. A path in it is a prefix put
	// before Path (a reverse proxy's per-node prefix):
	// "https://play.example.com/n2" reaches
	// https://play.example.com/n2/socket.io/.
	URL string
	// Path is the Engine.IO path the server serves; default "/socket.io/".
	Path string
	// Transport; default TransportWebSocket.
	Transport Transport
	// Parser; default ParserMsgpack.
	Parser Parser
	// Namespace to connect to; default "/".
	Namespace string
	// Auth is sent with the Socket.IO CONNECT packet (nil: none).
	Auth map[string]any
	// Header is added to every HTTP request and the WebSocket handshake.
	Header http.Header
	// ConnectTimeout bounds the Engine.IO handshake plus the Socket.IO
	// CONNECT when the context given to Connect has no earlier deadline;
	// default 10 s.
	ConnectTimeout time.Duration
	// AckTimeout applies to EmitWithAck when its context has no deadline;
	// default 10 s. Negative: no timeout beyond the context.
	AckTimeout time.Duration
	// HTTPClient is used for long-polling; default a client with its own
	// transport. Share one between many bots.
	HTTPClient *http.Client
	// LocalAddr, if set, is the source address of WebSocket connections
	// (long-polling uses HTTPClient's transport): a test on loopback can
	// give each simulated client address its own 127.x.y.z.
	LocalAddr net.Addr
	// ReadBufferSize of the WebSocket reader; default 2048 bytes (small,
	// because a swarm holds thousands).
	ReadBufferSize int
	// MaxPayload bounds one received message (and a polling response) in
	// bytes; default 1 MiB.
	MaxPayload int
	// Logger receives handler panics and protocol errors; default slog.Default().
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if c.Namespace == "" {
		c.Namespace = "/"
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = DefaultAckTimeout
	}
	if c.ReadBufferSize == 0 {
		c.ReadBufferSize = DefaultReadBufferSize
	}
	if c.MaxPayload == 0 {
		c.MaxPayload = DefaultMaxPayload
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	}
	return c
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	if c.URL == "" {
		return fmt.Errorf("bots: Config.URL is required")
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		return fmt.Errorf("bots: Config.URL %q: %w", c.URL, err)
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return fmt.Errorf("bots: Config.URL %q: scheme must be http, https, ws or wss", c.URL)
	}
	if c.Transport < TransportWebSocket || c.Transport > TransportPollingUpgrade {
		return fmt.Errorf("bots: Config.Transport %d is unknown", c.Transport)
	}
	if c.Parser < ParserMsgpack || c.Parser > ParserDefault {
		return fmt.Errorf("bots: Config.Parser %d is unknown", c.Parser)
	}
	if !strings.HasPrefix(c.Namespace, "/") && c.Namespace != "" {
		return fmt.Errorf("bots: Config.Namespace %q must start with /", c.Namespace)
	}
	if c.ReadBufferSize < 0 || c.MaxPayload < 0 {
		return fmt.Errorf("bots: Config.ReadBufferSize %d / MaxPayload %d must not be negative", c.ReadBufferSize, c.MaxPayload)
	}
	return nil
}

// engineURL returns the Engine.IO endpoint for transport "polling" or
// "websocket" with EIO=4 and, if set, the sid.
func (c Config) engineURL(transport, sid string) (string, error) {
	u, err := url.Parse(c.URL)
	if err != nil {
		return "", fmt.Errorf("bots: parse URL: %w", err)
	}
	secure := u.Scheme == "https" || u.Scheme == "wss"
	switch {
	case transport == "websocket" && secure:
		u.Scheme = "wss"
	case transport == "websocket":
		u.Scheme = "ws"
	case secure:
		u.Scheme = "https"
	default:
		u.Scheme = "http"
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + c.Path
	u.RawPath = ""
	q := u.Query()
	q.Set("EIO", "4")
	q.Set("transport", transport)
	if sid != "" {
		q.Set("sid", sid)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}
