package promptview

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/chart"
	"github.com/seed94f0f622/verso/tui/common"
)

// window is a time range of the Analytics tab with its step.
type window struct {
	name string
	span time.Duration
	step time.Duration
	unit time.Duration // of the time axis' labels
	sfx  string
}

// windows are the ranges w/W cycle through.
var windows = []window{
	{"1h", time.Hour, time.Minute, time.Minute, "m"},
	{"24h", 24 * time.Hour, 15 * time.Minute, time.Hour, "h"},
	{"7d", 7 * 24 * time.Hour, 2 * time.Hour, 24 * time.Hour, "d"},
	{"30d", 30 * 24 * time.Hour, 6 * time.Hour, 24 * time.Hour, "d"},
}

// defaultWindow is 7d: a week shows the daily rhythm and recent changes.
const defaultWindow = 2

// metric is one figure charted over time.
type metric struct {
	name  string
	value func(store.Figures) float64 // NaN where undefined
	axis  func(float64) string
}

func defined(f store.Figures, v float64) float64 {
	if f.Requests == 0 {
		return math.NaN()
	}
	return v
}

var metrics = []metric{
	{"requests", func(f store.Figures) float64 { return float64(f.Requests) }, fmtCount},
	{"error rate", func(f store.Figures) float64 { return defined(f, f.ErrorRate*100) }, func(v float64) string { return fmtPct(v / 100) }},
	{"p50 latency", func(f store.Figures) float64 { return defined(f, f.LatencyP50MS) }, fmtMS},
	{"p95 latency", func(f store.Figures) float64 { return defined(f, f.LatencyP95MS) }, fmtMS},
	{"tokens/request", func(f store.Figures) float64 {
		return defined(f, math.Round(float64(f.TokensIn+f.TokensOut)/float64(max(f.Requests, 1))))
	}, fmtCount},
	{"cost", func(f store.Figures) float64 { return defined(f, f.Cost) }, fmtCost},
	{"score", func(f store.Figures) float64 {
		if f.ScoreMean == nil {
			return math.NaN()
		}
		return *f.ScoreMean
	}, func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }},
}

// groupings are what g cycles through.
var groupings = []string{"version", "label", "arm", "model"}

type analyticsKeys struct {
	Down, Up                  key.Binding
	Metric, PrevMetric        key.Binding
	Window, PrevWindow, Group key.Binding
	View                      key.Binding
}

func newAnalyticsKeys(list common.ListKeys) analyticsKeys {
	return analyticsKeys{
		Down:       list.Down,
		Up:         list.Up,
		Metric:     key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "next figure")),
		PrevMetric: key.NewBinding(key.WithKeys("M"), key.WithHelp("M", "previous figure")),
		Window:     key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "longer window")),
		PrevWindow: key.NewBinding(key.WithKeys("W"), key.WithHelp("W", "shorter window")),
		Group:      key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "group by version/label/arm/model")),
		View:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "view the version")),
	}
}

// analytics charts the prompt's production traffic over a window, per
// version (or label, arm, model), with a table of the same figures and
// the label moves marked on the time axis. It re-reads when the file
// changes (the root's live poll), so it moves while `verso serve` ingests.
type analytics struct {
	c      *common.Common
	id     int
	name   string
	keys   analyticsKeys
	win    int
	metric int
	by     int
	cursor int
	width  int
	height int

	loaded  bool
	loading bool
	err     error
	data    analyticsData
}

// analyticsData is what one load read.
type analyticsData struct {
	win, by int // what it was read for
	now     time.Time
	series  store.Series
	moves   []store.LabelEvent // inside the window, oldest first
}

type analyticsMsg struct {
	common.To
	data analyticsData
	err  error
}

func newAnalytics(c *common.Common, name string) *analytics {
	return &analytics{c: c, id: common.NewID(), name: name, keys: newAnalyticsKeys(c.List), win: defaultWindow}
}

