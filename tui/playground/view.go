package playground

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	"github.com/seed94f0f622/verso/tui/inlineedit"
)

// wideFrom is the width from which the answers sit beside the inputs.
const wideFrom = 110

func (m *Model) wide() bool { return m.w >= wideFrom }

// SetSize implements common.Screen.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = w, h
	aw, ah := m.areaSize()
	m.area.SetSize(aw, ah)
	for i := range m.inputs {
		m.inputs[i].SetWidth(max(m.leftWidth()-m.nameWidth()-5, 4))
	}
}

func (m *Model) leftWidth() int {
	if m.wide() {
		return m.w * 2 / 5
	}
	return m.w
}

func (m *Model) nameWidth() int {
	n := 0
	for _, v := range m.varNames {
		n = max(n, ansi.StringWidth(v))
	}
	return min(n, max(m.leftWidth()/3, 1))
}

// varRows is how many variable rows are shown.
func (m *Model) varRows() int {
	n := max(len(m.varNames), 1)
	if m.wide() {
		return min(n, max(m.h/3, 1))
	}
	return min(n, max(m.h/6, 1))
}

// modelRows is how many model rows are shown (narrow: one line).
func (m *Model) modelRows() int {
	if !m.wide() {
		return 1
	}
	return min(max(len(m.models), 1), max(m.h/5, 1))
}

// areaSize is the prompt text area's size.
func (m *Model) areaSize() (int, int) {
	top := 1 + 1 + m.varRows() + 1 + m.modelRows() + 1 // banner, titles and rows
	if m.wide() {
		return m.leftWidth(), max(m.h-top-1, 1)
	}
	return m.w, max((m.h-top-1)/3, 1)
}

// answerHeight is the height of the answer text (below the headers).
func (m *Model) answerHeight() int {
	if m.wide() {
		return max(m.h-1-2, 1)
	}
	_, ah := m.areaSize()
	top := 1 + 1 + m.varRows() + 1 + m.modelRows() + 1 + ah
	return max(m.h-top-1-2, 1)
}

func (m *Model) title(p pane, extra string, w int) string {
	st := m.c.Styles
	name := paneNames[p]
	if m.focus == p {
		return common.Fit(st.Title.Render("▸ "+name)+st.Muted.Render(extra), w)
	}
	return common.Fit(st.Subtitle.Render("  "+name)+st.Muted.Render(extra), w)
}

// View draws the playground into its rectangle.
func (m *Model) View() string {
	if m.w <= 0 || m.h <= 0 {
		return ""
	}
	lines := []string{m.banner()}
	left := m.leftLines()
	if m.wide() {
		lw := m.leftWidth()
		right := m.answerLines(m.w-lw-1, m.h-1)
		sep := m.c.Styles.Muted.Render("│")
		for i := 0; i < m.h-1; i++ {
			l, r := "", ""
			if i < len(left) {
				l = left[i]
			}
			if i < len(right) {
				r = right[i]
			}
			lines = append(lines, common.Fit(l, lw)+sep+r)
		}
	} else {
		lines = append(lines, left...)
		lines = append(lines, m.answerLines(m.w, m.h-len(lines))...)
	}
	return common.Box(lines, m.w, m.h)
}

// banner is the question when leaving, else what is being tried.
func (m *Model) banner() string {
	st := m.c.Styles
	if m.ask {
		return common.Fit(st.Warning.Render("The prompt was changed here and not committed: y discards the change, esc stays (ctrl+s commits it)"), m.w)
	}
	what := fmt.Sprintf("Trying %s v%d", common.CleanLine(m.base.Prompt), m.base.Number)
	if m.Edited() {
		what += st.Warning.Render(" · changed here, not committed (ctrl+s commits)")
	}
	if !m.loaded {
		what += st.Muted.Render(" · loading values…")
	} else if len(m.sources) > 1 {
		what += st.Muted.Render(fmt.Sprintf(" · values: %s (ctrl+o: %d more)", common.CleanLine(m.sources[m.src].name), len(m.sources)-1))
	} else if len(m.sources) == 1 {
		what += st.Muted.Render(" · values: " + common.CleanLine(m.sources[0].name))
	}
	return common.Fit(what, m.w)
}

