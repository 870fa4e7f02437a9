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
			"Every type also exists negated with a not- prefix (not-contains). A type marked model calls a\n" +
			"model when it is checked: the grader (the assertion's provider, `grader:` in the config file, or\n" +
			"the model under test) or, for similar, an embedding model.",
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
			_, err := fmt.Fprintln(a.stdout, "Each type also exists negated: not-TYPE.")
			return err
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print [{type, needs_model, doc}]")
	return c
}
