// Package browse is the prompt list: every prompt with its labels, latest
// version, last change and tags, a fuzzy filter, and a preview pane of the
// selected prompt's production (else latest) version.
package browse

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/sahilm/fuzzy"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

// KeyMap is the list's bindings.
type KeyMap struct {
	common.ListKeys
	Open, Filter, ClearFilter, New, Preview key.Binding
	Accept                                  key.Binding
}

// DefaultKeyMap returns the standard bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		ListKeys:    common.DefaultListKeys(),
		Open:        key.NewBinding(key.WithKeys("enter", "l", "right"), key.WithHelp("enter", "open")),
		Filter:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		ClearFilter: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		Accept:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		New:         key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "new prompt")),
		Preview:     key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "preview raw/rendered")),
	}
}

// Model is the prompt list screen.
type Model struct {
	c    *common.Common
	id   int
	keys KeyMap

	all     []store.PromptSummary
	names   []string // all[i].Name, for the fuzzy matcher
	visible []row    // rows after the filter
	nameMax int      // widest name among the visible rows
	cursor  int
	offset  int

	filter    textinput.Model
	filtering bool // typing in the filter

	loading bool
	loaded  bool
	spin    spinner.Model
	err     error

	// health is each prompt's production traffic over the last day and
	// how its production version compares with the one before it.
	health map[string]store.Health

	prev map[string]*preview // by prompt name
	// marks are production's eval marks, by prompt name (read after the
	// list, in the background).
	marks    map[string]common.Mark
	raw      bool // preview shows the raw template
	width    int
	height   int
	listW    int
	previewW int
}

// row is one visible prompt with the positions of its name that matched
// the filter.
type row struct {
	idx     int
	matched []int
}

// marksMsg brings production's eval marks.
type marksMsg struct {
	common.To
	marks map[string]common.Mark
}

type loadedMsg struct {
	common.To
	prompts []store.PromptSummary
	health  map[string]store.Health
	err     error
}

// New returns the prompt list; Init loads it.
func New(c *common.Common) *Model {
	m := &Model{c: c, id: common.NewID(), keys: DefaultKeyMap(), prev: map[string]*preview{}}
	m.keys.ListKeys = c.List
	m.filter = c.NewInput("/ ", "type to filter prompts")
	m.spin = spinner.New(spinner.WithSpinner(spinner.Dot))
	return m
}

func (m *Model) ID() int         { return m.id }
func (m *Model) Title() string   { return "prompts" }
func (m *Model) Capturing() bool { return m.filtering }

// Init loads the prompts.
func (m *Model) Init() tea.Cmd { return tea.Batch(m.load(), m.spin.Tick) }

// Reload re-reads the list, keeping the selected prompt.
func (m *Model) Reload() tea.Cmd { return m.load() }

func (m *Model) load() tea.Cmd {
	m.loading = true
	ctx, st, to, now := m.c.Ctx, m.c.Store, common.To{ID: m.id}, m.c.Now()
	return func() tea.Msg {
		ps, err := st.ListPrompts(ctx, store.ListOptions{})
		if err != nil {
			return loadedMsg{To: to, err: err}
		}
		h, err := st.Health(ctx, healthQuery(now))
		return loadedMsg{To: to, prompts: ps, health: h, err: err}
	}
}

// healthQuery is the list's health column: requests over the last day in
// 12 steps of 2 hours, the production version compared with the one before
// it over two weeks.
func healthQuery(now time.Time) store.HealthQuery {
	return store.HealthQuery{Until: now, Recent: 24 * time.Hour, Steps: 12, Compare: 14 * 24 * time.Hour}
}

