package promptview

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/chart"
	"github.com/seed94f0f622/verso/tui/common"
)

type historyKeys struct {
	common.ListKeys
	Mark, Diff, View, Edit, Restore, Prom, Try key.Binding
}

func newHistoryKeys(list common.ListKeys) historyKeys {
	list.Top = common.Described(list.Top, "newest")
	list.Bottom = common.Described(list.Bottom, "oldest")
	return historyKeys{
		ListKeys: list,
		Mark:     key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "mark")),
		Diff:     key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "diff")),
		View:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "view")),
		Edit:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit from here")),
		Restore:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "restore as latest")),
		Prom:     key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "promote")),
		Try:      common.TryKey(),
	}
}

// history lists every version, newest first; two can be marked for a diff.
type history struct {
	c        *common.Common
	id       int
	name     string
	versions []store.Version
	cursor   int
	offset   int
	marked   []int // version numbers, in marking order (at most two)
	err      error
	loaded   bool
	keys     historyKeys
	width    int
	height   int
	// trends are each version's pass rates over its runs, oldest first.
	trends map[int][]float64
}

type historyMsg struct {
	common.To
	versions []store.Version
	trends   map[int][]float64
	err      error
}

// trendW is the width of the pass-rate sparkline column.
const trendW = 8

func newHistory(c *common.Common, name string) *history {
	return &history{c: c, id: common.NewID(), name: name, keys: newHistoryKeys(c.List)}
}

func (t *history) ID() int         { return t.id }
func (t *history) Name() string    { return "History" }
func (t *history) Capturing() bool { return false }
func (t *history) Init() tea.Cmd   { return t.load() }
func (t *history) Reload() tea.Cmd { return t.load() }

func (t *history) load() tea.Cmd {
	ctx, st, to, name := t.c.Ctx, t.c.Store, common.To{ID: t.id}, t.name
	return func() tea.Msg {
		vs, err := st.History(ctx, name)
		if err != nil {
			return historyMsg{To: to, err: err}
		}
		runs, err := st.Runs(ctx, name)
		return historyMsg{To: to, versions: vs, trends: common.PassTrends(runs), err: err}
	}
}

func (t *history) selected() (store.Version, bool) {
	if t.cursor < 0 || t.cursor >= len(t.versions) {
		return store.Version{}, false
	}
	return t.versions[t.cursor], true
}

func (t *history) Update(msg tea.Msg) (common.Tab, tea.Cmd) {
	switch msg := msg.(type) {
	case historyMsg:
		t.err = msg.err
		if msg.err != nil {
			return t, common.Error(msg.err)
		}
		cur, _ := t.selected()
		vs := msg.versions
		sort.Slice(vs, func(i, j int) bool { return vs[i].Number > vs[j].Number })
		t.versions = vs
		t.trends = msg.trends
		t.loaded = true
		t.cursor = 0
		for i, v := range vs {
			if v.Number == cur.Number {
				t.cursor = i
			}
		}
		t.clamp()
		return t, nil
	case tea.KeyPressMsg:
		return t, t.key(msg)
	case tea.MouseClickMsg:
		if i := t.offset + msg.Y - 1; msg.Button == tea.MouseLeft && i >= 0 && i < len(t.versions) {
			if i == t.cursor {
				return t, t.view()
			}
			t.cursor = i
		}
	case tea.MouseWheelMsg:
		if msg.Button == tea.MouseWheelDown {
			t.move(3)
		} else if msg.Button == tea.MouseWheelUp {
			t.move(-3)
		}
	}
	return t, nil
}

// HandlesEsc: esc clears the marks before it goes back.
func (t *history) HandlesEsc() bool { return len(t.marked) > 0 }