// leftLines are the inputs: variables, models and the prompt.
func (m *Model) leftLines() []string {
	st := m.c.Styles
	w := m.leftWidth()
	var out []string
	out = append(out, m.title(paneVars, fmt.Sprintf("  %s", plural(len(m.varNames), "variable")), w))
	rows := m.varRows()
	if len(m.varNames) == 0 {
		out = append(out, common.Fit(st.Muted.Render("  this version has no variables"), w))
	} else {
		first := min(max(m.vcur-rows+1, 0), max(len(m.varNames)-rows, 0))
		nw := m.nameWidth()
		for i := first; i < first+rows && i < len(m.varNames); i++ {
			name := common.Fit(st.Variable.Render(common.Trunc(m.varNames[i], nw)), nw)
			out = append(out, common.Fit(" "+name+"  "+m.inputs[i].View(), w))
		}
	}
	out = append(out, m.title(paneModels, fmt.Sprintf("  %d of %d picked", len(m.pickedModels()), len(m.models)), w))
	out = append(out, m.modelLines(w)...)
	extra := ""
	if m.kind == store.KindChat && len(m.msgs) > 0 {
		extra = fmt.Sprintf("  message %d of %d (%s)", m.cur+1, len(m.msgs), m.msgs[m.cur].Role)
	}
	out = append(out, m.title(panePrompt, extra, w))
	out = append(out, strings.Split(m.area.View(inlineedit.StylesOf(m.c), m.focus == panePrompt), "\n")...)
	return out
}

func (m *Model) modelLines(w int) []string {
	st := m.c.Styles
	if len(m.models) == 0 {
		return []string{common.Fit(st.Muted.Render("  no models are configured"), w)}
	}
	item := func(i int) string {
		box := "[ ] "
		if m.picked[m.models[i]] {
			box = "[x] "
		}
		s := box + common.CleanLine(m.models[i])
		if m.focus == paneModels && i == m.mcur {
			return st.List.Selected.Render(s)
		}
		return st.Text.Render(s)
	}
	if !m.wide() {
		// One line: it starts late enough for the cursor to show.
		first := 0
		for first < m.mcur {
			width := 1
			for i := first; i <= m.mcur; i++ {
				width += ansi.StringWidth(item(i)) + 2
			}
			if width <= w {
				break
			}
			first++
		}
		var parts []string
		if first > 0 {
			parts = append(parts, st.Muted.Render("…"))
		}
		for i := first; i < len(m.models); i++ {
			parts = append(parts, item(i))
		}
		return []string{common.Fit(" "+strings.Join(parts, "  "), w)}
	}
	rows := m.modelRows()
	first := min(max(m.mcur-rows+1, 0), max(len(m.models)-rows, 0))
	var out []string
	for i := first; i < first+rows && i < len(m.models); i++ {
		out = append(out, common.Fit(" "+item(i), w))
	}
	return out
}

// answerLines are the answers side by side, each under its figures.
func (m *Model) answerLines(w, h int) []string {
	st := m.c.Styles
	out := []string{m.title(paneAnswers, m.answersExtra(), w)}
	if len(m.cols) == 0 {
		hint := "ctrl+r runs the prompt with these values on the picked models; the answers stream here side by side."
		for _, l := range strings.Split(ansi.Wordwrap(hint, max(w-2, 10), " "), "\n") {
			out = append(out, common.Fit(st.Muted.Render("  "+l), w))
		}
		return out
	}
	n := len(m.cols)
	cw := max((w-(n-1))/n, 1)
	sep := st.Muted.Render("│")
	body := max(h-3, 0)
	cols := make([][]string, n)
	for i, c := range m.cols {
		cols[i] = m.columnLines(i, c, cw, body)
	}
	for r := 0; r < 2+body; r++ {
		var parts []string
		for i := range cols {
			cell := ""
			if r < len(cols[i]) {
				cell = cols[i][r]
			}
			parts = append(parts, common.Fit(cell, cw))
		}
		out = append(out, common.Fit(strings.Join(parts, sep), w))
	}
	return out
}

