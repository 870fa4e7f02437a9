// Package common holds what every TUI screen shares: the services and
// styles handed down by the root model (Common), the screen contract
// (Screen), the messages screens send to the root, and small text helpers.
// Screens never talk to each other: they send messages that the root routes.
package common

import (
	"context"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/themes"
)

// Common is shared by the root and every screen. The root owns it and
// hands out one pointer: a theme switch changes Styles for everyone.
type Common struct {
	Store  *store.Store
	Engine *runner.Engine // nil when evals are unavailable
	// Providers lists the configured providers and models (for the new-run
	// form); nil when evals are unavailable.
	Providers *provider.Registry
	Author    string
	Theme     themes.Theme
	Styles    themes.Styles
	Keys      GlobalKeys
	// List are the cursor keys of every list (config overrides applied).
	List ListKeys
	// Editor is the command that edits a file ($VISUAL, $EDITOR, vi).
	Editor string
	// InlineEdit: e and n open the inline editor (no $VISUAL/$EDITOR is
	// set); E opens Editor. Otherwise the other way round.
	InlineEdit bool
	// Now is the clock for relative times ("3 hours ago"); tests fix it.
	Now func() time.Time
	// Ctx is the program's context: commands use it for I/O so that a
	// quit cancels what is in flight.
	Ctx context.Context
	// Terminal is the program's watched output (nil in tests that run
	// no program): Exec and the root use it to see the screen come back.
	Terminal *Terminal

	md *markdownCache
	// flows counts the flows sent with Flow that have not reached the
	// root yet (the root holds keys meanwhile).
	flows int
	// own are the changes this process made that no live poll has listed
	// yet: the root does not announce them as someone else's.
	own []store.Change
}

// Wrote notes changes this process has just made. Call it from Update as
// the write's result arrives (not from a later message): a live poll
// handled after it must know them.
func (c *Common) Wrote(cs ...store.Change) { c.own = append(c.own, cs...) }

// Written is what Wrote noted and no poll has listed yet.
func (c *Common) Written() []store.Change { return c.own }

// Heard reports whether a listed change is one of this process's own, and
// forgets it: a change is listed once.
func (c *Common) Heard(ch store.Change) bool {
	for i, o := range c.own {
		if o.Prompt == ch.Prompt && o.Kind == ch.Kind && o.Label == ch.Label && o.Version == ch.Version {
			c.own = append(c.own[:i], c.own[i+1:]...)
			return true
		}
	}
	return false
}

// Flow returns the command that sends a shared flow's message (promote,
// roll back, edit, open a diff...). It tells the root at once, so the keys
// typed until the flow's screen is open are held for that screen instead
// of reaching the one that sent it. Call it from Update.
func (c *Common) Flow(msg tea.Msg) tea.Cmd {
	c.flows++
	return func() tea.Msg { return msg }
}

// Flows is the number of flows sent and not yet arrived (for the root).
func (c *Common) Flows() int { return c.flows }

// FlowArrived notes that a flow's message reached the root.
func (c *Common) FlowArrived() { c.flows = max(c.flows-1, 0) }

// ResetFlows forgets flows that never arrived (the root's safety limit).
func (c *Common) ResetFlows() { c.flows = 0 }

// NewCommon returns a Common with a real clock and a background context.
func NewCommon(st *store.Store, author string, th themes.Theme) *Common {
	return &Common{
		Store:  st,
		Author: author,
		Theme:  th,
		Styles: th.Styles,
		Keys:   DefaultGlobalKeys(),
		List:   DefaultListKeys(),
		Editor: "vi",
		Now:    time.Now,
		Ctx:    context.Background(),
		md:     newMarkdownCache(),
	}
}

// SetTheme switches every screen's styles (they read c.Styles when they
// draw) and drops cached renders made with the old palette.
func (c *Common) SetTheme(th themes.Theme) {
	c.Theme = th
	c.Styles = th.Styles
	c.md = newMarkdownCache()
}

// Screen is one full-screen view on the root's stack (prompt list, prompt
// view, diff, confirmation...). The root draws the top screen into the
// rectangle it gives with SetSize, routes keys to it, and routes async
// results to the screen that asked for them by ID.
type Screen interface {
	// ID is unique per screen instance; async messages carry it (see
	// Addressed) so results reach the screen that asked even after others
	// were pushed on top.
	ID() int
	Init() tea.Cmd
	Update(tea.Msg) (Screen, tea.Cmd)
	// View renders exactly the size set by SetSize.
	View() string
	SetSize(width, height int)
	// Title is the screen's name in the breadcrumb ("support/reply", "v3 ↔ v5").
	Title() string
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	// Capturing reports that the screen is taking text input (a filter, a
	// message): the root then leaves q, ? and the theme key to it.
	Capturing() bool
	// Reload re-reads the screen's data after another process (or another
	// screen) changed the file, keeping the cursor where it is.
	Reload() tea.Cmd
}

var nextID atomic.Int64

// NewID returns a fresh screen ID (safe from commands too).
func NewID() int { return int(nextID.Add(1)) }

// Addressed is implemented by messages meant for one screen.
type Addressed interface{ ScreenID() int }

// To addresses an async message to a screen.
type To struct{ ID int }

// ScreenID implements Addressed.
func (t To) ScreenID() int { return t.ID }

// PushMsg asks the root to open a screen on top of the stack.
type PushMsg struct{ Screen Screen }

// PopMsg asks the root to close the top screen (then Reload the one below
// when Reload is set: it may show what the closed screen changed).
type PopMsg struct{ Reload bool }

// ReplaceMsg swaps the top screen for another (a confirmation becoming its
// result, a diff becoming a commit dialog).
type ReplaceMsg struct{ Screen Screen }

// StatusKind says how a status message looks.
type StatusKind int

const (
	StatusInfo StatusKind = iota
	StatusSuccess
	StatusWarning
	StatusError
)

// StatusMsg shows a transient message in the status bar. It never blocks:
// it fades after a few seconds.
type StatusMsg struct {
	Kind StatusKind
	Text string
}

// Push returns a command that opens s.
func Push(s Screen) tea.Cmd { return func() tea.Msg { return PushMsg{Screen: s} } }

// Pop returns a command that closes the top screen.
func Pop(reload bool) tea.Cmd { return func() tea.Msg { return PopMsg{Reload: reload} } }

// Replace returns a command that swaps the top screen for s.
func Replace(s Screen) tea.Cmd { return func() tea.Msg { return ReplaceMsg{Screen: s} } }

// Info, Success, Warn and Error return commands that show a status message.
func Info(text string) tea.Cmd    { return status(StatusInfo, text) }
func Success(text string) tea.Cmd { return status(StatusSuccess, text) }
func Warn(text string) tea.Cmd    { return status(StatusWarning, text) }

// Error shows err in the status bar with what to do about it (see Explain).
func Error(err error) tea.Cmd { return status(StatusError, Explain(err)) }

func status(k StatusKind, text string) tea.Cmd {
	return func() tea.Msg { return StatusMsg{Kind: k, Text: text} }
}
