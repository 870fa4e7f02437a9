package evalws

import (
	"encoding/json"
	"fmt"
	"github.com/charmbracelet/x/ansi"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/eval/report"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/chart"
	"github.com/seed94f0f622/verso/tui/common"
)

type (
	runsMsg struct {
		to
		runs []runItem
		err  error
	}
	runsTickMsg struct{ to }
)

// runItem is one run of the list with its figures.
type runItem struct {
	run  store.Run
	sum  report.Summary
	prog *runner.Progress // live in this process
}

// RunsTab is the Runs tab of the prompt view: the prompt's past runs with
// their figures.
type RunsTab struct {
	c       *common.Common
	id      int
	prompt  string
	keys    RunsKeys
	loaded  bool
	err     error
	runs    []runItem
	cursor  int
	off     int
	marked  []int64
	ticking bool

	width, height int
}

// NewRunsTab returns the Runs tab of prompt.
func NewRunsTab(c *common.Common, prompt string) common.Tab {
	return newRunsTab(c, prompt)
}

func newRunsTab(c *common.Common, prompt string) *RunsTab {
	t := &RunsTab{c: c, id: common.NewID(), prompt: prompt, keys: DefaultRunsKeys()}
	t.keys.ListKeys = c.List
	return t
}

func (t *RunsTab) ID() int          { return t.id }
func (t *RunsTab) Name() string     { return "Runs" }
func (t *RunsTab) Init() tea.Cmd    { return t.load() }
func (t *RunsTab) Reload() tea.Cmd  { return t.load() }
func (t *RunsTab) Capturing() bool  { return false }
func (t *RunsTab) SetSize(w, h int) { t.width, t.height = w, h }

func (t *RunsTab) load() tea.Cmd {
	c, id, prompt := t.c, t.id, t.prompt
	return func() tea.Msg {
		runs, err := c.Store.Runs(c.Ctx, prompt)
		if err != nil {
			return runsMsg{to: to{ID: id}, err: err}
		}
		out := make([]runItem, len(runs))
		for i, r := range runs {
			out[i].run = r
			json.Unmarshal(r.Summary, &out[i].sum)
			if c.Engine == nil || r.Status != store.RunRunning {
				continue
			}
			if l := c.Engine.Live(r.ID); l != nil {
				p := l.Progress()
				out[i].prog = &p
			}
		}
		return runsMsg{to: to{ID: id}, runs: out}
	}
}

// Update handles keys and loads.
func (t *RunsTab) Update(msg tea.Msg) (common.Tab, tea.Cmd) {
	switch msg := msg.(type) {
	case runsMsg:
		t.loaded = true
		if msg.err != nil {
			t.err = msg.err
			return t, common.Error(msg.err)
		}
		t.err = nil
		var keep int64
		if t.cursor < len(t.runs) {
			keep = t.runs[t.cursor].run.ID
		}
		t.runs = msg.runs
		for i, r := range t.runs {
			if r.run.ID == keep {
				t.cursor = i
			}
		}
		t.cursor = max(0, min(t.cursor, len(t.runs)-1))
		t.marked = slices.DeleteFunc(t.marked, func(id int64) bool {
			return !slices.ContainsFunc(t.runs, func(r runItem) bool { return r.run.ID == id })
		})
		if t.anyLive() && !t.ticking {
			t.ticking = true
			return t, t.tick()
		}
	case runsTickMsg:
		t.ticking = false
		if t.anyLive() {
			return t, t.load()
		}
	case tea.KeyPressMsg:
		return t, t.key(msg)
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			t.cursor = max(0, t.cursor-3)
		case tea.MouseWheelDown:
			t.cursor = max(0, min(len(t.runs)-1, t.cursor+3))
		}
	}
	return t, nil
}

func (t *RunsTab) anyLive() bool {
	for _, r := range t.runs {
		if r.prog != nil {
			return true
		}
	}
	return false
}

func (t *RunsTab) tick() tea.Cmd {
	id := t.id
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return runsTickMsg{to: to{ID: id}} })
}

// HandlesEsc: esc clears the marks before it goes back.
func (t *RunsTab) HandlesEsc() bool { return len(t.marked) > 0 }