func (t *analytics) ID() int         { return t.id }
func (t *analytics) Name() string    { return "Analytics" }
func (t *analytics) Capturing() bool { return false }
func (t *analytics) Init() tea.Cmd   { return t.load() }
func (t *analytics) Reload() tea.Cmd { return t.load() }

func (t *analytics) load() tea.Cmd {
	t.loading = true
	ctx, st, to, name := t.c.Ctx, t.c.Store, common.To{ID: t.id}, t.name
	win, by, now := t.win, t.by, t.c.Now()
	w := windows[win]
	return func() tea.Msg {
		s, err := st.Series(ctx, store.SeriesQuery{Prompt: name, Since: now.Add(-w.span), Until: now, Step: w.step, By: groupings[by]})
		if err != nil {
			return analyticsMsg{To: to, err: err}
		}
		evs, err := st.LabelHistory(ctx, name)
		if err != nil {
			return analyticsMsg{To: to, err: err}
		}
		var moves []store.LabelEvent
		for _, e := range evs {
			if !e.At.Before(s.Start) && !e.At.After(now) {
				moves = append(moves, e)
			}
		}
		return analyticsMsg{To: to, data: analyticsData{win: win, by: by, now: now, series: s, moves: moves}}
	}
}

func (t *analytics) Update(msg tea.Msg) (common.Tab, tea.Cmd) {
	switch msg := msg.(type) {
	case analyticsMsg:
		t.loading = false
		t.err = msg.err
		if msg.err != nil {
			return t, common.Error(msg.err)
		}
		sel := t.selectedKey()
		t.data = msg.data
		t.loaded = true
		t.cursor = 0
		for i, g := range t.data.series.Groups {
			if g.Key == sel {
				t.cursor = i
			}
		}
		return t, nil
	case tea.KeyPressMsg:
		n := len(t.data.series.Groups)
		switch {
		case key.Matches(msg, t.keys.Down):
			t.cursor = min(t.cursor+1, max(n-1, 0))
		case key.Matches(msg, t.keys.Up):
			t.cursor = max(t.cursor-1, 0)
		case key.Matches(msg, t.keys.Metric):
			t.metric = (t.metric + 1) % len(metrics)
		case key.Matches(msg, t.keys.PrevMetric):
			t.metric = (t.metric + len(metrics) - 1) % len(metrics)
		case key.Matches(msg, t.keys.Window):
			t.win = (t.win + 1) % len(windows)
			return t, t.load()
		case key.Matches(msg, t.keys.PrevWindow):
			t.win = (t.win + len(windows) - 1) % len(windows)
			return t, t.load()
		case key.Matches(msg, t.keys.Group):
			t.by = (t.by + 1) % len(groupings)
			return t, t.load()
		case key.Matches(msg, t.keys.View):
			if groupings[t.data.by] == "version" {
				if n, err := strconv.Atoi(t.selectedKey()); err == nil {
					return t, func() tea.Msg { return viewVersionMsg{version: n} }
				}
			}
		}
	case tea.MouseClickMsg:
		// Table rows start after the chart; a click selects one.
		if i := msg.Y - t.tableTop(); msg.Button == tea.MouseLeft && i >= 0 && i < len(t.data.series.Groups) {
			t.cursor = i
		}
	}
	return t, nil
}

func (t *analytics) selectedKey() string {
	if g := t.data.series.Groups; t.cursor < len(g) {
		return g[t.cursor].Key
	}
	return ""
}

func (t *analytics) SetSize(w, h int) { t.width, t.height = w, h }

// layout splits the height: the header, the chart, the legends and the
// table (as many rows as fit, at most a third of the height... or more
// when the chart would get too small to read).
func (t *analytics) layout() (chartH, tableRows int) {
	groups := len(t.data.series.Groups)
	rows := groups + 1 // header
	if groups > 1 {
		rows++ // total
	}
	rest := t.height - 3 // header, legend, moves
	tableRows = min(rows, max(rest/3, 3))
	chartH = rest - tableRows - 1 // blank line before the table
	if chartH < 6 {
		chartH, tableRows = 0, max(rest, 0)
	}
	return chartH, tableRows
}

