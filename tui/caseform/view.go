package caseform

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"

	"github.com/seed94f0f622/verso/eval/assert"
	"github.com/seed94f0f622/verso/tui/common"
)

const labelWidth = 14

// View draws the form (or the type list) into its rectangle.
func (m *Model) View() string {
	if m.w <= 0 || m.h <= 0 {
		return ""
	}
	st := m.c.Styles
	head := common.CleanLine(fmt.Sprintf("%s · %s · suite %s", m.Title(), m.spec.Prompt, m.spec.Suite))
	lines := []string{st.Title.Render(common.Trunc(head, m.w)), ""}
	var body []string
	cursor := 0
	if m.picking {
		body, cursor = m.pickerLines()
	} else {
		body, cursor = m.formLines()
	}
	avail := max(m.h-len(lines)-1, 1)
	if cursor < m.offset {
		m.offset = cursor
	}
	if cursor >= m.offset+avail {
		m.offset = cursor - avail + 1
	}
	m.offset = min(m.offset, max(len(body)-avail, 0))
	end := min(len(body), m.offset+avail)
	lines = append(lines, body[m.offset:end]...)
	for len(lines) < m.h-1 {
		lines = append(lines, "")
	}
	lines = append(lines, m.footer())
	return common.Box(lines, m.w, m.h)
}

func (m *Model) footer() string {
	st := m.c.Styles
	switch {
	case m.asking:
		return st.Warning.Render(common.Trunc("Discard this case? y discard · any other key keeps editing", m.w))
	case m.problem != "":
		return st.Error.Render(common.Trunc("✗ "+common.CleanLine(m.problem), m.w))
	case m.busy:
		return st.Muted.Render("saving…")
	}
	if _, err := m.build(); err != nil {
		return st.Muted.Render(common.Trunc("to save: "+common.CleanLine(err.Error()), m.w))
	}
	return st.Success.Render(common.Trunc("ready: ctrl+s saves the case", m.w))
}

// formLines draws the fields; cursor is the focused field's line.
func (m *Model) formLines() ([]string, int) {
	st := m.c.Styles
	fs := m.fields()
	var out []string
	cursor := 0
	inW := max(m.w-labelWidth-4, 8)
	input := func(i int, f field, indent int) {
		label := fmt.Sprintf("%-*s", labelWidth-indent, common.Trunc(common.CleanLine(f.label), labelWidth-indent-1))
		ls := st.Muted
		marker := "  "
		if i == m.focus {
			ls, marker, cursor = st.Accent, st.Accent.Render("› "), len(out)
		}
		in := *f.in
		in.SetWidth(inW)
		if v := in.Value(); v != common.CleanLine(v) {
			// Values from a stored case are untrusted: draw them clean.
			pos := in.Position()
			in.SetValue(common.CleanLine(v))
			in.SetCursor(pos)
		}
		out = append(out, common.Fit(marker+strings.Repeat(" ", indent)+ls.Render(label)+in.View(), m.w))
	}
	section := func(s string) {
		out = append(out, "", st.Subtitle.Render(s))
	}
	row := -2
	for i, f := range fs {
		switch {
		case i == 0:
			input(i, f, 0)
		case f.in == &m.expect:
			section("Expected output")
			input(i, f, 0)
			section("Assertions: what the answer must do")
			if len(m.rows) == 0 {
				out = append(out, st.Muted.Render(common.Trunc("  none yet", m.w)))
			}
		case f.addRow:
			marker := "  "
			s := st.Muted
			if i == m.focus {
				marker, s, cursor = st.Accent.Render("› "), st.Accent, len(out)
			}
			out = append(out, "", marker+s.Render("+ add an assertion (enter: choose its type from a list)"))
		case f.row >= 0:
			if f.row != row {
				row = f.row
				r := m.rows[row]
				out = append(out, common.Fit(fmt.Sprintf("  %d ", row+1)+st.Variable.Render(common.CleanLine(r.typ))+st.Muted.Render(" — "+kindDoc(r.typ)), m.w))
			}
			if f.in == nil {
				out = append(out, st.Muted.Render("    (no value needed)"))
				if i == m.focus {
					cursor = len(out) - 1
				}
			} else {
				input(i, f, 2)
			}
			if last := i+1 >= len(fs) || fs[i+1].row != f.row; last {
				if _, err := m.rows[f.row].assertion(); err != nil && (m.rows[f.row].value.Value() != "" || m.rows[f.row].threshold.Value() != "" || needsOf(m.rows[f.row].typ).value == "") {
					out = append(out, common.Fit("    "+st.Error.Render("✗ "+common.CleanLine(err.Error())), m.w))
				}
			}
		default:
			if i == 1 {
				section("Variables (the prompt's, pre-listed)")
			}
			input(i, f, 0)
		}
	}
	return out, cursor
}

// pickerLines lists the assertion types with their one-line docs.
func (m *Model) pickerLines() ([]string, int) {
	st := m.c.Styles
	neg := "off"
	if m.negate {
		neg = "on: the assertion fails when this holds"
	}
	out := []string{st.Subtitle.Render("Choose the assertion type"), st.Muted.Render(common.Trunc("! negate ("+neg+") · enter choose · esc back", m.w)), ""}
	cursor := 0
	nameW := 0
	for _, k := range assert.Kinds() {
		nameW = max(nameW, len(k.Name))
	}
	for i, k := range assert.Kinds() {
		name := k.Name
		if m.negate {
			name = "not-" + name
		}
		line := fmt.Sprintf("%-*s  %s", nameW+4, name, k.Doc)
		if k.NeedsModel {
			line += " (calls a model)"
		}
		if i == m.pick {
			cursor = len(out)
			out = append(out, st.List.Selected.Render(common.Fit("› "+line, m.w)))
			continue
		}
		out = append(out, common.Fit("  "+line, m.w))
	}
	return out, cursor
}

// ShortHelp is the help line.
func (m *Model) ShortHelp() []key.Binding {
	k := m.keys
	if m.picking {
		return []key.Binding{k.Pick, k.Negate, k.Cancel}
	}
	b := []key.Binding{k.Save, k.Next, k.Prev}
	if f := m.fields()[m.focus]; f.row >= 0 {
		b = append(b, k.Remove)
	}
	if m.spec.YAML != nil {
		b = append(b, k.YAML)
	}
	return append(b, k.Cancel)
}

// FullHelp is every key.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.keys
	return [][]key.Binding{{k.Save, k.YAML, k.Next, k.Prev, k.Remove, k.Cancel}, {k.Pick, k.Negate}}
}
