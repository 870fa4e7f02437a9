// Package rollout is the Rollout view of a prompt's label: the plan as a
// step bar with the weight in force and the time to the next step, each
// guard's status with its figures, per-arm charts of the guarded metrics,
// and the A/B readout with intervals. Advance, pause, resume and abort are
// confirmed in a dialog the root opens (common.RolloutChangeMsg).
//
// Showing the rollout checks its guards (store.CheckRollout, in a command):
// a breach aborts it then and there, a due step is written. While it stays
// on screen it re-reads without writing (store.PeekRollout) when the file
// changes, checks again once a minute, and counts down every second.
package rollout

import (
	"errors"
	"fmt"
	"math"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/eval/ab"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

// CheckEvery is how often the view checks the guards while it is shown
// (as `verso serve` does); in between it only reads.
const CheckEvery = time.Minute

// KeyMap is the view's keys.
type KeyMap struct {
	Advance, Pause, Resume, Abort key.Binding
	Metric, PrevMetric            key.Binding
	Down, Up                      key.Binding
}

// DefaultKeyMap returns the view's bindings (list keys scroll).
func DefaultKeyMap(list common.ListKeys) KeyMap {
	return KeyMap{
		Advance:    key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "advance")),
		Pause:      key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pause")),
		Resume:     key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "resume")),
		Abort:      key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "abort")),
		Metric:     key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "next figure")),
		PrevMetric: key.NewBinding(key.WithKeys("M"), key.WithHelp("M", "previous figure")),
		Down:       list.Down,
		Up:         list.Up,
	}
}

// Model is the Rollout view.
type Model struct {
	c      *common.Common
	id     int
	prompt string
	label  string
	keys   KeyMap

	loaded  bool
	err     error
	d       data
	metric  int // index into d.metrics of the charted figure
	scroll  int
	checked time.Time // when this view last checked the guards (c.Now)
	ticking bool
	width   int
	height  int
}

// data is what one load read.
type data struct {
	r       store.Rollout
	check   store.RolloutCheck
	now     time.Time // the store's clock at the read
	metrics []string  // the guarded metrics, in guard order (ab's names)
	series  store.Series
	moves   []store.LabelEvent // the label's moves in the window
	reports []ab.Report        // per metric
	abErr   error
}

type loadedMsg struct {
	common.To
	d       data
	changes []store.Change
	wrote   bool // the read was a check (it may have written)
	err     error
}

type tickMsg struct{ common.To }

// New returns the Rollout view of a prompt's label.
func New(c *common.Common, prompt, label string) *Model {
	return &Model{c: c, id: common.NewID(), prompt: prompt, label: label, keys: DefaultKeyMap(c.List)}
}

func (m *Model) ID() int         { return m.id }
func (m *Model) Title() string   { return "rollout " + m.label }
func (m *Model) Capturing() bool { return false }

// Busy is true until the first read arrives: the root holds the keys typed
// meanwhile and gives them to the view once it shows the rollout.
func (m *Model) Busy() bool { return !m.loaded && m.err == nil }

// Rollout is the rollout shown (for tests).
func (m *Model) Rollout() store.Rollout { return m.d.r }

// Init checks the guards and reads the rollout.
func (m *Model) Init() tea.Cmd { return m.load(true) }

// Reload re-reads the rollout; it checks the guards again when the last
// check is older than CheckEvery.
func (m *Model) Reload() tea.Cmd {
	return m.load(m.c.Now().Sub(m.checked) >= CheckEvery)
}

// guardMetric is the ab metric of a guard's metric.
func guardMetric(m string) string {
	if m == "p95_latency" {
		return ab.Latency
	}
	return m
}

