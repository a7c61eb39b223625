package bots

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"time"

	"github.com/lxzan/gws"
)

// wsTransport is an Engine.IO WebSocket transport on a gws client
// connection. Its read goroutine (gws ReadLoop) hands frames to the engine.
type wsTransport struct {
	gws.BuiltinEventHandler
	e       *engine
	conn    *gws.Conn
	probing atomic.Bool   // while probing, frames go to probeCh instead of the engine
	probeCh chan struct{} // receives when "3probe" arrives
	closing atomic.Bool
}

type dialerFunc func(network, addr string) (net.Conn, error)

func (f dialerFunc) Dial(network, addr string) (net.Conn, error) { return f(network, addr) }

// dialWebSocket opens a WebSocket; with sid == "" it is a fresh session
// (the server's open packet arrives as the first frame), else a probe for
// upgrading session sid.
func dialWebSocket(ctx context.Context, e *engine, sid string) (*wsTransport, error) {
	addr, err := e.cfg.engineURL("websocket", sid)
	if err != nil {
		return nil, err
	}
	timeout := e.cfg.ConnectTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
		if timeout <= 0 {
			return nil, fmt.Errorf("bots: dial websocket: %w", context.DeadlineExceeded)
		}
	}
	w := &wsTransport{e: e, probeCh: make(chan struct{}, 1)}
	w.probing.Store(sid != "")
	conn, _, err := gws.NewClient(w, &gws.ClientOption{
		Addr:               addr,
		RequestHeader:      e.cfg.Header.Clone(),
		ReadBufferSize:     e.cfg.ReadBufferSize,
		ReadMaxPayloadSize: e.cfg.MaxPayload,
		HandshakeTimeout:   timeout,
		Recovery:           gws.Recovery,
		NewDialer: func() (gws.Dialer, error) {
			d := &net.Dialer{Timeout: timeout, LocalAddr: e.cfg.LocalAddr}
			return dialerFunc(func(network, addr string) (net.Conn, error) {
				return d.DialContext(ctx, network, addr)
			}), nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("bots: dial websocket %s: %w", addr, err)
	}
	w.conn = conn
	go conn.ReadLoop()
	return w, nil
}

func (w *wsTransport) name() string { return "websocket" }

func (w *wsTransport) write(frames []frame) error {
	for _, f := range frames {
		op := gws.OpcodeText
		if f.binary {
			op = gws.OpcodeBinary
		}
		if err := w.conn.WriteMessage(op, f.data); err != nil {
			return err
		}
	}
	return nil
}

func (w *wsTransport) close(bool) {
	if w.closing.Swap(true) {
		return
	}
	_ = w.conn.WriteClose(1000, nil)
	_ = w.conn.NetConn().Close()
}

// probe sends 2probe and waits for 3probe.
func (w *wsTransport) probe(ctx context.Context) error {
	if err := w.conn.WriteString("2probe"); err != nil {
		return fmt.Errorf("bots: send probe: %w", err)
	}
	select {
	case <-w.probeCh:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("bots: wait for 3probe: %w", ctx.Err())
	}
}

// activate makes the transport deliver frames to the engine.
func (w *wsTransport) activate() { w.probing.Store(false) }

// OnMessage implements gws.Event.
func (w *wsTransport) OnMessage(_ *gws.Conn, msg *gws.Message) {
	defer msg.Close()
	data := msg.Bytes()
	binary := msg.Opcode == gws.OpcodeBinary
	if w.probing.Load() {
		if !binary && string(data) == "3probe" {
			select {
			case w.probeCh <- struct{}{}:
			default:
			}
		}
		return
	}
	w.e.receive(data, binary)
}

// OnClose implements gws.Event.
func (w *wsTransport) OnClose(_ *gws.Conn, err error) {
	if w.closing.Load() {
		return
	}
	reason := ReasonTransportClose
	var ce *gws.CloseError
	if err != nil && !errors.As(err, &ce) {
		reason = ReasonTransportError
	}
	w.e.transportFailed(w, reason, err)
}
