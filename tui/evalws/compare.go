package evalws

import (
	"fmt"
	"math"
	"slices"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/eval/report"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

type compareMsg struct {
	to
	before, after       store.Run
	beforeRes, afterRes []store.Result
	err                 error
}

// Compare is the comparison of two runs of a prompt: which cases flipped
// and how the figures moved.
type Compare struct {
	c             *common.Common
	id            int
	prompt        string
	beforeID      int64
	afterID       int64
	keys          ScrollKeys
	loaded        bool
	err           error
	before, after store.Run
	bres, ares    []store.Result
	bsum, asum    report.Summary
	flips         []report.Flip
	cursor, off   int
	width, height int
}

// CompareRuns returns the comparison of runs before and after of prompt.
func CompareRuns(c *common.Common, prompt string, before, after int64) common.Screen {
	k := DefaultScrollKeys()
	k.ListKeys = c.List
	k.Next.SetEnabled(false)
	return &Compare{c: c, id: common.NewID(), prompt: prompt, beforeID: before, afterID: after, keys: k}
}

func (s *Compare) ID() int          { return s.id }
func (s *Compare) Init() tea.Cmd    { return s.load() }
func (s *Compare) Reload() tea.Cmd  { return s.load() }
func (s *Compare) Capturing() bool  { return false }
func (s *Compare) SetSize(w, h int) { s.width, s.height = w, h }
func (s *Compare) Title() string    { return fmt.Sprintf("run #%d ↔ #%d", s.beforeID, s.afterID) }

func (s *Compare) load() tea.Cmd {
	c, id, b, a := s.c, s.id, s.beforeID, s.afterID
	return func() tea.Msg {
		msg := compareMsg{to: to{ID: id}}
		var err error
		if msg.before, err = c.Store.Run(c.Ctx, b); err != nil {
			msg.err = err
			return msg
		}
		if msg.after, err = c.Store.Run(c.Ctx, a); err != nil {
			msg.err = err
			return msg
		}
		if msg.beforeRes, err = c.Store.Results(c.Ctx, b); err != nil {
			msg.err = err
			return msg
		}
		msg.afterRes, msg.err = c.Store.Results(c.Ctx, a)
		return msg
	}
}

// Update handles the load and the keys.
func (s *Compare) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case compareMsg:
		s.loaded = true
		if msg.err != nil {
			s.err = msg.err
			return s, common.Error(msg.err)
		}
		s.before, s.after, s.bres, s.ares = msg.before, msg.after, msg.beforeRes, msg.afterRes
		s.bsum = report.Summarize(s.bres, report.ColumnsOf(s.bres), s.before.Total)
		s.asum = report.Summarize(s.ares, report.ColumnsOf(s.ares), s.after.Total)
		// Runs of different single versions (production's run and latest's)
		// are matched by model and case only.
		byVersion := !(len(s.before.Versions) == 1 && len(s.after.Versions) == 1 && s.before.Versions[0] != s.after.Versions[0])
		s.flips = report.Compare(s.bres, s.ares, byVersion)
		s.cursor = min(s.cursor, max(0, len(s.flips)-1))
	case tea.KeyPressMsg:
		k := s.keys
		n := len(s.flips)
		if c, ok := k.Move(msg, s.cursor, n, s.listHeight()); ok {
			s.cursor = c
		} else if key.Matches(msg, k.Diff) {
			return s, s.diff()
		}
	}
	return s, nil
}

// diff opens the outputs of the flipped case in both runs.
func (s *Compare) diff() tea.Cmd {
	if s.cursor >= len(s.flips) {
		return nil
	}
	f := s.flips[s.cursor]
	find := func(rs []store.Result, version int) (store.Result, bool) {
		for _, r := range rs {
			if r.CaseName == f.Case && r.Model == f.Model && r.Repeat == f.Repeat && (version == 0 || r.Version == version) {
				return r, true
			}
		}
		return store.Result{}, false
	}
	a, aok := find(s.ares, f.Version)
	b, bok := find(s.bres, f.Version)
	if !bok {
		b, bok = find(s.bres, 0)
	}
	if !aok || !bok {
		return common.Warn("the case has no result in one of the runs")
	}
	name := common.CleanLine(f.Case)
	lt := fmt.Sprintf("run #%d · %s", s.beforeID, colTitle(report.Column{Version: b.Version, Model: b.Model}))
	rt := fmt.Sprintf("run #%d · %s", s.afterID, colTitle(report.Column{Version: a.Version, Model: a.Model}))
	spec := common.DiffSpec{
		Title: fmt.Sprintf("%s · run #%d ↔ #%d", name, s.beforeID, s.afterID), LeftTitle: lt, RightTitle: rt,
		Header: []string{"case " + name, lt + ": " + resultLine(b), rt + ": " + resultLine(a)},
		Left:   outputOf(b), Right: outputOf(a),
	}
	return func() tea.Msg { return common.OpenDiffMsg{Spec: spec} }
}