func (m *Model) load(check bool) tea.Cmd {
	if check {
		m.checked = m.c.Now()
	}
	ctx, st, to, prompt, label := m.c.Ctx, m.c.Store, common.To{ID: m.id}, m.prompt, m.label
	return func() tea.Msg {
		var d data
		var changes []store.Change
		var err error
		wrote := check && !st.ReadOnly()
		if wrote {
			before, herr := st.LabelHistory(ctx, prompt)
			if herr != nil {
				return loadedMsg{To: to, err: herr}
			}
			d.check, d.r, err = st.CheckRollout(ctx, prompt, label)
			if err == nil && (d.check.Aborted || d.check.Advanced) {
				if evs, herr := st.LabelHistory(ctx, prompt); herr == nil {
					for _, e := range evs[min(len(before), len(evs)):] {
						changes = append(changes, store.Change{Prompt: e.Prompt, Kind: "label", Label: e.Label, Version: e.To, From: e.From, Actor: e.Actor, At: e.At})
					}
				}
			}
		}
		if !wrote || errors.Is(err, store.ErrReadOnly) {
			wrote = false
			d.check, d.r, err = st.PeekRollout(ctx, prompt, label)
		}
		if err != nil {
			return loadedMsg{To: to, err: err}
		}
		d.now = d.check.At
		r := d.r
		for _, g := range r.Guards {
			gm := guardMetric(g.Metric)
			known := false
			for _, x := range d.metrics {
				known = known || x == gm
			}
			if !known {
				d.metrics = append(d.metrics, gm)
			}
		}
		if len(d.metrics) == 0 {
			d.metrics = []string{ab.ErrorRate, ab.Latency}
		}
		since, until := r.StartedAt, d.now
		if !r.EndedAt.IsZero() {
			until = r.EndedAt
		}
		step := max(time.Duration(math.Ceil(until.Sub(since).Minutes()/60))*time.Minute, time.Minute)
		d.series, err = st.Series(ctx, store.SeriesQuery{Prompt: prompt, Since: since, Until: until, Step: step, By: "version", Label: label})
		if err != nil {
			return loadedMsg{To: to, err: err}
		}
		evs, err := st.LabelHistory(ctx, prompt)
		if err != nil {
			return loadedMsg{To: to, err: err}
		}
		for _, e := range evs {
			if e.Label == label && !e.At.Before(since) && !e.At.After(until) {
				d.moves = append(d.moves, e)
			}
		}
		abd, err := st.ABData(ctx, store.ABQuery{Prompt: prompt, Label: label, Since: since, Until: until})
		if err != nil {
			d.abErr = err
		} else {
			for _, mt := range d.metrics {
				rep, err := ab.Analyze(abd, mt)
				if err != nil {
					d.abErr = err
					break
				}
				d.reports = append(d.reports, rep)
			}
		}
		return loadedMsg{To: to, d: d, changes: changes, wrote: wrote}
	}
}

func (m *Model) tick() tea.Cmd {
	to := common.To{ID: m.id}
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return tickMsg{To: to} })
}

// Update handles the reads, the clock and the keys.
func (m *Model) Update(msg tea.Msg) (common.Screen, tea.Cmd) {
	switch msg := msg.(type) {
	case loadedMsg:
		if msg.err != nil {
			m.err = msg.err
			if !m.loaded {
				return m, common.Error(msg.err)
			}
			return m, nil // keep showing the last read
		}
		first := !m.loaded
		m.err, m.loaded = nil, true
		m.d = msg.d
		m.metric = min(m.metric, len(m.d.metrics)-1)
		var cmds []tea.Cmd
		m.c.Wrote(msg.changes...)
		c, r := msg.d.check, msg.d.r
		switch {
		case !msg.wrote:
			// a read: what it shows was done before (Aborted and Advanced
			// come from the evidence of the check that did it)
			if first && r.State == store.RolloutRunning {
				cmds = append(cmds, common.Info("read-only: the guards are read, not acted on"))
			}
		case c.Aborted:
			cmds = append(cmds, common.Warn(fmt.Sprintf("%s %s: a guard is breached, rollout %d aborted: v%d is back to 100%%", m.prompt, m.label, r.ID, r.From)))
		case c.Advanced && r.State == store.RolloutDone:
			cmds = append(cmds, common.Success(fmt.Sprintf("%s %s: rollout %d done, the label is on v%d", m.prompt, m.label, r.ID, r.To)))
		case c.Advanced:
			cmds = append(cmds, common.Success(fmt.Sprintf("%s %s: guards healthy, rollout %d advanced to %d%%", m.prompt, m.label, r.ID, r.Steps[r.Step])))
		}
		if r.Live() && !m.ticking {
			m.ticking = true
			cmds = append(cmds, m.tick())
		}
		return m, tea.Batch(cmds...)
	case tickMsg:
		if !m.d.r.Live() {
			m.ticking = false
			return m, nil
		}
		cmds := []tea.Cmd{m.tick()}
		if m.d.r.State == store.RolloutRunning && m.c.Now().Sub(m.checked) >= CheckEvery {
			cmds = append(cmds, m.load(true))
		}
		return m, tea.Batch(cmds...)
	case tea.KeyPressMsg:
		return m, m.key(msg)
	case tea.MouseWheelMsg:
		if msg.Button == tea.MouseWheelDown {
			m.scroll++
		} else if msg.Button == tea.MouseWheelUp {
			m.scroll = max(m.scroll-1, 0)
		}
	}
	return m, nil
}

