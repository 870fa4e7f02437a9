// Package inlineedit is the editor inside the TUI, for people who do not
// live in vi: the template (or each chat message) in a multi-line text
// area with {{variables}} highlighted as they are typed, the model and its
// parameters in a small form beside it, a live preview filled with sample
// values, the token count for the model's tokenizer, the diff against the
// starting version one key away, and the commit through the shared commit
// dialog. Unsaved work is never lost: leaving asks, and a draft file is
// kept a moment after each change and on quit, and offered on the next
// open.
package inlineedit

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/pkoukk/tiktoken-go"

	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	"github.com/seed94f0f622/verso/tui/dialog"
)

// Debounce is how long the editor waits after a key before it redraws the
// preview and writes the draft.
const Debounce = 300 * time.Millisecond

type (
	loadedMsg struct {
		common.To
		samples map[string]any
		from    string // where the samples come from ("case refund-request")
		draft   Draft
		has     bool
		err     error
	}
	encoderMsg struct {
		common.To
		name string
		enc  *tiktoken.Tiktoken
		err  error
	}
	tickMsg struct {
		common.To
		gen int
	}
	previewMsg struct {
		common.To
		gen   int
		lines []string
		vars  []string
	}
	draftSavedMsg struct {
		common.To
		gen int
		err error
	}
	committedMsg struct{ common.To }
)

type pane int

const (
	paneMessages pane = iota
	paneText
	paneSettings
	panePreview // narrow layouts only: the preview replaces the text
)

type question int

const (
	askNone  question = iota
	askDraft          // a draft exists: restore or discard
	askLeave          // unsaved changes: discard, keep a draft, or stay
)

// Model is the inline editor screen.
type Model struct {
	c        *common.Common
	id       int
	draftDir string
	base     store.Version // Number 0: a new prompt
	opened   int           // the latest version when the editor opened
	isNew    bool

	kind     store.Kind
	area     Area
	msgs     []store.Message // chat: the messages; msgs[cur] is in area while edited
	cur      int
	start    store.CommitInput // what the edit started as (for "changed" and the diff)
	set      settings
	focus    pane
	keys     keyMap
	ask      question
	draft    Draft
	w, h     int
	samples  map[string]any
	from     string
	preview  []string
	vars     []string // the variables the text uses (as of the last preview)
	loaded   bool
	gen      int // bumps on every change
	savedGen int // the gen last written as a draft
	problem  string

	encName string
	exact   bool
	enc     *tiktoken.Tiktoken
	counter *Counter
	tokens  int
}

// Options are what the editor needs besides Common.
type Options struct {
	DraftDir string // where drafts are kept ("" = none are)
	// Latest is the prompt's latest version number when the editor opens:
	// the commit is a conflict only if someone commits after it, and the
	// new version is numbered from it ("edit from here" on an older one).
	Latest int
}

// nameHint says how this editor changes a new prompt's name.
const nameHint = "esc, then change the name in the settings"

// New opens base in the editor (a zero Base: a new prompt).
func New(c *common.Common, base store.Version, o Options) *Model {
	m := &Model{c: c, id: common.NewID(), draftDir: o.DraftDir, base: base, opened: max(o.Latest, base.Number), isNew: base.Prompt == "", keys: newKeys(), focus: paneText}
	if m.isNew {
		base.Kind = store.KindText
		m.base.Kind = store.KindText
	}
	m.set = newSettings(c, m.isNew, base.Prompt, base.Config)
	m.load(base.Kind, base.Template, base.Messages)
	m.start = m.input()
	m.savedGen = m.gen
	m.setEncoding()
	return m
}

func (m *Model) load(kind store.Kind, template string, msgs []store.Message) {
	m.kind = kind
	if kind == store.KindChat {
		m.msgs = slices.Clone(msgs)
		if len(m.msgs) == 0 {
			m.msgs = []store.Message{{Role: "system"}, {Role: "user"}}
		}
		m.cur = 0
		m.area = NewArea(m.msgs[0].Content)
	} else {
		m.msgs = nil
		m.area = NewArea(template)
	}
	m.area.SetSize(m.areaSize())
}

func (m *Model) to() common.To { return common.To{ID: m.id} }

// ID implements common.Screen.
func (m *Model) ID() int { return m.id }

// Title is the breadcrumb.
func (m *Model) Title() string {
	if m.isNew {
		return "new prompt"
	}
	return fmt.Sprintf("edit %s v%d", m.base.Prompt, m.base.Number)
}

// Capturing: the editor takes text, so q, ? and T are typed.
func (m *Model) Capturing() bool { return true }

