package runner

import (
	"context"
	"time"

	"github.com/seed94f0f622/verso/store"
)

// writer is the one goroutine that writes a run's results: it batches them
// into transactions (by count or age), so a crash loses at most the last
// few milliseconds and SQLite sees one writer instead of dozens.
type writer struct {
	st    *store.Store
	ch    chan item
	done  chan struct{}
	err   error
	batch int
	every time.Duration
	onErr func() // called once, on the first write error (stops the run)
}

type item struct {
	r store.Result
	c *store.CachedResponse
}

func newWriter(st *store.Store, batch int, every time.Duration, onErr func()) *writer {
	w := &writer{st: st, ch: make(chan item, 4*batch), done: make(chan struct{}), batch: batch, every: every, onErr: onErr}
	go w.loop()
	return w
}

func (w *writer) add(r store.Result, c *store.CachedResponse) { w.ch <- item{r, c} }

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
	var rs []store.Result
	var cs []store.CachedResponse
	flush := func() {
		if len(rs) == 0 && len(cs) == 0 {
			return
		}
		// Results are saved even when the run is being cancelled.
		if err := w.st.SaveBatch(context.Background(), rs, cs); err != nil && w.err == nil {
			// Calling models whose answers cannot be saved wastes money:
			// stop the run.
			w.err = err
			if w.onErr != nil {
				w.onErr()
			}
		}
		rs, cs = rs[:0], cs[:0]
	}
	for {
		select {
		case it, ok := <-w.ch:
			if !ok {
				flush()
				return
			}
			rs = append(rs, it.r)
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
