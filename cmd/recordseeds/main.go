// Command recordseeds regenerates the recorded-* fuzz seeds from the real
// JavaScript clients' traffic (`make seeds`).
//
// It serves examples/sioecho on a free 127.0.0.1 port behind a listener that
// keeps every byte the clients send, runs
// clients/js/test/support/record-traffic.js (socket.io-client and
// engine.io-client over every transport and both parsers), then cuts what
// was captured into seeds:
//
//	codec/engineio  FuzzDecodePacket   one frame: kind byte (0 text, 1 binary) + frame
//	codec/engineio  FuzzDecodePayload  one polling request body
//	codec/socketio  FuzzDecodeDefault  a default-parser packet, attachments after 0x1E
//	codec/socketio  FuzzDecodeMsgpack  a socket.io-msgpack-parser packet
//	codec/mpack     FuzzReadValue      the same msgpack packets
//
// Old recorded-* files in those folders are replaced; hand-written seeds
// are left alone. Files are named recorded-<source>-<hash of content>.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	repo := flag.String("repo", ".", "repository root")
	node := flag.String("node", "node", "node binary")
	flag.Parse()
	counts, err := record(ctx, *repo, *node, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "recordseeds:", err)
		os.Exit(1)
	}
	for _, c := range counts {
		fmt.Printf("%-50s %d recorded seeds\n", c.dir, c.n)
	}
}
