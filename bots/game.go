package bots

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roomcast/roomcast/codec/mpack"
)

// Game protocol event names (PROTOCOL.md, "Game protocol").
const (
	EventList         = "rooms.list"
	EventJoinOrCreate = "rooms.joinOrCreate"
	EventCreate       = "rooms.create"
	EventJoin         = "rooms.join"
	EventJoinByID     = "rooms.joinById"
	EventResume       = "rooms.resume"
	EventLeave        = "rooms.leave"
	EventInput        = "input"
	EventMsg          = "msg"
	EventLobbySub     = "lobby.subscribe"
	EventLobbyUnsub   = "lobby.unsubscribe"
	EventLobbyRooms   = "lobby.rooms"
	EventLobbyUpdate  = "lobby.update"
	EventLobbyRemove  = "lobby.remove"
	EventSnapshot     = "snapshot"
	EventDelta        = "delta"
	EventRoomLeft     = "room.left"
)

// StateMirror rebuilds the room state from state frames;
// *statesync.Mirror (package sync) satisfies it. A Game applies frames on
// its connection's read goroutine; read the mirror from anywhere else
// through Game.ReadMirror. A mirror that also has Tick() uint32 lets a
// resume ask for the missed deltas only, and one with Checksum() uint64
// lets the Game verify the checksums the server may send with frames.
type StateMirror interface {
	ApplySnapshot(b []byte) error
	ApplyDelta(b []byte) error
}

// mirrorTicker and mirrorChecksummer are the optional StateMirror methods.
type (
	mirrorTicker      interface{ Tick() uint32 }
	mirrorChecksummer interface{ Checksum() uint64 }
)

// Desync is a state frame whose checksum did not match the mirror's
// state after applying it (GameStats.Desyncs, Game.OnDesync).
type Desync struct {
	Kind string // EventSnapshot or EventDelta
	Tick uint32 // the mirror's tick after the frame (0 if it has no Tick method)
	Want uint64 // the frame's checksum
	Got  uint64 // the mirror's checksum
}

// InputPayload is an input payload that encodes itself for both parsers
// without reflection: the swarm's hot path. Other payloads go through the
// generic argument encoder.
type InputPayload interface {
	// AppendMsgpack appends the payload as one msgpack value.
	AppendMsgpack(dst []byte) []byte
	// AppendJSON appends the payload as one JSON value.
	AppendJSON(dst []byte) []byte
}

// MoveInput is arena v1's input payload {dx, dy}.
type MoveInput struct{ DX, DY float64 }

// AppendMsgpack implements InputPayload (integral values as integers, as a
// JavaScript client's msgpack encoder writes them).
func (m MoveInput) AppendMsgpack(dst []byte) []byte {
	dst = mpack.AppendMapHeader(dst, 2)
	dst = appendMsgpackNumber(mpack.AppendString(dst, "dx"), m.DX)
	return appendMsgpackNumber(mpack.AppendString(dst, "dy"), m.DY)
}

