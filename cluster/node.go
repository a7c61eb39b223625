package cluster

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/roomcast/roomcast/rooms"
)

// Defaults of Config.
const (
	DefaultPrefix   = "roomcast"
	DefaultBeat     = time.Second
	DefaultTTL      = 5 * time.Second
	DefaultClaimTTL = 10 * time.Second
	// DefaultRedisTimeout bounds one Redis round trip: a node cut off
	// from Redis answers joins with unavailable after it.
	DefaultRedisTimeout = time.Second
	// openScan is how many open rooms of a type the reserve script looks
	// at for a match.
	openScan = 200
	// sweepBatch is the most expired claims one beat gives back.
	sweepBatch = 1000
	// republishBatch is how many rooms one republish script carries.
	republishBatch = 100
)

// Config configures a Node.
type Config struct {
	// RedisURL is redis://[user:password@]host:port/db (or rediss://).
	// Required.
	RedisURL string
	// NodeID names this node (letters, digits, '-' and '_', at most 32).
	// Default: 8 random characters.
	NodeID string
	// URL is this node's base URL as clients reach it
	// (http://10.0.0.5:2567): redirects send clients there. Required by
	// Start (SetURL sets it once the listen address is known).
	URL string
	// Prefix starts every Redis key and channel. Default "roomcast".
	Prefix string
	// Beat is the heartbeat period; TTL how long the heartbeat key lives
	// (several beats: one missed beat hides nothing). Defaults 1 s, 5 s.
	Beat, TTL time.Duration
	// ClaimTTL is how long a redirected client has to claim its seat
	// before the seat comes back. Default 10 s.
	ClaimTTL time.Duration
	// RedisTimeout bounds one Redis round trip. Default 1 s.
	RedisTimeout time.Duration
	// Logger gets Redis outages and recoveries. Default slog.Default().
	Logger *slog.Logger
}

var nodeIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// ValidNodeID reports whether id can name a node.
func ValidNodeID(id string) bool { return nodeIDPattern.MatchString(id) }

