package sioecho_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/examples/sioecho"
)

// poller is a minimal Engine.IO v4 long-polling client: enough to drive the
// demo from Go without a JavaScript runtime.
type poller struct {
	t       *testing.T
	base    string // server URL + path
	sid     string
	client  *http.Client
	pending []string // Engine.IO packets received, not yet returned
}

func dial(t *testing.T, srvURL, path string) *poller {
	t.Helper()
	p := &poller{t: t, base: srvURL + path, client: &http.Client{Timeout: 5 * time.Second}}
	hs := p.next()
	require.True(t, strings.HasPrefix(hs, "0"), "handshake %q", hs)
	var open struct {
		Sid         string   `json:"sid"`
		Upgrades    []string `json:"upgrades"`
		MaxPayload  int64    `json:"maxPayload"`
		PingTimeout int64    `json:"pingTimeout"`
	}
	require.NoError(t, json.Unmarshal([]byte(hs[1:]), &open))
	require.NotEmpty(t, open.Sid)
	p.sid = open.Sid
	return p
}

func (p *poller) url() string {
	u := p.base + "?EIO=4&transport=polling"
	if p.sid != "" {
		u += "&sid=" + p.sid
	}
	return u
}

// next returns the next Engine.IO packet, long-polling for more when needed
// and answering pings.
func (p *poller) next() string {
	p.t.Helper()
	return p.poll(true)
}

// nextRaw is next without answering pings.
func (p *poller) nextRaw() string {
	p.t.Helper()
	return p.poll(false)
}

func (p *poller) poll(answerPings bool) string {
	p.t.Helper()
	for len(p.pending) == 0 {
		resp, err := p.client.Get(p.url())
		require.NoError(p.t, err)
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		require.NoError(p.t, err)
		require.Equal(p.t, http.StatusOK, resp.StatusCode, "GET: %s", body)
		for _, pkt := range strings.Split(string(body), "\x1e") {
			if pkt == "2" && answerPings {
				p.post("3")
				continue
			}
			p.pending = append(p.pending, pkt)
		}
	}
	pkt := p.pending[0]
	p.pending = p.pending[1:]
	return pkt
}

// post sends Engine.IO packets in one payload.
func (p *poller) post(packets ...string) {
	p.t.Helper()
	resp, err := p.client.Post(p.url(), "text/plain;charset=UTF-8", strings.NewReader(strings.Join(packets, "\x1e")))
	require.NoError(p.t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Equal(p.t, http.StatusOK, resp.StatusCode, "POST: %s", body)
	require.Equal(p.t, "ok", string(body))
}

// emit sends Socket.IO packets (default parser) as Engine.IO messages.
func (p *poller) emit(packets ...string) {
	p.t.Helper()
	for i := range packets {
		packets[i] = "4" + packets[i]
	}
	p.post(packets...)
}

// recv returns the next Socket.IO packet (an Engine.IO message without its "4").
func (p *poller) recv() string {
	p.t.Helper()
	for {
		pkt := p.next()
		if strings.HasPrefix(pkt, "4") {
			return pkt[1:]
		}
		require.NotEqual(p.t, "1", pkt, "session closed")
	}
}

// connect joins nsp ("/" or "/name") with auth JSON (may be empty) and
// returns the CONNECT reply.
func (p *poller) connect(nsp, auth string) string {
	p.t.Helper()
	prefix := ""
	if nsp != "/" {
		prefix = nsp + ","
	}
	p.emit("0" + prefix + auth)
	return p.recv()
}

func newServer(t *testing.T, cfg sioecho.Config) *httptest.Server {
	t.Helper()
	demo, err := sioecho.New(cfg)
	require.NoError(t, err)
	ts := httptest.NewServer(demo)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, demo.Shutdown(ctx))
		ts.Close()
	})
	return ts
}

func TestEngineIOEcho(t *testing.T) {
	t.Parallel()
	ts := newServer(t, sioecho.Config{})
	p := dial(t, ts.URL, sioecho.EngineIOPath)
	p.post("4hello", "bAP8e", "4", "4ünï")
	require.Equal(t, "4hello", p.next())
	require.Equal(t, "bAP8e", p.next(), "binary comes back as binary")
	require.Equal(t, "4", p.next())
	require.Equal(t, "4ünï", p.next())
}

