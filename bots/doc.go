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
//
// The swarm (swarm.go) runs N game clients in R rooms with a scripted
// workload (arena, churn, idle) and counts what the benchmark reports;
// histogram.go records input→ack latency lock-free, procstat.go reads a
// server's CPU and RSS from /proc or its /metrics. cmd/bots is the CLI.
//
// A minimal bot:
//
//	g, _ := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: "http://127.0.0.1:2567"}, AutoResume: true})
//	_ = g.Connect(ctx)
//	jr, _ := g.JoinOrCreate(ctx, "arena", map[string]any{"name": "bot"})
//	seq, _ := g.SendInput(bots.MoveInput{DX: 1})
//	// g.Stats().LastAck reaches seq once a state frame acknowledges it
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
