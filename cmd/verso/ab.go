package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seed94f0f622/verso/eval/ab"
	"github.com/seed94f0f622/verso/eval/serve"
	"github.com/seed94f0f622/verso/store"
)

func newABCmd(a *app) *cobra.Command {
	var label, metric, since string
	var asJSON bool
	c := &cobra.Command{
		Use:   "ab NAME",
		Short: "Compare the arms of a split label: per-arm intervals, differences with p-values, a sample-ratio check",
		Long: "Compare the versions of a split label on its production events (by default over the label's current split, or its\n" +
			"latest one: a finished or aborted rollout). Per arm: n, the mean and its 95% interval (Wilson for the error rate,\n" +
			"Student's t for score and cost, a distribution-free interval of the median for latency). Each arm against the\n" +
			"control (the version a rollout started from, else the one that held the label): the difference with its 95%\n" +
			"interval and p-value (two-proportion z-test for the error rate, Welch's t for score and cost, Mann-Whitney for\n" +
			"latency), and the smallest difference the sample could detect. A sample-ratio-mismatch check (chi-square of\n" +
			"the observed counts against the weights in force when the events arrived) warns when assignment is broken.\n" +
			"An arm under 30 events (for a rate, under 10 of either outcome) is too small to conclude anything.",
		Example: "  verso ab support/reply\n  verso ab support/reply --metric latency\n  verso ab support/reply --label canary --since 7d --json",
		Args:    exactArgs(1, "verso ab NAME [--label production] [--metric error_rate|score|latency|cost] [--json]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := store.ABQuery{Prompt: args[0], Label: label}
			if since != "" {
				d, err := serve.ParseAge(since)
				if err != nil {
					return usageErr("--since: %s", userMessage(err))
				}
				q.Since = time.Now().Add(-d)
			}
			known := false
			for _, m := range ab.Metrics {
				known = known || m == metric
			}
			if !known {
				return usageErr("--metric %q: use error_rate, score, latency or cost", metric)
			}
			st, err := a.open(true)
			if err != nil {
				return err
			}
			defer st.Close()
			d, err := st.ABData(cmd.Context(), q)
			if err != nil {
				return classify(err)
			}
			rep, err := ab.Analyze(d, metric)
			if err != nil {
				return classify(err)
			}
			if asJSON {
				return printJSON(a.stdout, rep)
			}
			printAB(a.stdout, rep)
			for _, w := range rep.Warnings {
				if strings.HasPrefix(w, "SAMPLE RATIO MISMATCH") {
					fmt.Fprintf(a.stderr, "verso: warning: %s\n", w)
				}
			}
			return nil
		},
	}
	c.Flags().StringVar(&label, "label", "production", "the split label")
	c.Flags().StringVar(&metric, "metric", "error_rate", "error_rate, score, latency or cost")
	c.Flags().StringVar(&since, "since", "", "window: 1h, 24h, 7d, ... (default: the label's current or latest split)")
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

func printAB(w io.Writer, rep ab.Report) {
	unit := map[string]string{ab.ErrorRate: "error rate", ab.Score: "mean score", ab.Latency: "median latency (ms)", ab.Cost: "cost per call ($)"}[rep.Metric]
	fmt.Fprintf(w, "%s %s: %s, %s to %s\n", cell(rep.Prompt), cell(rep.Label), unit, rep.Since, rep.Until)
	tw := table(w)
	fmt.Fprintln(tw, "ARM\tN\tMEAN\t95% CI")
	for _, a := range rep.Arms {
		name := a.Arm
		if a.Control {
			name += " (control)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t[%s, %s]\n", name, a.N, num(a.Mean), num(a.CILow), num(a.CIHigh))
	}
	tw.Flush()
	for _, c := range rep.Comparisons {
		ci := "no interval"
		if c.Test == "mann-whitney u" {
			ci = "no interval (rank test)"
		}
		if c.CILow != nil {
			ci = fmt.Sprintf("95%% CI [%s, %s]", num(*c.CILow), num(*c.CIHigh))
		}
		fmt.Fprintf(w, "v%d vs v%d: %+.4g, %s, p %s (%s)\n  %s\n", c.Version, c.Control, c.Diff, ci, ab.PText(c.P), c.Test, c.Verdict)
	}
	if s := rep.SRM; s != nil {
		obs := make([]string, len(s.Observed))
		exp := make([]string, len(s.Expected))
		for i := range s.Observed {
			obs[i] = fmt.Sprint(s.Observed[i])
			exp[i] = fmt.Sprintf("%.0f", s.Expected[i])
		}
		verdict := "ok"
		if s.Mismatch {
			verdict = "MISMATCH"
		}
		fmt.Fprintf(w, "sample ratio: observed %s, expected %s: chi-square %.3g, p %.3g: %s\n", strings.Join(obs, "/"), strings.Join(exp, "/"), s.ChiSquare, s.P, verdict)
	}
	for _, warn := range rep.Warnings {
		fmt.Fprintf(w, "WARNING: %s\n", warn)
	}
}
