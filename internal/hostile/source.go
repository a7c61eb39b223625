package hostile

import (
	"context"
	"net"
	"net/http"
	"time"
)

// Source returns the loopback address 127.0.block.n (n in 1..254) that a
// simulated client address connects from: on Linux all of 127.0.0.0/8 is
// local, so honest players, the attacker (127.0.0.1) and the players
// behind each simulated NAT each have an address of their own, as the
// server's per-address limits would see them on the internet.
func Source(block, n int) net.IP { return net.IPv4(127, 0, byte(block), byte(n)) }

// HTTPClientFrom returns an HTTP client whose connections come from src
// (nil: the kernel's choice), for long-polling bots of that address.
func HTTPClientFrom(src net.IP, maxConns int) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if src != nil {
		d.LocalAddr = &net.TCPAddr{IP: src}
	}
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		MaxIdleConns: maxConns, MaxIdleConnsPerHost: maxConns, IdleConnTimeout: time.Minute,
	}}
}
