package browse

import (
	"fmt"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/chart"
	"github.com/seed94f0f622/verso/tui/common"
)

// View draws the list and, on wide terminals, the preview.
func (m *Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	left := m.listLines()
	if m.previewW == 0 {
		return common.Box(left, m.width, m.height)
	}
	right := m.previewLines(m.previewW - 1)
	sep := m.c.Styles.Panel.Border.Render("│")
	out := make([]string, m.height)
	for i := range out {
		l, r := "", ""
		if i < len(left) {
			l = left[i]
		}
		if i < len(right) {
			r = right[i]
		}
		out[i] = common.Fit(l, m.listW) + sep + " " + common.Fit(r, m.previewW-1)
	}
	return strings.Join(out, "\n")
}

func (m *Model) listLines() []string {
	st := m.c.Styles
	w := m.listW
	var lines []string
	switch {
	case m.filtering || m.filter.Value() != "":
		count := st.Muted.Render(fmt.Sprintf("  %d/%d", len(m.visible), len(m.all)))
		lines = append(lines, common.Fit(m.filter.View(), w-ansi.StringWidth(count))+count)
	case m.loading && !m.loaded:
		lines = append(lines, st.Muted.Render(m.spin.View()+" loading prompts…"))
	default:
		pos := ""
		if len(m.visible) > 0 {
			pos = fmt.Sprintf(" · row %d of %d", m.cursor+1, len(m.visible))
			if len(m.visible) > m.rows() {
				pos += fmt.Sprintf(" (%d%%)", scrollPct(m.offset, len(m.visible), m.rows()))
			}
		}
		lines = append(lines, st.Muted.Render(common.Trunc(plural(len(m.all), "prompt")+pos+" · / to filter", w)))
	}
	nameW := m.nameWidth()
	labelW := m.labelWidth()
	head := "  " + common.Fit("NAME", nameW) + " VER  "
	if len(m.health) > 0 {
		head += common.Fit("TRAFFIC 24H", healthW) + " "
	}
	lines = append(lines, st.Table.Header.Render(common.Fit(head+common.Fit("LABELS", labelW)+"  LAST CHANGE", w)))
	if m.loaded && len(m.visible) == 0 {
		msg := "No prompts yet: press n to write one, or run `verso demo`."
		if len(m.all) > 0 {
			msg = "No prompt matches “" + common.CleanLine(m.filter.Value()) + "”: esc clears the filter."
		}
		return append(lines, st.List.Empty.Render(common.Trunc(msg, w)))
	}
	end := min(m.offset+m.rows(), len(m.visible))
	for i := m.offset; i < end; i++ {
		lines = append(lines, m.rowLine(m.visible[i], i == m.cursor, nameW, labelW, w))
	}
	return lines
}

