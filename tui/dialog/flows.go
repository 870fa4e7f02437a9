package dialog

import (
	"context"
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

// LoadPromote reads what a label move changes and opens its confirmation:
// the diff from the version the label holds now, the store's gate
// decision, and a reason to record. It runs as a command.
func LoadPromote(c *common.Common, req common.PromoteMsg) tea.Cmd {
	return loadPromote(c, req, stale{})
}

// stale describes a confirmation shown again because the label moved
// between the first one and the user's enter: the text already typed and
// one line of what changed. Zero: a first confirmation.
type stale struct {
	text   string
	notice string
}

func (s stale) again() bool { return s.notice != "" }

// open pushes a first confirmation, or replaces the stale one with spec
// (keeping what was typed).
func (s stale) open(c *common.Common, spec Spec) tea.Msg {
	if !s.again() {
		return common.PushMsg{Screen: New(c, spec)}
	}
	spec.Value = s.text
	spec.Notice = s.notice
	return common.ReplaceMsg{Screen: New(c, spec)}
}

// fail reports err, closing a stale confirmation that no longer applies.
func (s stale) fail(kind common.StatusKind, text string) tea.Msg {
	st := common.StatusMsg{Kind: kind, Text: text}
	if !s.again() {
		return st
	}
	if kind == common.StatusInfo {
		st.Text = s.notice + "; " + text
	}
	return tea.BatchMsg{common.Pop(false), func() tea.Msg { return st }}
}

func loadPromote(c *common.Common, req common.PromoteMsg, was stale) tea.Cmd {
	ctx := c.Ctx
	return func() tea.Msg {
		if err := store.ValidLabel(req.Label); err != nil {
			return was.fail(common.StatusError, common.Explain(err))
		}
		target, err := c.Store.Version(ctx, req.Prompt, req.Version)
		if err != nil {
			return was.fail(common.StatusError, common.Explain(err))
		}
		labels, err := c.Store.Labels(ctx, req.Prompt)
		if err != nil {
			return was.fail(common.StatusError, common.Explain(err))
		}
		var cur store.Version
		whole := true
		for _, l := range labels {
			if l.Name == req.Label {
				whole = l.Split == nil
				if l.Version == req.Version {
					return was.fail(common.StatusInfo, fmt.Sprintf("%s is already on v%d", req.Label, req.Version))
				}
				if cur, err = c.Store.Version(ctx, req.Prompt, l.Version); err != nil {
					return was.fail(common.StatusError, common.Explain(err))
				}
			}
		}
		gate, err := c.Store.DecideGate(ctx, req.Prompt, req.Label, req.Version)
		if err != nil {
			return was.fail(common.StatusError, common.Explain(err))
		}
		lines := []string{}
		if cur.Number > 0 {
			lines = append(lines, fmt.Sprintf("%s moves from v%d to v%d.", req.Label, cur.Number, req.Version))
		} else {
			lines = append(lines, fmt.Sprintf("%s is new: it will point at v%d.", req.Label, req.Version))
		}
		lines = append(lines, req.Evidence...)
		if l := GateLine(gate); l != "" {
			lines = append(lines, l)
		}
		diff := common.VersionDiff(c, cur, target)
		from := cur.Number // what the user confirms the label moves from
		in := store.LabelInput{Prompt: req.Prompt, Label: req.Label, Version: req.Version, Actor: c.Author, RunID: req.RunID, ExpectFrom: &from}
		move := func(force bool) func(context.Context, string) (string, []store.Change, error) {
			return func(ctx context.Context, reason string) (string, []store.Change, error) {
				in := in
				in.Reason, in.Force = reason, force
				ev, err := c.Store.SetLabel(ctx, in)
				if err != nil {
					return "", nil, err
				}
				msg := fmt.Sprintf("%s %s → v%d", req.Prompt, req.Label, req.Version)
				if ev.Forced {
					msg += " (forced past the gate)"
				}
				return msg, []store.Change{labelChange(ev)}, nil
			}
		}
		spec := Spec{
			Title:       fmt.Sprintf("Promote %s v%d to %s", req.Prompt, req.Version, req.Label),
			Lines:       lines,
			Diff:        &diff,
			Input:       "Reason",
			Placeholder: "why this version (recorded in the label history)",
			Confirm:     "move " + req.Label,
			Do:          move(false),
			Refused:     gate.Refused(),
			Again: func(text, notice string) tea.Cmd {
				return loadPromote(c, req, stale{text: text, notice: notice})
			},
		}
		if gate.Verdict != store.GateNotGated {
			spec.Force = move(true)
		}
		if cur.Number > 0 && whole {
			if r, err := c.Store.LatestRollout(ctx, req.Prompt, req.Label); err != nil || !r.Live() {
				spec.Alt = stagedRollout(c, req, from, gate.Verdict != store.GateNotGated)
				spec.Confirm = "move " + req.Label + " now"
				spec.Lines = append(spec.Lines, fmt.Sprintf("%s starts a staged rollout instead: %s of units on v%d, one step every %s once its guards are healthy (%s, %d events each); a breach puts v%d back on 100%%.",
					spec.Alt.Key, stepsText(defaultSteps), req.Version, common.Every(time.Hour), strings.Join(store.DefaultGuards, ", "), defaultMinRequests, cur.Number))
			}
		}
		if gate.Refused() {
			then := req
			spec.Gate = &common.RunSuiteMsg{Prompt: req.Prompt, Versions: []int{req.Version}, Suite: gate.Gate.DefaultSuite, Then: &then}
		}
		return was.open(c, spec)
	}
}

// GateLine is the store's gate decision as the confirmation shows it,
// with what the TUI offers ("" when the label is not protected).
func GateLine(d store.GateDecision) string {
	if d.Reason == store.GateNotProtected {
		return ""
	}
	text := d.Explain()
	if d.ByLocalGate {
		text = strings.Replace(text, d.Label+" is protected", d.Label+" is protected (by your config file's gate section)", 1)
	}
	switch d.Reason {
	case store.GatePassed:
		return "Gate: " + text + ". ✓"
	case store.GateNoSuite:
		return "Gate: " + text + "."
	}
	return "Gate: " + text + ": " + common.GateAdvice(d) + "."
}

// LoadRollback opens the confirmation of a label's rollback to the version
// it held before its last move (or its removal, when it was new then). It
// runs as a command.
func LoadRollback(c *common.Common, prompt, label string) tea.Cmd {
	return loadRollback(c, prompt, label, stale{})
}

func loadRollback(c *common.Common, prompt, label string, was stale) tea.Cmd {
	ctx := c.Ctx
	return func() tea.Msg {
		target, err := c.Store.RollbackTarget(ctx, prompt, label)
		if err != nil {
			return was.fail(common.StatusError, common.Explain(err))
		}
		labels, err := c.Store.Labels(ctx, prompt)
		if err != nil {
			return was.fail(common.StatusError, common.Explain(err))
		}
		cur := 0
		for _, l := range labels {
			if l.Name == label {
				cur = l.Version
			}
		}
		if cur == 0 {
			return was.fail(common.StatusError, fmt.Sprintf("%s has no label %s to roll back", prompt, label))
		}
		if cur == target {
			return was.fail(common.StatusInfo, fmt.Sprintf("%s is already on v%d, the version it held before its last move", label, cur))
		}
		from, err := c.Store.Version(ctx, prompt, cur)
		if err != nil {
			return was.fail(common.StatusError, common.Explain(err))
		}
		var to store.Version
		lines := []string{}
		if target > 0 {
			if to, err = c.Store.Version(ctx, prompt, target); err != nil {
				return was.fail(common.StatusError, common.Explain(err))
			}
			lines = append(lines, fmt.Sprintf("%s goes back from v%d to v%d, the version it held before its last move.", label, cur, target))
		} else {
			lines = append(lines, fmt.Sprintf("%s did not exist before its last move: rolling back removes it from v%d.", label, cur))
		}
		// A protected label is gated like a move; its removal needs force
		// and a reason.
		gate, err := c.Store.DecideGate(ctx, prompt, label, target)
		if err != nil {
			return was.fail(common.StatusError, common.Explain(err))
		}
		if l := GateLine(gate); l != "" {
			lines = append(lines, l)
		}
		diff := common.VersionDiff(c, from, to)
		if target == 0 {
			diff = common.DiffSpec{Title: prompt + " " + label, LeftTitle: common.VersionTitle(from), RightTitle: "(removed)", Left: common.VersionText(from)}
		}
		expectFrom, expectTo := cur, target // what the user confirms
		rollback := func(force bool) func(context.Context, string) (string, []store.Change, error) {
			return func(ctx context.Context, reason string) (string, []store.Change, error) {
				var ev store.LabelEvent
				var err error
				if target == 0 {
					// store.Rollback refuses a label that was new at its last
					// move; the dialog promised to remove it.
					r := "rollback"
					if reason != "" {
						r = "rollback: " + reason
					}
					if force && reason == "" {
						r = ""
					}
					ev, err = c.Store.RemoveLabel(ctx, store.RemoveLabelInput{Prompt: prompt, Label: label, Actor: c.Author, Reason: r, Force: force, ExpectFrom: &expectFrom})
				} else {
					ev, err = c.Store.Rollback(ctx, store.RollbackInput{Prompt: prompt, Label: label, Actor: c.Author, Reason: reason, Force: force, ExpectFrom: &expectFrom, ExpectTo: &expectTo})
				}
				if err != nil {
					return "", nil, err
				}
				if ev.To == 0 {
					return fmt.Sprintf("%s %s removed", prompt, label), []store.Change{labelChange(ev)}, nil
				}
				return fmt.Sprintf("%s %s rolled back to v%d", prompt, label, ev.To), []store.Change{labelChange(ev)}, nil
			}
		}
		verb := "roll back"
		if target == 0 {
			verb = "remove " + label
		}
		spec := Spec{
			Title:       fmt.Sprintf("Roll back %s %s", prompt, label),
			Lines:       lines,
			Diff:        &diff,
			Input:       "Reason",
			Placeholder: "why (recorded in the label history)",
			Confirm:     verb,
			Do:          rollback(false),
			Refused:     gate.Refused(),
			Again: func(text, notice string) tea.Cmd {
				return loadRollback(c, prompt, label, stale{text: text, notice: notice})
			},
		}
		if gate.Verdict != store.GateNotGated {
			spec.Force = rollback(true)
		}
		if gate.Refused() && target > 0 {
			spec.Gate = &common.RunSuiteMsg{Prompt: prompt, Versions: []int{target}, Suite: gate.Gate.DefaultSuite}
		}
		return was.open(c, spec)
	}
}

// CommitSpec asks for a commit message under the diff of what is
// committed. base is the version the edit started from (Number 0 for a new
// prompt).
func CommitSpec(c *common.Common, base store.Version, in store.CommitInput, title string) Spec {
	next := store.Version{Prompt: in.Name, Number: base.Number + 1, Kind: in.Kind, Template: in.Template, Messages: in.Messages, Config: in.Config}
	if base.Number == 0 {
		next.Number = 1
	}
	diff := common.VersionDiff(c, base, next)
	diff.RightTitle = "new version"
	return Spec{
		Title:       title,
		Lines:       []string{fmt.Sprintf("Commits a new version of %s.", in.Name)},
		Diff:        &diff,
		Input:       "Commit message",
		Placeholder: "what changed and why",
		Required:    true,
		Confirm:     "commit",
		Do: func(ctx context.Context, msg string) (string, []store.Change, error) {
			in := in
			in.Message, in.Author = msg, c.Author
			v, err := c.Store.Commit(ctx, in)
			if err != nil {
				return "", nil, err
			}
			return fmt.Sprintf("committed %s v%d", v.Prompt, v.Number),
				[]store.Change{{Prompt: v.Prompt, Kind: "version", Version: v.Number, Actor: v.Author, At: v.CreatedAt}}, nil
		},
	}
}

func labelChange(ev store.LabelEvent) store.Change {
	return store.Change{Prompt: ev.Prompt, Kind: "label", Label: ev.Label, Version: ev.To, From: ev.From, Actor: ev.Actor, At: ev.At}
}

// The plan of a staged rollout started from the promote dialog: the
// command line's defaults (verso rollout start).
var (
	defaultSteps       = []int{5, 25, 50, 100}
	defaultMinRequests = int64(100)
)

func stepsText(steps []int) string {
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = fmt.Sprintf("%d%%", s)
	}
	return strings.Join(parts, " → ")
}

