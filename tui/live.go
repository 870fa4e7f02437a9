package tui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

// Live sharing: every second the root asks SQLite's data_version (or
// PostgreSQL's notifications) whether any connection committed. On a
// change it lists what changed after the last change it read, reloads every screen (they keep their
// cursors) and says who changed what, leaving out this process's own
// writes. Writes that are not versions or label moves (a run's results,
// test cases) reload only the screen in view.

type liveState struct {
	dataVersion int64
	// cursor is how far the changes have been read (by id, not time: a
	// machine whose clock is wrong must not hide its changes); set by the
	// first poll.
	cursor  store.Cursor
	started bool
	// below is set when the file changed while only the screen in view
	// re-read it: the screens beneath re-read when they come back into view.
	below bool
}

type pollMsg struct{}

type liveMsg struct {
	dataVersion int64
	changes     []store.Change
	cursor      store.Cursor
	baseline    bool // the first poll: the cursor to start from, nothing to announce
	err         error
}

func (m *Model) pollLater() tea.Cmd {
	if m.opts.Poll <= 0 {
		return nil
	}
	return tea.Tick(m.opts.Poll, func(time.Time) tea.Msg { return pollMsg{} })
}

// poll reads data_version and, when it moved, the changes since.
func (m *Model) poll() tea.Cmd {
	ctx, st, dv, cur, started := m.c.Ctx, m.c.Store, m.live.dataVersion, m.live.cursor, m.live.started
	return func() tea.Msg {
		v, err := st.DataVersion(ctx)
		if err != nil {
			return liveMsg{dataVersion: dv, cursor: cur, err: err}
		}
		if !started {
			cur, err := st.ChangeCursor(ctx)
			return liveMsg{dataVersion: v, cursor: cur, baseline: true, err: err}
		}
		if v == dv {
			return liveMsg{dataVersion: v, cursor: cur}
		}
		cs, next, err := st.ChangesAfter(ctx, cur)
		return liveMsg{dataVersion: v, changes: cs, cursor: next, err: err}
	}
}

func (m *Model) onLive(msg liveMsg) tea.Cmd {
	next := m.pollLater()
	if msg.err != nil {
		return next
	}
	if msg.baseline {
		m.live.dataVersion, m.live.cursor, m.live.started = msg.dataVersion, msg.cursor, true
		return next
	}
	if msg.dataVersion == m.live.dataVersion {
		return next
	}
	if m.holding() {
		// A write of ours may be in flight (a confirmation waits for the
		// store): its change could be listed before we know it is ours.
		// Read it again at the next poll.
		return next
	}
	m.live.dataVersion, m.live.cursor = msg.dataVersion, msg.cursor
	var others []string
	for _, c := range msg.changes {
		if !m.c.Heard(c) {
			others = append(others, c.String())
		}
	}
	cmds := []tea.Cmd{next}
	if len(msg.changes) == 0 {
		// Something else changed (results of a run, test cases): the
		// screen in view re-reads; the ones below re-read when they are
		// back in view (a run started from the Runs tab shows there).
		m.live.below = len(m.stack) > 1
		return tea.Batch(next, m.Top().Reload())
	}
	m.live.below = false
	for _, s := range m.stack {
		cmds = append(cmds, s.Reload())
	}
	if len(others) > 0 {
		text := others[len(others)-1]
		if len(others) > 1 {
			text = fmt.Sprintf("%s (and %d more changes)", text, len(others)-1)
		}
		cmds = append(cmds, common.Info(strings.TrimSpace(text)))
	}
	return tea.Batch(cmds...)
}
