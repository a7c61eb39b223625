package socketio

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	siocodec "github.com/roomcast/roomcast/codec/socketio"
	"github.com/roomcast/roomcast/transport/engineio"
)

// fakeConn is an in-memory engine session: it records sent frames and
// delivers Close to the client like the real engine (OnClose afterwards).
type fakeConn struct {
	id string
	cl *client

	mu        sync.Mutex
	frames    []*engineio.Frame
	queueFull bool // SendDroppable drops, Send closes as slow consumer
	closed    bool
	reason    engineio.CloseReason
	sent      chan struct{} // signalled (non-blocking) on every send
}

func (f *fakeConn) ID() string        { return f.id }
func (f *fakeConn) Transport() string { return "websocket" }
func (f *fakeConn) Handshake() engineio.Handshake {
	return engineio.Handshake{RemoteAddr: "127.0.0.1:1", Header: http.Header{"X-Test": {"1"}}}
}

func (f *fakeConn) Send(frames ...*engineio.Frame) error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return engineio.ErrClosed
	}
	if f.queueFull {
		f.mu.Unlock()
		f.Close(engineio.ReasonSlowConsumer)
		return engineio.ErrSlowConsumer
	}
	f.frames = append(f.frames, frames...)
	f.mu.Unlock()
	select {
	case f.sent <- struct{}{}:
	default:
	}
	return nil
}

func (f *fakeConn) SendDroppable(frames ...*engineio.Frame) (bool, error) {
	f.mu.Lock()
	full, closed := f.queueFull, f.closed
	f.mu.Unlock()
	if closed {
		return false, engineio.ErrClosed
	}
	if full {
		return false, nil
	}
	return true, f.Send(frames...)
}

func (f *fakeConn) SendCopy(data []byte, binary, droppable bool, attachments ...*engineio.Frame) (bool, error) {
	fr := engineio.TextFrame(data)
	if binary {
		fr = engineio.BinaryFrame(data)
	}
	frames := append([]*engineio.Frame{fr}, attachments...)
	if droppable {
		return f.SendDroppable(frames...)
	}
	err := f.Send(frames...)
	return err == nil, err
}

func (f *fakeConn) Close(reason engineio.CloseReason) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.closed, f.reason = true, reason
	cl := f.cl
	f.mu.Unlock()
	go cl.onClose(string(reason)) // the engine reports the close afterwards
}

func (f *fakeConn) isClosed() (bool, engineio.CloseReason) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed, f.reason
}

// takeFrames returns and forgets the frames sent so far.
func (f *fakeConn) takeFrames() []*engineio.Frame {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.frames
	f.frames = nil
	return out
}

// testClient drives one fake session like a socket.io-client would.
type testClient struct {
	t      *testing.T
	conn   *fakeConn
	cl     *client
	msgp   bool // use the msgpack parser
	dec    *siocodec.Decoder
	recv   []siocodec.Packet
	recvMu sync.Mutex
}

func newTestServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	cfg = cfg.withDefaults()
	require.NoError(t, cfg.Validate())
	return newServer(cfg)
}

func (s *Server) fakeClient(t *testing.T, msgpack bool) *testClient {
	fc := &fakeConn{id: newID(), sent: make(chan struct{}, 1)}
	fc.mu.Lock() // the connect timer may fire at once
	fc.cl = s.newClient(fc)
	fc.mu.Unlock()
	tc := &testClient{t: t, conn: fc, cl: fc.cl, msgp: msgpack, dec: siocodec.NewDecoder(siocodec.Limits{})}
	t.Cleanup(func() { fc.Close(engineio.ReasonTransportClose) })
	return tc
}

// send encodes p with the client's parser and feeds it to the server.
func (tc *testClient) send(p siocodec.Packet) {
	tc.t.Helper()
	if tc.msgp {
		b, err := siocodec.AppendMsgpack(nil, &p)
		require.NoError(tc.t, err)
		tc.cl.onMessage(b, true)
		return
	}
	text, atts, err := siocodec.AppendDefault(nil, &p)
	require.NoError(tc.t, err)
	tc.cl.onMessage(text, false)
	for _, a := range atts {
		tc.cl.onMessage(a, true)
	}
}

// sendRaw feeds one raw engine message.
func (tc *testClient) sendRaw(data string, binary bool) { tc.cl.onMessage([]byte(data), binary) }

// packets decodes everything the server sent since the last call.
func (tc *testClient) packets() []siocodec.Packet {
	tc.t.Helper()
	var out []siocodec.Packet
	for _, f := range tc.conn.takeFrames() {
		if tc.msgp {
			require.True(tc.t, f.IsBinary(), "msgpack session got a text frame")
			p, err := siocodec.DecodeMsgpack(f.Payload(), siocodec.Limits{})
			require.NoError(tc.t, err)
			out = append(out, p)
			continue
		}
		p, done, err := tc.dec.Decode(f.Payload(), f.IsBinary())
		require.NoError(tc.t, err)
		if done {
			out = append(out, p)
		}
	}
	return out
}

// waitPackets waits until the server has sent n more packets.
func (tc *testClient) waitPackets(n int) []siocodec.Packet {
	tc.t.Helper()
	var got []siocodec.Packet
	require.Eventually(tc.t, func() bool {
		got = append(got, tc.packets()...)
		return len(got) >= n
	}, 30*time.Second, time.Millisecond)
	require.Len(tc.t, got, n)
	return got
}

// connect connects to nsp and returns the CONNECT reply.
func (tc *testClient) connect(nsp string, auth any) siocodec.Packet {
	tc.t.Helper()
	tc.send(siocodec.Packet{Type: siocodec.Connect, Nsp: nsp, Data: auth})
	return tc.waitPackets(1)[0]
}
