// Package playground is where a prompt version is tried before it is
// committed or tested: fill its variables (from a test case or the values
// used last time), pick one or more models, run, and watch the answers
// stream side by side with latency, tokens and cost. The prompt can be
// changed in place and run again; ctrl+t turns the variables and what the
// answer must say into a test case (the case form), ctrl+s commits the
// changed prompt. Answers that came from the response cache are marked.
package playground

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	"github.com/seed94f0f622/verso/tui/dialog"
	"github.com/seed94f0f622/verso/tui/inlineedit"
)

type (
	loadedMsg struct {
		common.To
		latest  int
		sources []source
		suites  []store.Suite
		err     error
	}
	committedMsg struct{ common.To }
	rebasedMsg   struct {
		common.To
		v   store.Version
		err error
	}
)

// source is a set of values for the variables: the values used last time,
// or a test case's.
type source struct {
	name string
	vars map[string]any
}

type pane int

const (
	paneVars pane = iota
	paneModels
	panePrompt
	paneAnswers
)

var paneNames = []string{"Variables", "Models", "Prompt", "Answers"}

// status of one model's answer.
type status int

const (
	idle status = iota
	waiting
	streaming
	done
	failed
)

// column is one model's answer.
type column struct {
	model  string
	state  status
	text   strings.Builder
	resp   provider.Response
	cost   float64
	cached bool
	err    string
	start  time.Time
	first  time.Duration // time to the first piece
}

// Options are what the playground needs besides Common.
type Options struct {
	// StateDir keeps the values used last (per registry and prompt); ""
	// keeps none.
	StateDir string
}

// Model is the playground screen.
type Model struct {
	c        *common.Common
	id       int
	stateDir string
	base     store.Version
	latest   int
	loaded   bool

	kind     store.Kind
	template string
	msgs     []store.Message
	cur      int // the chat message in the area
	area     inlineedit.Area

	varNames []string
	inputs   []textinput.Model
	memo     map[string]string // values typed for variables no longer in the text
	vcur     int
	sources  []source
	src      int
	suites   []store.Suite

	models []string
	picked map[string]bool
	mcur   int

	cols   []*column
	acur   int // the answer ctrl+t makes a case of
	scroll int
	gen    int
	cancel context.CancelFunc
	ch     <-chan event
	live   bool

	focus pane
	keys  keyMap
	ask   bool // esc with an edited prompt: discard?
	w, h  int
}

// New opens the playground on v.
func New(c *common.Common, v store.Version, o Options) *Model {
	m := &Model{c: c, id: common.NewID(), stateDir: o.StateDir, base: v, latest: v.Number, keys: newKeys(), picked: map[string]bool{}}
	m.setBase(v)
	if c.Providers != nil {
		m.models = c.Providers.Models()
	}
	own := ""
	if c.Providers != nil && v.Config.Model != "" {
		own = c.Providers.Canonical(v.Config.Model)
		if !slices.Contains(m.models, own) {
			m.models = append([]string{own}, m.models...)
		}
	}
	switch {
	case own != "":
		m.picked[own] = true
	case len(m.models) > 0:
		m.picked[m.models[0]] = true
	}
	m.setFocus(paneVars)
	return m
}

// setBase loads v as the text to try and lists its variables (values
// already typed are kept).
func (m *Model) setBase(v store.Version) {
	m.base, m.kind, m.template, m.msgs, m.cur = v, v.Kind, v.Template, slices.Clone(v.Messages), 0
	text := v.Template
	if v.Kind == store.KindChat && len(m.msgs) > 0 {
		m.cur = lastUser(m.msgs)
		text = m.msgs[m.cur].Content
	}
	m.area = inlineedit.NewArea(text)
	m.syncVars()
	m.SetSize(m.w, m.h)
}

// lastUser is the message a user most often changes: the last user
// message, else the first.
func lastUser(msgs []store.Message) int {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role == "user" {
			return i
		}
	}
	return 0
}

