// Package tui is Verso's interactive workbench: the root model owns the
// screen stack, focus, layout, status bar, help and live sharing, and turns
// the shared flows (diff, edit, promote, rollback, runs) into screens. The
// rules it follows are in README.md beside this file.
package tui

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/themes"
	"github.com/seed94f0f622/verso/tui/browse"
	"github.com/seed94f0f622/verso/tui/caseform"
	"github.com/seed94f0f622/verso/tui/common"
	"github.com/seed94f0f622/verso/tui/dialog"
	"github.com/seed94f0f622/verso/tui/diffscreen"
	"github.com/seed94f0f622/verso/tui/editor"
	"github.com/seed94f0f622/verso/tui/evalws"
	"github.com/seed94f0f622/verso/tui/inlineedit"
	"github.com/seed94f0f622/verso/tui/playground"
	"github.com/seed94f0f622/verso/tui/promptview"
	"github.com/seed94f0f622/verso/tui/rollout"
)

// statusTTL is how long a transient message stays in the status bar.
const statusTTL = 5 * time.Second

// Model is the root model.
type Model struct {
	c       *common.Common
	id      int
	opts    Options
	stack   []common.Screen
	width   int
	height  int
	help    help.Model
	showAll bool // the full key map replaces the body
	showLog bool // the message log replaces the body
	helpOff int  // the full help's scroll position (small terminals)
	// log keeps the session's status messages, oldest first (bounded):
	// they fade from the status bar, and @ shows them in full.
	log    []logEntry
	isDark bool

	status    common.StatusMsg
	statusSeq int

	live liveState
	edit editState
	hold holdState
	// quitAsk is the ID of the "Quit Verso?" question while it is open.
	quitAsk int
	// lastTab is the tab each prompt was left on: reopening it goes back
	// there.
	lastTab map[string]string
	// watching are the runs of this process seen live (see runwatch.go).
	watching map[int64]bool
}

type clearStatusMsg struct{ seq int }

// New builds the root model on a store (see Options).
func New(o Options) *Model {
	inline := o.inlineDefault()
	o = o.withDefaults()
	th := o.theme(true)
	c := common.NewCommon(o.Store, o.Author, th)
	c.Engine, c.Providers, c.Editor, c.InlineEdit = o.Engine, o.Providers, o.Editor, inline
	_ = c.SetKeys(o.Config.Keys) // checked by CheckKeys before the TUI starts
	if o.Now != nil {
		c.Now = o.Now
	}
	if o.Ctx != nil {
		c.Ctx = o.Ctx
	}
	m := &Model{c: c, id: common.NewID(), opts: o, isDark: true}
	m.help = help.New()
	m.styleHelp()
	m.stack = []common.Screen{browse.New(c)}
	return m
}

// Common returns the shared services (for tests).
func (m *Model) Common() *common.Common { return m.c }

// Top returns the screen on top of the stack.
func (m *Model) Top() common.Screen { return m.stack[len(m.stack)-1] }

// Stack returns the screens, bottom first (for tests).
func (m *Model) Stack() []common.Screen { return m.stack }

// Init loads the first screen, asks the terminal's background colour (for
// the adaptive theme) and starts the live-sharing poll.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.Top().Init(), tea.RequestBackgroundColor, m.pollLater())
}

// Update routes messages: global keys first, then async results to their
// owner, flows to the screens they open, the rest to the top screen.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m.flowArrived(msg)
	_, cmd := m.update(msg)
	if len(m.hold.keys) > 0 && !m.holding() {
		cmd = tea.Batch(cmd, m.release())
	}
	return m, cmd
}