// AppendJSON implements InputPayload.
func (m MoveInput) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"dx":`...)
	dst = strconv.AppendFloat(dst, m.DX, 'g', -1, 64)
	dst = append(dst, `,"dy":`...)
	dst = strconv.AppendFloat(dst, m.DY, 'g', -1, 64)
	return append(dst, '}')
}

func appendMsgpackNumber(dst []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return mpack.AppendInt(dst, int64(f))
	}
	return mpack.AppendFloat64(dst, f)
}

// GameConfig configures a Game.
type GameConfig struct {
	// Client configures the connection (and every reconnection).
	Client Config
	// Mirror, if set, receives every state frame (nil: frames are counted
	// and acks tracked, state is not rebuilt: cheapest for a swarm).
	Mirror StateMirror
	// AckLatency, if set, records input→ack latency: the time from sending
	// input seq N until a state frame acknowledging ≥ N arrives. Many
	// games may share one Histogram.
	AckLatency *Histogram
	// AutoResume reconnects after a dropped connection and calls
	// rooms.resume with the seat's token. Default off.
	AutoResume bool
	// ResumeAttempts bounds reconnection attempts per drop; default 5.
	ResumeAttempts int
	// ResumeBackoff is the pause before the first attempt, doubled after
	// each failure; default 100 ms.
	ResumeBackoff time.Duration
	// CheckRedirect, if set, vets the URL of every redirect before it is
	// followed; an error fails the call with it (nil: every redirect is
	// followed). The swarm sets CheckLocal when its own URL is local.
	CheckRedirect func(url string) error
}

// JoinResult is a successful join's (or resume's) answer.
type JoinResult struct {
	RoomID    string
	SessionID string
	Token     string
	TickRate  int
	// URL is the base URL of the node the seat is on: the configured URL,
	// or the URL of the redirect the call followed.
	URL string
}

// RoomInfo is one room of rooms.list or the lobby.
type RoomInfo struct {
	ID         string
	Name       string
	Clients    int
	MaxClients int
	Locked     bool
	Metadata   map[string]any
}

// ProtocolError is a request's {ok:false, error:{code, message}} answer.
// errors.Is(err, target) holds for a target *ProtocolError with the same
// Code and an empty Message, such as ErrNodeGone.
type ProtocolError struct {
	Code    string
	Message string
	// Redirect is set when Code is CodeRedirect and the answer said where.
	Redirect *Redirect
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("bots: server error %s: %s", e.Code, e.Message)
}

// Is matches a target ProtocolError without a message by its code.
func (e *ProtocolError) Is(target error) bool {
	t, ok := target.(*ProtocolError)
	return ok && t.Message == "" && t.Redirect == nil && t.Code == e.Code
}

// LobbyEvent is one lobby push: Kind is EventLobbyRooms (Rooms is the full
// list), EventLobbyUpdate (Rooms holds the changed room) or
// EventLobbyRemove (RoomID).
type LobbyEvent struct {
	Kind   string
	Rooms  []RoomInfo
	RoomID string
}

// GameStats are a Game's counters since it was created (over all its
// connections).
type GameStats struct {
	Snapshots, Deltas int64 // state frames received
	StateBytes        int64 // state payload bytes received
	MirrorErrors      int64
	Checksums         int64 // frames whose checksum was verified against the mirror
	Desyncs           int64 // frames whose checksum did not match the mirror
	InputsSent        int64
	LastAck           uint64 // highest input seq acknowledged
	Resumes           int64  // successful automatic resumes
	ResumeFailures    int64
	Disconnects       int64 // connections lost without Close (server or network)
	Wire              Stats // Engine.IO payload counters
}

// Game is a player of the roomcast game protocol: one connection, at most
// one seat. Safe for concurrent use.
type Game struct {
	cfg GameConfig
	cli atomic.Pointer[Client]

	mu       sync.Mutex // guards seat fields, at, pending ring, closing
	at       Config     // the current connection's (its URL names the node)
	roomID   string
	session  string
	token    string
	closing  bool
	lobbySub bool // SubscribeLobby succeeded (and no UnsubscribeLobby since)
	pending  [pendingRing]pendingInput
	head     int // oldest pending
	count    int
	seq      uint64
	resuming bool

	sendMu sync.Mutex // serializes SendInput (seq order on the wire)

	rd          *mpack.Reader // read goroutine only
	pendingKind string        // default parser: state frame awaiting its attachment
	pendingAck  uint64
	pendingSum  uint64
	pendingHas  bool

	mirMu    sync.Mutex  // held while a frame is applied to cfg.Mirror and by ReadMirror
	needSnap atomic.Bool // after a desync: deltas are skipped until a snapshot
	// resyncDrop: resync dropped the connection on purpose; the seat is
	// resumed even without AutoResume (a snapshot that clears needSnap
	// before the drop is seen must not cancel the resume).
	resyncDrop atomic.Bool

	snapshots, deltas, stateBytes, mirrorErrs atomic.Int64
	desyncs, checksums                        atomic.Int64
	inputs, resumes, resumeFails, disconnects atomic.Int64
	lastAck                                   atomic.Uint64
	wireBase                                  struct{ in, out, fin, fout atomic.Int64 }

	hmu       sync.Mutex // guards callbacks
	onMsg     func(typ string, payload any)
	onLeft    func(code, reason string)
	onLobby   func(LobbyEvent)
	onState   func(kind string, ack uint64)
	onResumed func(JoinResult, error)
	onDesync  func(Desync)
	done      chan struct{}
	doneOnce  sync.Once
}

const pendingRing = 512

type pendingInput struct {
	seq  uint64
	sent time.Time
}

// NewGame returns an unconnected Game.
func NewGame(cfg GameConfig) (*Game, error) {
	if err := cfg.Client.Validate(); err != nil {
		return nil, err
	}
	if cfg.ResumeAttempts == 0 {
		cfg.ResumeAttempts = 5
	}
	if cfg.ResumeBackoff == 0 {
		cfg.ResumeBackoff = 100 * time.Millisecond
	}
	return &Game{cfg: cfg, at: cfg.Client,
		rd: mpack.NewReader(nil, mpack.Limits{}), done: make(chan struct{})}, nil
}

// Connect opens the connection.
func (g *Game) Connect(ctx context.Context) error {
	c, err := g.dial(ctx, g.cfg.Client)
	if err != nil {
		return err
	}
	g.cli.Store(c)
	return nil
}

// dial connects a client with cfg (GameConfig.Client or a redirect's
// variant of it) and the Game's handlers.
func (g *Game) dial(ctx context.Context, cfg Config) (*Client, error) {
	c, err := New(cfg)
	if err != nil {
		return nil, err
	}
	c.OnRaw(g.onRaw)
	c.On(EventSnapshot, func(args []any, _ func(...any) error) { g.onStateArgs(EventSnapshot, args) })
	c.On(EventDelta, func(args []any, _ func(...any) error) { g.onStateArgs(EventDelta, args) })
	c.On(EventMsg, g.handleMsg)
	c.On(EventRoomLeft, g.handleRoomLeft)
	c.On(EventLobbyRooms, func(args []any, _ func(...any) error) { g.handleLobby(EventLobbyRooms, args) })
	c.On(EventLobbyUpdate, func(args []any, _ func(...any) error) { g.handleLobby(EventLobbyUpdate, args) })
	c.On(EventLobbyRemove, func(args []any, _ func(...any) error) { g.handleLobby(EventLobbyRemove, args) })
	c.OnDisconnect(func(reason string, err error) { g.onDisconnect(c, reason, err) })
	if err := c.Connect(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// Client returns the current connection (it changes after a resume).
func (g *Game) Client() *Client { return g.cli.Load() }

// OnMessage registers fn for room messages ("msg" type, payload).
func (g *Game) OnMessage(fn func(typ string, payload any)) { g.setCB(func() { g.onMsg = fn }) }

// OnRoomLeft registers fn for room.left {code, reason}.
func (g *Game) OnRoomLeft(fn func(code, reason string)) { g.setCB(func() { g.onLeft = fn }) }

// OnState registers fn, called on the read goroutine after each state
// frame ("snapshot" or "delta") with the frame's input ack.
func (g *Game) OnState(fn func(kind string, ack uint64)) { g.setCB(func() { g.onState = fn }) }

// OnDesync registers fn, called on the read goroutine when a state
// frame's checksum does not match the mirror's state after applying it.
// The Game then resyncs by itself: it skips deltas, drops the connection
// and resumes its seat asking for a snapshot (rooms.resume without tick),
// whether or not AutoResume is set. It does the same, without OnDesync,
// when a frame does not apply to the mirror (a gap: GameStats.MirrorErrors).
func (g *Game) OnDesync(fn func(Desync)) { g.setCB(func() { g.onDesync = fn }) }

// ReadMirror calls fn with the mirror (GameConfig.Mirror) while no frame
// is being applied, so fn may read it from any goroutine, including the
// OnState callback; fn must not keep it or call back into the Game's
// frame handling. It returns false, without calling fn, if the Game has
// no mirror.
func (g *Game) ReadMirror(fn func(StateMirror)) bool {
	m := g.cfg.Mirror
	if m == nil {
		return false
	}
	g.mirMu.Lock()
	defer g.mirMu.Unlock()
	fn(m)
	return true
}

// OnResumed registers fn, called after each automatic resume attempt
// sequence (err non-nil when the seat could not be resumed).
func (g *Game) OnResumed(fn func(JoinResult, error)) { g.setCB(func() { g.onResumed = fn }) }

func (g *Game) setCB(set func()) {
	g.hmu.Lock()
	defer g.hmu.Unlock()
	set()
}

// Seat returns the current room id, session id and reconnection token.
func (g *Game) Seat() (roomID, sessionID, token string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.roomID, g.session, g.token
}

// request sends a game request and decodes its {ok, ...} answer.
func (g *Game) request(ctx context.Context, event string, args ...any) (map[string]any, error) {
	c := g.cli.Load()
	if c == nil {
		return nil, ErrNotConnected
	}
	return requestOn(ctx, c, event, args...)
}

func requestOn(ctx context.Context, c *Client, event string, args ...any) (map[string]any, error) {
	res, err := c.EmitWithAck(ctx, event, args...)
	if err != nil {
		return nil, err
	}
	if len(res) == 0 {
		return nil, fmt.Errorf("bots: %s: empty answer", event)
	}
	m, ok := res[0].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("bots: %s: answer is %T, not an object", event, res[0])
	}
	if ok, _ := m["ok"].(bool); !ok {
		pe := &ProtocolError{Code: "unknown", Message: "request failed"}
		if e, _ := m["error"].(map[string]any); e != nil {
			pe.Code, _ = e["code"].(string)
			pe.Message, _ = e["message"].(string)
		}
		if pe.Code == CodeRedirect {
			pe.Redirect = parseRedirect(m)
		}
		return nil, fmt.Errorf("bots: %s: %w", event, pe)
	}
	return m, nil
}

func parseJoin(m map[string]any) JoinResult {
	var jr JoinResult
	jr.RoomID, _ = m["roomId"].(string)
	jr.SessionID, _ = m["sessionId"].(string)
	jr.Token, _ = m["token"].(string)
	jr.TickRate = int(toInt(m["tickRate"]))
	return jr
}

func toInt(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case uint64:
		return int64(n)
	case float64:
		return int64(n)
	case float32:
		return int64(n)
	}
	return 0
}

func (g *Game) join(ctx context.Context, event, target string, options map[string]any) (JoinResult, error) {
	if options == nil {
		options = map[string]any{}
	}
	return g.seat(ctx, event, target, options)
}

// seat sends a join or resume on the current connection, follows
// redirects, and takes the seat: a connection a redirect opened becomes
// the Game's, and the first one is closed.
func (g *Game) seat(ctx context.Context, event string, args ...any) (JoinResult, error) {
	c := g.cli.Load()
	if c == nil {
		return JoinResult{}, ErrNotConnected
	}
	g.mu.Lock()
	at := g.at
	g.mu.Unlock()
	m, seated, seatedAt, err := g.seatRequest(ctx, c, at, event, args...)
	if err != nil {
		return JoinResult{}, err
	}
	jr := parseJoin(m)
	jr.URL = seatedAt.URL
	g.mu.Lock()
	g.roomID, g.session, g.token = jr.RoomID, jr.SessionID, jr.Token
	g.at = seatedAt
	g.mu.Unlock()
	if seated != c {
		g.moveTo(ctx, c, seated)
	}
	return jr, nil
}

// JoinOrCreate joins an open room of type name, or creates one.
func (g *Game) JoinOrCreate(ctx context.Context, name string, options map[string]any) (JoinResult, error) {
	return g.join(ctx, EventJoinOrCreate, name, options)
}

// Create creates a room of type name and joins it.
func (g *Game) Create(ctx context.Context, name string, options map[string]any) (JoinResult, error) {
	return g.join(ctx, EventCreate, name, options)
}

// Join joins an open room of type name (an error if none).
func (g *Game) Join(ctx context.Context, name string, options map[string]any) (JoinResult, error) {
	return g.join(ctx, EventJoin, name, options)
}

// JoinByID joins room roomID.
func (g *Game) JoinByID(ctx context.Context, roomID string, options map[string]any) (JoinResult, error) {
	return g.join(ctx, EventJoinByID, roomID, options)
}

// Resume takes back a seat with its reconnection token (the seat gets a
// fresh token). When the seat is on another node, it follows the redirect
// there, as a join does.
func (g *Game) Resume(ctx context.Context, token string) (JoinResult, error) {
	return g.seat(ctx, EventResume, g.resumeArg(token))
}

// Leave frees the seat at once.
func (g *Game) Leave(ctx context.Context) error {
	if _, err := g.request(ctx, EventLeave); err != nil {
		return err
	}
	g.mu.Lock()
	g.roomID, g.session, g.token = "", "", ""
	g.mu.Unlock()
	return nil
}

// List returns the rooms of type name ("" for all) whose metadata match
// filter (nil for none).
func (g *Game) List(ctx context.Context, name string, filter map[string]any) ([]RoomInfo, error) {
	q := map[string]any{}
	if name != "" {
		q["name"] = name
	}
	if filter != nil {
		q["filter"] = filter
	}
	m, err := g.request(ctx, EventList, q)
	if err != nil {
		return nil, err
	}
	return parseRooms(m["rooms"]), nil
}

func parseRooms(v any) []RoomInfo {
	arr, _ := v.([]any)
	out := make([]RoomInfo, 0, len(arr))
	for _, e := range arr {
		if m, ok := e.(map[string]any); ok {
			out = append(out, parseRoom(m))
		}
	}
	return out
}

func parseRoom(m map[string]any) RoomInfo {
	var r RoomInfo
	r.ID, _ = m["id"].(string)
	if r.ID == "" {
		r.ID, _ = m["roomId"].(string)
	}
	r.Name, _ = m["name"].(string)
	r.Clients = int(toInt(m["clients"]))
	r.MaxClients = int(toInt(m["maxClients"]))
	r.Locked, _ = m["locked"].(bool)
	r.Metadata, _ = m["metadata"].(map[string]any)
	return r
}

// SubscribeLobby subscribes to the live room list; fn gets the full list
// first, then updates and removals. The subscription belongs to the
// connection: a join or resume that a redirect moves to another node
// subscribes again there (fn then gets that node's full list, which shows
// the same rooms).
func (g *Game) SubscribeLobby(ctx context.Context, fn func(LobbyEvent)) error {
	g.setCB(func() { g.onLobby = fn })
	_, err := g.request(ctx, EventLobbySub)
	if err == nil {
		g.mu.Lock()
		g.lobbySub = true
		g.mu.Unlock()
	}
	return err
}

// UnsubscribeLobby stops lobby pushes.
func (g *Game) UnsubscribeLobby(ctx context.Context) error {
	g.mu.Lock()
	g.lobbySub = false
	g.mu.Unlock()
	_, err := g.request(ctx, EventLobbyUnsub)
	return err
}

func (g *Game) handleLobby(kind string, args []any) {
	g.hmu.Lock()
	fn := g.onLobby
	g.hmu.Unlock()
	if fn == nil || len(args) == 0 {
		return
	}
	ev := LobbyEvent{Kind: kind}
	switch a := args[0].(type) {
	case []any:
		ev.Rooms = parseRooms(a)
	case string:
		ev.RoomID = a
	case map[string]any:
		switch {
		case a["rooms"] != nil:
			ev.Rooms = parseRooms(a["rooms"])
		case kind == EventLobbyRemove:
			ev.RoomID, _ = a["roomId"].(string)
			if ev.RoomID == "" {
				ev.RoomID, _ = a["id"].(string)
			}
		default:
			ev.Rooms = []RoomInfo{parseRoom(a)}
		}
	}
	fn(ev)
}

// SendMessage sends a room message ("msg" type, payload) without ack.
func (g *Game) SendMessage(typ string, payload any) error {
	c := g.cli.Load()
	if c == nil {
		return ErrNotConnected
	}
	return c.Emit(EventMsg, typ, payload)
}

func (g *Game) handleMsg(args []any, _ func(...any) error) {
	g.hmu.Lock()
	fn := g.onMsg
	g.hmu.Unlock()
	if fn == nil || len(args) == 0 {
		return
	}
	typ, _ := args[0].(string)
	var payload any
	if len(args) > 1 {
		payload = args[1]
	}
	fn(typ, payload)
}

func (g *Game) handleRoomLeft(args []any, _ func(...any) error) {
	var code, reason string
	if len(args) > 0 {
		if m, ok := args[0].(map[string]any); ok {
			code, _ = m["code"].(string)
			reason, _ = m["reason"].(string)
		}
	}
	g.mu.Lock()
	g.roomID, g.session, g.token = "", "", ""
	g.mu.Unlock()
	g.hmu.Lock()
	fn := g.onLeft
	g.hmu.Unlock()
	if fn != nil {
		fn(code, reason)
	}
}

// SendInput sends input(seq, payload) with the next sequence number and
// returns it. An InputPayload takes the allocation-free path; any other
// payload is encoded generically (codec/socketio's argument model).
func (g *Game) SendInput(payload any) (uint64, error) {
	c := g.cli.Load()
	if c == nil {
		return 0, ErrNotConnected
	}
	// seq assignment and the write happen under sendMu, so concurrent
	// callers still put seqs on the wire in order
	g.sendMu.Lock()
	defer g.sendMu.Unlock()
	// the pending entry goes in before the write: the acknowledging state
	// frame may arrive before the write call returns
	g.mu.Lock()
	g.seq++
	seq := g.seq
	if g.count == pendingRing { // forget the oldest
		g.head = (g.head + 1) % pendingRing
		g.count--
	}
	g.pending[(g.head+g.count)%pendingRing] = pendingInput{seq: seq, sent: time.Now()}
	g.count++
	g.mu.Unlock()
	var err error
	if ip, ok := payload.(InputPayload); ok {
		err = c.sendWith(func(dst []byte, p Parser) []byte { return appendInputPacket(dst, p, c.cfg.Namespace, seq, ip) })
	} else {
		err = c.Emit(EventInput, seq, payload)
	}
	if err != nil {
		g.mu.Lock() // not sent: take it back (it is the newest unless already acked)
		if g.count > 0 && g.pending[(g.head+g.count-1)%pendingRing].seq == seq {
			g.count--
		}
		g.mu.Unlock()
		return seq, err
	}
	g.inputs.Add(1)
	return seq, nil
}

// appendInputPacket appends the Socket.IO EVENT input(seq, payload).
func appendInputPacket(dst []byte, p Parser, nsp string, seq uint64, ip InputPayload) []byte {
	if p == ParserMsgpack {
		dst = mpack.AppendMapHeader(dst, 3)
		dst = mpack.AppendInt(mpack.AppendString(dst, "type"), 2)
		dst = mpack.AppendString(mpack.AppendString(dst, "nsp"), nsp)
		dst = mpack.AppendArrayHeader(mpack.AppendString(dst, "data"), 3)
		dst = mpack.AppendUint(mpack.AppendString(dst, EventInput), seq)
		return ip.AppendMsgpack(dst)
	}
	dst = append(dst, '2')
	if nsp != "/" {
		dst = append(append(dst, nsp...), ',')
	}
	dst = append(dst, `["input",`...)
	dst = strconv.AppendUint(dst, seq, 10)
	dst = append(dst, ',')
	dst = ip.AppendJSON(dst)
	return append(dst, ']')
}

// onRaw is the allocation-free path for state frames.
func (g *Game) onRaw(data []byte, binary bool) bool {
	c := g.cli.Load()
	if c == nil {
		return false
	}
	if c.cfg.Parser == ParserMsgpack {
		if !binary {
			return false
		}
		f, ok := g.parseMsgpackState(data, c.cfg.Namespace)
		if !ok {
			return false
		}
		g.onStateFrame(f)
		return true
	}
	if binary {
		if g.pendingKind == "" {
			return false
		}
		f := stateFrame{kind: g.pendingKind, state: data, ack: g.pendingAck, sum: g.pendingSum, hasSum: g.pendingHas}
		g.pendingKind = ""
		g.onStateFrame(f)
		return true
	}
	if c.cfg.Namespace != "/" {
		return false
	}
	for _, kind := range [...]string{EventDelta, EventSnapshot} {
		prefix := statePrefix(kind)
		if len(data) > len(prefix) && string(data[:len(prefix)]) == prefix {
			ack, sum, hasSum, ok := parseStateTail(data[len(prefix):])
			if !ok {
				return false // the generic parser decides
			}
			g.pendingKind, g.pendingAck, g.pendingSum, g.pendingHas = kind, ack, sum, hasSum
			return true
		}
	}
	return false
}

// parseStateTail parses what follows a default-parser state frame's
// placeholder: `ack]` or `ack,"checksum"]`.
func parseStateTail(rest []byte) (ack, sum uint64, hasSum, ok bool) {
	if len(rest) < 2 || rest[len(rest)-1] != ']' {
		return 0, 0, false, false
	}
	rest = rest[:len(rest)-1]
	digits := rest
	for i, c := range rest {
		if c == ',' {
			digits = rest[:i]
			q := rest[i+1:]
			if len(q) != checksumLen+2 || q[0] != '"' || q[len(q)-1] != '"' {
				return 0, 0, false, false
			}
			if sum, ok = parseChecksum(q[1 : len(q)-1]); !ok {
				return 0, 0, false, false
			}
			hasSum = true
			break
		}
	}
	ack, err := strconv.ParseUint(string(digits), 10, 64)
	if err != nil {
		return 0, 0, false, false
	}
	return ack, sum, hasSum, true
}

// checksumLen is the length of a state frame's checksum argument: the
// statesync checksum as 16 lowercase hex digits.
const checksumLen = 16

// parseChecksum parses 16 lowercase hex digits.
func parseChecksum(b []byte) (uint64, bool) {
	if len(b) != checksumLen {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

// stateFrame is one received snapshot or delta.
type stateFrame struct {
	kind   string // EventSnapshot or EventDelta
	state  []byte
	ack    uint64
	sum    uint64 // the checksum argument, if hasSum
	hasSum bool
}

func statePrefix(kind string) string {
	if kind == EventDelta {
		return `51-["delta",{"_placeholder":true,"num":0},`
	}
	return `51-["snapshot",{"_placeholder":true,"num":0},`
}

// parseMsgpackState recognizes {type:2, nsp, data:[kind, bin, ack]} and
// {..., data:[kind, bin, ack, checksum]}.
func (g *Game) parseMsgpackState(data []byte, nsp string) (f stateFrame, ok bool) {
	r := g.rd
	r.Reset(data)
	n, err := r.ReadMapHeader()
	if err != nil || n < 2 || n > 4 {
		return f, false
	}
	haveType, haveData := false, false
	nspOK := true
	for range n {
		key, err := r.ReadStringBytes()
		if err != nil {
			return f, false
		}
		switch string(key) {
		case "type":
			t, err := r.ReadInt()
			if err != nil || (t != 2 && t != 5) {
				return f, false
			}
			haveType = true
		case "nsp":
			s, err := r.ReadStringBytes()
			if err != nil {
				return f, false
			}
			nspOK = string(s) == nsp || (len(s) == 0 && nsp == "/")
		case "data":
			an, err := r.ReadArrayHeader()
			if err != nil || (an != 3 && an != 4) {
				return f, false
			}
			name, err := r.ReadStringBytes()
			if err != nil {
				return f, false
			}
			switch string(name) {
			case EventDelta:
				f.kind = EventDelta
			case EventSnapshot:
				f.kind = EventSnapshot
			default:
				return f, false
			}
			if f.state, err = r.ReadBytes(); err != nil {
				return f, false
			}
			if f.ack, err = r.ReadUint(); err != nil {
				return f, false
			}
			if an == 4 {
				s, err := r.ReadStringBytes()
				if err != nil {
					return f, false
				}
				if f.sum, f.hasSum = parseChecksum(s); !f.hasSum {
					return f, false
				}
			}
			haveData = true
		default:
			return f, false
		}
	}
	if !haveType || !haveData || !nspOK || r.Len() != 0 {
		return f, false
	}
	return f, true
}

// onStateArgs is the generic path: args = [state bin, ack uint,
// checksum string?]. A checksum that is not 16 lowercase hex digits is
// ignored.
func (g *Game) onStateArgs(kind string, args []any) {
	if len(args) < 2 {
		return
	}
	state, ok := args[0].([]byte)
	if !ok {
		return
	}
	var ack uint64
	switch a := args[1].(type) {
	case int64:
		if a > 0 {
			ack = uint64(a)
		}
	case uint64:
		ack = a
	case float64:
		if a > 0 {
			ack = uint64(a)
		}
	}
	f := stateFrame{kind: kind, state: state, ack: ack}
	if len(args) > 2 {
		if str, ok := args[2].(string); ok {
			f.sum, f.hasSum = parseChecksum([]byte(str))
		}
	}
	g.onStateFrame(f)
}

// onStateFrame runs on the read goroutine for every state frame.
func (g *Game) onStateFrame(f stateFrame) {
	if f.kind == EventSnapshot {
		g.snapshots.Add(1)
	} else {
		g.deltas.Add(1)
	}
	g.stateBytes.Add(int64(len(f.state)))
	if m := g.cfg.Mirror; m != nil {
		g.applyToMirror(m, f)
	}
	if f.ack > g.lastAck.Load() {
		g.lastAck.Store(f.ack)
		g.ackUpTo(f.ack)
	}
	g.hmu.Lock()
	fn := g.onState
	g.hmu.Unlock()
	if fn != nil {
		fn(f.kind, f.ack)
	}
}

// applyToMirror applies f under mirMu and verifies its checksum.
func (g *Game) applyToMirror(m StateMirror, f stateFrame) {
	var (
		err     error
		applied bool
		d       Desync
	)
	g.mirMu.Lock()
	switch {
	case f.kind == EventSnapshot:
		if err = m.ApplySnapshot(f.state); err == nil {
			g.needSnap.Store(false)
			applied = true
		}
	case g.needSnap.Load(): // resyncing: deltas no longer fit the mirror
	default:
		err = m.ApplyDelta(f.state)
		applied = err == nil
	}
	if applied && f.hasSum {
		if cs, ok := m.(mirrorChecksummer); ok {
			g.checksums.Add(1)
			if got := cs.Checksum(); got != f.sum {
				d = Desync{Kind: f.kind, Want: f.sum, Got: got}
				if t, ok := m.(mirrorTicker); ok {
					d.Tick = t.Tick()
				}
			}
		}
	}
	g.mirMu.Unlock()
	if err != nil {
		// a gap or a frame that does not apply: the mirror needs a
		// snapshot, which only a resume brings (PROTOCOL.md "Gaps and
		// resync")
		g.mirrorErrs.Add(1)
		g.resync()
	}
	if d.Kind != "" {
		g.desync(d)
	}
}

// desync counts d, tells OnDesync and starts a resync. A desync during a
// resync only counts.
func (g *Game) desync(d Desync) {
	g.desyncs.Add(1)
	g.hmu.Lock()
	fn := g.onDesync
	g.hmu.Unlock()
	if fn != nil {
		fn(d)
	}
	g.resync()
}

// resync makes the mirror take no deltas until a snapshot and, for a
// seated Game, drops the connection so that the seat is resumed on a new
// one without a tick (the server then sends a snapshot). A resync under
// way is not started again.
func (g *Game) resync() {
	g.mu.Lock()
	seated := g.token != ""
	g.mu.Unlock()
	if g.needSnap.CompareAndSwap(false, true) && seated {
		g.resyncDrop.Store(true)
		go g.Drop() // not on the read goroutine that is calling us
	}
}

// ackUpTo records the latency of every pending input with seq <= ack.
func (g *Game) ackUpTo(ack uint64) {
	h := g.cfg.AckLatency
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.count > 0 {
		p := g.pending[g.head]
		if p.seq > ack {
			return
		}
		if h != nil {
			h.Record(now.Sub(p.sent))
		}
		g.head = (g.head + 1) % pendingRing
		g.count--
	}
}

// Stats returns the counters.
func (g *Game) Stats() GameStats {
	s := GameStats{
		Snapshots: g.snapshots.Load(), Deltas: g.deltas.Load(), StateBytes: g.stateBytes.Load(),
		MirrorErrors: g.mirrorErrs.Load(), Desyncs: g.desyncs.Load(), Checksums: g.checksums.Load(), InputsSent: g.inputs.Load(), LastAck: g.lastAck.Load(),
		Resumes: g.resumes.Load(), ResumeFailures: g.resumeFails.Load(), Disconnects: g.disconnects.Load(),
	}
	s.Wire = Stats{BytesIn: g.wireBase.in.Load(), BytesOut: g.wireBase.out.Load(),
		FramesIn: g.wireBase.fin.Load(), FramesOut: g.wireBase.fout.Load()}
	if c := g.cli.Load(); c != nil {
		cs := c.Stats()
		s.Wire.BytesIn += cs.BytesIn
		s.Wire.BytesOut += cs.BytesOut
		s.Wire.FramesIn += cs.FramesIn
		s.Wire.FramesOut += cs.FramesOut
	}
	return s
}

// Drop closes the connection abruptly, as a network failure would (no
// DISCONNECT packet); with AutoResume the seat is then resumed.
func (g *Game) Drop() {
	if c := g.cli.Load(); c != nil && c.e != nil {
		c.e.closeWith(ReasonTransportClose, errors.New("bots: dropped on purpose"), false)
	}
}

// Close leaves nothing behind: it closes the connection (the server frees
// the seat after its grace period; call Leave first to free it at once).
func (g *Game) Close() error {
	g.mu.Lock()
	g.closing = true
	g.mu.Unlock()
	g.doneOnce.Do(func() { close(g.done) })
	if c := g.cli.Load(); c != nil {
		return c.Close()
	}
	return nil
}

func (g *Game) onDisconnect(c *Client, reason string, _ error) {
	// keep the wire counters of the connection that ended
	cs := c.Stats()
	if g.cli.Load() == c {
		g.wireBase.in.Add(cs.BytesIn)
		g.wireBase.out.Add(cs.BytesOut)
		g.wireBase.fin.Add(cs.FramesIn)
		g.wireBase.fout.Add(cs.FramesOut)
	}
	if reason != ReasonClientDisconnect {
		g.disconnects.Add(1)
	}
	g.mu.Lock()
	resume := (g.cfg.AutoResume || g.needSnap.Load() || g.resyncDrop.Load()) && !g.closing && !g.resuming && g.token != "" &&
		reason != ReasonClientDisconnect && reason != ReasonServerDisconnect && g.cli.Load() == c
	if resume {
		g.resuming = true
		if g.resyncDrop.Swap(false) {
			g.needSnap.Store(true) // resume without a tick: a snapshot
		}
	}
	g.mu.Unlock()
	if resume {
		go g.resumeLoop()
	}
}

// isResuming reports whether an automatic resume is under way.
func (g *Game) isResuming() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.resuming
}

// resumeLoop reconnects and calls rooms.resume with the seat's token.
func (g *Game) resumeLoop() {
	defer func() {
		g.mu.Lock()
		g.resuming = false
		g.mu.Unlock()
	}()
	backoff := g.cfg.ResumeBackoff
	var lastErr error
	for attempt := 0; attempt < g.cfg.ResumeAttempts; attempt++ {
		select {
		case <-g.done:
			return
		case <-time.After(backoff):
		}
		backoff *= 2
		ctx, cancel := context.WithTimeout(context.Background(), g.cfg.Client.withDefaults().ConnectTimeout)
		jr, err := g.resumeOnce(ctx)
		cancel()
		if err == nil {
			g.resumes.Add(1)
			g.notifyResumed(jr, nil)
			return
		}
		lastErr = err
		var pe *ProtocolError
		if errors.As(err, &pe) { // the server said no: the seat is gone
			break
		}
	}
	g.resumeFails.Add(1)
	g.mu.Lock()
	g.roomID, g.session, g.token = "", "", ""
	g.mu.Unlock()
	g.notifyResumed(JoinResult{}, lastErr)
}

// resumeOnce reconnects to the node the seat is on and resumes it there,
// following redirects. When that node cannot be reached and it is not the
// configured one, it asks the configured node, which redirects to the
// seat's node or answers node_gone.
func (g *Game) resumeOnce(ctx context.Context) (JoinResult, error) {
	g.mu.Lock()
	at := g.at
	g.mu.Unlock()
	c, err := g.dial(ctx, at)
	if err != nil && at.URL != g.cfg.Client.URL {
		at = g.cfg.Client
		c, err = g.dial(ctx, at)
	}
	if err != nil {
		return JoinResult{}, err
	}
	g.mu.Lock()
	token := g.token
	closing := g.closing
	g.mu.Unlock()
	if closing {
		_ = c.Close()
		return JoinResult{}, ErrClosed
	}
	g.cli.Store(c) // only one resume runs at a time (g.resuming)
	g.mu.Lock()
	g.at = at
	g.mu.Unlock()
	m, seated, seatedAt, err := g.seatRequest(ctx, c, at, EventResume, g.resumeArg(token))
	if err != nil {
		var pe *ProtocolError
		if !errors.As(err, &pe) {
			_ = c.Close()
		}
		return JoinResult{}, err
	}
	jr := parseJoin(m)
	jr.URL = seatedAt.URL
	g.mu.Lock()
	g.roomID, g.session, g.token = jr.RoomID, jr.SessionID, jr.Token
	g.at = seatedAt
	g.mu.Unlock()
	if seated != c {
		g.moveTo(ctx, c, seated)
	}
	return jr, nil
}

// resumeArg is rooms.resume's {token, tick?}: with a Mirror that knows its
// tick, the server can replay the missed deltas instead of a snapshot;
// after a desync the tick is left out, which asks for a snapshot.
func (g *Game) resumeArg(token string) map[string]any {
	arg := map[string]any{"token": token}
	if t, ok := g.cfg.Mirror.(mirrorTicker); ok && !g.needSnap.Load() {
		g.mirMu.Lock()
		tick := t.Tick()
		g.mirMu.Unlock()
		if tick > 0 {
			arg["tick"] = int64(tick)
		}
	}
	return arg
}

func (g *Game) notifyResumed(jr JoinResult, err error) {
	g.hmu.Lock()
	fn := g.onResumed
	g.hmu.Unlock()
	if fn != nil {
		fn(jr, err)
	}
}
