package bots

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	siocodec "github.com/roomcast/roomcast/codec/socketio"
)

// Handler handles one received event. args are the event's arguments in
// codec/socketio's argument model (integers int64, other numbers float64,
// maps map[string]any, arrays []any, binary []byte); they are owned by the
// handler. ack is non-nil when the server asked for an acknowledgement.
// Handlers run sequentially on the connection's read goroutine: a slow
// handler delays every later packet of this client.
type Handler func(args []any, ack func(args ...any) error)

// RawHandler sees every Socket.IO message before it is decoded (data is
// valid only during the call); returning true consumes it. It is how the
// game client reads state frames without allocating.
type RawHandler func(data []byte, binary bool) bool

// Stats are a client's wire counters (Engine.IO packets, payload bytes
// without WebSocket or HTTP framing).
type Stats struct {
	BytesIn, BytesOut   int64
	FramesIn, FramesOut int64
}

// Client is a Socket.IO v5 client connected to one namespace. Create it with
// New, register handlers, then Connect (or use Dial). All methods are safe
// for concurrent use.
type Client struct {
	// The fields every input and state frame touch come first (a swarm's
	// memory is cold at each tick; see Game).
	e         *engine
	raw       atomic.Pointer[RawHandler]
	parser    Parser     // cfg.Parser
	namespace string     // cfg.Namespace
	wmu       sync.Mutex // guards wbuf and wframe
	wbuf      []byte
	wframe    [1]frame // sendWith's frame: passing a slice of it allocates nothing

	cfg Config

	handlers atomic.Pointer[map[string]Handler]
	hmu      sync.Mutex // serializes copy-on-write of handlers
	onDisc   atomic.Pointer[func(reason string, err error)]

	dec *siocodec.Decoder // read goroutine only

	ackMu  sync.Mutex // guards acks, nextID
	acks   map[uint64]chan []any
	nextID uint64

	connected chan struct{}
	connErr   error // set before connected is closed
	connOnce  sync.Once
	sid       string
	done      chan struct{}
	doneErr   error // set before done is closed
	doneOnce  sync.Once
}

// New returns an unconnected client.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	c := &Client{
		cfg:       cfg,
		parser:    cfg.Parser,
		namespace: cfg.Namespace,
		dec:       siocodec.NewDecoder(siocodec.Limits{}),
		acks:      map[uint64]chan []any{},
		connected: make(chan struct{}),
		done:      make(chan struct{}),
		wbuf:      make([]byte, 0, 256),
	}
	m := map[string]Handler{}
	c.handlers.Store(&m)
	return c, nil
}

// Dial is New followed by Connect.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if err := c.Connect(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Connect opens the Engine.IO session and connects to the namespace with
// Config.Auth. It fails with a *ConnectError when the server refuses. A
// Client connects once; make a new one to reconnect.
func (c *Client) Connect(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ConnectTimeout)
	defer cancel()
	if c.e != nil {
		return errors.New("bots: Connect called twice")
	}
	c.e = newEngine(c.cfg, c)
	if err := c.e.start(ctx); err != nil {
		c.finish(&DisconnectError{Reason: ReasonTransportError, Err: err})
		return fmt.Errorf("bots: connect %s: %w", c.cfg.URL, err)
	}
	p := siocodec.Packet{Type: siocodec.Connect, Nsp: c.cfg.Namespace}
	if c.cfg.Auth != nil {
		p.Data = c.cfg.Auth
	}
	if err := c.sendPacket(&p); err != nil {
		c.e.closeWith(ReasonTransportError, err, false)
		return fmt.Errorf("bots: send CONNECT: %w", err)
	}
	select {
	case <-c.connected:
		if c.connErr != nil {
			c.e.closeWith(ReasonClientDisconnect, nil, true)
			return c.connErr
		}
		return nil
	case <-c.done:
		return fmt.Errorf("bots: connect %s: %w", c.cfg.URL, c.doneErr)
	case <-ctx.Done():
		c.e.closeWith(ReasonTransportError, ctx.Err(), false)
		return fmt.Errorf("bots: connect %s: %w", c.cfg.URL, ctx.Err())
	}
}

