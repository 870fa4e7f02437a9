package provider

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// Policy says how to retry a failed call.
type Policy struct {
	Attempts int           // total attempts, default 5
	Base     time.Duration // first backoff, default 250ms
	Max      time.Duration // longest wait, default 20s
	Timeout  time.Duration // per attempt, default 120s
}

func (p Policy) withDefaults() Policy {
	if p.Attempts <= 0 {
		p.Attempts = 5
	}
	if p.Base <= 0 {
		p.Base = 250 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 20 * time.Second
	}
	if p.Timeout <= 0 {
		p.Timeout = 120 * time.Second
	}
	return p
}

// maxRetryAfter bounds a server's Retry-After.
const maxRetryAfter = time.Minute

// Retry describes one retry about to happen.
type Retry struct {
	Attempt int // the attempt that failed, from 1
	Err     error
	Wait    time.Duration
}

// Do calls fn until it succeeds, fails with an error that is not
// Retryable, or runs out of attempts. Each attempt gets its own timeout; a
// Retry-After header on the failed response sets the wait (else exponential
// backoff with jitter). onRetry (optional) hears about each retry. When ctx
// ends, Do stops at once with ctx's error.
func Do[T any](ctx context.Context, p Policy, fn func(context.Context) (T, error), onRetry func(Retry)) (T, error) {
	p = p.withDefaults()
	var zero T
	for i := 1; ; i++ {
		a := &attempt{}
		actx, cancel := context.WithTimeout(context.WithValue(ctx, attemptKey{}, a), p.Timeout)
		v, err := fn(actx)
		timedOut := actx.Err() != nil && ctx.Err() == nil
		cancel()
		if err == nil {
			return v, nil
		}
		if ctx.Err() != nil {
			return zero, ctx.Err()
		}
		var he *HTTPError
		var se *StreamError
		var tl *TooLargeError
		known := errors.As(err, &he) || errors.As(err, &se) || errors.As(err, &tl)
		if timedOut {
			err = &TimeoutError{After: p.Timeout, Err: err}
		} else if !known && a.bodyErr == nil && (errors.Is(err, io.ErrUnexpectedEOF) || isSyntax(err)) {
			// The body was read to its end without a transport error, so
			// the server sent bad JSON: retrying would get the same.
			err = &MalformedError{Err: err}
		}
		limit := max(p.Max, maxRetryAfter)
		if a.retryAfter > limit && Retryable(err) {
			// A server that asks for more than Verso waits (a spent daily
			// quota) is not retried: waiting would park the run for hours.
			err = &RetryLaterError{Wait: a.retryAfter, Limit: limit, Err: err}
		}
		if i >= p.Attempts || !(timedOut || Retryable(err)) {
			if i > 1 {
				return zero, &AttemptsError{Attempts: i, Err: err}
			}
			return zero, err
		}
		wait := backoff(p, i)
		if a.retryAfter > 0 {
			// The server knows best: wait what it asks (bounded, so a
			// daily quota does not park the run for hours).
			wait = min(a.retryAfter, limit) + time.Duration(rand.Int64N(int64(50*time.Millisecond)))
		}
		if onRetry != nil {
			onRetry(Retry{Attempt: i, Err: err, Wait: wait})
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return zero, ctx.Err()
		case <-t.C:
		}
	}
}

// backoff is exponential with equal jitter: half fixed, half random.
func backoff(p Policy, attempt int) time.Duration {
	d := p.Base << (attempt - 1)
	if d > p.Max || d <= 0 {
		d = p.Max
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// RetryLaterError is a failed call whose server asked to be retried later
// than Verso waits.
type RetryLaterError struct {
	Wait, Limit time.Duration
	Err         error
}

func (e *RetryLaterError) Error() string {
	return Describe(e.Err) + " (the server asks to retry in " + e.Wait.Round(time.Second).String() + ", longer than the " +
		e.Limit.String() + " Verso waits: try again later)"
}
func (e *RetryLaterError) Unwrap() error { return e.Err }

// TimeoutError is an attempt that ran past the per-call timeout.
type TimeoutError struct {
	After time.Duration
	Err   error
}

func (e *TimeoutError) Error() string { return "timed out after " + e.After.String() }
func (e *TimeoutError) Unwrap() error { return e.Err }

// AttemptsError is the last error of a call that was retried.
type AttemptsError struct {
	Attempts int
	Err      error
}

func (e *AttemptsError) Error() string {
	return Describe(e.Err) + " (after " + strconv.Itoa(e.Attempts) + " attempts)"
}
func (e *AttemptsError) Unwrap() error { return e.Err }

func isSyntax(err error) bool {
	var se *json.SyntaxError
	var ue *json.UnmarshalTypeError
	return errors.As(err, &se) || errors.As(err, &ue)
}
