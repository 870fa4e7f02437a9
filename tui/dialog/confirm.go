// Package dialog holds the confirmations that change the registry: a
// commit message under the diff it commits, a label move under what it
// changes, a rollback. Each shows what will happen, takes the text it
// needs, and stays open with that text when the write fails.
package dialog

import (
	"context"
	"errors"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	"github.com/seed94f0f622/verso/tui/diffview"
)

// Spec describes a confirmation.
type Spec struct {
	Title string   // breadcrumb and first line: "Promote support/reply v5 to production"
	Lines []string // what will happen, evidence (untrusted: cleaned when drawn)
	Diff  *common.DiffSpec
	// Input names the text asked for ("Commit message", "Reason"); "" asks
	// for none (enter confirms).
	Input       string
	Placeholder string
	Value       string
	Required    bool
	Confirm     string // verb on the enter key: "commit", "promote", "roll back"
	// Do performs the change (in a command, off the UI loop) and returns
	// the success message and the changes made.
	Do func(ctx context.Context, text string) (string, []store.Change, error)
	// Gate, when set, is offered after the gate refuses the move: run the
	// suite now, or force the move with the typed reason.
	Gate *common.RunSuiteMsg
	// Force performs the change anyway after the gate or a conflict refused
	// it (ctrl+f); ForceHelp says what that does.
	Force     func(ctx context.Context, text string) (string, []store.Change, error)
	ForceHelp string
	// Refused: the preview already shows the gate's refusal, so ctrl+f is
	// offered at once.
	Refused bool
	// Again, when set, re-reads the change after the store refused it
	// because the label moved since this confirmation was read
	// (store.ErrLabelMoved): it returns the command that replaces this
	// dialog with one showing the change as it is now (text: what was
	// typed; notice: what changed).
	Again func(text, notice string) tea.Cmd
	// Notice is shown above the lines: why the confirmation is shown again.
	Notice string
	// Done, when set, is sent after a success (e.g. to open something).
	Done tea.Msg
	// Alt is a second way to make the change, offered next to enter (a
	// promotion's staged rollout).
	Alt *Alt
	// Send, when Do is nil, is sent when the user confirms (the dialog
	// closes): a question rather than a change.
	Send tea.Msg
	// Cancel, when set, is sent when the user cancels; OnCancel, when set,
	// instead builds it from the text typed so far (so it is not lost).
	// CancelHelp says what esc does ("cancel" when empty).
	Cancel     tea.Msg
	OnCancel   func(text string) tea.Msg
	CancelHelp string
}

// Alt is a second way to confirm: its own key, what it does, how ctrl+f
// forces it after the gate refused it, what is sent after it succeeded.
type Alt struct {
	Key, Help string // "ctrl+s", "start a staged rollout"
	Do        func(ctx context.Context, text string) (string, []store.Change, error)
	Force     func(ctx context.Context, text string) (string, []store.Change, error)
	Done      tea.Msg
}

type keyMap struct {
	Confirm, Cancel, Run, Force, Alt key.Binding
	Down, Up, PageDown, PageUp       key.Binding
}

func newKeys(verb string) keyMap {
	if verb == "" {
		verb = "confirm"
	}
	return keyMap{
		Confirm:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", verb)),
		Cancel:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Run:      key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "run the suite now"), key.WithDisabled()),
		Force:    key.NewBinding(key.WithKeys("ctrl+f"), key.WithHelp("ctrl+f", "force with this reason"), key.WithDisabled()),
		Down:     key.NewBinding(key.WithKeys("down", "ctrl+n"), key.WithHelp("↓", "scroll diff")),
		Up:       key.NewBinding(key.WithKeys("up", "ctrl+p"), key.WithHelp("↑", "scroll diff")),
		PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
	}
}

