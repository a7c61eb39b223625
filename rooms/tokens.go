package rooms

import (
	"encoding/base64"
	"io"
	"sync"
	"time"
)

// tokenStatus is the state of a reconnection token.
type tokenStatus uint8

const (
	tokenLive tokenStatus = iota
	tokenUsed
	tokenExpired
)

type tokenEntry struct {
	status tokenStatus
	room   *Room
	client *Client
	at     time.Time // when it stopped being live
}

type tombstone struct {
	token string
	at    time.Time
}

// tokenTable maps reconnection tokens to seats. Used and expired tokens are
// remembered for memory (then forgotten: token_unknown).
type tokenTable struct {
	mu      sync.Mutex // leaf lock
	entries map[string]tokenEntry
	dead    []tombstone // FIFO of non-live tokens by time
	memory  time.Duration
}

func newTokenTable(memory time.Duration) *tokenTable {
	return &tokenTable{entries: map[string]tokenEntry{}, memory: memory}
}

// issue registers a new live token for c.
func (t *tokenTable) issue(token string, r *Room, c *Client) {
	t.mu.Lock()
	t.entries[token] = tokenEntry{status: tokenLive, room: r, client: c}
	t.mu.Unlock()
}

// take consumes a live token: it becomes "used".
func (t *tokenTable) take(token string, now time.Time) (*Room, *Client, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pruneLocked(now)
	e, ok := t.entries[token]
	if !ok {
		return nil, nil, ErrTokenUnknown
	}
	switch e.status {
	case tokenUsed:
		return nil, nil, ErrTokenUsed
	case tokenExpired:
		return nil, nil, ErrTokenExpired
	}
	t.killLocked(token, tokenUsed, now)
	return e.room, e.client, nil
}

// revoke marks a live token expired (seat gone) or used.
func (t *tokenTable) revoke(token string, status tokenStatus, now time.Time) {
	if token == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.entries[token]; ok && e.status == tokenLive {
		t.killLocked(token, status, now)
	}
	t.pruneLocked(now)
}

func (t *tokenTable) killLocked(token string, status tokenStatus, now time.Time) {
	t.entries[token] = tokenEntry{status: status, at: now}
	t.dead = append(t.dead, tombstone{token: token, at: now})
}

func (t *tokenTable) pruneLocked(now time.Time) {
	i := 0
	for i < len(t.dead) && now.Sub(t.dead[i].at) > t.memory {
		if e, ok := t.entries[t.dead[i].token]; ok && e.status != tokenLive {
			delete(t.entries, t.dead[i].token)
		}
		i++
	}
	if i > 0 {
		t.dead = append(t.dead[:0], t.dead[i:]...)
	}
}

// randomID returns n random bytes, base64url-encoded.
func randomID(r io.Reader, n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		panic("rooms: random source failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