func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case openedMsg:
		m.hold.loading = max(m.hold.loading-1, 0)
		return m.update(msg.msg)
	case common.ExecDoneMsg:
		return m, m.execDone(msg)
	case repaintCheckMsg:
		return m, m.repaint(msg)
	case restartedMsg:
		return m, m.checkRepaint(msg.entered, msg.try)
	case holdExpiredMsg:
		if msg.seq == m.hold.seq && len(m.hold.keys) > 0 {
			m.hold.loading = 0
			m.c.ResetFlows()
			return m, m.release()
		}
		return m, nil
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tea.BackgroundColorMsg:
		if dark := msg.IsDark(); dark != m.isDark && m.opts.ThemeName == "" {
			m.isDark = dark
			m.setTheme(m.opts.theme(dark))
		}
		return m, nil
	case tea.KeyPressMsg:
		return m.updateKey(msg)
	case tea.MouseClickMsg:
		if msg.Y < 1 || msg.Y > m.bodyHeight() {
			return m, nil
		}
		msg.Y--
		return m.toTop(msg)
	case tea.MouseWheelMsg:
		msg.Y--
		return m.toTop(msg)
	case common.StatusMsg:
		return m, m.setStatus(msg)
	case clearStatusMsg:
		if msg.seq == m.statusSeq {
			m.status = common.StatusMsg{}
		}
		return m, nil
	case pollMsg:
		return m, tea.Batch(m.poll(), m.watchRuns())
	case runEndedMsg:
		return m, runEnded(msg)
	case liveMsg:
		return m, m.onLive(msg)
	case common.PushMsg:
		return m, m.push(msg.Screen)
	case common.ReplaceMsg:
		m.stack = m.stack[:len(m.stack)-1]
		return m, m.push(msg.Screen)
	case common.PopMsg:
		return m, m.pop(msg.Reload)
	case common.OpenPromptMsg:
		tab := msg.Tab
		if tab == "" && msg.Version == 0 {
			tab = m.lastTab[msg.Name]
		}
		return m, m.push(promptview.New(m.c, msg.Name, tab, msg.Version, evalws.NewTestsTab, evalws.NewRunsTab))
	case common.OpenDiffMsg:
		return m, m.push(diffscreen.New(m.c, msg.Spec))
	case common.PromoteMsg:
		if msg.Label == "" {
			return m, m.push(dialog.NewPicker(m.c, msg))
		}
		return m, m.opening(dialog.LoadPromote(m.c, msg))
	case common.RollbackMsg:
		return m, m.opening(dialog.LoadRollback(m.c, msg.Prompt, msg.Label))
	case common.RemoveLabelMsg:
		return m, m.opening(dialog.LoadRemove(m.c, msg.Prompt, msg.Label))
	case common.OpenRolloutMsg:
		return m, m.push(rollout.New(m.c, msg.Prompt, msg.Label))
	case common.RolloutChangeMsg:
		return m, m.opening(dialog.LoadRolloutChange(m.c, msg))
	case common.RunSuiteMsg:
		if m.c.Engine == nil {
			return m, common.Warn("evals are not available in this session")
		}
		return m, m.push(evalws.NewRunFormThen(m.c, msg))
	case common.OpenRunMsg:
		return m, m.push(evalws.OpenRun(m.c, msg.Prompt, msg.RunID))
	case common.CompareRunsMsg:
		return m, m.push(evalws.CompareRuns(m.c, msg.Prompt, msg.Before, msg.After))
	case common.CaseFormMsg:
		return m, m.push(caseform.New(m.c, msg))
	case common.PlaygroundMsg:
		return m, m.push(playground.New(m.c, msg.Version, playground.Options{StateDir: inlineedit.DraftDir(m.opts.Getenv)}))
	case common.EditMsg:
		if !msg.Restore && m.c.InlineEdit != msg.Other {
			return m, m.openInline(msg.Base)
		}
		return m, m.startEdit(msg)
	case inlineReady:
		return m, m.push(inlineedit.New(m.c, msg.base, msg.o))
	case editLoaded:
		if msg.err != nil {
			m.edit = editState{}
			return m, common.Error(msg.err)
		}
		m.edit.latest = msg.latest
		m.edit.doc = editor.FromVersion(msg.prompt, msg.base)
		m.edit.raw = editor.Marshal(m.edit.doc)
		return m, editor.Prepare(m.to(), m.edit.doc)
	case reopenMsg:
		if m.edit.path == "" {
			return m, nil
		}
		return m, editor.Edit(m.c, m.to(), m.edit.path)
	case quitMsg:
		return m, tea.Quit
	case discardEditMsg:
		m.discardEdit()
		return m, nil
	case keepEditMsg:
		return m, m.keepEdit(msg.text)
	case common.Addressed:
		if msg.ScreenID() == m.id {
			return m, m.updateEdit(msg)
		}
		for i := len(m.stack) - 1; i >= 0; i-- {
			s := m.stack[i]
			owner, isOwner := s.(common.Owner)
			if s.ID() == msg.ScreenID() || isOwner && owner.Owns(msg.ScreenID()) {
				var cmd tea.Cmd
				m.stack[i], cmd = s.Update(msg)
				return m, cmd
			}
		}
		return m, nil // the screen that asked is gone
	}
	return m.toTop(msg)
}

