package clustertest_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/examples/arena"
	"github.com/roomcast/roomcast/internal/clustertest"
)

// Bounds of the cluster's failure handling (ARCHITECTURE.md, "Several
// nodes"): a node's heartbeat key lives heartbeatTTL after its last beat,
// and its rooms leave the listings within the TTL plus a beat. The tests
// wait for that plus slack for a busy 2-core machine.
const (
	heartbeatTTL = 5 * time.Second
	beat         = time.Second
	slack        = 14 * time.Second
	deadNodeGone = heartbeatTTL + beat + slack
	settle       = 30 * time.Second // a listing or lobby change on every node
)

// TestCluster runs three gameserver processes on one redis-server per
// subtest (one build of cmd/gameserver for all).
func TestCluster(t *testing.T) {
	bin := clustertest.Build(t)
	t.Run("1000 concurrent joinOrCreate fill exactly 125 rooms", func(t *testing.T) { testThousandJoins(t, bin) })
	t.Run("lobby of every node", func(t *testing.T) { testLobbyEverywhere(t, bin) })
	t.Run("resume through another node", func(t *testing.T) { testResumeElsewhere(t, bin) })
	t.Run("kill -9 of a node", func(t *testing.T) { testKilledNode(t, bin) })
	t.Run("redis restart", func(t *testing.T) { testRedisRestart(t, bin) })
}

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// closeAll closes the seats' connections when the test ends.
func closeAll(t *testing.T, seats ...*seat) {
	t.Cleanup(func() {
		for _, s := range seats {
			if s != nil {
				s.close()
			}
		}
	})
}

// create seats a player in a new arena room through node url and requires
// that the room is on that node (the caller's node has capacity).
func create(t *testing.T, ctx context.Context, url string) *seat {
	t.Helper()
	s, err := join(ctx, url, "rooms.create", arena.RoomType, map[string]any{})
	require.NoError(t, err)
	closeAll(t, s)
	require.Equal(t, url, s.node, "rooms.create through a node with capacity creates the room there")
	require.NoError(t, s.waitFrame(ctx))
	return s
}

