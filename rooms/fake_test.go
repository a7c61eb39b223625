package rooms

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"
)

// frame is a state frame a fakeConn received.
type frame struct {
	event  string
	tick   uint64
	state  string
	ack    uint64
	hasSum bool
	sum    uint64
}

// emitted is a control event a fakeConn received.
type emitted struct {
	event string
	args  []any
}

// fakeConn is an in-memory connection; it records what the room sends.
type fakeConn struct {
	id string

	mu      sync.Mutex
	frames  []frame
	events  []emitted
	full    bool // SendState drops
	closed  bool
	sess    *Session
	ackCBs  []func([]any, error)
	onClose func()
}

func (f *fakeConn) ID() string { return f.id }

func (f *fakeConn) SendState(p *StatePacket, ack uint64) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return false, fmt.Errorf("closed")
	}
	if f.full {
		return false, nil
	}
	f.frames = append(f.frames, frame{event: p.Event, tick: p.Tick, state: string(p.State), ack: ack,
		hasSum: p.HasChecksum, sum: p.Checksum})
	return true, nil
}

func (f *fakeConn) SendMessage(typ string, payload any) error {
	return f.emit("msg", typ, payload)
}

func (f *fakeConn) SendLeft(code, reason string) error {
	return f.emit(EventRoomLeft, map[string]any{"code": code, "reason": reason})
}

func (f *fakeConn) SendLobbyRooms(ls []Listing) error {
	return f.emit(EventLobbyRooms, listingMaps(ls))
}

func (f *fakeConn) SendLobbyUpdate(l Listing) error { return f.emit(EventLobbyUpdate, listingMap(l)) }

// listingMap is l as the protocol sends it.
func listingMap(l Listing) map[string]any {
	meta := l.Metadata
	if meta == nil {
		meta = map[string]any{}
	}
	return map[string]any{"roomId": l.ID, "name": l.Name, "clients": int64(l.Clients),
		"maxClients": int64(l.MaxClients), "locked": l.Locked, "metadata": meta}
}

func listingMaps(ls []Listing) []any {
	out := make([]any, len(ls))
	for i := range ls {
		out[i] = listingMap(ls[i])
	}
	return out
}

func (f *fakeConn) SendLobbyRemove(roomID string) error { return f.emit(EventLobbyRemove, roomID) }

func (f *fakeConn) emit(event string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return fmt.Errorf("closed")
	}
	f.events = append(f.events, emitted{event, args})
	return nil
}

func (f *fakeConn) SendMessageWithAck(typ string, payload any, cb func([]any, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, emitted{"msg", []any{typ, payload}})
	f.ackCBs = append(f.ackCBs, cb)
	return nil
}

// Close behaves like a transport: the session hears about it afterwards.
func (f *fakeConn) Close() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.closed = true
	s := f.sess
	f.mu.Unlock()
	go s.Close()
}

func (f *fakeConn) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

func (f *fakeConn) setFull(v bool) {
	f.mu.Lock()
	f.full = v
	f.mu.Unlock()
}

func (f *fakeConn) takeFrames() []frame {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.frames
	f.frames = nil
	return out
}

func (f *fakeConn) takeEvents() []emitted {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.events
	f.events = nil
	return out
}

// tclient is a test client on a fakeConn.
type tclient struct {
	t    *testing.T
	conn *fakeConn
	sess *Session
}

func newClient(t *testing.T, srv *Server, id string) *tclient {
	fc := &fakeConn{id: id}
	s := srv.Connect(fc, ConnInfo{Auth: map[string]any{"user": id}})
	fc.sess = s
	return &tclient{t: t, conn: fc, sess: s}
}

// call sends a request and waits for its ack (inside a synctest bubble the
// room ticks happen instantly).
func (c *tclient) call(event string, args ...any) map[string]any {
	c.t.Helper()
	ch := make(chan map[string]any, 1)
	handle(c.sess, event, args, func(a ...any) { ch <- a[0].(map[string]any) })
	select {
	case m := <-ch:
		return m
	case <-time.After(30 * time.Second):
		c.t.Fatalf("no ack for %s", event)
		return nil
	}
}

func (c *tclient) mustJoin(event string, args ...any) map[string]any {
	c.t.Helper()
	m := c.call(event, args...)
	require.Equal(c.t, true, m["ok"], "join failed: %v", m)
	return m
}

// drop simulates the connection going away.
func (c *tclient) drop() {
	c.conn.mu.Lock()
	c.conn.closed = true
	c.conn.mu.Unlock()
	c.sess.Close()
}