// tableTop is the line of the table's first group row.
func (t *analytics) tableTop() int {
	chartH, _ := t.layout()
	top := 1 + chartH + 2 // header, chart, legend, moves
	if chartH > 0 {
		top++
	}
	return top + 1 // the table header
}

func (t *analytics) View() string {
	st := t.c.Styles
	if t.err != nil {
		return common.Box([]string{st.Error.Render(common.Explain(t.err))}, t.width, t.height)
	}
	if !t.loaded {
		return common.Box([]string{st.Muted.Render("loading…")}, t.width, t.height)
	}
	d := t.data
	w := windows[d.win]
	m := metrics[t.metric]
	by := groupings[d.by]
	lines := []string{t.header()}
	chartH, tableRows := t.layout()
	groups := d.series.Groups
	plotted := plottedGroups(groups)
	if chartH > 0 {
		var series []chart.Series
		for _, gi := range plotted {
			vals := make([]float64, len(groups[gi].Points))
			for i, f := range groups[gi].Points {
				vals[i] = m.value(f)
			}
			series = append(series, chart.Series{Values: vals})
		}
		unit := float64(w.unit)
		xmin := float64(d.series.Start.Sub(d.now)) / unit
		var markers []chart.Marker
		for i, e := range d.moves {
			markers = append(markers, chart.Marker{X: float64(e.At.Sub(d.now)) / unit, Text: moveMark(i)})
		}
		empty := fmt.Sprintf("No traffic in the last %s. Applications report calls through `verso serve` or `verso ingest` (README: Production).", w.name)
		lines = append(lines, chart.Lines(st.Chart, series, chart.Options{
			Width: t.width, Height: chartH, YFormat: m.axis,
			XMin: xmin, XMax: 0, XFormat: func(v float64) string {
				if math.Abs(v) < 0.5 {
					return "now"
				}
				if math.Abs(v-math.Round(v)) < 0.05 {
					return strconv.FormatFloat(math.Round(v), 'f', 0, 64) + w.sfx
				}
				return strconv.FormatFloat(v, 'f', 1, 64) + w.sfx
			},
			Markers: markers, Empty: empty,
		})...)
	}
	lines = append(lines, t.legend(groups, plotted), t.movesLine())
	if chartH > 0 {
		lines = append(lines, "")
	}
	lines = append(lines, t.table(by, groups, tableRows)...)
	return common.Box(lines, t.width, t.height)
}

// header names what is shown, with the window choices.
func (t *analytics) header() string {
	st := t.c.Styles
	d := t.data
	w := windows[d.win]
	title := st.Title.Render(metrics[t.metric].name) + st.Muted.Render(fmt.Sprintf(" per %s · by %s · last %s",
		fmtStep(d.series.Step), groupings[d.by], w.name))
	if t.loading {
		title += st.Muted.Render(" · reading…")
	}
	var chips []string
	for i, x := range windows {
		if i == t.win {
			chips = append(chips, st.Tabs.Active.Render(x.name))
		} else {
			chips = append(chips, st.Tabs.Inactive.Render(x.name))
		}
	}
	right := strings.Join(chips, "")
	gap := t.width - ansi.StringWidth(title) - ansi.StringWidth(right)
	if gap < 1 {
		return common.Fit(title, t.width)
	}
	return title + strings.Repeat(" ", gap) + right
}

// plottedGroups are the groups drawn: all, or the busiest chart.MaxSeries
// in key order.
func plottedGroups(groups []store.SeriesGroup) []int {
	idx := make([]int, len(groups))
	for i := range groups {
		idx[i] = i
	}
	if len(idx) <= chart.MaxSeries {
		return idx
	}
	// Keep the busiest, then restore key order.
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && groups[idx[j]].Total.Requests > groups[idx[j-1]].Total.Requests; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
	idx = idx[:chart.MaxSeries]
	for i := 1; i < len(idx); i++ {
		for j := i; j > 0 && idx[j] < idx[j-1]; j-- {
			idx[j], idx[j-1] = idx[j-1], idx[j]
		}
	}
	return idx
}

