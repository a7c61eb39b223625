package cluster_test

import (
	"context"
	"log"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/cluster"
	"github.com/roomcast/roomcast/internal/redistest"
	"github.com/roomcast/roomcast/internal/syncbuf"
)

// stdLogger is go-redis's logging interface on a standard logger (to put
// its default back after a test).
type stdLogger struct{ *log.Logger }

func (l stdLogger) Printf(_ context.Context, format string, v ...any) { l.Logger.Printf(format, v...) }

func TestRedisLoggerWritesOneWarningPerPeriod(t *testing.T) {
	var out syncbuf.Buffer
	l := cluster.NewRedisLogger(slog.New(slog.NewTextHandler(&out, nil)), time.Hour)
	for i := range 50 {
		l.Printf(context.Background(), "dial %d failed", i)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 1)
	assert.Contains(t, lines[0], "level=WARN")
	assert.Contains(t, lines[0], `"dial 0 failed"`)
}

// During an outage go-redis's dial errors reach the slog logger (as
// warnings, rate-limited), not stderr.
func TestRedisDialErrorsGoToTheLogger(t *testing.T) {
	r := redistest.Start(t)
	r.Stop()
	var out syncbuf.Buffer
	redis.SetLogger(cluster.NewRedisLogger(slog.New(slog.NewTextHandler(&out, nil)), time.Hour))
	t.Cleanup(func() { redis.SetLogger(stdLogger{log.New(os.Stderr, "redis: ", log.LstdFlags|log.Lshortfile)}) })

	node, err := cluster.New(cluster.Config{RedisURL: r.URL(), NodeID: "a", URL: "http://a.test", Prefix: "t",
		Beat: 50 * time.Millisecond, TTL: time.Second, RedisTimeout: 200 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = node.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for range 20 {
		_, _ = node.NodeURL(ctx, "b") // each dial fails
	}
	eventually(t, "go-redis's dial error in the log", func() bool { return strings.Contains(out.String(), "failed to dial") })
	assert.Equal(t, 1, strings.Count(out.String(), "\n"), "one line per period: %s", out.String())
	assert.Contains(t, out.String(), "level=WARN")
}
