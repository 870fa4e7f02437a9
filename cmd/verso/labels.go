package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/agnivade/levenshtein"
	"github.com/spf13/cobra"

	"github.com/seed94f0f622/verso/store"
)

func newLabelCmd(a *app) *cobra.Command {
	var reason, split, unitKey string
	var force, remove bool
	var expect expectFlag
	c := &cobra.Command{
		Use:   "label NAME VERSION LABEL",
		Short: "Point a label (production, staging, ...) at a version",
		Long: "Point a label at a version of a prompt and record the move in the label history.\n" +
			"VERSION is a number (3 or v3) or a label (promote what staging holds: `verso label NAME staging production`).\n" +
			"Protected labels (production by default) need a passing eval run of the version on the prompt's default suite;\n" +
			"--force --reason TEXT moves it anyway and records the move as forced (removing a protected label needs it too).\n" +
			"--expect-from N refuses the change (exit 2, nothing written) unless the label is on vN when it is written (0: the label\n" +
			"does not exist): a script confirms the move it read, not one another writer made meanwhile.\n" +
			"--split V=W,V=W points the label at a traffic split instead (2 to 4 versions, whole-percent weights summing to 100):\n" +
			"`verso label NAME LABEL --split 3=90,5=10 [--unit-key user_id]`. Each unit key hashes to the same version every time;\n" +
			"changing the weights keeps the assignment salt, so raising a version's share only moves units to it.",
		Example: "  verso label support/reply 4 staging\n  verso label support/reply staging production --reason \"eval run 12 green\"\n" +
			"  verso label support/reply 0 canary --remove\n  verso label support/reply production --split 3=90,5=10 --unit-key user_id --reason \"try v5 on 10%\"",
		Args: func(cmd *cobra.Command, args []string) error {
			if split != "" {
				return exactArgs(2, "verso label NAME LABEL --split V=W,V=W")(cmd, args)
			}
			return exactArgs(3, "verso label NAME VERSION LABEL")(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if split != "" {
				return a.splitLabel(cmd.Context(), args[0], args[1], split, unitKey, reason, force, expect.ptr())
			}
			if unitKey != "" {
				return usageErr("--unit-key goes with --split: verso label NAME LABEL --split V=W,V=W --unit-key KEY")
			}
			name, verArg, label := args[0], args[1], args[2]
			if err := store.ValidName(name); err != nil {
				return classify(err)
			}
			st, err := a.open(false)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx := cmd.Context()
			if remove {
				ev, err := st.RemoveLabel(ctx, store.RemoveLabelInput{Prompt: name, Label: label, Actor: a.author(), Reason: reason, Force: force, ExpectFrom: expect.ptr()})
				if err != nil {
					return classify(err)
				}
				fmt.Fprintf(a.stdout, "%s: removed %s (was v%d)\n", name, cell(label), ev.From)
				return nil
			}
			if label == "latest" {
				return classify(fmt.Errorf("label %s: %w", label, store.ErrLatestLabel))
			}
			v, err := st.Lookup(ctx, versionArg(name, verArg))
			if err != nil {
				return classify(err)
			}
			ev, err := st.SetLabel(ctx, store.LabelInput{Prompt: name, Label: label, Version: v.Number, Actor: a.author(), Reason: reason, Force: force, ExpectFrom: expect.ptr()})
			if errors.Is(err, store.ErrNoChange) {
				fmt.Fprintf(a.stdout, "%s: %s is already on v%d\n", name, label, v.Number)
				return nil
			}
			if err != nil {
				return classify(err)
			}
			fmt.Fprintf(a.stdout, "%s: %s %s\n", name, label, moveText(ev))
			return nil
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "why the label moves (kept in the history)")
	c.Flags().BoolVar(&force, "force", false, "move a protected label without a passing eval (needs --reason; recorded as forced)")
	c.Flags().BoolVar(&remove, "remove", false, "remove the label instead (VERSION is ignored)")
	c.Flags().StringVar(&split, "split", "", "point the label at a traffic split: VERSION=WEIGHT,... summing to 100 (e.g. 3=90,5=10)")
	c.Flags().StringVar(&unitKey, "unit-key", "", "with --split: what the application hashes to assign units (user_id, session_id)")
	c.Flags().Var(&expect, "expect-from", "refuse unless the label is on this version when written (0: it does not exist)")
	return c
}

func (a *app) splitLabel(ctx context.Context, name, label, text, unitKey, reason string, force bool, expect *int) error {
	if err := store.ValidName(name); err != nil {
		return classify(err)
	}
	sp, err := store.ParseSplit(text)
	if err != nil {
		return classify(err)
	}
	sp.UnitKey = unitKey
	st, err := a.open(false)
	if err != nil {
		return err
	}
	defer st.Close()
	ev, err := st.SetLabel(ctx, store.LabelInput{Prompt: name, Label: label, Split: &sp, Actor: a.author(), Reason: reason, Force: force, ExpectFrom: expect})
	if errors.Is(err, store.ErrNoChange) {
		fmt.Fprintf(a.stdout, "%s: %s is already split %s\n", cell(name), cell(label), sp)
		return nil
	}
	if err != nil {
		return classify(err)
	}
	fmt.Fprintf(a.stdout, "%s: %s %s\n", cell(name), cell(label), moveText(ev))
	return nil
}

// stateText is what a label points at: v3, or split 3=90,5=10.
func stateText(st store.LabelState) string {
	if st.Split != nil {
		return "split " + st.Split.String()
	}
	return fmt.Sprintf("v%d", st.Version)
}

func moveText(ev store.LabelEvent) string {
	s := fmt.Sprintf("%s -> %s", stateText(ev.FromState()), stateText(ev.ToState()))
	if ev.From == 0 {
		s = "set to " + stateText(ev.ToState())
	}
	if ev.RunID != 0 {
		s += fmt.Sprintf(" (evidence: run %d)", ev.RunID)
	}
	if ev.Forced {
		s += " (forced past the eval gate)"
	}
	return s
}

func newRollbackCmd(a *app) *cobra.Command {
	var reason string
	var force bool
	var expect expectFlag
	c := &cobra.Command{
		Use:   "rollback NAME LABEL",
		Short: "Move a label back to the version it held before its last move",
		Long: "Move a label back to the version it held before its last move. A protected label (production by default) is\n" +
			"gated like any move: the version it returns to needs a passing eval run on the gate suite as it is now, or\n" +
			"--force --reason TEXT. --expect-from N refuses (exit 2, nothing written) unless the label is on vN when written.",
		Example: "  verso rollback support/reply production --reason \"v5 sends refunds to the wrong team\"",
		Args:    exactArgs(2, "verso rollback NAME LABEL"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := store.ValidName(args[0]); err != nil {
				return classify(err)
			}
			st, err := a.open(false)
			if err != nil {
				return err
			}
			defer st.Close()
			ev, err := st.Rollback(cmd.Context(), store.RollbackInput{Prompt: args[0], Label: args[1], Actor: a.author(), Reason: reason, Force: force, ExpectFrom: expect.ptr()})
			if errors.Is(err, store.ErrNotFound) {
				// Like show, history and label: a mistyped prompt or label
				// gets "did you mean".
				if serr := checkPromptLabel(cmd.Context(), st, args[0], args[1]); serr != nil {
					err = serr
				}
			}
			if err != nil {
				return classify(err)
			}
			fmt.Fprintf(a.stdout, "%s: %s rolled back %s -> %s\n", cell(args[0]), cell(args[1]), stateText(ev.FromState()), stateText(ev.ToState()))
			return nil
		},
	}
	c.Flags().StringVar(&reason, "reason", "", "why (kept in the history)")
	c.Flags().BoolVar(&force, "force", false, "roll a protected label back without a passing eval (needs --reason; recorded as forced)")
	c.Flags().Var(&expect, "expect-from", "refuse unless the label is on this version when written")
	return c
}

func newLabelsCmd(a *app) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:     "labels NAME",
		Short:   "Show a prompt's labels and the full history of their moves",
		Example: "  verso labels support/reply\n  verso labels support/reply --json",
		Args:    exactArgs(1, "verso labels NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.open(true)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx := cmd.Context()
			labels, err := st.Labels(ctx, args[0])
			if err != nil {
				return classify(err)
			}
			hist, err := st.LabelHistory(ctx, args[0])
			if err != nil {
				return classify(err)
			}
			if asJSON {
				type labelJSON struct {
					Label     string       `json:"label"`
					Version   int          `json:"version"`
					Split     *store.Split `json:"split,omitempty"`
					UpdatedAt time.Time    `json:"updated_at"`
					Actor     string       `json:"actor"`
				}
				type eventJSON struct {
					Label     string          `json:"label"`
					From      *int            `json:"from"`
					To        *int            `json:"to"`
					FromSplit *store.Split    `json:"from_split,omitempty"`
					ToSplit   *store.Split    `json:"to_split,omitempty"`
					Actor     string          `json:"actor"`
					At        time.Time       `json:"at"`
					Reason    string          `json:"reason"`
					RunID     *int64          `json:"run_id"`
					Forced    bool            `json:"forced"`
					Evidence  json.RawMessage `json:"evidence,omitempty"`
				}
				out := struct {
					Name    string      `json:"name"`
					Labels  []labelJSON `json:"labels"`
					History []eventJSON `json:"history"`
				}{Name: args[0], Labels: []labelJSON{}, History: []eventJSON{}}
				for _, l := range labels {
					out.Labels = append(out.Labels, labelJSON{l.Name, l.Version, l.Split, l.UpdatedAt, l.Actor})
				}
				for _, e := range hist {
					var ev json.RawMessage
					if e.Evidence != "" {
						ev = json.RawMessage(e.Evidence)
					}
					out.History = append(out.History, eventJSON{e.Label, intPtr(e.From), intPtr(e.To), e.FromSplit, e.ToSplit, e.Actor, e.At, e.Reason, int64Ptr(e.RunID), e.Forced, ev})
				}
				return printJSON(a.stdout, out)
			}
			w := a.stdout
			if len(labels) == 0 {
				fmt.Fprintf(w, "%s has no labels: set one with `verso label %s VERSION LABEL`\n", cell(args[0]), cell(args[0]))
			} else {
				tw := table(w)
				fmt.Fprintln(tw, "LABEL\tVERSION\tSINCE\tBY")
				for _, l := range labels {
					what := fmt.Sprintf("v%d", l.Version)
					if l.Split != nil {
						what = fmt.Sprintf("split %s (salt %s", l.Split, cell(l.Split.Salt))
						if l.Split.UnitKey != "" {
							what += ", unit " + cell(l.Split.UnitKey)
						}
						what += ")"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", cell(l.Name), what, ago(l.UpdatedAt), cell(l.Actor))
				}
				tw.Flush()
			}
			if len(hist) > 0 {
				fmt.Fprintln(w, "\nHISTORY (oldest first)")
				tw := table(w)
				fmt.Fprintln(tw, "WHEN\tLABEL\tMOVE\tBY\tREASON")
				for _, e := range hist {
					move := stateText(e.FromState()) + " -> " + stateText(e.ToState())
					switch {
					case e.From == 0:
						move = "new -> " + stateText(e.ToState())
					case e.To == 0:
						move = stateText(e.FromState()) + " -> removed"
					}
					reason := e.Reason
					if e.Forced {
						reason = "[forced] " + reason
					}
					if e.RunID != 0 {
						reason += fmt.Sprintf(" (run %d)", e.RunID)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.At.Local().Format("2006-01-02 15:04"), cell(e.Label), move, cell(e.Actor), cell(reason))
				}
				tw.Flush()
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func intPtr(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func int64Ptr(n int64) *int64 {
	if n == 0 {
		return nil
	}
	return &n
}

// checkPromptLabel refuses a prompt that does not exist or a label it does
// not have, suggesting the closest name.
func checkPromptLabel(ctx context.Context, st *store.Store, name, label string) error {
	if _, err := st.Prompt(ctx, name); err != nil {
		return err
	}
	labels, err := st.Labels(ctx, name)
	if err != nil {
		return err
	}
	best, bestD := "", 3
	for _, l := range labels {
		if l.Name == label {
			return nil
		}
		if d := levenshtein.ComputeDistance(label, l.Name); d < bestD {
			best, bestD = l.Name, d
		}
	}
	if best != "" {
		return fmt.Errorf("%s has no label %s: did you mean %q?: %w", name, strconv.QuoteToASCII(label), best, store.ErrNotFound)
	}
	return fmt.Errorf("%s has no label %s (see `verso labels %s`): %w", name, strconv.QuoteToASCII(label), name, store.ErrNotFound)
}

// expectFlag is --expect-from N: unset, or the version a script saw the
// label on (v3 and 3 are the same; 0 = the label does not exist).
type expectFlag struct {
	set bool
	n   int
}

func (f *expectFlag) String() string {
	if !f.set {
		return ""
	}
	return strconv.Itoa(f.n)
}

func (f *expectFlag) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimPrefix(s, "v"))
	if err != nil || n < 0 {
		return fmt.Errorf("%q is not a version number (0 = the label does not exist)", s)
	}
	f.set, f.n = true, n
	return nil
}

func (f *expectFlag) Type() string { return "N" }

func (f *expectFlag) ptr() *int {
	if !f.set {
		return nil
	}
	n := f.n
	return &n
}