func (t *analytics) groupName(key string) string {
	if groupings[t.data.by] == "version" {
		return "v" + key
	}
	if key == "" {
		return "(none)"
	}
	return common.CleanLine(key)
}

// legend says which line is which.
func (t *analytics) legend(groups []store.SeriesGroup, plotted []int) string {
	st := t.c.Styles
	var parts []string
	for si, gi := range plotted {
		style := lipgloss.NewStyle()
		if si < len(st.Chart.Series) {
			style = st.Chart.Series[si]
		}
		parts = append(parts, style.Render(chart.Glyphs[si]+" "+t.groupName(groups[gi].Key)))
	}
	s := strings.Join(parts, "  ")
	if len(plotted) < len(groups) {
		s += st.Muted.Render(fmt.Sprintf("  (the %d busiest of %d)", len(plotted), len(groups)))
	}
	return common.Fit(s, t.width)
}

func moveMark(i int) string {
	if i < 9 {
		return strconv.Itoa(i + 1)
	}
	return "+"
}

// movesLine explains the marks under the time axis: the label moves,
// rollout steps included.
func (t *analytics) movesLine() string {
	st := t.c.Styles
	if len(t.data.moves) == 0 {
		return st.Muted.Render(common.Fit("no label moves in this window", t.width))
	}
	var parts []string
	for i, e := range t.data.moves {
		// A rollout's step is a move to a split ("split 3=90,4=10").
		from, to := e.FromState().String(), e.ToState().String()
		if e.From == 0 && e.FromSplit == nil {
			from = "new"
		}
		if e.To == 0 && e.ToSplit == nil {
			to = "removed"
		}
		parts = append(parts, st.Chart.Marker.Render(moveMark(i))+st.Muted.Render(" "+common.CleanLine(e.Label)+" "+from+"→"+to+" "+common.Ago(e.At, t.data.now)))
	}
	return common.Fit(strings.Join(parts, st.Muted.Render(" · ")), t.width)
}