// Confirm is a confirmation screen.
type Confirm struct {
	c       *common.Common
	id      int
	spec    Spec
	keys    keyMap
	input   textinput.Model
	diff    *diffview.Model
	theme   string
	busy    bool
	alt     bool   // the last attempt was the Alt way
	problem string // why the last attempt failed (kept on screen)
	width   int
	height  int
}

type resultMsg struct {
	common.To
	done    tea.Msg
	text    string
	changes []store.Change
	err     error
}

// New returns a confirmation for spec.
func New(c *common.Common, spec Spec) *Confirm {
	m := &Confirm{c: c, id: common.NewID(), spec: spec, keys: newKeys(spec.Confirm), theme: c.Theme.Name}
	// A gate that already lacks evidence offers to run the suite at once.
	m.keys.Run.SetEnabled(spec.Gate != nil)
	m.keys.Force.SetEnabled(spec.Refused && spec.Force != nil)
	if spec.ForceHelp != "" {
		m.keys.Force.SetHelp("ctrl+f", spec.ForceHelp)
	}
	if spec.CancelHelp != "" {
		m.keys.Cancel.SetHelp("esc", spec.CancelHelp)
	}
	m.keys.Alt = key.NewBinding(key.WithDisabled())
	if spec.Alt != nil {
		m.keys.Alt = key.NewBinding(key.WithKeys(spec.Alt.Key), key.WithHelp(spec.Alt.Key, spec.Alt.Help))
	}
	if spec.Input != "" {
		m.input = c.NewInput(spec.Input+": ", spec.Placeholder)
		m.input.SetValue(spec.Value)
		m.input.CursorEnd()
		m.input.Focus()
	}
	if spec.Diff != nil {
		d := diffview.New(c.Styles)
		d.SetContent(spec.Diff.LeftTitle, spec.Diff.RightTitle, spec.Diff.Left, spec.Diff.Right)
		if spec.Diff.LeftConfig != nil && spec.Diff.RightConfig != nil {
			d.SetConfig(*spec.Diff.LeftConfig, *spec.Diff.RightConfig)
		}
		d.SetDialect(spec.Diff.LeftDialect, spec.Diff.RightDialect)
		m.diff = &d
	}
	return m
}

func (m *Confirm) ID() int         { return m.id }
func (m *Confirm) Init() tea.Cmd   { return nil }
func (m *Confirm) Title() string   { return m.spec.Title }
func (m *Confirm) Capturing() bool { return true }
func (m *Confirm) Reload() tea.Cmd { return nil }

// Busy reports whether the change is being made (or the confirmation
// re-read): the root holds keys typed meanwhile and gives them back when
// it is done.
func (m *Confirm) Busy() bool { return m.busy }

// Value is the text typed so far (kept across failures).
func (m *Confirm) Value() string { return m.input.Value() }

