package evalws

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

type (
	formLoadedMsg struct {
		to
		versions []store.Version
		suites   []store.Suite
		err      error
	}
	estimateMsg struct {
		to
		seq int
		est runner.Estimate
		err error
	}
	startedMsg struct {
		to
		runID int64
		err   error
	}
)

// maxVersions is how many versions one run compares.
const maxVersions = 4

// ownModel is the model entry "each version on the model of its config".
const ownModel = ""

// Form sections.
const (
	secVersions = iota
	secModels
	secSuite
	secRepeat
)

// Form is the new-run form: versions, models, suite, repeats, with the
// number of calls, the estimated cost and the cached answers.
type Form struct {
	c      *common.Common
	id     int
	prompt string
	keys   FormKeys

	want      []int  // versions asked for by the caller
	wantSuite string // suite asked for ("" = default)

	loaded   bool
	err      error
	versions []store.Version // newest first
	suites   []store.Suite
	picked   []int    // version numbers
	models   []string // entries: ownModel, then provider/model
	chosen   []string // chosen entries
	suite    int
	repeat   int
	cursor   int

	estSeq     int
	estimating bool
	est        runner.Estimate
	estErr     error
	starting   bool

	voff, moff    int // the versions' and the models' windows
	width, height int
	// then is the promotion to reopen when the run passes.
	then *common.PromoteMsg
}

// NewRunForm returns the new-run form of prompt with versions preselected
// (none: production and latest) and suite ("" = the default suite).
func NewRunForm(c *common.Common, prompt string, versions []int, suite string) common.Screen {
	return newForm(c, prompt, versions, suite)
}

// NewRunFormThen is NewRunForm for a RunSuiteMsg: when it carries a
// promotion (Then), the run's matrix reopens it once the version passes.
func NewRunFormThen(c *common.Common, msg common.RunSuiteMsg) common.Screen {
	f := newForm(c, msg.Prompt, msg.Versions, msg.Suite)
	f.then = msg.Then
	return f
}

func newForm(c *common.Common, prompt string, versions []int, suite string) *Form {
	f := &Form{c: c, id: common.NewID(), prompt: prompt, keys: DefaultFormKeys(), want: versions, wantSuite: suite, repeat: 1}
	f.keys.Up, f.keys.Down = c.List.Up, c.List.Down
	f.models = []string{ownModel}
	if reg := f.registry(); reg != nil {
		ms := reg.Models()
		for _, m := range []string{"demo/demo-small", "demo/demo-large"} {
			if !slices.Contains(ms, m) {
				ms = append(ms, m)
			}
		}
		f.models = append(f.models, ms...)
	}
	f.chosen = []string{ownModel}
	return f
}

func (f *Form) registry() *provider.Registry {
	if f.c.Providers != nil {
		return f.c.Providers
	}
	if f.c.Engine != nil {
		return f.c.Engine.Providers
	}
	return nil
}

func (f *Form) ID() int          { return f.id }
func (f *Form) Capturing() bool  { return false }
func (f *Form) Title() string    { return "new run" }
func (f *Form) SetSize(w, h int) { f.width, f.height = w, h }
func (f *Form) Init() tea.Cmd    { return f.load() }
func (f *Form) Reload() tea.Cmd  { return f.load() }

func (f *Form) load() tea.Cmd {
	c, id, prompt := f.c, f.id, f.prompt
	return func() tea.Msg {
		vs, err := c.Store.History(c.Ctx, prompt)
		if err != nil {
			return formLoadedMsg{to: to{ID: id}, err: err}
		}
		sus, err := c.Store.Suites(c.Ctx, prompt)
		return formLoadedMsg{to: to{ID: id}, versions: vs, suites: sus, err: err}
	}
}

// Update handles loads, estimates, the start and the keys.
func (f *Form) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case formLoadedMsg:
		if msg.err != nil {
			f.loaded, f.err = true, msg.err
			return f, common.Error(msg.err)
		}
		first := !f.loaded
		f.loaded, f.err = true, nil
		f.setData(msg.versions, msg.suites, first)
		return f, f.estimate()
	case estimateMsg:
		if msg.seq != f.estSeq {
			return f, nil
		}
		f.estimating, f.est, f.estErr = false, msg.est, msg.err
	case startedMsg:
		f.starting = false
		if msg.err != nil {
			return f, common.Error(msg.err)
		}
		mx := newMatrix(f.c, f.prompt, msg.runID)
		mx.then = f.then
		return f, common.Replace(mx)
	case tea.KeyPressMsg:
		return f, f.key(msg)
	}
	return f, nil
}

