package evalws

import (
	"encoding/json"
	"fmt"
	"github.com/seed94f0f622/verso/eval/suitefile"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

type testsMsg struct {
	to
	suites []store.Suite
	latest store.Version
	err    error
}

// Modes of the Tests tab.
const (
	modeList = iota
	modeConfirm
	modeImport
	modeInvalid // an edit was refused: reopen or discard
)

// testItem is one line of the list: a suite header (cas < 0) or a case.
type testItem struct{ suite, cas int }

// TestsTab is the Tests tab of the prompt view: the prompt's suites and
// cases, the rendered prompt of a case, and adding, editing, deleting and
// importing cases.
type TestsTab struct {
	c      *common.Common
	id     int
	prompt string
	keys   TestsKeys

	loaded bool
	err    error
	suites []store.Suite
	latest store.Version
	items  []testItem
	cursor int
	off    int
	render bool // the detail pane shows the rendered prompt

	mode    int
	confirm string
	onYes   tea.Cmd
	edit    *edit
	inputs  [2]textinput.Model // import: path, suite
	focus   int
	busy    bool

	width, height int
}

// NewTestsTab returns the Tests tab of prompt.
func NewTestsTab(c *common.Common, prompt string) common.Tab { return newTestsTab(c, prompt) }

func newTestsTab(c *common.Common, prompt string) *TestsTab {
	t := &TestsTab{c: c, id: common.NewID(), prompt: prompt, keys: DefaultTestsKeys()}
	t.keys.ListKeys = c.List
	for i := range t.inputs {
		in := textinput.New()
		in.Prompt = ""
		t.inputs[i] = in
	}
	t.styleInputs()
	t.inputs[0].Placeholder = "path/to/cases.yaml (.yaml, .jsonl, .csv) · tab completes"
	t.inputs[0].ShowSuggestions = true
	// tab completes (see key); the input's own suggestion keys stay off so
	// ↑/↓ and ctrl+n/p do not change the path behind the user's back.
	t.inputs[0].KeyMap.AcceptSuggestion.SetEnabled(false)
	t.inputs[1].Placeholder = "default"
	return t
}

func (t *TestsTab) ID() int          { return t.id }
func (t *TestsTab) Name() string     { return "Tests" }
func (t *TestsTab) Init() tea.Cmd    { return t.load() }
func (t *TestsTab) Reload() tea.Cmd  { return t.load() }
func (t *TestsTab) SetSize(w, h int) { t.width, t.height = w, h }

// Capturing: text input, a confirmation or a refused edit take esc.
func (t *TestsTab) Capturing() bool { return t.mode != modeList }

func (t *TestsTab) load() tea.Cmd {
	c, id, name := t.c, t.id, t.prompt
	return func() tea.Msg {
		sus, err := c.Store.Suites(c.Ctx, name)
		if err != nil {
			return testsMsg{to: to{ID: id}, err: err}
		}
		v, err := c.Store.Lookup(c.Ctx, name+"@latest")
		return testsMsg{to: to{ID: id}, suites: sus, latest: v, err: err}
	}
}

func (t *TestsTab) setData(sus []store.Suite) {
	var keepSuite string
	var keepCase int64 = -1
	if s, c := t.selected(); s != nil {
		keepSuite = s.Name
		if c != nil {
			keepCase = c.ID
		}
	}
	t.suites = sus
	t.items = t.items[:0]
	for si, su := range sus {
		t.items = append(t.items, testItem{si, -1})
		for ci := range su.Cases {
			t.items = append(t.items, testItem{si, ci})
		}
	}
	for i, it := range t.items {
		su := sus[it.suite]
		if su.Name == keepSuite && (it.cas < 0 && keepCase < 0 || it.cas >= 0 && su.Cases[it.cas].ID == keepCase) {
			t.cursor = i
		}
	}
	t.cursor = max(0, min(t.cursor, len(t.items)-1))
}

// selected is the suite and case (nil on a suite header) under the cursor.
func (t *TestsTab) selected() (*store.Suite, *store.Case) {
	if t.cursor < 0 || t.cursor >= len(t.items) {
		return nil, nil
	}
	it := t.items[t.cursor]
	su := &t.suites[it.suite]
	if it.cas < 0 {
		return su, nil
	}
	return su, &su.Cases[it.cas]
}

// Update handles loads, the edit flow and keys.
func (t *TestsTab) Update(msg tea.Msg) (common.Tab, tea.Cmd) {
	switch msg := msg.(type) {
	case testsMsg:
		t.loaded = true
		if msg.err != nil {
			t.err = msg.err
			return t, common.Error(msg.err)
		}
		t.err = nil
		t.latest = msg.latest
		t.setData(msg.suites)
	case editFileMsg:
		t.busy = false
		if msg.err != nil {
			return t, common.Error(msg.err)
		}
		t.edit = msg.e
		return t, runEditor(t.c, t.id, msg)
	case editorDoneMsg:
		if msg.err != nil {
			t.edit, t.mode = msg.e, modeInvalid
			t.edit.err = "the editor failed: " + msg.err.Error()
			return t, common.Warn(t.edit.err + ": e reopens it, esc discards")
		}
		return t, readEdit(t.id, msg.e)
	case editParsedMsg:
		t.edit = msg.e
		switch {
		case msg.err != nil:
			t.mode = modeInvalid
			t.edit.err = msg.err.Error()
			return t, common.Error(fmt.Errorf("%s: e reopens the file with your edit, esc discards it", t.edit.err))
		case msg.same:
			t.mode, t.edit = modeList, nil
			return t, common.Info("no change")
		}
		t.mode = modeList
		return t, saveEdit(t.c, t.id, t.prompt, msg.e, msg.cases)
	case pathsMsg:
		// Only the listing for what is typed now: an older one that comes
		// back late is dropped.
		if t.mode == modeImport && msg.typed == t.inputs[0].Value() {
			t.inputs[0].SetSuggestions(msg.paths)
		}
	case savedMsg:
		t.busy = false
		if msg.err != nil {
			if t.edit != nil {
				// The cases parsed but the store refused them: keep the file.
				t.mode = modeInvalid
				t.edit.err = common.Explain(msg.err)
			}
			return t, common.Error(msg.err)
		}
		if t.mode == modeImport {
			t.closeImport()
		}
		t.edit, t.mode = nil, modeList
		return t, tea.Batch(common.Success(msg.text), t.load())
	case yamlMsg:
		return t, t.yaml(msg.add)
	case tea.KeyPressMsg:
		return t, t.key(msg)
	case tea.MouseWheelMsg:
		if t.mode == modeList {
			switch msg.Button {
			case tea.MouseWheelUp:
				t.cursor = max(0, t.cursor-3)
			case tea.MouseWheelDown:
				t.cursor = max(0, min(len(t.items)-1, t.cursor+3))
			}
		}
	default:
		if t.mode == modeImport {
			var cmd tea.Cmd
			t.inputs[t.focus], cmd = t.inputs[t.focus].Update(msg)
			return t, cmd
		}
	}
	return t, nil
}

func (t *TestsTab) key(msg tea.KeyPressMsg) tea.Cmd {
	k := t.keys
	switch t.mode {
	case modeConfirm:
		switch {
		case key.Matches(msg, k.Yes):
			t.mode = modeList
			t.busy = true
			return t.onYes
		case key.Matches(msg, k.No):
			t.mode = modeList
		}
		return nil
	case modeInvalid:
		switch {
		case key.Matches(msg, k.Edit), msg.String() == "enter":
			t.mode = modeList
			return startEdit(t.c, t.id, t.edit, nil)
		case key.Matches(msg, k.Cancel), msg.String() == "q":
			t.mode, t.edit = modeList, nil
			return common.Info("edit discarded")
		}
		return nil
	case modeImport:
		switch {
		case key.Matches(msg, k.Cancel):
			t.closeImport()
			return nil
		case key.Matches(msg, k.NextField) && t.focus == 0 && t.completes():
			// tab completes the path first; once it is whole, it moves on.
			t.inputs[0].SetValue(t.inputs[0].CurrentSuggestion())
			t.inputs[0].CursorEnd()
			return completePaths(t.id, t.inputs[0].Value())
		case key.Matches(msg, k.NextField):
			t.inputs[t.focus].Blur()
			t.focus = 1 - t.focus
			return t.inputs[t.focus].Focus()
		case key.Matches(msg, k.Submit):
			if t.busy {
				return nil
			}
			t.busy = true
			name := strings.TrimSpace(t.inputs[1].Value())
			if name == "" {
				name = "default"
			}
			return importSuite(t.c, t.id, t.prompt, t.inputs[0].Value(), name)
		}
		before := t.inputs[0].Value()
		var cmd tea.Cmd
		t.inputs[t.focus], cmd = t.inputs[t.focus].Update(msg)
		if t.focus == 0 && t.inputs[0].Value() != before {
			cmd = tea.Batch(cmd, completePaths(t.id, t.inputs[0].Value()))
		}
		return cmd
	}
	n := len(t.items)
	page := max(1, t.listHeight())
	su, cs := t.selected()
	if c, ok := k.Move(msg, t.cursor, n, page); ok {
		t.cursor = c
		return nil
	}
	switch {
	case key.Matches(msg, k.Render):
		t.render = !t.render
	case key.Matches(msg, k.Run):
		name := ""
		if su != nil {
			name = su.Name
		}
		return common.Push(NewRunForm(t.c, t.prompt, nil, name))
	case key.Matches(msg, k.Import):
		t.mode, t.focus = modeImport, 0
		t.inputs[0].SetValue("")
		name := "default"
		if su != nil {
			name = su.Name
		}
		t.inputs[1].SetValue(name)
		t.inputs[1].Blur()
		t.inputs[0].SetSuggestions(nil)
		return tea.Batch(t.inputs[0].Focus(), completePaths(t.id, ""))
	case key.Matches(msg, k.Add):
		if !t.loaded || t.busy {
			return nil
		}
		return t.openForm(su, nil)
	case key.Matches(msg, k.Edit):
		if cs == nil || t.busy {
			return common.Warn("select a case to edit")
		}
		return t.openForm(su, cs)
	case key.Matches(msg, k.YAML):
		return t.yaml(cs == nil)
	case key.Matches(msg, k.Delete):
		switch {
		case cs != nil:
			what := fmt.Sprintf("case %s", common.CleanLine(cs.Name))
			t.confirm = fmt.Sprintf("delete %s of suite %s? y/n", what, common.CleanLine(su.Name))
			t.onYes = deleteCmd(t.c, t.id, t.prompt, su.Name, cs.ID, what)
			t.mode = modeConfirm
		case su != nil:
			what := fmt.Sprintf("suite %s", common.CleanLine(su.Name))
			t.confirm = fmt.Sprintf("delete %s and its %s? (past runs keep their results) y/n", what, common.Plural(len(su.Cases), "case"))
			t.onYes = deleteCmd(t.c, t.id, t.prompt, su.Name, 0, what)
			t.mode = modeConfirm
		}
	}
	return nil
}

// styleInputs styles the inputs from the theme, with a steady cursor: a
// blinking one would need ticks routed through the prompt view.
func (t *TestsTab) styleInputs() {
	st := &t.c.Styles
	focused := textinput.StyleState{Text: st.Input.Text, Placeholder: st.Input.Placeholder, Prompt: st.Input.Prompt, Suggestion: st.Muted}
	blurred := textinput.StyleState{Text: st.Muted, Placeholder: st.Input.Placeholder, Prompt: st.Muted, Suggestion: st.Muted}
	for i := range t.inputs {
		t.inputs[i].SetStyles(textinput.Styles{Focused: focused, Blurred: blurred,
			Cursor: textinput.CursorStyle{Color: st.Palette.Accent, Blink: false}})
	}
}

func (t *TestsTab) closeImport() {
	t.mode = modeList
	for i := range t.inputs {
		t.inputs[i].Blur()
	}
}

// footer lines for the current mode.
func (t *TestsTab) footer() []string {
	st := &t.c.Styles
	switch t.mode {
	case modeConfirm:
		return []string{st.Warning.Render(t.confirm)}
	case modeInvalid:
		return []string{
			st.Error.Render("refused: " + common.CleanLine(t.edit.err)),
			st.Muted.Render("e reopens the file with your edit · esc discards it"),
		}
	case modeImport:
		t.styleInputs()
		w := max(10, t.width-14)
		t.inputs[0].SetWidth(w)
		t.inputs[1].SetWidth(w)
		return []string{
			st.Input.Prompt.Render("import file ") + t.inputs[0].View(),
			st.Input.Prompt.Render("into suite  ") + t.inputs[1].View(),
			st.Muted.Render("enter imports (replaces the suite's cases) · tab next field · esc cancels"),
		}
	}
	return nil
}

// layout: side by side from 100 columns, stacked below.
func (t *TestsTab) sideBySide() bool { return t.width >= 100 }

func (t *TestsTab) bodyHeight() int { return max(1, t.height-len(t.footer())) }

func (t *TestsTab) listHeight() int {
	if t.sideBySide() {
		return t.bodyHeight()
	}
	return max(2, t.bodyHeight()*2/5)
}

// View draws the list, the detail pane and the mode's footer.
func (t *TestsTab) View() string {
	if t.width <= 0 || t.height <= 0 {
		return ""
	}
	st := &t.c.Styles
	switch {
	case !t.loaded:
		return common.Box([]string{st.Muted.Render("loading test suites…")}, t.width, t.height)
	case t.err != nil:
		return common.Box([]string{st.Error.Render(common.Explain(t.err))}, t.width, t.height)
	}
	foot := t.footer()
	bh := max(1, t.height-len(foot))
	var lines []string
	if t.sideBySide() {
		lw := t.width * 2 / 5
		dw := t.width - lw - 1
		list := t.listLines(lw, bh)
		detail := t.detailLines(dw)
		sep := st.Panel.Border.Render("│")
		for i := 0; i < bh; i++ {
			var l, d string
			if i < len(list) {
				l = list[i]
			}
			if i < len(detail) {
				d = detail[i]
			}
			lines = append(lines, common.Fit(l, lw)+sep+common.Fit(d, dw))
		}
	} else {
		lh := min(t.listHeight(), bh)
		lines = append(lines, t.listLines(t.width, lh)...)
		for len(lines) < lh {
			lines = append(lines, "")
		}
		if bh > lh {
			lines = append(lines, rule(st, t.detailTitle(), t.width))
			lines = append(lines, t.detailLines(t.width)[1:]...)
		}
		if len(lines) > bh {
			lines = lines[:bh]
		}
		for len(lines) < bh {
			lines = append(lines, "")
		}
	}
	lines = append(lines, foot...)
	return common.Box(lines, t.width, t.height)
}

func (t *TestsTab) listLines(w, h int) []string {
	st := &t.c.Styles
	if len(t.items) == 0 {
		return []string{
			st.List.Empty.Render("no test cases yet"),
			st.Muted.Render("a adds a case · i imports a suite file"),
		}
	}
	// The first line says where the cursor is, as every list does.
	cases := 0
	for _, su := range t.suites {
		cases += len(su.Cases)
	}
	h = max(1, h-1)
	t.off = scroll(t.cursor, t.off, h, len(t.items))
	pos := fmt.Sprintf("%s · %s · row %d of %d", common.Plural(len(t.suites), "suite"), common.Plural(cases, "case"), t.cursor+1, len(t.items))
	if len(t.items) > h {
		pos += fmt.Sprintf(" (%d%%)", min(100, (t.off+h)*100/len(t.items)))
	}
	out := []string{" " + st.Muted.Render(common.Trunc(pos, max(1, w-1)))}
	for i := t.off; i < min(len(t.items), t.off+h); i++ {
		it := t.items[i]
		su := t.suites[it.suite]
		var text string
		if it.cas < 0 {
			th := "all must pass"
			if su.Threshold > 0 {
				th = fmt.Sprintf("threshold %g", su.Threshold)
			}
			text = st.Subtitle.Render(common.CleanLine(su.Name)) + st.Muted.Render(fmt.Sprintf(" · %s · %s", common.Plural(len(su.Cases), "case"), th))
		} else {
			cs := su.Cases[it.cas]
			text = "  " + st.Text.Render(common.CleanLine(cs.Name)) +
				st.Muted.Render(fmt.Sprintf("  %d %s · %d %s", len(cs.Vars), plural(len(cs.Vars), "var"), len(cs.Assertions), plural(len(cs.Assertions), "check")))
		}
		if i == t.cursor {
			out = append(out, st.List.Cursor.Render("›")+st.List.Selected.Render(common.Fit(stripToPlain(text), w-1)))
		} else {
			out = append(out, " "+text)
		}
	}
	return out
}

func (t *TestsTab) detailTitle() string {
	su, cs := t.selected()
	switch {
	case su == nil:
		return ""
	case cs == nil:
		return "suite " + common.CleanLine(su.Name)
	case t.render:
		return fmt.Sprintf("%s · rendered with v%d", common.CleanLine(cs.Name), t.latest.Number)
	}
	return common.CleanLine(cs.Name)
}

// detailLines: the case (vars, assertions, expected) or its rendered
// prompt; a suite's figures on a header. The first line is the title.
func (t *TestsTab) detailLines(w int) []string {
	st := &t.c.Styles
	out := []string{" " + st.Title.Render(common.Trunc(t.detailTitle(), max(1, w-1)))}
	add := func(s ...string) { out = append(out, s...) }
	text := func(style func(...string) string, s string) {
		for _, l := range wrap(common.Clean(s), max(1, w-2)) {
			add("  " + style(l))
		}
	}
	su, cs := t.selected()
	switch {
	case su == nil:
		return out
	case cs == nil:
		if su.Description != "" {
			text(st.Text.Render, su.Description)
		}
		add(st.Muted.Render(fmt.Sprintf("  %s · updated %s", common.Plural(len(su.Cases), "case"), common.Ago(su.UpdatedAt, t.c.Now()))))
		add(st.Muted.Render("  a adds a case to this suite · r runs it · x deletes it"))
		return out
	case t.render:
		if t.latest.Number == 0 {
			add(st.Muted.Render("  the prompt has no version"))
			return out
		}
		msgs, err := prompt.Render(t.latest, cs.Vars)
		if err != nil {
			text(st.Error.Render, common.Explain(err))
			return out
		}
		for _, m := range msgs {
			if t.latest.Kind == store.KindChat {
				add(" " + st.Role(m.Role).Render(common.CleanLine(m.Role)))
			}
			text(st.Text.Render, m.Content)
		}
		if un := prompt.Unused(t.latest, cs.Vars); len(un) > 0 {
			add(st.Warning.Render("  unused: " + common.CleanLine(strings.Join(un, ", "))))
		}
		return out
	}
	add(st.Subtitle.Render(" vars"))
	if len(cs.Vars) == 0 {
		add(st.Muted.Render("  none"))
	}
	add(varLines(st.Variable.Render, st.Text.Render, cs.Vars, w)...)
	add(st.Subtitle.Render(fmt.Sprintf(" assertions (%d)", len(cs.Assertions))))
	for _, a := range cs.Assertions {
		add("  " + st.Accent.Render(common.CleanLine(a.Type)) + st.Text.Render(common.Trunc(assertionValue(a), max(1, w-4-len(a.Type)))))
	}
	if cs.Expected != "" {
		add(st.Subtitle.Render(" expected"))
		text(st.Text.Render, cs.Expected)
	}
	if len(cs.Tags) > 0 {
		add(st.Muted.Render("  tags: " + common.CleanLine(strings.Join(cs.Tags, ", "))))
	}
	add(st.Muted.Render("  enter shows the rendered prompt"))
	return out
}

func assertionValue(a store.Assertion) string {
	var parts []string
	switch v := a.Value.(type) {
	case nil:
	case string:
		parts = append(parts, v)
	default:
		b, _ := json.Marshal(v)
		parts = append(parts, string(b))
	}
	if a.Threshold != nil {
		parts = append(parts, fmt.Sprintf("threshold %g", *a.Threshold))
	}
	if a.Weight != nil {
		parts = append(parts, fmt.Sprintf("weight %g", *a.Weight))
	}
	if a.Provider != "" {
		parts = append(parts, "by "+a.Provider)
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + common.CleanLine(strings.Join(parts, " · "))
}

// ShortHelp is the one-line help of the current mode.
func (t *TestsTab) ShortHelp() []key.Binding {
	k := t.keys
	switch t.mode {
	case modeConfirm:
		return []key.Binding{k.Yes, k.No}
	case modeImport:
		return []key.Binding{k.Submit, k.NextField, k.Cancel}
	case modeInvalid:
		return []key.Binding{k.Edit, k.Cancel}
	}
	return []key.Binding{k.Render, k.Add, k.Edit, k.Delete, k.Import, k.Run}
}

// FullHelp lists every key.
func (t *TestsTab) FullHelp() [][]key.Binding {
	k := t.keys
	return [][]key.Binding{k.Bindings(), {k.Render, k.Add, k.Edit, k.Delete, k.Import, k.Run}}
}

// yaml adds a case (add) or edits the selected one as YAML in $EDITOR:
// the power users' way, Y in the tab or ctrl+y in the form.
func (t *TestsTab) yaml(add bool) tea.Cmd {
	su, cs := t.selected()
	if add {
		if !t.loaded || t.busy {
			return nil
		}
		e := &edit{suite: "default"}
		if su != nil {
			e.suiteID, e.suite = su.ID, su.Name
		}
		data, err := caseFile(fmt.Sprintf("New test case(s) for %s, suite %s: add more items under tests: to add several.", t.prompt, e.suite),
			[]store.Case{newCaseTemplate(t.latest)})
		if err != nil {
			return common.Error(err)
		}
		t.busy = true
		return startEdit(t.c, t.id, e, data)
	}
	if cs == nil || t.busy {
		return common.Warn("select a case to edit")
	}
	old := *cs
	e := &edit{suiteID: su.ID, suite: su.Name, old: &old}
	data, err := caseFile(fmt.Sprintf("Test case %q of %s, suite %s.", cs.Name, t.prompt, su.Name), []store.Case{old})
	if err != nil {
		return common.Error(err)
	}
	t.busy = true
	return startEdit(t.c, t.id, e, data)
}

// yamlMsg is what the case form sends back on ctrl+y: open the same case
// (or a new one) as YAML.
type yamlMsg struct {
	to
	add bool
}

// openForm opens the case form on a new case of su (or "default") or on cs.
func (t *TestsTab) openForm(su *store.Suite, cs *store.Case) tea.Cmd {
	spec := common.CaseFormMsg{Prompt: t.prompt, Vars: prompt.Variables(t.latest), Suite: "default",
		YAML: yamlMsg{to: to{ID: t.id}, add: cs == nil}}
	if su != nil {
		spec.SuiteID, spec.Suite = su.ID, su.Name
	}
	if cs != nil {
		old := *cs
		spec.Old = &old
	}
	return func() tea.Msg { return spec }
}

// pathsMsg carries the completions of what was typed in the import field.
type pathsMsg struct {
	to
	typed string
	paths []string
}

// completePaths lists what the import field's text completes to: folders
// and the files a suite can be read from.
func completePaths(id int, typed string) tea.Cmd {
	return func() tea.Msg {
		suite := func(name string) bool { _, err := suitefile.FormatOf(name); return err == nil }
		return pathsMsg{to: to{ID: id}, typed: typed, paths: common.CompletePaths(typed, suite)}
	}
}

// completes says whether the path field has a completion that adds to
// what is typed.
func (t *TestsTab) completes() bool {
	s := t.inputs[0].CurrentSuggestion()
	return s != "" && s != t.inputs[0].Value()
}
