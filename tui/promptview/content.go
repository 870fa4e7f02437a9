package promptview

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

type contentKeys struct {
	Down, Up, PageDown, PageUp, Top, Bottom key.Binding
	Raw, Older, Newer, Edit, Promote, Diff  key.Binding
	Try                                     key.Binding
}

func newContentKeys(list common.ListKeys) contentKeys {
	return contentKeys{
		Down:     common.Described(list.Down, "scroll"),
		Up:       common.Described(list.Up, "scroll"),
		PageDown: common.Also(list.PageDown, "space"),
		PageUp:   list.PageUp,
		Top:      list.Top,
		Bottom:   list.Bottom,
		Raw:      key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "raw/rendered")),
		Older:    key.NewBinding(key.WithKeys("["), key.WithHelp("[", "older version")),
		Newer:    key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "newer version")),
		Edit:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit")),
		Promote:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "promote")),
		Diff:     key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "diff with parent")),
		Try:      common.TryKey(),
	}
}

// content shows one version: labels, variables, config, and the template
// rendered as markdown or raw.
type content struct {
	c    *common.Common
	id   int
	name string
	want int // version asked for; 0 = latest
	// pending is the version [ or ] asked for and not shown yet: the next
	// press steps from it, so quick presses lose no step.
	pending int
	v       store.Version
	latest  int
	err     error
	loading bool
	raw     bool
	offset  int
	keys    contentKeys
	width   int
	height  int

	// lines cached by what they depend on
	lines    []string
	linesKey string
}

type contentMsg struct {
	common.To
	v   store.Version
	err error
}

type versionPicked struct {
	common.To
	v   store.Version
	err error
}

func newContent(c *common.Common, name string, version int) *content {
	return &content{c: c, id: common.NewID(), name: name, want: version, keys: newContentKeys(c.List)}
}

func (t *content) ID() int         { return t.id }
func (t *content) Name() string    { return "Content" }
func (t *content) Capturing() bool { return false }
func (t *content) Init() tea.Cmd   { return t.load() }
func (t *content) Reload() tea.Cmd { return t.load() }

func (t *content) load() tea.Cmd {
	t.loading = true
	ctx, st, to, name, want := t.c.Ctx, t.c.Store, common.To{ID: t.id}, t.name, t.want
	return func() tea.Msg {
		ref := name + "@latest"
		if want > 0 {
			ref = fmt.Sprintf("%s@%d", name, want)
		}
		v, err := st.Lookup(ctx, ref)
		return contentMsg{To: to, v: v, err: err}
	}
}

func (t *content) Update(msg tea.Msg) (common.Tab, tea.Cmd) {
	switch msg := msg.(type) {
	case newestMsg:
		if t.pending == msg.n {
			// Past the newest: show the newest.
			t.pending, t.want = 0, 0
			return t, tea.Batch(t.load(), common.Info("this is the newest version"))
		}
		return t, nil
	case contentMsg:
		if t.pending > 0 && msg.err == nil && msg.v.Number != t.pending {
			return t, nil // a step the user has already gone past
		}
		t.pending = 0
		t.loading = false
		t.err = msg.err
		if msg.err == nil {
			if msg.v.Number != t.v.Number {
				t.offset = 0
			}
			t.v = msg.v
			if t.want == 0 || msg.v.Number > t.latest {
				t.latest = max(t.latest, msg.v.Number)
			}
		}
		return t, nil
	case viewVersionMsg:
		t.want = msg.version
		return t, t.load()
	case tea.KeyPressMsg:
		body := t.bodyHeight()
		switch {
		case key.Matches(msg, t.keys.Down):
			t.scroll(1)
		case key.Matches(msg, t.keys.Up):
			t.scroll(-1)
		case key.Matches(msg, t.keys.PageDown):
			t.scroll(body)
		case key.Matches(msg, t.keys.PageUp):
			t.scroll(-body)
		case key.Matches(msg, t.keys.Top):
			t.offset = 0
		case key.Matches(msg, t.keys.Bottom):
			t.scroll(1 << 20)
		case key.Matches(msg, t.keys.Raw):
			t.raw = !t.raw
		case key.Matches(msg, t.keys.Older):
			return t, t.step(-1)
		case key.Matches(msg, t.keys.Newer):
			return t, t.step(1)
		case t.v.Number == 0:
			return t, nil
		case key.Matches(msg, t.keys.Edit), key.Matches(msg, t.c.OtherEditorKey()):
			base, other := t.v, msg.String() == "E"
			return t, t.c.Flow(common.EditMsg{Base: base, Other: other})
		case key.Matches(msg, t.keys.Promote):
			name, n := t.name, t.v.Number
			return t, t.c.Flow(common.PromoteMsg{Prompt: name, Version: n})
		case key.Matches(msg, t.keys.Diff):
			return t, diffWithParent(t.c, t.v)
		case key.Matches(msg, t.keys.Try):
			return t, t.c.Flow(common.PlaygroundMsg{Version: t.v})
		}
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelDown:
			t.scroll(3)
		case tea.MouseWheelUp:
			t.scroll(-3)
		}
	}
	return t, nil
}

