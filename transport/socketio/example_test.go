package socketio_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"regexp"

	"github.com/roomcast/roomcast/transport/socketio"
)

// A server with an auth middleware, an event with an ack and a room
// broadcast, driven by a tiny long-polling client over 127.0.0.1.
func Example() {
	srv, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		panic(err)
	}
	srv.Of("/").Use(func(s *socketio.Socket, auth any) error {
		if m, _ := auth.(map[string]any); m["token"] != "secret" {
			return &socketio.ConnectError{Message: "not authorized", Data: map[string]any{"code": 401}}
		}
		return nil
	})
	srv.OnConnection(func(s *socketio.Socket) {
		s.Join("lobby")
		s.On("hello", func(s *socketio.Socket, args []any, ack func(...any)) {
			ack("hi " + args[0].(string))
			_ = s.Namespace().To("lobby").Emit("joined", args[0], []byte{0xca, 0xfe})
		})
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	hs := &http.Server{Handler: srv}
	go hs.Serve(ln)
	defer func() {
		_ = srv.Shutdown(context.Background())
		_ = hs.Close()
	}()

	sid := regexp.MustCompile(`"sid":"[^"]+"`)
	show := func(c *pollClient) {
		msg, err := c.next()
		if err != nil {
			panic(err)
		}
		fmt.Println(sid.ReplaceAllString(msg, `"sid":"…"`))
	}

	c, err := dialPolling("http://" + ln.Addr().String() + "/socket.io/")
	if err != nil {
		panic(err)
	}
	defer c.close()
	_ = c.send(`0{"token":"wrong"}`)
	show(c)
	_ = c.send(`0{"token":"secret"}`)
	show(c)
	_ = c.send(`21["hello","Ada"]`)
	show(c) // the ack
	show(c) // the broadcast: text with a placeholder...
	show(c) // ...and its binary attachment
	// Output:
	// 4{"data":{"code":401},"message":"not authorized"}
	// 0{"sid":"…"}
	// 31["hi Ada"]
	// 51-["joined","Ada",{"_placeholder":true,"num":0}]
	// <bin:cafe>
}