// Reload keeps the edit as it is: it never loses typed text.
func (m *Model) Reload() tea.Cmd { return nil }

// draftPath is this edit's draft file ("" when drafts are off).
func (m *Model) draftPath() string {
	if m.draftDir == "" {
		return ""
	}
	return DraftPath(m.draftDir, m.c.Store.Path(), m.base.Prompt)
}

// Init reads the sample values (the first test case of the prompt's
// suites) and any draft, and builds the tokenizer.
func (m *Model) Init() tea.Cmd {
	ctx, st, name, path, to := m.c.Ctx, m.c.Store, m.base.Prompt, m.draftPath(), m.to()
	load := func() tea.Msg {
		msg := loadedMsg{To: to}
		if name != "" {
			suites, err := st.Suites(ctx, name)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				msg.err = err
				return msg
			}
			for _, s := range suites {
				if s.Cases == nil {
					if full, err := st.Suite(ctx, name, s.Name); err == nil {
						s = full
					}
				}
				for _, c := range s.Cases {
					if len(c.Vars) > 0 {
						msg.samples, msg.from = c.Vars, fmt.Sprintf("case %q of suite %s", c.Name, s.Name)
						break
					}
				}
				if msg.samples != nil {
					break
				}
			}
		}
		if path != "" {
			msg.draft, msg.has, msg.err = LoadDraft(path)
		}
		return msg
	}
	return tea.Batch(load, m.loadEncoder())
}

func (m *Model) setEncoding() {
	m.encName, m.exact = EncodingFor(m.set.value("model"))
}

func (m *Model) loadEncoder() tea.Cmd {
	name, to := m.encName, m.to()
	return func() tea.Msg {
		enc, err := LoadEncoding(name)
		return encoderMsg{To: to, name: name, enc: enc, err: err}
	}
}

// SaveDraft writes the unsaved work now (the root calls it when the
// program quits, outside the update loop).
func (m *Model) SaveDraft() error {
	if !m.Changed() || m.draftPath() == "" {
		return nil
	}
	return SaveDraft(m.draftPath(), m.draftOf())
}

func (m *Model) draftOf() Draft {
	in := m.input()
	return Draft{DB: m.c.Store.Path(), Prompt: m.base.Prompt, Base: m.base.Number, Saved: m.c.Now(), Name: in.Name, Kind: in.Kind, Template: in.Template, Messages: in.Messages, Config: in.Config}
}

// input is the edit as a commit.
func (m *Model) input() store.CommitInput {
	in := store.CommitInput{Name: m.base.Prompt, Kind: m.kind, Config: m.set.apply(m.base.Config), Parent: m.base.Number}
	if m.isNew {
		in.Name = m.set.value("name")
	}
	if m.kind == store.KindChat {
		in.Messages = slices.Clone(m.msgs)
		if m.cur < len(in.Messages) {
			in.Messages[m.cur].Content = m.area.Value()
		}
	} else {
		in.Template = m.area.Value()
	}
	return in
}

// Changed reports unsaved changes.
func (m *Model) Changed() bool {
	a, b := m.input(), m.start
	if a.Name != b.Name || a.Kind != b.Kind || a.Template != b.Template || len(a.Messages) != len(b.Messages) {
		return true
	}
	for i := range a.Messages {
		if a.Messages[i] != b.Messages[i] {
			return true
		}
	}
	return !sameConfig(a.Config, b.Config)
}

func sameConfig(a, b store.Config) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// changed is called after every edit: count tokens now (cheap, one line
// re-encoded), redraw the preview and write the draft after a pause.
func (m *Model) changed() tea.Cmd {
	m.gen++
	m.problem = ""
	m.count()
	gen, to := m.gen, m.to()
	return tea.Tick(Debounce, func(time.Time) tea.Msg { return tickMsg{To: to, gen: gen} })
}

func (m *Model) count() {
	if m.counter == nil {
		return
	}
	n := m.counter.Count(m.area.Lines())
	for i, msg := range m.msgs {
		if i != m.cur {
			n += m.counter.Count(strings.Split(msg.Content, "\n"))
		}
	}
	m.tokens = n
}