// syncVars lists the variables of the text as it is now, keeping values.
func (m *Model) syncVars() {
	v := m.current()
	if prompt.Check(v) != nil {
		return // half-typed {{: keep the list until the text parses
	}
	names := prompt.Variables(v)
	if slices.Equal(names, m.varNames) {
		return
	}
	if m.memo == nil {
		m.memo = map[string]string{}
	}
	for i, n := range m.varNames {
		m.memo[n] = m.inputs[i].Value()
	}
	m.varNames, m.inputs = names, nil
	for _, n := range names {
		in := m.c.NewInput("", "value of {{"+n+"}}")
		in.CharLimit = 100000
		in.SetValue(m.memo[n])
		m.inputs = append(m.inputs, in)
	}
	m.vcur = min(m.vcur, max(len(m.inputs)-1, 0))
	if m.focus == paneVars {
		m.focusInput()
	}
}

// current is the version as edited here.
func (m *Model) current() store.Version {
	v := m.base
	if m.kind == store.KindChat {
		v.Messages = slices.Clone(m.msgs)
		if m.cur < len(v.Messages) {
			v.Messages[m.cur].Content = m.area.Value()
		}
	} else {
		v.Template = m.area.Value()
	}
	return v
}

// Edited reports that the prompt was changed here.
func (m *Model) Edited() bool {
	v := m.current()
	if v.Kind == store.KindChat {
		return !slices.Equal(v.Messages, m.base.Messages)
	}
	return v.Template != m.base.Template
}

func (m *Model) to() common.To { return common.To{ID: m.id} }

// ID implements common.Screen.
func (m *Model) ID() int { return m.id }

// Title implements common.Screen.
func (m *Model) Title() string {
	return fmt.Sprintf("%s v%d · playground", m.base.Prompt, m.base.Number)
}

// Capturing: the playground always has a text field or text area.
func (m *Model) Capturing() bool { return true }

// Reload implements common.Screen (nothing here is read from the file
// after the start but the test cases).
func (m *Model) Reload() tea.Cmd { return nil }

// Running reports a run in flight (ctrl+c stops it instead of quitting).
func (m *Model) Running() bool { return m.live }

// Init reads the latest version number, the test cases (for values) and
// the values used last time.
func (m *Model) Init() tea.Cmd {
	ctx, st, to, name, path := m.c.Ctx, m.c.Store, m.to(), m.base.Prompt, m.statePath()
	return func() tea.Msg {
		msg := loadedMsg{To: to}
		latest, err := st.Lookup(ctx, name+"@latest")
		if err != nil {
			msg.err = err
			return msg
		}
		msg.latest = latest.Number
		if last, ok := readLast(path, name); ok {
			msg.sources = append(msg.sources, source{name: "values used last", vars: last})
		}
		suites, err := st.Suites(ctx, name)
		if err != nil {
			msg.err = err
			return msg
		}
		msg.suites = suites
		for _, su := range suites {
			for _, cs := range su.Cases {
				if len(cs.Vars) > 0 {
					msg.sources = append(msg.sources, source{name: "case " + cs.Name, vars: cs.Vars})
				}
			}
		}
		return msg
	}
}

// statePath is the file of last-used values for this registry.
func (m *Model) statePath() string {
	if m.stateDir == "" || m.c.Store == nil {
		return ""
	}
	db, _ := filepath.Abs(m.c.Store.Path())
	return filepath.Join(m.stateDir, "playground-"+strings.ReplaceAll(strings.Trim(db, "/"), "/", "_")+".json")
}

