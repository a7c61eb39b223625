//go:build race

package statesync

// raceEnabled: the race detector slows the property test ~20x; it runs fewer
// scripts then (the full count runs without -race).
const raceEnabled = true
