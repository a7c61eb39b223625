package bots

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"

	eiocodec "github.com/roomcast/roomcast/codec/engineio"
)

// appendPayload appends frames as one long-polling payload (eiocodec).
func appendPayload(dst []byte, frames []frame) []byte {
	for i, f := range frames {
		if i > 0 {
			dst = append(dst, eiocodec.Separator)
		}
		if f.binary {
			dst = eiocodec.AppendText(dst, eiocodec.Packet{Type: eiocodec.Message, Data: f.data, Binary: true})
			continue
		}
		dst = append(dst, f.data...)
	}
	return dst
}

// pollTransport is Engine.IO long-polling: one goroutine keeps a GET
// pending, another POSTs queued frames (one POST at a time, batching
// whatever queued meanwhile).
type pollTransport struct {
	e      *engine
	url    string
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	queue    []byte // pending payload
	nQueued  int
	pausing  bool
	writerUp bool
	wake     chan struct{}
	stopW    chan struct{}
	writerWG sync.WaitGroup
	pollDone chan struct{}
	stopOnce sync.Once
}

// dialPolling performs the handshake GET and starts the loops.
func dialPolling(ctx context.Context, e *engine) (*pollTransport, error) {
	hsURL, err := e.cfg.engineURL("polling", "")
	if err != nil {
		return nil, err
	}
	body, err := pollRequest(ctx, e.cfg, http.MethodGet, hsURL, nil)
	if err != nil {
		return nil, fmt.Errorf("bots: polling handshake: %w", err)
	}
	var packets []eiocodec.Packet
	var dec eiocodec.PayloadDecoder
	if err := dec.Decode(body, e.cfg.MaxPayload, func(p eiocodec.Packet) error {
		p.Data = bytes.Clone(p.Data)
		packets = append(packets, p)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("bots: polling handshake: %w", err)
	}
	if len(packets) == 0 || packets[0].Type != eiocodec.Open {
		return nil, fmt.Errorf("bots: polling handshake: no open packet in %q", body)
	}
	op, err := parseOpen(packets[0].Data)
	if err != nil {
		return nil, err
	}
	u, err := e.cfg.engineURL("polling", op.SID)
	if err != nil {
		return nil, err
	}
	lctx, cancel := context.WithCancel(context.Background())
	p := &pollTransport{e: e, url: u, ctx: lctx, cancel: cancel,
		wake: make(chan struct{}, 1), stopW: make(chan struct{}), pollDone: make(chan struct{}), writerUp: true}
	for _, p := range packets {
		e.receivePacket(p)
	}
	p.writerWG.Add(1)
	go p.writeLoop()
	go p.pollLoop()
	return p, nil
}

func pollRequest(ctx context.Context, cfg Config, method, url string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range cfg.Header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	resp, err := cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, int64(cfg.MaxPayload)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > cfg.MaxPayload {
		return nil, fmt.Errorf("%s response larger than %d bytes", method, cfg.MaxPayload)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s %s: status %d: %s", method, url, resp.StatusCode, bytes.TrimSpace(data))
	}
	return data, nil
}

func (p *pollTransport) name() string { return "polling" }

func (p *pollTransport) write(frames []frame) error {
	p.mu.Lock()
	if !p.writerUp {
		p.mu.Unlock()
		return ErrClosed
	}
	if len(p.queue) > 0 {
		p.queue = append(p.queue, eiocodec.Separator)
	}
	p.queue = appendPayload(p.queue, frames)
	p.nQueued += len(frames)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
}

func (p *pollTransport) takeQueue() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.queue
	p.queue = nil
	p.nQueued = 0
	return q
}

func (p *pollTransport) writeLoop() {
	defer p.writerWG.Done()
	for {
		select {
		case <-p.wake:
		case <-p.stopW:
			if q := p.takeQueue(); len(q) > 0 {
				p.post(q)
			}
			return
		}
		if q := p.takeQueue(); len(q) > 0 {
			if !p.post(q) {
				return
			}
		}
	}
}

func (p *pollTransport) post(body []byte) bool {
	if _, err := pollRequest(p.ctx, p.e.cfg, http.MethodPost, p.url, body); err != nil {
		if p.ctx.Err() == nil {
			go p.e.transportFailed(p, ReasonTransportError, err)
		}
		return false
	}
	return true
}

func (p *pollTransport) pollLoop() {
	defer close(p.pollDone)
	var dec eiocodec.PayloadDecoder
	for {
		p.mu.Lock()
		pausing := p.pausing
		p.mu.Unlock()
		if pausing || p.ctx.Err() != nil {
			return
		}
		body, err := pollRequest(p.ctx, p.e.cfg, http.MethodGet, p.url, nil)
		if err != nil {
			if p.ctx.Err() == nil {
				p.e.transportFailed(p, ReasonTransportError, err)
			}
			return
		}
		if err := dec.Decode(body, p.e.cfg.MaxPayload, func(pkt eiocodec.Packet) error {
			p.e.receivePacket(pkt)
			return nil
		}); err != nil {
			p.e.transportFailed(p, ReasonParseError, err)
			return
		}
	}
}

// pause stops issuing GETs and waits for the pending one to return.
func (p *pollTransport) pause(ctx context.Context) error {
	p.mu.Lock()
	p.pausing = true
	p.mu.Unlock()
	select {
	case <-p.pollDone:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("bots: pause polling: %w", ctx.Err())
	}
}

// stopWriter flushes queued frames and stops the writer; later writes fail.
func (p *pollTransport) stopWriter() {
	p.stopOnce.Do(func() {
		p.mu.Lock()
		p.writerUp = false
		p.mu.Unlock()
		close(p.stopW)
	})
	p.writerWG.Wait()
}

func (p *pollTransport) close(graceful bool) {
	if graceful {
		p.mu.Lock()
		up := p.writerUp
		p.mu.Unlock()
		if up {
			_ = p.write([]frame{{data: []byte{eioClose}}})
			p.stopWriter()
		}
	}
	p.stopOnce.Do(func() {
		p.mu.Lock()
		p.writerUp = false
		p.mu.Unlock()
		close(p.stopW)
	})
	p.cancel()
}
