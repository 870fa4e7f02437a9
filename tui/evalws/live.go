package evalws

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/eval/runner"
)

// A run in flight in this process belongs to the engine (runner.Engine.Live):
// any matrix screen (the one the form opened, or one opened later from the
// Runs tab) subscribes to it and gets the results so far with the progress
// and then every event, atomically, so nothing is missed.

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
