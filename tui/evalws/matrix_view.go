package evalws

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/seed94f0f622/verso/eval/report"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/chart"
	"github.com/seed94f0f622/verso/tui/common"
)

// matrixLayout is how the matrix splits its rectangle.
type matrixLayout struct {
	nameW, colW, visCols int
	rows                 int // case rows shown
	sum                  int // summary lines (a rule and the figures)
	preview              int // preview lines (a rule and the output)
}

func (m *Matrix) layout() matrixLayout {
	var l matrixLayout
	w, h := m.width, m.height
	l.nameW = max(8, min(30, w/4))
	ncols := max(1, len(m.cols))
	region := max(1, w-l.nameW)
	l.colW = max(12, min(30, region/ncols))
	l.visCols = max(1, min(ncols, region/l.colW))
	if l.visCols == ncols {
		l.colW = region / ncols // share the leftover columns
	}
	switch {
	case h >= 20:
		l.sum = 6
	case h >= 10:
		l.sum = 2
	}
	switch {
	case h >= 14:
		l.preview = 1 + max(2, h/6)
	case h >= 11:
		l.preview = 2
	}
	l.rows = h - 3 - l.sum - l.preview
	for l.rows < 2 && l.preview > 0 {
		l.preview--
		l.rows++
	}
	for l.rows < 2 && l.sum > 0 {
		l.sum--
		l.rows++
	}
	l.rows = max(l.rows, 0)
	return l
}

func (m *Matrix) rowsHeight() int { return m.layout().rows }

// View draws the header, the progress, the visible rows, the summary and
// the focused cell's output, exactly width x height.
func (m *Matrix) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	st := &m.c.Styles
	lines := make([]string, 0, m.height)
	if !m.loaded {
		lines = append(lines, st.Muted.Render(fmt.Sprintf("loading run #%d…", m.runID)))
		return common.Box(lines, m.width, m.height)
	}
	if m.err != nil && len(m.rows) == 0 {
		lines = append(lines, st.Error.Render(common.Trunc(common.Explain(m.err), m.width)))
		return common.Box(lines, m.width, m.height)
	}
	m.ensureView()
	l := m.layout()
	m.off = scroll(m.cursor, m.off, l.rows, len(m.view))
	if m.col < m.colOff {
		m.colOff = m.col
	}
	if m.col >= m.colOff+l.visCols {
		m.colOff = m.col - l.visCols + 1
	}
	m.colOff = max(0, min(m.colOff, len(m.cols)-l.visCols))

	lines = append(lines, m.headerLine(), m.progressLine(), m.columnsLine(l))
	for i := 0; i < l.rows; i++ {
		vi := m.off + i
		if vi >= len(m.view) {
			if vi == 0 {
				msg := "no cases"
				if m.filter != filterAll {
					msg = "no cases match: " + filterNames[m.filter] + " (f changes the filter)"
				}
				lines = append(lines, st.List.Empty.Render(msg))
				continue
			}
			lines = append(lines, "")
			continue
		}
		lines = append(lines, m.rowLine(l, vi))
	}
	if l.sum > 0 {
		lines = append(lines, m.summaryLines(l)...)
	}
	if l.preview > 0 {
		lines = append(lines, m.previewLines(l.preview)...)
	}
	return common.Box(lines, m.width, m.height)
}

func (m *Matrix) headerLine() string {
	st := &m.c.Styles
	left := st.Title.Render(fmt.Sprintf("run #%d", m.runID)) + st.Muted.Render(" · ") + st.Text.Render(common.CleanLine(m.run.Prompt)) +
		st.Muted.Render(fmt.Sprintf(" · suite %s · %s × %s", common.CleanLine(m.run.Suite), common.Plural(len(m.rows), "case"), common.Plural(len(m.cols), "column")))
	if m.repeat > 1 {
		left += st.Muted.Render(fmt.Sprintf(" × %d repeats", m.repeat))
	}
	status := m.run.Status
	if m.running {
		status = store.RunRunning
	}
	var ss lipgloss.Style
	switch status {
	case store.RunDone:
		ss = st.Success
	case store.RunRunning:
		ss = st.Info
	default:
		ss = st.Warning
	}
	right := ss.Render(status)
	if m.filter != filterAll || m.sort != sortSuite {
		right = st.Accent.Render(filterNames[m.filter]+" · "+sortNames[m.sort]) + "  " + right
	}
	return spread(left, right, m.width)
}

// spread puts right at the right edge of a line, truncating left.
func spread(left, right string, width int) string {
	rw := lipgloss.Width(right)
	if rw+2 > width {
		return common.Trunc(left, width)
	}
	left = common.Trunc(left, width-rw-2)
	return left + strings.Repeat(" ", width-lipgloss.Width(left)-rw) + right
}

