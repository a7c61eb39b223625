package engineio_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"

	"github.com/roomcast/roomcast/transport/engineio"
)

// echo sends every message back as it came.
type echo struct{}

func (echo) OnMessage(c *engineio.Conn, data []byte, binary bool) {
	if binary {
		_ = c.Send(engineio.BinaryFrame(data))
	} else {
		_ = c.Send(engineio.TextFrame(data))
	}
}

func (echo) OnClose(c *engineio.Conn, reason engineio.CloseReason, err error) {}

// An echo server driven by raw long-polling requests.
func Example() {
	srv, err := engineio.NewServer(engineio.Config{Path: "/engine.io/"})
	if err != nil {
		panic(err)
	}
	srv.OnConnection(func(c *engineio.Conn) { c.SetHandler(echo{}) })
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

	base := "http://" + ln.Addr().String() + "/engine.io/?EIO=4&transport=polling"
	do := func(method, url, body string) string {
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	open := do("GET", base, "")
	sid := regexp.MustCompile(`"sid":"([^"]+)"`).FindStringSubmatch(open)[1]
	fmt.Println(strings.Replace(open, sid, "…", 1))
	session := base + "&sid=" + sid
	fmt.Println(do("POST", session, "4hello\x1ebyv4="))
	fmt.Printf("%q\n", do("GET", session, ""))
	// Output:
	// 0{"sid":"…","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}
	// ok
	// "4hello\x1ebyv4="
}