func (m *Model) answersExtra() string {
	if len(m.cols) == 0 {
		return ""
	}
	if m.live {
		return "  streaming… (esc stops)"
	}
	if m.scroll > 0 {
		return fmt.Sprintf("  from line %d", m.scroll+1)
	}
	return ""
}

// columnLines are one answer: the model (and the cached mark), its
// figures, then the text from the scroll position.
func (m *Model) columnLines(i int, c *column, w, body int) []string {
	st := m.c.Styles
	head := common.CleanLine(c.model)
	hs := st.Subtitle
	if m.focus == paneAnswers && i == m.acur {
		hs = st.Accent
	}
	line1 := hs.Render(common.Trunc(head, w))
	if c.cached {
		line1 += " " + st.Info.Render("cached")
	}
	var line2 string
	switch c.state {
	case waiting:
		line2 = st.Muted.Render("waiting for the first token…")
	case streaming:
		line2 = st.Info.Render(fmt.Sprintf("streaming · first token after %s", ms(c.first)))
	case done:
		line2 = st.Success.Render(figures(c))
	case failed:
		line2 = st.Error.Render("failed: " + common.CleanLine(c.err))
	}
	out := []string{line1, common.Trunc(line2, w)}
	text := common.Clean(c.text.String())
	if text == "" && c.state == done {
		text = "(empty answer)"
	}
	wrapped := strings.Split(ansi.Wrap(text, max(w, 1), " "), "\n")
	from := min(m.scroll, max(len(wrapped)-1, 0))
	for j := from; j < len(wrapped) && len(out) < 2+body; j++ {
		out = append(out, st.Text.Render(wrapped[j]))
	}
	return out
}

// figures are an answer's latency, tokens and cost.
func figures(c *column) string {
	r := c.resp
	parts := []string{ms(r.Latency)}
	if r.UsageUnknown {
		parts = append(parts, "tokens unknown", "cost unknown")
	} else {
		parts = append(parts, fmt.Sprintf("%d→%d tokens", r.TokensIn, r.TokensOut), money(c.cost))
	}
	if r.FinishReason == "length" {
		parts = append(parts, "cut at max_tokens")
	}
	return strings.Join(parts, " · ")
}

func ms(d time.Duration) string {
	if d >= 10*time.Second {
		return fmt.Sprintf("%.0f s", d.Seconds())
	}
	if d >= time.Second {
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
	return fmt.Sprintf("%d ms", d.Milliseconds())
}

func money(f float64) string {
	switch {
	case f == 0:
		return "$0"
	case f < 0.0001:
		return strings.TrimRight(fmt.Sprintf("$%.6f", f), "0")
	case f < 0.01:
		return fmt.Sprintf("$%.4f", f)
	}
	return fmt.Sprintf("$%.2f", f)
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// ShortHelp implements common.Screen.
func (m *Model) ShortHelp() []key.Binding {
	k := m.keys
	if m.ask {
		return []key.Binding{k.Discard, k.Stay, k.Commit}
	}
	hs := []key.Binding{k.Run, k.Next}
	switch m.focus {
	case paneModels:
		hs = append(hs, k.Pick)
	case panePrompt:
		if m.kind == store.KindChat {
			hs = append(hs, k.NextMsg)
		}
	}
	return append(hs, k.Case, k.Commit, k.Values, k.Leave)
}

// FullHelp implements common.Screen.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.keys
	return [][]key.Binding{
		{k.Run, k.Leave, k.Next, k.Prev, k.Values},
		{k.Case, k.Commit, k.Pick, k.NextMsg, k.PrevMsg},
		inlineedit.TextHelp(),
	}
}
