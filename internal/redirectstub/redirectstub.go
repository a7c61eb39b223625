// Package redirectstub is a test-only stand-in for a roomcast cluster: three
// in-process Socket.IO servers (transport/socketio) that speak the
// multi-node wire contract of PROTOCOL.md ("Several nodes: redirects")
// without rooms or Redis, so the clients' redirect following can be tested
// on its own. Node C is served under the path prefix /n3, as a reverse proxy
// with a prefix per node would publish it.
//
// Every node answers by the request's target (the room type of
// rooms.joinOrCreate, create and join; the room id of rooms.joinById):
//
//   - "here": seated on this node ({ok:true, roomId, sessionId, token, ...})
//   - "toB" / "toC": a redirect with a fresh one-time claim to node B / C
//   - "hop": a redirect to B whose claim answers with a redirect to C, whose
//     claim seats (two redirects)
//   - "loop": a redirect to this node whose claim redirects again, forever
//   - "badclaim": a redirect to B with a claim B does not know (claim_invalid)
//   - "toBnoclaim": a redirect to B without a claim (the client repeats the
//     request there, and B seats)
//   - "unavailable": {ok:false, error:{code:"unavailable"}}
//   - "badurl": a redirect to "ftp://nowhere" (not a node URL)
//
// rooms.claim({claim}) answers a claim issued for this node once, then
// claim_invalid. rooms.resume({token}) seats when the token starts with this
// node's name and a dot ("B.3"), answers a redirect without claim to the
// node named by the prefix when that is another node, and node_gone for
// "X." and for the tokens of a node stopped with StopNode (a dead node). A
// seat's session id is "<node>-s<n>" and its token "<node>.<n>.<k>"; a
// resume keeps n (token "C.5" resumes session "C-s5"). After a seat the
// node emits msg("seated", {node}). lobby.subscribe is acked and answered with
// lobby.rooms holding one room, "lobby-<node>".
//
// The package also records what each node saw (Stats), which tests read to
// check that a client moved with the same options and closed its first
// connection; cmd/redirectstub serves the stub for the Node and Python
// tests and publishes the stats over HTTP.
package redirectstub

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roomcast/roomcast/transport/socketio"
)

// Node names.
const (
	NodeA = "A"
	NodeB = "B"
	NodeC = "C"
)

// PrefixC is the path prefix node C is served under.
const PrefixC = "/n3"

// Conn is one Socket.IO connection a node accepted.
type Conn struct {
	Transport string         `json:"transport"` // at connect time
	Parser    string         `json:"parser"`
	Auth      map[string]any `json:"auth"`
	Open      bool           `json:"open"`
}

// Stats is what one node saw.
type Stats struct {
	URL    string   `json:"url"`
	Conns  []Conn   `json:"conns"`
	Events []string `json:"events"` // event names in arrival order
	Seats  []string `json:"seats"`  // session ids seated here
}

// OpenConns counts the connections still open.
func (s Stats) OpenConns() int {
	n := 0
	for _, c := range s.Conns {
		if c.Open {
			n++
		}
	}
	return n
}

// Cluster is the three stub nodes.
type Cluster struct {
	nodes map[string]*node
	order []string
}

type node struct {
	name   string
	url    string
	cl     *Cluster
	sio    *socketio.Server
	srv    *http.Server
	served chan struct{}
	dead   atomic.Bool
	stop   sync.Once
	ln     *trackingListener

	mu     sync.Mutex // guards the fields below
	conns  []Conn
	events []string
	seats  []string
	claims map[string]string // claim -> what it does (target names above)
	next   int
}

// Start listens on three free 127.0.0.1 ports.
func Start() (*Cluster, error) {
	c := &Cluster{nodes: map[string]*node{}, order: []string{NodeA, NodeB, NodeC}}
	for _, name := range c.order {
		n, err := c.startNode(name)
		if err != nil {
			c.Close()
			return nil, err
		}
		c.nodes[name] = n
	}
	return c, nil
}