func (c Config) withDefaults() Config {
	if c.NodeID == "" {
		c.NodeID = randomToken(6)
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.Beat == 0 {
		c.Beat = DefaultBeat
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.ClaimTTL == 0 {
		c.ClaimTTL = DefaultClaimTTL
	}
	if c.RedisTimeout == 0 {
		c.RedisTimeout = DefaultRedisTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Node is one node of a cluster: a rooms.Directory on Redis. Create it
// with New, give it to rooms.Config.Directory, then Start it; Close it
// after the rooms server's Shutdown.
type Node struct {
	cfg     Config
	rdb     *redis.Client
	scripts *scripts
	log     *slog.Logger
	cmds    atomic.Uint64 // Redis commands sent
	local   rooms.LocalRooms

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	ops    opQueue

	draining  atomic.Bool
	republish atomic.Bool // publish every room again at the next beat
	healthy   atomic.Bool // the last Redis call of the beat succeeded
	// registered: a beat of this process succeeded (the first one drops
	// what a previous process of the same id left).
	registered atomic.Bool
	beatDone   chan struct{}
	closeOnce  sync.Once
}

var _ rooms.Directory = (*Node)(nil)

// New checks cfg and connects lazily (the first beat is in Start).
func New(cfg Config) (*Node, error) {
	cfg = cfg.withDefaults()
	switch {
	case cfg.RedisURL == "":
		return nil, errors.New("cluster: Config.RedisURL is required")
	case !ValidNodeID(cfg.NodeID):
		return nil, fmt.Errorf("cluster: node id %q: use 1..32 letters, digits, '-' or '_'", cfg.NodeID)
	case cfg.Beat < 0 || cfg.TTL < 2*cfg.Beat:
		return nil, fmt.Errorf("cluster: TTL %v must be at least two beats (%v)", cfg.TTL, cfg.Beat)
	case cfg.ClaimTTL < 0 || cfg.RedisTimeout < 0:
		return nil, errors.New("cluster: negative ClaimTTL or RedisTimeout")
	}
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("cluster: --redis %q: %w", cfg.RedisURL, err)
	}
	opts.DialTimeout = cfg.RedisTimeout
	opts.ReadTimeout = cfg.RedisTimeout
	opts.WriteTimeout = cfg.RedisTimeout
	// A script whose answer was lost is never run again blindly: reserve
	// answers the same on a second run, and the others are retried by the
	// ordered queue.
	opts.MaxRetries = -1
	// Every call's context bounds it, dials included (a join waits at most
	// its own deadline, the node's own work Config.RedisTimeout).
	opts.ContextTimeoutEnabled = true
	ctx, cancel := context.WithCancel(context.Background())
	n := &Node{
		cfg: cfg, rdb: redis.NewClient(opts), scripts: newScripts(), log: cfg.Logger.With("node", cfg.NodeID),
		ctx: ctx, cancel: cancel, beatDone: make(chan struct{}),
	}
	n.ops.wake = make(chan struct{}, 1)
	n.ops.emptied = make(chan struct{}, 1)
	n.rdb.AddHook(commandCounter{&n.cmds})
	return n, nil
}

// NodeID implements rooms.Directory.
func (n *Node) NodeID() string { return n.cfg.NodeID }

// URL is this node's public URL.
func (n *Node) URL() string { return n.cfg.URL }

// SetURL sets this node's public URL (before Start).
func (n *Node) SetURL(url string) { n.cfg.URL = url }

// Commands is the number of Redis commands this node sent.
func (n *Node) Commands() uint64 { return n.cmds.Load() }

// Healthy reports whether the last heartbeat reached Redis.
func (n *Node) Healthy() bool { return n.healthy.Load() }

// Bind implements rooms.Directory.
func (n *Node) Bind(l rooms.LocalRooms) { n.local = l }

// Start registers the node (first heartbeat, best effort) and starts the
// heartbeat, the queue of writes and the lobby subscription.
func (n *Node) Start() error {
	if n.local == nil {
		return errors.New("cluster: Start before rooms.NewServer bound the node")
	}
	if n.cfg.URL == "" {
		return errors.New("cluster: Start without this node's public URL (Config.URL or SetURL)")
	}
	n.beat()
	n.wg.Add(3)
	go func() { defer n.wg.Done(); n.beatLoop() }()
	go func() { defer n.wg.Done(); n.runOps() }()
	go func() { defer n.wg.Done(); n.runLobby() }()
	return nil
}

// Drain stops new rooms and seats here (other nodes see the node as
// draining at once); the rooms go on and stay listed.
func (n *Node) Drain() {
	n.draining.Store(true)
	n.beat()
}

// Close deregisters the node (its rooms leave the lists at once) and
// stops it. Call it after the rooms server's Shutdown.
func (n *Node) Close() error {
	var err error
	n.closeOnce.Do(func() {
		n.ops.waitEmpty(2 * n.cfg.RedisTimeout)
		n.cancel()
		n.wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), n.cfg.RedisTimeout)
		defer cancel()
		if e := n.scripts.deregister.Run(ctx, n.rdb, nil, n.cfg.Prefix, n.cfg.NodeID).Err(); e != nil {
			err = fmt.Errorf("cluster: deregistering node %s: %w", n.cfg.NodeID, e)
		}
		if e := n.rdb.Close(); e != nil && err == nil {
			err = fmt.Errorf("cluster: closing the Redis client: %w", e)
		}
	})
	return err
}

// StopHeartbeat stops beating without deregistering (as if the process
// were killed), for tests of a dead node.
func (n *Node) StopHeartbeat() {
	n.cancel()
	n.wg.Wait()
}

// run runs a script, within ctx's deadline (a client's request: rooms
// gives it a few seconds, so a burst of joins waits for a pooled
// connection) or else within Config.RedisTimeout (the node's own work).
func (n *Node) run(ctx context.Context, s *redis.Script, args ...any) *redis.Cmd {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, n.cfg.RedisTimeout)
		defer cancel()
	}
	return s.Run(ctx, n.rdb, nil, append([]any{n.cfg.Prefix, n.cfg.NodeID}, args...)...)
}

// unavailable is the answer to a client while Redis cannot be reached.
func unavailable(err error) error {
	return &rooms.Error{Code: rooms.CodeUnavailable, Message: "the cluster directory is unreachable, try again: " + err.Error()}
}

