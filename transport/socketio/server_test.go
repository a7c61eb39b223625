package socketio

import (
	"context"
	"errors"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/codec/mpack"
	siocodec "github.com/roomcast/roomcast/codec/socketio"
	"github.com/roomcast/roomcast/transport/engineio"
)

func forBothParsers(t *testing.T, fn func(t *testing.T, msgpack bool)) {
	for _, mp := range []bool{false, true} {
		name := "default"
		if mp {
			name = "msgpack"
		}
		t.Run(name, func(t *testing.T) { fn(t, mp) })
	}
}

func TestConnectEventAck(t *testing.T) {
	forBothParsers(t, func(t *testing.T, mp bool) {
		srv := newTestServer(t, Config{})
		var gotAuth any
		srv.Of("/").Use(func(s *Socket, auth any) error { gotAuth = auth; return nil })
		srv.OnConnection(func(s *Socket) {
			s.On("sum", func(s *Socket, args []any, ack func(...any)) {
				require.NotNil(t, ack)
				ack(args[0].(int64)+args[1].(int64), "ok")
			})
			s.On("bin", func(s *Socket, args []any, ack func(...any)) {
				ack(args[0], mpack.Raw{0x91, 0x01})
			})
		})
		tc := srv.fakeClient(t, mp)
		reply := tc.connect("/", map[string]any{"token": "t1"})
		assert.Equal(t, siocodec.Connect, reply.Type)
		sid := reply.Data.(map[string]any)["sid"].(string)
		assert.Len(t, sid, 20)
		assert.Equal(t, map[string]any{"token": "t1"}, gotAuth)
		want := ParserDefault
		if mp {
			want = ParserMsgpack
		}
		assert.Equal(t, want, tc.cl.getParser())

		tc.send(siocodec.Packet{Type: siocodec.Event, HasID: true, ID: 7, Data: []any{"sum", 2, 3}})
		got := tc.waitPackets(1)[0]
		assert.Equal(t, siocodec.Packet{Type: siocodec.Ack, Nsp: "/", HasID: true, ID: 7, Data: []any{int64(5), "ok"}}, got)

		tc.send(siocodec.Packet{Type: siocodec.Event, HasID: true, ID: 8, Data: []any{"bin", []byte{1, 2}}})
		got = tc.waitPackets(1)[0]
		if mp {
			assert.Equal(t, []any{[]byte{1, 2}, []any{int64(1)}}, got.Data) // Raw spliced as msgpack
		} else {
			assert.Equal(t, []any{[]byte{1, 2}, []byte{0x91, 0x01}}, got.Data) // Raw as attachment
		}
	})
}

func TestInvalidNamespaceAndRefusal(t *testing.T) {
	forBothParsers(t, func(t *testing.T, mp bool) {
		srv := newTestServer(t, Config{})
		srv.Of("/private").Use(func(s *Socket, auth any) error {
			if m, _ := auth.(map[string]any); m["token"] == "good" {
				return nil
			}
			if m, _ := auth.(map[string]any); m["token"] == "plain" {
				return errors.New("plain refusal")
			}
			return &ConnectError{Message: "not authorized", Data: map[string]any{"code": 401}}
		})
		tc := srv.fakeClient(t, mp)
		tests := []struct {
			name string
			nsp  string
			auth any
			want siocodec.Packet
		}{
			{"unknown namespace", "/nope", nil, siocodec.Packet{Type: siocodec.ConnectError, Nsp: "/nope", Data: map[string]any{"message": "Invalid namespace"}}},
			{"refused with data", "/private", map[string]any{"token": "bad"}, siocodec.Packet{Type: siocodec.ConnectError, Nsp: "/private",
				Data: map[string]any{"message": "not authorized", "data": map[string]any{"code": int64(401)}}}},
			{"refused plain", "/private", map[string]any{"token": "plain"}, siocodec.Packet{Type: siocodec.ConnectError, Nsp: "/private",
				Data: map[string]any{"message": "plain refusal"}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				assert.Equal(t, tt.want, tc.connect(tt.nsp, tt.auth))
			})
		}
		reply := tc.connect("/private", map[string]any{"token": "good"})
		assert.Equal(t, siocodec.Connect, reply.Type)
		assert.Equal(t, "/private", reply.Nsp)
		assert.Equal(t, 1, srv.Of("/private").Len())
		closed, _ := tc.conn.isClosed()
		assert.False(t, closed, "refusals keep the session")
	})
}

