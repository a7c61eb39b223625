//go:build !race

package statesync

const raceEnabled = false
