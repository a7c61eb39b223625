// Package clicker is a small complete roomcast game, written to be copied:
// players click a button as often as they can during a round; the most
// clicks win the round.
//
// It shows the parts every game has, each in a few lines:
//
//   - state.go declares the replicated state (package sync): the round,
//     its phase and time left, last round's winner, and the players keyed
//     by session id with their name, score, wins and online flag.
//   - game.go is the room type: Settings (10 Hz, 8 seats), NewGame, and the
//     rooms.Game hooks: OnCreate reads the room options, OnJoin seats a
//     player, OnInput counts clicks, OnTick runs the round clock, OnDrop and
//     OnResume mark a player offline and back ("ghost players" stay in the
//     state while their seat is held), OnLeave removes them.
//   - rules.go holds the rules that need no room: option bounds, how many
//     clicks an input carries, who wins a round.
//   - web/ is the page (web.go serves it with the JavaScript client's
//     browser bundle).
//
// A round lasts 20 s, then 5 s of intermission show the final scores and
// the winner; scores reset when the next round starts. A creating client
// may shorten both with the room options "roundSeconds" and
// "intermissionSeconds" (tests do). Inputs are clicks, input(seq, {n}):
// n clicks (1..10, default 1), counted only while a round is playing. The
// message "emote" (one of Emotes) is broadcast to the room as
// msg("emote", {from, emote}).
//
// cmd/clicker serves it:
//
//	host.Main(func(srv *host.Server) error {
//		srv.Page(clicker.Web())
//		return srv.Define(clicker.RoomType, clicker.NewGame, clicker.Settings())
//	})
package clicker
