package rooms

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/roomcast/roomcast/tick"
)

// Defaults of Settings and Config.
const (
	DefaultTickRate            = 20
	DefaultMaxClients          = 8
	DefaultReconnectGrace      = 20 * time.Second
	DefaultInboxSize           = 256
	DefaultMaxInputBytes       = 512
	DefaultMaxInputsPerSecond  = 60
	DefaultSlowConsumerTimeout = 5 * time.Second
	DefaultResumeTicks         = 100
	DefaultResumeBytes         = 256 << 10
	DefaultLobbyInterval       = 250 * time.Millisecond
	DefaultTokenMemory         = 10 * time.Minute
	DefaultMaxMessageBytes     = 4096
	DefaultMaxListRooms        = 100
	// DefaultListAbuse is Config.ListAbuse's default: a client that backs
	// off after rate_limited, or even retries ten times a second, never
	// reaches it; one that calls in a loop does within a second.
	DefaultListAbuse = 20
)

// Default rates of Config (Rate{PerSecond, Burst}).
const (
	// A connection creates a room every 2 s, 3 at once.
	DefaultCreatePerSecond = 0.5
	DefaultCreateBurst     = 3
	// An address creates 5 rooms a second, 20 at once.
	DefaultIPCreatePerSecond = 5
	DefaultIPCreateBurst     = 20
	// A connection lists rooms twice a second, 10 at once (a lobby paging
	// through 1000 rooms).
	DefaultListPerSecond = 2
	DefaultListBurst     = 10
)

// Settings configure a room type. Every field works at its zero value.
type Settings struct {
	// TickRate is ticks per second (tick.MinRate..tick.MaxRate). Default 20.
	TickRate int
	// MaxClients is the number of seats (held seats of dropped clients
	// count). Default 8.
	MaxClients int
	// ReconnectGrace is how long a dropped client's seat is held. Default
	// 20 s; negative means no grace (a drop is a leave).
	ReconnectGrace time.Duration
	// Private rooms are not listed and not matched by joinOrCreate/join;
	// only joinById reaches them. A room can change it with SetPrivate.
	Private bool
	// KeepWhenEmpty keeps a room after its last client left. Default false:
	// rooms are disposed as soon as they hold no seat.
	KeepWhenEmpty bool
	// FilterBy lists option keys that must match for joinOrCreate/join to
	// pick a room: a room created with {"mode":"ctf"} only takes joiners
	// passing "mode":"ctf". The created room's metadata gets these options.
	FilterBy []string
	// InboxSize bounds the room's inbox (joins, inputs, messages). A full
	// inbox drops inputs (counted) and makes other requests wait up to one
	// tick before failing with room_busy. Default 256.
	InboxSize int
	// MaxInputBytes bounds one input's payload: the length of its msgpack
	// encoding (Session.InputMsgpack), or an estimate of the encoded size
	// for a payload handed over decoded (Session.Input). Default 512.
	MaxInputBytes int
	// MaxInputsPerSecond bounds inputs per client (token bucket, burst of
	// one second's worth); excess inputs are dropped and counted, and a
	// client whose dropped inputs in one second exceed this rate again is
	// disconnected. Default 60.
	MaxInputsPerSecond int
	// ManualInputAck lets the game acknowledge inputs itself: state frames
	// then carry the seq the game last passed to Client.AckInput (e.g.
	// when a queued input is applied), not the seq of the last input
	// received. The ack only moves forward; the stale, size and rate rules
	// for inputs are unchanged. Default false: an input is acknowledged
	// when it is handed to OnInput.
	ManualInputAck bool
	// MaxMessageBytes bounds a msg payload. Default 4096.
	MaxMessageBytes int
	// SlowConsumerTimeout disconnects a client whose state frames keep
	// being dropped this long. Default 5 s.
	SlowConsumerTimeout time.Duration
	// ResumeTicks is how many ticks of deltas are kept to replay on resume.
	// Default 100.
	ResumeTicks int
	// ResumeBytes bounds the bytes of those deltas. Default 256 KiB.
	ResumeBytes int
	// Metadata is the initial metadata of every room of the type (listed,
	// filtered on). OnCreate may change it.
	Metadata map[string]any
	// Input, if set, decodes every input payload into the game's own type
	// (OnInput then gets it as Input.Payload; see InputAs), straight from
	// the encoded bytes when the transport hands them over (roomsio does,
	// with both Socket.IO parsers), so no generic map is built per input. Default nil: payloads
	// arrive in the argument model (Input.Float and friends read them).
	Input InputDecoder
	// ChecksumEvery, when > 0, adds the state's checksum to the state
	// frames of every tick that is a multiple of it, and to every snapshot:
	// event(state, ack, checksum), checksum = the FNV-1a 64 hash of the
	// canonical encoding of the state after that frame as 16 lowercase hex
	// digits (PROTOCOL.md, "State frames"). It needs a State with a
	// Checksum() uint64 method (a *statesync.Encoder has one); other states
	// send no checksum. It is computed once per room and tick. Default 0:
	// off.
	ChecksumEvery int
	// TickWhileAbandoned keeps a room ticking while every seat is held
	// for a dropped client. Default false: such a room pauses (no OnTick,
	// no frames, no timer) until a message arrives (a resume, a join, a
	// Room.Do) or the first grace period ends; tick numbers then go on
	// without a gap (Tick.Time jumps). A room whose creator dropped thus
	// costs nothing through the grace period.
	TickWhileAbandoned bool
	// Observer, if set, gets every tick's lateness and duration (and
	// skipped ticks) from each room of the type, on the room's goroutine
	// (e.g. to feed Prometheus histograms). Default none.
	Observer tick.Observer
}