// Update handles keys and the editor's async results.
func (m *Model) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		m.loaded = true
		m.samples, m.from = msg.samples, msg.from
		var cmds []tea.Cmd
		if msg.err != nil {
			cmds = append(cmds, common.Warn("drafts and samples: "+common.Explain(msg.err)))
		}
		if msg.has && m.differs(msg.draft) {
			m.draft, m.ask = msg.draft, askDraft
		}
		return m, tea.Batch(append(cmds, m.previewCmd())...)
	case encoderMsg:
		if msg.name != m.encName {
			return m, nil // the model changed meanwhile
		}
		if msg.err != nil {
			return m, common.Warn("token count unavailable: " + msg.err.Error())
		}
		m.enc, m.counter = msg.enc, NewCounter(msg.enc)
		m.count()
		return m, nil
	case tickMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		return m, tea.Batch(m.previewCmd(), m.saveDraftCmd())
	case previewMsg:
		if msg.gen == m.gen {
			m.preview, m.vars = msg.lines, msg.vars
		}
		return m, nil
	case draftSavedMsg:
		if msg.err != nil {
			return m, common.Warn("could not keep a draft: " + msg.err.Error())
		}
		m.savedGen = max(m.savedGen, msg.gen)
		return m, nil
	case committedMsg:
		return m, tea.Sequence(m.removeDraftCmd(), common.Pop(true))
	case tea.PasteMsg:
		if m.focus == paneText && m.ask == askNone {
			m.area.Insert(msg.Content)
			return m, m.changed()
		}
		if m.focus == paneSettings {
			return m, tea.Batch(m.set.update(msg), m.settingsChanged())
		}
		return m, nil
	case tea.KeyPressMsg:
		return m, m.key(msg)
	}
	return m, nil
}

// differs reports whether a draft holds something other than the start.
func (m *Model) differs(d Draft) bool {
	s := m.start
	return d.Kind != s.Kind || d.Template != s.Template || fmt.Sprint(d.Messages) != fmt.Sprint(s.Messages) || !sameConfig(d.Config, s.Config) || m.isNew && d.Name != s.Name
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch m.ask {
	case askDraft:
		switch {
		case key.Matches(msg, k.Restore):
			m.ask = askNone
			m.restore(m.draft)
			return tea.Batch(m.changed(), common.Info("draft restored: ctrl+s commits it, ctrl+d shows the diff"))
		case key.Matches(msg, k.Discard):
			m.ask = askNone
			return tea.Batch(m.removeDraftCmd(), common.Info("draft discarded"))
		}
		return nil
	case askLeave:
		switch {
		case key.Matches(msg, k.Stay):
			m.ask = askNone
		case key.Matches(msg, k.DiscardEdit):
			m.ask = askNone
			return tea.Sequence(m.removeDraftCmd(), common.Pop(false), common.Info("changes discarded"))
		case key.Matches(msg, k.KeepDraft):
			m.ask = askNone
			path, d := m.draftPath(), m.draftOf()
			return tea.Sequence(func() tea.Msg {
				if path == "" {
					return nil
				}
				if err := SaveDraft(path, d); err != nil {
					return common.StatusMsg{Kind: common.StatusError, Text: "could not keep a draft: " + err.Error()}
				}
				return nil
			}, common.Pop(false), common.Info("draft kept: edit the prompt again to restore it"))
		}
		return nil
	}
	switch {
	case key.Matches(msg, k.Leave):
		if m.Changed() {
			m.ask = askLeave
			return nil
		}
		return tea.Sequence(m.removeDraftCmd(), common.Pop(false))
	case key.Matches(msg, k.Commit):
		return m.commit()
	case key.Matches(msg, k.Diff):
		return m.diff()
	case key.Matches(msg, k.Next):
		return m.cycle(1)
	case key.Matches(msg, k.Prev):
		return m.cycle(-1)
	case key.Matches(msg, k.Kind):
		return m.toggleKind()
	}
	switch m.focus {
	case paneText:
		return m.textKey(msg)
	case paneSettings:
		switch msg.String() {
		case "up":
			return m.set.move(-1)
		case "down", "enter":
			return m.set.move(1)
		}
		return tea.Batch(m.set.update(msg), m.settingsChanged())
	case paneMessages:
		return m.messagesKey(msg)
	}
	return nil
}

func (m *Model) settingsChanged() tea.Cmd {
	enc := m.encName
	m.setEncoding()
	cmd := m.changed()
	if m.encName != enc {
		m.counter, m.tokens = nil, 0
		return tea.Batch(cmd, m.loadEncoder())
	}
	return cmd
}

func (m *Model) textKey(msg tea.KeyPressMsg) tea.Cmd {
	if m.area.Key(msg) {
		return m.changed()
	}
	return nil
}

var roles = []string{"system", "user", "assistant", "developer", "tool"}

