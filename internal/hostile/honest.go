package hostile

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/roomcast/roomcast/bots"
)

// Honest is a room of honest players watched while an attack runs: each
// sends inputs and receives state frames; Honest records every frame's
// arrival, so a window's frames per second and longest gap between two
// frames of one player are known, and counts disconnects and room.left.
type Honest struct {
	RoomID  string
	players []*watched
	stop    chan struct{}
	done    sync.WaitGroup
}

type watched struct {
	g        *bots.Game
	frames   atomic.Int64
	last     atomic.Int64 // unix nanos of the last frame
	maxGap   atomic.Int64 // nanos, since the window began
	left     atomic.Int64 // room.left received
	winStart atomic.Int64 // frames at the window's start
}

// HonestSample is what the honest players saw over one window.
type HonestSample struct {
	Players     int
	Window      time.Duration
	Frames      int64         // state frames received, all players
	FramesPerS  float64       // per player (the mean)
	MinFrames   int64         // the fewest frames one player got
	MaxGap      time.Duration // longest time between two frames of one player
	Disconnects int64         // connections lost, since the room was joined
	RoomLeft    int64         // room.left received, since the room was joined
}

func (s HonestSample) String() string {
	return fmt.Sprintf("%d players: %.1f frames/s each, fewest %d frames, max gap %v, %d disconnects, %d room.left",
		s.Players, s.FramesPerS, s.MinFrames, s.MaxGap.Round(time.Millisecond), s.Disconnects, s.RoomLeft)
}

// HonestSource is the address honest players connect from (not the
// attacker's 127.0.0.1).
func HonestSource() net.IP { return Source(0, 2) }

// NewHonest connects players players over transport tr from
// HonestSource, the first creates an arena room and the others join it by
// id, and each sends inputs at inputRate per second.
func NewHonest(ctx context.Context, base string, players int, tr bots.Transport, inputRate float64) (*Honest, error) {
	h := &Honest{stop: make(chan struct{})}
	for i := range players {
		w := &watched{}
		g, err := bots.NewGame(bots.GameConfig{Client: botConfig(base, tr, HonestSource())})
		if err != nil {
			h.Close()
			return nil, err
		}
		w.g = g
		g.OnState(func(string, uint64) { w.frame() })
		g.OnRoomLeft(func(string, string) { w.left.Add(1) })
		h.players = append(h.players, w)
		if err := g.Connect(ctx); err != nil {
			h.Close()
			return nil, fmt.Errorf("hostile: honest player %d connect: %w", i, err)
		}
		var jr bots.JoinResult
		if i == 0 {
			jr, err = g.Create(ctx, "arena", map[string]any{"name": "honest"})
		} else {
			jr, err = g.JoinByID(ctx, h.RoomID, map[string]any{"name": "honest"})
		}
		if err != nil {
			h.Close()
			return nil, fmt.Errorf("hostile: honest player %d join: %w", i, err)
		}
		h.RoomID = jr.RoomID
	}
	if inputRate > 0 {
		h.done.Add(1)
		go h.sendInputs(time.Duration(float64(time.Second) / inputRate))
	}
	h.Mark()
	return h, nil
}

func (w *watched) frame() {
	now := time.Now().UnixNano()
	w.frames.Add(1)
	if last := w.last.Swap(now); last != 0 {
		gap := now - last
		for {
			m := w.maxGap.Load()
			if gap <= m || w.maxGap.CompareAndSwap(m, gap) {
				break
			}
		}
	}
}

func (h *Honest) sendInputs(period time.Duration) {
	defer h.done.Done()
	tk := time.NewTicker(period)
	defer tk.Stop()
	for i := 0; ; i++ {
		select {
		case <-h.stop:
			return
		case <-tk.C:
			for j, w := range h.players {
				_, _ = w.g.SendInput(bots.MoveInput{DX: float64((i+j)%3) - 1, DY: float64((i/20+j)%3) - 1})
			}
		}
	}
}

// Mark starts a new window.
func (h *Honest) Mark() {
	now := time.Now().UnixNano()
	for _, w := range h.players {
		w.winStart.Store(w.frames.Load())
		w.maxGap.Store(0)
		w.last.CompareAndSwap(0, now)
		w.last.Store(now)
	}
}

// Sample reports the window since the last Mark (which lasted window) and
// the gap since each player's last frame up to now.
func (h *Honest) Sample(window time.Duration) HonestSample {
	s := HonestSample{Players: len(h.players), Window: window, MinFrames: -1}
	now := time.Now().UnixNano()
	for _, w := range h.players {
		n := w.frames.Load() - w.winStart.Load()
		s.Frames += n
		if s.MinFrames < 0 || n < s.MinFrames {
			s.MinFrames = n
		}
		gap := time.Duration(w.maxGap.Load())
		if open := time.Duration(now - w.last.Load()); open > gap {
			gap = open
		}
		s.MaxGap = max(s.MaxGap, gap)
		st := w.g.Stats()
		s.Disconnects += st.Disconnects
		s.RoomLeft += w.left.Load()
	}
	if len(h.players) > 0 && window > 0 {
		s.FramesPerS = float64(s.Frames) / float64(len(h.players)) / window.Seconds()
	}
	return s
}

// Frames is the total of state frames received by all players so far.
func (h *Honest) Frames() int64 {
	var n int64
	for _, w := range h.players {
		n += w.frames.Load()
	}
	return n
}

// Close stops the inputs, leaves the room and closes every player.
func (h *Honest) Close() {
	select {
	case <-h.stop:
	default:
		close(h.stop)
	}
	h.done.Wait()
	for _, w := range h.players {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = w.g.Leave(ctx)
		cancel()
		_ = w.g.Close()
	}
}