func (s Settings) withDefaults() Settings {
	if s.TickRate == 0 {
		s.TickRate = DefaultTickRate
	}
	if s.MaxClients == 0 {
		s.MaxClients = DefaultMaxClients
	}
	if s.ReconnectGrace == 0 {
		s.ReconnectGrace = DefaultReconnectGrace
	}
	if s.InboxSize == 0 {
		s.InboxSize = DefaultInboxSize
	}
	if s.MaxInputBytes == 0 {
		s.MaxInputBytes = DefaultMaxInputBytes
	}
	if s.MaxInputsPerSecond == 0 {
		s.MaxInputsPerSecond = DefaultMaxInputsPerSecond
	}
	if s.MaxMessageBytes == 0 {
		s.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if s.SlowConsumerTimeout == 0 {
		s.SlowConsumerTimeout = DefaultSlowConsumerTimeout
	}
	if s.ResumeTicks == 0 {
		s.ResumeTicks = DefaultResumeTicks
	}
	if s.ResumeBytes == 0 {
		s.ResumeBytes = DefaultResumeBytes
	}
	return s
}

// Validate reports the first invalid field (after defaults).
func (s Settings) Validate() error {
	switch {
	case s.TickRate < tick.MinRate || s.TickRate > tick.MaxRate:
		return fmt.Errorf("rooms: Settings.TickRate %d outside %d..%d", s.TickRate, tick.MinRate, tick.MaxRate)
	case s.MaxClients < 1:
		return fmt.Errorf("rooms: Settings.MaxClients %d < 1", s.MaxClients)
	case s.InboxSize < 1:
		return fmt.Errorf("rooms: Settings.InboxSize %d < 1", s.InboxSize)
	case s.MaxInputBytes < 1:
		return fmt.Errorf("rooms: Settings.MaxInputBytes %d < 1", s.MaxInputBytes)
	case s.MaxInputsPerSecond < 1:
		return fmt.Errorf("rooms: Settings.MaxInputsPerSecond %d < 1", s.MaxInputsPerSecond)
	case s.MaxMessageBytes < 1:
		return fmt.Errorf("rooms: Settings.MaxMessageBytes %d < 1", s.MaxMessageBytes)
	case s.SlowConsumerTimeout < 0:
		return fmt.Errorf("rooms: Settings.SlowConsumerTimeout %v is negative", s.SlowConsumerTimeout)
	case s.ResumeTicks < 0:
		return fmt.Errorf("rooms: Settings.ResumeTicks %d is negative", s.ResumeTicks)
	case s.ResumeBytes < 0:
		return fmt.Errorf("rooms: Settings.ResumeBytes %d is negative", s.ResumeBytes)
	case s.ChecksumEvery < 0:
		return fmt.Errorf("rooms: Settings.ChecksumEvery %d is negative", s.ChecksumEvery)
	}
	if err := checkValue(s.Metadata, 0); err != nil {
		return fmt.Errorf("rooms: Settings.Metadata: %w", err)
	}
	return nil
}

// Config configures a Server. Every field works at its zero value.
type Config struct {
	// Registry lists rooms for rooms.list, joinById and the lobby. Default
	// NewMemoryRegistry().
	Registry Registry
	// Directory makes this Server one node of several that act as one
	// (see Directory; package cluster implements it on Redis). It is then
	// the Registry too (leave Registry nil). Default nil: one process.
	Directory Directory
	// Clock is the time source of ticks, grace periods, rate limits and the
	// lobby. Default tick.RealClock{} (follows testing/synctest bubbles).
	Clock tick.Clock
	// Rand is the source of room ids, session ids and tokens. Default
	// crypto/rand.Reader.
	Rand io.Reader
	// Logger gets room panics and disconnects of abusive clients. Default
	// slog.Default().
	Logger *slog.Logger
	// LobbyInterval is the least time between two lobby pushes to a
	// subscriber; changes in between are coalesced. Default 250 ms.
	LobbyInterval time.Duration
	// TokenMemory is how long used and expired tokens are remembered, to
	// answer token_used / token_expired instead of token_unknown. Default
	// 10 min.
	TokenMemory time.Duration
	// MaxRooms bounds the rooms of this process; creating more fails with
	// code create_failed. Default 0: no bound.
	MaxRooms int
	// CreateRate bounds the rooms one connection creates (rooms.create,
	// and rooms.joinOrCreate when it creates); over it the request fails
	// with code rate_limited. Default 0.5/s, burst 3.
	CreateRate Rate
	// IPCreateRate bounds the rooms all connections from one remote
	// address (ConnInfo.ClientKey) create, like CreateRate.
	// Default 5/s, burst 20: lenient enough for players behind one
	// NAT. Loopback addresses are not limited unless LimitLoopback.
	IPCreateRate Rate
	// LimitLoopback applies IPCreateRate to loopback addresses too.
	LimitLoopback bool
	// ListRate bounds a connection's rooms.list and lobby.subscribe
	// requests; over it they fail with code rate_limited. Default 2/s,
	// burst 10.
	ListRate Rate
	// ListAbuse closes a connection with more refused rooms.list and
	// lobby.subscribe requests than this within one second (the last
	// refusal is answered first, its Error.Disconnect set; counted in
	// Stats.AbuseDisconnects). Default DefaultListAbuse (20); negative:
	// never.
	ListAbuse int
	// MaxListRooms bounds the rooms of one rooms.list page. Default 100.
	MaxListRooms int
}

func (c Config) withDefaults() Config {
	if c.Registry == nil {
		if c.Directory != nil {
			c.Registry = c.Directory
		} else {
			c.Registry = NewMemoryRegistry()
		}
	}
	if c.Clock == nil {
		c.Clock = tick.RealClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.LobbyInterval == 0 {
		c.LobbyInterval = DefaultLobbyInterval
	}
	if c.TokenMemory == 0 {
		c.TokenMemory = DefaultTokenMemory
	}
	c.CreateRate = c.CreateRate.withDefault(Rate{DefaultCreatePerSecond, DefaultCreateBurst})
	c.IPCreateRate = c.IPCreateRate.withDefault(Rate{DefaultIPCreatePerSecond, DefaultIPCreateBurst})
	c.ListRate = c.ListRate.withDefault(Rate{DefaultListPerSecond, DefaultListBurst})
	if c.MaxListRooms == 0 {
		c.MaxListRooms = DefaultMaxListRooms
	}
	if c.ListAbuse == 0 {
		c.ListAbuse = DefaultListAbuse
	}
	return c
}

// Validate reports the first invalid field (after defaults).
func (c Config) Validate() error {
	switch {
	case c.LobbyInterval < 0:
		return fmt.Errorf("rooms: Config.LobbyInterval %v is negative", c.LobbyInterval)
	case c.TokenMemory < 0:
		return fmt.Errorf("rooms: Config.TokenMemory %v is negative", c.TokenMemory)
	case c.MaxRooms < 0:
		return fmt.Errorf("rooms: Config.MaxRooms %d is negative", c.MaxRooms)
	case c.MaxListRooms < 1:
		return fmt.Errorf("rooms: Config.MaxListRooms %d < 1", c.MaxListRooms)
	case c.Directory != nil && c.Registry != Registry(c.Directory):
		return fmt.Errorf("rooms: Config.Registry must be nil with a Directory (it lists the rooms)")
	case c.Directory != nil && (c.Directory.NodeID() == "" || strings.Contains(c.Directory.NodeID(), ".")):
		return fmt.Errorf("rooms: Directory.NodeID %q must be non-empty, without '.'", c.Directory.NodeID())
	}
	return nil
}
