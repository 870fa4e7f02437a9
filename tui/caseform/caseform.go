// Package caseform is a test case as a form: a description, the prompt's
// variables listed with a field each, the expected output, and assertions
// chosen from a list that explains each type in one line, with the fields
// that type needs, checked as they are typed (a bad regex or JSON schema is
// named at once). The YAML file stays one key away for power users.
package caseform

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/eval/assert"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

// Spec says which case the form edits and where it is saved (the flow
// message any screen sends to open the form).
type Spec = common.CaseFormMsg

type savedMsg struct {
	common.To
	text string
	err  error
}

type keyMap struct {
	Next, Prev, Save, YAML, Remove, Cancel, Pick, Negate, Yes key.Binding
}

func newKeys() keyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return keyMap{
		Next:   b([]string{"tab", "down"}, "tab/↓", "next field"),
		Prev:   b([]string{"shift+tab", "up"}, "shift+tab/↑", "previous field"),
		Save:   b([]string{"ctrl+s"}, "ctrl+s", "save"),
		YAML:   b([]string{"ctrl+y"}, "ctrl+y", "edit as YAML"),
		Remove: b([]string{"ctrl+x"}, "ctrl+x", "remove the assertion"),
		Cancel: b([]string{"esc"}, "esc", "cancel"),
		Pick:   b([]string{"enter"}, "enter", "choose"),
		Negate: b([]string{"!"}, "!", "negate (not-)"),
		Yes:    b([]string{"y"}, "y", "discard"),
	}
}

// Model is the case form screen.
type Model struct {
	c       *common.Common
	id      int
	spec    Spec
	keys    keyMap
	name    textinput.Model
	varKeys []string
	vars    []textinput.Model
	extra   map[string]any // variables that are not strings: kept as they are
	expect  textinput.Model
	rows    []row
	focus   int
	picking bool
	pick    int
	negate  bool
	asking  bool // esc with changes: discard?
	busy    bool
	start   string
	w, h    int
	offset  int
	problem string
}

