package promptview

import (
	"fmt"
	"github.com/charmbracelet/x/ansi"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

type labelKeys struct {
	Down, Up, Rollback, View, Rollout key.Binding
}

func newLabelKeys(list common.ListKeys) labelKeys {
	return labelKeys{
		Down:     list.Down,
		Up:       list.Up,
		Rollback: key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "roll back label")),
		View:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "view its version")),
		Rollout:  key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open its rollout")),
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
	cursor   int
	scroll   int // history lines scrolled
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
	err      error
}

func newLabels(c *common.Common, name string) *labels {
	return &labels{c: c, id: common.NewID(), name: name, keys: newLabelKeys(c.List)}
}

func (t *labels) ID() int         { return t.id }
func (t *labels) Name() string    { return "Labels" }
func (t *labels) Capturing() bool { return false }
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
		rs, err := st.Rollouts(ctx, name)
		newest := map[string]store.Rollout{}
		for _, r := range rs { // newest first
			if _, ok := newest[r.Label]; !ok {
				newest[r.Label] = r
			}
		}
		return labelsMsg{To: to, current: cur, events: evs, rollouts: newest, err: err}
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
		t.cursor = 0
		for i, l := range t.current {
			if l.Name == sel {
				t.cursor = i
			}
		}
		return t, nil
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, t.keys.Down):
			if t.cursor < len(t.current)-1 {
				t.cursor++
			} else {
				t.scroll = min(t.scroll+1, max(len(t.events)-1, 0))
			}
		case key.Matches(msg, t.keys.Up):
			if t.scroll > 0 {
				t.scroll--
			} else {
				t.cursor = max(t.cursor-1, 0)
			}
		case key.Matches(msg, t.keys.Rollback):
			if l := t.selected(); l != "" {
				name := t.name
				return t, t.c.Flow(common.RollbackMsg{Prompt: name, Label: l})
			}
		case key.Matches(msg, t.keys.Rollout):
			l := t.selected()
			if l == "" {
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
		lines = append(lines, st.List.Empty.Render("  No labels yet: promote a version with p (History or Content tab)."))
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
	lines = append(lines, "", st.Subtitle.Render(fmt.Sprintf("History (%s, newest first, append-only)", plural(len(t.events), "move"))))
	lines = append(lines, st.Table.Header.Render(common.Fit(fmt.Sprintf("  %-16s %-12s %-11s %-10s %s", "WHEN", "LABEL", "MOVE", "BY", "REASON"), t.width)))
	for _, e := range t.events[min(t.scroll, len(t.events)):] {
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
		line := fmt.Sprintf("  %-16s %-12s %-11s %-10s ", common.Ago(e.At, now), common.Trunc(common.CleanLine(e.Label), 12),
			from+"→"+to, common.Trunc(common.CleanLine(e.Actor), 10))
		style := st.Text
		if e.Forced {
			style = st.Warning
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
	b := []key.Binding{t.keys.Rollback, t.keys.View}
	if _, ok := t.rollouts[t.selected()]; ok {
		b = append(b, t.keys.Rollout)
	}
	return append(b, t.keys.Down, t.keys.Up)
}

func (t *labels) FullHelp() [][]key.Binding {
	return [][]key.Binding{{t.keys.Down, t.keys.Up, t.keys.View, t.keys.Rollback, t.keys.Rollout}}
}
