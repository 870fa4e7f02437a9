// Package promptview is one prompt's screen: a tab bar (Content, History,
// Labels, Tests, Runs, Analytics) over the active tab.
package promptview

import (
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/tui/common"
)

// KeyMap switches tabs.
type KeyMap struct {
	Next, Prev key.Binding
	Jump       key.Binding
}

// DefaultKeyMap returns the tab bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Next: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next tab")),
		Prev: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous tab")),
		Jump: key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6"), key.WithHelp("1-6", "go to tab")),
	}
}

// Extra builds tabs that live in other packages (Tests and Runs, from the
// eval workspace); the root passes them in so packages stay independent.
type Extra func(c *common.Common, prompt string) common.Tab

// Model is the prompt screen.
type Model struct {
	c      *common.Common
	id     int
	name   string
	keys   KeyMap
	tabs   []common.Tab
	active int
	width  int
	height int
}

// viewVersionMsg asks the Content tab to show a version.
type viewVersionMsg struct{ version int }

// New returns the prompt screen on the named tab ("" = Content) showing
// version (0 = latest).
func New(c *common.Common, name, tab string, version int, extra ...Extra) *Model {
	m := &Model{c: c, id: common.NewID(), name: name, keys: DefaultKeyMap()}
	m.tabs = []common.Tab{newContent(c, name, version), newHistory(c, name), newLabels(c, name)}
	for _, e := range extra {
		m.tabs = append(m.tabs, e(c, name))
	}
	m.tabs = append(m.tabs, newAnalytics(c, name))
	for i, t := range m.tabs {
		if strings.EqualFold(t.Name(), tab) {
			m.active = i
		}
	}
	return m
}

func (m *Model) ID() int       { return m.id }
func (m *Model) Title() string { return m.name }

// Owns reports whether id is one of this screen's tabs.
func (m *Model) Owns(id int) bool {
	for _, t := range m.tabs {
		if t.ID() == id {
			return true
		}
	}
	return false
}

// Capturing is true while the active tab takes text.
func (m *Model) Capturing() bool { return m.tabs[m.active].Capturing() }

// HandlesEsc: the active tab uses esc first (to clear its marks).
func (m *Model) HandlesEsc() bool {
	e, ok := m.tabs[m.active].(interface{ HandlesEsc() bool })
	return ok && e.HandlesEsc()
}

// Name is the prompt's name.
func (m *Model) Name() string { return m.name }

// Active returns the active tab's name.
func (m *Model) Active() string { return m.tabs[m.active].Name() }

// Init loads every tab (they are small queries; switching is instant).
func (m *Model) Init() tea.Cmd {
	cmds := make([]tea.Cmd, len(m.tabs))
	for i, t := range m.tabs {
		cmds[i] = t.Init()
	}
	return tea.Batch(cmds...)
}

// Reload reloads every tab, keeping their cursors.
func (m *Model) Reload() tea.Cmd {
	cmds := make([]tea.Cmd, len(m.tabs))
	for i, t := range m.tabs {
		cmds[i] = t.Reload()
	}
	return tea.Batch(cmds...)
}

// Update routes addressed messages to their tab and keys to the active one.
func (m *Model) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case common.Addressed:
		for i, t := range m.tabs {
			if t.ID() == msg.ScreenID() {
				var cmd tea.Cmd
				m.tabs[i], cmd = t.Update(msg)
				return m, cmd
			}
		}
		return m, nil
	case viewVersionMsg:
		m.active = 0
		var cmd tea.Cmd
		m.tabs[0], cmd = m.tabs[0].Update(msg)
		return m, cmd
	case tea.KeyPressMsg:
		if !m.Capturing() {
			switch {
			case key.Matches(msg, m.keys.Next):
				m.active = (m.active + 1) % len(m.tabs)
				return m, nil
			case key.Matches(msg, m.keys.Prev):
				m.active = (m.active + len(m.tabs) - 1) % len(m.tabs)
				return m, nil
			case key.Matches(msg, m.keys.Jump):
				if i := int(msg.String()[0] - '1'); i < len(m.tabs) {
					m.active = i
				}
				return m, nil
			}
		}
	case tea.MouseClickMsg:
		if msg.Y == 0 {
			if i := m.tabAt(msg.X); i >= 0 {
				m.active = i
			}
			return m, nil
		}
		msg.Y--
		var cmd tea.Cmd
		m.tabs[m.active], cmd = m.tabs[m.active].Update(msg)
		return m, cmd
	}
	var cmd tea.Cmd
	m.tabs[m.active], cmd = m.tabs[m.active].Update(msg)
	return m, cmd
}

// SetSize gives the tabs everything below the tab bar.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	for _, t := range m.tabs {
		t.SetSize(w, max(h-1, 1))
	}
}

func (m *Model) tabLabels() []string {
	out := make([]string, len(m.tabs))
	for i, t := range m.tabs {
		out[i] = " " + string(rune('1'+i)) + " " + t.Name() + " "
	}
	return out
}

func (m *Model) tabAt(x int) int {
	pos := 0
	for i, l := range m.tabLabels() {
		w := ansi.StringWidth(l)
		if x >= pos && x < pos+w {
			return i
		}
		pos += w + 1
	}
	return -1
}

// View draws the tab bar and the active tab.
func (m *Model) View() string {
	st := m.c.Styles.Tabs
	var b strings.Builder
	for i, l := range m.tabLabels() {
		if i > 0 {
			b.WriteString(st.Separator.Render("│"))
		}
		if i == m.active {
			b.WriteString(st.Active.Render(l))
		} else {
			b.WriteString(st.Inactive.Render(l))
		}
	}
	bar := common.Fit(b.String(), m.width)
	if m.height <= 1 {
		return bar
	}
	return bar + "\n" + m.tabs[m.active].View()
}

// ShortHelp is the active tab's help plus tab switching.
func (m *Model) ShortHelp() []key.Binding {
	if m.Capturing() { // tab is the input's then
		return m.tabs[m.active].ShortHelp()
	}
	return append(m.tabs[m.active].ShortHelp(), m.keys.Next)
}

// FullHelp is the active tab's full help plus tab switching.
func (m *Model) FullHelp() [][]key.Binding {
	return append(m.tabs[m.active].FullHelp(), []key.Binding{m.keys.Next, m.keys.Prev, m.keys.Jump})
}