// stagedRollout is the promote dialog's other way: a staged rollout of the
// label to the version, with the command line's defaults, confirmed
// against the version the label was on (from); the gate decides as for
// the CLI (ctrl+f forces it with the reason when gated). It opens the
// Rollout view when it has started.
func stagedRollout(c *common.Common, req common.PromoteMsg, from int, gated bool) *Alt {
	start := func(force bool) func(context.Context, string) (string, []store.Change, error) {
		return func(ctx context.Context, reason string) (string, []store.Change, error) {
			expect := from
			r, err := c.Store.StartRollout(ctx, store.RolloutInput{Prompt: req.Prompt, Label: req.Label, To: req.Version, Steps: defaultSteps,
				Every: time.Hour, Guards: store.DefaultGuards, MinRequests: defaultMinRequests, Actor: c.Author, Reason: reason, Force: force, ExpectFrom: &expect})
			if err != nil {
				return "", nil, err
			}
			var changes []store.Change
			if evs, err := c.Store.LabelHistory(ctx, req.Prompt); err == nil && len(evs) > 0 {
				changes = append(changes, labelChange(evs[len(evs)-1]))
			}
			msg := fmt.Sprintf("%s %s: rollout %d to v%d started at %d%%", req.Prompt, req.Label, r.ID, r.To, r.Steps[0])
			if force {
				msg += " (forced past the gate)"
			}
			return msg, changes, nil
		}
	}
	alt := &Alt{Key: "ctrl+s", Help: "start a staged rollout", Do: start(false),
		Done: common.OpenRolloutMsg{Prompt: req.Prompt, Label: req.Label}}
	if gated {
		alt.Force = start(true)
	}
	return alt
}