// running is implemented by screens with work in flight that ctrl+c
// cancels instead of quitting (a live eval run).
type running interface{ Running() bool }

// escaper is implemented by screens that use esc for something of their
// own before it means "back" (the list clears its filter).
type escaper interface{ HandlesEsc() bool }

func (m *Model) updateKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.c.Keys
	top := m.Top()
	if key.Matches(msg, k.Quit) {
		if r, ok := top.(running); ok && r.Running() {
			return m.toTop(msg)
		}
		return m, m.quit()
	}
	if m.holding() {
		return m, m.holdKey(msg)
	}
	if m.showAll && m.helpScroll(msg) {
		return m, nil
	}
	if m.showAll || m.showLog {
		// Any other key closes the full help or the log.
		m.showAll, m.showLog = false, false
		return m, nil
	}
	if top.Capturing() {
		return m.toTop(msg)
	}
	switch {
	case key.Matches(msg, k.Help):
		m.showAll, m.helpOff = true, 0
		return m, nil
	case key.Matches(msg, k.Theme):
		return m, m.cycleTheme()
	case key.Matches(msg, k.Log):
		m.showLog = true
		return m, nil
	case key.Matches(msg, k.Back):
		if e, ok := top.(escaper); ok && e.HandlesEsc() && msg.String() == "esc" {
			return m.toTop(msg)
		}
		if len(m.stack) == 1 {
			if msg.String() == "q" {
				return m, m.quit()
			}
			return m, nil
		}
		return m, m.pop(false)
	}
	return m.toTop(msg)
}

func (m *Model) toTop(msg tea.Msg) (tea.Model, tea.Cmd) {
	i := len(m.stack) - 1
	var cmd tea.Cmd
	m.stack[i], cmd = m.stack[i].Update(msg)
	return m, cmd
}

func (m *Model) push(s common.Screen) tea.Cmd {
	if s == nil {
		return nil
	}
	m.stack = append(m.stack, s)
	s.SetSize(m.width, m.bodyHeight())
	return s.Init()
}

func (m *Model) pop(reload bool) tea.Cmd {
	if len(m.stack) == 1 {
		return nil
	}
	if pv, ok := m.Top().(*promptview.Model); ok {
		if m.lastTab == nil {
			m.lastTab = map[string]string{}
		}
		m.lastTab[pv.Name()] = pv.Active()
	}
	m.stack = m.stack[:len(m.stack)-1]
	m.Top().SetSize(m.width, m.bodyHeight())
	if reload || m.live.below {
		m.live.below = m.live.below && len(m.stack) > 1
		return m.Top().Reload()
	}
	return nil
}

func (m *Model) setStatus(s common.StatusMsg) tea.Cmd {
	m.status = s
	m.log = append(m.log, logEntry{at: m.c.Now(), msg: s})
	if len(m.log) > maxLog {
		m.log = m.log[len(m.log)-maxLog:]
	}
	m.statusSeq++
	seq := m.statusSeq
	ttl := statusTTL
	if s.Kind == common.StatusError {
		ttl *= 2
	}
	return tea.Tick(ttl, func(time.Time) tea.Msg { return clearStatusMsg{seq: seq} })
}

func (m *Model) cycleTheme() tea.Cmd {
	if themes.NoColor(m.opts.Getenv) {
		return common.Info("NO_COLOR is set: colours stay off")
	}
	next := themes.Next(m.c.Theme.Name)
	th, err := themes.Get(next, m.isDark)
	if err != nil {
		return common.Error(err)
	}
	m.setTheme(th)
	return common.Info(themeSaid(th.Name))
}

func (m *Model) setTheme(th themes.Theme) {
	m.c.SetTheme(th)
	m.styleHelp()
}