// 1000 clients, spread over the three nodes, call rooms.joinOrCreate at
// once; half follow redirects by hand, half are Go bots (bots.Game). Seat
// counts live in Redis, changed only by atomic scripts: exactly 125 arena
// rooms of 8, every client seated (after at most a redirect) on the node
// the reply named, and every node holds exactly the rooms its clients were
// sent to.
func testThousandJoins(t *testing.T, bin string) {
	const (
		clients  = 1000
		wantRoom = clients / arena.MaxClients
		dialers  = 50 // connections opened at once
	)
	// 5 Hz keeps 125 rooms of state frames cheap for a busy machine.
	c := clustertest.Start(t, clustertest.Config{Bin: bin, Args: []string{"--tick-rate", "5", "--arena-mode", "bench"}})
	ctx := testContext(t, 5*time.Minute)

	// Connect everyone first, so the joins below race each other. Even
	// clients follow redirects by hand, odd ones are Go bots (bots.Game).
	players := make([]*player, clients)
	sem := make(chan struct{}, dialers)
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			p, err := connectPlayer(ctx, c.Nodes[i%len(c.Nodes)].URL, i%2 == 1)
			if err != nil {
				errs <- err
				return
			}
			players[i] = p
		})
	}
	wg.Wait()
	t.Cleanup(func() {
		for _, p := range players {
			if p != nil {
				p.close()
			}
		}
	})
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	// Every client asks at once; redirected clients claim on the named node.
	start := make(chan struct{})
	joinErrs := make(chan error, clients)
	for i, p := range players {
		wg.Go(func() {
			<-start
			if err := p.joinOrCreate(ctx); err != nil {
				joinErrs <- fmt.Errorf("client %d: %w", i, err)
			}
		})
	}
	began := time.Now()
	close(start)
	wg.Wait()
	t.Logf("1000 joinOrCreate took %v", time.Since(began))
	close(joinErrs)
	for err := range joinErrs {
		require.NoError(t, err)
	}

	// Exactly 125 rooms of 8; each room's players all on one node.
	roomNode := map[string]string{}
	perRoom := map[string]int{}
	redirected := 0
	for i, p := range players {
		perRoom[p.roomID]++
		require.NotEmpty(t, p.node, "client %d: no node named", i)
		if p.node != p.asked {
			redirected++
		}
		require.LessOrEqual(t, p.hops, 2, "client %d: one redirect at most (the reserve picks the room's node)", i)
		if n, ok := roomNode[p.roomID]; ok {
			require.Equal(t, n, p.node, "client %d: room %s seated on two nodes", i, p.roomID)
		}
		roomNode[p.roomID] = p.node
	}
	t.Logf("%d of %d clients were redirected", redirected, clients)
	notFull := map[string]int{}
	for id, n := range perRoom {
		if n != arena.MaxClients {
			notFull[id] = n
		}
	}
	require.Empty(t, notFull, "rooms (id: players) that are not full, of %d rooms", len(perRoom))
	require.Len(t, perRoom, wantRoom, "rooms")

	// Each node holds exactly the rooms the replies sent players to, and
	// every player receives state frames from it.
	roomsOn := map[string]int{}
	for _, n := range roomNode {
		roomsOn[n]++
	}
	for _, n := range c.Nodes {
		eventually(t, settle, "rooms of "+n.ID, func() error {
			m, err := n.Metrics(ctx)
			if err != nil {
				return err
			}
			if got := int(m["roomcast_rooms"]); got != roomsOn[n.URL] {
				return fmt.Errorf("%s has %d rooms, the replies sent players to %d", n.ID, got, roomsOn[n.URL])
			}
			return nil
		})
	}
	for i, p := range players {
		require.NoError(t, p.waitFrame(ctx), "client %d", i)
	}

	// Every node lists the same 125 full rooms.
	for _, n := range c.Nodes {
		lister, err := dial(ctx, n.URL)
		require.NoError(t, err)
		eventuallyEvery(t, settle, listPoll, "rooms.list on "+n.ID, func() error {
			rooms, err := listAll(ctx, lister)
			if err != nil {
				return err
			}
			if len(rooms) != wantRoom {
				var missing []string
				for id := range perRoom {
					if _, ok := rooms[id]; !ok {
						missing = append(missing, fmt.Sprintf("%s on %s, in Redis: %v", id, roomNode[id], c.RedisKeys(ctx, id)))
					}
				}
				return fmt.Errorf("%d rooms listed; missing: %v", len(rooms), missing)
			}
			for id, r := range rooms {
				if perRoom[id] == 0 || r.Clients != arena.MaxClients || r.MaxClients != arena.MaxClients {
					return fmt.Errorf("listing %+v", r)
				}
			}
			return nil
		})
		lister.close()
	}
	c.CheckAlive()
}

// Lobby subscribers on every node see rooms on every node appear, change
// (a player joins through another node) and disappear (everyone leaves).
func testLobbyEverywhere(t *testing.T, bin string) {
	c := clustertest.Start(t, clustertest.Config{Bin: bin})
	ctx := testContext(t, 3*time.Minute)
	lobbies := make([]*lobby, len(c.Nodes))
	for i, n := range c.Nodes {
		lobbies[i] = subscribeLobby(t, ctx, n.URL)
	}

	owners := make([]*seat, len(c.Nodes))
	for i, n := range c.Nodes {
		owners[i] = create(t, ctx, n.URL)
	}
	ids := make([]string, len(owners))
	for i, s := range owners {
		ids[i] = s.roomID
	}
	waitLobbies(t, lobbies, "three rooms, one player each", func(rooms map[string]int) bool {
		return len(rooms) == 3 && rooms[ids[0]] == 1 && rooms[ids[1]] == 1 && rooms[ids[2]] == 1
	})

	// Change: a second player joins node2's room through node1.
	guest, err := join(ctx, c.Nodes[0].URL, "rooms.joinById", ids[1], map[string]any{})
	require.NoError(t, err)
	closeAll(t, guest)
	require.Equal(t, c.Nodes[1].URL, guest.node, "seated on the room's node")
	require.Equal(t, []string{c.Nodes[0].URL, c.Nodes[1].URL}, guest.hops, "redirected once")
	require.NoError(t, guest.waitFrame(ctx))
	waitLobbies(t, lobbies, "node2's room with two players", func(rooms map[string]int) bool {
		return len(rooms) == 3 && rooms[ids[1]] == 2
	})

	// Disappear: everyone leaves, the rooms are disposed.
	for _, s := range append(owners, guest) {
		a, err := s.request(ctx, "rooms.leave")
		require.NoError(t, err)
		require.True(t, a.ok(), "rooms.leave: %v", a)
	}
	waitLobbies(t, lobbies, "no room", func(rooms map[string]int) bool { return len(rooms) == 0 })
	for _, l := range lobbies {
		_, removed := l.snapshot()
		for _, id := range ids {
			require.Contains(t, removed, id, "lobby of %s: lobby.remove of %s", l.node, id)
		}
	}
	c.CheckAlive()
}

