package runner

import (
	"context"
	"time"

	"github.com/seed94f0f622/verso/store"
)

// writer is the one goroutine that writes a run's results: it batches them
// into transactions (by count or age), and SQLite sees one writer instead of
// dozens. A result is reported (onSaved) only after its transaction has
// committed: a crash loses no reported result, only answers that arrived
// within the last flush interval and were never reported.
type writer struct {
	st    *store.Store
	ch    chan item
	done  chan struct{}
	err   error
	batch int
	every time.Duration
	onErr func() // called once, on the first write error (stops the run)
	// onSaved receives each committed batch, in order (the slice is
	// reused afterwards).
	onSaved func([]store.Result)
}

type item struct {
	r    store.Result
	c    *store.CachedResponse
	held bool
}

func newWriter(st *store.Store, batch int, every time.Duration, onErr func(), onSaved func([]store.Result)) *writer {
	w := &writer{st: st, ch: make(chan item, 4*batch), done: make(chan struct{}), batch: batch, every: every, onErr: onErr, onSaved: onSaved}
	go w.loop()
	return w
}

func (w *writer) add(r store.Result, c *store.CachedResponse) { w.ch <- item{r: r, c: c} }

// hold saves a result without reporting it: a first pass whose comparison
// assertions wait for the other outputs of its case (the runner reports it
// once the comparison pass saves it again).
func (w *writer) hold(r store.Result, c *store.CachedResponse) { w.ch <- item{r: r, c: c, held: true} }

// close flushes what is pending and returns the first write error.
func (w *writer) close() error {
	close(w.ch)
	<-w.done
	return w.err
}

func (w *writer) loop() {
	defer close(w.done)
	t := time.NewTicker(w.every)
	defer t.Stop()
	var rs, report []store.Result
	var cs []store.CachedResponse
	flush := func() {
		if len(rs) == 0 && len(cs) == 0 {
			return
		}
		// Results are saved even when the run is being cancelled.
		err := w.st.SaveBatch(context.Background(), rs, cs)
		if err != nil && w.err == nil {
			// Calling models whose answers cannot be saved wastes money:
			// stop the run.
			w.err = err
			if w.onErr != nil {
				w.onErr()
			}
		}
		if err == nil && w.onSaved != nil && len(report) > 0 {
			w.onSaved(report)
		}
		rs, cs, report = rs[:0], cs[:0], report[:0]
	}
	for {
		select {
		case it, ok := <-w.ch:
			if !ok {
				flush()
				return
			}
			rs = append(rs, it.r)
			if !it.held {
				report = append(report, it.r)
			}
			if it.c != nil {
				cs = append(cs, *it.c)
			}
			if len(rs) >= w.batch {
				flush()
			}
		case <-t.C:
			flush()
		}
	}
}