func (m *Matrix) progressLine() string {
	st := &m.c.Styles
	sum := m.summary()
	done, total := sum.Total, sum.Planned
	passed, failed, errs, cached := sum.Passed, sum.Failed, sum.Errors, sum.Cached
	spent := costOf(sum.Cost, sum.UsageUnknown, sum.Total-sum.Errors)
	if m.running {
		p := m.prog
		done, total, passed, failed, errs, cached = p.Done, p.Total, p.Passed, p.Failed, p.Errors, p.Cached
		spent = costOf(p.Spent, p.UsageUnknown, p.Done-p.Errors-p.Cached)
	}
	total = max(total, done)
	bw := max(6, min(24, m.width/5))
	parts := []string{
		bar(st, done, total, bw),
		st.Text.Render(fmt.Sprintf("%d/%d", done, total)),
		st.Success.Render(fmt.Sprintf("%s %d", symPass, passed)) + " " + st.Error.Render(fmt.Sprintf("%s %d", symFail, failed)) + " " +
			st.Warning.Render(fmt.Sprintf("%s %d", symError, errs)),
	}
	if m.running {
		parts = append(parts, st.Muted.Render(fmt.Sprintf("%.1f calls/s", m.rate())), st.Muted.Render(spent+" spent"))
		if m.prog.Retries > 0 {
			parts = append(parts, st.Warning.Render(fmt.Sprintf("%d retries", m.prog.Retries)))
		}
	} else {
		parts = append(parts, st.Muted.Render(spent))
	}
	if cached > 0 {
		parts = append(parts, st.Muted.Render(fmt.Sprintf("%d cached", cached)))
	}
	if !m.running && m.prog.Stopped != "" {
		// The circuit breaker stopped it: calls kept failing the same way.
		parts = append(parts, st.Warning.Render("stopped: calls kept failing · R resume"))
	}
	return strings.Join(parts, "  ")
}

func (m *Matrix) columnsLine(l matrixLayout) string {
	st := &m.c.Styles
	var b strings.Builder
	b.WriteString(st.Table.Header.Render(pad("case", l.nameW)))
	for ci := m.colOff; ci < min(len(m.cols), m.colOff+l.visCols); ci++ {
		s := st.Table.Header
		if ci == m.col {
			s = st.Table.Selected
		}
		b.WriteString(s.Render(pad(" "+colTitle(m.cols[ci]), l.colW)))
	}
	return b.String()
}

func (m *Matrix) rowLine(l matrixLayout, vi int) string {
	st := &m.c.Styles
	r := &m.rows[m.view[vi]]
	sel := vi == m.cursor
	name := common.CleanLine(r.name)
	var b strings.Builder
	if sel {
		b.WriteString(st.List.Cursor.Render("›") + st.List.Item.Render(pad(name, l.nameW-1)))
	} else {
		b.WriteString(" " + st.List.Item.Render(pad(name, l.nameW-1)))
	}
	for ci := m.colOff; ci < min(len(m.cols), m.colOff+l.visCols); ci++ {
		b.WriteString(m.cellView(r, ci, l.colW, sel && ci == m.col))
	}
	return b.String()
}

// cellText is a cell's plain text and its verdict.
func (m *Matrix) cellText(r *row, ci int) (string, report.Verdict) {
	c := &r.cells[ci]
	v := c.verdict()
	if c.n == 0 {
		if m.running && m.streaming(r.caseID, m.cols[ci]) {
			return symRunning + " running", v
		}
		return symPending, v
	}
	if m.repeat <= 1 {
		if v == report.Error {
			return symError + " error", v
		}
		return fmt.Sprintf("%s %.2f %s", verdictSym(v), c.score, ms(c.latency)), v
	}
	s := fmt.Sprintf("%s %d/%d", verdictSym(v), c.pass, len(c.res))
	if c.n > c.errs {
		s += " " + ms(c.latency)
	}
	if c.distinct > 1 {
		s += fmt.Sprintf(" ×%d", c.distinct)
	}
	return s, v
}

func (m *Matrix) streaming(caseID int64, col report.Column) bool {
	for k := range m.streams {
		if k.CaseID == caseID && k.Version == col.Version && k.Model == col.Model {
			return true
		}
	}
	return false
}

func (m *Matrix) cellView(r *row, ci, width int, selected bool) string {
	st := &m.c.Styles
	text, v := m.cellText(r, ci)
	marked := m.marked && m.markID == r.caseID && m.markCol == ci
	prefix := " "
	if marked {
		prefix = "*"
	}
	body := pad(text, width-1)
	switch {
	case selected:
		return st.List.Marked.Render(prefix) + st.Table.Selected.Render(body)
	case marked:
		return st.List.Marked.Render(prefix) + st.List.Marked.Render(body)
	}
	return prefix + verdictStyle(st, v).Render(body)
}