func (c *Cluster) startNode(name string) (*node, error) {
	sio, err := socketio.NewServer(socketio.Config{})
	if err != nil {
		return nil, fmt.Errorf("redirectstub: node %s: %w", name, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("redirectstub: node %s: listen: %w", name, err)
	}
	n := &node{name: name, cl: c, sio: sio, claims: map[string]string{}, served: make(chan struct{}),
		ln: &trackingListener{Listener: ln, conns: map[net.Conn]struct{}{}}}
	n.url = "http://" + ln.Addr().String()
	var h http.Handler = sio
	if name == NodeC { // as a reverse proxy that strips a per-node prefix
		n.url += PrefixC
		h = http.StripPrefix(PrefixC, sio)
	}
	sio.OnConnection(n.onConnection)
	n.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(n.served)
		_ = n.srv.Serve(n.ln)
	}()
	return n, nil
}

// URL returns a node's base URL (node C's includes PrefixC).
func (c *Cluster) URL(name string) string { return c.nodes[name].url }

// Stats returns what node name saw so far.
func (c *Cluster) Stats(name string) Stats {
	n := c.nodes[name]
	n.mu.Lock()
	defer n.mu.Unlock()
	return Stats{URL: n.url, Conns: append([]Conn{}, n.conns...),
		Events: append([]string{}, n.events...), Seats: append([]string{}, n.seats...)}
}

// NodeOfURL names the node whose base URL is url ("" if none).
func (c *Cluster) NodeOfURL(url string) string {
	for _, name := range c.order {
		if c.nodes[name].url == url {
			return name
		}
	}
	return ""
}

// StopNode stops node name, as a killed node: its TCP connections are cut
// without a goodbye, its port refuses, and the other nodes answer
// node_gone for its seats.
func (c *Cluster) StopNode(name string) { c.nodes[name].shutdown() }

// Close stops every node.
func (c *Cluster) Close() {
	for _, n := range c.nodes {
		n.shutdown()
	}
}

func (n *node) shutdown() {
	n.stop.Do(func() {
		n.dead.Store(true)
		_ = n.srv.Close()
		n.ln.cutAll()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = n.sio.Shutdown(ctx)
		<-n.served
	})
}

func (n *node) onConnection(s *socketio.Socket) {
	hs := s.Handshake()
	auth, _ := hs.Auth.(map[string]any)
	n.mu.Lock()
	idx := len(n.conns)
	n.conns = append(n.conns, Conn{Transport: hs.Transport, Parser: s.Parser().String(), Auth: auth, Open: true})
	n.mu.Unlock()
	s.OnDisconnect(func(*socketio.Socket, string) {
		n.mu.Lock()
		n.conns[idx].Open = false
		n.mu.Unlock()
	})
	s.OnAny(func(s *socketio.Socket, event string, args []any, ack func(...any)) {
		n.mu.Lock()
		n.events = append(n.events, event)
		n.mu.Unlock()
		if ack == nil {
			return
		}
		switch event {
		case "rooms.joinOrCreate", "rooms.create", "rooms.join", "rooms.joinById":
			target, _ := firstArg(args).(string)
			n.answer(s, target, ack)
		case "rooms.claim":
			m, _ := firstArg(args).(map[string]any)
			claim, _ := m["claim"].(string)
			n.mu.Lock()
			target, ok := n.claims[claim]
			delete(n.claims, claim)
			n.mu.Unlock()
			if !ok {
				ack(failure("claim_invalid", "unknown or used claim"))
				return
			}
			n.answer(s, target, ack)
		case "lobby.subscribe":
			ack(map[string]any{"ok": true})
			_ = s.Emit("lobby.rooms", []any{map[string]any{"roomId": "lobby-" + n.name, "name": "stub",
				"clients": int64(0), "maxClients": int64(8), "locked": false}})
		case "rooms.resume":
			m, _ := firstArg(args).(map[string]any)
			token, _ := m["token"].(string)
			n.resume(s, token, ack)
		default:
			ack(failure("unknown_event", event))
		}
	})
}