func TestDynamicNamespaces(t *testing.T) {
	srv := newTestServer(t, Config{})
	var inits int
	srv.DynamicNamespaces(func(name string, auth any) bool { return len(name) > 6 && name[:6] == "/room-" },
		func(ns *Namespace) {
			inits++
			ns.OnConnection(func(s *Socket) { s.Emit("welcome", s.Namespace().Name()) })
		})
	for range 2 {
		tc := srv.fakeClient(t, false)
		tc.send(siocodec.Packet{Type: siocodec.Connect, Nsp: "/room-42"})
		got := tc.waitPackets(2)
		assert.Equal(t, siocodec.Connect, got[0].Type)
		assert.Equal(t, []any{"welcome", "/room-42"}, got[1].Data)
		assert.Equal(t, siocodec.ConnectError, tc.connect("/other", nil).Type)
	}
	assert.Equal(t, 1, inits)
}

func TestServerEmitWithAck(t *testing.T) {
	forBothParsers(t, func(t *testing.T, mp bool) {
		srv := newTestServer(t, Config{})
		sockCh := make(chan *Socket, 1)
		srv.OnConnection(func(s *Socket) { sockCh <- s })
		tc := srv.fakeClient(t, mp)
		tc.connect("/", nil)
		s := <-sockCh

		type result struct {
			args []any
			err  error
		}
		res := make(chan result, 1)
		require.NoError(t, s.EmitWithAck(context.Background(), "ask", func(args []any, err error) { res <- result{args, err} }, "q", []byte{9}))
		ev := tc.waitPackets(1)[0]
		assert.Equal(t, []any{"ask", "q", []byte{9}}, ev.Data)
		require.True(t, ev.HasID)
		tc.send(siocodec.Packet{Type: siocodec.Ack, HasID: true, ID: ev.ID, Data: []any{"answer", []byte{1}}})
		r := <-res
		require.NoError(t, r.err)
		assert.Equal(t, []any{"answer", []byte{1}}, r.args)

		// A second ack with the same id is ignored.
		tc.send(siocodec.Packet{Type: siocodec.Ack, HasID: true, ID: ev.ID, Data: []any{}})
		select {
		case r := <-res:
			t.Fatalf("callback ran twice: %v", r)
		default:
		}

		// Pending acks fail with ErrDisconnected when the socket goes.
		require.NoError(t, s.EmitWithAck(context.Background(), "ask2", func(args []any, err error) { res <- result{args, err} }))
		tc.waitPackets(1)
		tc.send(siocodec.Packet{Type: siocodec.Disconnect})
		r = <-res
		require.ErrorIs(t, r.err, ErrDisconnected)
		require.ErrorIs(t, s.EmitWithAck(context.Background(), "x", func([]any, error) {}), ErrDisconnected)
	})
}

func TestAckTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newTestServer(t, Config{AckTimeout: 5 * time.Second, ConnectTimeout: -1})
		sockCh := make(chan *Socket, 1)
		srv.OnConnection(func(s *Socket) { sockCh <- s })
		tc := srv.fakeClient(t, false)
		tc.send(siocodec.Packet{Type: siocodec.Connect})
		synctest.Wait()
		s := <-sockCh
		errs := make(chan error, 3)
		cb := func(_ []any, err error) { errs <- err }
		require.NoError(t, s.EmitWithAck(context.Background(), "a", cb)) // Config.AckTimeout: 5s
		require.NoError(t, s.EmitWithAckTimeout(time.Second, "b", cb))   // 1s
		ctx, cancel := context.WithCancel(context.Background())
		require.NoError(t, s.EmitWithAck(ctx, "c", cb))
		cancel()
		synctest.Wait()
		assert.ErrorIs(t, <-errs, context.Canceled)
		time.Sleep(time.Second)
		synctest.Wait()
		err := <-errs
		assert.ErrorIs(t, err, ErrAckTimeout)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		time.Sleep(4 * time.Second)
		synctest.Wait()
		assert.ErrorIs(t, <-errs, ErrAckTimeout)
		s.mu.Lock()
		assert.Empty(t, s.acks)
		s.mu.Unlock()
		tc.conn.Close(engineio.ReasonTransportClose)
		synctest.Wait()
	})
}

func TestConnectTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := newTestServer(t, Config{ConnectTimeout: 3 * time.Second})
		idle := srv.fakeClient(t, false)
		ok := srv.fakeClient(t, false)
		ok.send(siocodec.Packet{Type: siocodec.Connect})
		time.Sleep(3*time.Second + time.Millisecond)
		synctest.Wait()
		closed, reason := idle.conn.isClosed()
		assert.True(t, closed)
		assert.Equal(t, engineio.ReasonForcedClose, reason)
		closed, _ = ok.conn.isClosed()
		assert.False(t, closed)
		ok.conn.Close(engineio.ReasonTransportClose)
		synctest.Wait()
	})
}

func TestDisconnectReasons(t *testing.T) {
	tests := []struct {
		name       string
		act        func(tc *testClient, s *Socket)
		want       string
		wantPacket bool // server sent DISCONNECT
		wantClosed engineio.CloseReason
	}{
		{"client namespace disconnect", func(tc *testClient, s *Socket) { tc.send(siocodec.Packet{Type: siocodec.Disconnect}) }, ReasonClientNamespaceDisconnect, false, ""},
		{"server namespace disconnect", func(tc *testClient, s *Socket) { s.Disconnect(false) }, ReasonServerNamespaceDisconnect, true, ""},
		{"server disconnect close", func(tc *testClient, s *Socket) { s.Disconnect(true) }, ReasonServerNamespaceDisconnect, true, engineio.ReasonForcedClose},
		{"ping timeout", func(tc *testClient, s *Socket) { tc.conn.Close(engineio.ReasonPingTimeout) }, ReasonPingTimeout, false, engineio.ReasonPingTimeout},
		{"transport close", func(tc *testClient, s *Socket) { tc.conn.Close(engineio.ReasonTransportClose) }, ReasonTransportClose, false, engineio.ReasonTransportClose},
		{"server shutting down", func(tc *testClient, s *Socket) { tc.conn.Close(engineio.ReasonServerShuttingDown) }, ReasonServerShuttingDown, false, engineio.ReasonServerShuttingDown},
		{"parse error", func(tc *testClient, s *Socket) { tc.sendRaw(`2["unterminated`, false) }, ReasonParseError, false, engineio.ReasonParseError},
		{"parse error reserved", func(tc *testClient, s *Socket) { tc.sendRaw(`2["connect"]`, false) }, ReasonParseError, false, engineio.ReasonParseError},
		{"stray binary", func(tc *testClient, s *Socket) { tc.sendRaw("\x01", true) }, ReasonParseError, false, engineio.ReasonParseError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, Config{})
			reasons := make(chan string, 2)
			sockCh := make(chan *Socket, 1)
			srv.OnConnection(func(s *Socket) {
				s.Join("r")
				s.OnDisconnect(func(s *Socket, reason string) { reasons <- reason })
				sockCh <- s
			})
			tc := srv.fakeClient(t, false)
			tc.connect("/", nil)
			s := <-sockCh
			tt.act(tc, s)
			select {
			case r := <-reasons:
				assert.Equal(t, tt.want, r)
			case <-time.After(2 * time.Second):
				t.Fatal("no disconnect")
			}
			assert.False(t, s.Connected())
			assert.Equal(t, 0, srv.Of("/").Len())
			assert.Equal(t, 0, srv.Of("/").RoomLen("r"))
			require.Error(t, s.Context().Err())
			pk := tc.packets()
			if tt.wantPacket {
				require.Len(t, pk, 1)
				assert.Equal(t, siocodec.Disconnect, pk[0].Type)
			} else {
				assert.Empty(t, pk)
			}
			closed, reason := tc.conn.isClosed()
			if tt.wantClosed != "" {
				assert.True(t, closed)
				assert.Equal(t, tt.wantClosed, reason)
			} else {
				assert.False(t, closed)
			}
			assert.ErrorIs(t, s.Emit("x"), ErrDisconnected)
			select {
			case r := <-reasons:
				t.Fatalf("second disconnect %q", r)
			default:
			}
		})
	}
}

