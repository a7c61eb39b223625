package main

import (
	"context"
	"errors"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/rooms"
)

// The process is killed with SIGKILL mid-game and restarted on the same
// address: the player sees its connection end (not a hang), and its
// resume on the new process fails at once with token_unknown (the seat and
// its token died with the process), as joinById of the old room fails with
// room_not_found.
func TestSIGKILLThenResume(t *testing.T) {
	t.Parallel()
	cmd, addr, _ := startProcess(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	g, err := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: addr, Transport: bots.TransportWebSocket}})
	require.NoError(t, err)
	defer g.Close()
	require.NoError(t, g.Connect(ctx))
	jr, err := g.JoinOrCreate(ctx, "arena", map[string]any{"name": "victim"})
	require.NoError(t, err)
	for range 5 { // mid-game
		_, err := g.SendInput(bots.MoveInput{DX: 1})
		require.NoError(t, err)
	}

	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	select {
	case <-g.Client().Done():
	case <-ctx.Done():
		t.Fatal("the client did not notice the process died")
	}

	u, err := url.Parse(addr)
	require.NoError(t, err)
	_, addr2, stderr := startProcess(t, "--addr", u.Host) // the later --addr wins
	require.Equal(t, addr, addr2)

	g2, err := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: addr, Transport: bots.TransportWebSocket}})
	require.NoError(t, err)
	defer g2.Close()
	require.NoError(t, g2.Connect(ctx))
	rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
	defer rcancel()
	_, err = g2.Resume(rctx, jr.Token)
	var pe *bots.ProtocolError
	require.True(t, errors.As(err, &pe), "resume: %v; stderr: %s", err, stderr.String())
	require.Equal(t, rooms.CodeTokenUnknown, pe.Code)
	_, err = g2.JoinByID(rctx, jr.RoomID, nil)
	require.True(t, errors.As(err, &pe), "joinById: %v", err)
	require.Equal(t, rooms.CodeRoomNotFound, pe.Code)
}
