package promptview

import (
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

type labelKeys struct {
	Down, Up, Rollback, View, Rollout key.Binding
	New, Move, Remove, OpenRun        key.Binding
	Accept, Cancel                    key.Binding
}

func newLabelKeys(list common.ListKeys) labelKeys {
	return labelKeys{
		Down:     list.Down,
		Up:       list.Up,
		Rollback: key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "roll back")),
		View:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "view version")),
		Rollout:  key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "rollout")),
		New:      key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new label")),
		Move:     key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "move")),
		Remove:   key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "remove")),
		OpenRun:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open the run behind the move")),
		Accept:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next")),
		Cancel:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// labels shows every label's current version and the full append-only
// history of moves (who, when, from, to, why, the evidence).
type labels struct {
	c       *common.Common
	id      int
	name    string
	current []store.Label
	events  []store.LabelEvent // newest first
	// rollouts is each label's newest rollout (live or not).
	rollouts map[string]store.Rollout
	latest   int // the prompt's newest version
	// cursor runs over the labels, then the history's moves.
	cursor int
	scroll int // history lines scrolled
	// ask is the question being typed: a new label's name, then its
	// version, or the version a label moves to.
	ask      askStep
	askLabel string
	input    textinput.Model
	theme    string // the theme the input was styled with
	err      error
	loaded   bool
	keys     labelKeys
	width    int
	height   int
}

type labelsMsg struct {
	common.To
	current  []store.Label
	events   []store.LabelEvent
	rollouts map[string]store.Rollout
	latest   int
	err      error
}

// askStep is what the Labels tab is asking.
type askStep int

const (
	askNone    askStep = iota
	askName            // a new label's name
	askVersion         // the version askLabel goes to
)

func newLabels(c *common.Common, name string) *labels {
	return &labels{c: c, id: common.NewID(), name: name, keys: newLabelKeys(c.List)}
}

func (t *labels) ID() int         { return t.id }
func (t *labels) Name() string    { return "Labels" }
func (t *labels) Capturing() bool { return t.ask != askNone }
func (t *labels) Init() tea.Cmd   { return t.load() }
func (t *labels) Reload() tea.Cmd { return t.load() }

func (t *labels) load() tea.Cmd {
	ctx, st, to, name := t.c.Ctx, t.c.Store, common.To{ID: t.id}, t.name
	return func() tea.Msg {
		cur, err := st.Labels(ctx, name)
		if err != nil {
			return labelsMsg{To: to, err: err}
		}
		evs, err := st.LabelHistory(ctx, name)
		if err != nil {
			return labelsMsg{To: to, err: err}
		}
		latest, err := st.Lookup(ctx, name+"@latest")
		if err != nil {
			return labelsMsg{To: to, err: err}
		}
		rs, err := st.Rollouts(ctx, name)
		newest := map[string]store.Rollout{}
		for _, r := range rs { // newest first
			if _, ok := newest[r.Label]; !ok {
				newest[r.Label] = r
			}
		}
		return labelsMsg{To: to, current: cur, events: evs, rollouts: newest, latest: latest.Number, err: err}
	}
}

