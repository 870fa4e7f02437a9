package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seed94f0f622/verso/store"
)

// Exit codes of `verso rollout check` (for cron): healthy (or waiting, or
// paused) 0, breached (aborted) 1, done 3. Bad usage stays 2.
const (
	exitHealthy  = 0
	exitBreached = 1
	exitDone     = 3
)

func newRolloutCmd(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "rollout",
		Short: "Staged rollouts of a label to a new version, with guardrails",
		Long: "A rollout moves a label (production by default) to a new version in steps (5%, 25%, 50%, 100% of units),\n" +
			"one step per interval. The weight in force is computed from the plan and the clock, so nothing has to run for it\n" +
			"to advance, but a step only follows one whose guards were seen healthy with their minimum samples (by `verso\n" +
			"serve` each minute, `verso rollout check` from cron, or the TUI). A breached guard aborts: the label goes back to\n" +
			"the old version at once, with the figures in the label history. The last step is an ordinary label move.",
	}
	c.AddCommand(newRolloutStartCmd(a), newRolloutStatusCmd(a), newRolloutCheckCmd(a))
	for _, act := range []struct {
		action store.RolloutAction
		short  string
	}{
		{store.RolloutAdvance, "Write the next step now, before its time"},
		{store.RolloutPause, "Hold the current step (the clock stops for it)"},
		{store.RolloutResume, "Run a paused rollout again (the paused time does not count)"},
		{store.RolloutAbort, "Stop the rollout: the old version back to 100%"},
	} {
		c.AddCommand(newRolloutActionCmd(a, act.action, act.short))
	}
	return c
}

func newRolloutStartCmd(a *app) *cobra.Command {
	var label, to, steps, every, reason, unitKey string
	var guards []string
	var minRequests int64
	var force bool
	c := &cobra.Command{
		Use:   "start NAME --to V",
		Short: "Start a staged rollout of a label to a version",
		Long: "Start a staged rollout: the label goes to the first step at once (a split of the current and the new version).\n" +
			"Guards compare the new version with the current one on the label's events since the step began:\n" +
			"  error_rate<=+1pp     at most 1 percentage point more errors\n" +
			"  p95_latency<=+20%    p95 latency at most 20% higher (p95_latency<=+300ms: at most 300 ms more)\n" +
			"  score>=-0.05         mean score at most 0.05 lower\n" +
			"  cost<=+10%           cost per call at most 10% higher\n" +
			"An unsigned threshold is absolute (error_rate<=5%, p95_latency<=2000, cost<=0.002). A guard is judged once both\n" +
			"versions have --min-requests events in the step, and breached only when the figure fails its threshold beyond\n" +
			"the sampling margin (one-sided 95%). Default guards: " + strings.Join(store.DefaultGuards, ", ") + ".\n" +
			"A protected label needs the target's passing eval (the gate), or --force --reason.",
		Example: "  verso rollout start support/reply --to 5\n" +
			"  verso rollout start support/reply --to 5 --steps 10,50,100 --every 30m --guard 'error_rate<=+1pp' --guard 'score>=-0.05' --min-requests 500",
		Args: exactArgs(1, "verso rollout start NAME --to V"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			if err := store.ValidName(name); err != nil {
				return classify(err)
			}
			if to == "" {
				return usageErr("rollout start: --to VERSION is required (e.g. --to 5)")
			}
			plan, err := parseSteps(steps)
			if err != nil {
				return err
			}
			d, err := time.ParseDuration(every)
			if err != nil {
				return usageErr("--every %q is not a duration: use e.g. 30m, 1h or 24h", every)
			}
			st, err := a.open(false)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx := cmd.Context()
			v, err := st.Lookup(ctx, versionArg(name, to))
			if err != nil {
				return classify(err)
			}
			in := store.RolloutInput{Prompt: name, Label: label, To: v.Number, Steps: plan, Every: d, MinRequests: minRequests,
				UnitKey: unitKey, Actor: a.author(), Reason: reason, Force: force}
			if cmd.Flags().Changed("guard") {
				in.Guards = guards
				if in.Guards == nil {
					in.Guards = []string{}
				}
			}
			r, err := st.StartRollout(ctx, in)
			if err != nil {
				return classify(err)
			}
			fmt.Fprintf(a.stdout, "%s: rollout %d of %s to v%d started: %d%% now, then %s, one step every %s\n",
				cell(name), r.ID, cell(r.Label), r.To, r.Steps[0], stepsText(r.Steps[1:]), r.Every)
			if len(r.Guards) > 0 {
				var gs []string
				for _, g := range r.Guards {
					gs = append(gs, g.Text)
				}
				fmt.Fprintf(a.stdout, "guards: %s (each once both versions have %d events in the step)\n", strings.Join(gs, ", "), r.MinRequests)
			}
			fmt.Fprintf(a.stdout, "guards are checked by `verso serve` each minute, or run `verso rollout check %s` from cron\n", cell(name))
			return nil
		},
	}
	c.Flags().StringVar(&label, "label", "production", "the label to roll out")
	c.Flags().StringVar(&to, "to", "", "the version to roll out (a number, or a label such as staging)")
	c.Flags().StringVar(&steps, "steps", "5,25,50,100", "percentages of units on the new version, rising, ending at 100")
	c.Flags().StringVar(&every, "every", "1h", "time between steps")
	c.Flags().StringArrayVar(&guards, "guard", nil, "a guardrail such as 'error_rate<=+1pp' (repeatable; default "+strings.Join(store.DefaultGuards, " and ")+")")
	c.Flags().Int64Var(&minRequests, "min-requests", 100, "events each version needs in a step before a guard is judged")
	c.Flags().StringVar(&unitKey, "unit-key", "", "what the application hashes to assign units (user_id, session_id)")
	c.Flags().StringVar(&reason, "reason", "", "why (kept in the label history)")
	c.Flags().BoolVar(&force, "force", false, "start although the target fails the eval gate (needs --reason; recorded as forced)")
	return c
}