// Game protocol events, as the tests speak them through handle.
const (
	EventJoinOrCreate     = "rooms.joinOrCreate"
	EventCreate           = "rooms.create"
	EventJoin             = "rooms.join"
	EventJoinByID         = "rooms.joinById"
	EventList             = "rooms.list"
	EventLeave            = "rooms.leave"
	EventResume           = "rooms.resume"
	EventInput            = "input"
	EventMsg              = "msg"
	EventLobbySubscribe   = "lobby.subscribe"
	EventLobbyUnsubscribe = "lobby.unsubscribe"
	EventRoomLeft         = "room.left"
	EventLobbyRooms       = "lobby.rooms"
	EventLobbyUpdate      = "lobby.update"
	EventLobbyRemove      = "lobby.remove"
)

// handle is a minimal stand-in for rooms/roomsio.Dispatch (which rooms'
// tests cannot import): it maps a protocol event to the typed Session
// method and its reply to an {ok, ...} map, so the tests read like the
// protocol. roomsio's tests cover the real adapter.
func handle(s *Session, event string, args []any, ack func(...any)) {
	at := func(i int) any {
		if i < len(args) {
			return args[i]
		}
		return nil
	}
	reply := func(v map[string]any) {
		if ack != nil {
			ack(v)
		}
	}
	errAck := func(err error) map[string]any {
		e := asError(err, CodeInternal)
		return map[string]any{"ok": false, "error": map[string]any{"code": e.Code, "message": e.Message}}
	}
	seatDone := func(seat Seat, err error) {
		if err != nil {
			reply(errAck(err))
			return
		}
		reply(map[string]any{"ok": true, "roomId": seat.RoomID, "sessionId": seat.SessionID,
			"token": seat.Token, "tickRate": int64(seat.TickRate), "name": seat.Name})
	}
	opts, optsOK := at(1).(map[string]any)
	name, _ := at(0).(string)
	if event != EventInput && event != EventMsg && !optsOK && at(1) != nil {
		reply(errAck(errorf(CodeBadRequest, "options must be an object")))
		return
	}
	switch event {
	case EventInput:
		seq, ok := at(0).(int64)
		if !ok || seq < 0 {
			s.RejectInput()
			return
		}
		s.Input(uint64(seq), at(1))
	case EventJoinOrCreate:
		s.Join(JoinRequest{Mode: JoinOrCreate, Name: name, Options: opts}, seatDone)
	case EventCreate:
		s.Join(JoinRequest{Mode: Create, Name: name, Options: opts}, seatDone)
	case EventJoin:
		s.Join(JoinRequest{Mode: JoinExisting, Name: name, Options: opts}, seatDone)
	case EventJoinByID:
		s.Join(JoinRequest{Mode: JoinByID, RoomID: name, Options: opts}, seatDone)
	case EventResume:
		m, _ := at(0).(map[string]any)
		tok, _ := m["token"].(string)
		tick, _ := m["tick"].(int64)
		s.Resume(ResumeRequest{Token: tok, Tick: uint64(tick)}, seatDone)
	case EventLeave:
		s.Leave(func(err error) {
			if err != nil {
				reply(errAck(err))
				return
			}
			reply(map[string]any{"ok": true})
		})
	case EventMsg:
		var answer func(any, error)
		if ack != nil {
			answer = func(data any, err error) {
				if err != nil {
					reply(errAck(err))
					return
				}
				m := map[string]any{"ok": true}
				if data != nil {
					m["data"] = data
				}
				reply(m)
			}
		}
		s.Message(name, at(1), answer)
	case EventList, EventLobbySubscribe:
		var q Query
		if m, ok := at(0).(map[string]any); ok {
			q.Name, _ = m["name"].(string)
			q.Filter, _ = m["filter"].(map[string]any)
		}
		refused := func(err error) { // as roomsio: answer, then close if asked
			reply(errAck(err))
			if e := asError(err, CodeInternal); e.Disconnect {
				s.conn.Close()
			}
		}
		if event == EventLobbySubscribe {
			if err := s.SubscribeLobby(q); err != nil {
				refused(err)
				return
			}
			reply(map[string]any{"ok": true})
			return
		}
		req := ListRequest{Query: q}
		if m, ok := at(0).(map[string]any); ok {
			if n, ok := m["limit"].(int64); ok {
				req.Limit = int(n)
			}
			req.Cursor, _ = m["cursor"].(string)
		}
		page, err := s.List(req)
		if err != nil {
			refused(err)
			return
		}
		ack := map[string]any{"ok": true, "rooms": listingMaps(page.Rooms)}
		if page.Next != "" {
			ack["next"] = page.Next
		}
		reply(ack)
	case EventLobbyUnsubscribe:
		s.UnsubscribeLobby()
		reply(map[string]any{"ok": true})
	default:
		reply(errAck(errorf(CodeUnknownEvent, "unknown event %q", event)))
	}
}