// newestMsg: version n, asked with ], does not exist.
type newestMsg struct {
	common.To
	n int
}

// step shows the version d steps from the one shown, or from the one the
// last [ or ] asked for while it loads.
func (t *content) step(d int) tea.Cmd {
	from := t.v.Number
	if t.pending > 0 {
		from = t.pending
	}
	n := from + d
	if n < 1 || from == 0 {
		return common.Info("this is the first version")
	}
	t.pending, t.want = n, n
	if d < 0 {
		return t.load()
	}
	ctx, st, to, name := t.c.Ctx, t.c.Store, common.To{ID: t.id}, t.name
	return func() tea.Msg {
		v, err := st.Lookup(ctx, fmt.Sprintf("%s@%d", name, n))
		if err != nil {
			return newestMsg{To: to, n: n}
		}
		return contentMsg{To: to, v: v}
	}
}

// diffWithParent opens the diff of v against its parent: the version it
// was edited from (a restore "v8 (from v5)" compares v5 with v8), or the
// version before it when none is recorded.
func diffWithParent(c *common.Common, v store.Version) tea.Cmd {
	if v.Number <= 1 {
		return common.Info("v1 has no previous version to compare with")
	}
	parent := v.Parent
	if parent <= 0 || parent >= v.Number {
		parent = v.Number - 1
	}
	ctx := c.Ctx
	return func() tea.Msg {
		prev, err := c.Store.Lookup(ctx, fmt.Sprintf("%s@%d", v.Prompt, parent))
		if err != nil {
			return common.StatusMsg{Kind: common.StatusError, Text: common.Explain(err)}
		}
		return common.OpenDiffMsg{Spec: common.VersionDiff(c, prev, v)}
	}
}

// bodyHeight is the text's rows: the pane less the mode line.
func (t *content) bodyHeight() int {
	if t.height > 2 {
		return t.height - 1
	}
	return max(t.height, 1)
}

func (t *content) scroll(n int) {
	t.offset = max(0, min(t.offset+n, len(t.render())-t.bodyHeight()))
}

func (t *content) SetSize(w, h int) { t.width, t.height = w, h }

// render returns the version's lines at the current width, cached.
func (t *content) render() []string {
	k := fmt.Sprintf("%d/%d/%v/%s/%s", t.v.Number, t.width, t.raw, t.c.Theme.Name, t.v.Hash)
	if k != t.linesKey {
		t.lines = common.VersionLines(t.c, t.v, max(t.width-2, 10), t.raw)
		t.linesKey = k
	}
	return t.lines
}

func (t *content) View() string {
	st := t.c.Styles
	switch {
	case t.err != nil:
		return common.Box([]string{st.Error.Render(common.Explain(t.err))}, t.width, t.height)
	case t.v.Number == 0:
		return common.Box([]string{st.Muted.Render("loading…")}, t.width, t.height)
	}
	lines := t.render()
	t.offset = max(0, min(t.offset, len(lines)-t.bodyHeight()))
	view := lines[t.offset:]
	out := make([]string, 0, t.height)
	for _, l := range view {
		out = append(out, " "+l)
	}
	if t.height > 2 {
		// The last line always says how the text is shown (v switches), and
		// where the view is when the text is longer than the pane.
		out = out[:min(len(out), t.bodyHeight())]
		for len(out) < t.bodyHeight() {
			out = append(out, "")
		}
		mode := "rendered (markdown styled, line breaks as sent) · wrapped"
		if t.raw {
			mode = "raw (exactly as sent) · wrapped"
		}
		if len(lines) > t.bodyHeight() {
			pct := 100 * (t.offset + t.bodyHeight()) / len(lines)
			mode = fmt.Sprintf("%d%% · %s", min(pct, 100), mode)
		}
		out = append(out, st.Muted.Render(common.Trunc(" "+mode, t.width)))
	}
	return common.Box(out, t.width, t.height)
}

func (t *content) ShortHelp() []key.Binding {
	return []key.Binding{t.keys.Edit, t.keys.Try, t.keys.Promote, t.keys.Diff, t.keys.Raw, t.keys.Older, t.keys.Newer}
}

func (t *content) FullHelp() [][]key.Binding {
	k := t.keys
	return [][]key.Binding{{k.Down, k.Up, k.PageDown, k.PageUp, k.Top, k.Bottom}, {k.Raw, k.Older, k.Newer, k.Edit, t.c.OtherEditorKey(), k.Try, k.Promote, k.Diff}}
}
