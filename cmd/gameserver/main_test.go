package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/internal/syncbuf"
)

// The test binary doubles as the gameserver: with ROOMCAST_TEST_RUN_MAIN=1
// it runs main instead of the tests.
func TestMain(m *testing.M) {
	if os.Getenv("ROOMCAST_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// startProcess runs the gameserver as a child process on a free port and
// returns its URL.
func startProcess(t *testing.T, args ...string) (*exec.Cmd, string, *syncbuf.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), "ROOMCAST_TEST_RUN_MAIN=1")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr := new(syncbuf.Buffer)
	cmd.Stderr = stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err, "stderr: %s", stderr.String())
	m := regexp.MustCompile(`^listening on (http://127\.0\.0\.1:\d+)\n$`).FindStringSubmatch(line)
	require.NotNil(t, m, "first line %q", line)
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return cmd, m[1], stderr
}

// SIGTERM with a player in a room: the player is told room.left
// {code: "shutdown"} and the process exits 0 within the drain grace.
func TestSIGTERMDrains(t *testing.T) {
	t.Parallel()
	cmd, url, stderr := startProcess(t, "--drain-grace", "5s")

	resp, err := http.Get(url + "/")
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, strings.ToLower(string(page)), "<html", "the page is served at /")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	g, err := bots.NewGame(bots.GameConfig{Client: bots.Config{URL: url}})
	require.NoError(t, err)
	defer g.Close()
	left := make(chan string, 1)
	g.OnRoomLeft(func(code, _ string) { left <- code })
	require.NoError(t, g.Connect(ctx))
	_, err = g.JoinOrCreate(ctx, "arena", map[string]any{"name": "sig"})
	require.NoError(t, err)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case code := <-left:
		require.Equal(t, "shutdown", code)
	case <-ctx.Done():
		t.Fatal("not told room.left")
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		require.NoError(t, err, "exit status; stderr: %s", stderr.String())
	case <-ctx.Done():
		t.Fatal("the process did not exit")
	}
}

// --demo sioecho serves the transport demo: the Engine.IO echo on
// /engine.io/, the demo's Socket.IO events on /socket.io/ with its fast
// heartbeat, metrics and health; SIGINT drains it and exits 0.
func TestDemoSioecho(t *testing.T) {
	t.Parallel()
	cmd, url, stderr := startProcess(t, "--demo", "sioecho")
	code, body := get(t, url+"/engine.io/?EIO=4&transport=polling")
	require.Equal(t, http.StatusOK, code)
	require.True(t, strings.HasPrefix(body, `0{"sid":`), body)
	code, body = get(t, url+"/socket.io/?EIO=4&transport=polling")
	require.Equal(t, http.StatusOK, code)
	require.True(t, strings.HasPrefix(body, `0{"sid":`), body)
	require.Contains(t, body, `"pingInterval":300`, "the demo's heartbeat")

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cli, err := bots.Dial(ctx, bots.Config{URL: url, Logger: quietLogger()})
	require.NoError(t, err)
	defer cli.Close()
	got, err := cli.EmitWithAck(ctx, "echo", "hi")
	require.NoError(t, err)
	require.Equal(t, []any{"hi"}, got, "the demo's echo event, not the rooms protocol")

	code, body = get(t, url+"/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "\nroomcast_sessions{transport=")
	require.NotContains(t, body, "roomcast_rooms{", "no room type")
	code, _ = get(t, url+"/healthz")
	require.Equal(t, http.StatusOK, code)

	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	require.NoError(t, cmd.Wait(), "stderr: %s", stderr.String())
}