func (t *history) key(msg tea.KeyPressMsg) tea.Cmd {
	if msg.String() == "esc" && len(t.marked) > 0 {
		t.marked = nil
		return common.Info("marks cleared")
	}
	if c, ok := t.keys.Move(msg, t.cursor, len(t.versions), t.rows()); ok {
		t.cursor = c
		t.clamp()
		return nil
	}
	switch {
	case key.Matches(msg, t.keys.Mark):
		// space marks and stays, as on every screen.
		if v, ok := t.selected(); ok {
			t.toggle(v.Number)
		}
	case key.Matches(msg, t.keys.Diff):
		return t.diff()
	case key.Matches(msg, t.keys.View):
		return t.view()
	case key.Matches(msg, t.keys.Edit), key.Matches(msg, t.c.OtherEditorKey()):
		if v, ok := t.selected(); ok {
			other := msg.String() == "E"
			return t.c.Flow(common.EditMsg{Base: v, Other: other})
		}
	case key.Matches(msg, t.keys.Try):
		if v, ok := t.selected(); ok {
			return t.c.Flow(common.PlaygroundMsg{Version: v})
		}
	case key.Matches(msg, t.keys.Restore):
		v, ok := t.selected()
		if !ok {
			return nil
		}
		if v.Number == t.versions[0].Number {
			return common.Info(fmt.Sprintf("v%d is already the latest version", v.Number))
		}
		return t.c.Flow(common.EditMsg{Base: v, Restore: true})
	case key.Matches(msg, t.keys.Prom):
		if v, ok := t.selected(); ok {
			name := t.name
			return t.c.Flow(common.PromoteMsg{Prompt: name, Version: v.Number})
		}
	}
	return nil
}

func (t *history) view() tea.Cmd {
	v, ok := t.selected()
	if !ok {
		return nil
	}
	return func() tea.Msg { return viewVersionMsg{version: v.Number} }
}

func (t *history) toggle(n int) {
	for i, m := range t.marked {
		if m == n {
			t.marked = append(t.marked[:i], t.marked[i+1:]...)
			return
		}
	}
	t.marked = append(t.marked, n)
	if len(t.marked) > 2 {
		t.marked = t.marked[len(t.marked)-2:]
	}
}

func (t *history) isMarked(n int) bool {
	for _, m := range t.marked {
		if m == n {
			return true
		}
	}
	return false
}

// diff compares the two marked versions, or the marked one with the
// cursor, or the cursor with its parent.
func (t *history) diff() tea.Cmd {
	cur, ok := t.selected()
	if !ok {
		return nil
	}
	var a, b int
	switch {
	case len(t.marked) == 2:
		a, b = t.marked[0], t.marked[1]
	case len(t.marked) == 1 && t.marked[0] != cur.Number:
		a, b = t.marked[0], cur.Number
	case len(t.marked) == 1:
		return common.Info("mark a second version with space, or move the cursor to another one")
	default:
		return diffWithParent(t.c, cur)
	}
	a, b = min(a, b), max(a, b)
	spec := common.VersionDiff(t.c, t.byNumber(a), t.byNumber(b))
	t.marked = nil
	return func() tea.Msg { return common.OpenDiffMsg{Spec: spec} }
}

func (t *history) byNumber(n int) store.Version {
	for _, v := range t.versions {
		if v.Number == n {
			return v
		}
	}
	return store.Version{}
}

func (t *history) move(n int) {
	t.cursor = max(0, min(t.cursor+n, len(t.versions)-1))
	t.clamp()
}

func (t *history) rows() int { return max(t.height-1, 1) }

func (t *history) clamp() {
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if t.cursor >= t.offset+t.rows() {
		t.offset = t.cursor - t.rows() + 1
	}
	t.offset = max(0, min(t.offset, len(t.versions)-t.rows()))
}

func (t *history) SetSize(w, h int) { t.width, t.height = w, h; t.clamp() }

