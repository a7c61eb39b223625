package rooms

import (
	"context"
	"sync"
)

// lobby pushes room listings to subscribed sessions: the full list on
// subscribe, then lobby.update / lobby.remove, coalesced so a subscriber
// gets at most one push per Config.LobbyInterval (the latest listing of
// each room that changed meanwhile).
type lobby struct {
	srv  *Server
	wake chan struct{}

	mu      sync.Mutex // leaf; guards subs and pending
	subs    map[*Session]Query
	pending map[string]*Listing // nil value: removed
	order   []string            // pending ids in first-change order
}

func newLobby(s *Server) *lobby {
	return &lobby{
		srv: s, wake: make(chan struct{}, 1),
		subs: map[*Session]Query{}, pending: map[string]*Listing{},
	}
}

func (l *lobby) subscribe(s *Session, q Query) error {
	ls, err := l.srv.registry.List(l.srv.ctx, q)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.subs[s] = q
	l.mu.Unlock()
	return s.conn.SendLobbyRooms(ls)
}

func (l *lobby) unsubscribe(s *Session) {
	l.mu.Lock()
	delete(l.subs, s)
	l.mu.Unlock()
}

// changed records a new listing (from a room goroutine).
func (l *lobby) changed(li Listing) { l.note(li.ID, &li) }

// removed records a disposed room.
func (l *lobby) removed(id string) { l.note(id, nil) }

func (l *lobby) note(id string, li *Listing) {
	l.mu.Lock()
	if len(l.subs) == 0 {
		l.mu.Unlock()
		return
	}
	if _, ok := l.pending[id]; !ok {
		l.order = append(l.order, id)
	}
	l.pending[id] = li
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// run flushes pending changes, at most once per interval.
func (l *lobby) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-l.wake:
		}
		l.flush()
		t := l.srv.clock.NewTimer(l.srv.cfg.LobbyInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

func (l *lobby) flush() {
	l.mu.Lock()
	pending, order := l.pending, l.order
	l.pending, l.order = map[string]*Listing{}, nil
	type sub struct {
		s *Session
		q Query
	}
	subs := make([]sub, 0, len(l.subs))
	for s, q := range l.subs {
		subs = append(subs, sub{s, q})
	}
	l.mu.Unlock()
	for _, id := range order {
		li := pending[id]
		for _, sb := range subs {
			if li == nil {
				_ = sb.s.conn.SendLobbyRemove(id)
				continue
			}
			if sb.q.Match(li) {
				_ = sb.s.conn.SendLobbyUpdate(*li)
			} else if sb.q.Name == "" || sb.q.Name == li.Name {
				// It may have matched before (e.g. turned private).
				_ = sb.s.conn.SendLobbyRemove(id)
			}
		}
	}
}
