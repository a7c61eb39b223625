// Package cards is a demo of secret state with per-client views: up to
// four seats at a table, each holding a hand that only its own player
// receives. The hand is a private field (`sync:"hand,private"`) owned by
// the seat's view group; every other client gets its zero value (an empty
// bin) in snapshots and whole entities, and no patch when it changes.
// Everything else (names, card counts, the round) is public.
//
// An input {} draws a card; the message "peek" answers the asker with its
// own hand (to it alone) and tells everyone how many cards it holds. The
// hand of seat s after n draws is Hand(s, n), a distinctive byte pattern,
// so that tests (Go and JS) can search every raw frame another client
// receives for it.
package cards

import (
	"github.com/roomcast/roomcast/rooms"
	statesync "github.com/roomcast/roomcast/sync"
)

// RoomType is the room type's name.
const RoomType = "cards"

// MaxSeats is the room's capacity.
const MaxSeats = 4

// ownerBase is the view group of seat 0's hand (seat s: ownerBase + s).
const ownerBase = statesync.Group(100)

// Seat is one player's place at the table.
type Seat struct {
	statesync.Entity `sync:"Seat"`
	Name             statesync.String `sync:"name"`
	Cards            statesync.Uint8  `sync:"cards"`
	Hand             statesync.Bytes  `sync:"hand,private"`

	index int
}

// Table is the room's state.
type Table struct {
	statesync.Entity `sync:"Table"`
	Seats            statesync.Map[string, *Seat] `sync:"seats"`
	Round            statesync.Uint16             `sync:"round"`
}

// Hand is seat s's hand after n draws: 0xDE 0xAD 0xC0 0xDE, s, n, 0x5A.
func Hand(s, n int) []byte { return []byte{0xDE, 0xAD, 0xC0, 0xDE, byte(s), byte(n), 0x5A} }

// Settings returns the room type's settings (checksums every 5 ticks, so
// that the per-view checksum is exercised too).
func Settings() rooms.Settings {
	return rooms.Settings{TickRate: 20, MaxClients: MaxSeats, ChecksumEvery: 5}
}

// Game is one table.
type Game struct {
	rooms.NopGame
	table *Table
	enc   *statesync.Encoder
	taken [MaxSeats]bool
}

// NewGame returns a room's game (for rooms.Server.Define).
func NewGame() rooms.Game { return &Game{} }

// OnCreate sets up the state.
func (g *Game) OnCreate(r *rooms.Room, _ rooms.Options) error {
	g.table = &Table{}
	enc, err := statesync.NewEncoder(g.table, statesync.EncoderOptions{})
	if err != nil {
		return err
	}
	g.enc = enc
	r.SetState(enc)
	r.SetMetadata("game", "cards")
	return nil
}

// OnJoin seats the player at the first free seat: its hand is private to
// the seat's group, which only its own View holds.
func (g *Game) OnJoin(r *rooms.Room, c *rooms.Client, opts rooms.Options) error {
	s := &Seat{index: -1}
	for i, taken := range g.taken {
		if !taken {
			s.index = i
			break
		}
	}
	if s.index < 0 {
		return rooms.ErrRoomFull
	}
	g.taken[s.index] = true
	s.Name.Set(opts.String("name", "player"))
	g.enc.SetOwner(s, ownerBase+statesync.Group(s.index))
	s.Hand.Set(Hand(s.index, 0))
	g.table.Seats.Set(c.ID(), s)
	r.SetView(c, g.enc.NewView(ownerBase+statesync.Group(s.index)))
	c.Data = s
	return nil
}

// OnInput draws a card.
func (g *Game) OnInput(_ *rooms.Room, c *rooms.Client, _ rooms.Input) {
	s := c.Data.(*Seat)
	s.Cards.Set(s.Cards.Get() + 1)
	s.Hand.Set(Hand(s.index, int(s.Cards.Get())))
	g.table.Round.Set(g.table.Round.Get() + 1)
}

// OnMessage answers "peek": the asker gets its own hand, everyone its card
// count.
func (g *Game) OnMessage(r *rooms.Room, c *rooms.Client, m *rooms.Message) {
	if m.Type != "peek" {
		return
	}
	s := c.Data.(*Seat)
	_ = c.Send("hand", s.Hand.Get())
	r.Broadcast("peeked", map[string]any{"seat": s.index, "cards": int(s.Cards.Get())})
}

// OnLeave frees the seat.
func (g *Game) OnLeave(_ *rooms.Room, c *rooms.Client, _ rooms.LeaveReason) {
	s := c.Data.(*Seat)
	g.taken[s.index] = false
	g.table.Seats.Delete(c.ID())
}