// loadMarks reads the mark of production's last eval of every prompt
// that has a production label.
func (m *Model) loadMarks() tea.Cmd {
	type job struct {
		name string
		v    int
	}
	var jobs []job
	for _, p := range m.all {
		if v, ok := p.Labels["production"]; ok {
			jobs = append(jobs, job{p.Name, v})
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	ctx, st, to := m.c.Ctx, m.c.Store, common.To{ID: m.id}
	return func() tea.Msg {
		out := make(map[string]common.Mark, len(jobs))
		for _, j := range jobs {
			if mk, err := common.ProductionMark(ctx, st, j.name, j.v); err == nil {
				out[j.name] = mk
			}
		}
		return marksMsg{To: to, marks: out}
	}
}

// Mark is production's eval mark of a prompt (for tests).
func (m *Model) Mark(name string) common.Mark { return m.marks[name] }

// Selected returns the prompt under the cursor ("" when none).
func (m *Model) Selected() string {
	if m.cursor < 0 || m.cursor >= len(m.visible) {
		return ""
	}
	return m.all[m.visible[m.cursor].idx].Name
}

// Busy is true until the list has first loaded: keys typed ahead ("j
// enter" while the registry is read) wait for the rows they are meant
// for instead of moving a cursor on an empty list.
func (m *Model) Busy() bool { return !m.loaded && m.err == nil }

// Update handles keys, mouse and loaded data.
func (m *Model) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		m.loading = false
		if msg.err != nil {
			m.err = msg.err
			return m, common.Error(msg.err)
		}
		m.err = nil
		sel := m.Selected()
		m.all = msg.prompts
		m.health = msg.health
		m.names = make([]string, len(m.all))
		for i, p := range m.all {
			m.names[i] = p.Name
		}
		// A reload drops previews whose prompt changed since.
		for i := range m.all {
			if p, ok := m.prev[m.all[i].Name]; ok && p.stale(m.all[i]) {
				delete(m.prev, m.all[i].Name)
			}
		}
		m.applyFilter(sel, !m.loaded)
		m.loaded = true
		return m, tea.Batch(m.ensurePreview(), m.loadMarks())
	case marksMsg:
		m.marks = msg.marks
		return m, nil
	case previewMsg:
		if msg.err == nil || m.prev[msg.name] == nil {
			m.prev[msg.name] = &preview{v: msg.v, err: msg.err, latest: msg.latest, labels: msg.labels}
		}
		return m, nil
	case spinner.TickMsg:
		if !m.loading {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case tea.KeyPressMsg:
		if m.filtering {
			return m.updateFilter(msg)
		}
		return m.updateKeys(msg)
	case tea.PasteMsg:
		if m.filtering {
			return m.updateFilter(msg)
		}
	case tea.MouseClickMsg:
		if msg.Button == tea.MouseLeft && msg.X < m.listW {
			i := m.offset + msg.Y - m.headerLines()
			if i >= 0 && i < len(m.visible) {
				if i == m.cursor {
					return m, m.open()
				}
				m.cursor = i
				return m, m.ensurePreview()
			}
		}
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelDown:
			m.move(3)
		case tea.MouseWheelUp:
			m.move(-3)
		}
		return m, m.ensurePreview()
	}
	return m, nil
}

func (m *Model) updateKeys(msg tea.KeyPressMsg) (common.Screen, tea.Cmd) {
	if c, ok := m.keys.Move(msg, m.cursor, len(m.visible), m.rows()); ok {
		m.cursor = c
		m.clampOffset()
		return m, m.ensurePreview()
	}
	switch {
	case key.Matches(msg, m.keys.Open):
		return m, m.open()
	case key.Matches(msg, m.keys.Filter):
		m.filtering = true
		return m, m.filter.Focus()
	case key.Matches(msg, m.keys.New):
		return m, m.c.Flow(common.EditMsg{})
	case key.Matches(msg, m.keys.Preview):
		m.raw = !m.raw
		return m, nil
	case key.Matches(msg, m.keys.ClearFilter) && m.filter.Value() != "":
		// esc first clears an applied filter; the root sees the next one.
		m.filter.SetValue("")
		m.applyFilter(m.Selected(), false)
		return m, nil
	}
	return m, nil
}

func (m *Model) updateFilter(msg tea.Msg) (common.Screen, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, m.keys.ClearFilter):
			m.filtering = false
			m.filter.Blur()
			m.filter.SetValue("")
			m.applyFilter(m.Selected(), false)
			return m, m.ensurePreview()
		case key.Matches(k, m.keys.Accept):
			m.filtering = false
			m.filter.Blur()
			return m, m.open()
		case k.String() == "up" || k.String() == "down" || k.String() == "ctrl+p" || k.String() == "ctrl+n":
			if k.String() == "up" || k.String() == "ctrl+p" {
				m.move(-1)
			} else {
				m.move(1)
			}
			return m, m.ensurePreview()
		}
	}
	before := m.filter.Value()
	var cmd tea.Cmd
	m.filter, cmd = m.filter.Update(msg)
	if m.filter.Value() != before {
		m.applyFilter("", true)
	}
	return m, tea.Batch(cmd, m.ensurePreview())
}