// readLast reads the values used last for prompt.
func readLast(path, name string) (map[string]any, bool) {
	if path == "" {
		return nil, false
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	all := map[string]map[string]any{}
	if json.Unmarshal(b, &all) != nil {
		return nil, false
	}
	v, ok := all[name]
	return v, ok && len(v) > 0
}

// writeLast keeps vars as the values used last for prompt.
func writeLast(path, name string, vars map[string]any) error {
	if path == "" {
		return nil
	}
	all := map[string]map[string]any{}
	if b, err := os.ReadFile(path); err == nil {
		_ = json.Unmarshal(b, &all)
	}
	all[name] = vars
	b, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// fill puts a source's values in the fields.
func (m *Model) fill(s source) {
	for i, n := range m.varNames {
		v, ok := s.vars[n]
		switch {
		case !ok:
			continue
		case v == nil:
			m.inputs[i].SetValue("")
		default:
			if str, isStr := v.(string); isStr {
				m.inputs[i].SetValue(str)
			} else if b, err := json.Marshal(v); err == nil {
				m.inputs[i].SetValue(string(b))
			}
		}
	}
}

// values are the variables as typed: a value that reads as JSON (a list,
// an object, a number) is passed as that, as in a test case file.
func (m *Model) values() map[string]any {
	out := map[string]any{}
	for i, n := range m.varNames {
		s := m.inputs[i].Value()
		var v any
		if t := strings.TrimSpace(s); t != "" && strings.ContainsAny(t[:1], "[{") && json.Unmarshal([]byte(t), &v) == nil {
			out[n] = v
			continue
		}
		out[n] = s
	}
	return out
}

// Update handles keys and the playground's async results.
func (m *Model) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		m.loaded = true
		if msg.err != nil {
			return m, common.Error(msg.err)
		}
		m.latest, m.sources, m.suites = msg.latest, msg.sources, msg.suites
		if len(m.sources) > 0 {
			m.fill(m.sources[0])
		}
		return m, nil
	case eventsMsg:
		return m, m.onEvents(msg)
	case committedMsg:
		ctx, st, to, name := m.c.Ctx, m.c.Store, m.to(), m.base.Prompt
		return m, func() tea.Msg {
			v, err := st.Lookup(ctx, name+"@latest")
			return rebasedMsg{To: to, v: v, err: err}
		}
	case rebasedMsg:
		if msg.err != nil {
			return m, common.Error(msg.err)
		}
		m.latest = msg.v.Number
		m.setBase(msg.v)
		return m, nil
	case tea.PasteMsg:
		switch m.focus {
		case panePrompt:
			m.area.Insert(msg.Content)
			m.syncVars()
		case paneVars:
			if len(m.inputs) > 0 {
				var cmd tea.Cmd
				m.inputs[m.vcur], cmd = m.inputs[m.vcur].Update(msg)
				return m, cmd
			}
		}
		return m, nil
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if m.ask {
		switch {
		case key.Matches(msg, k.Discard):
			m.ask = false
			m.stop()
			return common.Pop(false)
		case key.Matches(msg, k.Stay):
			m.ask = false
		}
		return nil
	}
	switch {
	case key.Matches(msg, m.c.Keys.Quit) && m.live:
		m.stop()
		return common.Info("stopped: the answers so far are kept on screen")
	case key.Matches(msg, k.Leave):
		if m.live {
			m.stop()
			return common.Info("stopped: the answers so far are kept on screen")
		}
		if m.Edited() {
			m.ask = true
			return nil
		}
		return common.Pop(false)
	case key.Matches(msg, k.Next):
		m.setFocus((m.focus + 1) % 4)
		return nil
	case key.Matches(msg, k.Prev):
		m.setFocus((m.focus + 3) % 4)
		return nil
	case key.Matches(msg, k.Run):
		return m.run()
	case key.Matches(msg, k.Case):
		return m.asCase()
	case key.Matches(msg, k.Commit):
		return m.commit()
	case key.Matches(msg, k.Values):
		if len(m.sources) == 0 {
			return common.Info("no saved values: no test case of this prompt has variables, and nothing was run here yet")
		}
		m.src = (m.src + 1) % len(m.sources)
		m.fill(m.sources[m.src])
		return common.Info("values: " + common.CleanLine(m.sources[m.src].name))
	}
	switch m.focus {
	case paneVars:
		return m.varsKey(msg)
	case paneModels:
		return m.modelsKey(msg)
	case panePrompt:
		return m.promptKey(msg)
	case paneAnswers:
		return m.answersKey(msg)
	}
	return nil
}

func (m *Model) varsKey(msg tea.KeyPressMsg) tea.Cmd {
	if len(m.inputs) == 0 {
		if msg.String() == "enter" {
			return m.run()
		}
		return nil
	}
	switch msg.String() {
	case "up":
		m.vcur = max(m.vcur-1, 0)
		m.focusInput()
		return nil
	case "down":
		m.vcur = min(m.vcur+1, len(m.inputs)-1)
		m.focusInput()
		return nil
	case "enter":
		if m.vcur < len(m.inputs)-1 {
			m.vcur++
			m.focusInput()
			return nil
		}
		return m.run()
	}
	var cmd tea.Cmd
	m.inputs[m.vcur], cmd = m.inputs[m.vcur].Update(msg)
	return cmd
}

func (m *Model) modelsKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(msg, m.c.List.Up):
		m.mcur = max(m.mcur-1, 0)
	case key.Matches(msg, m.c.List.Down):
		m.mcur = min(m.mcur+1, max(len(m.models)-1, 0))
	case key.Matches(msg, k.Pick):
		if m.mcur < len(m.models) {
			mod := m.models[m.mcur]
			m.picked[mod] = !m.picked[mod]
		}
	case msg.String() == "enter":
		return m.run()
	}
	return nil
}

