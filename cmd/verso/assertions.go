package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/seed94f0f622/verso/eval/assert"
)

func newAssertionsCmd(a *app) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "assertions",
		Short: "List every assertion type a suite can use, and whether it needs a model",
		Long: "Lists the assertion types of test suites (promptfoo's names and meaning), one line each.\n" +
			"Every type but the comparisons (select-best, max-score) also exists negated with a not- prefix\n" +
			"(not-contains). A type marked model calls a model when it is checked: the grader (the\n" +
			"assertion's provider, `grader:` in the config file, or the model under test) or, for similar,\n" +
			"an embedding model. The comparisons judge each case's outputs across the run's versions and\n" +
			"models once all of them are in.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			kinds := assert.Kinds()
			if asJSON {
				type row struct {
					Type       string `json:"type"`
					NeedsModel bool   `json:"needs_model"`
					Doc        string `json:"doc"`
				}
				out := make([]row, len(kinds))
				for i, k := range kinds {
					out[i] = row{k.Name, k.NeedsModel, k.Doc}
				}
				return printJSON(a.stdout, out)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "TYPE\tMODEL\tCHECKS")
			for _, k := range kinds {
				m := "-"
				if k.NeedsModel {
					m = "model"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", k.Name, m, k.Doc)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			_, err := fmt.Fprintln(a.stdout, "Each type but select-best and max-score also exists negated: not-TYPE.")
			return err
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print [{type, needs_model, doc}]")
	return c
}