func (f *Form) setData(vs []store.Version, sus []store.Suite, first bool) {
	f.versions, f.suites = vs, sus
	has := func(n int) bool { return slices.ContainsFunc(vs, func(v store.Version) bool { return v.Number == n }) }
	if first {
		f.picked = nil
		for _, n := range f.want {
			if has(n) && !slices.Contains(f.picked, n) && len(f.picked) < maxVersions {
				f.picked = append(f.picked, n)
			}
		}
		if len(f.picked) == 0 && len(vs) > 0 {
			for _, v := range vs {
				if slices.Contains(v.Labels, "production") {
					f.picked = append(f.picked, v.Number)
				}
			}
			if !slices.Contains(f.picked, vs[0].Number) {
				f.picked = append(f.picked, vs[0].Number)
			}
		}
		f.suite = 0
		name := f.wantSuite
		if name == "" {
			name = "default"
		}
		for i, s := range sus {
			if s.Name == name {
				f.suite = i
			}
		}
	} else {
		f.picked = slices.DeleteFunc(f.picked, func(n int) bool { return !has(n) })
		f.suite = min(f.suite, max(0, len(sus)-1))
	}
	slices.Sort(f.picked)
	f.cursor = min(f.cursor, f.items()-1)
}

// items is the number of cursor positions.
func (f *Form) items() int { return len(f.versions) + len(f.models) + 2 }

// section of cursor position i and the index within it.
func (f *Form) section(i int) (int, int) {
	switch {
	case i < len(f.versions):
		return secVersions, i
	case i < len(f.versions)+len(f.models):
		return secModels, i - len(f.versions)
	case i == len(f.versions)+len(f.models):
		return secSuite, 0
	}
	return secRepeat, 0
}

func (f *Form) key(msg tea.KeyPressMsg) tea.Cmd {
	k := f.keys
	if !f.loaded {
		return nil
	}
	n := f.items()
	sec, idx := f.section(f.cursor)
	switch {
	case key.Matches(msg, k.Up):
		f.cursor = max(0, f.cursor-1)
	case key.Matches(msg, k.Down):
		f.cursor = min(n-1, f.cursor+1)
	case key.Matches(msg, k.NextSection):
		starts := []int{0, len(f.versions), len(f.versions) + len(f.models), len(f.versions) + len(f.models) + 1}
		next := (sec + 1) % len(starts)
		if msg.String() == "shift+tab" {
			next = (sec + len(starts) - 1) % len(starts)
		}
		f.cursor = min(starts[next], n-1)
	case key.Matches(msg, k.Toggle):
		switch sec {
		case secVersions:
			return f.toggleVersion(f.versions[idx].Number)
		case secModels:
			return f.toggleModel(f.models[idx])
		}
	case key.Matches(msg, k.Left), key.Matches(msg, k.Right):
		d := 1
		if key.Matches(msg, k.Left) {
			d = -1
		}
		switch sec {
		case secSuite:
			if len(f.suites) > 0 {
				f.suite = (f.suite + d + len(f.suites)) % len(f.suites)
				return f.estimate()
			}
		case secRepeat:
			r := max(1, min(10, f.repeat+d))
			if r != f.repeat {
				f.repeat = r
				return f.estimate()
			}
		}
	case key.Matches(msg, k.Start):
		return f.start()
	}
	return nil
}

func (f *Form) toggleVersion(n int) tea.Cmd {
	if i := slices.Index(f.picked, n); i >= 0 {
		f.picked = slices.Delete(f.picked, i, i+1)
		return f.estimate()
	}
	if len(f.picked) >= maxVersions {
		return common.Warn(fmt.Sprintf("a run compares at most %d versions: unselect one first", maxVersions))
	}
	f.picked = append(f.picked, n)
	slices.Sort(f.picked)
	return f.estimate()
}

func (f *Form) toggleModel(m string) tea.Cmd {
	if i := slices.Index(f.chosen, m); i >= 0 {
		f.chosen = slices.Delete(f.chosen, i, i+1)
	} else {
		f.chosen = append(f.chosen, m)
	}
	return f.estimate()
}