func (m *Model) promptKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	if m.kind == store.KindChat {
		switch {
		case key.Matches(msg, k.NextMsg), key.Matches(msg, k.PrevMsg):
			m.msgs[m.cur].Content = m.area.Value()
			d := 1
			if key.Matches(msg, k.PrevMsg) {
				d = -1
			}
			m.cur = (m.cur + d + len(m.msgs)) % len(m.msgs)
			m.area = inlineedit.NewArea(m.msgs[m.cur].Content)
			m.SetSize(m.w, m.h)
			return nil
		}
	}
	if m.area.Key(msg) {
		m.syncVars()
	}
	return nil
}

func (m *Model) answersKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case msg.String() == "left" || msg.String() == "h":
		m.acur = max(m.acur-1, 0)
	case msg.String() == "right" || msg.String() == "l":
		m.acur = min(m.acur+1, max(len(m.cols)-1, 0))
	case key.Matches(msg, m.c.List.Up):
		m.scroll = max(m.scroll-1, 0)
	case key.Matches(msg, m.c.List.Down):
		m.scroll++
	case key.Matches(msg, m.c.List.PageUp):
		m.scroll = max(m.scroll-m.answerHeight(), 0)
	case key.Matches(msg, m.c.List.PageDown):
		m.scroll += m.answerHeight()
	case key.Matches(msg, m.c.List.Top):
		m.scroll = 0
	case msg.String() == "enter":
		return m.run()
	}
	return nil
}

func (m *Model) setFocus(p pane) {
	m.focus = p
	for i := range m.inputs {
		m.inputs[i].Blur()
	}
	if p == paneVars {
		m.focusInput()
	}
}

func (m *Model) focusInput() {
	for i := range m.inputs {
		if i == m.vcur {
			m.inputs[i].Focus()
		} else {
			m.inputs[i].Blur()
		}
	}
}

// pickedModels are the models to run, in list order.
func (m *Model) pickedModels() []string {
	var out []string
	for _, mod := range m.models {
		if m.picked[mod] {
			out = append(out, mod)
		}
	}
	return out
}

// stop cancels the run in flight; what arrived stays on screen.
func (m *Model) stop() {
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
	m.gen++
	m.live = false
	for _, c := range m.cols {
		if c.state == waiting || c.state == streaming {
			c.state, c.err = failed, "stopped"
		}
	}
}

// run renders the prompt with the values and asks every picked model.
func (m *Model) run() tea.Cmd {
	if m.c.Providers == nil {
		return common.Warn("models are not available in this session")
	}
	models := m.pickedModels()
	if len(models) == 0 {
		return common.Warn("pick a model first: tab to Models, space picks one")
	}
	vars := m.values()
	v := m.current()
	msgs, err := prompt.Render(v, vars)
	if err != nil {
		return common.Error(err)
	}
	m.stop()
	ctx, cancel := context.WithCancel(m.c.Ctx)
	m.cancel, m.live = cancel, true
	gen := m.gen
	m.cols = nil
	var calls []call
	now := m.c.Now()
	for i, mod := range models {
		m.cols = append(m.cols, &column{model: mod, state: waiting, start: now})
		calls = append(calls, call{col: i, model: mod})
	}
	m.acur, m.scroll = min(m.acur, len(m.cols)-1), 0
	r := runner{reg: m.c.Providers, st: m.c.Store, msgs: msgs, cfg: v.Config}
	ch := make(chan event, 256)
	m.ch = ch
	to, path, name := m.to(), m.statePath(), m.base.Prompt
	start := func() tea.Msg {
		r.start(ctx, calls, ch)
		return nil
	}
	save := func() tea.Msg {
		if err := writeLast(path, name, vars); err != nil {
			return common.Warn("could not keep the values for next time: " + err.Error())()
		}
		return nil
	}
	return tea.Batch(start, listen(to, gen, ch), save)
}