// applyFilter recomputes the visible rows. keep names the prompt to keep
// under the cursor; top moves the cursor to the best match instead.
func (m *Model) applyFilter(keep string, top bool) {
	q := strings.TrimSpace(m.filter.Value())
	m.visible = m.visible[:0]
	if q == "" {
		for i := range m.all {
			m.visible = append(m.visible, row{idx: i})
		}
	} else {
		for _, match := range fuzzy.Find(q, m.names) {
			m.visible = append(m.visible, row{idx: match.Index, matched: match.MatchedIndexes})
		}
	}
	// The widest visible name, for the name column (measured here, not on
	// every frame: 10,000 names take milliseconds).
	m.nameMax = 0
	for _, r := range m.visible {
		m.nameMax = max(m.nameMax, ansi.StringWidth(m.all[r.idx].Name))
	}
	m.cursor = 0
	if !top && keep != "" {
		for i, r := range m.visible {
			if m.all[r.idx].Name == keep {
				m.cursor = i
				break
			}
		}
	}
	m.offset = 0
	m.clampOffset()
}

func (m *Model) move(n int) {
	m.cursor = max(0, min(m.cursor+n, len(m.visible)-1))
	m.clampOffset()
}

func (m *Model) clampOffset() {
	rows := m.rows()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+rows {
		m.offset = m.cursor - rows + 1
	}
	m.offset = max(0, min(m.offset, len(m.visible)-rows))
}

func (m *Model) open() tea.Cmd {
	name := m.Selected()
	if name == "" {
		return nil
	}
	// A flow: keys typed right after enter ("enter 2") go to the prompt.
	return m.c.Flow(common.OpenPromptMsg{Name: name})
}

// SetSize splits the width between the list and the preview.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	if w >= 100 {
		m.listW = w * 3 / 5
		m.previewW = w - m.listW - 1
	} else {
		m.listW, m.previewW = w, 0
	}
	m.filter.SetWidth(max(m.listW-16, 5))
	m.clampOffset()
}

func (m *Model) headerLines() int { return 2 } // filter line, column titles

func (m *Model) rows() int { return max(m.height-m.headerLines(), 1) }

// ensurePreview loads the selected prompt's preview if it is not cached.
func (m *Model) ensurePreview() tea.Cmd {
	name := m.Selected()
	if name == "" || m.previewW == 0 {
		return nil
	}
	if _, ok := m.prev[name]; ok {
		return nil
	}
	m.prev[name] = &preview{loading: true}
	ctx, st, to := m.c.Ctx, m.c.Store, common.To{ID: m.id}
	sum := m.all[m.visible[m.cursor].idx]
	return func() tea.Msg { return loadPreview(ctx, st, to, sum) }
}

// ShortHelp is the one-line help, changing with the filter.
func (m *Model) ShortHelp() []key.Binding {
	if m.filtering {
		return []key.Binding{m.keys.Accept, m.keys.ClearFilter,
			key.NewBinding(key.WithKeys("up", "down"), key.WithHelp("↑/↓", "move"))}
	}
	b := []key.Binding{m.keys.Open, m.keys.Filter, m.keys.New, m.keys.Down, m.keys.Up}
	if m.filter.Value() != "" {
		b = append(b, m.keys.ClearFilter)
	}
	return b
}

// FullHelp lists every binding.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.keys
	return [][]key.Binding{
		k.Bindings(),
		{k.Open, k.Filter, k.ClearFilter, k.New, k.Preview},
	}
}

// String describes the state for tests.
func (m *Model) String() string {
	return fmt.Sprintf("prompts=%d visible=%d cursor=%d selected=%q filter=%q filtering=%v",
		len(m.all), len(m.visible), m.cursor, m.Selected(), m.filter.Value(), m.filtering)
}

// HandlesEsc tells the root that esc clears the applied filter before it
// means "back".
func (m *Model) HandlesEsc() bool { return m.filter.Value() != "" }
