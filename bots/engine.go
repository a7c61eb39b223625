package bots

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	eiocodec "github.com/roomcast/roomcast/codec/engineio"
)

// Engine.IO v4 packet types, as the first character of a text frame.
const (
	eioClose   = '0' + byte(eiocodec.Close)
	eioPong    = '0' + byte(eiocodec.Pong)
	eioMessage = '0' + byte(eiocodec.Message)
	eioUpgrade = '0' + byte(eiocodec.Upgrade)
)

// frame is one Engine.IO packet as a WebSocket carries it: a text frame is
// the packet type character followed by its data; a binary frame is a binary
// message. Long-polling carries the same packets in a payload (see
// polling.go).
type frame struct {
	data   []byte
	binary bool
}

// openPacket is the Engine.IO handshake.
type openPacket struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int64    `json:"pingInterval"`
	PingTimeout  int64    `json:"pingTimeout"`
	MaxPayload   int64    `json:"maxPayload"`
}

func parseOpen(data []byte) (openPacket, error) {
	var op openPacket
	if err := json.Unmarshal(data, &op); err != nil {
		return op, fmt.Errorf("bots: engine.io open packet: %w", err)
	}
	if op.SID == "" {
		return op, errors.New("bots: engine.io open packet without sid")
	}
	return op, nil
}

// transport moves frames for an engine. write is called with engine.mu held;
// it may block (WebSocket) or queue (polling). close stops the transport's
// goroutines and sockets; it does not call back into the engine.
type transport interface {
	name() string
	write(frames []frame) error
	close(graceful bool)
}

// engineHandler receives an engine's messages (sequentially) and its end.
type engineHandler interface {
	onMessage(data []byte, binary bool)
	onClose(reason string, err error)
}

// Close reasons reported by a Client, as socket.io-client names them.
const (
	ReasonClientDisconnect = "io client disconnect"
	ReasonServerDisconnect = "io server disconnect"
	ReasonTransportClose   = "transport close"
	ReasonTransportError   = "transport error"
	ReasonPingTimeout      = "ping timeout"
	ReasonParseError       = "parse error"
)

// engine is one Engine.IO session seen from the client.
type engine struct {
	// The fields every frame touches come first (see Game).
	h      engineHandler
	mu     sync.Mutex // guards tr and closed; held while writing so one packet's frames stay together
	tr     transport
	closed bool

	bytesIn, bytesOut   atomic.Int64
	framesIn, framesOut atomic.Int64

	cfg Config

	open      openPacket
	opened    chan struct{} // closed when the open packet arrived
	openOnce  sync.Once
	heartbeat atomic.Pointer[time.Timer] // closes the session when no ping came in time; set by the read loop, stopped by closeWith from any goroutine
	done      chan struct{}
	upgrading atomic.Bool
}

func newEngine(cfg Config, h engineHandler) *engine {
	return &engine{cfg: cfg, h: h, opened: make(chan struct{}), done: make(chan struct{})}
}

// start opens the session over the configured transport and waits for the
// open packet.
func (e *engine) start(ctx context.Context) error {
	var (
		tr  transport
		err error
	)
	switch e.cfg.Transport {
	case TransportWebSocket:
		tr, err = dialWebSocket(ctx, e, "")
	default:
		tr, err = dialPolling(ctx, e)
	}
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.tr = tr
	e.mu.Unlock()
	select {
	case <-e.opened:
	case <-e.done:
		return fmt.Errorf("bots: engine.io session closed during handshake")
	case <-ctx.Done():
		e.closeWith(ReasonTransportError, ctx.Err(), false)
		return fmt.Errorf("bots: engine.io handshake: %w", ctx.Err())
	}
	if e.cfg.Transport == TransportPollingUpgrade && slices.Contains(e.open.Upgrades, "websocket") {
		go e.upgrade(ctx)
	}
	return nil
}

// transportName reports the transport in use.
func (e *engine) transportName() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tr == nil {
		return ""
	}
	return e.tr.name()
}

// send writes one packet's frames.
func (e *engine) send(frames ...frame) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrClosed
	}
	if err := e.tr.write(frames); err != nil {
		return fmt.Errorf("bots: write to %s: %w", e.tr.name(), err)
	}
	n := 0
	for _, f := range frames {
		n += len(f.data)
	}
	e.bytesOut.Add(int64(n))
	e.framesOut.Add(int64(len(frames)))
	return nil
}

