package dialog

import (
	"fmt"
	"sort"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

// Picker asks which label a version should get: the usual environments,
// the prompt's other labels, or a new name.
type Picker struct {
	c       *common.Common
	id      int
	req     common.PromoteMsg
	choices []string // label names; the last row is "new label…"
	current map[string]int
	cursor  int
	naming  bool
	input   textinput.Model
	keys    pickerKeys
	width   int
	height  int
}

type pickerKeys struct{ Up, Down, Pick, Cancel key.Binding }

type pickerLabels struct {
	common.To
	labels []store.Label
	err    error
}

// NewPicker returns the label picker for a promotion.
func NewPicker(c *common.Common, req common.PromoteMsg) *Picker {
	p := &Picker{c: c, id: common.NewID(), req: req, current: map[string]int{},
		choices: []string{"production", "staging", "development"},
		keys: pickerKeys{
			Up:     c.List.Up,
			Down:   c.List.Down,
			Pick:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose")),
			Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		}}
	p.input = c.NewInput("New label: ", "e.g. canary, eu")
	return p
}

func (p *Picker) ID() int         { return p.id }
func (p *Picker) Title() string   { return fmt.Sprintf("promote v%d", p.req.Version) }
func (p *Picker) Capturing() bool { return true }
func (p *Picker) Reload() tea.Cmd { return p.Init() }

// Init loads the prompt's labels.
func (p *Picker) Init() tea.Cmd {
	ctx, st, to, name := p.c.Ctx, p.c.Store, common.To{ID: p.id}, p.req.Prompt
	return func() tea.Msg {
		ls, err := st.Labels(ctx, name)
		return pickerLabels{To: to, labels: ls, err: err}
	}
}

func (p *Picker) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case pickerLabels:
		if msg.err != nil {
			return p, common.Error(msg.err)
		}
		var extra []string
		for _, l := range msg.labels {
			p.current[l.Name] = l.Version
			if l.Name != "production" && l.Name != "staging" && l.Name != "development" {
				extra = append(extra, l.Name)
			}
		}
		sort.Strings(extra)
		p.choices = append([]string{"production", "staging", "development"}, extra...)
	case tea.KeyPressMsg:
		if p.naming {
			switch {
			case key.Matches(msg, p.keys.Cancel):
				p.naming = false
				p.input.Blur()
				return p, nil
			case key.Matches(msg, p.keys.Pick):
				return p, p.pick(p.input.Value())
			}
			var cmd tea.Cmd
			p.input, cmd = p.input.Update(msg)
			return p, cmd
		}
		switch {
		case key.Matches(msg, p.keys.Cancel), msg.String() == "q":
			return p, common.Pop(false)
		case key.Matches(msg, p.keys.Up):
			p.cursor = max(p.cursor-1, 0)
		case key.Matches(msg, p.keys.Down):
			p.cursor = min(p.cursor+1, len(p.choices))
		case key.Matches(msg, p.keys.Pick):
			if p.cursor == len(p.choices) {
				p.naming = true
				return p, p.input.Focus()
			}
			return p, p.pick(p.choices[p.cursor])
		}
	case tea.MouseClickMsg:
		if i := msg.Y - 2; i >= 0 && i <= len(p.choices) {
			p.cursor = i
		}
	}
	return p, nil
}

func (p *Picker) pick(label string) tea.Cmd {
	if err := store.ValidLabel(label); err != nil {
		return common.Error(err)
	}
	req := p.req
	req.Label = label
	return tea.Sequence(common.Pop(false), p.c.Flow(req))
}

func (p *Picker) SetSize(w, h int) { p.width, p.height = w, h; p.input.SetWidth(max(w-14, 10)) }

func (p *Picker) View() string {
	st := p.c.Styles
	lines := []string{st.Dialog.Title.Render(fmt.Sprintf("Promote %s v%d: which label?", common.CleanLine(p.req.Prompt), p.req.Version)), ""}
	for i, name := range append(append([]string{}, p.choices...), "new label…") {
		cursor := "  "
		if i == p.cursor {
			cursor = st.List.Cursor.Render("› ")
		}
		if i == len(p.choices) {
			if p.naming {
				lines = append(lines, cursor+p.input.View())
			} else {
				lines = append(lines, cursor+st.Muted.Render(name))
			}
			continue
		}
		where := st.Muted.Render("  not set")
		if v, ok := p.current[name]; ok {
			where = st.Muted.Render(fmt.Sprintf("  now on v%d", v))
		}
		lines = append(lines, cursor+st.Badge(name).Render(common.CleanLine(name))+where)
	}
	return common.Box(lines, p.width, p.height)
}

func (p *Picker) ShortHelp() []key.Binding {
	return []key.Binding{p.keys.Pick, p.keys.Cancel, p.keys.Down, p.keys.Up}
}

func (p *Picker) FullHelp() [][]key.Binding { return [][]key.Binding{p.ShortHelp()} }