func parseSteps(text string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(text, ",") {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(p), "%"))
		if err != nil {
			return nil, usageErr("--steps %q: %q is not a whole percentage (e.g. 5,25,50,100)", text, p)
		}
		out = append(out, n)
	}
	if err := store.CheckSteps(out); err != nil {
		return nil, classify(err)
	}
	return out, nil
}

func stepsText(steps []int) string {
	if len(steps) == 0 {
		return "done"
	}
	parts := make([]string, len(steps))
	for i, s := range steps {
		parts[i] = fmt.Sprintf("%d%%", s)
	}
	return strings.Join(parts, ", ")
}

// rolloutJSON is the --json shape of status and check.
type rolloutJSON struct {
	ID          int64               `json:"id"`
	Prompt      string              `json:"prompt"`
	Label       string              `json:"label"`
	From        int                 `json:"from"`
	To          int                 `json:"to"`
	State       string              `json:"state"`
	Steps       []int               `json:"steps"`
	Step        int                 `json:"step"` // 1-based step in force
	Weight      int                 `json:"weight"`
	Every       string              `json:"every"`
	NextStepAt  *time.Time          `json:"next_step_at"`
	MinRequests int64               `json:"min_requests"`
	StartedAt   time.Time           `json:"started_at"`
	Check       *store.RolloutCheck `json:"check"`
}

func toRolloutJSON(r store.Rollout, c store.RolloutCheck, now time.Time) rolloutJSON {
	i, _ := r.In(now)
	j := rolloutJSON{ID: r.ID, Prompt: r.Prompt, Label: r.Label, From: r.From, To: r.To, State: r.State, Steps: r.Steps, Step: i + 1,
		Weight: r.Weight(now), Every: r.Every.String(), MinRequests: r.MinRequests, StartedAt: r.StartedAt, Check: &c}
	if next := r.NextAt(now); !next.IsZero() {
		j.NextStepAt = &next
	}
	return j
}

// stepBar draws the plan: [5%]=[25%]-(50%)-(100%), the step in force in
// brackets, the steps done with '=', the ones to come in parentheses.
func stepBar(r store.Rollout, now time.Time) string {
	i, _ := r.In(now)
	var b strings.Builder
	for k, s := range r.Steps {
		if k > 0 {
			if k <= i {
				b.WriteString("=")
			} else {
				b.WriteString("-")
			}
		}
		switch {
		case k == i && r.Live():
			fmt.Fprintf(&b, "[%d%%]", s)
		case k <= i:
			fmt.Fprintf(&b, " %d%% ", s)
		default:
			fmt.Fprintf(&b, "(%d%%)", s)
		}
	}
	return b.String()
}