// receive handles one WebSocket frame; transports call it sequentially.
func (e *engine) receive(data []byte, binary bool) {
	p, err := eiocodec.DecodeFrame(data, binary)
	if err != nil {
		e.closeWith(ReasonParseError, err, false)
		return
	}
	e.receivePacket(p)
}

// receivePacket handles one Engine.IO packet; transports call it
// sequentially. p.Data is valid only during the call.
func (e *engine) receivePacket(p eiocodec.Packet) {
	n := len(p.Data)
	if !p.Binary {
		n++ // the type digit
	}
	e.bytesIn.Add(int64(n))
	e.framesIn.Add(1)
	switch p.Type {
	case eiocodec.Message:
		e.h.onMessage(p.Data, p.Binary)
	case eiocodec.Ping:
		e.resetHeartbeat()
		pong := make([]byte, 1+len(p.Data))
		pong[0] = eioPong
		copy(pong[1:], p.Data)
		_ = e.send(frame{data: pong})
	case eiocodec.Open:
		op, err := parseOpen(p.Data)
		if err != nil {
			e.closeWith(ReasonParseError, err, false)
			return
		}
		e.openOnce.Do(func() {
			e.open = op
			e.heartbeat.Store(time.AfterFunc(e.heartbeatTimeout(), func() {
				e.closeWith(ReasonPingTimeout, nil, false)
			}))
			close(e.opened)
		})
	case eiocodec.Close:
		e.closeWith(ReasonTransportClose, nil, false)
	}
}

func (e *engine) heartbeatTimeout() time.Duration {
	d := time.Duration(e.open.PingInterval+e.open.PingTimeout) * time.Millisecond
	if d <= 0 {
		d = 45 * time.Second
	}
	return d
}

func (e *engine) resetHeartbeat() {
	if t := e.heartbeat.Load(); t != nil {
		t.Reset(e.heartbeatTimeout())
	}
}

// transportFailed is called by a transport whose socket failed or closed.
func (e *engine) transportFailed(tr transport, reason string, err error) {
	e.mu.Lock()
	current := e.tr == tr || e.tr == nil
	e.mu.Unlock()
	if current {
		e.closeWith(reason, err, false)
	}
}

// closeWith ends the session once; graceful asks the transport to tell the
// server (polling sends a close packet).
func (e *engine) closeWith(reason string, err error, graceful bool) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	tr := e.tr
	e.mu.Unlock()
	if t := e.heartbeat.Load(); t != nil {
		t.Stop()
	}
	if tr != nil {
		tr.close(graceful)
	}
	close(e.done)
	e.h.onClose(reason, err)
}

// upgrade probes a WebSocket next to the polling transport and switches to
// it: 2probe/3probe, pause polling (the server answers the pending GET with
// a noop), flush pending writes, send 5.
func (e *engine) upgrade(ctx context.Context) {
	e.upgrading.Store(true)
	defer e.upgrading.Store(false)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.cfg.ConnectTimeout)
	defer cancel()
	ws, err := dialWebSocket(ctx, e, e.open.SID)
	if err != nil {
		e.cfg.Logger.Debug("bots: upgrade dial failed", "err", err)
		return
	}
	if err := ws.probe(ctx); err != nil {
		e.cfg.Logger.Debug("bots: upgrade probe failed", "err", err)
		ws.close(false)
		return
	}
	e.mu.Lock()
	poll, ok := e.tr.(*pollTransport)
	closed := e.closed
	e.mu.Unlock()
	if !ok || closed {
		ws.close(false)
		return
	}
	if err := poll.pause(ctx); err != nil {
		e.cfg.Logger.Debug("bots: pausing polling failed", "err", err)
		ws.close(false)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		ws.close(false)
		return
	}
	poll.stopWriter()
	// deliver before sending 5: the server flushes its buffer on the
	// WebSocket as soon as it sees 5
	ws.activate()
	if err := ws.write([]frame{{data: []byte{eioUpgrade}}}); err != nil {
		ws.close(false)
		go e.closeWith(ReasonTransportError, err, false)
		return
	}
	e.tr = ws
	poll.close(false)
}