// Update handles the keys and the result of the change.
func (m *Confirm) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case resultMsg:
		// Done, it closes: it stays busy so that keys typed meanwhile go
		// to the screen beneath once it has gone.
		m.busy = msg.err == nil
		if msg.err != nil && errors.Is(msg.err, store.ErrLabelMoved) && m.spec.Again != nil {
			// What the user confirmed is no longer what enter would do:
			// show the change as it is now, with what was typed.
			notice := common.CleanLine(msg.err.Error())
			var moved *store.LabelMovedError
			var changed *store.RolloutChangedError
			if errors.As(msg.err, &moved) {
				notice = common.CleanLine(moved.Error()) // without the operation's prefix
			} else if errors.As(msg.err, &changed) {
				notice = common.CleanLine(changed.Error())
			}
			m.busy = true
			return m, tea.Batch(common.Warn(notice+": nothing was changed; the confirmation shows the change as it is now"), m.spec.Again(m.input.Value(), notice))
		}
		if msg.err != nil {
			m.problem = common.Explain(msg.err)
			if errors.Is(msg.err, store.ErrGate) && m.spec.Gate != nil {
				m.keys.Run.SetEnabled(true)
			}
			if errors.Is(msg.err, store.ErrGate) || errors.Is(msg.err, store.ErrConflict) {
				m.keys.Force.SetEnabled(m.force() != nil)
			}
			return m, common.Error(msg.err)
		}
		m.c.Wrote(msg.changes...)
		cmds := []tea.Cmd{common.Pop(true), common.Success(msg.text)}
		if msg.done != nil {
			done := msg.done
			cmds = append(cmds, func() tea.Msg { return done })
		}
		return m, tea.Sequence(cmds...)
	case tea.KeyPressMsg:
		if m.busy {
			return m, nil
		}
		switch {
		case key.Matches(msg, m.keys.Cancel):
			cancel := m.spec.Cancel
			if m.spec.OnCancel != nil {
				cancel = m.spec.OnCancel(m.input.Value())
			}
			return m, tea.Sequence(common.Pop(false), send(cancel))
		case key.Matches(msg, m.keys.Confirm) && m.spec.Do == nil:
			return m, tea.Sequence(common.Pop(false), send(m.spec.Send))
		case key.Matches(msg, m.keys.Confirm):
			if m.alt { // ctrl+f forces the move again, not the other way
				m.alt = false
				m.keys.Force.SetEnabled(m.spec.Refused && m.spec.Force != nil)
			}
			return m, m.run(m.spec.Do, m.spec.Done)
		case key.Matches(msg, m.keys.Alt) && m.keys.Alt.Enabled():
			if !m.alt {
				m.alt = true
				m.keys.Force.SetEnabled(false) // until the gate refuses this way too
			}
			return m, m.run(m.spec.Alt.Do, m.spec.Alt.Done)
		case key.Matches(msg, m.keys.Run) && m.keys.Run.Enabled():
			run := *m.spec.Gate
			return m, tea.Sequence(common.Pop(false), func() tea.Msg { return run })
		case key.Matches(msg, m.keys.Force) && m.keys.Force.Enabled():
			done := m.spec.Done
			if m.alt {
				done = m.spec.Alt.Done
			}
			return m, m.run(m.force(), done)
		case m.diff != nil && (key.Matches(msg, m.keys.Down) || key.Matches(msg, m.keys.Up) ||
			key.Matches(msg, m.keys.PageDown) || key.Matches(msg, m.keys.PageUp)):
			k := msg
			switch {
			case key.Matches(msg, m.keys.Down):
				k = tea.KeyPressMsg{Code: tea.KeyDown}
			case key.Matches(msg, m.keys.Up):
				k = tea.KeyPressMsg{Code: tea.KeyUp}
			}
			d, cmd := m.diff.Update(k)
			m.diff = &d
			return m, cmd
		}
		if m.spec.Input != "" {
			var cmd tea.Cmd
			m.input, cmd = m.input.Update(msg)
			return m, cmd
		}
	case tea.PasteMsg:
		if m.spec.Input != "" {
			var cmd tea.Cmd
			m.input, cmd = m.input.Update(msg)
			return m, cmd
		}
	case tea.MouseWheelMsg:
		if m.diff != nil {
			d, cmd := m.diff.Update(msg)
			m.diff = &d
			return m, cmd
		}
	}
	return m, nil
}

// force is what ctrl+f does: force the way last tried.
func (m *Confirm) force() func(context.Context, string) (string, []store.Change, error) {
	if m.alt {
		return m.spec.Alt.Force
	}
	return m.spec.Force
}

func (m *Confirm) run(do func(context.Context, string) (string, []store.Change, error), done tea.Msg) tea.Cmd {
	if do == nil {
		return nil
	}
	text := strings.TrimSpace(m.input.Value())
	if m.spec.Required && text == "" {
		m.problem = strings.ToLower(m.spec.Input[:1]) + m.spec.Input[1:] + " is required: type it, then enter"
		return common.Warn(m.problem)
	}
	m.busy = true
	m.problem = ""
	ctx, to := m.c.Ctx, common.To{ID: m.id}
	return func() tea.Msg {
		s, ch, err := do(ctx, text)
		return resultMsg{To: to, done: done, text: s, changes: ch, err: err}
	}
}