func TestParserDetectionAndFixed(t *testing.T) {
	t.Run("text in msgpack session is a parse error", func(t *testing.T) {
		srv := newTestServer(t, Config{})
		tc := srv.fakeClient(t, true)
		tc.connect("/", nil)
		tc.sendRaw(`2["x"]`, false)
		require.Eventually(t, func() bool { c, _ := tc.conn.isClosed(); return c }, 30*time.Second, time.Millisecond)
		_, reason := tc.conn.isClosed()
		assert.Equal(t, engineio.ReasonParseError, reason)
	})
	t.Run("fixed default rejects msgpack", func(t *testing.T) {
		srv := newTestServer(t, Config{Parser: ParserDefault})
		tc := srv.fakeClient(t, true)
		b, _ := siocodec.AppendMsgpack(nil, &siocodec.Packet{Type: siocodec.Connect})
		tc.cl.onMessage(b, true)
		_, reason := tc.conn.isClosed()
		assert.Equal(t, engineio.ReasonParseError, reason)
	})
	t.Run("fixed msgpack", func(t *testing.T) {
		srv := newTestServer(t, Config{Parser: ParserMsgpack})
		tc := srv.fakeClient(t, true)
		assert.Equal(t, siocodec.Connect, tc.connect("/", nil).Type)
	})
	t.Run("binary event default parser", func(t *testing.T) {
		srv := newTestServer(t, Config{})
		got := make(chan []any, 1)
		srv.OnConnection(func(s *Socket) {
			s.On("up", func(s *Socket, args []any, ack func(...any)) { got <- args })
		})
		tc := srv.fakeClient(t, false)
		tc.connect("/", nil)
		tc.sendRaw(`52-["up",{"_placeholder":true,"num":1},{"x":{"_placeholder":true,"num":0}}]`, false)
		tc.sendRaw("A", true)
		tc.sendRaw("B", true)
		assert.Equal(t, []any{[]byte("B"), map[string]any{"x": []byte("A")}}, <-got)
	})
}