// On registers h for event, replacing an earlier handler.
func (c *Client) On(event string, h Handler) {
	c.hmu.Lock()
	defer c.hmu.Unlock()
	old := *c.handlers.Load()
	m := make(map[string]Handler, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[event] = h
	c.handlers.Store(&m)
}

// OnRaw installs (or with nil removes) the raw message hook.
func (c *Client) OnRaw(h RawHandler) {
	if h == nil {
		c.raw.Store(nil)
		return
	}
	c.raw.Store(&h)
}

// OnDisconnect registers fn, called once when the client is disconnected
// for any reason (including Close), with a Reason constant.
func (c *Client) OnDisconnect(fn func(reason string, err error)) { c.onDisc.Store(&fn) }

// ID is the Socket.IO socket id the server assigned ("" before connect).
func (c *Client) ID() string {
	select {
	case <-c.connected:
		return c.sid
	default:
		return ""
	}
}

// Transport reports "websocket" or "polling" (it changes on upgrade).
func (c *Client) Transport() string {
	if c.e == nil {
		return ""
	}
	return c.e.transportName()
}

// Done is closed when the client is disconnected; Err then says why.
func (c *Client) Done() <-chan struct{} { return c.done }

// Err returns the *DisconnectError after Done is closed, else nil.
func (c *Client) Err() error {
	select {
	case <-c.done:
		return c.doneErr
	default:
		return nil
	}
}

// Stats returns the wire counters.
func (c *Client) Stats() Stats {
	if c.e == nil {
		return Stats{}
	}
	return Stats{BytesIn: c.e.bytesIn.Load(), BytesOut: c.e.bytesOut.Load(),
		FramesIn: c.e.framesIn.Load(), FramesOut: c.e.framesOut.Load()}
}

// Emit sends an event without acknowledgement.
func (c *Client) Emit(event string, args ...any) error {
	if siocodec.IsReservedEvent(event) {
		return fmt.Errorf("bots: %q is a reserved event name", event)
	}
	data := make([]any, 0, len(args)+1)
	data = append(append(data, event), args...)
	p := siocodec.Packet{Type: siocodec.Event, Nsp: c.cfg.Namespace, Data: data}
	return c.sendPacket(&p)
}

// EmitWithAck sends an event and waits for the server's acknowledgement,
// returning its arguments. Without a deadline on ctx, Config.AckTimeout
// applies.
func (c *Client) EmitWithAck(ctx context.Context, event string, args ...any) ([]any, error) {
	if siocodec.IsReservedEvent(event) {
		return nil, fmt.Errorf("bots: %q is a reserved event name", event)
	}
	if _, ok := ctx.Deadline(); !ok && c.cfg.AckTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.AckTimeout)
		defer cancel()
	}
	ch := make(chan []any, 1)
	c.ackMu.Lock()
	id := c.nextID
	c.nextID++
	c.acks[id] = ch
	c.ackMu.Unlock()
	defer func() {
		c.ackMu.Lock()
		delete(c.acks, id)
		c.ackMu.Unlock()
	}()
	data := make([]any, 0, len(args)+1)
	data = append(append(data, event), args...)
	p := siocodec.Packet{Type: siocodec.Event, Nsp: c.cfg.Namespace, HasID: true, ID: id, Data: data}
	if err := c.sendPacket(&p); err != nil {
		return nil, err
	}
	select {
	case res := <-ch:
		return res, nil
	case <-c.done:
		return nil, fmt.Errorf("bots: %s: %w", event, c.doneErr)
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("bots: %s: %w", event, ErrAckTimeout)
		}
		return nil, fmt.Errorf("bots: %s: %w", event, ctx.Err())
	}
}

