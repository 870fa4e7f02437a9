package dialog

import (
	"context"
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

// LoadRolloutChange reads a label's rollout and opens the confirmation of
// a hand-made change (advance, pause, resume, abort): what it is now, what
// the change does, the guards as they read now. The change is confirmed
// against the rollout as read here (store.ChangeRolloutSeen): when another
// process, the clock or a guard changed it before enter, the confirmation
// is shown again with the rollout as it is then. It runs as a command.
func LoadRolloutChange(c *common.Common, req common.RolloutChangeMsg) tea.Cmd {
	return loadRolloutChange(c, req, stale{})
}

func loadRolloutChange(c *common.Common, req common.RolloutChangeMsg, was stale) tea.Cmd {
	ctx := c.Ctx
	return func() tea.Msg {
		r, err := c.Store.LatestRollout(ctx, req.Prompt, req.Label)
		if err != nil {
			return was.fail(common.StatusError, common.Explain(err))
		}
		check, _, err := c.Store.PeekRollout(ctx, req.Prompt, req.Label)
		if err != nil {
			return was.fail(common.StatusError, common.Explain(err))
		}
		now := check.At // the store's clock, as the change will be judged
		seen := r.Seen(now)
		if !r.Live() {
			return was.fail(common.StatusInfo, fmt.Sprintf("rollout %d of %s %s is %s: there is nothing to %s", r.ID, req.Prompt, req.Label, r.State, req.Action))
		}
		w := r.Steps[seen.Step]
		lines := []string{fmt.Sprintf("Rollout %d of %s %s: v%d → v%d, %s at %d%% (%s).", r.ID, req.Prompt, req.Label, r.From, r.To, r.State, w, common.SplitText(r, w)),
			"Plan: " + common.StepBar(r, now) + ", one step every " + common.Every(r.Every) + "."}
		spec := Spec{
			Input:       "Reason",
			Placeholder: "why (recorded in the label history)",
			Again: func(text, notice string) tea.Cmd {
				return loadRolloutChange(c, req, stale{text: text, notice: notice})
			},
		}
		switch req.Action {
		case store.RolloutAdvance:
			if r.State == store.RolloutPaused {
				return was.fail(common.StatusWarning, fmt.Sprintf("rollout %d is paused: r resumes it before advancing", r.ID))
			}
			next := r.Steps[seen.Step+1]
			spec.Title = fmt.Sprintf("Advance the rollout of %s %s to %d%%", req.Prompt, req.Label, next)
			change := fmt.Sprintf("Advancing writes the next step now, before its time and whatever the guards say: %s becomes %s.", common.SplitText(r, w), common.SplitText(r, next))
			if next == 100 {
				change = fmt.Sprintf("Advancing writes the last step now, whatever the guards say: %s moves to v%d for everyone and the rollout is done.", req.Label, r.To)
			}
			lines = append(lines, change)
			spec.Confirm = "advance"
		case store.RolloutPause:
			if r.State == store.RolloutPaused {
				return was.fail(common.StatusInfo, fmt.Sprintf("rollout %d is already paused", r.ID))
			}
			spec.Title = fmt.Sprintf("Pause the rollout of %s %s at %d%%", req.Prompt, req.Label, w)
			lines = append(lines, fmt.Sprintf("Pausing holds %s: the split stays as it is and the clock stops for this step until you resume it (guards are still read, not acted on).", common.SplitText(r, w)))
			spec.Confirm = "pause"
		case store.RolloutResume:
			if r.State == store.RolloutRunning {
				return was.fail(common.StatusInfo, fmt.Sprintf("rollout %d is running", r.ID))
			}
			spec.Title = fmt.Sprintf("Resume the rollout of %s %s at %d%%", req.Prompt, req.Label, w)
			paused := now.Sub(r.PausedAt)
			line := fmt.Sprintf("Resuming runs the clock again from %d%%; the %s it was paused do not count towards the next step.", w, common.Wait(paused))
			if seen.Step < len(r.Steps)-1 {
				left := r.StepAt.Add(paused).Add(r.Every).Sub(now)
				line += fmt.Sprintf(" %d%% follows in %s, once its guards are healthy.", r.Steps[seen.Step+1], common.Wait(left))
			}
			lines = append(lines, line)
			spec.Confirm = "resume"
		case store.RolloutAbort:
			spec.Title = fmt.Sprintf("Abort the rollout of %s %s at %d%%", req.Prompt, req.Label, w)
			lines = append(lines, fmt.Sprintf("Aborting puts v%d back to 100%% of %s at once and ends the rollout; the guards' figures now are recorded with it in the label history.", r.From, req.Label))
			spec.Confirm = "abort"
			spec.Required = true
			spec.Placeholder = "why you stop it (required; recorded in the label history)"
		default:
			return was.fail(common.StatusError, fmt.Sprintf("unknown rollout change %q", req.Action))
		}
		for _, g := range r.Guards {
			lines = append(lines, "Guard "+common.GuardLine(g, common.GuardOf(check, g)))
		}
		spec.Lines = lines
		action := req.Action
		spec.Do = func(ctx context.Context, reason string) (string, []store.Change, error) {
			before, err := c.Store.LabelHistory(ctx, req.Prompt)
			if err != nil {
				return "", nil, err
			}
			after, err := c.Store.ChangeRolloutSeen(ctx, req.Prompt, req.Label, action, c.Author, reason, &seen)
			if errors.Is(err, store.ErrNoChange) {
				return common.CleanLine(err.Error()), nil, nil
			}
			if err != nil {
				return "", nil, err
			}
			var changes []store.Change
			if evs, err := c.Store.LabelHistory(ctx, req.Prompt); err == nil {
				for _, e := range evs[min(len(before), len(evs)):] {
					changes = append(changes, labelChange(e))
				}
			}
			var msg string
			switch action {
			case store.RolloutAdvance:
				msg = fmt.Sprintf("%s %s: rollout %d advanced to %d%%", req.Prompt, req.Label, after.ID, after.Steps[after.Step])
				if after.State == store.RolloutDone {
					msg = fmt.Sprintf("%s %s: rollout %d done, the label is on v%d", req.Prompt, req.Label, after.ID, after.To)
				}
			case store.RolloutPause:
				msg = fmt.Sprintf("%s %s: rollout %d paused at %d%%", req.Prompt, req.Label, after.ID, after.Steps[after.Step])
			case store.RolloutResume:
				msg = fmt.Sprintf("%s %s: rollout %d resumed at %d%%", req.Prompt, req.Label, after.ID, after.Steps[after.Step])
			case store.RolloutAbort:
				msg = fmt.Sprintf("%s %s: rollout %d aborted, the label is back on v%d", req.Prompt, req.Label, after.ID, after.From)
			}
			return msg, changes, nil
		}
		return was.open(c, spec)
	}
}
