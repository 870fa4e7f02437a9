package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. Callers test them with errors.Is; messages from the store
// wrap them with the name or reference involved.
var (
	ErrNotFound    = errors.New("not found")
	ErrInvalid     = errors.New("invalid input")
	ErrConflict    = errors.New("conflict")
	ErrReadOnly    = errors.New("database is read-only")
	ErrNotVerso    = errors.New("not a Verso database")
	ErrTooNew      = errors.New("database is from a newer Verso")
	ErrNoChange    = errors.New("no change")
	ErrGate        = errors.New("label is protected")
	ErrImmutable   = errors.New("immutable")
	ErrLatestLabel = errors.New(`"latest" is implicit and cannot be set`)
	ErrCorrupt     = errors.New("database file is damaged")
)

// MissingError is a prompt, label, suite or run that does not exist. It is
// ErrNotFound for errors.Is; Kind and the names let each user interface
// add its own advice (the store's message names no command or key).
type MissingError struct {
	Kind   string // MissingPrompt, MissingLabel, MissingSuite or MissingRun
	Prompt string // the prompt (for a label or suite; the name for a prompt)
	Name   string // the label, suite or run (as text)
	// Have lists what exists instead (the prompt's labels or suites).
	Have []string
	msg  string
}

// Kinds of MissingError.
const (
	MissingPrompt = "prompt"
	MissingLabel  = "label"
	MissingSuite  = "suite"
	MissingRun    = "run"
)

func (e *MissingError) Error() string { return e.msg + ": " + ErrNotFound.Error() }

// Is makes errors.Is(err, ErrNotFound) true.
func (e *MissingError) Is(target error) bool { return target == ErrNotFound }

// Kind of a version's content.
type Kind string

const (
	KindText Kind = "text"
	KindChat Kind = "chat"
)

// Dialect is the template language of a version.
type Dialect string

const (
	DialectMustache   Dialect = "mustache" // the default
	DialectJinja2     Dialect = "jinja2"
	DialectHandlebars Dialect = "handlebars"
)

// Dialects lists every dialect, the default first.
var Dialects = []Dialect{DialectMustache, DialectJinja2, DialectHandlebars}

// ValidDialect checks a dialect name; "" means mustache.
func ValidDialect(d Dialect) error {
	switch d {
	case "", DialectMustache, DialectJinja2, DialectHandlebars:
		return nil
	}
	return fmt.Errorf("unknown template dialect %q: use mustache, jinja2 or handlebars: %w", d, ErrInvalid)
}

// Message is one chat message of a chat prompt.
type Message struct {
	Role    string `json:"role" yaml:"role"`
	Content string `json:"content" yaml:"content"`
}

// Config is the model configuration stored with a version. Pointers tell
// "unset" from zero. ResponseFormat and Tools are free-form JSON values
// (OpenAI shapes) kept as decoded values so canonical JSON sorts their keys.
type Config struct {
	Model          string   `json:"model,omitempty" yaml:"model,omitempty"`
	Temperature    *float64 `json:"temperature,omitempty" yaml:"temperature,omitempty"`
	MaxTokens      int      `json:"max_tokens,omitempty" yaml:"max_tokens,omitempty"`
	TopP           *float64 `json:"top_p,omitempty" yaml:"top_p,omitempty"`
	Stop           []string `json:"stop,omitempty" yaml:"stop,omitempty"`
	Seed           *int     `json:"seed,omitempty" yaml:"seed,omitempty"`
	ResponseFormat any      `json:"response_format,omitempty" yaml:"response_format,omitempty"`
	Tools          []any    `json:"tools,omitempty" yaml:"tools,omitempty"`
}

// Prompt is a named entry of the registry.
type Prompt struct {
	ID          int64
	Name        string
	Description string
	Tags        []string
	CreatedAt   time.Time
	ArchivedAt  *time.Time
}

// Version is one immutable version of a prompt.
type Version struct {
	ID        int64
	PromptID  int64
	Prompt    string // prompt name
	Number    int
	Kind      Kind
	Dialect   Dialect   // template language; never "" when read from the store
	Template  string    // KindText
	Messages  []Message // KindChat
	Config    Config
	Message   string // commit message
	Author    string
	CreatedAt time.Time
	Parent    int // version it was edited from; 0 for none
	Hash      string
	Labels    []string // labels currently on this version, sorted (filled by readers)
	// Arm is the split arm the version was resolved through (ArmName of
	// the version), "" when the label is not a split.
	Arm string
}

// PromptSummary is one row of the prompt list: the prompt, its latest
// version's metadata and its labels (label -> version number).
type PromptSummary struct {
	Prompt
	Latest        int
	LatestAt      time.Time
	LatestAuthor  string
	LatestMessage string
	Labels        map[string]int
}

// Label is a label's current position.
type Label struct {
	Name    string
	Version int // the version; for a split, its major version
	// Split is what the label points at when it is a split (nil: Version).
	Split     *Split
	UpdatedAt time.Time
	Actor     string
}

// LabelEvent is one append-only record of a label move. From is 0 when the
// label was new; To is 0 when it was removed.
type LabelEvent struct {
	ID     int64
	Prompt string
	Label  string
	From   int
	To     int
	Actor  string
	At     time.Time
	Reason string
	RunID  int64 // eval run that justified the move, 0 if none
	Forced bool  // forced past the eval gate (with a reason)
	// FromSplit and ToSplit are the splits on either side of the move (nil:
	// the label was, or is, whole on From, To).
	FromSplit, ToSplit *Split
	// Evidence is what a rollout's step or abort was decided on (JSON of a
	// RolloutCheck), "" for other moves.
	Evidence string
}

