package tui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

// Live sharing: every second the root asks SQLite's data_version whether
// any connection committed to the file. On a change it lists what changed
// since the last change it saw, reloads every screen (they keep their
// cursors) and says who changed what, leaving out this process's own
// writes. Writes that are not versions or label moves (a run's results,
// test cases) reload only the screen in view.

type liveState struct {
	dataVersion int64
	since       time.Time // newest change seen
	// own holds the changes this process made, until a poll has passed
	// them (ChangesSince never lists them again): it stays as small as the
	// writes of the last second.
	own map[string]time.Time
	// below is set when the file changed while only the screen in view
	// re-read it: the screens beneath re-read when they come back into view.
	below bool
}

type pollMsg struct{}

type liveMsg struct {
	dataVersion int64
	changes     []store.Change
	err         error
}

func (l *liveState) remember(cs []store.Change) {
	if l.own == nil {
		l.own = map[string]time.Time{}
	}
	for _, c := range cs {
		l.own[changeKey(c)] = c.At
	}
}

// forget drops the own changes that are not after since: no poll lists
// them again.
func (l *liveState) forget() {
	for k, at := range l.own {
		if !at.After(l.since) {
			delete(l.own, k)
		}
	}
}

func changeKey(c store.Change) string {
	return fmt.Sprintf("%s|%s|%s|%d", c.Prompt, c.Kind, c.Label, c.Version)
}

func (m *Model) pollLater() tea.Cmd {
	if m.opts.Poll <= 0 {
		return nil
	}
	return tea.Tick(m.opts.Poll, func(time.Time) tea.Msg { return pollMsg{} })
}

// poll reads data_version and, when it moved, the changes since.
func (m *Model) poll() tea.Cmd {
	ctx, st, dv, since := m.c.Ctx, m.c.Store, m.live.dataVersion, m.live.since
	return func() tea.Msg {
		v, err := st.DataVersion(ctx)
		if err != nil || v == dv {
			return liveMsg{dataVersion: v, err: err}
		}
		cs, err := st.ChangesSince(ctx, since)
		return liveMsg{dataVersion: v, changes: cs, err: err}
	}
}

func (m *Model) onLive(msg liveMsg) tea.Cmd {
	next := m.pollLater()
	if msg.err != nil || msg.dataVersion == m.live.dataVersion {
		return next
	}
	first := m.live.dataVersion == 0
	m.live.dataVersion = msg.dataVersion
	var others []string
	for _, c := range msg.changes {
		if c.At.After(m.live.since) {
			m.live.since = c.At
		}
		if _, own := m.live.own[changeKey(c)]; !own {
			others = append(others, c.String())
		}
	}
	m.live.forget()
	if first && len(msg.changes) == 0 {
		return next
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
