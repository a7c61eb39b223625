package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// DefaultRedisLogEvery is how often a RedisLogger writes at most one line.
const DefaultRedisLogEvery = 10 * time.Second

// RedisLogger routes go-redis's own messages (its dial errors during an
// outage, every few milliseconds otherwise on stderr) to a slog logger as
// warnings, at most one per period; the next line says how many were
// left out. go-redis takes its logger only process-wide (redis.SetLogger),
// so this package never installs it: a program does, once, in main
// (host.Main does with --redis):
//
//	redis.SetLogger(cluster.NewRedisLogger(logger, cluster.DefaultRedisLogEvery))
type RedisLogger struct {
	log   *slog.Logger
	every time.Duration

	mu      sync.Mutex // guards last, skipped
	last    time.Time
	skipped int
}

// NewRedisLogger returns a RedisLogger writing to log at most once per
// every (0: DefaultRedisLogEvery).
func NewRedisLogger(log *slog.Logger, every time.Duration) *RedisLogger {
	if every <= 0 {
		every = DefaultRedisLogEvery
	}
	return &RedisLogger{log: log, every: every}
}

// Printf implements go-redis's logging interface.
func (l *RedisLogger) Printf(ctx context.Context, format string, v ...any) {
	now := time.Now()
	l.mu.Lock()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.skipped++
		l.mu.Unlock()
		return
	}
	skipped := l.skipped
	l.last, l.skipped = now, 0
	l.mu.Unlock()
	attrs := []any{"msg", fmt.Sprintf(format, v...)}
	if skipped > 0 {
		attrs = append(attrs, "left_out", skipped)
	}
	l.log.WarnContext(context.WithoutCancel(ctx), "cluster: go-redis", attrs...)
}