func (m *Model) styleHelp() {
	st := m.c.Styles.Help
	m.help.Styles = help.Styles{
		ShortKey: st.Key, ShortDesc: st.Desc, ShortSeparator: st.Separator,
		FullKey: st.Key, FullDesc: st.Desc, FullSeparator: st.Separator, Ellipsis: st.Separator,
	}
}

// bodyHeight is the screen's rectangle: the terminal minus the header,
// the help line and the status bar.
func (m *Model) bodyHeight() int { return max(m.height-3, 1) }

func (m *Model) layout() {
	m.help.SetWidth(m.width)
	for _, s := range m.stack {
		s.SetSize(m.width, m.bodyHeight())
	}
}

// breadcrumb is the header: where the user is.
func (m *Model) breadcrumb() string {
	parts := []string{"verso"}
	for _, s := range m.stack[1:] {
		parts = append(parts, common.CleanLine(s.Title()))
	}
	return strings.Join(parts, " › ")
}

// String describes the state for tests.
func (m *Model) String() string {
	titles := make([]string, len(m.stack))
	for i, s := range m.stack {
		titles[i] = s.Title()
	}
	return fmt.Sprintf("stack=%q status=%q", titles, m.status.Text)
}

// quitMsg quits after the user confirmed it.
type quitMsg struct{}

// quit quits, or first asks when quitting would lose something: an edit
// not committed. A second ctrl+c on the question quits.
func (m *Model) quit() tea.Cmd {
	if d, ok := m.Top().(*dialog.Confirm); ok && d.ID() == m.quitAsk {
		return tea.Quit
	}
	var lines []string
	if m.edit.active {
		what := "a new prompt"
		if m.edit.base.Number > 0 {
			what = m.edit.base.Prompt
		}
		lines = append(lines, fmt.Sprintf("Your edit of %s is not committed: quitting throws it away.", what))
	}
	if m.c.Engine != nil {
		for _, h := range m.c.Engine.Running() {
			p := h.Progress()
			lines = append(lines, fmt.Sprintf("Run #%d is still running (%d of %d done): quitting stops it; what finished is kept, and R on the run (or verso eval --resume %d) finishes it later.", h.ID, p.Done, p.Total, h.ID))
		}
	}
	if len(lines) == 0 {
		return tea.Quit
	}
	d := dialog.New(m.c, dialog.Spec{
		Title:      "Quit Verso?",
		Lines:      lines,
		Confirm:    "quit",
		Send:       quitMsg{},
		CancelHelp: "stay",
	})
	m.quitAsk = d.ID()
	return m.push(d)
}

// openInline opens base (or a new prompt) in the inline editor.
func (m *Model) openInline(base store.Version) tea.Cmd {
	if m.c.Store.ReadOnly() {
		return common.Error(fmt.Errorf("cannot edit: %w", store.ErrReadOnly))
	}
	o := inlineedit.Options{DraftDir: inlineedit.DraftDir(m.opts.Getenv)}
	if base.Prompt == "" {
		return m.push(inlineedit.New(m.c, base, o))
	}
	// The latest version is read first (keys typed meanwhile are held for
	// the editor): "edit from here" on v3 while v8 is the latest commits
	// v9, and is no conflict.
	ctx, st := m.c.Ctx, m.c.Store
	return m.opening(func() tea.Msg {
		latest, err := st.Lookup(ctx, base.Prompt+"@latest")
		if err != nil {
			return common.Error(fmt.Errorf("edit %s: %w", base.Prompt, err))()
		}
		o.Latest = latest.Number
		return inlineReady{base: base, o: o}
	})
}

// inlineReady opens the inline editor once the latest version is known.
type inlineReady struct {
	base store.Version
	o    inlineedit.Options
}

// saveDrafts keeps the unsaved work of open editors (on quit, ctrl+c
// included: the program has stopped, so this is not in Update).
func (m *Model) saveDrafts() error {
	var errs []error
	for _, s := range m.stack {
		if d, ok := s.(interface{ SaveDraft() error }); ok {
			errs = append(errs, d.SaveDraft())
		}
	}
	return errors.Join(errs...)
}

// themeSaid is what T says: the theme lasts for this session, and how to
// keep it.
func themeSaid(name string) string {
	return fmt.Sprintf("theme: %s for this session (keep it: theme: %s in the config file, or --theme %s)", name, name, name)
}