func TestRoomsBroadcastExcept(t *testing.T) {
	srv := newTestServer(t, Config{})
	var mu sync.Mutex
	socks := map[string]*Socket{}
	srv.OnConnection(func(s *Socket) {
		mu.Lock()
		socks[s.ID()] = s
		mu.Unlock()
	})
	clients := make([]*testClient, 4)
	ids := make([]string, 4)
	for i := range clients {
		clients[i] = srv.fakeClient(t, i%2 == 1) // mixed parsers
		ids[i] = clients[i].connect("/", nil).Data.(map[string]any)["sid"].(string)
	}
	get := func(i int) *Socket { mu.Lock(); defer mu.Unlock(); return socks[ids[i]] }
	get(0).Join("a", "b")
	get(1).Join("a")
	get(2).Join("b")
	get(3).Join("c")

	received := func() []int {
		var who []int
		for i, c := range clients {
			for _, p := range c.packets() {
				assert.Equal(t, []any{"ev", "x", []byte{1}}, p.Data)
				who = append(who, i)
			}
		}
		return who
	}
	ns := srv.Of("/")
	tests := []struct {
		name string
		b    BroadcastOperator
		want []int
	}{
		{"room a", ns.To("a"), []int{0, 1}},
		{"rooms a,b union", ns.To("a").To("b"), []int{0, 1, 2}},
		{"a,b except b", ns.To("a", "b").Except("b"), []int{1}},
		{"all", ns.To(), []int{0, 1, 2, 3}},
		{"all except a socket id", ns.Except(ids[3]), []int{0, 1, 2}},
		{"socket.to excludes sender", get(0).To("a"), []int{1}},
		{"socket id as room", ns.To(ids[2]), []int{2}},
		{"empty room", ns.To("none"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, tt.b.Emit("ev", "x", []byte{1}))
			assert.Equal(t, tt.want, received())
		})
	}
	t.Run("leave", func(t *testing.T) {
		get(1).Leave("a")
		assert.Equal(t, 1, ns.RoomLen("a"))
		require.NoError(t, ns.To("a").Emit("ev", "x", []byte{1}))
		assert.Equal(t, []int{0}, received())
	})
	t.Run("prepared frames shared per parser", func(t *testing.T) {
		p, err := ns.Prepare("ev", "x", []byte{1})
		require.NoError(t, err)
		n, err := ns.To().EmitPrepared(p, true)
		require.NoError(t, err)
		assert.Equal(t, 4, n)
		f0 := clients[0].conn.takeFrames()
		f2 := clients[2].conn.takeFrames()
		f1 := clients[1].conn.takeFrames()
		f3 := clients[3].conn.takeFrames()
		require.Len(t, f0, 2) // text + 1 attachment
		require.Len(t, f1, 1) // one msgpack frame
		assert.Same(t, f0[0], f2[0])
		assert.Same(t, f0[1], f2[1])
		assert.Same(t, f1[0], f3[0])
	})
	t.Run("namespace mismatch", func(t *testing.T) {
		p, err := PrepareEvent("/other", "ev")
		require.NoError(t, err)
		_, err = ns.To().EmitPrepared(p, false)
		assert.ErrorIs(t, err, ErrNamespaceMismatch)
		assert.ErrorIs(t, get(0).EmitPrepared(p, false), ErrNamespaceMismatch)
	})
	t.Run("bad args", func(t *testing.T) {
		type thing struct{}
		assert.ErrorIs(t, ns.Emit("ev", thing{}), siocodec.ErrUnsupportedValue)
		assert.ErrorIs(t, ns.Emit("disconnect"), ErrReservedEvent)
	})
	t.Run("disconnect sockets", func(t *testing.T) {
		ns.To("c").DisconnectSockets(false)
		assert.Equal(t, 3, ns.Len())
		assert.Equal(t, siocodec.Disconnect, clients[3].packets()[0].Type)
	})
}

func TestDroppable(t *testing.T) {
	srv := newTestServer(t, Config{})
	sockCh := make(chan *Socket, 1)
	srv.OnConnection(func(s *Socket) { sockCh <- s })
	tc := srv.fakeClient(t, false)
	tc.connect("/", nil)
	s := <-sockCh
	p, err := srv.Of("/").Prepare("state", 1)
	require.NoError(t, err)
	tc.conn.mu.Lock()
	tc.conn.queueFull = true
	tc.conn.mu.Unlock()
	assert.ErrorIs(t, s.EmitPrepared(p, true), ErrDropped)
	assert.True(t, s.Connected(), "a dropped packet keeps the session")
	assert.ErrorIs(t, s.EmitPrepared(p, false), engineio.ErrSlowConsumer)
	require.Eventually(t, func() bool { return !s.Connected() }, 30*time.Second, time.Millisecond)
}

