// Command redirectstub serves internal/redirectstub's three stub nodes for
// the Node and Python client tests. It prints one JSON line,
// {"A":url,"B":url,"C":url,"stats":url}, serves every node's Stats as JSON
// at GET <stats>, stops node N (Cluster.StopNode) at POST <stats>?stop=N,
// and exits when stdin closes or on SIGTERM/SIGINT.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/roomcast/roomcast/internal/redirectstub"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "redirectstub:", err)
		os.Exit(1)
	}
}

func run() error {
	c, err := redirectstub.Start()
	if err != nil {
		return err
	}
	defer c.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen for stats: %w", err)
	}
	names := []string{redirectstub.NodeA, redirectstub.NodeB, redirectstub.NodeC}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			stop := r.URL.Query().Get("stop")
			if !slices.Contains(names, stop) {
				http.Error(w, "stop: unknown node "+strconv.Quote(stop), http.StatusBadRequest)
				return
			}
			c.StopNode(stop)
		}
		out := map[string]redirectstub.Stats{}
		for _, name := range names {
			out[name] = c.Stats(name)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	line, err := json.Marshal(map[string]string{
		"A": c.URL(redirectstub.NodeA), "B": c.URL(redirectstub.NodeB), "C": c.URL(redirectstub.NodeC),
		"stats": "http://" + ln.Addr().String() + "/stats"})
	if err != nil {
		return err
	}
	fmt.Println(string(line))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-ctx.Done():
	case <-stdinClosed:
	}
	return nil
}
