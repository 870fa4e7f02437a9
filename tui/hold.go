package tui

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/tui/common"
)

// Keys typed while a screen is opening belong to that screen. A screen
// that opens a shared flow (promote, roll back, edit...) sends it with
// common.Flow, which tells the root at once; the flow's message and, for a
// confirmation read from the store, the read itself take a moment, and
// keys typed meanwhile ("p j enter", a reason typed ahead) are held and
// then given to the screen that opened, never to the one beneath. A hold
// that outlasts holdLimit (a flow that never opened) gives the keys back.
//
// Keys typed while the screen on top is busy (a confirmation waiting for
// the store, a form saving) are held the same way until it is done: given
// to it when it stays open (the store refused: the user reads why and
// types on), to the screen beneath when it closed, to the new confirmation
// when a stale one was shown again. None is lost.

const holdLimit = 2 * time.Second

type holdState struct {
	loading int // confirmations being read for the flows that arrived
	keys    []tea.KeyPressMsg
	seq     int
}

// openedMsg carries the result of a flow's read (a screen to push, or a
// status saying why it did not open).
type openedMsg struct{ msg tea.Msg }

type holdExpiredMsg struct{ seq int }

// busy is implemented by screens that wait for a result and cannot take
// keys meanwhile.
type busy interface{ Busy() bool }

// holding reports whether keys wait for a screen that is opening, or for
// the screen on top to finish what it is doing.
func (m *Model) holding() bool {
	if b, ok := m.Top().(busy); ok && b.Busy() {
		return true
	}
	return m.c.Flows() > 0 || m.hold.loading > 0
}

// opening wraps the command that reads a flow's confirmation: keys stay
// held until its screen is up.
func (m *Model) opening(cmd tea.Cmd) tea.Cmd {
	m.hold.loading++
	return func() tea.Msg { return openedMsg{msg: cmd()} }
}

// holdKey keeps a key typed while a screen opens.
func (m *Model) holdKey(k tea.KeyPressMsg) tea.Cmd {
	m.hold.keys = append(m.hold.keys, k)
	if len(m.hold.keys) > 1 {
		return nil
	}
	m.hold.seq++
	seq := m.hold.seq
	return tea.Tick(holdLimit, func(time.Time) tea.Msg { return holdExpiredMsg{seq: seq} })
}

// release gives the held keys, in order, to the screen now on top (a key
// that opens another flow holds the rest again).
func (m *Model) release() tea.Cmd {
	keys := m.hold.keys
	m.hold.keys = nil
	var cmds []tea.Cmd
	for i, k := range keys {
		if m.holding() {
			m.hold.keys = append(m.hold.keys, keys[i:]...)
			break
		}
		_, cmd := m.updateKey(k)
		cmds = append(cmds, cmd)
	}
	return tea.Batch(cmds...)
}

// flowArrived notes that a flow's message reached the root.
func (m *Model) flowArrived(msg tea.Msg) {
	switch msg.(type) {
	case common.PromoteMsg, common.RollbackMsg, common.EditMsg, common.OpenDiffMsg, common.OpenPromptMsg,
		common.RunSuiteMsg, common.OpenRunMsg, common.CompareRunsMsg, common.CaseFormMsg, common.PlaygroundMsg,
		common.OpenRolloutMsg, common.RolloutChangeMsg, common.RemoveLabelMsg:
		m.c.FlowArrived()
	}
}
