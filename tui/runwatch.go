package tui

import (
	"encoding/json"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/eval/report"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	"github.com/seed94f0f622/verso/tui/evalws"
)

// Runs of this process are announced when they end while their matrix is
// not open (the user went elsewhere): each poll compares the engine's live
// runs with those seen before, and a run that is gone is read back and
// announced in the status bar.

// runEndedMsg is a run that ended, as stored.
type runEndedMsg struct {
	run store.Run
	err error
}

// watchRuns notes the live runs and reads back the ones that ended.
func (m *Model) watchRuns() tea.Cmd {
	if m.c.Engine == nil {
		return nil
	}
	if m.watching == nil {
		m.watching = map[int64]bool{}
	}
	now := map[int64]bool{}
	for _, h := range m.c.Engine.Running() {
		now[h.ID] = true
		m.watching[h.ID] = true
	}
	var cmds []tea.Cmd
	for id := range m.watching {
		if now[id] {
			continue
		}
		delete(m.watching, id)
		if m.showsRun(id) {
			continue // its matrix says how it ended
		}
		ctx, st := m.c.Ctx, m.c.Store
		cmds = append(cmds, func() tea.Msg {
			r, err := st.Run(ctx, id)
			return runEndedMsg{run: r, err: err}
		})
	}
	return tea.Batch(cmds...)
}

// showsRun reports whether a screen on the stack shows run id.
func (m *Model) showsRun(id int64) bool {
	for _, s := range m.stack {
		if mx, ok := s.(*evalws.Matrix); ok && mx.RunID() == id {
			return true
		}
	}
	return false
}

// runEnded says how a run ended and where to see it.
func runEnded(msg runEndedMsg) tea.Cmd {
	if msg.err != nil {
		return common.Error(msg.err)
	}
	r := msg.run
	var s report.Summary
	_ = json.Unmarshal(r.Summary, &s)
	where := fmt.Sprintf("run #%d of %s", r.ID, common.CleanLine(r.Prompt))
	counts := fmt.Sprintf("%d passed, %d failed, %s of %d", s.Passed, s.Failed, common.Plural(s.Errors, "error"), max(s.Planned, s.Total))
	switch r.Status {
	case store.RunDone:
		if s.Failed+s.Errors == 0 {
			return common.Success(where + " finished: " + counts + " (Runs tab)")
		}
		return common.Warn(where + " finished: " + counts + " (Runs tab)")
	case store.RunFailed:
		return common.Error(fmt.Errorf("%s failed: %s (Runs tab)", where, counts))
	}
	return common.Warn(where + " " + r.Status + ": " + counts + " · R on the run resumes it")
}