// waitLobbies waits until every lobby's rooms (id → clients) satisfy ok.
func waitLobbies(t *testing.T, lobbies []*lobby, what string, ok func(map[string]int) bool) {
	t.Helper()
	for _, l := range lobbies {
		eventually(t, settle, "lobby of "+l.node+": "+what, func() error {
			rooms, _ := l.snapshot()
			counts := map[string]int{}
			for id, r := range rooms {
				counts[id] = r.Clients
			}
			if !ok(counts) {
				return fmt.Errorf("lobby shows %v", counts)
			}
			return nil
		})
	}
}

// A reconnection token presented to another node is redirected (no
// claim) to the node holding the seat, where the same rooms.resume takes
// the seat back.
func testResumeElsewhere(t *testing.T, bin string) {
	c := clustertest.Start(t, clustertest.Config{Bin: bin})
	ctx := testContext(t, 3*time.Minute)
	owner := create(t, ctx, c.Nodes[0].URL)
	owner.close() // the seat is held for the reconnect grace

	other, err := dial(ctx, c.Nodes[1].URL)
	require.NoError(t, err)
	defer other.close()
	a, err := other.request(ctx, "rooms.resume", map[string]any{"token": owner.token})
	require.NoError(t, err)
	require.Equal(t, codeRedirect, a.code(), "resume on node2 of a seat on node1: %v", a)
	to, claim, _ := a.redirect()
	require.Equal(t, c.Nodes[0].URL, to, "the redirect names the seat's node")
	require.Empty(t, claim, "a resume redirect carries no claim")

	home, err := dial(ctx, to)
	require.NoError(t, err)
	defer home.close()
	a, err = home.request(ctx, "rooms.resume", map[string]any{"token": owner.token})
	require.NoError(t, err)
	require.True(t, a.ok(), "resume on the seat's node: %v", a)
	require.Equal(t, owner.roomID, a.str("roomId"))
	require.Equal(t, owner.sessionID, a.str("sessionId"), "the same seat")
	require.NotEqual(t, owner.token, a.str("token"), "a fresh token")
	require.NoError(t, home.waitFrame(ctx))

	// The Go bots do the same by themselves: a token given to node3 comes
	// back seated on node1.
	second := create(t, ctx, c.Nodes[0].URL)
	second.close()
	g, err := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: c.Nodes[2].URL, AckTimeout: requestTimout}})
	require.NoError(t, err)
	defer g.Close()
	frames := make(chan struct{}, 1)
	g.OnState(func(string, uint64) {
		select {
		case frames <- struct{}{}:
		default:
		}
	})
	require.NoError(t, g.Connect(ctx))
	jr, err := g.Resume(ctx, second.token)
	require.NoError(t, err)
	require.Equal(t, c.Nodes[0].URL, jr.URL, "bots.Game resumed on the seat's node")
	require.Equal(t, second.sessionID, jr.SessionID)
	select {
	case <-frames:
	case <-ctx.Done():
		t.Fatal("bots.Game: no state frame after the resume")
	}
	c.CheckAlive()
}

