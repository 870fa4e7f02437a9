package evalws

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/eval/report"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

// Detail is one cell of a run: the full output (rendered markdown), every
// assertion's verdict and reason, the rendered prompt, tokens and cost.
type Detail struct {
	c        *common.Common
	id       int
	prompt   string
	runID    int64
	col      report.Column
	caseName string
	cas      *store.Case
	version  store.Version
	results  []store.Result
	streamed string // output so far of a cell still running
	rep      int
	keys     ScrollKeys

	off           int
	width, height int
	lines         []string
	linesFor      [3]any // width, theme, repeat the lines were built for
}

func newDetail(c *common.Common, prompt string, runID int64, col report.Column, caseName string, cas *store.Case, v store.Version, results []store.Result) *Detail {
	d := &Detail{c: c, id: common.NewID(), prompt: prompt, runID: runID, col: col, caseName: caseName, cas: cas, version: v,
		results: results, keys: DefaultScrollKeys()}
	d.keys.ListKeys = c.List
	return d
}

func (d *Detail) ID() int         { return d.id }
func (d *Detail) Init() tea.Cmd   { return nil }
func (d *Detail) Capturing() bool { return false }
func (d *Detail) Reload() tea.Cmd { return nil } // results of a finished cell do not change
func (d *Detail) Title() string {
	return fmt.Sprintf("%s · %s", common.CleanLine(d.caseName), colTitle(d.col))
}
func (d *Detail) SetSize(w, h int) { d.width, d.height = w, h }

// Update scrolls and switches repeats.
func (d *Detail) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	page := max(1, d.height-1)
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		k := d.keys
		switch {
		case key.Matches(msg, k.Up):
			d.off--
		case key.Matches(msg, k.Down):
			d.off++
		case key.Matches(msg, k.PageUp):
			d.off -= page
		case key.Matches(msg, k.PageDown):
			d.off += page
		case key.Matches(msg, k.Top):
			d.off = 0
		case key.Matches(msg, k.Bottom):
			d.off = 1 << 30
		case key.Matches(msg, k.Next):
			if len(d.results) > 1 {
				d.rep = (d.rep + 1) % len(d.results)
				d.off = 0
			}
		}
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			d.off -= 3
		case tea.MouseWheelDown:
			d.off += 3
		}
	}
	return d, nil
}

// View draws the visible part of the page.
func (d *Detail) View() string {
	if d.width <= 0 || d.height <= 0 {
		return ""
	}
	lines := d.content()
	d.off = max(0, min(d.off, len(lines)-d.height))
	return common.Box(lines[d.off:], d.width, d.height)
}

// content builds the page once per width, theme and repeat.
func (d *Detail) content() []string {
	k := [3]any{d.width, d.c.Theme.Name, d.rep}
	if d.lines != nil && d.linesFor == k {
		return d.lines
	}
	d.linesFor = k
	st := &d.c.Styles
	w := d.width
	var out []string
	add := func(s ...string) { out = append(out, s...) }
	text := func(style func(...string) string, s string) {
		for _, l := range wrap(common.Clean(s), max(1, w-2)) {
			add("  " + style(l))
		}
	}
	add(st.Title.Render(common.CleanLine(d.caseName)) + st.Muted.Render(fmt.Sprintf(" · %s · run #%d", colTitle(d.col), d.runID)))
	if len(d.results) == 0 {
		add(st.Muted.Render("no result yet"))
		if d.streamed != "" {
			add("", rule(st, "output so far", w))
			text(st.Text.Render, d.streamed)
		}
	} else {
		r := d.results[min(d.rep, len(d.results)-1)]
		v := report.VerdictOf(r)
		usage := fmt.Sprintf("%d→%d tokens · %s", r.TokensIn, r.TokensOut, money(r.Cost))
		if r.UsageUnknown {
			usage = "no usage reported · cost unknown"
		}
		line := verdictStyle(st, v).Render(fmt.Sprintf("%s %s", verdictSym(v), v)) +
			st.Muted.Render(fmt.Sprintf(" · score %.2f · %s · %s", r.Score, ms(float64(r.LatencyMS)), usage))
		if r.Cached {
			line += st.Muted.Render(" · cached")
		}
		add(line)
		if note := report.FinishNote(r.FinishReason); note != "" && r.Error == "" {
			add(st.Warning.Render(note))
		}
		if len(d.results) > 1 {
			outs := map[string]bool{}
			for _, x := range d.results {
				if x.Error == "" {
					outs[x.Output] = true
				}
			}
			add(st.Muted.Render(fmt.Sprintf("repeat %d of %d · %d distinct outputs · tab: next repeat", d.rep+1, len(d.results), len(outs))))
		}
		if r.Error != "" {
			add("", rule(st, "error", w))
			text(st.Error.Render, r.Error)
		}
		if len(r.Assertions) > 0 {
			add("", rule(st, fmt.Sprintf("assertions (%d)", len(r.Assertions)), w))
			for _, a := range r.Assertions {
				av := report.Fail
				if a.Pass {
					av = report.Pass
				}
				head := verdictStyle(st, av).Render(verdictSym(av)) + " " + st.Text.Render(common.CleanLine(a.Type)) +
					st.Muted.Render(fmt.Sprintf(" %.2f", a.Score))
				add(" " + head)
				if a.Reason != "" {
					text(st.Muted.Render, a.Reason)
				}
			}
		}
		if r.Error == "" {
			add("", rule(st, "output", w))
			if strings.TrimSpace(r.Output) == "" {
				add(st.List.Empty.Render("  (empty output)"))
			} else {
				add(strings.Split(d.c.Markdown(r.Output, max(10, w-2)), "\n")...)
			}
		}
	}
	add("", rule(st, fmt.Sprintf("rendered prompt (v%d)", d.col.Version), w))
	switch {
	case d.cas == nil:
		add(st.Muted.Render("  the case is no longer in the suite"))
	case d.version.Number == 0:
		add(st.Muted.Render("  the version could not be read"))
	default:
		msgs, err := prompt.Render(d.version, d.cas.Vars)
		if err != nil {
			text(st.Error.Render, common.Explain(err))
		}
		for _, m := range msgs {
			if d.version.Kind == store.KindChat {
				add(" " + st.Role(m.Role).Render(common.CleanLine(m.Role)))
			}
			text(st.Text.Render, m.Content)
		}
	}
	if d.cas != nil {
		if len(d.cas.Vars) > 0 {
			add("", rule(st, "vars", w))
			add(varLines(st.Variable.Render, st.Text.Render, d.cas.Vars, w)...)
		}
		if d.cas.Expected != "" {
			add("", rule(st, "expected", w))
			text(st.Text.Render, d.cas.Expected)
		}
	}
	d.lines = out
	return out
}

// varLines lists vars as "name: value", sorted, one line each.
func varLines(name, value func(...string) string, vars map[string]any, w int) []string {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		v := fmt.Sprint(vars[k])
		if s, ok := vars[k].(string); ok {
			v = s
		}
		out = append(out, "  "+name(common.CleanLine(k))+": "+value(common.Trunc(common.CleanLine(v), max(1, w-4-len(k)))))
	}
	return out
}

// ShortHelp is the one-line help.
func (d *Detail) ShortHelp() []key.Binding {
	out := []key.Binding{d.keys.Up, d.keys.Down, d.keys.PageDown}
	if len(d.results) > 1 {
		out = append(out, d.keys.Next)
	}
	return out
}

// FullHelp lists the keys.
func (d *Detail) FullHelp() [][]key.Binding {
	return [][]key.Binding{append(d.keys.Bindings(), d.keys.Next)}
}
