package dialog

import (
	"context"
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

// LoadPromote reads what a label move changes and opens its confirmation:
// the diff from the version the label holds now, the gate's evidence, and
// a reason to record. It runs as a command.
func LoadPromote(c *common.Common, req common.PromoteMsg) tea.Cmd {
	ctx := c.Ctx
	return func() tea.Msg {
		if err := store.ValidLabel(req.Label); err != nil {
			return common.StatusMsg{Kind: common.StatusError, Text: common.Explain(err)}
		}
		target, err := c.Store.Version(ctx, req.Prompt, req.Version)
		if err != nil {
			return common.StatusMsg{Kind: common.StatusError, Text: common.Explain(err)}
		}
		labels, err := c.Store.Labels(ctx, req.Prompt)
		if err != nil {
			return common.StatusMsg{Kind: common.StatusError, Text: common.Explain(err)}
		}
		var cur store.Version
		for _, l := range labels {
			if l.Name == req.Label {
				if l.Version == req.Version {
					return common.StatusMsg{Kind: common.StatusInfo, Text: fmt.Sprintf("%s is already on v%d", req.Label, req.Version)}
				}
				if cur, err = c.Store.Version(ctx, req.Prompt, l.Version); err != nil {
					return common.StatusMsg{Kind: common.StatusError, Text: common.Explain(err)}
				}
			}
		}
		lines := []string{}
		if cur.Number > 0 {
			lines = append(lines, fmt.Sprintf("%s moves from v%d to v%d.", req.Label, cur.Number, req.Version))
		} else {
			lines = append(lines, fmt.Sprintf("%s is new: it will point at v%d.", req.Label, req.Version))
		}
		lines = append(lines, req.Evidence...)
		gate, err := c.Store.EffectiveGate(ctx)
		if err != nil {
			return common.StatusMsg{Kind: common.StatusError, Text: common.Explain(err)}
		}
		protected := false
		for _, p := range gate.Protected {
			protected = protected || p == req.Label
		}
		runID := req.RunID
		passing := false
		if protected {
			ev, err := c.Store.GateEvidence(ctx, req.Prompt, req.Version)
			switch {
			case err == nil && ev.PassRate+1e-9 >= gate.MinPassRate:
				lines = append(lines, fmt.Sprintf("Gate: %s is protected; run #%d on suite %q passed %d/%d. ✓", req.Label, ev.RunID, ev.Suite, ev.Passed, ev.Total))
				passing = true
				if runID == 0 {
					runID = ev.RunID
				}
			case err == nil:
				lines = append(lines, fmt.Sprintf("Gate: %s is protected; run #%d on suite %q passed %d/%d (%.0f%%), it needs %.0f%%: ctrl+r runs it again.", req.Label, ev.RunID, ev.Suite, ev.Passed, ev.Total, ev.PassRate*100, gate.MinPassRate*100))
			case errors.Is(err, store.ErrNotFound):
				if _, serr := c.Store.Suite(ctx, req.Prompt, gate.DefaultSuite); errors.Is(serr, store.ErrNotFound) {
					protected = false
					lines = append(lines, fmt.Sprintf("Gate: %s is protected, but %s has no %q suite to check: the move is not gated.", req.Label, req.Prompt, gate.DefaultSuite))
				} else {
					lines = append(lines, fmt.Sprintf("Gate: %s is protected and v%d has no finished run on suite %q since it was made: ctrl+r runs it.", req.Label, req.Version, gate.DefaultSuite))
				}
			default:
				return common.StatusMsg{Kind: common.StatusError, Text: common.Explain(err)}
			}
		}
		diff := common.VersionDiff(c, cur, target)
		in := store.LabelInput{Prompt: req.Prompt, Label: req.Label, Version: req.Version, Actor: c.Author, RunID: runID}
		move := func(force bool) func(context.Context, string) (string, []store.Change, error) {
			return func(ctx context.Context, reason string) (string, []store.Change, error) {
				in := in
				in.Reason, in.Force = reason, force
				if force && reason == "" {
					return "", nil, fmt.Errorf("a forced move needs a reason: type it, then ctrl+f")
				}
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
		}
		if protected {
			spec.Force = move(true)
			if !passing {
				spec.Gate = &common.RunSuiteMsg{Prompt: req.Prompt, Versions: []int{req.Version}, Suite: gate.DefaultSuite}
			}
		}
		return common.PushMsg{Screen: New(c, spec)}
	}
}

// LoadRollback opens the confirmation of a label's rollback to the version
// it held before its last move. It runs as a command.
func LoadRollback(c *common.Common, prompt, label string) tea.Cmd {
	ctx := c.Ctx
	return func() tea.Msg {
		target, err := c.Store.RollbackTarget(ctx, prompt, label)
		if err != nil {
			return common.StatusMsg{Kind: common.StatusError, Text: common.Explain(err)}
		}
		labels, err := c.Store.Labels(ctx, prompt)
		if err != nil {
			return common.StatusMsg{Kind: common.StatusError, Text: common.Explain(err)}
		}
		cur := 0
		for _, l := range labels {
			if l.Name == label {
				cur = l.Version
			}
		}
		if cur == 0 {
			return common.StatusMsg{Kind: common.StatusError, Text: fmt.Sprintf("%s has no label %s to roll back", prompt, label)}
		}
		var from, to store.Version
		if cur > 0 {
			if from, err = c.Store.Version(ctx, prompt, cur); err != nil {
				return common.StatusMsg{Kind: common.StatusError, Text: common.Explain(err)}
			}
		}
		lines := []string{}
		if target > 0 {
			if to, err = c.Store.Version(ctx, prompt, target); err != nil {
				return common.StatusMsg{Kind: common.StatusError, Text: common.Explain(err)}
			}
			lines = append(lines, fmt.Sprintf("%s goes back from v%d to v%d, the version it held before its last move.", label, cur, target))
		} else {
			lines = append(lines, fmt.Sprintf("%s did not exist before its last move: rolling back removes it.", label))
		}
		// A protected label is gated like a move (removal: force only).
		gate, err := c.Store.DecideGate(ctx, prompt, label, target)
		if err != nil {
			return common.StatusMsg{Kind: common.StatusError, Text: common.Explain(err)}
		}
		if gate.Reason != store.GateNotProtected {
			lines = append(lines, "Gate: "+gate.Explain()+".")
		}
		diff := common.VersionDiff(c, from, to)
		if target == 0 {
			diff = common.DiffSpec{Title: prompt + " " + label, LeftTitle: common.VersionTitle(from), RightTitle: "(removed)", Left: common.VersionText(from)}
		}
		rollback := func(force bool) func(context.Context, string) (string, []store.Change, error) {
			return func(ctx context.Context, reason string) (string, []store.Change, error) {
				if force && reason == "" {
					return "", nil, fmt.Errorf("a forced change needs a reason: type it, then ctrl+f")
				}
				var ev store.LabelEvent
				var err error
				if target == 0 {
					// store.Rollback refuses a label that was new at its last
					// move; the dialog promised to remove it.
					r := "rollback"
					if reason != "" {
						r = "rollback: " + reason
					}
					ev, err = c.Store.RemoveLabel(ctx, store.RemoveLabelInput{Prompt: prompt, Label: label, Actor: c.Author, Reason: r, Force: force})
				} else {
					ev, err = c.Store.Rollback(ctx, store.RollbackInput{Prompt: prompt, Label: label, Actor: c.Author, Reason: reason, Force: force})
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
		spec := Spec{
			Title:       fmt.Sprintf("Roll back %s %s", prompt, label),
			Lines:       lines,
			Diff:        &diff,
			Input:       "Reason",
			Placeholder: "why (recorded in the label history)",
			Confirm:     "roll back",
			Do:          rollback(false),
		}
		if gate.Refused() {
			spec.Force = rollback(true)
		}
		return common.PushMsg{Screen: New(c, spec)}
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