func (t *labels) Update(msg tea.Msg) (common.Tab, tea.Cmd) {
	switch msg := msg.(type) {
	case labelsMsg:
		t.err = msg.err
		if msg.err != nil {
			return t, common.Error(msg.err)
		}
		sel := t.selected()
		onLabel, oldCursor := t.loaded && sel != "", t.cursor
		var selMove int64
		if e := t.selectedMove(); e != nil {
			selMove = e.ID
		}
		t.latest = msg.latest
		t.current = msg.current
		t.events = msg.events
		t.rollouts = msg.rollouts
		// newest first
		for i, j := 0, len(t.events)-1; i < j; i, j = i+1, j-1 {
			t.events[i], t.events[j] = t.events[j], t.events[i]
		}
		if len(t.events) > 1 && t.events[0].ID < t.events[len(t.events)-1].ID {
			for i, j := 0, len(t.events)-1; i < j; i, j = i+1, j-1 {
				t.events[i], t.events[j] = t.events[j], t.events[i]
			}
		}
		// The cursor stays on the label it was on; the first time it opens
		// on production (what a rollback is most often about).
		if !t.loaded {
			sel = "production"
		}
		t.loaded = true
		// A label gone (removed here or elsewhere): the row where it was.
		t.cursor = 0
		if onLabel {
			t.cursor = max(min(oldCursor, len(t.current)-1), 0)
		}
		for i, l := range t.current {
			if l.Name == sel {
				t.cursor = i
			}
		}
		for i, e := range t.events {
			if selMove != 0 && e.ID == selMove {
				t.cursor = len(t.current) + i
			}
		}
		return t, nil
	case tea.KeyPressMsg:
		if t.ask != askNone {
			return t, t.answer(msg)
		}
		switch {
		case key.Matches(msg, t.keys.Down):
			t.cursor = min(t.cursor+1, max(len(t.current)+len(t.events)-1, 0))
			t.follow()
		case key.Matches(msg, t.keys.Up):
			t.cursor = max(t.cursor-1, 0)
			t.follow()
		case key.Matches(msg, t.keys.New):
			if !t.loaded {
				return t, nil
			}
			t.ask, t.askLabel = askName, ""
			t.input = t.c.NewInput("New label: ", "e.g. canary, eu (enter, then its version)")
			return t, t.input.Focus()
		case key.Matches(msg, t.keys.Move):
			l := t.selected()
			if l == "" {
				if len(t.current) == 0 {
					return t, common.Warn("no labels yet: n makes one")
				}
				return t, common.Warn("move the cursor to a label (↑), then m moves it")
			}
			return t, t.askFor(l)
		case key.Matches(msg, t.keys.Remove):
			l := t.selected()
			if l == "" {
				if len(t.current) == 0 {
					return t, common.Warn("no labels yet: n makes one")
				}
				return t, common.Warn("move the cursor to a label (↑), then x removes it")
			}
			name := t.name
			return t, t.c.Flow(common.RemoveLabelMsg{Prompt: name, Label: l})
		case key.Matches(msg, t.keys.OpenRun) && t.selectedMove() != nil:
			e := t.selectedMove()
			if e.RunID == 0 {
				return t, common.Warn("this move has no eval run behind it (it was not promoted from a run)")
			}
			name, id := t.name, e.RunID
			return t, t.c.Flow(common.OpenRunMsg{Prompt: name, RunID: id})
		case key.Matches(msg, t.keys.Rollback):
			if l := t.selected(); l != "" {
				name := t.name
				return t, t.c.Flow(common.RollbackMsg{Prompt: name, Label: l})
			}
			if len(t.current) > 0 {
				return t, common.Warn("move the cursor to a label (↑), then R rolls it back")
			}
		case key.Matches(msg, t.keys.Rollout):
			l := t.selected()
			if l == "" {
				if len(t.current) > 0 {
					return t, common.Warn("move the cursor to a label (↑), then o opens its rollout")
				}
				return t, nil
			}
			if _, ok := t.rollouts[l]; !ok {
				return t, common.Warn(fmt.Sprintf("%s has never had a rollout: p on a version (History or Content tab) offers a staged rollout", l))
			}
			name := t.name
			return t, t.c.Flow(common.OpenRolloutMsg{Prompt: name, Label: l})
		case key.Matches(msg, t.keys.View):
			if t.cursor < len(t.current) {
				n := t.current[t.cursor].Version
				return t, func() tea.Msg { return viewVersionMsg{version: n} }
			}
		}
	case tea.MouseClickMsg:
		if msg.Button == tea.MouseLeft {
			// a split label takes two rows (the label, its arms)
			row := msg.Y - 1
			for i, l := range t.current {
				rows := 1
				if l.Split != nil {
					rows = 2
				}
				if row >= 0 && row < rows {
					t.cursor = i
					break
				}
				row -= rows
			}
		}
	case tea.MouseWheelMsg:
		if msg.Button == tea.MouseWheelDown {
			t.scroll = min(t.scroll+3, max(len(t.events)-1, 0))
		} else if msg.Button == tea.MouseWheelUp {
			t.scroll = max(t.scroll-3, 0)
		}
	}
	return t, nil
}

func (t *labels) selected() string {
	if t.cursor < len(t.current) {
		return t.current[t.cursor].Name
	}
	return ""
}

// selectedMove is the history's move under the cursor (nil on a label).
func (t *labels) selectedMove() *store.LabelEvent {
	if i := t.cursor - len(t.current); i >= 0 && i < len(t.events) {
		return &t.events[i]
	}
	return nil
}