// onEvents applies the pieces and ends that arrived.
func (m *Model) onEvents(msg eventsMsg) tea.Cmd {
	if msg.gen != m.gen {
		return nil // a run that was stopped or replaced
	}
	for _, e := range msg.events {
		if e.col >= len(m.cols) {
			continue
		}
		c := m.cols[e.col]
		switch {
		case e.done && e.err != nil:
			c.state, c.err = failed, provider.Describe(e.err)
		case e.done:
			c.state, c.resp, c.cost, c.cached = done, e.resp, e.cost, e.cached
			if c.text.Len() == 0 || e.cached {
				c.text.Reset()
				c.text.WriteString(e.resp.Output)
			}
		default:
			if c.state == waiting {
				c.state = streaming
				c.first = m.c.Now().Sub(c.start)
			}
			c.text.WriteString(e.text)
		}
	}
	if msg.closed {
		m.live, m.cancel = false, nil
		return m.finished()
	}
	return listen(m.to(), m.gen, m.ch)
}

// finished says how the run went.
func (m *Model) finished() tea.Cmd {
	var failedN int
	var firstErr string
	for _, c := range m.cols {
		if c.state == failed {
			failedN++
			if firstErr == "" {
				firstErr = c.model + ": " + c.err
			}
		}
	}
	if failedN > 0 {
		return common.Warn(fmt.Sprintf("%d of %d answers failed: %s", failedN, len(m.cols), firstErr))
	}
	return nil
}

// asCase opens the case form with the values typed here and one
// assertion for what the answer must say.
func (m *Model) asCase() tea.Cmd {
	if m.c.Store.ReadOnly() {
		return common.Error(fmt.Errorf("cannot save a case: %w", store.ErrReadOnly))
	}
	old := &store.Case{Vars: map[string]any{}, Assertions: []store.Assertion{{Type: "icontains"}}}
	for k, v := range m.values() {
		old.Vars[k] = v
	}
	spec := common.CaseFormMsg{Prompt: m.base.Prompt, Vars: m.varNames, Suite: "default", Old: old}
	if su := m.suite(); su != nil {
		spec.SuiteID, spec.Suite = su.ID, su.Name
	}
	return m.c.Flow(spec)
}

// suite is where a new case goes: the suite named default, else the first.
func (m *Model) suite() *store.Suite {
	if len(m.suites) == 0 {
		return nil
	}
	i := slices.IndexFunc(m.suites, func(s store.Suite) bool { return s.Name == "default" })
	return &m.suites[max(i, 0)]
}

// commit commits the prompt as edited here (through the commit dialog,
// with the diff).
func (m *Model) commit() tea.Cmd {
	if m.c.Store.ReadOnly() {
		return common.Error(fmt.Errorf("cannot commit: %w", store.ErrReadOnly))
	}
	if !m.Edited() {
		return common.Info("the prompt is as committed: change it in the Prompt pane (tab), then ctrl+s")
	}
	v := m.current()
	in := store.CommitInput{Name: v.Prompt, Kind: v.Kind, Template: v.Template, Messages: v.Messages, Config: v.Config, Parent: v.Number}
	if err := prompt.Check(v); err != nil {
		return common.Error(err)
	}
	spec := dialog.CommitSpec(m.c, m.base, in, fmt.Sprintf("Commit %s v%d (tried in the playground from v%d)", v.Prompt, m.latest+1, m.base.Number))
	do := spec.Do
	const hint = "esc leaves the playground"
	spec.Do = common.GuardCommit(m.c.Store, do, m.base, m.latest, v.Prompt, false, hint)
	spec.Force = common.GuardCommit(m.c.Store, do, m.base, m.latest, v.Prompt, true, hint)
	spec.ForceHelp = "commit on top anyway"
	spec.Done = committedMsg{To: m.to()}
	return common.Push(dialog.New(m.c, spec))
}