// kill -9 of a node: within the heartbeat TTL (plus a beat) its rooms
// leave every other node's listing and lobby, resumes of its seats answer
// node_gone, and no join is sent to it; the other nodes' rooms stay.
func testKilledNode(t *testing.T, bin string) {
	c := clustertest.Start(t, clustertest.Config{Bin: bin})
	ctx := testContext(t, 3*time.Minute)
	alive, victim := c.Nodes[:2], c.Nodes[2]
	lobbies := []*lobby{subscribeLobby(t, ctx, alive[0].URL), subscribeLobby(t, ctx, alive[1].URL)}

	control := create(t, ctx, alive[0].URL)
	doomed := []*seat{create(t, ctx, victim.URL), create(t, ctx, victim.URL)}
	waitLobbies(t, lobbies, "three rooms", func(rooms map[string]int) bool {
		return len(rooms) == 3 && rooms[control.roomID] == 1 && rooms[doomed[0].roomID] == 1 && rooms[doomed[1].roomID] == 1
	})

	victim.Kill()
	killed := time.Now()
	gone := func(rooms map[string]int) bool {
		_, a := rooms[doomed[0].roomID]
		_, b := rooms[doomed[1].roomID]
		return !a && !b && rooms[control.roomID] == 1
	}
	for _, l := range lobbies {
		eventually(t, deadNodeGone, "lobby of "+l.node+" drops the dead node's rooms", func() error {
			rooms, _ := l.snapshot()
			counts := map[string]int{}
			for id, r := range rooms {
				counts[id] = r.Clients
			}
			if !gone(counts) {
				return fmt.Errorf("lobby shows %v", counts)
			}
			return nil
		})
	}
	t.Logf("the dead node's rooms left the lobbies %v after kill -9 (heartbeat TTL %v)", time.Since(killed).Round(10*time.Millisecond), heartbeatTTL)
	for _, n := range alive {
		lister, err := dial(ctx, n.URL)
		require.NoError(t, err)
		eventuallyEvery(t, deadNodeGone, listPoll, "rooms.list on "+n.ID, func() error {
			rooms, err := listAll(ctx, lister)
			if err != nil {
				return err
			}
			counts := map[string]int{}
			for id, r := range rooms {
				counts[id] = r.Clients
			}
			if !gone(counts) {
				return fmt.Errorf("listed %v", counts)
			}
			return nil
		})

		// Its seats: node_gone, not a redirect to a dead URL; the Go bots
		// report it as bots.ErrNodeGone.
		for _, s := range doomed {
			a, err := lister.request(ctx, "rooms.resume", map[string]any{"token": s.token})
			require.NoError(t, err)
			require.Equal(t, codeNodeGone, a.code(), "resume on %s of a seat on the dead node: %v", n.ID, a)
		}
		g, err := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: n.URL, AckTimeout: requestTimout}})
		require.NoError(t, err)
		require.NoError(t, g.Connect(ctx))
		_, err = g.Resume(ctx, doomed[0].token)
		require.ErrorIs(t, err, bots.ErrNodeGone, "bots.Game resume on %s of a seat on the dead node", n.ID)
		_ = g.Close()
		// Its rooms: no seat.
		for _, s := range doomed {
			j, err := join(ctx, n.URL, "rooms.joinById", s.roomID, map[string]any{})
			if j != nil {
				j.close()
			}
			require.Error(t, err, "joinById on %s of a dead node's room", n.ID)
			require.Contains(t, []string{"room_not_found", codeNodeGone}, errCode(err), "joinById on %s of a dead node's room: %v", n.ID, err)
		}
		lister.close()
	}
	// Matchmaking fills the live room and never sends anyone to the dead node.
	for i := range 2 * arena.MaxClients {
		s, err := join(ctx, alive[i%2].URL, "rooms.joinOrCreate", arena.RoomType, map[string]any{})
		require.NoError(t, err, "joinOrCreate %d after the kill", i)
		closeAll(t, s)
		require.NotContains(t, s.hops, victim.URL, "joinOrCreate %d sent to the dead node", i)
		require.NotContains(t, []string{doomed[0].roomID, doomed[1].roomID}, s.roomID)
	}
	c.CheckAlive()
}

