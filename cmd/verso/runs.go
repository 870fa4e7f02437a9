package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seed94f0f622/verso/eval/report"
	"github.com/seed94f0f622/verso/store"
)

// runJSON is the stable --json shape of `verso runs`: the run as in the
// JSON report, with its summary (null while it runs).
type runJSON struct {
	report.RunInfo
	Summary *report.Summary `json:"summary"`
}

func newRunsCmd(a *app) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:     "runs NAME",
		Short:   "List a prompt's eval runs, newest first",
		Example: "  verso runs support/reply\n  verso runs support/reply --json",
		Args:    exactArgs(1, "verso runs NAME [--json]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.open(true)
			if err != nil {
				return err
			}
			defer st.Close()
			runs, err := st.Runs(cmd.Context(), args[0])
			if err != nil {
				return classify(err)
			}
			out := make([]runJSON, len(runs))
			for i, r := range runs {
				out[i].RunInfo = report.Info(r)
				var s report.Summary
				if json.Unmarshal(r.Summary, &s) == nil && s.Columns != nil {
					out[i].Summary = &s
				}
			}
			if asJSON {
				return printJSON(a.stdout, out)
			}
			if len(runs) == 0 {
				fmt.Fprintf(a.stdout, "%s has no runs: start one with `verso eval %s --model demo/demo-large`\n", cell(args[0]), cell(args[0]))
				return nil
			}
			tw := table(a.stdout)
			fmt.Fprintln(tw, "RUN\tSTATUS\tSUITE\tVERSIONS\tMODELS\tRESULTS\tPASSED\tFAILED\tERRORS\tCOST\tSTARTED")
			for _, r := range out {
				vers := make([]string, len(r.Versions))
				for i, v := range r.Versions {
					vers[i] = fmt.Sprintf("@%d", v)
				}
				res, passed, failedN, errs, cost := "-", "-", "-", "-", "-"
				if s := r.Summary; s != nil {
					res = fmt.Sprintf("%d/%d", s.Total, r.Total)
					passed = fmt.Sprintf("%d (%.0f%%)", s.Passed, s.PassRate*100)
					failedN, errs, cost = fmt.Sprint(s.Failed), fmt.Sprint(s.Errors), report.CostText(s.Cost, s.UsageUnknown, s.Total-s.Errors)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Status, cell(r.Suite), strings.Join(vers, ","),
					cell(strings.Join(r.Models, ",")), res, passed, failedN, errs, cost, ago(r.StartedAt))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			for _, r := range out {
				if r.Status == store.RunInterrupted {
					fmt.Fprintf(a.stdout, "run %d was interrupted (its process is gone): resume it with `verso eval --resume %d`\n", r.ID, r.ID)
				}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}