// Reserve implements rooms.Directory.
func (n *Node) Reserve(ctx context.Context, req rooms.Reservation) (rooms.Placement, error) {
	mode := scriptMode(req.Mode)
	if mode == "" {
		return rooms.Placement{}, &rooms.Error{Code: rooms.CodeBadRequest, Message: "unknown join mode"}
	}
	joinOpts, err := encodeOptions(req.JoinOptions)
	if err != nil {
		return rooms.Placement{}, &rooms.Error{Code: rooms.CodeBadRequest, Message: err.Error()}
	}
	var createOpts, fm string
	created := time.Now()
	if req.Create {
		if createOpts, err = encodeOptions(req.CreateOptions); err != nil {
			return rooms.Placement{}, &rooms.Error{Code: rooms.CodeBadRequest, Message: err.Error()}
		}
		fm = encodeFM(req.Metadata)
	}
	token := randomToken(18)
	res, err := n.run(ctx, n.scripts.reserve, mode, req.Name, req.RoomID, encodeFilter(req.Filter), flag(req.Create),
		req.NewRoomID, req.MaxClients, flag(req.Private), fm, createOpts, created.UnixNano(), token,
		n.cfg.ClaimTTL.Milliseconds(), joinOpts, openScan).Slice()
	if err != nil {
		// The answer may be lost after the script ran: undo it (in order,
		// retried until Redis answers).
		n.ops.push(op{kind: opCancel, id: token})
		return rooms.Placement{}, unavailable(err)
	}
	return n.placement(res, req, token)
}

// scriptMode is the reserve script's name of a join mode ("" if none).
func scriptMode(m rooms.JoinMode) string {
	switch m {
	case rooms.JoinByID:
		return "id"
	case rooms.JoinExisting:
		return "join"
	case rooms.JoinOrCreate:
		return "joc"
	case rooms.Create:
		return "create"
	}
	return ""
}

func (n *Node) placement(res []any, req rooms.Reservation, token string) (rooms.Placement, error) {
	status, _ := at(res, 0)
	switch status {
	case "self", "remote":
	case "notfound":
		if req.Mode == rooms.JoinByID {
			return rooms.Placement{}, &rooms.Error{Code: rooms.CodeRoomNotFound, Message: fmt.Sprintf("no room %q", req.RoomID)}
		}
		return rooms.Placement{}, &rooms.Error{Code: rooms.CodeRoomNotFound, Message: fmt.Sprintf("no %q room to join with these options", req.Name)}
	case "create":
		return rooms.Placement{}, rooms.ErrNeedCreate
	case "full":
		return rooms.Placement{}, &rooms.Error{Code: rooms.CodeRoomFull, Message: fmt.Sprintf("room %q is full", req.RoomID)}
	case "locked":
		return rooms.Placement{}, &rooms.Error{Code: rooms.CodeRoomLocked, Message: fmt.Sprintf("room %q is locked", req.RoomID)}
	case "nocap":
		return rooms.Placement{}, &rooms.Error{Code: rooms.CodeCreateFailed, Message: "no node of the cluster takes another room"}
	case "nonode":
		n.republish.Store(true)
		return rooms.Placement{}, unavailable(errors.New("this node is not registered yet"))
	default:
		return rooms.Placement{}, unavailable(fmt.Errorf("reserve answered %q", status))
	}
	p := rooms.Placement{}
	p.RoomID, _ = at(res, 1)
	p.NodeID, _ = at(res, 2)
	p.URL, _ = at(res, 3)
	p.Name, _ = at(res, 4)
	opts, _ := at(res, 5)
	created, _ := at(res, 6)
	if status == "remote" {
		p.Claim = token
		if p.URL == "" {
			return rooms.Placement{}, unavailable(errors.New("the room's node has no URL"))
		}
		return p, nil
	}
	var err error
	if p.CreateOptions, err = decodeOptions([]byte(opts)); err != nil {
		n.Release(p.RoomID)
		return rooms.Placement{}, &rooms.Error{Code: rooms.CodeInternal, Message: err.Error()}
	}
	p.Created = parseNanos(created)
	return p, nil
}

// Claim implements rooms.Directory.
func (n *Node) Claim(ctx context.Context, claim string) (rooms.Placement, error) {
	if len(claim) > 64 {
		return rooms.Placement{}, &rooms.Error{Code: rooms.CodeClaimInvalid, Message: "unknown claim"}
	}
	res, err := n.run(ctx, n.scripts.claim, claim).Slice()
	if err != nil {
		return rooms.Placement{}, unavailable(err)
	}
	if s, _ := at(res, 0); s != "ok" {
		return rooms.Placement{}, &rooms.Error{Code: rooms.CodeClaimInvalid, Message: "unknown, used or expired claim, or a claim for another node"}
	}
	p := rooms.Placement{NodeID: n.cfg.NodeID}
	p.RoomID, _ = at(res, 1)
	p.Name, _ = at(res, 2)
	createOpts, _ := at(res, 3)
	created, _ := at(res, 4)
	joinOpts, _ := at(res, 5)
	p.Created = parseNanos(created)
	if p.CreateOptions, err = decodeOptions([]byte(createOpts)); err == nil {
		p.JoinOptions, err = decodeOptions([]byte(joinOpts))
	}
	if err != nil {
		n.Release(p.RoomID)
		return rooms.Placement{}, &rooms.Error{Code: rooms.CodeInternal, Message: err.Error()}
	}
	return p, nil
}

