package engineio

import (
	"errors"
	"net/http"
	"strconv"
)

// CloseReason says why a session closed; Handler.OnClose receives it.
type CloseReason string

// Close reasons, worded as socket.io reports them.
const (
	ReasonTransportClose     CloseReason = "transport close"      // the client closed (close packet, WebSocket close, connection lost)
	ReasonTransportError     CloseReason = "transport error"      // protocol misuse or I/O error (overlapping GET/POST, abandoned GET, oversized body, write timeout)
	ReasonPingTimeout        CloseReason = "ping timeout"         // no pong within PingInterval+PingTimeout
	ReasonParseError         CloseReason = "parse error"          // an undecodable packet
	ReasonForcedClose        CloseReason = "forced close"         // Conn.Close by the application
	ReasonServerShuttingDown CloseReason = "server shutting down" // Server.Shutdown
	ReasonSlowConsumer       CloseReason = "slow consumer"        // the send queue overflowed in Send
)

// Errors returned by Conn.Send and passed to Handler.OnClose.
var (
	ErrClosed          = errors.New("engineio: closed")
	ErrSlowConsumer    = errors.New("engineio: slow consumer")
	ErrPingTimeout     = errors.New("engineio: ping timeout")
	ErrServerClosed    = errors.New("engineio: server closed")
	ErrPayloadTooLarge = errors.New("engineio: payload too large")
	ErrOverlap         = errors.New("engineio: overlapping request from client")
	ErrPollAborted     = errors.New("engineio: long-polling GET abandoned by the client")
	ErrHandlerPanic    = errors.New("engineio: handler panicked") // an OnConnection/OnMessage/OnClose panic, recovered and logged
)

// requestError is one of the documented Engine.IO error answers.
type requestError struct {
	code    int
	message string
	status  int
}

var (
	errTransportUnknown = requestError{0, "Transport unknown", http.StatusBadRequest}
	errSessionUnknown   = requestError{1, "Session ID unknown", http.StatusBadRequest}
	errBadHandshake     = requestError{2, "Bad handshake method", http.StatusBadRequest}
	errBadRequest       = requestError{3, "Bad request", http.StatusBadRequest}
	errForbidden        = requestError{4, "Forbidden", http.StatusForbidden}
	errUnsupportedProto = requestError{5, "Unsupported protocol version", http.StatusBadRequest}
	errServerFull       = requestError{3, "Server full", http.StatusServiceUnavailable}
	errShuttingDown     = requestError{3, "Server shutting down", http.StatusServiceUnavailable}
	errClientSessions   = requestError{3, "Too many sessions from this address", http.StatusTooManyRequests}
	errClientRate       = requestError{3, "Too many handshakes from this address", http.StatusTooManyRequests}
)

func (e requestError) write(w http.ResponseWriter) {
	body := `{"code":` + strconv.Itoa(e.code) + `,"message":` + strconv.Quote(e.message) + `}`
	w.Header().Set("Content-Type", "application/json")
	if e.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(e.status)
	_, _ = w.Write([]byte(body))
}