// A Redis restart (no persistence: every key is gone) while rooms play:
// the nodes re-register and re-publish their rooms; every node lists them
// again, no lobby removes a live room, the players' frames never stop (game
// traffic does not cross Redis), matchmaking fills the live rooms again,
// and no node crashes.
func testRedisRestart(t *testing.T, bin string) {
	c := clustertest.Start(t, clustertest.Config{Bin: bin})
	ctx := testContext(t, 3*time.Minute)
	lobbies := make([]*lobby, len(c.Nodes))
	for i, n := range c.Nodes {
		lobbies[i] = subscribeLobby(t, ctx, n.URL)
	}
	owners := make([]*seat, len(c.Nodes))
	live := map[string]bool{}
	for i, n := range c.Nodes {
		owners[i] = create(t, ctx, n.URL)
		live[owners[i].roomID] = true
	}
	allLive := func(rooms map[string]int) error {
		for id := range live {
			if rooms[id] < 1 {
				return fmt.Errorf("live room %s missing from %v", id, rooms)
			}
		}
		return nil
	}
	waitLobbies(t, lobbies, "three rooms", func(rooms map[string]int) bool { return allLive(rooms) == nil })

	c.Redis.Restart()
	restarted := time.Now()
	framesAt := make([]int64, len(owners))
	for i, s := range owners {
		framesAt[i] = s.frames.Load()
	}

	for _, n := range c.Nodes {
		lister, err := dial(ctx, n.URL)
		require.NoError(t, err)
		eventuallyEvery(t, settle, listPoll, "rooms.list on "+n.ID+" after the restart", func() error {
			rooms, err := listAll(ctx, lister)
			if err != nil {
				return err
			}
			counts := map[string]int{}
			for id, r := range rooms {
				counts[id] = r.Clients
			}
			return allLive(counts)
		})
		lister.close()
	}
	t.Logf("every node lists every live room %v after the restart", time.Since(restarted).Round(10*time.Millisecond))

	// Joins work again (a node may answer "unavailable" until it has
	// re-registered) and land in the live rooms: their seat counts were
	// re-published, so no new room is made while they have free seats.
	var joined []*seat
	eventuallyEvery(t, settle, 250*time.Millisecond, "joinOrCreate after the restart", func() error {
		s, err := join(ctx, c.Nodes[1].URL, "rooms.joinOrCreate", arena.RoomType, map[string]any{})
		if err != nil {
			return err
		}
		joined = append(joined, s)
		return nil
	})
	closeAll(t, joined...)
	for range 2 {
		s, err := join(ctx, c.Nodes[2].URL, "rooms.joinOrCreate", arena.RoomType, map[string]any{})
		require.NoError(t, err)
		closeAll(t, s)
		joined = append(joined, s)
	}
	for _, s := range joined {
		require.True(t, live[s.roomID], "joinOrCreate after the restart made room %s though live rooms had free seats", s.roomID)
		require.NoError(t, s.waitFrame(ctx))
	}

	// The players play on: they move, and their rooms send the changes.
	for i, s := range owners {
		seq := 0
		eventually(t, settle, fmt.Sprintf("frames of player %d after the restart", i), func() error {
			seq++
			if err := s.cli.Emit("input", seq, map[string]any{"dx": 1, "dy": 0}); err != nil {
				return err
			}
			if s.frames.Load() <= framesAt[i] {
				return fmt.Errorf("no frame since the restart (%d inputs sent)", seq)
			}
			return nil
		})
	}
	for _, l := range lobbies {
		rooms, removed := l.snapshot()
		for id := range live {
			require.False(t, slices.Contains(removed, id), "lobby of %s removed live room %s", l.node, id)
			require.Contains(t, rooms, id, "lobby of %s", l.node)
		}
	}
	c.CheckAlive()
}
