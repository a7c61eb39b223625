package clicker

import statesync "github.com/roomcast/roomcast/sync"

// Phases of a round (State.Phase).
const (
	PhasePlaying      = "playing"
	PhaseIntermission = "intermission"
)

// State is a room's replicated state. Clients mirror it as
//
//	{round, phase, timeLeft, winner, winnerName, winnerScore,
//	 players: {sessionId: {name, score, wins, online}}}
type State struct {
	statesync.Entity
	// Round counts rounds from 1.
	Round statesync.Uint32 `sync:"round"`
	// Phase is PhasePlaying or PhaseIntermission.
	Phase statesync.String `sync:"phase"`
	// TimeLeft is the phase's time left in whole seconds, rounded up: it
	// changes once a second, not every tick, so a quiet room sends
	// nothing in between.
	TimeLeft statesync.Uint16 `sync:"timeLeft"`
	// Winner is the session id of last round's winner ("" before the
	// first round ended, or when nobody clicked); WinnerName and
	// WinnerScore stay meaningful after that player left.
	Winner      statesync.String `sync:"winner"`
	WinnerName  statesync.String `sync:"winnerName"`
	WinnerScore statesync.Uint32 `sync:"winnerScore"`
	// Players by session id.
	Players statesync.Map[string, *Player] `sync:"players"`
}

// Player is one seat's player.
type Player struct {
	statesync.Entity
	Name  statesync.String `sync:"name"`
	Score statesync.Uint32 `sync:"score"` // clicks this round
	Wins  statesync.Uint32 `sync:"wins"`
	// Online is false while the player's connection is dropped and its
	// seat is held (a "ghost": it may come back with rooms.resume).
	Online statesync.Bool `sync:"online"`

	// scoredAt orders players that reached the same score: the earlier
	// one wins a tie. Server-only (untagged unexported fields are not
	// replicated).
	scoredAt uint64
}
