package inlineedit

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

// wideFrom is the width from which the settings and the preview sit beside
// the text; below it they are panes of their own (tab).
const wideFrom = 100

const msgColumn = 18

func (m *Model) wide() bool { return m.w >= wideFrom }

// SetSize implements common.Screen.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = w, h
	m.area.SetSize(m.areaSize())
	if !m.wide() && m.focus == panePreview {
		return
	}
	if m.wide() && m.focus == panePreview {
		m.focus = paneText
	}
}

func (m *Model) leftWidth() int {
	if !m.wide() {
		return m.w
	}
	return (m.w - 1) * 3 / 5
}

func (m *Model) areaSize() (int, int) {
	w := m.leftWidth()
	if m.kind == store.KindChat && m.wide() {
		w -= msgColumn + 1
	}
	return max(w, 4), max(m.h-3, 1)
}

func (m *Model) previewWidth() int {
	if m.wide() {
		return max(m.w-m.leftWidth()-2, 10)
	}
	return max(m.w-1, 10)
}

func (m *Model) styles() AreaStyles { return StylesOf(m.c) }

// View draws the editor into its rectangle.
func (m *Model) View() string {
	if m.w <= 0 || m.h <= 0 {
		return ""
	}
	st := m.c.Styles
	lines := []string{m.header()}
	body := m.h - 2
	var panel []string
	if m.wide() {
		left := m.leftPane(body)
		right := m.rightPane(m.w-m.leftWidth()-1, body)
		sep := st.Panel.Border.Render("│")
		for i := range body {
			panel = append(panel, common.Fit(left[i], m.leftWidth())+sep+common.Fit(right[i], m.w-m.leftWidth()-1))
		}
	} else {
		switch m.focus {
		case paneSettings:
			panel = m.settingsPane(m.w, body)
		case panePreview:
			panel = m.previewPane(m.w, body)
		case paneMessages:
			panel = m.messagesPane(m.w, body)
		default:
			panel = m.leftPane(body)
		}
	}
	lines = append(lines, panel...)
	lines = append(lines, m.footer())
	return common.Box(lines, m.w, m.h)
}