func (t *RunsTab) key(msg tea.KeyPressMsg) tea.Cmd {
	k := t.keys
	if msg.String() == "esc" && len(t.marked) > 0 {
		t.marked = nil
		return common.Info("marks cleared")
	}
	n := len(t.runs)
	page := max(1, t.listHeight())
	if c, ok := k.Move(msg, t.cursor, n, page); ok {
		t.cursor = c
		return nil
	}
	switch {
	case key.Matches(msg, k.Run):
		return common.Push(NewRunForm(t.c, t.prompt, nil, ""))
	case n == 0:
		return nil
	case key.Matches(msg, k.Open):
		return common.Push(OpenRun(t.c, t.prompt, t.runs[t.cursor].run.ID))
	case key.Matches(msg, k.Mark):
		id := t.runs[t.cursor].run.ID
		if i := slices.Index(t.marked, id); i >= 0 {
			t.marked = slices.Delete(t.marked, i, i+1)
		} else {
			t.marked = append(t.marked, id)
			if len(t.marked) > 2 {
				t.marked = t.marked[1:]
			}
		}
		t.cursor = max(0, min(n-1, t.cursor+1))
	case key.Matches(msg, k.Compare):
		pair := slices.Clone(t.marked)
		if len(pair) == 1 && pair[0] != t.runs[t.cursor].run.ID {
			pair = append(pair, t.runs[t.cursor].run.ID)
		}
		if len(pair) != 2 {
			return common.Warn("mark two runs with space (or one, with the cursor on the other), then press c")
		}
		slices.Sort(pair)
		return common.Push(CompareRuns(t.c, t.prompt, pair[0], pair[1]))
	}
	return nil
}

func (t *RunsTab) listHeight() int {
	return max(1, t.height-1-t.trendHeight()-t.detailHeight())
}

// trendHeight is the pass-rate trend line above the list (when there is
// room and a finished run).
func (t *RunsTab) trendHeight() int {
	if t.height < 8 || len(t.trend()) == 0 {
		return 0
	}
	return 1
}

// trend is each version's pass rate over the runs, newest version first.
func (t *RunsTab) trend() []string {
	runs := make([]store.Run, len(t.runs))
	for i, r := range t.runs {
		runs[i] = r.run
	}
	tr := common.PassTrends(runs)
	vs := make([]int, 0, len(tr))
	for v := range tr {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	slices.Reverse(vs)
	st := &t.c.Styles
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		rates := tr[v]
		last := rates[len(rates)-1]
		style := st.Success
		if last < 1 {
			style = st.Error
		}
		out = append(out, st.Text.Render(fmt.Sprintf("v%d ", v))+st.Accent.Render(chart.Sparkline(rates, 12))+" "+style.Render(pct(last)))
	}
	return out
}

func (t *RunsTab) detailHeight() int {
	if t.height < 14 || len(t.runs) == 0 {
		return 0
	}
	return min(t.height/3, 2+len(t.runs[t.cursor].sum.Columns))
}

// View draws the runs list and the selected run's figures per column.
func (t *RunsTab) View() string {
	if t.width <= 0 || t.height <= 0 {
		return ""
	}
	st := &t.c.Styles
	var lines []string
	switch {
	case !t.loaded:
		return common.Box([]string{st.Muted.Render("loading runs…")}, t.width, t.height)
	case t.err != nil:
		return common.Box([]string{st.Error.Render(common.Explain(t.err))}, t.width, t.height)
	case len(t.runs) == 0:
		return common.Box([]string{st.List.Empty.Render("no runs yet: r starts one")}, t.width, t.height)
	}
	w := t.width
	if t.trendHeight() > 0 {
		lines = append(lines, common.Fit(st.Subtitle.Render("pass rate over runs ")+strings.Join(t.trend(), st.Muted.Render(" · ")), w))
	}
	h := t.listHeight()
	t.off = scroll(t.cursor, t.off, h, len(t.runs))
	// Where the cursor is, at the header's right end, as every list says.
	pos := fmt.Sprintf("row %d of %d", t.cursor+1, len(t.runs))
	if len(t.runs) > h {
		pos += fmt.Sprintf(" (%d%%)", min(100, (t.off+h)*100/len(t.runs)))
	}
	header := fmt.Sprintf("  %-5s %-10s %-18s %-9s %-13s %-10s", "RUN", "STATUS", "VERSIONS × MODELS", "SUITE", "PASSED", "COST") + "WHEN"
	if ansi.StringWidth(header)+2+len(pos) <= w {
		lines = append(lines, st.Table.Header.Render(pad(header, w-len(pos)))+st.Muted.Render(pos))
		pos = ""
	} else {
		lines = append(lines, st.Table.Header.Render(pad(header, w)))
		pos = " · " + pos // narrow: it goes on the run's rule below
	}
	for i := t.off; i < min(len(t.runs), t.off+h); i++ {
		lines = append(lines, t.runLine(i))
	}
	for len(lines) < 1+t.trendHeight()+h {
		lines = append(lines, "")
	}
	if dh := t.detailHeight(); dh > 0 {
		it := t.runs[t.cursor]
		lines = append(lines, rule(st, fmt.Sprintf("run #%d%s", it.run.ID, pos), w))
		for _, s := range it.sum.Columns {
			if len(lines) >= t.height {
				break
			}
			lines = append(lines, "  "+st.Text.Render(pad(colTitle(report.Column{Version: s.Version, Model: s.Model}), 24))+
				verdictStyle(st, passVerdict(s.Passed, s.Total)).Render(fmt.Sprintf("%d/%d %s", s.Passed, s.Total, pct(s.PassRate)))+
				st.Muted.Render(fmt.Sprintf(" · mean %s · p95 %s · %s→%s tokens · %s", ms(s.LatencyMeanMS), ms(s.LatencyP95MS), count(s.TokensIn), count(s.TokensOut), costOf(s.Cost, s.UsageUnknown, s.Total-s.Errors))))
		}
	}
	return common.Box(lines, w, t.height)
}