// askFor asks which version label goes to.
func (t *labels) askFor(label string) tea.Cmd {
	t.ask, t.askLabel = askVersion, label
	t.input = t.c.NewInput(fmt.Sprintf("Point %s at version (1-%d): ", common.CleanLine(label), t.latest), fmt.Sprintf("%d", t.latest))
	return t.input.Focus()
}

// answer takes a key of the question being typed; enter goes on to the
// version, then to the promote confirmation (what changes, the gate, a
// reason, compare-and-swap on the label), esc cancels.
func (t *labels) answer(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case key.Matches(msg, t.keys.Cancel):
		t.ask = askNone
		return nil
	case key.Matches(msg, t.keys.Accept):
		text := strings.TrimSpace(t.input.Value())
		if t.ask == askName {
			if err := store.ValidLabel(text); err != nil {
				return common.Error(err)
			}
			for _, l := range t.current {
				if l.Name == text {
					return common.Warn(fmt.Sprintf("%s already exists: m on it moves it", text))
				}
			}
			return t.askFor(text)
		}
		v := t.latest
		if text != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(text, "v"))
			if err != nil || n < 1 || n > t.latest {
				return common.Warn(fmt.Sprintf("%q is not a version of %s: type a number from 1 to %d", text, t.name, t.latest))
			}
			v = n
		}
		t.ask = askNone
		name, label := t.name, t.askLabel
		return t.c.Flow(common.PromoteMsg{Prompt: name, Version: v, Label: label})
	}
	var cmd tea.Cmd
	t.input, cmd = t.input.Update(msg)
	return cmd
}

// historyRows is how many moves fit under the labels.
func (t *labels) historyRows() int {
	rows := 1 + len(t.current) + 3
	for _, l := range t.current {
		if l.Split != nil {
			rows++
		}
	}
	if t.ask != askNone {
		rows++
	}
	return max(t.height-rows, 1)
}

// follow scrolls the history so that the move under the cursor shows.
func (t *labels) follow() {
	i := t.cursor - len(t.current)
	if i < 0 {
		t.scroll = 0
		return
	}
	if i < t.scroll {
		t.scroll = i
	}
	if n := t.historyRows(); i >= t.scroll+n {
		t.scroll = i - n + 1
	}
}

func (t *labels) SetSize(w, h int) { t.width, t.height = w, h }