func printRollout(w io.Writer, r store.Rollout, c store.RolloutCheck, now time.Time) {
	fmt.Fprintf(w, "rollout %d of %s %s: v%d -> v%d, %s\n", r.ID, cell(r.Prompt), cell(r.Label), r.From, r.To, r.State)
	fmt.Fprintf(w, "plan:    %s  every %s\n", stepBar(r, now), r.Every)
	weight := r.Weight(now)
	fmt.Fprintf(w, "weight:  %d%% of units on v%d, %d%% on v%d\n", weight, r.To, 100-weight, r.From)
	if next := r.NextAt(now); !next.IsZero() {
		wait := next.Sub(now).Round(time.Second)
		if wait <= 0 {
			fmt.Fprintf(w, "next:    due now, once the guards of this step are healthy\n")
		} else {
			fmt.Fprintf(w, "next:    in %s (%s), once the guards of this step are healthy\n", wait, next.Local().Format("2006-01-02 15:04"))
		}
	}
	if len(c.Guards) > 0 {
		fmt.Fprintf(w, "guards (since %s):\n", c.Since.Local().Format("2006-01-02 15:04"))
		tw := table(w)
		fmt.Fprintln(tw, "  GUARD\tSTATUS\tCURRENT\tNEW\tMEASURED\tN CURRENT/NEW")
		for _, g := range c.Guards {
			measured := "-"
			if g.Status != "waiting" {
				measured = fmt.Sprintf("%s ± %s", num(g.Measured), num(g.Margin))
			}
			status := g.Status
			if g.Status == "waiting" {
				status = fmt.Sprintf("waiting (%d each)", g.MinN)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%d/%d\n", cell(g.Guard), status, num(g.Current), num(g.Candidate), measured, g.NCurrent, g.NNew)
		}
		tw.Flush()
	}
	switch r.State {
	case store.RolloutAborted:
		fmt.Fprintf(w, "aborted %s: the label is back on v%d (see `verso labels %s`)\n", r.EndedAt.Local().Format("2006-01-02 15:04"), r.From, cell(r.Prompt))
	case store.RolloutDone:
		fmt.Fprintf(w, "done %s: the label is on v%d\n", r.EndedAt.Local().Format("2006-01-02 15:04"), r.To)
	}
}

func num(f float64) string { return strconv.FormatFloat(f, 'g', 4, 64) }

func newRolloutStatusCmd(a *app) *cobra.Command {
	var label string
	var asJSON bool
	c := &cobra.Command{
		Use:     "status NAME",
		Short:   "Show a label's rollout: plan, weight in force, time to the next step, guards with their figures",
		Example: "  verso rollout status support/reply\n  verso rollout status support/reply --json",
		Args:    exactArgs(1, "verso rollout status NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.open(true)
			if err != nil {
				return err
			}
			defer st.Close()
			c, r, err := st.PeekRollout(cmd.Context(), args[0], label)
			if err != nil {
				return classify(err)
			}
			now := c.At
			if asJSON {
				return printJSON(a.stdout, toRolloutJSON(r, c, now))
			}
			printRollout(a.stdout, r, c, now)
			return nil
		},
	}
	c.Flags().StringVar(&label, "label", "production", "the label")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func newRolloutCheckCmd(a *app) *cobra.Command {
	var label string
	var asJSON bool
	c := &cobra.Command{
		Use:   "check [NAME]",
		Short: "Judge a rollout's guards now: abort on a breach, write a step that is due (for cron)",
		Long: "Judge the guards of a label's rollout (every live rollout without NAME) and act: a breach aborts the rollout,\n" +
			"a step that is due and healthy is written to the label. Exit status: 0 healthy (or waiting for samples, or\n" +
			"paused), 1 breached (aborted now or before), 3 done. Two checks at once are serialised: one abort, recorded once.",
		Example: "  */5 * * * * verso rollout check support/reply || notify-team",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.open(false)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx := cmd.Context()
			var targets [][2]string
			if len(args) == 1 {
				targets = append(targets, [2]string{args[0], label})
			} else {
				live, err := st.LiveRollouts(ctx)
				if err != nil {
					return classify(err)
				}
				for _, r := range live {
					targets = append(targets, [2]string{r.Prompt, r.Label})
				}
				if len(targets) == 0 && !asJSON {
					fmt.Fprintln(a.stdout, "no live rollouts")
				}
			}
			code := exitHealthy
			var out []rolloutJSON
			for _, t := range targets {
				c, r, err := st.CheckRollout(ctx, t[0], t[1])
				if err != nil {
					return classify(err)
				}
				out = append(out, toRolloutJSON(r, c, c.At))
				switch c.Verdict {
				case "breached", store.RolloutAborted:
					code = exitBreached
				case store.RolloutDone:
					if code == exitHealthy && len(targets) == 1 {
						code = exitDone
					}
				}
				if !asJSON {
					printCheck(a.stdout, r, c)
				}
			}
			if asJSON {
				if out == nil {
					out = []rolloutJSON{}
				}
				if len(args) == 1 {
					if err := printJSON(a.stdout, out[0]); err != nil {
						return err
					}
				} else if err := printJSON(a.stdout, out); err != nil {
					return err
				}
			}
			if code != exitHealthy {
				return &exitError{code: code, err: errors.New("")}
			}
			return nil
		},
	}
	c.Flags().StringVar(&label, "label", "production", "the label (with NAME)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func printCheck(w io.Writer, r store.Rollout, c store.RolloutCheck) {
	head := fmt.Sprintf("%s %s: rollout %d", cell(r.Prompt), cell(r.Label), r.ID)
	switch {
	case c.Aborted:
		fmt.Fprintf(w, "%s BREACHED at %d%%: aborted, the label is back on v%d\n", head, c.Weight, r.From)
	case c.Verdict == store.RolloutAborted:
		fmt.Fprintf(w, "%s was aborted at %d%%: the label is on v%d\n", head, c.Weight, r.From)
	case c.Verdict == store.RolloutDone:
		fmt.Fprintf(w, "%s done: the label is on v%d\n", head, r.To)
	case c.Advanced:
		fmt.Fprintf(w, "%s healthy: advanced to %d%%\n", head, r.Steps[r.Step])
	default:
		fmt.Fprintf(w, "%s %s at %d%%\n", head, c.Verdict, c.Weight)
	}
	for _, g := range c.Guards {
		if g.Status == "waiting" {
			fmt.Fprintf(w, "  %s: waiting for samples (%d/%d, need %d each)\n", cell(g.Guard), g.NCurrent, g.NNew, g.MinN)
			continue
		}
		fmt.Fprintf(w, "  %s: %s (current %s, new %s, measured %s ± %s, n %d/%d)\n", cell(g.Guard), g.Status, num(g.Current), num(g.Candidate), num(g.Measured), num(g.Margin), g.NCurrent, g.NNew)
	}
}

func newRolloutActionCmd(a *app, action store.RolloutAction, short string) *cobra.Command {
	var label, reason string
	c := &cobra.Command{
		Use:   string(action) + " NAME",
		Short: short,
		Args:  exactArgs(1, "verso rollout "+string(action)+" NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.open(false)
			if err != nil {
				return err
			}
			defer st.Close()
			r, err := st.ChangeRollout(cmd.Context(), args[0], label, action, a.author(), reason)
			if errors.Is(err, store.ErrNoChange) {
				fmt.Fprintf(a.stdout, "%s: %s\n", cell(args[0]), strings.TrimSuffix(err.Error(), ": "+store.ErrNoChange.Error()))
				return nil
			}
			if err != nil {
				return classify(err)
			}
			now := time.Now()
			switch action {
			case store.RolloutAbort:
				fmt.Fprintf(a.stdout, "%s: rollout %d aborted: %s is back on v%d\n", cell(args[0]), r.ID, cell(r.Label), r.From)
			case store.RolloutPause:
				fmt.Fprintf(a.stdout, "%s: rollout %d paused at %d%%\n", cell(args[0]), r.ID, r.Steps[r.Step])
			default:
				fmt.Fprintf(a.stdout, "%s: rollout %d %s at %d%%: %s\n", cell(args[0]), r.ID, r.State, r.Weight(now), stepBar(r, now))
			}
			return nil
		},
	}
	c.Flags().StringVar(&label, "label", "production", "the label")
	c.Flags().StringVar(&reason, "reason", "", "why (kept in the label history)")
	return c
}