func (m *Model) key(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(msg, k.Down):
		m.scroll++
		return nil
	case key.Matches(msg, k.Up):
		m.scroll = max(m.scroll-1, 0)
		return nil
	case key.Matches(msg, k.Metric) && m.loaded:
		m.metric = (m.metric + 1) % len(m.d.metrics)
		return nil
	case key.Matches(msg, k.PrevMetric) && m.loaded:
		m.metric = (m.metric + len(m.d.metrics) - 1) % len(m.d.metrics)
		return nil
	}
	var action store.RolloutAction
	switch {
	case key.Matches(msg, k.Advance):
		action = store.RolloutAdvance
	case key.Matches(msg, k.Pause):
		action = store.RolloutPause
	case key.Matches(msg, k.Resume):
		action = store.RolloutResume
	case key.Matches(msg, k.Abort):
		action = store.RolloutAbort
	default:
		return nil
	}
	if !m.loaded {
		return common.Warn("the rollout is not read yet")
	}
	if why := m.whyNot(action); why != "" {
		return common.Warn(why)
	}
	return m.c.Flow(common.RolloutChangeMsg{Prompt: m.prompt, Label: m.label, Action: action})
}

// whyNot says why an action is not available now ("" when it is).
func (m *Model) whyNot(a store.RolloutAction) string {
	r := m.d.r
	if m.c.Store.ReadOnly() {
		return "the database is read-only: the rollout cannot be changed from here"
	}
	if !r.Live() {
		return fmt.Sprintf("rollout %d is %s: there is nothing to %s", r.ID, r.State, a)
	}
	switch a {
	case store.RolloutAdvance:
		if r.State == store.RolloutPaused {
			return fmt.Sprintf("rollout %d is paused: r resumes it before advancing", r.ID)
		}
	case store.RolloutPause:
		if r.State == store.RolloutPaused {
			return fmt.Sprintf("rollout %d is already paused: r resumes it", r.ID)
		}
	case store.RolloutResume:
		if r.State == store.RolloutRunning {
			return fmt.Sprintf("rollout %d is running: p pauses it", r.ID)
		}
	}
	return ""
}

// SetSize sets the view's rectangle.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// ShortHelp lists the actions the rollout allows now.
func (m *Model) ShortHelp() []key.Binding {
	var b []key.Binding
	if m.loaded && !m.c.Store.ReadOnly() {
		for _, x := range []struct {
			a store.RolloutAction
			k key.Binding
		}{{store.RolloutAdvance, m.keys.Advance}, {store.RolloutPause, m.keys.Pause}, {store.RolloutResume, m.keys.Resume}, {store.RolloutAbort, m.keys.Abort}} {
			if m.whyNot(x.a) == "" {
				b = append(b, x.k)
			}
		}
	}
	if m.loaded && len(m.d.metrics) > 1 {
		b = append(b, m.keys.Metric)
	}
	return b
}

// FullHelp lists every key; an action the rollout does not allow now
// says why.
func (m *Model) FullHelp() [][]key.Binding {
	var actions []key.Binding
	for _, x := range []struct {
		a store.RolloutAction
		k key.Binding
	}{{store.RolloutAdvance, m.keys.Advance}, {store.RolloutPause, m.keys.Pause}, {store.RolloutResume, m.keys.Resume}, {store.RolloutAbort, m.keys.Abort}} {
		b := x.k
		if why := m.whyNot(x.a); m.loaded && why != "" {
			b.SetHelp(b.Help().Key, b.Help().Desc+" (not now: "+why+")")
		}
		actions = append(actions, b)
	}
	return [][]key.Binding{actions, {m.keys.Metric, m.keys.PrevMetric, m.keys.Down, m.keys.Up}}
}
