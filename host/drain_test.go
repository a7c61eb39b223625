package host

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/lxzan/gws"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/rooms"
)

// drainRepeat is how many drains TestDrainUnderInputs runs in a row:
// go test ./host -run TestDrainUnderInputs -drain.repeat=20, or
// ROOMCAST_DRAIN_REPEAT=20 when the flag is not given.
var drainRepeat = flag.Int("drain.repeat", 3, "drains TestDrainUnderInputs runs in a row (or $ROOMCAST_DRAIN_REPEAT)")

func drainRuns(t *testing.T) int {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "drain.repeat" })
	if v := os.Getenv("ROOMCAST_DRAIN_REPEAT"); v != "" && !given {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "ROOMCAST_DRAIN_REPEAT")
		return n
	}
	return *drainRepeat
}

// drainClients is how many WebSocket players each drain has.
const drainClients = 200

// 200 WebSocket players in arena rooms send inputs as fast as the rate
// limit lets them while the server drains: every one must be told
// room.left {code: "shutdown"} and then get a close frame with status 1000
// (not a reset: closing a socket with unread input sends a RST, and the
// peer's kernel then discards the frames it had not handed to the
// client yet). Repeated -drain.repeat times.
func TestDrainUnderInputs(t *testing.T) {
	for i := range drainRuns(t) {
		t.Run(fmt.Sprintf("run%d", i+1), testDrainUnderInputs)
	}
}

func testDrainUnderInputs(t *testing.T) {
	r := start(t, Config{DrainGrace: 20 * time.Second}, defineArena)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	players := make([]*player, drainClients)
	var wg sync.WaitGroup
	errs := make(chan error, drainClients)
	for i := range players {
		wg.Go(func() {
			pl := newPlayer(t, r.url, bots.TransportWebSocket, bots.ParserMsgpack, false)
			if _, err := pl.g.JoinOrCreate(ctx, arena.RoomType, map[string]any{"name": fmt.Sprintf("p%d", i)}); err != nil {
				errs <- fmt.Errorf("player %d: join: %w", i, err)
				return
			}
			players[i] = pl
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	// Inputs at about 100/s per player (the rate limit takes 60 and
	// drops the rest, below the abuse threshold) until the drain ends.
	stop := make(chan struct{})
	var senders sync.WaitGroup
	for _, pl := range players {
		senders.Go(func() {
			tk := time.NewTicker(10 * time.Millisecond)
			defer tk.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tk.C:
					if _, err := pl.g.SendInput(bots.MoveInput{DX: 1, DY: 0.5}); err != nil {
						return
					}
				}
			}
		})
	}
	defer func() {
		close(stop)
		senders.Wait()
	}()
	for _, pl := range players { // every player plays
		select {
		case <-pl.acks:
		case <-ctx.Done():
			t.Fatal("a player got no state frame")
		}
	}

	require.NoError(t, r.stop(t))
	var lost, unclean []string
	deadline := time.After(20 * time.Second) // for all players together
	for i, pl := range players {
		select {
		case code := <-pl.left:
			if code != rooms.LeftCodeShutdown {
				lost = append(lost, fmt.Sprintf("%d:%s", i, code))
			}
		case <-pl.g.Client().Done(): // closed without room.left
			select {
			case code := <-pl.left:
				if code != rooms.LeftCodeShutdown {
					lost = append(lost, fmt.Sprintf("%d:%s", i, code))
				}
			default:
				lost = append(lost, fmt.Sprint(i))
			}
		case <-deadline:
			t.Fatalf("player %d neither told room.left nor disconnected", i)
		}
		c := pl.g.Client()
		select {
		case <-c.Done():
		case <-deadline:
			t.Fatalf("player %d still connected after the drain", i)
		}
		var ce *gws.CloseError
		if err := c.Err(); !errors.As(err, &ce) || ce.Code != 1000 {
			unclean = append(unclean, fmt.Sprintf("%d: %v", i, err))
		}
	}
	require.Empty(t, lost, "players not told room.left shutdown")
	require.Empty(t, unclean, "players without a close frame 1000")
}