func TestHandlersRunSequentially(t *testing.T) {
	srv := newTestServer(t, Config{})
	var (
		mu      sync.Mutex
		order   []int64
		running int
		overlap bool
	)
	sockCh := make(chan *Socket, 1)
	srv.OnConnection(func(s *Socket) {
		s.On("n", func(s *Socket, args []any, ack func(...any)) {
			mu.Lock()
			running++
			if running > 1 {
				overlap = true
			}
			order = append(order, args[0].(int64))
			mu.Unlock()
			runtime.Gosched()
			mu.Lock()
			running--
			mu.Unlock()
		})
		sockCh <- s
	})
	tc := srv.fakeClient(t, false)
	tc.connect("/", nil)
	s := <-sockCh
	// ack callbacks from timers interleave with events but never overlap them.
	for i := range 50 {
		require.NoError(t, s.EmitWithAckTimeout(time.Microsecond, "q", func([]any, error) {
			mu.Lock()
			running++
			if running > 1 {
				overlap = true
			}
			mu.Unlock()
			runtime.Gosched()
			mu.Lock()
			running--
			mu.Unlock()
		}))
		tc.send(siocodec.Packet{Type: siocodec.Event, Data: []any{"n", i}})
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, order, 50)
	for i, v := range order {
		require.Equal(t, int64(i), v)
	}
	assert.False(t, overlap)
}

func TestMultipleNamespacesOneSession(t *testing.T) {
	srv := newTestServer(t, Config{})
	reasons := make(chan string, 2)
	for _, name := range []string{"/", "/admin"} {
		srv.Of(name).OnConnection(func(s *Socket) {
			s.OnDisconnect(func(s *Socket, r string) { reasons <- s.Namespace().Name() + ":" + r })
			s.On("who", func(s *Socket, _ []any, ack func(...any)) { ack(s.Namespace().Name()) })
		})
	}
	tc := srv.fakeClient(t, true)
	tc.connect("/", nil)
	tc.connect("/admin", nil)
	tc.send(siocodec.Packet{Type: siocodec.Event, Nsp: "/admin", HasID: true, ID: 1, Data: []any{"who"}})
	assert.Equal(t, []any{"/admin"}, tc.waitPackets(1)[0].Data)
	// Packets for a namespace the client has not joined are ignored.
	tc.send(siocodec.Packet{Type: siocodec.Event, Nsp: "/x", HasID: true, ID: 2, Data: []any{"who"}})
	assert.Empty(t, tc.packets())
	tc.send(siocodec.Packet{Type: siocodec.Disconnect, Nsp: "/admin"})
	assert.Equal(t, "/admin:"+ReasonClientNamespaceDisconnect, <-reasons)
	tc.conn.Close(engineio.ReasonTransportClose)
	assert.Equal(t, "/:"+ReasonTransportClose, <-reasons)
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"parser", Config{Parser: 9}, "Config.Parser"},
		{"ack timeout", Config{AckTimeout: -1}, "Config.AckTimeout"},
		{"pending acks", Config{MaxPendingAcks: -1}, "Config.MaxPendingAcks"},
		{"depth", Config{Limits: siocodec.Limits{MaxDepth: -1}}, "Config.Limits.MaxDepth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewServer(tt.cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
	assert.Equal(t, DefaultPath, Config{}.withDefaults().Engine.Path)
}

func TestMain(m *testing.M) {
	before := ourGoroutines()
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(3 * time.Second)
		for ourGoroutines() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if n := ourGoroutines(); n > before {
			buf := make([]byte, 1<<16)
			buf = buf[:runtime.Stack(buf, true)]
			println("goroutine leak:", n, "running, started with", before, "\n", string(buf))
			code = 1
		}
	}
	os.Exit(code)
}

// ourGoroutines counts the goroutines but os/signal's, which the fuzzing
// engine starts (signal.Notify) and never stops.
func ourGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if !strings.Contains(g, "os/signal.signal_recv") {
			n++
		}
	}
	return n
}
