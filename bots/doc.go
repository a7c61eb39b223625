// Package bots is a Go client for roomcast servers and the bot swarm that
// loads them like real players.
//
// The client layers are:
//
//   - Engine.IO v4 (engine.go, ws.go, polling.go): WebSocket through the gws
//     client, HTTP long-polling through net/http, and polling followed by an
//     upgrade to WebSocket (2probe/3probe/5), with the server-driven
//     heartbeat (the client answers pings and closes itself when none came
//     for pingInterval+pingTimeout).
//   - Socket.IO v5 (client.go): one namespace per Client, CONNECT with auth,
//     Emit, EmitWithAck, On handlers, both wire parsers (codec/socketio).
//   - The game protocol (game.go): matchmaking calls, inputs with sequence
//     numbers, the state mirror from sync/, input-ack latency, lobby, and
//     automatic rooms.resume after a dropped connection.
//   - Several nodes (redirect.go): a join or resume answered with a
//     redirect is followed by itself: a new connection to the named node
//     with the same options (a path in its URL is a reverse proxy's prefix,
//     put before Config.Path, as in Config.URL), rooms.claim({claim}) for a join, the same
//     rooms.resume for a resume, at most MaxRedirects per call; the first
//     connection is then closed (a lobby subscription is made again on the
//     new one). JoinResult.URL, Game.NodeURL and SwarmSample.SeatsByNode
//     name the node a seat is on; claim_invalid, node_gone, unavailable and
//     redirect_loop are ProtocolErrors that match ErrClaimInvalid,
//     ErrNodeGone, ErrUnavailable and ErrRedirectLoop with errors.Is. An
//     automatic resume dials the seat's node, and the configured one when
//     that node cannot be reached.
//   - Checksums: a state frame may carry a third argument,
//     event(state, ack, checksum), the statesync checksum (FNV-1a 64 of
//     the canonical state, Mirror.Checksum) after the frame as 16
//     lowercase hex digits. A Game with a mirror that has Checksum()
//     verifies it; a mismatch counts in GameStats.Desyncs, calls OnDesync,
//     and resyncs: deltas are skipped, the connection is dropped and the
//     seat resumed without a tick, which brings a snapshot (even with
//     AutoResume off). A frame that does not apply to the mirror (a gap)
//     resyncs the same way. Frames without the argument, or with anything
//     but 16 lowercase hex digits there, are applied unchecked.
//   - The mirror is applied on the connection's read goroutine under a
//     lock; Game.ReadMirror reads it from any other goroutine (and from
//     OnState).
//
// The swarm (swarm.go) runs N game clients in R rooms and counts what the
// benchmark reports. What the bots do is a Scenario (scenario.go): its
// plan names the room type, the timed input rate, churn, whether a frame
// is expected every tick and whether the bots need a mirror; each bot's
// BotScript gives the join options, the next input, and checks on join
// and on every state frame (failures count in SwarmSample.CheckFailures).
// ArenaScenario ("arena", "churn"), IdleScenario ("idle") and
// ClickerScenario ("clicker", clicker.go) are built in; ScenarioByName
// finds them by name. The swarm records the rooms' tick rate from the
// join replies (SwarmSample.TickRate), and Swarm.Run returns at once with
// a "connection refused" error when nothing listens at the URL.
// histogram.go records input→ack latency lock-free, procstat.go reads a
// server's CPU and RSS from /proc or its /metrics. cmd/bots is the CLI.
//
// A minimal bot:
//
//	g, _ := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: "http://127.0.0.1:2567"},
//		Mirror: statesync.NewMirror(statesync.MirrorLimits{}), AutoResume: true})
//	_ = g.Connect(ctx)
//	jr, _ := g.JoinOrCreate(ctx, "arena", map[string]any{"name": "bot"})
//	seq, _ := g.SendInput(bots.MoveInput{DX: 1})
//	// g.Stats().LastAck reaches seq once a state frame acknowledges it
//	g.ReadMirror(func(m bots.StateMirror) { fmt.Println(m.(*statesync.Mirror).Value()) })
//
// A scenario of your own:
//
//	type tapper struct{}
//	func (tapper) Name() string { return "tapper" }
//	func (tapper) Plan(bots.SwarmConfig) bots.ScenarioPlan {
//		return bots.ScenarioPlan{RoomType: "tap", InputRate: 2}
//	}
//	func (tapper) NewBot(id int, _ bots.ScenarioPlan, _ *rand.Rand) bots.BotScript { return &tapBot{} }
//	// tapBot implements JoinOptions, OnJoined, NextInput and OnState
//	sw, _ := bots.NewSwarm(bots.SwarmConfig{Client: cfg, Bots: 100, Scenario: tapper{}})
//
// API changes in this version: SwarmConfig.Scenario is a Scenario (it was
// a name; use ScenarioByName), SwarmConfig.TurnEvery moved to
// ArenaScenario.TurnEvery, SwarmConfig.InputRate and ChurnRate at 0 and
// RoomType "" mean the scenario's defaults, and the Scenario* name
// constants moved to scenario.go with ScenarioClicker added. New:
// Game.ReadMirror, Game.OnDesync, Desync, GameStats.{Checksums, Desyncs},
// SwarmSample.{TickRate, Checksums, Desyncs, CheckFailures}, Swarm.Plan,
// Swarm.Scenario, IsConnectionRefused, ClickInput; for clusters
// JoinResult.URL, Game.NodeURL, SwarmSample.SeatsByNode,
// ProtocolError.Redirect, EventClaim, MaxRedirects, the Code* constants
// and ErrClaimInvalid, ErrNodeGone, ErrUnavailable, ErrRedirectLoop. A
// path in Config.URL is now a prefix before Config.Path (it was ignored).
//
// Cost matters more than usual here: the swarm must load a server to its
// limit from the same machine, so the hot paths (sending an input, receiving
// a state frame) reuse buffers, take no locks held by other bots, and run on
// the connection's own read goroutine; writers are shared schedulers, not a
// goroutine and a ticker per bot.
//
// This package must not import any server package (transport, rooms,
// cmd/...): it talks to a server only over the network. It imports codec/...
// and sync/.
package bots
