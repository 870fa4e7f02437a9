package evalws

import (
	"context"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/store"
)

// A run started in this process is kept in the live registry until it
// ends, so that any matrix screen (the one the form opened, or one opened
// later from the Runs tab) can attach to it: the run's events go to every
// attached screen's own runner.Feed, and a screen that attaches late gets
// the results so far with the progress, atomically, so nothing is missed.

// liveRun is one run in flight in this process.
type liveRun struct {
	mu      sync.Mutex
	h       *runner.Handle
	results []store.Result
	prog    runner.Progress
	subs    []*runner.Feed
	ended   bool
}

var (
	liveMu sync.Mutex
	lives  = map[int64]*liveRun{}
)

// push is the run's Options.OnEvent: it records the event and hands it to
// every attached feed. Safe for concurrent use; it never blocks.
func (l *liveRun) push(ev runner.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prog = ev.Progress
	switch ev.Kind {
	case runner.Finished, runner.Failed:
		if ev.Result != nil {
			l.results = append(l.results, *ev.Result)
		}
	case runner.Done:
		l.ended = true
	}
	for _, f := range l.subs {
		f.Push(ev)
	}
}

// attach returns a new feed of the run's events with the results and the
// progress so far.
func (l *liveRun) attach() (*runner.Feed, []store.Result, runner.Progress, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := runner.NewFeed()
	if !l.ended {
		l.subs = append(l.subs, f)
	}
	return f, append([]store.Result(nil), l.results...), l.prog, l.ended
}

func register(id int64, l *liveRun) {
	liveMu.Lock()
	lives[id] = l
	liveMu.Unlock()
	// Forget the run once it has ended and its status is saved.
	go func() {
		<-l.h.Done()
		liveMu.Lock()
		if lives[id] == l {
			delete(lives, id)
		}
		liveMu.Unlock()
	}()
}

func lookupLive(id int64) *liveRun {
	liveMu.Lock()
	defer liveMu.Unlock()
	return lives[id]
}

// Running reports whether run id is in flight in this process.
func Running(id int64) bool {
	l := lookupLive(id)
	if l == nil {
		return false
	}
	select {
	case <-l.h.Done():
		return false
	default:
		return true
	}
}

// frame is the shortest time between two batches of a live run's events
// drawn by a screen: at most ~30 frames a second, however fast tokens come.
var frame = 33 * time.Millisecond

// feedMsg is one batch of a live run's events for a matrix screen.
type feedMsg struct {
	to
	feed   *runner.Feed
	events []runner.Event
	more   bool
}

// readFeed waits (after pause) for the next batch of events: one Next per
// command, re-armed by the screen after each batch, so the feed joins the
// tokens that arrive in between.
func readFeed(ctx context.Context, id int, f *runner.Feed, pause time.Duration) tea.Cmd {
	return func() tea.Msg {
		if pause > 0 {
			t := time.NewTimer(pause)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		}
		evs, ok := f.Next(ctx)
		return feedMsg{to: to{ID: id}, feed: f, events: evs, more: ok}
	}
}