// FromState and ToState are the two sides of a move.
func (e LabelEvent) FromState() LabelState { return LabelState{Version: e.From, Split: e.FromSplit} }

// ToState is what the label points at after the move.
func (e LabelEvent) ToState() LabelState { return LabelState{Version: e.To, Split: e.ToSplit} }

// Assertion is one check on a model output, in promptfoo's shape. The store
// keeps it as data; eval gives it meaning and validates it.
type Assertion struct {
	Type      string   `json:"type" yaml:"type"`
	Value     any      `json:"value,omitempty" yaml:"value,omitempty"`
	Threshold *float64 `json:"threshold,omitempty" yaml:"threshold,omitempty"`
	Weight    *float64 `json:"weight,omitempty" yaml:"weight,omitempty"`
	Provider  string   `json:"provider,omitempty" yaml:"provider,omitempty"`
	Metric    string   `json:"metric,omitempty" yaml:"metric,omitempty"`
}

// Suite is a named set of test cases of one prompt.
type Suite struct {
	ID          int64
	PromptID    int64
	Prompt      string
	Name        string
	Description string
	// Threshold is the per-case pass threshold on the weighted score (0 = all
	// assertions must pass), as promptfoo's defaultTest.threshold.
	Threshold float64
	Cases     []Case
	// Skipped lists what an import could not map into this suite (one
	// line each, with where it was and why): eval reports print it.
	Skipped   []string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Hash is HashSuite of the suite as it was read, when the store kept
	// it (SaveSuite writes it; any change to the cases clears it). Empty:
	// unknown, compute it. A Suite changed in memory must not keep it.
	Hash string
}

// Case is one test case.
type Case struct {
	ID         int64
	SuiteID    int64
	Position   int
	Name       string
	Vars       map[string]any
	Assertions []Assertion
	Expected   string
	Tags       []string
	Threshold  *float64 // overrides Suite.Threshold
}

// Run statuses.
const (
	RunRunning   = "running"
	RunDone      = "done"
	RunCancelled = "cancelled"
	RunFailed    = "failed"
)

// Run is one evaluation: versions x models x cases x repeats.
type Run struct {
	ID       int64
	PromptID int64
	Prompt   string
	Suite    string
	SuiteID  int64
	Versions []int
	Models   []string // "provider/model"
	Repeat   int
	Settings json.RawMessage // runner settings (concurrency, cache, ...), free-form
	// Status is running, done, cancelled or failed as stored; a reader
	// sees RunInterrupted for a running run whose owner is gone (lease.go).
	Status     string
	StartedAt  time.Time
	FinishedAt *time.Time
	Total      int             // planned results
	Summary    json.RawMessage // eval's summary, free-form JSON
	// Owner holds the run's lease (NewOwner) and Heartbeat is its last
	// renewal; both empty for runs made before leases.
	Owner     string
	Heartbeat time.Time
	// SuiteHash is HashSuite of the cases the run was made on. A run is
	// gate evidence only while its suite still has that hash.
	SuiteHash string
}

// AssertionResult is the outcome of one assertion on one output.
type AssertionResult struct {
	Type   string  `json:"type"`
	Pass   bool    `json:"pass"`
	Score  float64 `json:"score"`
	Reason string  `json:"reason,omitempty"`
	Weight float64 `json:"weight,omitempty"`
	// Pending: a comparison assertion (select-best, max-score) that waits
	// for the other outputs of its case; its result's Pass is false until
	// the runner's comparison pass replaces it.
	Pending bool `json:"pending,omitempty"`
}

// Result is one (run, version, model, case, repeat) outcome.
type Result struct {
	ID         int64
	RunID      int64
	Version    int
	Model      string
	CaseID     int64
	CaseName   string
	Repeat     int
	Output     string
	Assertions []AssertionResult
	Score      float64
	Pass       bool
	LatencyMS  int64
	TokensIn   int
	TokensOut  int
	Cost       float64
	Error      string
	Cached     bool
	CreatedAt  time.Time
	// FinishReason is why the model stopped (stop, length, tool_calls,
	// content_filter; "" when unknown).
	FinishReason string
	// UsageUnknown: the server reported no token usage, so TokensIn,
	// TokensOut and Cost are unknown (not zero).
	UsageUnknown bool
}

// CachedResponse is a stored model response keyed by the request hash.
type CachedResponse struct {
	Key          string
	Output       string
	TokensIn     int
	TokensOut    int
	LatencyMS    int64
	CreatedAt    time.Time
	FinishReason string
	UsageUnknown bool
}

// GateSettings is the eval gate: a protected label (production by default)
// may only move to a version with a passing run. Stored in the database
// (SetGate) so the CLI, TUI and every application sharing the file enforce
// the same policy.
type GateSettings struct {
	Protected    []string  // labels that need evidence
	MinPassRate  float64   // 1.0 = every case must pass
	DefaultSuite string    // suite name that counts as evidence ("default")
	UpdatedBy    string    `json:",omitempty"` // who last set it (SetGate)
	UpdatedAt    time.Time `json:",omitzero"`  // when (set by SetGate)
}
