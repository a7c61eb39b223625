package host

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/internal/redistest"
)

// ack sends event(args...) and returns the ack object.
func ack(t *testing.T, c *bots.Client, event string, args ...any) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := c.EmitWithAck(ctx, event, args...)
	require.NoError(t, err, event)
	require.NotEmpty(t, res, event)
	m, ok := res[0].(map[string]any)
	require.True(t, ok, "%s ack: %#v", event, res)
	return m
}

func dial(t *testing.T, url string, p bots.Parser) *bots.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := bots.Dial(ctx, bots.Config{URL: url, Parser: p, Logger: quietLogger()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Two servers on one Redis: a join through one is redirected to the other
// with the wire of PROTOCOL.md ("Several nodes"), the claim seats the
// client there, and the metrics count Redis commands.
func TestClusterRedirectOnTheWire(t *testing.T) {
	r := redistest.Start(t)
	cfg := func(id string) Config {
		return Config{Addr: "127.0.0.1:0", Redis: r.URL(), NodeID: id, RedisPrefix: "h", DrainGrace: 20 * time.Second}
	}
	a := start(t, cfg("a"), defineArena)
	b := start(t, cfg("b"), defineArena)

	for _, p := range []bots.Parser{bots.ParserMsgpack, bots.ParserDefault} {
		owner := dial(t, b.url, p)
		seat := ack(t, owner, "rooms.create", arena.RoomType)
		require.Equal(t, true, seat["ok"], "%v", seat)
		roomID := seat["roomId"].(string)
		assert.True(t, strings.HasPrefix(seat["token"].(string), "b."), "the token names its node")

		first := dial(t, a.url, p)
		reply := ack(t, first, "rooms.joinById", roomID)
		require.Equal(t, false, reply["ok"], "%v", reply)
		require.Equal(t, "redirect", reply["error"].(map[string]any)["code"])
		to := reply["redirect"].(map[string]any)
		assert.Equal(t, b.url, to["url"], "the listen address is the default public URL")
		assert.Equal(t, roomID, to["roomId"])

		second := dial(t, to["url"].(string), p)
		seated := ack(t, second, "rooms.claim", map[string]any{"claim": to["claim"]})
		require.Equal(t, true, seated["ok"], "%v", seated)
		assert.Equal(t, roomID, seated["roomId"])
		assert.Equal(t, arena.RoomType, seated["name"])
		assert.NotEmpty(t, seated["sessionId"])

		again := ack(t, dial(t, b.url, p), "rooms.claim", map[string]any{"claim": to["claim"]})
		assert.Equal(t, "claim_invalid", again["error"].(map[string]any)["code"])
		bad := ack(t, second, "rooms.claim", map[string]any{})
		assert.Equal(t, "bad_request", bad["error"].(map[string]any)["code"])

		resume := ack(t, dial(t, a.url, p), "rooms.resume", map[string]any{"token": seated["token"]})
		assert.Equal(t, "redirect", resume["error"].(map[string]any)["code"], "%v", resume)
		assert.Equal(t, map[string]any{"url": b.url}, resume["redirect"])
	}
	mfs := gather(t, a.srv)
	assert.Positive(t, value(t, mfs, MetricRedisCommands))
	assert.Equal(t, 1.0, value(t, mfs, MetricClusterUp))

	require.NoError(t, b.stop(t))
	gone := ack(t, dial(t, a.url, bots.ParserMsgpack), "rooms.resume", map[string]any{"token": "b.whatever"})
	assert.Equal(t, "node_gone", gone["error"].(map[string]any)["code"], "a drained node leaves at once: %v", gone)
}

// --cluster-beat, --cluster-ttl and --claim-ttl reach Redis: the heartbeat
// key lives the TTL, a redirect's claim expires after the claim TTL.
func TestClusterTimingFlagsReachRedis(t *testing.T) {
	r := redistest.Start(t)
	cfg := func(id string) Config {
		c, err := ParseFlags([]string{"--addr", "127.0.0.1:0", "--redis", r.URL(), "--node-id", id, "--redis-prefix", "f",
			"--cluster-beat", "200ms", "--cluster-ttl", "700ms", "--claim-ttl", "7s"}, nil, io.Discard)
		require.NoError(t, err)
		return c
	}
	a := start(t, cfg("a"), defineArena)
	b := start(t, cfg("b"), defineArena)
	opts, err := redis.ParseURL(r.URL())
	require.NoError(t, err)
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()

	// The key exists while the node beats; on a loaded machine a late beat
	// can let it lapse for a moment, so wait for it rather than read once.
	var ttl time.Duration
	require.Eventually(t, func() bool {
		ttl, err = rdb.PTTL(ctx, "f:node:a").Result()
		require.NoError(t, err)
		return ttl != -2*time.Nanosecond // -2: no such key (go-redis keeps Redis's code)
	}, 30*time.Second, 10*time.Millisecond, "node a's heartbeat key")
	assert.True(t, ttl > 0 && ttl <= 700*time.Millisecond, "heartbeat TTL %v", ttl)

	seat := ack(t, dial(t, b.url, bots.ParserMsgpack), "rooms.create", arena.RoomType)
	require.Equal(t, true, seat["ok"], "%v", seat)
	before, err := rdb.Time(ctx).Result()
	require.NoError(t, err)
	reply := ack(t, dial(t, a.url, bots.ParserMsgpack), "rooms.joinById", seat["roomId"])
	require.Equal(t, "redirect", reply["error"].(map[string]any)["code"], "%v", reply)
	after, err := rdb.Time(ctx).Result()
	require.NoError(t, err)
	claims, err := rdb.ZRangeWithScores(ctx, "f:claims", 0, -1).Result()
	require.NoError(t, err)
	require.Len(t, claims, 1)
	// The claim's deadline is the reservation's time plus the claim TTL,
	// and the reservation happened between before and after.
	deadline := int64(claims[0].Score)
	claimTTL := (7 * time.Second).Milliseconds()
	assert.True(t, deadline >= before.UnixMilli()+claimTTL && deadline <= after.UnixMilli()+claimTTL,
		"claim deadline %d outside [%d, %d] (Redis ms)", deadline, before.UnixMilli()+claimTTL, after.UnixMilli()+claimTTL)
}
