package common

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/store"
)

// Tab is one tab of the prompt view (Content, History, Labels, Tests,
// Runs). The prompt view draws the tab bar and hands the active tab the
// rest of its rectangle. Async messages for a tab are addressed with its ID.
type Tab interface {
	ID() int
	Name() string
	Init() tea.Cmd
	Update(tea.Msg) (Tab, tea.Cmd)
	View() string
	SetSize(width, height int)
	ShortHelp() []key.Binding
	FullHelp() [][]key.Binding
	Capturing() bool
	Reload() tea.Cmd
}

// Owner is implemented by screens that host children with their own IDs
// (the prompt view's tabs): the root delivers an Addressed message to the
// screen that owns its ID.
type Owner interface{ Owns(id int) bool }

// The messages below open the shared flows. Any screen can send them; the
// root turns them into screens, so screen packages do not import each
// other.

// DiffSpec describes two texts to compare on the diff screen.
type DiffSpec struct {
	Title       string // breadcrumb, e.g. "support/reply v3 ↔ v5"
	LeftTitle   string // column titles, e.g. "v3 · production"
	RightTitle  string
	Header      []string // lines above the diff (messages, authors, labels); untrusted
	Left, Right string   // untrusted texts
	// Configs, when both are set, add the model-config changes.
	LeftConfig, RightConfig *store.Config
	// Dialects, when they differ, add a dialect change above the config.
	LeftDialect, RightDialect store.Dialect
}

// OpenDiffMsg opens the diff screen.
type OpenDiffMsg struct{ Spec DiffSpec }

// PromoteMsg opens the promote confirmation: which label (Label preset when
// not empty), what changes, a reason, then the gate. Evidence lines (a
// run's figures) are shown and RunID is recorded with the move.
type PromoteMsg struct {
	Prompt   string
	Version  int
	Label    string
	RunID    int64
	Evidence []string
}

// RollbackMsg opens the rollback confirmation of a label.
type RollbackMsg struct {
	Prompt string
	Label  string
}

// RunSuiteMsg opens the new-run form of a prompt with versions preselected
// (the gate offers it when production has no evidence).
type RunSuiteMsg struct {
	Prompt   string
	Versions []int
	Suite    string // "" = the default suite
	// Then is the promotion the run was started for (ctrl+r in a refused
	// promotion): when the run finishes with every case of the version
	// passing, the promotion opens again with the run as its evidence.
	Then *PromoteMsg
}

// OpenRunMsg opens a stored run's results matrix (live when it is running
// in this process).
type OpenRunMsg struct {
	Prompt string
	RunID  int64
}

// CompareRunsMsg opens the comparison of two runs of a prompt.
type CompareRunsMsg struct {
	Prompt        string
	Before, After int64
}

// OpenPromptMsg opens a prompt's view (on a tab, at a version: 0 = the
// latest).
type OpenPromptMsg struct {
	Name    string
	Tab     string // "" = Content
	Version int
}

// EditMsg opens a version in the author's editor; on return the root shows
// the diff and asks for a commit message. A zero Base (no Prompt) creates a
// new prompt. Restore commits Base as it is, after the same confirmation.
//
// Which editor: the inline editor when no $VISUAL/$EDITOR is set, else the
// external one; Other asks for the one that is not the default (E).
type EditMsg struct {
	Base    store.Version
	Restore bool
	Other   bool
}

// CaseFormMsg opens the test case form: a new case of Suite (SuiteID 0:
// the suite is created with it), or Old. Vars are the prompt's variables.
// YAML, when set, is sent back (to the screen that asked) on ctrl+y.
type CaseFormMsg struct {
	Prompt  string
	Vars    []string
	SuiteID int64
	Suite   string
	Old     *store.Case
	YAML    tea.Msg
}

// PlaygroundMsg opens the playground on a version: fill its variables,
// run it on one or more models, compare the answers, keep a case.
type PlaygroundMsg struct{ Version store.Version }

// OpenRolloutMsg opens the rollout view of a prompt's label: the plan,
// the guards with their figures, per-arm charts and the A/B readout.
type OpenRolloutMsg struct {
	Prompt string
	Label  string
}

// RolloutChangeMsg opens the confirmation of a hand-made change of a
// label's live rollout (advance, pause, resume, abort).
type RolloutChangeMsg struct {
	Prompt string
	Label  string
	Action store.RolloutAction
}

// RemoveLabelMsg opens the confirmation of a label's removal.
type RemoveLabelMsg struct {
	Prompt string
	Label  string
}
