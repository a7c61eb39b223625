package socketio

import (
	"fmt"
	"testing"

	siocodec "github.com/roomcast/roomcast/codec/socketio"
	"github.com/roomcast/roomcast/transport/engineio"
)

// nullConn accepts frames and counts them, like an engine session whose
// queue always has room. It isolates our own per-recipient cost.
type nullConn struct {
	id     string
	frames int
}

func (n *nullConn) ID() string                    { return n.id }
func (n *nullConn) Transport() string             { return "websocket" }
func (n *nullConn) Handshake() engineio.Handshake { return engineio.Handshake{} }
func (n *nullConn) Send(frames ...*engineio.Frame) error {
	n.frames += len(frames)
	return nil
}
func (n *nullConn) SendDroppable(frames ...*engineio.Frame) (bool, error) {
	n.frames += len(frames)
	return true, nil
}
func (n *nullConn) SendCopy(_ []byte, _, _ bool, attachments ...*engineio.Frame) (bool, error) {
	n.frames += 1 + len(attachments)
	return true, nil
}
func (n *nullConn) Close(engineio.CloseReason) {}

func connectNull(b *testing.B, srv *Server, n int, msgpack bool) []*nullConn {
	conns := make([]*nullConn, n)
	for i := range conns {
		nc := &nullConn{id: fmt.Sprint(i)}
		cl := srv.newClient(nc)
		p := siocodec.Packet{Type: siocodec.Connect}
		if msgpack {
			data, _ := siocodec.AppendMsgpack(nil, &p)
			cl.onMessage(data, true)
		} else {
			cl.onMessage([]byte("0"), false)
		}
		conns[i] = nc
	}
	return conns
}

// BenchmarkBroadcastFake: one 100-byte event to a room of 1000 sockets over
// in-memory engine sessions (our cost only: recipient selection, one
// encoding per parser, one Send per recipient). ns/op is per broadcast.
func BenchmarkBroadcastFake(b *testing.B) {
	for _, mode := range []string{"default", "msgpack", "mixed"} {
		for _, prepared := range []bool{false, true} {
			name := mode + "/emit"
			if prepared {
				name = mode + "/prepared"
			}
			b.Run(name, func(b *testing.B) {
				srv := newServer(Config{ConnectTimeout: -1}.withDefaults())
				srv.OnConnection(func(s *Socket) { s.Join("room") })
				switch mode {
				case "default":
					connectNull(b, srv, 1000, false)
				case "msgpack":
					connectNull(b, srv, 1000, true)
				default:
					connectNull(b, srv, 500, false)
					connectNull(b, srv, 500, true)
				}
				payload := string(make([]byte, 0, 100)) + "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
				ns := srv.Of("/")
				p, err := ns.Prepare("state", payload)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if prepared {
						if _, err := ns.To("room").EmitPrepared(p, true); err != nil {
							b.Fatal(err)
						}
					} else if err := ns.To("room").Emit("state", payload); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/recipient")
			})
		}
	}
}