// SendRaw sends one pre-encoded Socket.IO packet for this client's parser:
// a msgpack packet (ParserMsgpack) or a default-parser text packet without
// attachments (ParserDefault, without Engine.IO's leading "4"). It is the
// allocation-free path for hot events; data is not retained.
func (c *Client) SendRaw(data []byte) error {
	if c.e == nil {
		return ErrNotConnected
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.cfg.Parser == ParserMsgpack {
		return c.e.send(frame{data: data, binary: true})
	}
	c.wbuf = append(append(c.wbuf[:0], eioMessage), data...)
	return c.e.send(frame{data: c.wbuf})
}

// Close disconnects from the namespace and ends the session.
func (c *Client) Close() error {
	if c.e == nil {
		c.finish(&DisconnectError{Reason: ReasonClientDisconnect})
		return nil
	}
	select {
	case <-c.done:
		return nil
	default:
	}
	p := siocodec.Packet{Type: siocodec.Disconnect, Nsp: c.cfg.Namespace}
	_ = c.sendPacket(&p)
	c.e.closeWith(ReasonClientDisconnect, nil, true)
	return nil
}

// sendPacket encodes p with the configured parser and writes its frames.
func (c *Client) sendPacket(p *siocodec.Packet) error {
	if c.e == nil {
		return ErrNotConnected
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.cfg.Parser == ParserMsgpack {
		b, err := siocodec.AppendMsgpack(c.wbuf[:0], p)
		if err != nil {
			return fmt.Errorf("bots: encode %s: %w", p.Type, err)
		}
		c.wbuf = b
		return c.e.send(frame{data: b, binary: true})
	}
	text, atts, err := siocodec.AppendDefault(append(c.wbuf[:0], eioMessage), p)
	if err != nil {
		return fmt.Errorf("bots: encode %s: %w", p.Type, err)
	}
	c.wbuf = text
	if len(atts) == 0 {
		return c.e.send(frame{data: text})
	}
	frames := make([]frame, 0, 1+len(atts))
	frames = append(frames, frame{data: text})
	for _, a := range atts {
		frames = append(frames, frame{data: a, binary: true})
	}
	return c.e.send(frames...)
}

// onMessage implements engineHandler.
func (c *Client) onMessage(data []byte, binary bool) {
	if h := c.raw.Load(); h != nil && (*h)(data, binary) {
		return
	}
	var (
		p   siocodec.Packet
		err error
	)
	if c.cfg.Parser == ParserMsgpack {
		if !binary {
			c.e.closeWith(ReasonParseError, errors.New("bots: text frame with the msgpack parser"), false)
			return
		}
		p, err = siocodec.DecodeMsgpack(data, siocodec.Limits{})
	} else {
		var done bool
		p, done, err = c.dec.Decode(data, binary)
		if err == nil && !done {
			return
		}
	}
	if err != nil {
		c.e.closeWith(ReasonParseError, err, false)
		return
	}
	c.dispatch(&p)
}

func (c *Client) dispatch(p *siocodec.Packet) {
	if p.Namespace() != c.cfg.Namespace {
		return
	}
	switch p.Type {
	case siocodec.Connect:
		c.connOnce.Do(func() {
			if m, ok := p.Data.(map[string]any); ok {
				c.sid, _ = m["sid"].(string)
			}
			close(c.connected)
		})
	case siocodec.ConnectError:
		ce := &ConnectError{}
		switch d := p.Data.(type) {
		case string:
			ce.Message = d
		case map[string]any:
			ce.Message, _ = d["message"].(string)
			ce.Data = d["data"]
		}
		c.connOnce.Do(func() {
			c.connErr = ce
			close(c.connected)
		})
	case siocodec.Disconnect:
		c.e.closeWith(ReasonServerDisconnect, nil, false)
	case siocodec.Event:
		name, _ := p.EventName()
		h := (*c.handlers.Load())[name]
		if h == nil {
			return
		}
		args := p.Data.([]any)[1:]
		var ack func(args ...any) error
		if p.HasID {
			id := p.ID
			var once atomic.Bool
			ack = func(args ...any) error {
				if once.Swap(true) {
					return errors.New("bots: ack called twice")
				}
				if args == nil {
					args = []any{}
				}
				rp := siocodec.Packet{Type: siocodec.Ack, Nsp: c.cfg.Namespace, HasID: true, ID: id, Data: args}
				return c.sendPacket(&rp)
			}
		}
		c.runHandler(name, func() { h(args, ack) })
	case siocodec.Ack:
		c.ackMu.Lock()
		ch := c.acks[p.ID]
		delete(c.acks, p.ID)
		c.ackMu.Unlock()
		if ch != nil {
			ch <- p.Data.([]any)
		}
	}
}

func (c *Client) runHandler(name string, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			c.cfg.Logger.Error("bots: handler panicked", "event", name, "panic", r)
		}
	}()
	fn()
}

// onClose implements engineHandler.
func (c *Client) onClose(reason string, err error) {
	c.finish(&DisconnectError{Reason: reason, Err: err})
}

func (c *Client) finish(de *DisconnectError) {
	c.doneOnce.Do(func() {
		c.doneErr = de
		close(c.done)
		if fn := c.onDisc.Load(); fn != nil {
			(*fn)(de.Reason, de.Err)
		}
	})
}

// sendWith encodes one packet with fn into the client's buffer and sends
// it: for ParserDefault dst already holds Engine.IO's "4" and fn appends the
// text packet (no attachments); for ParserMsgpack fn appends the msgpack
// packet.
func (c *Client) sendWith(fn func(dst []byte, p Parser) []byte) error {
	if c.e == nil {
		return ErrNotConnected
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.parser == ParserMsgpack {
		c.wbuf = fn(c.wbuf[:0], ParserMsgpack)
		c.wframe[0] = frame{data: c.wbuf, binary: true}
	} else {
		c.wbuf = fn(append(c.wbuf[:0], eioMessage), ParserDefault)
		c.wframe[0] = frame{data: c.wbuf}
	}
	err := c.e.send(c.wframe[:]...)
	c.wframe[0] = frame{}
	return err
}
