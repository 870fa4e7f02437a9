package runner

import (
	"context"
	"sync"
	"time"

	"github.com/seed94f0f622/verso/store"
)

// Key identifies one result of a run.
type Key struct {
	Version int
	Model   string
	CaseID  int64
	Repeat  int
}

// EventKind says what happened.
type EventKind uint8

const (
	// Started: a call for Key went out (not sent for cached answers).
	Started EventKind = iota + 1
	// Token: Text is the next piece of Key's streamed output (with
	// Options.Stream). A Feed joins consecutive pieces.
	Token
	// Retried: the call for Key failed with Text and is tried again after
	// Wait (Attempt is the attempt that failed, from 1).
	Retried
	// Finished: Result holds Key's outcome (passed or failed its
	// assertions; Result.Cached for answers from the cache).
	Finished
	// Failed: Key ended in an error (Result.Error): the call failed after
	// its retries, the answer was malformed, or a variable was missing.
	Failed
	// Done: the run ended; Progress.Status is done, cancelled or failed.
	Done
)

func (k EventKind) String() string {
	switch k {
	case Started:
		return "started"
	case Token:
		return "token"
	case Retried:
		return "retried"
	case Finished:
		return "finished"
	case Failed:
		return "failed"
	case Done:
		return "done"
	}
	return "unknown"
}

// Event is one progress event. Every event carries a Progress snapshot.
type Event struct {
	Kind     EventKind
	RunID    int64
	Key      Key
	Case     string // case name
	Text     string // Token: output piece; Retried: the error
	Attempt  int
	Wait     time.Duration
	Result   *store.Result // Finished, Failed
	Progress Progress
}

// Progress of a run.
type Progress struct {
	Total    int // results the run will produce (resumes: including earlier ones)
	Done     int // results produced (including earlier ones on a resume)
	Passed   int
	Failed   int
	Errors   int
	Cached   int
	Retries  int
	InFlight int
	Spent    float64 // dollars of live calls (cached answers cost nothing)
	// UsageUnknown counts live calls whose server reported no usage: their
	// cost is unknown and not in Spent.
	UsageUnknown int
	Elapsed      time.Duration
	Status       string // running, then store.RunDone / RunCancelled / RunFailed
	// Stopped says why the circuit breaker stopped the run (with the
	// resume hint); "" otherwise.
	Stopped string
}

// Feed collects a run's events for a consumer that reads them in batches
// (a TUI: one Next per frame). Push is safe from any goroutine; Token
// events for the same key are joined while they wait, so a slow reader
// never makes the run wait and never sees more than one token event per
// key per batch.
type Feed struct {
	mu     sync.Mutex
	buf    []Event
	tok    map[Key]int
	ready  chan struct{}
	closed bool
}

// NewFeed returns an empty feed; use its Push as Options.OnEvent.
func NewFeed() *Feed {
	return &Feed{tok: map[Key]int{}, ready: make(chan struct{}, 1)}
}

// Push adds an event.
func (f *Feed) Push(e Event) {
	f.mu.Lock()
	if e.Kind == Token {
		if i, ok := f.tok[e.Key]; ok {
			f.buf[i].Text += e.Text
			f.buf[i].Progress = e.Progress
			f.mu.Unlock()
			return
		}
		f.tok[e.Key] = len(f.buf)
	}
	f.buf = append(f.buf, e)
	if e.Kind == Done {
		f.closed = true
	}
	f.mu.Unlock()
	select {
	case f.ready <- struct{}{}:
	default:
	}
}

// Close ends the feed: Next returns what is pending, then false.
func (f *Feed) Close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	select {
	case f.ready <- struct{}{}:
	default:
	}
}

// Next waits for events and returns all that are pending, in order. It
// returns false once the Done event has been returned, the feed is closed
// (or ctx ends).
func (f *Feed) Next(ctx context.Context) ([]Event, bool) {
	for {
		f.mu.Lock()
		if len(f.buf) > 0 {
			out := f.buf
			f.buf = nil
			clear(f.tok)
			f.mu.Unlock()
			return out, true
		}
		closed := f.closed
		f.mu.Unlock()
		if closed {
			return nil, false
		}
		select {
		case <-f.ready:
		case <-ctx.Done():
			return nil, false
		}
	}
}