func (m *Model) header() string {
	st := m.c.Styles
	name := m.base.Prompt
	if m.isNew {
		name = m.set.value("name")
		if name == "" {
			name = "new prompt"
		}
	}
	left := st.Title.Render("✎ "+common.CleanLine(name)) + " "
	if m.isNew {
		left += st.Muted.Render("new " + string(m.kind) + " prompt")
	} else {
		left += st.Muted.Render(fmt.Sprintf("editing v%d", m.base.Number))
	}
	if m.Changed() {
		left += " " + st.Warning.Render("● modified")
	}
	right := st.Muted.Render("tokens …")
	if m.counter != nil {
		est := ""
		if !m.exact {
			est = "≈"
		}
		right = st.Text.Render(fmt.Sprintf("%s%s", est, plural(m.tokens, "token"))) + st.Muted.Render(" ("+m.encName+")")
	}
	gap := m.w - lipgloss.Width(left) - lipgloss.Width(right)
	if gap < 1 {
		return common.Fit(left, m.w)
	}
	return left + strings.Repeat(" ", gap) + right
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func (m *Model) paneTitle(title string, focused bool, w int) string {
	st := m.c.Styles.Panel
	s := st.Title
	if focused {
		s = st.TitleFocused
	}
	return common.Fit(s.Render(title), w)
}

// leftPane is the text (and, for chat in wide layouts, the messages).
func (m *Model) leftPane(h int) []string {
	title := "Template"
	if m.kind == store.KindChat {
		title = fmt.Sprintf("Message %d of %d · %s", m.cur+1, len(m.msgs), common.CleanLine(m.msgs[m.cur].Role))
	}
	aw, _ := m.areaSize()
	text := append([]string{m.paneTitle(title, m.focus == paneText, aw)}, strings.Split(m.area.View(m.styles(), m.focus == paneText && m.ask == askNone), "\n")...)
	for len(text) < h {
		text = append(text, "")
	}
	if m.kind != store.KindChat || !m.wide() {
		return text[:h]
	}
	msgs := m.messagesPane(msgColumn, h)
	sep := m.c.Styles.Panel.Border.Render("│")
	out := make([]string, h)
	for i := range out {
		out[i] = common.Fit(msgs[i], msgColumn) + sep + common.Fit(text[i], aw)
	}
	return out
}

func (m *Model) messagesPane(w, h int) []string {
	st := m.c.Styles
	out := []string{m.paneTitle("Messages", m.focus == paneMessages, w)}
	for i, msg := range m.msgs {
		content := msg.Content
		if i == m.cur {
			content = m.area.Value()
		}
		first, _, _ := strings.Cut(strings.TrimSpace(content), "\n")
		row := fmt.Sprintf("%d ", i+1) + st.Role(msg.Role).Render(common.CleanLine(msg.Role))
		if w > msgColumn {
			row += " " + st.Muted.Render(common.CleanLine(first))
		}
		if i == m.cur {
			if m.focus == paneMessages {
				row = st.List.Selected.Render(common.Fit("› "+row, w))
			} else {
				row = "› " + row
			}
		} else {
			row = "  " + row
		}
		out = append(out, common.Fit(row, w))
	}
	if m.focus == paneMessages {
		out = append(out, "", st.Muted.Render(common.Trunc("a add · x remove", w)), st.Muted.Render(common.Trunc("K/J move · r role", w)))
	}
	for len(out) < h {
		out = append(out, "")
	}
	return out[:h]
}

func (m *Model) settingsPane(w, h int) []string {
	out := []string{m.paneTitle("Model and parameters", m.focus == paneSettings, w)}
	out = append(out, m.set.lines(m.c, w, m.focus == paneSettings)...)
	for len(out) < h {
		out = append(out, "")
	}
	return out[:h]
}

func (m *Model) previewPane(w, h int) []string {
	st := m.c.Styles
	from := "sample values: none yet, variables shown as ‹name›"
	if m.from != "" {
		from = "sample values from " + m.from
	}
	out := []string{m.paneTitle("Preview", m.focus == panePreview, w), st.Muted.Render(common.Trunc(common.CleanLine(from), w))}
	if !m.loaded && m.preview == nil {
		out = append(out, st.Muted.Render("rendering…"))
	}
	for _, l := range m.preview {
		out = append(out, common.Trunc(l, w))
	}
	for len(out) < h {
		out = append(out, "")
	}
	return out[:h]
}

func (m *Model) rightPane(w, h int) []string {
	set := m.settingsPane(w, h)
	n := 1 + len(m.set.lines(m.c, w, false))
	out := append(set[:n:n], "")
	out = append(out, m.previewPane(w, h-len(out))...)
	return out[:h]
}

// footer is the question being asked, the problem that stopped a commit,
// or where the cursor is and the variables the text uses.
func (m *Model) footer() string {
	st := m.c.Styles
	switch m.ask {
	case askDraft:
		d := m.draft
		when := common.Ago(d.Saved, m.c.Now())
		based := ""
		if d.Base != m.base.Number && !m.isNew {
			based = fmt.Sprintf(" (made on v%d)", d.Base)
		}
		return st.Warning.Render(common.Trunc(fmt.Sprintf("An unsaved draft from %s%s was kept. r restore it · x discard it", when, based), m.w))
	case askLeave:
		return st.Warning.Render(common.Trunc("Leave without committing? y discard the changes · k keep a draft · esc keep editing", m.w))
	}
	if m.problem != "" {
		return st.Error.Render(common.Trunc("✗ "+common.CleanLine(m.problem), m.w))
	}
	row, col := m.area.Cursor()
	pos := fmt.Sprintf("line %d of %d, col %d", row+1, len(m.area.Lines()), col+1)
	vars := m.vars
	s := st.Muted.Render(pos)
	if len(vars) > 0 {
		parts := make([]string, len(vars))
		for i, v := range vars {
			parts[i] = st.Variable.Render(common.CleanLine(v))
		}
		s += st.Muted.Render(" · vars ") + strings.Join(parts, st.Muted.Render(", "))
	}
	return common.Trunc(s, m.w)
}

// ShortHelp is the help line for the focused pane.
func (m *Model) ShortHelp() []key.Binding {
	k := m.keys
	switch m.ask {
	case askDraft:
		return []key.Binding{k.Restore, k.Discard}
	case askLeave:
		return []key.Binding{k.DiscardEdit, k.KeepDraft, k.Stay}
	}
	switch m.focus {
	case paneMessages:
		return []key.Binding{k.Edit, k.Add, k.Remove, k.MoveUp, k.MoveDown, k.Role, k.Next, k.Commit, k.Leave}
	}
	return []key.Binding{k.Commit, k.Diff, k.Next, k.Undo, k.Leave}
}

// FullHelp is every key, by group.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.keys
	return [][]key.Binding{
		{k.Commit, k.Diff, k.Next, k.Prev, k.Kind, k.Undo, k.Leave},
		{k.WordLeft, k.WordRight, k.KillLine, k.KillStart, k.DeleteWord, k.Top, k.Bottom},
		{k.Up, k.Down, k.Edit, k.Add, k.Remove, k.MoveUp, k.MoveDown, k.Role},
	}
}