// Release implements rooms.Directory.
func (n *Node) Release(roomID string) { n.ops.push(op{kind: opRelease, id: roomID}) }

// DisposeIfEmpty implements rooms.Directory.
func (n *Node) DisposeIfEmpty(roomID string, done func(bool)) {
	n.ops.push(op{kind: opDispose, id: roomID, done: done})
}

// NodeURL implements rooms.Directory.
func (n *Node) NodeURL(ctx context.Context, nodeID string) (string, error) {
	url, err := n.run(ctx, n.scripts.nodeURL, nodeID).Text()
	if errors.Is(err, redis.Nil) {
		return "", &rooms.Error{Code: rooms.CodeNodeGone, Message: fmt.Sprintf("node %s, which held the seat, is gone", nodeID)}
	}
	if err != nil {
		return "", unavailable(err)
	}
	return url, nil
}

// Put implements rooms.Registry (queued).
func (n *Node) Put(_ context.Context, l rooms.Listing) error {
	enc, err := encodeListing(l, n.cfg.NodeID)
	if err != nil {
		return err
	}
	n.ops.push(op{kind: opPut, id: l.ID, listing: enc, locked: l.Locked, private: l.Private, fm: encodeFM(l.Metadata)})
	return nil
}

// Remove implements rooms.Registry (queued).
func (n *Node) Remove(_ context.Context, roomID string) error {
	n.ops.push(op{kind: opRemove, id: roomID})
	return nil
}

// Get implements rooms.Registry.
func (n *Node) Get(ctx context.Context, roomID string) (rooms.Listing, error) {
	ls, err := n.listings(ctx, roomID)
	if err != nil {
		return rooms.Listing{}, err
	}
	if len(ls) == 0 {
		return rooms.Listing{}, rooms.ErrRoomNotFound
	}
	return ls[0].Listing, nil
}

// List implements rooms.Registry: the listed rooms of every live node.
func (n *Node) List(ctx context.Context, q rooms.Query) ([]rooms.Listing, error) {
	all, err := n.listings(ctx, "")
	if err != nil {
		return nil, err
	}
	out := make([]rooms.Listing, 0, len(all))
	for i := range all {
		if q.Match(&all[i].Listing) {
			out = append(out, all[i].Listing)
		}
	}
	// Redis orders by milliseconds: oldest first to the nanosecond, then
	// by id, as the Registry contract (and rooms.list's cursors) want.
	slices.SortFunc(out, func(a, b rooms.Listing) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

func (n *Node) listings(ctx context.Context, one string) ([]storedListing, error) {
	res, err := n.run(ctx, n.scripts.list, one).StringSlice()
	if err != nil {
		return nil, unavailable(err)
	}
	out := make([]storedListing, 0, len(res))
	for _, b := range res {
		l, err := decodeListing([]byte(b))
		if err != nil {
			n.log.Warn("cluster: skipping a malformed listing", "err", err)
			continue
		}
		out = append(out, l)
	}
	return out, nil
}

// beatLoop beats every Config.Beat until Close.
func (n *Node) beatLoop() {
	t := time.NewTicker(n.cfg.Beat)
	defer t.Stop()
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-t.C:
			n.beat()
		}
	}
}

// beat renews the heartbeat (and sweeps); it publishes every room again
// when Redis had lost the node.
func (n *Node) beat() {
	existed, err := n.run(n.ctx, n.scripts.beat, n.cfg.URL, n.local.Capacity(), flag(n.draining.Load()),
		n.cfg.TTL.Milliseconds(), sweepBatch, flag(!n.registered.Load())).Int()
	if err != nil {
		if n.healthy.Swap(false) {
			n.log.Warn("cluster: Redis unreachable; joins answer unavailable until it is back", "err", err)
		}
		return
	}
	n.registered.Store(true)
	if !n.healthy.Swap(true) {
		n.log.Info("cluster: node registered", "url", n.cfg.URL)
	}
	if existed == 0 || n.republish.Swap(false) {
		if err := n.publishAll(); err != nil {
			n.republish.Store(true)
			n.log.Warn("cluster: publishing the rooms again failed", "err", err)
		}
	}
}