// SetSize lays out the lines, the diff and the input.
func (m *Confirm) SetSize(w, h int) {
	m.width, m.height = w, h
	m.input.SetWidth(max(w-len(m.spec.Input)-4, 10))
	if m.diff != nil {
		m.diff.SetSize(w, max(h-m.fixedHeight(), 1))
	}
}

// fixedHeight is everything but the diff: title, lines, blank, input,
// problem and hint lines.
func (m *Confirm) fixedHeight() int {
	n := 1 + len(m.spec.Lines) + 1 + 1
	if m.spec.Notice != "" {
		n++
	}
	if m.spec.Input != "" {
		n++
	}
	return min(n, max(m.height-3, 0))
}

// View draws title, lines, diff, problem, input and hint.
func (m *Confirm) View() string {
	st := m.c.Styles
	if m.theme != m.c.Theme.Name {
		m.theme = m.c.Theme.Name
		m.c.StyleInput(&m.input)
		if m.diff != nil {
			m.diff.SetStyles(st)
		}
	}
	top := []string{st.Dialog.Title.Render(common.CleanLine(m.spec.Title))}
	if m.spec.Notice != "" {
		for _, w := range strings.Split(ansi.Wrap(common.CleanLine(m.spec.Notice)+": nothing was changed. This is the change now:", max(m.width, 1), ""), "\n") {
			top = append(top, st.Warning.Render(w))
		}
	}
	for _, l := range m.spec.Lines {
		// Wrapped, not cut: the gate's line ends with what to do.
		for _, w := range strings.Split(ansi.Wrap(common.CleanLine(l), max(m.width, 1), ""), "\n") {
			top = append(top, st.Dialog.Text.Render(w))
		}
	}
	top = append(top, "")
	var bottom []string
	switch {
	case m.busy:
		bottom = append(bottom, st.Info.Render("Working…"))
	case m.problem != "":
		bottom = append(bottom, st.Error.Render(common.Trunc(m.problem, m.width)))
	default:
		bottom = append(bottom, "")
	}
	if m.spec.Input != "" {
		bottom = append(bottom, m.input.View())
	}
	middle := max(m.height-len(top)-len(bottom), 0)
	lines := append([]string{}, top...)
	if m.diff != nil && middle > 0 {
		m.diff.SetSize(m.width, middle)
		lines = append(lines, strings.Split(m.diff.View(), "\n")...)
	} else {
		for range middle {
			lines = append(lines, "")
		}
	}
	lines = append(lines, bottom...)
	if len(lines) > m.height {
		// Tiny terminals: keep the title, the input and the hint.
		lines = append(lines[:max(m.height-len(bottom), 1)], bottom...)
	}
	return common.Box(lines, m.width, m.height)
}

// ShortHelp lists the dialog's keys.
func (m *Confirm) ShortHelp() []key.Binding {
	b := []key.Binding{m.keys.Confirm}
	if m.keys.Run.Enabled() {
		b = append(b, m.keys.Run)
	}
	if m.keys.Force.Enabled() {
		b = append(b, m.keys.Force)
	}
	if m.keys.Alt.Enabled() {
		b = append(b, m.keys.Alt)
	}
	b = append(b, m.keys.Cancel)
	if m.diff != nil {
		b = append(b, m.keys.Down, m.keys.Up)
	}
	return b
}

// FullHelp lists every key.
func (m *Confirm) FullHelp() [][]key.Binding {
	return [][]key.Binding{m.ShortHelp(), {m.keys.PageDown, m.keys.PageUp}}
}

// send returns a command that sends msg (nil when msg is nil).
func send(msg tea.Msg) tea.Cmd {
	if msg == nil {
		return nil
	}
	return func() tea.Msg { return msg }
}