func (m *Model) messagesKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	m.msgs[m.cur].Content = m.area.Value()
	switch {
	case key.Matches(msg, k.Up):
		m.selectMsg(m.cur - 1)
		return nil
	case key.Matches(msg, k.Down):
		m.selectMsg(m.cur + 1)
		return nil
	case key.Matches(msg, k.Edit):
		m.focus = paneText
		return nil
	case key.Matches(msg, k.Add):
		role := "user"
		if m.msgs[m.cur].Role == "user" {
			role = "assistant"
		}
		m.msgs = slices.Insert(m.msgs, m.cur+1, store.Message{Role: role})
		m.selectMsg(m.cur + 1)
		m.focus = paneText
		return m.changed()
	case key.Matches(msg, k.Remove):
		if len(m.msgs) == 1 {
			return common.Warn("a chat prompt keeps at least one message")
		}
		m.msgs = slices.Delete(m.msgs, m.cur, m.cur+1)
		m.cur = min(m.cur, len(m.msgs)-1)
		m.area = NewArea(m.msgs[m.cur].Content)
		m.area.SetSize(m.areaSize())
		return m.changed()
	case key.Matches(msg, k.MoveUp):
		if m.cur > 0 {
			m.msgs[m.cur], m.msgs[m.cur-1] = m.msgs[m.cur-1], m.msgs[m.cur]
			m.cur--
			return m.changed()
		}
	case key.Matches(msg, k.MoveDown):
		if m.cur+1 < len(m.msgs) {
			m.msgs[m.cur], m.msgs[m.cur+1] = m.msgs[m.cur+1], m.msgs[m.cur]
			m.cur++
			return m.changed()
		}
	case key.Matches(msg, k.Role):
		i := slices.Index(roles, m.msgs[m.cur].Role)
		m.msgs[m.cur].Role = roles[(i+1)%len(roles)]
		return m.changed()
	}
	return nil
}

func (m *Model) selectMsg(i int) {
	if i < 0 || i >= len(m.msgs) || i == m.cur {
		return
	}
	m.msgs[m.cur].Content = m.area.Value()
	m.cur = i
	m.area = NewArea(m.msgs[i].Content)
	m.area.SetSize(m.areaSize())
}

func (m *Model) panes() []pane {
	var ps []pane
	if m.kind == store.KindChat {
		ps = append(ps, paneMessages)
	}
	ps = append(ps, paneText, paneSettings)
	if !m.wide() {
		ps = append(ps, panePreview)
	}
	return ps
}

func (m *Model) cycle(d int) tea.Cmd {
	ps := m.panes()
	i := max(slices.Index(ps, m.focus), 0)
	m.focus = ps[(i+d+len(ps))%len(ps)]
	if m.focus == paneMessages {
		m.msgs[m.cur].Content = m.area.Value()
	}
	return m.set.focus(m.focus == paneSettings)
}

func (m *Model) toggleKind() tea.Cmd {
	in := m.input()
	if in.Kind == store.KindChat {
		if len(in.Messages) > 1 {
			return common.Warn("only a chat prompt with one message turns into a text prompt: remove the others first")
		}
		m.load(store.KindText, in.Messages[0].Content, nil)
	} else {
		m.load(store.KindChat, "", []store.Message{{Role: "user", Content: in.Template}})
	}
	if m.focus == paneMessages {
		m.focus = paneText
	}
	return tea.Batch(m.changed(), common.Info("the prompt is now "+string(m.kind)))
}

func (m *Model) restore(d Draft) {
	m.load(d.Kind, d.Template, d.Messages)
	for i := range m.set.fields {
		f := &m.set.fields[i]
		switch f.key {
		case "name":
			f.in.SetValue(d.Name)
		case "model":
			f.in.SetValue(d.Config.Model)
		case "temperature":
			f.in.SetValue(fmtFloat(d.Config.Temperature))
		case "max_tokens":
			f.in.SetValue(fmtInt(d.Config.MaxTokens))
		case "top_p":
			f.in.SetValue(fmtFloat(d.Config.TopP))
		}
	}
	m.setEncoding()
}

func (m *Model) saveDraftCmd() tea.Cmd {
	path := m.draftPath()
	if path == "" || m.gen == m.savedGen {
		return nil
	}
	gen, to := m.gen, m.to()
	if !m.Changed() {
		return func() tea.Msg { return draftSavedMsg{To: to, gen: gen, err: RemoveDraft(path)} }
	}
	d := m.draftOf()
	return func() tea.Msg { return draftSavedMsg{To: to, gen: gen, err: SaveDraft(path, d)} }
}

func (m *Model) removeDraftCmd() tea.Cmd {
	path := m.draftPath()
	if path == "" {
		return nil
	}
	return func() tea.Msg {
		_ = RemoveDraft(path)
		return nil
	}
}