// table lists the figures per group over the window; each version's
// error rate, p95 and score are marked ▲ worse / ▼ better than the version
// before it when the difference is beyond chance (store.CompareFigures).
func (t *analytics) table(by string, groups []store.SeriesGroup, rows int) []string {
	st := t.c.Styles
	if rows <= 0 {
		return nil
	}
	wide := t.width >= 110
	keyW, tokW, costW, scoreW := 10, 8, 8, 10
	if wide {
		keyW, tokW, costW, scoreW = 14, 9, 10, 12
	}
	// Columns followed by a mark (ERRORS, P95, SCORE) are one wider.
	head := fmt.Sprintf("  %-*s %8s %7s  %7s %7s  %*s %*s %*s ", keyW, strings.ToUpper(by), "REQUESTS", "ERRORS", "P50", "P95",
		tokW, "TOK/REQ", costW, "COST", scoreW, "SCORE")
	if wide {
		head += fmt.Sprintf(" %10s %10s", "TOKENS IN", "TOKENS OUT")
	}
	out := []string{st.Table.Header.Render(common.Fit(head, t.width))}
	row := func(cursor, name string, f store.Figures, cmp *store.Comparison) string {
		mark := func(c int) string {
			switch {
			case cmp == nil || c == 0:
				return " "
			case c > 0:
				return st.Chart.Worse.Render("▲")
			}
			return st.Chart.Better.Render("▼")
		}
		var c store.Comparison
		if cmp != nil {
			c = *cmp
		}
		score := "—"
		if f.ScoreMean != nil {
			score = strconv.FormatFloat(*f.ScoreMean, 'f', 2, 64)
			if f.ScoreCI95 != nil {
				score += "±" + strconv.FormatFloat(*f.ScoreCI95, 'f', 2, 64)
			}
		}
		na := func(s string) string {
			if f.Requests == 0 {
				return "—"
			}
			return s
		}
		perReq := math.Round(float64(f.TokensIn+f.TokensOut) / float64(max(f.Requests, 1)))
		s := cursor + st.Text.Render(fmt.Sprintf("%-*s %8s %7s", keyW, common.Trunc(name, keyW), fmtCount(float64(f.Requests)), na(fmtPct(f.ErrorRate)))) +
			mark(c.ErrorRate) + st.Text.Render(fmt.Sprintf(" %7s %7s", na(fmtMS(f.LatencyP50MS)), na(fmtMS(f.LatencyP95MS)))) + mark(c.LatencyP95) +
			st.Text.Render(fmt.Sprintf(" %*s %*s %*s", tokW, na(fmtCount(perReq)), costW, fmtCost(f.Cost), scoreW, score)) + mark(c.Score)
		if wide {
			s += st.Text.Render(fmt.Sprintf(" %10s %10s", fmtCount(float64(f.TokensIn)), fmtCount(float64(f.TokensOut))))
		}
		return common.Fit(s, t.width)
	}
	// Rows scroll to keep the cursor in view.
	body := rows - 1
	if len(groups) > 1 {
		body--
	}
	first := 0
	if t.cursor >= body {
		first = t.cursor - body + 1
	}
	for i := first; i < len(groups) && i < first+body; i++ {
		g := groups[i]
		cursor := "  "
		if i == t.cursor {
			cursor = st.List.Cursor.Render("› ")
		}
		var cmp *store.Comparison
		if by == "version" && i > 0 {
			c := store.CompareFigures(g.Total, groups[i-1].Total)
			cmp = &c
		}
		out = append(out, row(cursor, t.groupName(g.Key), g.Total, cmp))
	}
	if len(groups) > 1 {
		out = append(out, row("  ", "all", t.data.series.Sum, nil))
	}
	return out
}

func (t *analytics) ShortHelp() []key.Binding {
	return []key.Binding{t.keys.Metric, t.keys.Window, t.keys.Group, t.keys.View}
}

func (t *analytics) FullHelp() [][]key.Binding {
	return [][]key.Binding{{t.keys.Metric, t.keys.PrevMetric, t.keys.Window, t.keys.PrevWindow, t.keys.Group}, {t.keys.Down, t.keys.Up, t.keys.View}}
}

func fmtStep(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= time.Hour && d%time.Hour == 0:
		if d == time.Hour {
			return "hour"
		}
		return fmt.Sprintf("%dh", d/time.Hour)
	case d == time.Minute:
		return "minute"
	}
	return fmt.Sprintf("%dmin", d/time.Minute)
}

func fmtCount(v float64) string {
	switch {
	case math.IsNaN(v):
		return "—"
	case v >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', 1, 64) + "M"
	case v >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', 0, 64) + "k"
	case v >= 1e3:
		return strconv.FormatFloat(v/1e3, 'f', 1, 64) + "k"
	case v == math.Trunc(v):
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

func fmtPct(r float64) string {
	if r == 0 {
		return "0%"
	}
	if r < 0.1 {
		return strconv.FormatFloat(r*100, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(r*100, 'f', 0, 64) + "%"
}

func fmtMS(v float64) string {
	if v >= 1000 {
		return strconv.FormatFloat(v/1000, 'f', 1, 64) + "s"
	}
	return strconv.FormatFloat(v, 'f', 0, 64) + "ms"
}

func fmtCost(v float64) string {
	switch {
	case v == 0:
		return "$0"
	case v < 0.01:
		return "$" + strconv.FormatFloat(v, 'f', 4, 64)
	case v < 100:
		return "$" + strconv.FormatFloat(v, 'f', 2, 64)
	}
	return "$" + strconv.FormatFloat(v, 'f', 0, 64)
}