// answer answers a join or claim whose target is target.
func (n *node) answer(s *socketio.Socket, target string, ack func(...any)) {
	switch target {
	case "here":
		n.seat(s, "", ack)
	case "toB":
		ack(n.cl.redirect(NodeB, "here"))
	case "toC":
		ack(n.cl.redirect(NodeC, "here"))
	case "hop":
		ack(n.cl.redirect(NodeB, "toC"))
	case "loop":
		ack(n.cl.redirect(n.name, "loop"))
	case "badclaim":
		ack(map[string]any{"ok": false, "error": map[string]any{"code": "redirect", "message": "seat on B"},
			"redirect": map[string]any{"url": n.cl.URL(NodeB), "claim": "never-issued", "roomId": "room-B"}})
	case "toBnoclaim":
		if n.name == NodeB {
			n.seat(s, "", ack)
			return
		}
		ack(map[string]any{"ok": false, "error": map[string]any{"code": "redirect", "message": "ask B"},
			"redirect": map[string]any{"url": n.cl.URL(NodeB)}})
	case "unavailable":
		ack(failure("unavailable", "the cluster store is unreachable"))
	case "badurl":
		ack(map[string]any{"ok": false, "error": map[string]any{"code": "redirect", "message": "elsewhere"},
			"redirect": map[string]any{"url": "ftp://nowhere", "claim": "c"}})
	default:
		ack(failure("unknown_room_type", target))
	}
}

// redirect issues a claim on node to that answers as target there.
func (c *Cluster) redirect(to, target string) map[string]any {
	n := c.nodes[to]
	n.mu.Lock()
	n.next++
	claim := fmt.Sprintf("claim-%s-%d", to, n.next)
	n.claims[claim] = target
	n.mu.Unlock()
	return map[string]any{"ok": false, "error": map[string]any{"code": "redirect", "message": "the seat is on node " + to},
		"redirect": map[string]any{"url": n.url, "claim": claim, "roomId": "room-" + to}}
}

func (n *node) resume(s *socketio.Socket, token string, ack func(...any)) {
	owner, rest, ok := strings.Cut(token, ".")
	num, _, _ := strings.Cut(rest, ".")
	switch {
	case !ok:
		ack(failure("invalid_token", "no such seat"))
	case owner == n.name:
		n.seat(s, num, ack)
	case owner == "X" || (n.cl.nodes[owner] != nil && n.cl.nodes[owner].dead.Load()):
		ack(failure("node_gone", "the seat's node is gone"))
	case n.cl.nodes[owner] != nil:
		ack(map[string]any{"ok": false, "error": map[string]any{"code": "redirect", "message": "the seat is on node " + owner},
			"redirect": map[string]any{"url": n.cl.URL(owner)}})
	default:
		ack(failure("invalid_token", "no such seat"))
	}
}

// seat seats s on this node: as session number num, or a new one if
// num is "".
func (n *node) seat(s *socketio.Socket, num string, ack func(...any)) {
	n.mu.Lock()
	n.next++
	if num == "" {
		num = strconv.Itoa(n.next)
	}
	session := n.name + "-s" + num
	token := n.name + "." + num + "." + strconv.Itoa(n.next)
	n.seats = append(n.seats, session)
	n.mu.Unlock()
	ack(map[string]any{"ok": true, "roomId": "room-" + n.name, "sessionId": session, "token": token, "tickRate": int64(20), "name": "stub"})
	_ = s.Emit("msg", "seated", map[string]any{"node": n.name})
}

func failure(code, message string) map[string]any {
	return map[string]any{"ok": false, "error": map[string]any{"code": code, "message": message}}
}

func firstArg(args []any) any {
	if len(args) == 0 {
		return nil
	}
	return args[0]
}

// trackingListener remembers its connections so that StopNode can cut
// them (http.Server.Close leaves hijacked WebSockets open).
type trackingListener struct {
	net.Listener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.conns[c] = struct{}{}
	l.mu.Unlock()
	return c, nil
}

func (l *trackingListener) cutAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		_ = c.Close()
	}
	clear(l.conns)
}
