package host

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// trustedProxies is the set of peers (Config.TrustedProxies) whose
// X-Forwarded-For names the client.
type trustedProxies []netip.Prefix

func parseTrustedProxies(list []string) (trustedProxies, error) {
	var out trustedProxies
	for _, item := range list {
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("host: --trusted-proxies: %q is not an IP address or CIDR prefix", item)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (t trustedProxies) contains(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// limitKey is what the per-IP limits count an address under: an IPv4
// address itself, an IPv6 address by its /64 (one subscriber's network:
// a host there can pick any of its 2^64 addresses).
func limitKey(a netip.Addr) string {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// peerAddr is the IP address of a host:port (a RemoteAddr).
func peerAddr(hostport string) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(hostport)
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

// clientKey names the client of a request for the per-IP limits (see
// clientAddr), or is "" (not limited) for a loopback client unless
// limitLoopback.
func (t trustedProxies) clientKey(r *http.Request, limitLoopback bool) string {
	a, ok := t.clientAddr(r)
	switch {
	case !ok:
		return r.RemoteAddr
	case a.IsLoopback() && !limitLoopback:
		return ""
	}
	return limitKey(a)
}

// clientAddr is the client of a request: the TCP peer's IP address, or,
// when the peer is a trusted proxy, the nearest address of
// X-Forwarded-For that is not one (proxies append the address they
// received from, so entries left of an untrusted one may be forged).
func (t trustedProxies) clientAddr(r *http.Request) (netip.Addr, bool) {
	peer, ok := peerAddr(r.RemoteAddr)
	if !ok {
		return netip.Addr{}, false
	}
	if len(t) == 0 || !t.contains(peer) {
		return peer, true
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // malformed: the proxy itself is the client we know
		}
		if a = a.Unmap(); !t.contains(a) {
			return a, true
		}
		peer = a
	}
	return peer, true
}

// connLimiter is a listener that holds at most max connections per peer
// IP address (trusted proxies excepted). A connection over the limit is
// answered 429 with an Engine.IO error JSON and closed.
type connLimiter struct {
	net.Listener
	max           int
	trusted       trustedProxies
	limitLoopback bool

	mu   sync.Mutex
	open map[string]int // by limitKey

	refusing chan struct{} // bounds the goroutines answering refused connections
}

// Refusals in progress at most; beyond, refused connections are closed
// without an answer.
const maxRefusing = 256

// refuseLinger bounds how long a refused connection is kept to read what
// the client sent (closing with unread data would reset the connection
// and could discard the answer before the client reads it).
const refuseLinger = 250 * time.Millisecond

var tooManyConns = func() string {
	body := `{"code":3,"message":"Too many connections from this address"}`
	return "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body
}()

func newConnLimiter(ln net.Listener, max int, trusted trustedProxies, limitLoopback bool) *connLimiter {
	return &connLimiter{Listener: ln, max: max, trusted: trusted, limitLoopback: limitLoopback,
		open: map[string]int{}, refusing: make(chan struct{}, maxRefusing)}
}

// Accept returns the next connection within the limit.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip, ok := peerAddr(c.RemoteAddr().String())
		if !ok || l.trusted.contains(ip) || ip.IsLoopback() && !l.limitLoopback {
			return c, nil
		}
		key := limitKey(ip)
		l.mu.Lock()
		if l.open[key] >= l.max {
			l.mu.Unlock()
			l.refuse(c)
			continue
		}
		l.open[key]++
		l.mu.Unlock()
		return &countedConn{Conn: c, release: func() { l.release(key) }}, nil
	}
}

func (l *connLimiter) release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[key] <= 1 {
		delete(l.open, key)
		return
	}
	l.open[key]--
}

func (l *connLimiter) refuse(c net.Conn) {
	select {
	case l.refusing <- struct{}{}:
	default:
		_ = c.Close()
		return
	}
	go func() {
		defer func() { <-l.refusing }()
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(refuseLinger))
		if _, err := io.WriteString(c, tooManyConns); err != nil {
			return
		}
		if hc, ok := c.(interface{ CloseWrite() error }); ok {
			_ = hc.CloseWrite()
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(c, 64<<10))
	}()
}

// countedConn gives its place back when closed (once; a hijacked
// WebSocket closes it too).
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// SyscallConn exposes the socket (engineio's inline writes and socket
// options use it).
func (c *countedConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("host: %T has no file descriptor", c.Conn)
	}
	return sc.SyscallConn()
}

// CloseWrite half-closes a TCP connection.
func (c *countedConn) CloseWrite() error {
	if hc, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return hc.CloseWrite()
	}
	return nil
}