// figures are the lines above the flips.
func (s *Compare) figures() []string {
	st := &s.c.Styles
	w := s.width
	b, a := s.bsum, s.asum
	out := []string{
		st.Title.Render(fmt.Sprintf("run #%d → run #%d", s.beforeID, s.afterID)) +
			st.Muted.Render(fmt.Sprintf(" · %s · suite %s → %s", common.CleanLine(s.prompt), common.CleanLine(s.before.Suite), common.CleanLine(s.after.Suite))),
		st.Muted.Render(fmt.Sprintf("before: %s · %s    after: %s · %s", versionsOf(s.before), s.before.Status, versionsOf(s.after), s.after.Status)),
		"",
	}
	row := func(label, bv, av, delta string, better int) string {
		ds := st.Muted
		switch {
		case better > 0:
			ds = st.Success
		case better < 0:
			ds = st.Error
		}
		return " " + st.Subtitle.Render(pad(label, 16)) + st.Text.Render(pad(bv, 14)) + st.Muted.Render("→ ") + st.Text.Render(pad(av, 14)) + ds.Render(delta)
	}
	bl, bp := latencies(s.bres)
	al, ap := latencies(s.ares)
	out = append(out,
		st.Table.Header.Render(pad(" "+pad("", 16)+pad("before", 16)+pad("after", 14)+"change", w)),
		row("pass rate", pct(b.PassRate), pct(a.PassRate), fmt.Sprintf("%+.0f pts", math.Round((a.PassRate-b.PassRate)*100)), sign(a.PassRate-b.PassRate)),
		row("passed", fmt.Sprintf("%d/%d", b.Passed, b.Total), fmt.Sprintf("%d/%d", a.Passed, a.Total), fmt.Sprintf("%+d", a.Passed-b.Passed), sign(float64(a.Passed-b.Passed))),
		row("failed · errors", fmt.Sprintf("%d · %d", b.Failed, b.Errors), fmt.Sprintf("%d · %d", a.Failed, a.Errors),
			fmt.Sprintf("%+d · %+d", a.Failed-b.Failed, a.Errors-b.Errors), -sign(float64(a.Failed+a.Errors-b.Failed-b.Errors))),
		row("latency mean", ms(bl), ms(al), signedMS(al-bl), -sign(al-bl)),
		row("latency p95", ms(bp), ms(ap), signedMS(ap-bp), -sign(ap-bp)),
		row("cost", money(b.Cost), money(a.Cost), signedMoney(a.Cost-b.Cost), -sign(a.Cost-b.Cost)),
	)
	fixed, broke, other := 0, 0, 0
	for _, f := range s.flips {
		switch {
		case f.Before == report.Missing || f.After == report.Missing:
			other++
		case f.After == report.Pass:
			fixed++
		case f.Before == report.Pass:
			broke++
		default:
			other++
		}
	}
	title := fmt.Sprintf("%d changed · %d now pass · %d now fail", len(s.flips), fixed, broke)
	if other > 0 {
		title += fmt.Sprintf(" · %d other", other)
	}
	out = append(out, rule(st, title, w))
	return out
}

func sign(f float64) int {
	switch {
	case f > 1e-12:
		return 1
	case f < -1e-12:
		return -1
	}
	return 0
}

func signedMS(v float64) string {
	if v >= 0 {
		return "+" + ms(v)
	}
	return "-" + ms(-v)
}

func versionsOf(r store.Run) string {
	s := ""
	for i, v := range r.Versions {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf("v%d", v)
	}
	return s
}

// latencies are the mean and p95 (nearest rank) of results without error.
func latencies(rs []store.Result) (float64, float64) {
	var xs []float64
	for _, r := range rs {
		if r.Error == "" {
			xs = append(xs, float64(r.LatencyMS))
		}
	}
	if len(xs) == 0 {
		return 0, 0
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	slices.Sort(xs)
	rank := int(math.Ceil(0.95*float64(len(xs)))) - 1
	return sum / float64(len(xs)), xs[max(0, rank)]
}

func (s *Compare) listHeight() int {
	if !s.loaded || s.err != nil {
		return 1
	}
	return max(1, s.height-len(s.figures()))
}

// View draws the figures and the flipped cases.
func (s *Compare) View() string {
	if s.width <= 0 || s.height <= 0 {
		return ""
	}
	st := &s.c.Styles
	switch {
	case !s.loaded:
		return common.Box([]string{st.Muted.Render("loading runs…")}, s.width, s.height)
	case s.err != nil:
		return common.Box([]string{st.Error.Render(common.Explain(s.err))}, s.width, s.height)
	}
	lines := s.figures()
	if len(lines) > s.height-2 && s.height > 4 {
		// A short screen keeps the title, the pass rate and the flips.
		lines = append(lines[:1], lines[4], lines[len(lines)-1])
	}
	h := max(0, s.height-len(lines))
	if len(s.flips) == 0 {
		lines = append(lines, st.List.Empty.Render("  no case changed its verdict"))
		return common.Box(lines, s.width, s.height)
	}
	s.off = scroll(s.cursor, s.off, h, len(s.flips))
	for i := s.off; i < min(len(s.flips), s.off+h); i++ {
		f := s.flips[i]
		vs := verdictStyle(st, f.After)
		arrow := verdictStyle(st, f.Before).Render(fmt.Sprintf("%s %-7s", verdictSym(f.Before), f.Before)) + st.Muted.Render(" → ") +
			vs.Render(fmt.Sprintf("%s %-7s", verdictSym(f.After), f.After))
		where := colTitle(report.Column{Version: f.Version, Model: f.Model})
		if f.Repeat > 0 {
			where += fmt.Sprintf(" · repeat %d", f.Repeat+1)
		}
		name := common.CleanLine(f.Case)
		line := arrow + "  " + st.Text.Render(pad(name, max(10, s.width/3))) + " " + st.Muted.Render(where)
		if i == s.cursor {
			line = st.List.Cursor.Render("›") + st.List.Selected.Render(common.Fit(" "+stripToPlain(line), s.width-1))
		} else {
			line = "  " + line
		}
		lines = append(lines, line)
	}
	return common.Box(lines, s.width, s.height)
}

// ShortHelp is the one-line help.
func (s *Compare) ShortHelp() []key.Binding {
	return []key.Binding{s.keys.Up, s.keys.Down, s.keys.Diff}
}

// FullHelp lists every key.
func (s *Compare) FullHelp() [][]key.Binding {
	return [][]key.Binding{append(s.keys.Bindings(), s.keys.Diff)}
}
