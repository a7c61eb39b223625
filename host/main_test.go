package host

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/roomcast/roomcast/bots"
	"github.com/roomcast/roomcast/rooms"
	statesync "github.com/roomcast/roomcast/sync"
)

// tally is the smallest real room type: the room's state is a count every
// input adds its "dx" to.
type tally struct {
	rooms.NopGame
	world tallyWorld
}

type tallyWorld struct {
	statesync.Entity
	Count statesync.Int64 `sync:"count"`
}

const tallyType = "tally"

func newTally() rooms.Game { return &tally{} }

func (g *tally) OnCreate(r *rooms.Room, _ rooms.Options) error {
	enc, err := statesync.NewEncoder(&g.world, statesync.EncoderOptions{})
	if err != nil {
		return err
	}
	r.SetState(enc)
	return nil
}

func (g *tally) OnInput(_ *rooms.Room, _ *rooms.Client, in rooms.Input) {
	g.world.Count.Set(g.world.Count.Get() + in.Int("dx", 0))
}

// executed is Execute running in a goroutine with its listening URL.
type executed struct {
	url    string
	cancel context.CancelFunc
	exit   chan int
	logs   chan string // all of stderr once Execute returned
}

// execute runs Execute with args and setup until the test cancels it.
func execute(t *testing.T, args []string, getenv func(string) string, setup func(*Server) error, opts ...Option) *executed {
	t.Helper()
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	e := &executed{exit: make(chan int, 1), logs: make(chan string, 1)}
	go func() {
		b, _ := io.ReadAll(errR)
		e.logs <- string(b)
	}()
	var ctx context.Context
	ctx, e.cancel = context.WithCancel(context.Background())
	go func() {
		e.exit <- Execute(ctx, Env{Args: append([]string{"--addr", "127.0.0.1:0"}, args...), Getenv: getenv, Stdout: outW, Stderr: errW}, setup, opts...)
		_ = outW.Close()
		_ = errW.Close()
	}()
	t.Cleanup(func() {
		e.cancel()
		<-e.exit
	})
	line, err := bufio.NewReader(outR).ReadString('\n')
	require.NoError(t, err)
	m := regexp.MustCompile(`^listening on (http://127\.0\.0\.1:\d+)\n$`).FindStringSubmatch(line)
	require.NotNil(t, m, "first line %q", line)
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	e.url = m[1]
	return e
}

// wait returns Execute's exit code once it has returned.
func (e *executed) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-e.exit:
		e.exit <- code // for Cleanup
		return code
	case <-time.After(30 * time.Second):
		t.Fatal("Execute did not return")
		return -1
	}
}

// Execute end to end: bad flags exit 2 naming the flag, --help exits 0
// with the help on stdout, a failing setup exits 1, and a server started
// with JSON logs prints its listening line, serves, and exits 0 on cancel.
func TestExecute(t *testing.T) {
	t.Parallel()
	var stderr, stdout strings.Builder
	require.Equal(t, 2, Execute(context.Background(), Env{Args: []string{"--addr", "nope"}, Stderr: &stderr}, nil, Name("tally")))
	require.Contains(t, stderr.String(), `tally: --addr "nope"`)
	require.Contains(t, stderr.String(), "tally --help")
	stderr.Reset()
	require.Equal(t, 2, Execute(context.Background(), Env{Args: []string{"--nope"}, Stderr: &stderr}, nil))
	require.Contains(t, stderr.String(), "flag provided but not defined: -nope")

	require.Equal(t, 0, Execute(context.Background(), Env{Args: []string{"--help"}, Stdout: &stdout, Stderr: &stderr}, nil,
		Description("tally: counts")))
	require.True(t, strings.HasPrefix(stdout.String(), "tally: counts\n"), stdout.String())

	stderr.Reset()
	failing := func(*Server) error { return errors.New("no maps found") }
	require.Equal(t, 1, Execute(context.Background(), Env{Args: []string{"--addr", "127.0.0.1:0"}, Stderr: &stderr}, failing))
	require.Contains(t, stderr.String(), "no maps found")

	e := execute(t, []string{"--log-format", "json"}, nil, func(s *Server) error { return s.Define(tallyType, newTally, rooms.Settings{}) })
	code, _ := get(t, e.url+PathHealthz)
	require.Equal(t, http.StatusOK, code)
	e.cancel()
	require.Equal(t, 0, e.wait(t))
	// JSON logs, one object per line: serving, draining, stopped.
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(<-e.logs), "\n") {
		var rec map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &rec), "log line %q", line)
		msgs = append(msgs, rec["msg"].(string))
		if rec["msg"] == "serving" {
			require.Equal(t, []any{tallyType}, rec["room_types"])
		}
	}
	require.Equal(t, []string{"serving", "draining", "stopped"}, msgs)
}

// A studio's own room type, flag, collector and handler through Execute:
// its rooms are played, counted on /metrics per type (tick histograms
// too) beside the studio's collector, its route answers, and the drain
// (SIGTERM in Main) turns /readyz 503 while the room plays on through the
// drain wait, then ends as soon as the last player left and exits 0.
func TestStudioRoomTypeHostedWhole(t *testing.T) {
	t.Parallel()
	var motd string
	scored := prometheus.NewCounter(prometheus.CounterOpts{Name: "tally_scored_total", Help: "Points scored."})
	setup := func(s *Server) error {
		s.Registry().MustRegister(scored)
		if err := s.Handle("GET /motd", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, motd)
		})); err != nil {
			return err
		}
		return s.Define(tallyType, newTally, rooms.Settings{TickRate: 30, MaxClients: 2})
	}
	e := execute(t, []string{"--drain-grace", "30s", "--drain-wait", "20s"}, envOf("ROOMCAST_MOTD", "count on"),
		setup, Flags(func(fs *flag.FlagSet) { fs.StringVar(&motd, "motd", "", "message of the day") }))

	code, body := get(t, e.url+"/motd")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "count on", body)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	pl := newPlayer(t, e.url, bots.TransportWebSocket, bots.ParserMsgpack, false)
	_, err := pl.g.JoinOrCreate(ctx, tallyType, nil)
	require.NoError(t, err)
	pl.moveAndWait(t, 3, 0)
	require.Equal(t, int64(3), pl.count.Load())
	scored.Add(3)

	code, body = get(t, e.url+PathMetrics)
	require.Equal(t, http.StatusOK, code)
	for _, series := range []string{
		`roomcast_rooms{type="tally"} 1`,
		`roomcast_tick_duration_seconds_count{type="tally"}`,
		`roomcast_tick_lateness_seconds_count{type="tally"}`,
		`roomcast_sockets{parser="msgpack"} 1`,
		`roomcast_draining 0`,
		"tally_scored_total 3",
	} {
		require.Contains(t, body, "\n"+series, "metric %s missing", series)
	}

	e.cancel() // what SIGTERM does in Main
	require.Eventually(t, func() bool {
		code, _ := get(t, e.url+PathReadyz)
		return code == http.StatusServiceUnavailable
	}, 10*time.Second, 10*time.Millisecond, "/readyz turns 503 while draining")
	code, body = get(t, e.url+PathMetrics)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "\nroomcast_draining 1")
	pl.moveAndWait(t, 1, 0) // the room plays on during the drain wait
	require.Equal(t, int64(4), pl.count.Load())
	require.NoError(t, pl.g.Leave(ctx)) // the last room ends, the drain goes on
	require.Equal(t, 0, e.wait(t))
}