func (m *Matrix) summaryLines(l matrixLayout) []string {
	st := &m.c.Styles
	sum := m.summary()
	stats := make([]report.Stats, len(m.cols))
	for i, c := range m.cols {
		for _, s := range sum.Columns {
			if s.Version == c.Version && s.Model == c.Model {
				stats[i] = s
			}
		}
	}
	// Latencies per column, on one scale for all columns.
	lat, lo, hi := m.latencies()
	type fig struct {
		label string
		val   func(s report.Stats) (string, lipgloss.Style)
	}
	figs := []fig{
		{"pass rate", func(s report.Stats) (string, lipgloss.Style) {
			style := st.Success
			switch {
			case s.Total == 0:
				style = st.Muted
			case s.Passed < s.Total:
				style = st.Error
			}
			if s.Total == 0 {
				return "–", style
			}
			return fmt.Sprintf("%d/%d %s", s.Passed, s.Total, pct(s.PassRate)), style
		}},
		{"latency mean/p95", func(s report.Stats) (string, lipgloss.Style) {
			if s.Total == s.Errors {
				return "–", st.Muted
			}
			return fmt.Sprintf("%s/%s", strings.TrimSuffix(ms(s.LatencyMeanMS), "ms"), ms(s.LatencyP95MS)), st.Text
		}},
		{"latency spread", func(s report.Stats) (string, lipgloss.Style) {
			i := slices.IndexFunc(m.cols, func(c report.Column) bool { return c.Version == s.Version && c.Model == s.Model })
			if i < 0 || len(lat[i]) == 0 {
				return "–", st.Muted
			}
			n := max(min(8, l.colW-1), 1)
			return chart.Spread(lat[i], lo, hi, n), st.Accent
		}},
		{"tokens in→out", func(s report.Stats) (string, lipgloss.Style) {
			if s.Total == 0 {
				return "–", st.Muted
			}
			return count(s.TokensIn) + "→" + count(s.TokensOut), st.Text
		}},
		{"cost", func(s report.Stats) (string, lipgloss.Style) {
			return costOf(s.Cost, s.UsageUnknown, s.Total-s.Errors), st.Text
		}},
	}
	out := []string{rule(st, "summary", m.width)}
	n := l.sum - 1
	if n < 1 {
		// No room for the rule: the pass rate only.
		out, n = nil, 1
	}
	for i := 0; i < n && i < len(figs); i++ {
		f := figs[i]
		var b strings.Builder
		label := f.label
		if label == "latency spread" && hi > 0 {
			label = "latency " + ms(lo) + "…" + ms(hi)
		}
		b.WriteString(" " + st.Subtitle.Render(pad(label, l.nameW-1)))
		for ci := m.colOff; ci < min(len(m.cols), m.colOff+l.visCols); ci++ {
			text, style := f.val(stats[ci])
			b.WriteString(" " + style.Render(pad(text, l.colW-1)))
		}
		out = append(out, b.String())
	}
	return out
}

// previewLines show the focused cell's output (streaming while it runs).
func (m *Matrix) previewLines(n int) []string {
	st := &m.c.Styles
	r := m.current()
	if r == nil || len(m.cols) == 0 {
		return []string{rule(st, "", m.width)}
	}
	col := m.cols[m.col]
	title := common.CleanLine(r.name) + " · " + colTitle(col)
	var text string
	var style = st.Text
	tail := false
	if rs := m.cellResults(r, m.col); len(rs) > 0 {
		res := rs[0]
		title += " · " + resultLine(res)
		if c := &r.cells[m.col]; len(c.res) > 1 {
			title += fmt.Sprintf(" · %d of %d repeats · %d distinct outputs", c.n, len(c.res), c.distinct)
		}
		text = res.Output
		if res.Error != "" {
			text, style = res.Error, st.Error
		}
	} else if s, ok := m.streamOf(r.caseID, col); ok {
		title += " · streaming"
		text, tail = s, true
	} else {
		title += " · no result yet"
	}
	out := []string{rule(st, title, m.width)}
	// Only what can show is wrapped: a long output costs nothing per frame.
	if limit := 4 * m.width * n; len(text) > limit {
		if tail {
			text = text[len(text)-limit:]
		} else {
			text = text[:limit]
		}
		text = strings.ToValidUTF8(text, "")
	}
	body := wrap(common.Clean(text), m.width-1)
	if tail && len(body) > n-1 {
		body = body[len(body)-(n-1):]
	}
	for i := 0; i < n-1 && i < len(body); i++ {
		out = append(out, " "+style.Render(body[i]))
	}
	return out
}

func (m *Matrix) streamOf(caseID int64, col report.Column) (string, bool) {
	for k, s := range m.streams {
		if k.CaseID == caseID && k.Version == col.Version && k.Model == col.Model && k.Repeat == 0 {
			return s, true
		}
	}
	for k, s := range m.streams {
		if k.CaseID == caseID && k.Version == col.Version && k.Model == col.Model {
			return s, true
		}
	}
	return "", false
}

// latencies are the latencies of each column's answers (errors left out),
// with the lowest and highest of all: the latency spread draws every
// column on that one scale.
func (m *Matrix) latencies() (lat [][]float64, lo, hi float64) {
	lat = make([][]float64, len(m.cols))
	idx := map[report.Column]int{}
	for i, c := range m.cols {
		idx[c] = i
	}
	lo = -1
	for _, r := range m.results {
		i, ok := idx[report.Column{Version: r.Version, Model: r.Model}]
		if !ok || r.Error != "" {
			continue
		}
		v := float64(r.LatencyMS)
		lat[i] = append(lat[i], v)
		if lo < 0 || v < lo {
			lo = v
		}
		hi = max(hi, v)
	}
	return lat, max(lo, 0), hi
}
