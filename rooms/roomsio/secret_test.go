package roomsio_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/examples/cards"
	"github.com/roomcast/roomcast/internal/roomstest"
	"github.com/roomcast/roomcast/rooms"
	"github.com/roomcast/roomcast/rooms/roomsio"
	statesync "github.com/roomcast/roomcast/sync"
)

// startCardServer serves the card table of examples/cards: each seat's
// hand is a private field owned by the seat's group, which only that
// seat's View holds; its hand after n draws is cards.Hand(seat, n) (0xDE
// 0xAD 0xC0 0xDE, seat, n, 0x5A).
func startCardServer(t *testing.T) string {
	t.Helper()
	return roomstest.Serve(t, func(rs *rooms.Server) error {
		return rs.Define(cards.RoomType, cards.NewGame, cards.Settings())
	}, nil)
}

// cardPlayer is a raw client that records every byte it receives and
// mirrors its state frames.
type cardPlayer struct {
	seat int
	mu   sync.Mutex
	raw  [][]byte
	m    *statesync.Mirror
	errs []error
	msgs int
	cli  *bots.Client
}

func (p *cardPlayer) connect(t *testing.T, ctx context.Context, url string, tr bots.Transport, pa bots.Parser) {
	t.Helper()
	c, err := bots.New(bots.Config{URL: url, Transport: tr, Parser: pa})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	c.OnRaw(func(data []byte, _ bool) bool {
		p.mu.Lock()
		p.raw = append(p.raw, bytes.Clone(data))
		p.mu.Unlock()
		return false
	})
	state := func(snapshot bool) bots.Handler {
		return func(args []any, _ func(...any) error) {
			p.mu.Lock()
			defer p.mu.Unlock()
			b, _ := args[0].([]byte)
			var err error
			if snapshot {
				err = p.m.ApplySnapshot(b)
			} else {
				err = p.m.ApplyDelta(b)
			}
			if err == nil && len(args) > 2 && args[2] != roomsio.ChecksumHex(p.m.Checksum()) {
				err = fmt.Errorf("checksum %v, mirror %s", args[2], roomsio.ChecksumHex(p.m.Checksum()))
			}
			if err != nil {
				p.errs = append(p.errs, err)
			}
		}
	}
	c.On(rooms.EventSnapshot, state(true))
	c.On(rooms.EventDelta, state(false))
	c.On(roomsio.EventMsg, func([]any, func(...any) error) {
		p.mu.Lock()
		p.msgs++
		p.mu.Unlock()
	})
	require.NoError(t, c.Connect(ctx))
	p.cli = c
}

func (p *cardPlayer) ownHand() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.m.Valid() {
		return nil
	}
	var out []byte
	p.m.Root().Map(0).Range(func(_, v any) bool {
		if h, _ := v.(*statesync.Node).Field(2).([]byte); bytes.HasPrefix(h, []byte{0xDE, 0xAD, 0xC0, 0xDE}) {
			out = bytes.Clone(h)
		}
		return true
	})
	return out
}

func ok(t *testing.T, res []any, err error) map[string]any {
	t.Helper()
	require.NoError(t, err)
	m, _ := res[0].(map[string]any)
	require.Equal(t, true, m["ok"], "%v", res)
	return m
}

// Secret state stays secret: three players each hold a private hand
// (0xDE 0xAD 0xC0 0xDE + seat). Over both transports and both parsers, with
// snapshots, deltas (with checksums), a resume on a new connection, a room
// listing, the lobby and room messages, no byte a player receives contains
// another player's hand, while its own hand does arrive.
func TestEndToEndSecretStateStaysSecret(t *testing.T) {
	for _, tr := range []bots.Transport{bots.TransportWebSocket, bots.TransportPolling} {
		for _, pa := range []bots.Parser{bots.ParserMsgpack, bots.ParserDefault} {
			t.Run(fmt.Sprintf("%v/%v", tr, pa), func(t *testing.T) {
				t.Parallel()
				url := startCardServer(t)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				players := make([]*cardPlayer, 3)
				var token string
				for i := range players {
					p := &cardPlayer{seat: i, m: statesync.NewMirror(statesync.MirrorLimits{})}
					p.connect(t, ctx, url, tr, pa)
					require.NoError(t, p.cli.Emit(roomsio.EventLobbySubscribe))
					res, err := p.cli.EmitWithAck(ctx, roomsio.EventJoinOrCreate, "cards", map[string]any{"seat": i, "name": fmt.Sprint("p", i)})
					j := ok(t, res, err)
					if i == 1 {
						token, _ = j["token"].(string)
					}
					players[i] = p
				}
				for seq := 1; seq <= 6; seq++ { // a draw each, seen before the next: deltas over several ticks
					for _, p := range players {
						require.NoError(t, p.cli.Emit(roomsio.EventInput, seq, map[string]any{}))
					}
					for _, p := range players {
						require.Eventually(t, func() bool { return bytes.Equal(p.ownHand(), cards.Hand(p.seat, seq)) },
							10*time.Second, 5*time.Millisecond, "seat %d's draw %d", p.seat, seq)
					}
				}
				for _, p := range players {
					require.NoError(t, p.cli.Emit(roomsio.EventMsg, "peek", nil))
					res, err := p.cli.EmitWithAck(ctx, roomsio.EventList, map[string]any{"name": "cards"})
					require.NoError(t, err)
					require.NotEmpty(t, res)
				}
				for _, p := range players {
					require.Eventually(t, func() bool {
						h := p.ownHand()
						p.mu.Lock()
						defer p.mu.Unlock()
						return len(h) == 7 && h[4] == byte(p.seat) && h[5] == 6 && p.msgs >= 4
					}, 10*time.Second, 10*time.Millisecond, "seat %d sees its own hand", p.seat)
				}
				// Seat 1 drops and resumes on a new connection.
				_ = players[1].cli.Close()
				require.NoError(t, players[0].cli.Emit(roomsio.EventInput, 7, map[string]any{}))
				r := &cardPlayer{seat: 1, m: statesync.NewMirror(statesync.MirrorLimits{})}
				r.connect(t, ctx, url, tr, pa)
				require.Eventually(t, func() bool {
					players[1].mu.Lock()
					tick := players[1].m.Tick()
					players[1].mu.Unlock()
					res, err := r.cli.EmitWithAck(ctx, roomsio.EventResume, map[string]any{"token": token, "tick": tick})
					if err != nil {
						return false
					}
					m, _ := res[0].(map[string]any)
					return m["ok"] == true
				}, 10*time.Second, 20*time.Millisecond, "resume")
				require.NoError(t, r.cli.Emit(roomsio.EventInput, 7, map[string]any{}))
				require.Eventually(t, func() bool {
					h := r.ownHand()
					return len(h) == 7 && h[4] == 1 && h[5] == 7
				}, 10*time.Second, 10*time.Millisecond, "the resumed seat sees its own hand")
				players = append(players, r)

				for _, p := range players {
					p.mu.Lock()
					require.Empty(t, p.errs, "seat %d", p.seat)
					all := bytes.Join(p.raw, nil)
					p.mu.Unlock()
					require.True(t, bytes.Contains(all, []byte{0xDE, 0xAD, 0xC0, 0xDE, byte(p.seat)}), "seat %d got its own hand", p.seat)
					for other := range 3 {
						if other == p.seat {
							continue
						}
						require.False(t, bytes.Contains(all, []byte{0xDE, 0xAD, 0xC0, 0xDE, byte(other)}),
							"seat %d received seat %d's hand", p.seat, other)
					}
				}
			})
		}
	}
}
