package bots

import (
	"errors"
	"fmt"
	"net"
	"syscall"
)

// Sentinel errors.
var (
	// ErrClosed: the client is disconnected.
	ErrClosed = errors.New("bots: client closed")
	// ErrNotConnected: the client has not connected yet.
	ErrNotConnected = errors.New("bots: not connected")
	// ErrAckTimeout: no acknowledgement came in time.
	ErrAckTimeout = errors.New("bots: ack timeout")
)

// ConnectError is the server's CONNECT_ERROR answer to a namespace CONNECT
// (for instance a refusing auth middleware).
type ConnectError struct {
	Message string
	Data    any
}

func (e *ConnectError) Error() string { return fmt.Sprintf("bots: connect refused: %s", e.Message) }

// DisconnectError says why a client was disconnected.
type DisconnectError struct {
	Reason string // one of the Reason constants
	Err    error  // underlying transport error, if any
}

func (e *DisconnectError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("bots: disconnected (%s): %v", e.Reason, e.Err)
	}
	return fmt.Sprintf("bots: disconnected (%s)", e.Reason)
}

func (e *DisconnectError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrClosed) true for every disconnect.
func (e *DisconnectError) Is(target error) bool { return target == ErrClosed }

// IsConnectionRefused reports whether err comes from a refused TCP
// connection: nothing listens at the address.
func IsConnectionRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// refusedError is a connection refused before any bot connected, told
// in one line: the dial error without the layers of wrapping.
func refusedError(url string, err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return fmt.Errorf("bots: no server at %s: %w", url, op)
	}
	return fmt.Errorf("bots: no server at %s: %w", url, err)
}
