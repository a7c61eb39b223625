package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/roomcast/roomcast/examples/sioecho"
)

// Defaults of the flags.
const (
	defaultAddr          = "127.0.0.1:2567"
	defaultDemo          = "sioecho"
	defaultPingInterval  = 25 * time.Second
	defaultPingTimeout   = 20 * time.Second
	defaultMaxPayload    = 1_000_000
	defaultShutdownGrace = 10 * time.Second
)

// options are the parsed, validated flags.
type options struct {
	addr          string
	demo          string
	pingInterval  time.Duration
	pingTimeout   time.Duration
	maxPayload    int64
	origins       []string
	shutdownGrace time.Duration
	logLevel      slog.Level
}

// parseOptions reads flags from args, with ROOMCAST_ADDR (from getenv) as
// the default of --addr.
func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("gameserver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := defaultAddr
	if env := getenv("ROOMCAST_ADDR"); env != "" {
		addr = env
	}
	var origins, logLevel string
	fs.StringVar(&o.addr, "addr", addr, "listen address host:port (port 0 picks a free one); env ROOMCAST_ADDR")
	fs.StringVar(&o.demo, "demo", defaultDemo, `what to serve: "sioecho" (the transport demo)`)
	fs.DurationVar(&o.pingInterval, "ping-interval", defaultPingInterval, "Engine.IO ping interval")
	fs.DurationVar(&o.pingTimeout, "ping-timeout", defaultPingTimeout, "Engine.IO ping timeout")
	fs.Int64Var(&o.maxPayload, "max-payload", defaultMaxPayload, "largest message or polling body in bytes")
	fs.StringVar(&origins, "origins", "", "comma-separated allowed Origins (e.g. http://localhost:3000); empty allows any")
	fs.DurationVar(&o.shutdownGrace, "shutdown-grace", defaultShutdownGrace, "how long SIGTERM waits for sessions to close")
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := o.logLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return o, fmt.Errorf("--log-level %q: want debug, info, warn or error", logLevel)
	}
	for _, origin := range strings.Split(origins, ",") {
		if origin = strings.TrimSpace(origin); origin != "" {
			o.origins = append(o.origins, origin)
		}
	}
	return o, o.validate()
}

func (o options) validate() error {
	if _, port, err := net.SplitHostPort(o.addr); err != nil || port == "" {
		return fmt.Errorf("--addr %q: want host:port, e.g. 127.0.0.1:2567", o.addr)
	}
	switch {
	case o.demo != "sioecho":
		return fmt.Errorf("--demo %q: the only demo is \"sioecho\"", o.demo)
	case o.pingInterval <= 0:
		return fmt.Errorf("--ping-interval %v: must be positive", o.pingInterval)
	case o.pingTimeout <= 0:
		return fmt.Errorf("--ping-timeout %v: must be positive", o.pingTimeout)
	case o.maxPayload <= 0:
		return fmt.Errorf("--max-payload %d: must be positive", o.maxPayload)
	case o.shutdownGrace <= 0:
		return fmt.Errorf("--shutdown-grace %v: must be positive", o.shutdownGrace)
	}
	for _, origin := range o.origins {
		u, err := url.Parse(origin)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return fmt.Errorf("--origins: %q is not an origin like http://host:port", origin)
		}
	}
	return nil
}

// app is what the binary serves: an http.Handler with a graceful Shutdown.
type app interface {
	http.Handler
	Shutdown(ctx context.Context) error
}

// run serves until ctx is cancelled, then shuts down within the grace.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: o.logLevel}))

	var handler app
	switch o.demo {
	case "sioecho":
		handler, err = sioecho.New(sioecho.Config{
			PingInterval:   o.pingInterval,
			PingTimeout:    o.pingTimeout,
			MaxPayload:     o.maxPayload,
			AllowedOrigins: o.origins,
			Logger:         log,
		})
	}
	if err != nil {
		return fmt.Errorf("demo %s: %w", o.demo, err)
	}

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if _, err := fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr()); err != nil {
		_ = srv.Close()
		return fmt.Errorf("write listening line: %w", err)
	}
	log.Info("serving", "demo", o.demo, "addr", ln.Addr().String(),
		"ping_interval", o.pingInterval, "ping_timeout", o.pingTimeout, "max_payload", o.maxPayload)

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", o.shutdownGrace)
	graceCtx, cancel := context.WithTimeout(context.Background(), o.shutdownGrace)
	defer cancel()
	// Sessions first (hijacked WebSockets and long-polls are the handler's),
	// then the HTTP server.
	shutdownErr := errors.Join(handler.Shutdown(graceCtx), srv.Shutdown(graceCtx))
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		shutdownErr = errors.Join(shutdownErr, fmt.Errorf("serve: %w", err))
	}
	if shutdownErr != nil {
		_ = srv.Close()
		return fmt.Errorf("shutdown: %w", shutdownErr)
	}
	log.Info("stopped")
	return nil
}