// publishAll writes every local room's record and listing again.
func (n *Node) publishAll() error {
	placed := n.local.Placed()
	for len(placed) > 0 {
		batch := placed[:min(len(placed), republishBatch)]
		placed = placed[len(batch):]
		args := make([]any, 0, 10*len(batch))
		for _, p := range batch {
			l := p.Listing
			enc, err := encodeListing(l, n.cfg.NodeID)
			if err != nil {
				return err
			}
			opts, err := encodeOptions(p.CreateOptions)
			if err != nil {
				return err
			}
			args = append(args, l.ID, l.Name, p.Seats, l.MaxClients, flag(l.Locked), flag(l.Private),
				encodeFM(l.Metadata), opts, l.CreatedAt.UnixNano(), enc)
		}
		if err := n.run(n.ctx, n.scripts.republish, args...).Err(); err != nil {
			return fmt.Errorf("cluster: republish: %w", err)
		}
	}
	return nil
}

// runLobby feeds the local lobby with the other nodes' listing changes.
// Messages published while the subscription was down (a Redis restart,
// a cut-off) are lost, so on every resubscription it reads every listing
// back, and two beats later (when the other nodes have published their
// rooms again after a Redis restart) it reads them back once more and
// removes every other node's room the lobby holds that Redis no longer
// lists (one disposed during the gap). Messages and read-backs run on
// this one goroutine, so a room listed after a read-back is never taken
// for a stale one.
func (n *Node) runLobby() {
	ps := n.rdb.Subscribe(n.ctx, n.cfg.Prefix+":lobby")
	defer ps.Close()
	ch := ps.ChannelWithSubscriptions()
	// remote: the other nodes' rooms this node's lobby holds.
	remote := map[string]struct{}{}
	subscriptions := 0
	var prune <-chan time.Time
	for {
		select {
		case <-n.ctx.Done():
			return
		case <-prune:
			prune = nil
			if !n.resyncLobby(remote, true) {
				prune = time.After(n.cfg.Beat) // Redis did not answer: again
			}
		case v, ok := <-ch:
			if !ok {
				return
			}
			switch msg := v.(type) {
			case *redis.Subscription:
				if msg.Kind != "subscribe" {
					continue
				}
				// The first time too: the rooms listed before this node
				// subscribed are held by its lobby's subscribers.
				n.resyncLobby(remote, false)
				if subscriptions++; subscriptions > 1 {
					n.log.Info("cluster: lobby subscription back; read every listing again")
					prune = time.After(2 * n.cfg.Beat)
				}
			case *redis.Message:
				m, err := decodeLobbyMessage([]byte(msg.Payload))
				if err != nil {
					n.log.Warn("cluster: malformed lobby message", "err", err)
					continue
				}
				if m.node == n.cfg.NodeID {
					continue // this node's lobby saw it first hand
				}
				if m.removed != "" {
					delete(remote, m.removed)
					n.local.ListingRemoved(m.removed)
				} else {
					remote[m.listing.ID] = struct{}{}
					n.local.ListingChanged(m.listing.Listing)
				}
			}
		}
	}
}

// resyncLobby feeds the local lobby every other node's listing as Redis
// has it now and records them in remote; with prune it also removes from
// the lobby (and remote) every room of remote that Redis no longer lists.
// It reports whether Redis answered.
func (n *Node) resyncLobby(remote map[string]struct{}, prune bool) bool {
	if n.ctx.Err() != nil {
		return true
	}
	ls, err := n.listings(n.ctx, "")
	if err != nil {
		n.log.Warn("cluster: reading the listings back for the lobby failed", "err", err)
		return false
	}
	listed := make(map[string]struct{}, len(ls))
	for _, l := range ls {
		if l.node == n.cfg.NodeID {
			continue
		}
		listed[l.ID] = struct{}{}
		remote[l.ID] = struct{}{}
		n.local.ListingChanged(l.Listing)
	}
	if prune {
		for id := range remote {
			if _, ok := listed[id]; !ok {
				delete(remote, id)
				n.local.ListingRemoved(id)
			}
		}
	}
	return true
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func at(res []any, i int) (string, bool) {
	if i >= len(res) {
		return "", false
	}
	s, ok := res[i].(string)
	return s, ok
}

func parseNanos(s string) time.Time {
	var ns int64
	if _, err := fmt.Sscan(s, &ns); err != nil || ns <= 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("cluster: random source failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// commandCounter counts the commands the client sends.
type commandCounter struct{ n *atomic.Uint64 }

func (c commandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}

func (c commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(uint64(len(cmds)))
		return next(ctx, cmds)
	}
}
