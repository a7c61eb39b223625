package hostile

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Result is what the server did to one attack.
type Result struct {
	Attack   string
	Attempts int // connections, requests or clients the attack made
	Accepted int // got what they asked for (answered, connected, created…)
	Refused  int // refused: an HTTP error status, an error code, or closed before any answer
	Closed   int // closed by the server after being accepted, before the attack ended
	Open     int // still open when the attack ended (closed by the attack itself)
	Errors   int // failures that are neither (dial errors, timeouts)
	// Statuses counts the HTTP statuses of refusals.
	Statuses map[int]int
	// Codes counts protocol error codes ("rooms_create_rate"…), WebSocket
	// close codes ("ws 1007"), and "eof" for a connection closed without
	// an answer.
	Codes map[string]int
	// Extra holds attack-specific figures (max rooms listed, bytes…).
	Extra   map[string]float64
	Elapsed time.Duration
}

func (r Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d attempts, %d accepted, %d refused, %d closed by server, %d left open, %d errors in %v",
		r.Attack, r.Attempts, r.Accepted, r.Refused, r.Closed, r.Open, r.Errors, r.Elapsed.Round(time.Millisecond))
	if len(r.Statuses) > 0 {
		keys := make([]int, 0, len(r.Statuses))
		for k := range r.Statuses {
			keys = append(keys, k)
		}
		sort.Ints(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "; HTTP %d ×%d", k, r.Statuses[k])
		}
	}
	for _, k := range sortedKeys(r.Codes) {
		fmt.Fprintf(&b, "; %s ×%d", k, r.Codes[k])
	}
	for _, k := range sortedKeys(r.Extra) {
		fmt.Fprintf(&b, "; %s=%g", k, r.Extra[k])
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// tally collects a Result from many goroutines.
type tally struct {
	mu    sync.Mutex
	r     Result
	start time.Time
}

func newTally(name string) *tally {
	return &tally{r: Result{Attack: name, Statuses: map[int]int{}, Codes: map[string]int{}, Extra: map[string]float64{}},
		start: time.Now()}
}

func (t *tally) add(fn func(r *Result)) {
	t.mu.Lock()
	fn(&t.r)
	t.mu.Unlock()
}

func (t *tally) attempt()  { t.add(func(r *Result) { r.Attempts++ }) }
func (t *tally) accepted() { t.add(func(r *Result) { r.Accepted++ }) }
func (t *tally) closed()   { t.add(func(r *Result) { r.Closed++ }) }
func (t *tally) open()     { t.add(func(r *Result) { r.Open++ }) }
func (t *tally) failed()   { t.add(func(r *Result) { r.Errors++ }) }

func (t *tally) refusedStatus(status int) {
	t.add(func(r *Result) { r.Refused++; r.Statuses[status]++ })
}

func (t *tally) refusedCode(code string) {
	t.add(func(r *Result) { r.Refused++; r.Codes[code]++ })
}

func (t *tally) code(code string) { t.add(func(r *Result) { r.Codes[code]++ }) }

func (t *tally) max(key string, v float64) {
	t.add(func(r *Result) {
		if v > r.Extra[key] {
			r.Extra[key] = v
		}
	})
}

func (t *tally) result() Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.r
	r.Elapsed = time.Since(t.start)
	return r
}