func TestSocketIOEvents(t *testing.T) {
	t.Parallel()
	ts := newServer(t, sioecho.Config{})
	p := dial(t, ts.URL, sioecho.SocketIOPath)

	require.Regexp(t, `^0\{"sid":"[A-Za-z0-9_-]+"\}$`, p.connect("/", `{"token":"t1"}`))
	require.JSONEq(t, `["auth",{"token":"t1"}]`, strings.TrimPrefix(p.recv(), "2"))

	tests := []struct {
		name string
		send string
		want []string
	}{
		{"echo without ack", `2["echo",1,"a",{"b":[true,null]}]`, []string{`2["echo",1,"a",{"b":[true,null]}]`}},
		{"echo with ack", `27["echo",2.5]`, []string{`2["echo",2.5]`, `37[2.5]`}},
		{"message", `2["message","hi"]`, []string{`2["message-back","hi"]`}},
		{"message-with-ack", `23["message-with-ack","x",{"y":1}]`, []string{`33["x",{"y":1}]`}},
		{"join", `24["join","r"]`, []string{`34[1]`}},
		{"broadcast to a room of one", `25["broadcast","r","nobody else"]`, []string{`35[true]`}},
		{"broadcast without room", `26["broadcast"]`, []string{`36[{"error":"broadcast needs a room name first"}]`}},
		{"leave", `28["leave","r"]`, []string{`38[0]`}},
	}
	for _, tc := range tests {
		p.emit(tc.send)
		for _, want := range tc.want {
			require.Equal(t, want, p.recv(), tc.name)
		}
	}

	// Binary: a BINARY_EVENT with one attachment comes back as one.
	p.post(`451-9["echo",{"_placeholder":true,"num":0}]`, "bAQID")
	require.Equal(t, `51-["echo",{"_placeholder":true,"num":0}]`, p.recv())
	require.Equal(t, "bAQID", p.next())
	require.Equal(t, `61-9[{"_placeholder":true,"num":0}]`, p.recv())
	require.Equal(t, "bAQID", p.next())

	// Server→client ack round trip: the server asks, we answer, it acks us.
	p.emit(`211["ackme","q"]`)
	ask := p.recv()
	var id int
	_, err := fmt.Sscanf(ask, "2%d[", &id)
	require.NoError(t, err, "ackme request %q", ask)
	require.True(t, strings.HasSuffix(ask, `["ackme","q"]`), ask)
	p.emit(fmt.Sprintf(`3%d["answer",42]`, id))
	require.Equal(t, `311["answer",42]`, p.recv())
}

func TestNamespaces(t *testing.T) {
	t.Parallel()
	ts := newServer(t, sioecho.Config{AdminToken: "tok"})
	p := dial(t, ts.URL, sioecho.SocketIOPath)

	refused := p.connect("/admin", `{"token":"wrong"}`)
	require.True(t, strings.HasPrefix(refused, "4/admin,"), refused)
	require.JSONEq(t, `{"message":"not authorized","data":{"reason":"bad token"}}`, strings.TrimPrefix(refused, "4/admin,"))

	require.Regexp(t, `^0/admin,\{"sid":"[^"]+"\}$`, p.connect("/admin", `{"token":"tok"}`))
	p.emit(`2/admin,0["whoami"]`)
	require.Regexp(t, `^3/admin,0\[\{"id":"[^"]+","transport":"polling"\}\]$`, p.recv())

	unknown := p.connect("/nope", "")
	require.Equal(t, `4/nope,{"message":"Invalid namespace"}`, unknown)

	require.Regexp(t, `^0/dyn-x1,\{"sid":"[^"]+"\}$`, p.connect("/dyn-x1", ""))
	require.Equal(t, `2/dyn-x1,["auth",{}]`, p.recv()) // no CONNECT payload: an empty auth object
	p.emit(`2/dyn-x1,3["echo","d"]`)
	require.Equal(t, `2/dyn-x1,["echo","d"]`, p.recv())
	require.Equal(t, `3/dyn-x1,3["d"]`, p.recv())

	require.Regexp(t, `^0/custom,`, p.connect("/custom", `{"c":1}`))
	require.Equal(t, `2/custom,["auth",{"c":1}]`, p.recv())
}

func TestDisconnectReasons(t *testing.T) {
	t.Parallel()
	ts := newServer(t, sioecho.Config{})
	watcher := dial(t, ts.URL, sioecho.SocketIOPath)
	watcher.connect("/", "")
	watcher.recv() // auth

	reasonOf := func(id string) string {
		watcher.emit(fmt.Sprintf(`29["last-disconnect",%q]`, id))
		reply := watcher.recv()
		var args []string
		require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(reply, "39")), &args), reply)
		return args[0]
	}
	sidOf := func(connectReply string) string {
		var v struct{ Sid string }
		require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(connectReply, "0")), &v))
		return v.Sid
	}

	// Server-side disconnect: the client gets DISCONNECT; reason recorded.
	p := dial(t, ts.URL, sioecho.SocketIOPath)
	id := sidOf(p.connect("/", ""))
	p.recv() // auth
	require.Equal(t, "", reasonOf(id))
	p.emit(`2["disconnect-me"]`)
	require.Equal(t, "1", p.recv())
	require.Equal(t, "server namespace disconnect", reasonOf(id))

	// Client-side disconnect.
	id2 := sidOf(p.connect("/", ""))
	p.recv() // auth
	p.emit("1")
	require.Eventually(t, func() bool { return reasonOf(id2) == "client namespace disconnect" }, 30*time.Second, 10*time.Millisecond)
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  sioecho.Config
		want string
	}{
		{"negative ping interval", sioecho.Config{PingInterval: -1}, "PingInterval"},
		{"negative ping timeout", sioecho.Config{PingTimeout: -1}, "PingTimeout"},
		{"negative max payload", sioecho.Config{MaxPayload: -1}, "MaxPayload"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sioecho.New(tc.cfg)
			require.ErrorContains(t, err, tc.want)
		})
	}
}