// next is the version the edit would commit (for the diff).
func (m *Model) next(in store.CommitInput) store.Version {
	return store.Version{Prompt: in.Name, Number: m.opened + 1, Kind: in.Kind, Template: in.Template, Messages: in.Messages, Config: in.Config}
}

func (m *Model) diff() tea.Cmd {
	in := m.input()
	spec := common.VersionDiff(m.c, m.base, m.next(in))
	spec.RightTitle = "your edit (not committed)"
	spec.Header = []string{"+ your edit, not committed yet (ctrl+s commits it)"}
	if !m.isNew {
		spec.Header = append([]string{"- " + common.VersionLine(m.c, m.base)}, spec.Header...)
	}
	if m.isNew {
		spec.Title = "new prompt " + in.Name
	}
	return func() tea.Msg { return common.OpenDiffMsg{Spec: spec} }
}

// check returns what stops a commit, or "".
func (m *Model) check(in store.CommitInput) string {
	if ps := m.set.Problems(); len(ps) > 0 {
		return ps[0]
	}
	if in.Kind == store.KindChat {
		for i, msg := range in.Messages {
			if strings.TrimSpace(msg.Content) == "" {
				return fmt.Sprintf("message %d (%s) is empty: write it, or remove it (tab to the messages, x)", i+1, msg.Role)
			}
		}
	} else if strings.TrimSpace(in.Template) == "" {
		return "the template is empty: write it, or esc to leave"
	}
	if err := prompt.Check(m.next(in)); err != nil {
		return common.Explain(err)
	}
	return ""
}

func (m *Model) commit() tea.Cmd {
	if m.c.Store.ReadOnly() {
		return common.Error(fmt.Errorf("cannot commit: %w", store.ErrReadOnly))
	}
	if !m.Changed() {
		return common.Info("no change: nothing to commit")
	}
	in := m.input()
	if p := m.check(in); p != "" {
		m.problem = p
		return common.Error(errors.New(p))
	}
	title := "Commit " + in.Name
	if !m.isNew {
		title = fmt.Sprintf("Commit %s v%d (edited from v%d)", in.Name, m.opened+1, m.base.Number)
	}
	spec := dialog.CommitSpec(m.c, m.base, in, title)
	do := spec.Do
	spec.Do = common.GuardCommit(m.c.Store, do, m.base, m.opened, in.Name, false, nameHint)
	spec.Force = common.GuardCommit(m.c.Store, do, m.base, m.opened, in.Name, true, nameHint)
	spec.ForceHelp = "commit on top anyway"
	spec.Done = committedMsg{To: m.to()}
	return common.Push(dialog.New(m.c, spec))
}

// previewCmd renders the edit with the sample values (missing ones shown
// as ‹name›), off the update loop.
func (m *Model) previewCmd() tea.Cmd {
	in := m.input()
	v := m.next(in)
	samples := m.samples
	w := m.previewWidth()
	c, gen, to := m.c, m.gen, m.to()
	return func() tea.Msg {
		names := prompt.Variables(v)
		vars := map[string]any{}
		for k, val := range samples {
			vars[k] = val
		}
		for _, n := range names {
			if _, ok := lookup(vars, n); !ok {
				vars[n] = "‹" + n + "›"
			}
		}
		msgs, err := prompt.Render(v, vars)
		if err != nil {
			return previewMsg{To: to, gen: gen, vars: names, lines: []string{c.Styles.Error.Render(common.Trunc(common.CleanLine(common.Explain(err)), w))}}
		}
		var lines []string
		for i, msg := range msgs {
			if in.Kind == store.KindChat {
				if i > 0 {
					lines = append(lines, "")
				}
				lines = append(lines, c.Styles.Role(msg.Role).Render(" "+msg.Role+" "))
			}
			lines = append(lines, strings.Split(c.Markdown(msg.Content, w), "\n")...)
		}
		return previewMsg{To: to, gen: gen, lines: lines, vars: names}
	}
}

// lookup finds a dotted name in vars the way templates read it.
func lookup(vars map[string]any, name string) (any, bool) {
	if v, ok := vars[name]; ok {
		return v, true
	}
	head, rest, found := strings.Cut(name, ".")
	if !found {
		return nil, false
	}
	sub, ok := vars[head].(map[string]any)
	if !ok {
		return nil, false
	}
	return lookup(sub, rest)
}

// Value is the text being edited (the template, or the current message).
func (m *Model) Value() string { return m.area.Value() }