func (t *history) View() string {
	st := t.c.Styles
	if t.err != nil {
		return common.Box([]string{st.Error.Render(common.Explain(t.err))}, t.width, t.height)
	}
	if !t.loaded {
		return common.Box([]string{st.Muted.Render("loading…")}, t.width, t.height)
	}
	hint := plural(len(t.versions), "version")
	if len(t.versions) > 0 {
		hint += fmt.Sprintf(" · row %d of %d", t.cursor+1, len(t.versions))
		if len(t.versions) > t.rows() {
			hint += fmt.Sprintf(" (%d%%)", min(100, (t.offset+t.rows())*100/len(t.versions)))
		}
	}
	if len(t.trends) > 0 {
		hint += " · pass rate over runs ▁ 0% … █ 100%"
	}
	if len(t.marked) > 0 {
		hint += fmt.Sprintf(" · marked %s · d diffs", joinNums(t.marked))
	}
	lines := []string{st.Muted.Render(hint)}
	end := min(t.offset+t.rows(), len(t.versions))
	for i := t.offset; i < end; i++ {
		lines = append(lines, t.row(t.versions[i], i == t.cursor))
	}
	return common.Box(lines, t.width, t.height)
}

// labelWidth is the labels column: the widest labels of all versions,
// within limits, so that messages line up.
func (t *history) labelWidth() int {
	w := 0
	for _, v := range t.versions {
		w = max(w, ansi.StringWidth(t.badges(v)))
	}
	return min(w, max(t.width/4, 0))
}

func (t *history) badges(v store.Version) string {
	var badges []string
	for _, l := range v.Labels {
		badges = append(badges, t.c.Styles.Badge(l).Render(common.CleanLine(l)))
	}
	return strings.Join(badges, " ")
}

func (t *history) row(v store.Version, selected bool) string {
	st := t.c.Styles
	cursor := "  "
	if selected {
		cursor = st.List.Cursor.Render("› ")
	}
	mark := "  "
	if t.isMarked(v.Number) {
		mark = st.List.Marked.Render("● ")
	}
	num := fmt.Sprintf("v%-3d", v.Number)
	trend := ""
	if len(t.trends) > 0 {
		trend = common.Fit(chart.Sparkline(t.trends[v.Number], trendW), trendW) + " "
	}
	labelW := t.labelWidth()
	labels := ""
	if labelW > 0 {
		labels = common.Fit(t.badges(v), labelW) + " "
	}
	meta := common.CleanLine(v.Author) + " · " + common.Ago(v.CreatedAt, t.c.Now())
	metaW := min(ansi.StringWidth(meta), max(t.width/3, 10))
	msg := common.CleanLine(v.Message)
	if v.Parent > 0 && v.Parent != v.Number-1 {
		msg += fmt.Sprintf(" (from v%d)", v.Parent)
	}
	fixed := 4 + ansi.StringWidth(num) + 1 + ansi.StringWidth(trend) + ansi.StringWidth(labels)
	msgW := t.width - fixed - metaW - 2
	if selected {
		// The whole row carries the selection.
		rest := num + " " + trend + ansi.Strip(labels)
		if msgW >= 4 {
			rest += common.Fit(msg, msgW) + "  " + common.Fit(meta, metaW)
		} else {
			rest += msg
		}
		return cursor + mark + st.List.Selected.Render(common.Fit(rest, max(t.width-4, 0)))
	}
	left := cursor + mark + st.Text.Render(num) + " " + st.Accent.Render(trend) + labels
	if msgW < 4 {
		return common.Fit(left+msg, t.width)
	}
	return left + common.Fit(msg, msgW) + "  " + st.List.Meta.Render(common.Fit(meta, metaW))
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func joinNums(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprintf("v%d", n)
	}
	return strings.Join(s, ", ")
}

func (t *history) ShortHelp() []key.Binding {
	k := t.keys
	return []key.Binding{k.Mark, k.Diff, k.View, k.Edit, k.Try, k.Restore, k.Prom}
}

func (t *history) FullHelp() [][]key.Binding {
	k := t.keys
	return [][]key.Binding{k.Bindings(), {k.Mark, k.Diff, k.View, k.Edit, t.c.OtherEditorKey(), k.Try, k.Restore, k.Prom}}
}
