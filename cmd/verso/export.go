package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/seed94f0f622/verso/store"
)

func newExportCmd(a *app) *cobra.Command {
	var label, format, out string
	c := &cobra.Command{
		Use:   "export",
		Short: "Export prompts (all versions, or the one holding --label) as JSON, YAML or a directory",
		Long: "Export is deterministic: the same registry gives the same bytes, so exports diff cleanly in git.\n" +
			"Without --label every version of every prompt is exported (a full backup, with numbers and times);\n" +
			"with --label the version holding that label, one per prompt (a deployable set).\n" +
			"API keys are never in the database, so never in an export.",
		Example: "  verso export --label production --format json > prompts.json\n" +
			"  verso export --label production --format dir --out prompts/\n  verso export --format yaml --out backup.yaml",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "json" && format != "yaml" && format != "dir" {
				return usageErr("unknown --format %q: use json, yaml or dir", format)
			}
			if format == "dir" && out == "" {
				return usageErr("--format dir needs --out DIR")
			}
			st, err := a.open(true)
			if err != nil {
				return err
			}
			defer st.Close()
			doc, err := st.Export(cmd.Context(), store.ExportOptions{Label: label})
			if err != nil {
				return classify(err)
			}
			if format == "dir" {
				n, err := doc.WriteDir(out)
				if err != nil {
					return classify(err)
				}
				fmt.Fprintf(a.stderr, "exported %d prompts to %d files in %s\n", len(doc.Prompts), n, out)
				return nil
			}
			var b []byte
			if format == "json" {
				b, err = doc.JSON()
			} else {
				b, err = doc.YAML()
			}
			if err != nil {
				return failed(err)
			}
			if out == "" {
				_, err = a.stdout.Write(b)
				return err
			}
			if err := store.WriteFileAtomic(out, b); err != nil {
				return failed(fmt.Errorf("write %s: %w", out, err))
			}
			fmt.Fprintf(a.stderr, "exported %d prompts to %s\n", len(doc.Prompts), out)
			return nil
		},
	}
	c.Flags().StringVar(&label, "label", "", "export the version holding this label (e.g. production)")
	c.Flags().StringVar(&format, "format", "json", "json, yaml or dir")
	c.Flags().StringVar(&out, "out", "", "write to this file (or directory with --format dir) instead of stdout")
	return c
}

func newImportCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "import PATH",
		Short: "Import an export (JSON or YAML file, or a directory); content already present is skipped",
		Long: "Import commits every version whose content (hash) is not already in the prompt, and moves labels\n" +
			"to where the export puts them. It is all or nothing: one transaction.",
		Example: "  verso import prompts.json\n  verso import prompts/",
		Args:    exactArgs(1, "verso import PATH"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.open(false)
			if err != nil {
				return err
			}
			defer st.Close()
			rep, err := st.Import(cmd.Context(), args[0], a.author())
			if err != nil {
				return classify(err)
			}
			for _, l := range rep.Lines {
				fmt.Fprintln(a.stdout, cell(l))
			}
			fmt.Fprintf(a.stdout, "imported %d prompts: %d new versions, %d unchanged, %d label moves\n", rep.Prompts, rep.Created, rep.Unchanged, rep.Labels)
			return nil
		},
	}
}