func errCode(m map[string]any) string {
	if m["ok"] == true {
		return ""
	}
	return m["error"].(map[string]any)["code"].(string)
}

// fakeState is a State whose frames are readable strings:
// delta "D<tick>/<base>:<value>", snapshot "S<tick>:<value>".
type fakeState struct {
	value   int
	changed bool
	base    uint32
	pad     int // extra bytes per delta (to make deltas big)
}

func (s *fakeState) Set(v int) {
	if v != s.value {
		s.value, s.changed = v, true
	}
}

func (s *fakeState) EncodeDelta(dst []byte, tick uint32) ([]byte, bool) {
	if !s.changed {
		return dst, false
	}
	s.changed = false
	dst = fmt.Appendf(dst, "D%d/%d:%d", tick, s.base, s.value)
	dst = append(dst, strings.Repeat(".", s.pad)...)
	s.base = tick
	return dst, true
}

func (s *fakeState) EncodeSnapshot(dst []byte, tick uint32) []byte {
	dst = fmt.Appendf(dst, "S%d:%d", tick, s.value)
	return append(dst, strings.Repeat(".", 40)...) // a snapshot costs more than a few small deltas
}

// parseState returns tick and value of a fake frame.
func parseState(t *testing.T, st string) (tick uint64, value int) {
	t.Helper()
	body := st[1:]
	head, val, _ := strings.Cut(body, ":")
	head, _, _ = strings.Cut(head, "/")
	tk, err := strconv.ParseUint(head, 10, 64)
	require.NoError(t, err)
	v, err := strconv.Atoi(strings.TrimRight(val, "."))
	require.NoError(t, err)
	return tk, v
}

// counterGame adds each input's "d" (default 1) to a counter in the state.
type counterGame struct {
	NopGame
	st       *fakeState
	log      *eventLog
	panicOn  string // panic in OnInput when payload "cmd" equals this
	refuse   string // refuse joins with this option "name"
	onCreate func(r *Room, opts Options) error
	onMsg    func(r *Room, c *Client, m *Message)
}

type eventLog struct {
	mu     sync.Mutex
	events []string
}

func (l *eventLog) add(format string, args ...any) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.events = append(l.events, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *eventLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.events...)
}

func (g *counterGame) OnCreate(r *Room, opts Options) error {
	g.st = &fakeState{}
	r.SetState(g.st)
	g.log.add("create %s", opts.String("tag", ""))
	if g.onCreate != nil {
		return g.onCreate(r, opts)
	}
	return nil
}

func (g *counterGame) OnJoin(r *Room, c *Client, opts Options) error {
	if g.refuse != "" && opts.String("name", "") == g.refuse {
		return Refuse("name taken")
	}
	g.log.add("join %s", opts.String("name", ""))
	return nil
}

func (g *counterGame) OnInput(r *Room, c *Client, in Input) {
	if g.panicOn != "" && in.String("cmd", "") == g.panicOn {
		panic("boom")
	}
	g.st.Set(g.st.value + int(in.Int("d", 1)))
}

func (g *counterGame) OnMessage(r *Room, c *Client, m *Message) {
	if g.onMsg != nil {
		g.onMsg(r, c, m)
	}
}

func (g *counterGame) OnDrop(r *Room, c *Client) {
	g.log.add("drop %s", c.Options().String("name", ""))
}
func (g *counterGame) OnResume(r *Room, c *Client) {
	g.log.add("resume %s", c.Options().String("name", ""))
}
func (g *counterGame) OnLeave(r *Room, c *Client, reason LeaveReason) {
	g.log.add("leave %s %s", c.Options().String("name", ""), reason)
}
func (g *counterGame) OnDispose(r *Room) { g.log.add("dispose") }

// testServer returns a server with type "counter"; it is shut down when
// the test (bubble) ends.
func testServer(t *testing.T, settings Settings, mk func() *counterGame) (*Server, *eventLog) {
	t.Helper()
	log := &eventLog{}
	srv, err := NewServer(Config{Logger: discardLogger()})
	require.NoError(t, err)
	require.NoError(t, srv.Define("counter", func() Game {
		g := &counterGame{}
		if mk != nil {
			g = mk()
		}
		g.log = log
		return g
	}, settings))
	t.Cleanup(func() { require.NoError(t, srv.Shutdown(context.Background())) })
	return srv, log
}

func bubble(t *testing.T, fn func(t *testing.T)) {
	synctest.Test(t, fn)
}
