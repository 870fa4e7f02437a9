package tui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/tui/common"
)

// After a process ran in the terminal (common.Exec), the screen must come
// back: Bubble Tea enters the alternate screen again on its first frame.
// When it has not within repaintWait, its renderer stopped for good (see
// common.Terminal): a pause run the same way as the editor restarts it,
// a few times at most.

const (
	repaintWait  = 400 * time.Millisecond
	repaintTries = 5
)

// repaintCheckMsg asks whether the screen came back since entered.
type repaintCheckMsg struct {
	entered int64
	try     int
}

// restartedMsg is the end of a pause that restarted the renderer.
type restartedMsg struct {
	entered int64
	try     int
}

// execDone delivers the message of a process run with the terminal, and
// watches for the screen to come back.
func (m *Model) execDone(msg common.ExecDoneMsg) tea.Cmd {
	var cmd tea.Cmd
	if msg.Msg != nil {
		_, cmd = m.update(msg.Msg)
	}
	return tea.Batch(cmd, m.checkRepaint(msg.Entered, 0))
}

func (m *Model) checkRepaint(entered int64, try int) tea.Cmd {
	if m.c.Terminal == nil {
		return nil
	}
	return tea.Tick(repaintWait, func(time.Time) tea.Msg { return repaintCheckMsg{entered: entered, try: try} })
}

// repaint restarts the renderer when the screen has not come back.
func (m *Model) repaint(msg repaintCheckMsg) tea.Cmd {
	if m.c.Terminal.Entered() > msg.entered || msg.try >= repaintTries {
		return nil
	}
	// Each try waits longer for the stopped renderer to finish.
	pause := &common.TerminalCommand{Terminal: m.c.Terminal, Settle: time.Duration(msg.try+1) * 50 * time.Millisecond}
	try := msg.try + 1
	return tea.Exec(pause, func(error) tea.Msg { return restartedMsg{entered: pause.Entered, try: try} })
}
