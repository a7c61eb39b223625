package engineio

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// ClientAddr returns the host part of r.RemoteAddr (the TCP peer's IP
// address): the default Config.ClientKey.
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// handshakeLimiter is a token bucket per client key: each key may open
// rate handshakes per second on average, burst at once.
type handshakeLimiter struct {
	rate  float64
	burst float64

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// sweepEvery bounds how often the limiter drops the buckets that have
// refilled (they would behave as new ones): the map holds only clients
// seen in the last burst/rate seconds, give or take this.
const sweepEvery = 10 * time.Second

func newHandshakeLimiter(rate float64, burst int) *handshakeLimiter {
	if rate <= 0 {
		return nil
	}
	return &handshakeLimiter{rate: rate, burst: float64(max(burst, 1)), buckets: map[string]*bucket{}}
}

// allow takes a token of key's bucket, if it has one.
func (l *handshakeLimiter) allow(key string, now time.Time) bool {
	if l == nil || key == "" {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= sweepEvery {
		l.lastSweep = now
		full := time.Duration(l.burst / l.rate * float64(time.Second))
		for k, b := range l.buckets {
			if now.Sub(b.last) >= full {
				delete(l.buckets, k)
			}
		}
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
