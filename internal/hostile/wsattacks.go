package hostile

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// InvalidUTF8 is finding 7: Conns WebSocket clients each send a text
// frame holding invalid UTF-8. RFC 6455 §8.1 says the server fails the
// connection with close code 1007.
type InvalidUTF8 struct {
	Conns int
}

// Run runs the attack against base; Codes counts the close codes seen
// ("ws 1007"), "eof" a close without a close frame, "open" a connection
// the server kept for 10 s.
func (a InvalidUTF8) Run(ctx context.Context, base string) (Result, error) {
	if a.Conns <= 0 {
		a.Conns = 1
	}
	t := newTally("invalid-utf8")
	for range a.Conns {
		if ctx.Err() != nil {
			break
		}
		t.attempt()
		ws, err := dialRawWS(ctx, base, dialOptions{})
		if err != nil {
			t.failed()
			continue
		}
		if _, err := ws.readText(time.Now().Add(10 * time.Second)); err != nil { // the open packet
			t.failed()
			ws.Close()
			continue
		}
		t.accepted()
		if err := ws.writeFrame(opText, []byte("4\xff\xfe\xfdnot utf-8")); err != nil {
			t.closed()
			t.code("eof")
			ws.Close()
			continue
		}
		switch code := ws.closeCode(time.Now().Add(10 * time.Second)); code {
		case -1:
			t.open()
			t.code("open")
		case 0:
			t.closed()
			t.code("eof")
		default:
			t.closed()
			t.code(fmt.Sprintf("ws %d", code))
		}
		ws.Close()
	}
	return t.result(), nil
}

// StopReading is finding 6: a client joins room RoomID (or, if empty,
// joinOrCreate an arena room) over a WebSocket with a small receive
// buffer and stops reading. The slow-consumer rule should close it within
// a few seconds of no progress; MetricsURL's
// roomcast_slow_consumer_disconnects_total tells the rule apart from the
// ping timeout. The attack ends when that counter rises or after Hold.
//
// A room's frames alone fill the buffers slowly (an arena room sends a few
// KB/s), so with Provoke > 0 the client also sends that many Socket.IO
// CONNECTs a second to an unknown namespace, each answered by a
// CONNECT_ERROR it never reads: a client that keeps asking and stops
// listening.
type StopReading struct {
	RoomID     string
	MetricsURL string
	Hold       time.Duration
	Provoke    int
}

// Run runs the attack against base. Codes holds "slow-consumer" when the
// counter rose ("not-closed" when Hold passed first) and the close code
// found in what the server had sent ("ws N", or "eof"); Extra
// "seconds_to_close" is the time from the last read to the counter rising.
func (a StopReading) Run(ctx context.Context, base string) (Result, error) {
	t := newTally("stop-reading")
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	before, err := ScrapeMetrics(ctx, hc, a.MetricsURL)
	if err != nil {
		return Result{}, err
	}
	t.attempt()
	ws, err := dialRawWS(ctx, base, dialOptions{RcvBuf: 4096})
	if err != nil {
		return Result{}, err
	}
	defer ws.Close()
	if err := a.join(ws); err != nil {
		return Result{}, err
	}
	t.accepted()
	stopped := time.Now()
	base0 := before.Sum("roomcast_slow_consumer_disconnects_total")
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	provoke := time.NewTicker(100 * time.Millisecond)
	defer provoke.Stop()
	writing := a.Provoke > 0
	deadline := time.After(a.Hold)
	for rose := false; !rose; {
		select {
		case <-ctx.Done():
			return t.result(), ctx.Err()
		case <-deadline:
			t.open()
			t.code("not-closed")
			return t.result(), nil
		case <-provoke.C:
			for i := 0; writing && i < (a.Provoke+9)/10; i++ {
				if err := ws.writeText("40/never-read,"); err != nil {
					writing = false // the server closed it
				}
			}
		case <-tick.C:
			m, err := ScrapeMetrics(ctx, hc, a.MetricsURL)
			if err == nil && m.Sum("roomcast_slow_consumer_disconnects_total") > base0 {
				rose = true
			}
		}
	}
	t.max("seconds_to_close", time.Since(stopped).Seconds())
	t.closed()
	t.code("slow-consumer")
	switch code := ws.closeCode(time.Now().Add(10 * time.Second)); code {
	case -1:
		t.code("still-open")
	case 0:
		t.code("eof")
	default:
		t.code(fmt.Sprintf("ws %d", code))
	}
	return t.result(), nil
}

// join speaks Engine.IO and Socket.IO (default parser) by hand: the open
// packet, CONNECT, and one join request answered by ack 0.
func (a StopReading) join(ws *rawWS) error {
	deadline := time.Now().Add(15 * time.Second)
	if _, err := ws.readText(deadline); err != nil {
		return fmt.Errorf("hostile: open packet: %w", err)
	}
	if err := ws.writeText("40"); err != nil {
		return err
	}
	for {
		s, err := ws.readText(deadline)
		if err != nil {
			return fmt.Errorf("hostile: socket.io connect: %w", err)
		}
		if strings.HasPrefix(s, "40") {
			break
		}
	}
	var req []byte
	if a.RoomID != "" {
		req, _ = json.Marshal([]any{"rooms.joinById", a.RoomID, map[string]any{}})
	} else {
		req, _ = json.Marshal([]any{"rooms.joinOrCreate", "arena", map[string]any{}})
	}
	if err := ws.writeText("420" + string(req)); err != nil {
		return err
	}
	for {
		s, err := ws.readText(deadline)
		if err != nil {
			return fmt.Errorf("hostile: join answer: %w", err)
		}
		if strings.HasPrefix(s, "430") {
			if !strings.Contains(s, `"ok":true`) {
				return fmt.Errorf("hostile: join refused: %s", s)
			}
			return nil
		}
	}
}