func passVerdict(passed, total int) report.Verdict {
	switch {
	case total == 0:
		return report.Missing
	case passed == total:
		return report.Pass
	}
	return report.Fail
}

func (t *RunsTab) runLine(i int) string {
	st := &t.c.Styles
	it := t.runs[i]
	r := it.run
	cursor := "  "
	if i == t.cursor {
		cursor = st.List.Cursor.Render("› ")
	}
	if slices.Contains(t.marked, r.ID) {
		cursor = st.List.Marked.Render("* ")
		if i == t.cursor {
			cursor = st.List.Marked.Render("›*")
		}
	}
	vers := make([]string, len(r.Versions))
	for j, v := range r.Versions {
		vers[j] = fmt.Sprintf("v%d", v)
	}
	models := make([]string, len(r.Models))
	for j, m := range r.Models {
		_, after, ok := strings.Cut(m, "/")
		if !ok {
			after = m
		}
		models[j] = common.CleanLine(after)
	}
	what := strings.Join(vers, ",") + " × " + strings.Join(models, ",")
	passed := fmt.Sprintf("%d/%d %s", it.sum.Passed, max(it.sum.Planned, it.sum.Total), pct(it.sum.PassRate))
	cost := costOf(it.sum.Cost, it.sum.UsageUnknown, it.sum.Total-it.sum.Errors)
	status := r.Status
	sstyle := st.Warning
	switch status {
	case store.RunDone:
		sstyle = st.Success
		if it.sum.Passed < it.sum.Total {
			sstyle = st.Error
		}
	case store.RunRunning:
		sstyle = st.Info
		if it.prog != nil {
			p := it.prog
			passed = fmt.Sprintf("%d/%d run", p.Done, p.Total)
			cost = costOf(p.Spent, p.UsageUnknown, p.Done-p.Errors-p.Cached)
		}
	}
	row := pad(fmt.Sprintf("#%d", r.ID), 6) + sstyle.Render(pad(status, 11)) + st.Text.Render(pad(what, 19)) +
		st.Muted.Render(pad(common.CleanLine(r.Suite), 10)) + verdictStyle(st, passVerdict(it.sum.Passed, it.sum.Total)).Render(pad(passed, 14)) +
		st.Text.Render(pad(cost, 11)) + st.List.Meta.Render(common.Ago(r.StartedAt, t.c.Now()))
	if i == t.cursor {
		return cursor + st.List.Selected.Render(common.Fit(stripToPlain(row), t.width-2))
	}
	return cursor + row
}

// ShortHelp is the one-line help.
func (t *RunsTab) ShortHelp() []key.Binding {
	k := t.keys
	return []key.Binding{k.Open, k.Mark, k.Compare, k.Run}
}

// FullHelp lists every key.
func (t *RunsTab) FullHelp() [][]key.Binding {
	k := t.keys
	return [][]key.Binding{k.Bindings(), {k.Open, k.Mark, k.Compare, k.Run}}
}
