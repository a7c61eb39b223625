package socketio

import (
	"errors"
)

// Sentinel errors.
var (
	// ErrAckTimeout: EmitWithAck's ack did not arrive in time.
	ErrAckTimeout = errors.New("socketio: ack timeout")
	// ErrDisconnected: the socket is (or got) disconnected.
	ErrDisconnected = errors.New("socketio: socket disconnected")
	// ErrReservedEvent: the event name is reserved by Socket.IO.
	ErrReservedEvent = errors.New("socketio: reserved event name")
	// ErrNamespaceMismatch: a PreparedPacket was emitted on another namespace.
	ErrNamespaceMismatch = errors.New("socketio: prepared packet belongs to another namespace")
	// ErrTooManyPendingAcks: Config.MaxPendingAcks acks are already awaited.
	ErrTooManyPendingAcks = errors.New("socketio: too many pending acks")
	// ErrDropped: a droppable packet was not queued because the send queue was full.
	ErrDropped = errors.New("socketio: packet dropped, send queue full")
)

// ConnectError refuses a namespace connection when returned by a middleware.
// The client receives CONNECT_ERROR {"message": Message, "data": Data} (data
// omitted when nil), which socket.io-client surfaces as a connect_error
// whose err.message is Message and err.data is Data. Any other error from a
// middleware refuses with {"message": err.Error()}.
type ConnectError struct {
	Message string
	Data    any
}

func (e *ConnectError) Error() string { return "socketio: connect refused: " + e.Message }

var _ error = (*ConnectError)(nil)

// Disconnect reasons, as Socket.IO names them (passed to OnDisconnect).
const (
	ReasonServerNamespaceDisconnect = "server namespace disconnect" // s.Disconnect(false)
	ReasonClientNamespaceDisconnect = "client namespace disconnect" // client sent DISCONNECT
	ReasonTransportClose            = "transport close"             // connection closed by the client or network
	ReasonTransportError            = "transport error"
	ReasonPingTimeout               = "ping timeout"
	ReasonParseError                = "parse error" // the client sent an invalid packet
	ReasonServerShuttingDown        = "server shutting down"
	ReasonForcedClose               = "forced close"        // engine closed the session
	ReasonForcedServerClose         = "forced server close" // another socket's Disconnect(true) closed the session
	ReasonSlowConsumer              = "slow consumer"       // roomcast: send queue overflow
)
