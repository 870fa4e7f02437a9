// Package diffscreen is the full-screen diff of two texts: a header with
// what is compared (versions, messages, labels) over the scrolling
// side-by-side or unified view of tui/diffview.
package diffscreen

import (
	"fmt"
	"slices"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/tui/common"
	"github.com/seed94f0f622/verso/tui/diffview"
)

// Model is the diff screen.
type Model struct {
	c      *common.Common
	id     int
	spec   common.DiffSpec
	view   diffview.Model
	width  int
	height int
	theme  string // theme the view was styled with
}

// New returns a diff screen for spec.
func New(c *common.Common, spec common.DiffSpec) *Model {
	m := &Model{c: c, id: common.NewID(), spec: spec, view: diffview.New(c.Styles), theme: c.Theme.Name}
	m.view.SetKeyMap(KeyMap(c.List))
	m.view.SetContent(spec.LeftTitle, spec.RightTitle, spec.Left, spec.Right)
	if spec.LeftConfig != nil && spec.RightConfig != nil {
		m.view.SetConfig(*spec.LeftConfig, *spec.RightConfig)
	}
	m.view.SetDialect(spec.LeftDialect, spec.RightDialect)
	return m
}

func (m *Model) ID() int         { return m.id }
func (m *Model) Init() tea.Cmd   { return nil }
func (m *Model) Capturing() bool { return false }
func (m *Model) Reload() tea.Cmd { return nil } // versions are immutable: nothing to reload

// Title is the breadcrumb.
func (m *Model) Title() string {
	if m.spec.Title != "" {
		return m.spec.Title
	}
	return "diff"
}

// Update routes scrolling keys and the wheel to the diff view.
func (m *Model) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	var cmd tea.Cmd
	m.view, cmd = m.view.Update(msg)
	return m, cmd
}

// SetSize gives the header its lines and the diff the rest.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.view.SetSize(w, max(h-m.headerHeight(), 1))
}

func (m *Model) headerHeight() int {
	n := len(m.spec.Header)
	if n > 0 {
		n++ // the stats line
	}
	// Keep at least half the screen for the diff itself.
	return min(n, max(m.height/2-1, 0))
}

// View draws the header lines and the diff.
func (m *Model) View() string {
	if m.theme != m.c.Theme.Name {
		m.view.SetStyles(m.c.Styles)
		m.theme = m.c.Theme.Name
	}
	st := m.c.Styles
	hh := m.headerHeight()
	lines := make([]string, 0, m.height)
	if hh > 0 {
		for _, l := range m.spec.Header {
			lines = append(lines, st.Text.Render(common.Trunc(common.CleanLine(l), m.width)))
		}
		d := m.view.Diff()
		cur, total := m.view.Hunk()
		stats := st.Diff.AddMarker.Render(fmt.Sprintf("+%d", d.Added)) + " " +
			st.Diff.DelMarker.Render(fmt.Sprintf("-%d", d.Deleted)) + " " +
			st.Muted.Render(fmt.Sprintf("· change %d of %d · %s · %s", cur, total, m.view.Mode(), wrapMode(m.view.Wrap(), m.view.XOffset())))
		lines = append(lines, stats)
		lines = lines[:hh]
	}
	out := common.Box(lines, m.width, hh)
	body := m.view.View()
	if out == "" {
		return body
	}
	return out + "\n" + body
}

// ShortHelp shows the diff keys.
func (m *Model) ShortHelp() []key.Binding {
	k := m.view.KeyMap()
	if !m.view.Wrap() {
		return []key.Binding{k.NextHunk, k.PrevHunk, k.ToggleUnified, k.ToggleWrap, k.Right}
	}
	return []key.Binding{k.NextHunk, k.PrevHunk, k.ToggleUnified, k.ToggleWrap}
}

// FullHelp lists every diff key.
func (m *Model) FullHelp() [][]key.Binding { return m.view.FullHelp() }

// KeyMap is the diff view's bindings with the user's list keys for
// scrolling (the diff's own extras, like space for a page, kept).
func KeyMap(l common.ListKeys) diffview.KeyMap {
	k := diffview.DefaultKeyMap()
	k.Down, k.Up, k.Top, k.Bottom = l.Down, l.Up, l.Top, l.Bottom
	// ctrl+d and ctrl+u are the diff's half pages.
	k.PageDown = common.Also(without(l.PageDown, "ctrl+d"), "f", "space")
	k.PageUp = common.Also(without(l.PageUp, "ctrl+u"), "b")
	return k
}

func without(b key.Binding, drop string) key.Binding {
	keys := slices.DeleteFunc(slices.Clone(b.Keys()), func(k string) bool { return k == drop })
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(b.Help().Key, b.Help().Desc))
}

// wrapMode is the mode indicator of long lines.
func wrapMode(wrap bool, xoff int) string {
	switch {
	case wrap:
		return "wrap on"
	case xoff > 0:
		return fmt.Sprintf("wrap off (truncated), from column %d", xoff+1)
	}
	return "wrap off (truncated, ←/→ scroll)"
}