func (t *labels) View() string {
	st := t.c.Styles
	if t.err != nil {
		return common.Box([]string{st.Error.Render(common.Explain(t.err))}, t.width, t.height)
	}
	if !t.loaded {
		return common.Box([]string{st.Muted.Render("loading…")}, t.width, t.height)
	}
	now := t.c.Now()
	lines := []string{st.Table.Header.Render(common.Fit(fmt.Sprintf("  %-14s %-8s %-16s %s", "LABEL", "VERSION", "SINCE", "BY"), t.width))}
	if len(t.current) == 0 {
		lines = append(lines, st.List.Empty.Render("  No labels yet: n makes one here, or p promotes a version (History or Content tab)."))
	}
	for i, l := range t.current {
		cursor := "  "
		if i == t.cursor {
			cursor = st.List.Cursor.Render("› ")
		}
		name := st.Badge(l.Name).Render(common.CleanLine(l.Name))
		pad := max(14-ansi.StringWidth(ansi.Strip(name)), 0)
		rest := fmt.Sprintf("%-8s %-16s %s", stateText(l.Version, l.Split), common.Ago(l.UpdatedAt, now), common.CleanLine(l.Actor))
		if i == t.cursor {
			// The whole row carries the selection.
			lines = append(lines, cursor+st.List.Selected.Render(common.Fit(ansi.Strip(name)+strings.Repeat(" ", pad)+" "+rest, max(t.width-2, 0))))
		} else {
			lines = append(lines, cursor+name+strings.Repeat(" ", pad)+" "+st.Text.Render(rest))
		}
		if l.Split != nil {
			// a split: its arms with their weights, the salt and unit key
			arms := make([]string, len(l.Split.Arms))
			for i, a := range l.Split.Arms {
				arms[i] = fmt.Sprintf("v%d %d%%", a.Version, a.Weight)
			}
			detail := "  split: " + strings.Join(arms, " · ") + " · salt " + common.CleanLine(l.Split.Salt)
			if l.Split.UnitKey != "" {
				detail += " · unit " + common.CleanLine(l.Split.UnitKey)
			}
			if r, ok := t.rollouts[l.Name]; ok && r.Live() {
				detail += fmt.Sprintf(" · rollout %d %s to v%d (o)", r.ID, r.State, r.To)
			}
			lines = append(lines, st.Muted.Render(common.Fit(strings.Repeat(" ", 14)+detail, t.width)))
		}
	}
	if t.ask != askNone {
		if t.theme != t.c.Theme.Name {
			t.theme = t.c.Theme.Name
			t.c.StyleInput(&t.input)
		}
		t.input.SetWidth(max(t.width-ansi.StringWidth(t.input.Prompt)-4, 10))
		lines = append(lines, "  "+t.input.View())
	}
	lines = append(lines, "", st.Subtitle.Render(fmt.Sprintf("History (%s, newest first, append-only)", plural(len(t.events), "move"))))
	// the MOVE column as wide as its widest move (splits are long), up to 24
	moveW := 11
	for _, e := range t.events {
		moveW = max(moveW, min(ansi.StringWidth(moveText(e)), 24))
	}
	lines = append(lines, st.Table.Header.Render(common.Fit(fmt.Sprintf("  %-16s %-12s %-*s %-10s %s", "WHEN", "LABEL", moveW, "MOVE", "BY", "REASON"), t.width)))
	for k, e := range t.events[min(t.scroll, len(t.events)):] {
		selected := len(t.current)+min(t.scroll, len(t.events))+k == t.cursor
		from, to := "new", "removed"
		if e.From > 0 {
			from = stateText(e.From, e.FromSplit)
		}
		if e.To > 0 {
			to = stateText(e.To, e.ToSplit)
		}
		reason := common.CleanLine(e.Reason)
		if e.RunID > 0 {
			reason += fmt.Sprintf(" [run #%d]", e.RunID)
		}
		if e.Forced {
			reason += " [forced past the gate]"
		}
		move := common.Trunc(from+"→"+to, moveW)
		line := fmt.Sprintf("  %-16s %-12s %s%s %-10s ", common.Ago(e.At, now), common.Trunc(common.CleanLine(e.Label), 12),
			move, strings.Repeat(" ", max(moveW-ansi.StringWidth(move), 0)), common.Trunc(common.CleanLine(e.Actor), 10))
		style := st.Text
		if e.Forced {
			style = st.Warning
		}
		if selected {
			lines = append(lines, st.List.Cursor.Render("›")+st.List.Selected.Render(common.Fit(ansi.Strip(line[1:])+reason, max(t.width-1, 0))))
			continue
		}
		lines = append(lines, style.Render(line)+st.Muted.Render(reason))
	}
	return common.Box(lines, t.width, t.height)
}

// stateText is what a label points at: v3, or a split as 3=90,5=10.
func stateText(v int, sp *store.Split) string {
	if sp != nil {
		return sp.String()
	}
	return fmt.Sprintf("v%d", v)
}

func (t *labels) ShortHelp() []key.Binding {
	if t.ask != askNone {
		return []key.Binding{t.keys.Accept, t.keys.Cancel}
	}
	if t.selectedMove() != nil {
		return []key.Binding{t.keys.OpenRun, t.keys.New, t.keys.Down, t.keys.Up}
	}
	b := []key.Binding{t.keys.View, t.keys.Move, t.keys.Remove, t.keys.New, t.keys.Rollback}
	if _, ok := t.rollouts[t.selected()]; ok {
		b = append(b, t.keys.Rollout)
	}
	return append(b, t.keys.Down, t.keys.Up)
}

func (t *labels) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{t.keys.Down, t.keys.Up, t.keys.View, t.keys.OpenRun},
		{t.keys.New, t.keys.Move, t.keys.Remove, t.keys.Rollback, t.keys.Rollout},
	}
}

// moveText is a move as the history's MOVE column writes it.
func moveText(e store.LabelEvent) string {
	from, to := "new", "removed"
	if e.From > 0 {
		from = stateText(e.From, e.FromSplit)
	}
	if e.To > 0 {
		to = stateText(e.To, e.ToSplit)
	}
	return from + "→" + to
}