// LoadRemove opens the confirmation of a label's removal: what it points
// at, the gate's decision (a protected label is only removed by force,
// with a reason), a reason to record. The removal is confirmed against the
// version the label was on when this was read. It runs as a command.
func LoadRemove(c *common.Common, prompt, label string) tea.Cmd {
	return loadRemove(c, prompt, label, stale{})
}

func loadRemove(c *common.Common, prompt, label string, was stale) tea.Cmd {
	ctx := c.Ctx
	return func() tea.Msg {
		labels, err := c.Store.Labels(ctx, prompt)
		if err != nil {
			return was.fail(common.StatusError, common.Explain(err))
		}
		var cur store.Label
		for _, l := range labels {
			if l.Name == label {
				cur = l
			}
		}
		if cur.Version == 0 {
			return was.fail(common.StatusError, fmt.Sprintf("%s has no label %s to remove", prompt, label))
		}
		at := fmt.Sprintf("v%d", cur.Version)
		if cur.Split != nil {
			at = "the split " + cur.Split.String()
		}
		lines := []string{fmt.Sprintf("%s is removed from %s: whoever resolves %s@%s gets an error until it is set again.", label, at, prompt, label)}
		gate, err := c.Store.DecideGate(ctx, prompt, label, 0)
		if err != nil {
			return was.fail(common.StatusError, common.Explain(err))
		}
		if l := GateLine(gate); l != "" {
			lines = append(lines, l)
		}
		from, err := c.Store.Version(ctx, prompt, cur.Version)
		if err != nil {
			return was.fail(common.StatusError, common.Explain(err))
		}
		diff := common.DiffSpec{Title: prompt + " " + label, LeftTitle: common.VersionTitle(from), RightTitle: "(removed)", Left: common.VersionText(from)}
		expect := cur.Version
		remove := func(force bool) func(context.Context, string) (string, []store.Change, error) {
			return func(ctx context.Context, reason string) (string, []store.Change, error) {
				ev, err := c.Store.RemoveLabel(ctx, store.RemoveLabelInput{Prompt: prompt, Label: label, Actor: c.Author, Reason: reason, Force: force, ExpectFrom: &expect})
				if err != nil {
					return "", nil, err
				}
				msg := fmt.Sprintf("%s %s removed", prompt, label)
				if ev.Forced {
					msg += " (forced past the gate)"
				}
				return msg, []store.Change{labelChange(ev)}, nil
			}
		}
		spec := Spec{
			Title:       fmt.Sprintf("Remove %s from %s", label, prompt),
			Lines:       lines,
			Diff:        &diff,
			Input:       "Reason",
			Placeholder: "why (recorded in the label history)",
			Confirm:     "remove " + label,
			Do:          remove(false),
			Refused:     gate.Refused(),
			ForceHelp:   "remove it anyway with this reason",
			Again: func(text, notice string) tea.Cmd {
				return loadRemove(c, prompt, label, stale{text: text, notice: notice})
			},
		}
		if gate.Verdict != store.GateNotGated {
			spec.Force = remove(true)
		}
		return was.open(c, spec)
	}
}
