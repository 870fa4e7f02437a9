package runner

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/seed94f0f622/verso/eval/provider"
)

// The circuit breaker stops a run whose calls keep failing the same way
// (a server that is down, a spent quota, a key that was revoked), instead
// of spending every case's retries and Retry-After waits on it. It watches
// the calls' final outcomes, and retries the server asked to delay by
// longWait or more; when the last n of them all failed with the same status
// (or the same kind of transport failure), it cancels the run. Every
// finished result is kept and the run is marked cancelled, so
// `verso eval --resume N` picks it up once the server recovers.

// longWait is a retry delay that counts as a failure for the breaker (the
// server asks to be left alone), where short retries do not: a burst of
// rate limits that clears after a second is normal.
const longWait = 10 * time.Second

// breakerMax is the most failures in a row that trip the breaker; small runs
// trip after as many failures as they have calls (at least breakerMin).
const breakerMax, breakerMin = 8, 3

// StoppedError is a run stopped by the circuit breaker. Its finished
// results are kept; each surface says how to resume it.
type StoppedError struct {
	RunID  int64
	Calls  int    // failures in a row that tripped it
	Reason string // what they failed with, e.g. "HTTP 429 Too Many Requests"
	Last   string // the last failure, described
}

func (e *StoppedError) Error() string {
	return fmt.Sprintf("run %d stopped: the last %d calls failed with %s (%s); finished results are kept",
		e.RunID, e.Calls, e.Reason, e.Last)
}

type breaker struct {
	n    int
	stop func()

	mu      sync.Mutex
	key     string
	streak  int
	tripped *StoppedError
}

// newBreaker trips after n same failures in a row (n < 0: never).
func newBreaker(calls, n int, stop func()) *breaker {
	if n == 0 {
		n = min(breakerMax, max(breakerMin, calls))
	}
	return &breaker{n: n, stop: stop}
}

// failureKind groups failures that are "the same": one HTTP status, or one
// kind of transport failure.
func failureKind(err error) string {
	if code := provider.StatusCode(err); code > 0 {
		return provider.StatusText(code)
	}
	var te *provider.TimeoutError
	switch {
	case errors.As(err, &te):
		return "timeouts"
	case errors.Is(err, provider.ErrStreamCut):
		return "cut streams"
	}
	var me *provider.MalformedError
	if errors.As(err, &me) {
		return "malformed responses"
	}
	if provider.Retryable(err) {
		return "connection errors"
	}
	return "errors"
}

// observe records a call's outcome (err nil: it succeeded).
func (b *breaker) observe(runID int64, err error) {
	if b == nil || b.n < 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tripped != nil {
		return
	}
	if err == nil {
		b.key, b.streak = "", 0
		return
	}
	k := failureKind(err)
	if k != b.key {
		b.key, b.streak = k, 0
	}
	b.streak++
	if b.streak >= b.n {
		b.tripped = &StoppedError{RunID: runID, Calls: b.streak, Reason: k, Last: provider.Describe(err)}
		b.stop()
	}
}

// err is why the breaker stopped the run (nil if it did not).
func (b *breaker) err() *StoppedError {
	if b == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.tripped
}
