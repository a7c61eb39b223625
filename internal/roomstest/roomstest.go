// Package roomstest holds what tests of rooms and of games on it share: a
// no-op rooms.Conn, and Serve, which serves room types over the real
// transport stack (socketio, roomsio) on an httptest server.
package roomstest

import "github.com/roomcast/roomcast/rooms"

// NopConn is a rooms.Conn that takes every send and drops it. Embed it in
// a test's Conn to implement only the sends the test looks at.
type NopConn struct{}

var _ rooms.Conn = NopConn{}

func (NopConn) ID() string                                               { return "nop" }
func (NopConn) SendState(*rooms.StatePacket, uint64) (bool, error)       { return true, nil }
func (NopConn) SendMessage(string, any) error                            { return nil }
func (NopConn) SendMessageWithAck(string, any, func([]any, error)) error { return nil }
func (NopConn) SendLeft(string, string) error                            { return nil }
func (NopConn) SendLobbyRooms([]rooms.Listing) error                     { return nil }
func (NopConn) SendLobbyUpdate(rooms.Listing) error                      { return nil }
func (NopConn) SendLobbyRemove(string) error                             { return nil }
func (NopConn) Close()                                                   {}