// New opens the form.
func New(c *common.Common, spec Spec) *Model {
	m := &Model{c: c, id: common.NewID(), spec: spec, keys: newKeys(), extra: map[string]any{}}
	m.name = c.NewInput("", "what this case checks, e.g. refund request")
	m.expect = c.NewInput("", "optional: the ideal answer (equals and levenshtein use it)")
	m.name.CharLimit, m.expect.CharLimit = 200, 8000
	var old store.Case
	if spec.Old != nil {
		old = *spec.Old
	}
	m.name.SetValue(old.Name)
	m.expect.SetValue(old.Expected)
	keys := append([]string(nil), spec.Vars...)
	var more []string
	for k := range old.Vars {
		if !contains(keys, k) {
			more = append(more, k)
		}
	}
	sort.Strings(more)
	keys = append(keys, more...)
	for _, k := range keys {
		in := c.NewInput("", "value of {{"+k+"}}")
		in.CharLimit = 8000
		switch v := old.Vars[k].(type) {
		case nil:
		case string:
			in.SetValue(v)
		default:
			m.extra[k] = v
			in.SetValue(fmt.Sprint(v))
		}
		m.varKeys = append(m.varKeys, k)
		m.vars = append(m.vars, in)
	}
	for _, a := range old.Assertions {
		m.rows = append(m.rows, rowOf(c, a))
	}
	m.start = m.fingerprint()
	m.setFocus(0)
	return m
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// ID implements common.Screen.
func (m *Model) ID() int { return m.id }

// Init has nothing to load.
func (m *Model) Init() tea.Cmd { return nil }

// Title is the breadcrumb.
func (m *Model) Title() string {
	if m.spec.Old != nil {
		return "case " + m.spec.Old.Name
	}
	return "new test case"
}

// Capturing: the form takes text.
func (m *Model) Capturing() bool { return true }

// Reload keeps what was typed.
func (m *Model) Reload() tea.Cmd { return nil }

// SetSize implements common.Screen.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h }

// field is one focusable place of the form.
type field struct {
	in     *textinput.Model // nil: the "add an assertion" line
	row    int              // the assertion it belongs to, or -1
	label  string
	hint   string
	isThr  bool
	addRow bool
}

func (m *Model) fields() []field {
	fs := []field{{in: &m.name, row: -1, label: "Description"}}
	for i := range m.vars {
		fs = append(fs, field{in: &m.vars[i], row: -1, label: m.varKeys[i]})
	}
	fs = append(fs, field{in: &m.expect, row: -1, label: "Expected"})
	for i := range m.rows {
		n := needsOf(m.rows[i].typ)
		if n.value != "" {
			fs = append(fs, field{in: &m.rows[i].value, row: i, label: "value"})
		}
		if n.threshold != "" {
			fs = append(fs, field{in: &m.rows[i].threshold, row: i, label: "threshold", isThr: true})
		}
		if n.value == "" && n.threshold == "" {
			fs = append(fs, field{row: i, label: "(no value needed)"})
		}
	}
	return append(fs, field{row: -1, addRow: true, label: "+ add an assertion"})
}

func (m *Model) setFocus(i int) tea.Cmd {
	fs := m.fields()
	m.focus = (i + len(fs)) % len(fs)
	for _, f := range fs {
		if f.in != nil {
			f.in.Blur()
		}
	}
	if in := fs[m.focus].in; in != nil {
		return in.Focus()
	}
	return nil
}

func (m *Model) fingerprint() string {
	c, _ := m.build()
	var b strings.Builder
	fmt.Fprintf(&b, "%q %q %v", c.Name, c.Expected, c.Vars)
	for _, r := range m.rows {
		fmt.Fprintf(&b, "|%s %q %q", r.typ, r.value.Value(), r.threshold.Value())
	}
	return b.String()
}

// Changed reports unsaved changes.
func (m *Model) Changed() bool { return m.fingerprint() != m.start }

// build returns the case as typed and the first problem in it.
func (m *Model) build() (store.Case, error) {
	c := store.Case{Name: strings.TrimSpace(m.name.Value()), Expected: m.expect.Value(), Vars: map[string]any{}}
	if m.spec.Old != nil {
		c.ID, c.Position, c.Tags, c.Threshold = m.spec.Old.ID, m.spec.Old.Position, m.spec.Old.Tags, m.spec.Old.Threshold
	}
	for i, k := range m.varKeys {
		v := m.vars[i].Value()
		if x, ok := m.extra[k]; ok && fmt.Sprint(x) == v {
			c.Vars[k] = x
			continue
		}
		if v != "" {
			c.Vars[k] = v
		}
	}
	var first error
	for i, r := range m.rows {
		a, err := r.assertion()
		if err != nil && first == nil {
			first = fmt.Errorf("assertion %d: %w", i+1, err)
		}
		c.Assertions = append(c.Assertions, a)
	}
	if first != nil {
		return c, first
	}
	if c.Name == "" {
		return c, errors.New("the case needs a description (the first field)")
	}
	if len(c.Assertions) == 0 && c.Expected == "" {
		return c, errors.New("add an assertion (the last line) or an expected output: a case checks something")
	}
	return c, nil
}

// Busy reports whether the case is being saved: the root holds keys typed
// meanwhile and gives them back when it is done.
func (m *Model) Busy() bool { return m.busy }

// Update handles keys and the save's result.
func (m *Model) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case savedMsg:
		// Saved, it closes: it stays busy so that keys typed meanwhile go
		// to the screen beneath once it has gone.
		m.busy = msg.err == nil
		if msg.err != nil {
			m.problem = common.Explain(msg.err)
			return m, common.Error(msg.err)
		}
		return m, tea.Sequence(common.Pop(true), common.Success(msg.text))
	case tea.PasteMsg:
		if f := m.fields()[m.focus]; f.in != nil && !m.picking {
			var cmd tea.Cmd
			*f.in, cmd = f.in.Update(msg)
			return m, cmd
		}
	case tea.KeyPressMsg:
		if m.busy {
			return m, nil
		}
		return m, m.key(msg)
	}
	return m, nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if m.asking {
		m.asking = false
		if key.Matches(msg, k.Yes) {
			return common.Pop(false)
		}
		return nil
	}
	if m.picking {
		return m.pickKey(msg)
	}
	fs := m.fields()
	f := fs[m.focus]
	switch {
	case key.Matches(msg, k.Cancel):
		if m.Changed() {
			m.asking = true
			return nil
		}
		return common.Pop(false)
	case key.Matches(msg, k.Save):
		return m.save()
	case key.Matches(msg, k.YAML):
		if m.spec.YAML == nil {
			return nil
		}
		send := m.spec.YAML
		return tea.Sequence(common.Pop(false), func() tea.Msg { return send })
	case key.Matches(msg, k.Next):
		return m.setFocus(m.focus + 1)
	case key.Matches(msg, k.Prev):
		return m.setFocus(m.focus - 1)
	case key.Matches(msg, k.Remove):
		if f.row >= 0 {
			m.rows = append(m.rows[:f.row], m.rows[f.row+1:]...)
			return m.setFocus(min(m.focus, len(m.fields())-1))
		}
		return nil
	case f.addRow && key.Matches(msg, k.Pick):
		m.picking, m.pick, m.negate = true, 0, false
		return nil
	case msg.String() == "enter":
		return m.setFocus(m.focus + 1)
	}
	if f.in != nil {
		var cmd tea.Cmd
		*f.in, cmd = f.in.Update(msg)
		m.problem = ""
		return cmd
	}
	return nil
}

func (m *Model) pickKey(msg tea.KeyPressMsg) tea.Cmd {
	kinds := assert.Kinds()
	switch msg.String() {
	case "esc":
		m.picking = false
	case "down", "j", "tab":
		m.pick = (m.pick + 1) % len(kinds)
	case "up", "k", "shift+tab":
		m.pick = (m.pick - 1 + len(kinds)) % len(kinds)
	case "!", "n":
		m.negate = !m.negate
	case "enter":
		typ := kinds[m.pick].Name
		if m.negate {
			typ = "not-" + typ
		}
		m.rows = append(m.rows, newRow(m.c, typ))
		m.picking = false
		// Focus the new assertion's first field.
		fs := m.fields()
		for i, f := range fs {
			if f.row == len(m.rows)-1 {
				return m.setFocus(i)
			}
		}
	}
	return nil
}

func (m *Model) save() tea.Cmd {
	c, err := m.build()
	if err != nil {
		m.problem = err.Error()
		return common.Error(err)
	}
	if !m.Changed() && m.spec.Old != nil {
		return tea.Sequence(common.Pop(false), common.Info("no change"))
	}
	m.busy = true
	st, ctx, to, spec := m.c.Store, m.c.Ctx, common.To{ID: m.id}, m.spec
	return func() tea.Msg {
		var err error
		text := fmt.Sprintf("saved case %s in suite %s", common.CleanLine(c.Name), common.CleanLine(spec.Suite))
		if spec.SuiteID == 0 {
			_, err = st.SaveSuite(ctx, spec.Prompt, store.Suite{Name: spec.Suite, Cases: []store.Case{c}})
			text = fmt.Sprintf("created suite %s with case %s", common.CleanLine(spec.Suite), common.CleanLine(c.Name))
		} else {
			_, err = st.SaveCase(ctx, spec.SuiteID, c)
		}
		return savedMsg{To: to, text: text, err: err}
	}
}