// plan is the run the form describes.
func (f *Form) plan() (runner.Plan, error) {
	var p runner.Plan
	if len(f.picked) == 0 {
		return p, errors.New("select a version (space)")
	}
	if len(f.chosen) == 0 {
		return p, errors.New("select a model (space)")
	}
	if len(f.suites) == 0 {
		return p, fmt.Errorf("%s has no test suite: add cases in the Tests tab (a) or import a file (i)", f.prompt)
	}
	su := f.suites[f.suite]
	if len(su.Cases) == 0 {
		return p, fmt.Errorf("suite %s has no cases: add some in the Tests tab", su.Name)
	}
	for _, n := range f.picked {
		for _, v := range f.versions {
			if v.Number == n {
				p.Versions = append(p.Versions, v)
			}
		}
	}
	p.Suite, p.Repeat = su, f.repeat
	p.Models = f.explicitModels()
	return p, nil
}

// explicitModels: nil when each version runs on its own model; else the
// chosen models (with the versions' own ones when that entry is chosen).
func (f *Form) explicitModels() []string {
	if len(f.chosen) == 1 && f.chosen[0] == ownModel {
		return nil
	}
	var out []string
	add := func(m string) {
		if m != "" && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	if slices.Contains(f.chosen, ownModel) {
		for _, n := range f.picked {
			for _, v := range f.versions {
				if v.Number == n {
					add(f.canonical(v.Config.Model))
				}
			}
		}
	}
	for _, m := range f.models {
		if m != ownModel && slices.Contains(f.chosen, m) {
			add(m)
		}
	}
	return out
}

func (f *Form) canonical(m string) string {
	if reg := f.registry(); reg != nil && m != "" {
		return reg.Canonical(m)
	}
	return m
}

// estimate asks the engine what the plan costs (in a command).
func (f *Form) estimate() tea.Cmd {
	f.estSeq++
	p, err := f.plan()
	if err != nil || f.c.Engine == nil {
		if err == nil {
			err = errNoEngine
		}
		f.estimating, f.estErr, f.est = false, err, runner.Estimate{}
		return nil
	}
	f.estimating = true
	c, id, seq := f.c, f.id, f.estSeq
	return func() tea.Msg {
		est, err := c.Engine.Estimate(c.Ctx, p, false)
		return estimateMsg{to: to{ID: id}, seq: seq, est: est, err: err}
	}
}

// start starts the run in a command; the matrix replaces the form.
func (f *Form) start() tea.Cmd {
	if f.starting {
		return nil
	}
	if f.c.Engine == nil {
		return common.Warn(errNoEngine.Error())
	}
	p, err := f.plan()
	if err != nil {
		return common.Warn(err.Error())
	}
	f.starting = true
	c, id := f.c, f.id
	return func() tea.Msg {
		h, err := c.Engine.Start(c.Ctx, p, runner.Options{Stream: true})
		if err != nil {
			return startedMsg{to: to{ID: id}, err: err}
		}
		return startedMsg{to: to{ID: id}, runID: h.ID}
	}
}

// View draws the form.
func (f *Form) View() string {
	if f.width <= 0 || f.height <= 0 {
		return ""
	}
	st := &f.c.Styles
	w := f.width
	switch {
	case !f.loaded:
		return common.Box([]string{st.Muted.Render("loading versions and suites…")}, w, f.height)
	case f.err != nil:
		return common.Box([]string{st.Error.Render(common.Explain(f.err))}, w, f.height)
	}
	cursorLine := func(on bool) string {
		if on {
			return st.List.Cursor.Render("› ")
		}
		return "  "
	}
	check := func(on bool) string {
		if on {
			return "[x] "
		}
		return "[ ] "
	}
	var vlines []string
	for i, v := range f.versions {
		on := slices.Contains(f.picked, v.Number)
		text := check(on) + fmt.Sprintf("v%-3d", v.Number)
		var badges []string
		if v.Number == f.versions[0].Number {
			badges = append(badges, st.Badge("latest").Render("latest"))
		}
		for _, l := range v.Labels {
			badges = append(badges, st.Badge(l).Render(common.CleanLine(l)))
		}
		desc := st.Muted.Render(" " + common.CleanLine(v.Message) + " · " + common.CleanLine(v.Config.Model))
		if on {
			text = st.List.Marked.Render(text)
		} else {
			text = st.Text.Render(text)
		}
		vlines = append(vlines, cursorLine(i == f.cursor)+text+" "+strings.Join(badges, " ")+desc)
	}
	var mlines []string
	for i, m := range f.models {
		on := slices.Contains(f.chosen, m)
		name := common.CleanLine(m)
		if m == ownModel {
			var own []string
			for _, n := range f.picked {
				for _, v := range f.versions {
					if v.Number == n && v.Config.Model != "" && !slices.Contains(own, v.Config.Model) {
						own = append(own, common.CleanLine(v.Config.Model))
					}
				}
			}
			name = "each version's own model"
			if len(own) > 0 {
				name += " (" + strings.Join(own, ", ") + ")"
			}
		}
		text := check(on) + name
		if on {
			text = st.List.Marked.Render(text)
		} else {
			text = st.Text.Render(text)
		}
		mlines = append(mlines, cursorLine(len(f.versions)+i == f.cursor)+text)
	}
	suite := st.Muted.Render("no suites: add cases in the Tests tab")
	if len(f.suites) > 0 {
		su := f.suites[f.suite]
		suite = st.Text.Render(fmt.Sprintf("‹ %s ›", common.CleanLine(su.Name))) + st.Muted.Render(" "+common.Plural(len(su.Cases), "case"))
		if len(f.suites) > 1 {
			suite += st.Muted.Render(fmt.Sprintf(" · %d suites: ←/→", len(f.suites)))
		}
	}
	first := len(f.versions) + len(f.models)
	slines := []string{
		cursorLine(f.cursor == first) + st.Subtitle.Render("suite   ") + suite,
		cursorLine(f.cursor == first+1) + st.Subtitle.Render("repeats ") + st.Text.Render(fmt.Sprintf("‹ %d ›", f.repeat)) + st.Muted.Render(" each case is run this many times"),
	}

	// Every section stays on the screen: the versions and the models each
	// get a window of their own, scrolled to the cursor, and their rule
	// says which rows it shows when it cannot show them all.
	foot := []string{rule(st, "", w), f.estimateLine()}
	h := max(1, f.height-len(foot))
	room := max(2, h-3-len(slines))
	hv, hm := sectionHeights(len(vlines), len(mlines), room)
	f.voff = scroll(f.cursor, f.voff, hv, len(vlines))
	f.moff = scroll(f.cursor-len(f.versions), f.moff, hm, len(mlines))
	window := func(title string, rows []string, off, height int) []string {
		if height < len(rows) {
			title += fmt.Sprintf(" · %d–%d of %d, ↑/↓ scroll", off+1, off+height, len(rows))
		}
		return append([]string{rule(st, title, w)}, rows[off:off+height]...)
	}
	lines := window(fmt.Sprintf("versions (%d of at most %d)", len(f.picked), maxVersions), vlines, f.voff, hv)
	lines = append(lines, window("models", mlines, f.moff, hm)...)
	lines = append(lines, rule(st, "suite and repeats", w))
	lines = append(lines, slines...)
	if len(lines) > h {
		lines = lines[:h] // smaller than every section: the top ones win
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	lines = append(lines, foot...)
	return common.Box(lines, w, f.height)
}

// sectionHeights shares room rows between the versions (nv rows) and the
// models (nm rows): each gets what it needs when both fit, else the models
// at most half and the versions the rest, and any row one leaves unused
// goes to the other.
func sectionHeights(nv, nm, room int) (int, int) {
	if nv+nm <= room {
		return nv, nm
	}
	hm := min(nm, max(1, room/2))
	hv := min(nv, max(1, room-hm))
	hm = min(nm, max(1, room-hv))
	return hv, hm
}

func (f *Form) estimateLine() string {
	st := &f.c.Styles
	switch {
	case f.starting:
		return st.Info.Render("starting the run…")
	case f.estErr != nil:
		return st.Warning.Render(common.Explain(f.estErr))
	case f.estimating:
		return st.Muted.Render("estimating…")
	}
	e := f.est
	s := st.Text.Render(common.Plural(e.Calls, "call")) + st.Muted.Render(" · ") +
		st.Text.Render(fmt.Sprintf("%d cached", e.Cached)) + st.Muted.Render(" · ") +
		st.Text.Render("est. "+money(e.Cost))
	if e.Missing > 0 {
		s += st.Muted.Render(" · ") + st.Warning.Render(fmt.Sprintf("%d fail (missing variables)", e.Missing))
	}
	return s + st.Muted.Render(" · enter starts")
}

// ShortHelp is the one-line help.
func (f *Form) ShortHelp() []key.Binding {
	k := f.keys
	return []key.Binding{k.Toggle, k.Left, k.Right, k.NextSection, k.Start}
}

// FullHelp lists every key.
func (f *Form) FullHelp() [][]key.Binding {
	k := f.keys
	return [][]key.Binding{{k.Up, k.Down, k.NextSection}, {k.Toggle, k.Left, k.Right, k.Start}}
}
