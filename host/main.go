package host

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/roomcast/roomcast/cluster"
)

// Env is what Execute takes from the process: Main passes os.Args[1:],
// os.Getenv, os.Stdout and os.Stderr; tests pass their own.
type Env struct {
	Args   []string            // command-line arguments, without the program name
	Getenv func(string) string // nil: no environment
	Stdout io.Writer           // the listening line and --help; nil discards
	Stderr io.Writer           // logs and errors; nil discards
}

// Main is a game server's whole main: it reads flags and ROOMCAST_*
// environment variables into a Config (see ParseFlags and the Flags
// option for the program's own), builds the Server, calls setup with it
// (define room types there), and runs it until SIGINT or SIGTERM, then
// drains. It exits 0 after a clean drain or --help, 2 for bad flags, 1 if
// anything else fails.
//
//	func main() {
//		host.Main(func(srv *host.Server) error {
//			srv.Page(mygame.Web())
//			return srv.Define("mygame", mygame.NewGame, mygame.Settings())
//		}, host.Description("mygame: the game server of My Game"))
//	}
func Main(setup func(*Server) error, opts ...Option) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	opts = append([]Option{Name(filepath.Base(os.Args[0]))}, opts...)
	code := Execute(ctx, Env{Args: os.Args[1:], Getenv: os.Getenv, Stdout: os.Stdout, Stderr: os.Stderr}, setup, opts...)
	stop()
	os.Exit(code)
}

// Execute is Main without the process: it runs until ctx is cancelled and
// returns the exit code instead of exiting.
func Execute(ctx context.Context, env Env, setup func(*Server) error, opts ...Option) int {
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Stderr == nil {
		env.Stderr = io.Discard
	}
	name := collect(opts).name
	cfg, err := ParseFlags(env.Args, env.Getenv, env.Stdout, opts...)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %s\n(%s --help lists every flag)\n", name, strings.TrimPrefix(err.Error(), "host: "), name)
		return 2
	}
	if cfg.Logger == nil {
		cfg.Logger = newLogger(cfg, env.Stderr)
	}
	if cfg.Redis != "" {
		// go-redis takes its logger only process-wide: its own messages
		// (a dial error every few milliseconds while Redis is down) go to
		// this server's log, at most one warning per 10 s. Set here, by
		// the program's main, never by package cluster.
		redis.SetLogger(cluster.NewRedisLogger(cfg.Logger, cluster.DefaultRedisLogEvery))
	}
	applyMemorySettings(cfg, env.Getenv)
	srv, err := New(cfg)
	if err != nil {
		fmt.Fprintf(env.Stderr, "%s: %s\n", name, strings.TrimPrefix(err.Error(), "host: "))
		return 1
	}
	if setup != nil {
		if err := setup(srv); err != nil {
			cfg.Logger.Error("setup failed", "err", err)
			drainCtx, cancel := context.WithTimeout(context.Background(), srv.Config().DrainGrace)
			defer cancel()
			_ = srv.Drain(drainCtx)
			return 1
		}
	}
	if err := srv.Run(ctx, env.Stdout); err != nil {
		cfg.Logger.Error("exit", "err", err)
		return 1
	}
	return 0
}

// applyMemorySettings sets the process's GC target and memory limit from
// cfg (GCPercent, MemoryLimit); the runtime's GOGC and GOMEMLIMIT, when
// set and the flags are not, are left as the runtime read them.
func applyMemorySettings(cfg Config, getenv func(string) string) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	switch {
	case cfg.GCPercent > 0:
		debug.SetGCPercent(cfg.GCPercent)
	case getenv("GOGC") == "":
		debug.SetGCPercent(DefaultGCPercent)
	}
	if cfg.MemoryLimit > 0 {
		debug.SetMemoryLimit(cfg.MemoryLimit)
	}
}