// scrollPct is how far down a list of n rows, showing h from offset, is.
func scrollPct(offset, n, h int) int {
	if n <= h {
		return 100
	}
	return min(100, (offset+h)*100/n)
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// labelWidth is the labels column: the widest labels of the visible rows,
// within limits, so that the last-change column lines up.
func (m *Model) labelWidth() int {
	wmax := 6
	end := min(m.offset+m.rows(), len(m.visible))
	for i := m.offset; i < end; i++ {
		wmax = max(wmax, ansi.StringWidth(m.labelText(m.all[m.visible[i].idx], false)))
	}
	return min(wmax, max(m.listW/3, 6))
}

// labelText is a prompt's labels as badges; production carries the mark
// of its last eval (✓ passed, ✗ failed, ? none, ~ stale).
func (m *Model) labelText(p store.PromptSummary, styled bool) string {
	st := m.c.Styles
	var badges []string
	for _, l := range sortedLabels(p.Labels) {
		text := l
		if p.Labels[l] != p.Latest {
			text = fmt.Sprintf("%s@%d", l, p.Labels[l])
		}
		glyph := ""
		if l == "production" {
			if mk, ok := m.marks[p.Name]; ok && mk.Kind != common.MarkUnknown {
				glyph = m.c.MarkGlyph(mk.Kind)
			}
		}
		badges = append(badges, glyph+st.Badge(l).Render(common.CleanLine(text)))
	}
	out := strings.Join(badges, " ")
	if !styled {
		return ansi.Strip(out)
	}
	return out
}

// nameWidth is the name column: the longest name, within limits.
func (m *Model) nameWidth() int {
	return max(min(max(m.nameMax, 4), m.listW*2/5), 8)
}

func (m *Model) rowLine(r row, selected bool, nameW, labelW, w int) string {
	st := m.c.Styles
	p := m.all[r.idx]
	marker := "  "
	if selected {
		marker = st.List.Cursor.Render("› ")
	}
	meta := common.Ago(p.LatestAt, m.c.Now())
	if p.LatestAuthor != "" {
		meta += " · " + common.CleanLine(p.LatestAuthor)
	}
	for _, t := range p.Tags {
		meta += " #" + common.CleanLine(t)
	}
	ver := fmt.Sprintf(" %-4s", fmt.Sprintf("v%d", p.Latest))
	if selected {
		// The whole row carries the selection (the matched characters of
		// the filter still show).
		name := common.Fit(m.styledName(p.Name, r.matched, true), nameW)
		rest := ver + " " + m.healthCell(p.Name, false) + common.Fit(m.labelText(p, false), labelW) + "  " + meta
		return marker + name + st.List.Selected.Render(common.Fit(rest, max(w-2-nameW, 0)))
	}
	name := common.Fit(m.styledName(p.Name, r.matched, false), nameW)
	left := marker + name + st.Muted.Render(ver) + " " + m.healthCell(p.Name, true) + common.Fit(m.labelText(p, true), labelW)
	metaW := w - ansi.StringWidth(left) - 2
	if metaW < 8 {
		return common.Fit(left, w)
	}
	return common.Fit(left+"  "+st.List.Meta.Render(common.Fit(meta, metaW)), w)
}

// healthW is the health column: a 12-step sparkline and a mark.
const healthW = 14

// healthCell draws a prompt's requests over the last day as a sparkline,
// then ▲ when its production version's error rate or score is worse than
// the version before it (store.CompareFigures), and a space; nothing when no
// prompt has traffic.
func (m *Model) healthCell(name string, styled bool) string {
	if len(m.health) == 0 {
		return ""
	}
	st := m.c.Styles
	h, ok := m.health[name]
	if !ok {
		return strings.Repeat(" ", healthW+1)
	}
	var top int64
	for _, c := range h.Requests {
		top = max(top, c)
	}
	vals := make([]float64, len(h.Requests))
	for i, c := range h.Requests {
		vals[i] = -1
		if c > 0 {
			vals[i] = max(float64(c)/float64(top), 0.01)
		}
	}
	spark, mark := common.Fit(chart.Sparkline(vals, healthW-2), healthW-2), " "
	if h.ErrorWorse || h.ScoreWorse {
		mark = "▲"
	}
	if !styled {
		return spark + " " + mark + " "
	}
	if mark != " " {
		mark = st.Chart.Worse.Render(mark)
	}
	return st.Chart.Spark.Render(spark) + " " + mark + " "
}

// styledName draws a prompt name: the folder part dimmed, the matched
// characters of the filter highlighted.
func (m *Model) styledName(name string, matched []int, selected bool) string {
	st := m.c.Styles.List
	name = common.CleanLine(name)
	base, match := st.Item, st.Match
	if selected {
		base, match = st.Selected, st.SelectedMatch
	}
	folderEnd := strings.LastIndex(name, "/") + 1
	hit := map[int]bool{}
	for _, i := range matched {
		hit[i] = true
	}
	styleAt := func(i int) *lipgloss.Style {
		switch {
		case hit[i]:
			return &match
		case i < folderEnd:
			return &st.Folder
		}
		return &base
	}
	// Render runs of characters that share a style at once: this runs for
	// every visible row on every frame.
	var b strings.Builder
	start := 0
	for i := range name {
		if i > 0 && styleAt(i) != styleAt(start) {
			b.WriteString(styleAt(start).Render(name[start:i]))
			start = i
		}
	}
	if start < len(name) {
		b.WriteString(styleAt(start).Render(name[start:]))
	}
	return b.String()
}

// sortedLabels puts the well-known labels first, then the rest by name.
func sortedLabels(l map[string]int) []string {
	order := map[string]int{"production": 0, "staging": 1, "development": 2}
	out := make([]string, 0, len(l))
	for name := range l {
		out = append(out, name)
	}
	rank := func(s string) int {
		if r, ok := order[s]; ok {
			return r
		}
		return 3
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && (rank(out[j]) < rank(out[j-1]) || rank(out[j]) == rank(out[j-1]) && out[j] < out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

var _ = store.KindText
