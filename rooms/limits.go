package rooms

import (
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Rate is a request rate limit: PerSecond requests a second on average and
// Burst at once (a token bucket). The zero value takes the default of the
// field it is in; a negative PerSecond means no limit.
type Rate struct {
	PerSecond float64
	Burst     int
}

func (r Rate) withDefault(def Rate) Rate {
	if r.PerSecond == 0 {
		return def
	}
	if r.Burst < 1 {
		r.Burst = 1
	}
	return r
}

func (r Rate) unlimited() bool { return r.PerSecond < 0 }

// tokenBucket is one client's (or address's) state of a Rate.
type tokenBucket struct {
	tokens float64
	at     time.Time
}

// take spends a token at now; false means the request is over the rate.
func (b *tokenBucket) take(now time.Time, r Rate) bool {
	if r.unlimited() {
		return true
	}
	if b.at.IsZero() {
		b.tokens = float64(r.Burst)
	} else {
		b.tokens = min(float64(r.Burst), b.tokens+now.Sub(b.at).Seconds()*r.PerSecond)
	}
	b.at = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// full reports whether the bucket would be full at now (it can be
// forgotten: a new one behaves the same).
func (b *tokenBucket) full(now time.Time, r Rate) bool {
	return b.tokens+now.Sub(b.at).Seconds()*r.PerSecond >= float64(r.Burst)
}

// ipBuckets are the token buckets of remote addresses. Full buckets are
// forgotten by a sweep at most every sweepEvery, so the map holds only the
// addresses active in the last Burst/PerSecond seconds.
type ipBuckets struct {
	rate          Rate
	limitLoopback bool

	mu        sync.Mutex // guards buckets, swept
	buckets   map[string]*tokenBucket
	swept     time.Time
	sweepSize int // sweep when the map has more entries than this
}

const sweepEvery = 10 * time.Second

func newIPBuckets(r Rate, limitLoopback bool) *ipBuckets {
	return &ipBuckets{rate: r, limitLoopback: limitLoopback, buckets: map[string]*tokenBucket{}, sweepSize: 256}
}

// take spends a token of ip's bucket (ip: a ConnInfo's client key). An
// unknown ("") address is not limited, nor a loopback one unless
// limitLoopback: it is a reverse proxy on the same machine that the
// transport was not told to trust (all players would share one bucket) or
// a local bot swarm.
func (m *ipBuckets) take(ip string, now time.Time) bool {
	if ip == "" || m.rate.unlimited() {
		return true
	}
	if a := net.ParseIP(ip); a != nil && a.IsLoopback() && !m.limitLoopback {
		return true
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.buckets) > m.sweepSize && now.Sub(m.swept) >= sweepEvery {
		for k, b := range m.buckets {
			if b.full(now, m.rate) {
				delete(m.buckets, k)
			}
		}
		m.swept = now
	}
	b := m.buckets[ip]
	if b == nil {
		b = &tokenBucket{}
		m.buckets[ip] = b
	}
	return b.take(now, m.rate)
}

// hostOf returns the host part of a remote address ("" if none).
func hostOf(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// listCursor is a position in the oldest-first order of listings.
type listCursor struct {
	created int64 // CreatedAt in Unix nanoseconds
	id      string
}

// before reports whether l comes after the cursor.
func (c listCursor) before(l *Listing) bool {
	n := l.CreatedAt.UnixNano()
	return n > c.created || n == c.created && l.ID > c.id
}

func cursorOf(l *Listing) string {
	return strconv.FormatInt(l.CreatedAt.UnixNano(), 36) + "." + l.ID
}

func parseCursor(s string) (listCursor, error) {
	if s == "" {
		return listCursor{}, nil
	}
	ts, id, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(ts, 36, 64)
	if !ok || err != nil || id == "" {
		return listCursor{}, errorf(CodeBadRequest, "rooms.list: cursor %q is not one rooms.list returned", s)
	}
	return listCursor{created: n, id: id}, nil
}
