package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/seed94f0f622/verso/eval/importer"
	"github.com/seed94f0f622/verso/store"
)

func newExportCmd(a *app) *cobra.Command {
	var label, format, out, prompt string
	c := &cobra.Command{
		Use:   "export",
		Short: "Export prompts (all versions, or the one holding --label) as JSON, YAML or a directory",
		Long: "Export is deterministic: the same registry gives the same bytes, so exports diff cleanly in git.\n" +
			"Without --label every version of every prompt is exported (a full backup, with numbers and times);\n" +
			"with --label the version holding that label, one per prompt (a deployable set).\n" +
			"API keys are never in the database, so never in an export.",
		Example: "  verso export --label production --format json > prompts.json\n" +
			"  verso export --label production --format dir --out prompts/\n  verso export --format yaml --out backup.yaml\n" +
			"  verso export --format promptfoo --out pf/   # a promptfooconfig.yaml per prompt, its versions as prompts\n" +
			"  verso export --format prompty --out prompty/   # one .prompty per prompt (latest, or --label)\n" +
			"  verso export --format langfuse --out prompts.json   # every version, labels as Langfuse has them",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if slices.Contains(importer.ExportFormats, importer.Format(format)) {
				if out == "" {
					return usageErr("--format %s needs --out PATH (a folder; a .json file for langfuse)", format)
				}
				st, err := a.open(true)
				if err != nil {
					return err
				}
				defer st.Close()
				files, err := importer.Export(cmd.Context(), st, importer.ExportOptions{Format: importer.Format(format), Label: label, Prompt: prompt}, out)
				if err != nil {
					return classify(err)
				}
				fmt.Fprintf(a.stderr, "exported %d files in %s format to %s\n", len(files), format, out)
				return nil
			}
			if prompt != "" {
				return usageErr("--prompt works with --format promptfoo, prompty, dotprompt or langfuse")
			}
			if format != "json" && format != "yaml" && format != "dir" {
				return usageErr("unknown --format %q: use json, yaml, dir, promptfoo, prompty, dotprompt or langfuse", format)
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
	c.Flags().StringVar(&format, "format", "json", "json, yaml, dir, or another tool's: promptfoo, prompty, dotprompt, langfuse")
	c.Flags().StringVar(&prompt, "prompt", "", "only this prompt (with promptfoo, prompty, dotprompt or langfuse)")
	c.Flags().StringVar(&out, "out", "", "write to this file (or directory with --format dir) instead of stdout")
	return c
}

func newImportCmd(a *app) *cobra.Command {
	var o importer.Options
	var format string
	var dryRun bool
	c := &cobra.Command{
		Use:   "import PATH",
		Short: "Import prompts and tests: a Verso export, a promptfoo config, Prompty or Dotprompt files, a Langfuse export",
		Long: "Import reads PATH in --format (detected by default) and prints the plan: what it creates, how each\n" +
			"field maps, and what it could not map. A field Verso cannot honour is refused by name; with\n" +
			"--skip-unsupported it is left out and listed as skipped. --dry-run stops after the plan. The write\n" +
			"is all or nothing (one transaction); content already present is not committed again.\n" +
			"file:// references may not leave the imported file's folder unless --allow-outside.",
		Example: "  verso import prompts.json\n  verso import promptfooconfig.yaml --dry-run\n" +
			"  verso import prompts/ --format prompty\n  verso import langfuse-prompts.json --skip-unsupported",
		Args: exactArgs(1, "verso import PATH [--format F] [--dry-run]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Format = importer.Format(format)
			if !slices.Contains(importer.Formats, o.Format) {
				return usageErr("unknown --format %q: use auto, verso, promptfoo, prompty, dotprompt or langfuse", format)
			}
			if o.Name != "" {
				if err := store.ValidName(o.Name); err != nil {
					return classify(err)
				}
			}
			plan, err := importer.Read(args[0], o)
			if err != nil {
				return usageErr("import %s: %w", args[0], err)
			}
			if plan.Format != importer.Verso || dryRun {
				for _, l := range plan.Summary() {
					fmt.Fprintln(a.stdout, cell(l))
				}
			}
			if dryRun {
				fmt.Fprintln(a.stdout, "dry run: nothing written")
				return nil
			}
			st, err := a.open(false)
			if err != nil {
				return err
			}
			defer st.Close()
			lines, err := plan.Apply(cmd.Context(), st, a.author())
			if err != nil {
				return classify(err)
			}
			for _, l := range lines {
				fmt.Fprintln(a.stdout, cell(l))
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&format, "format", "auto", "auto, verso, promptfoo, prompty, dotprompt or langfuse")
	f.BoolVar(&o.SkipUnsupported, "skip-unsupported", false, "leave out what cannot be mapped (listed as skipped) instead of refusing the import")
	f.BoolVar(&dryRun, "dry-run", false, "print the plan and write nothing")
	f.BoolVar(&o.AllowOutside, "allow-outside", false, "follow file:// references outside the imported file's folder (only for files you trust)")
	f.StringVar(&o.Name, "name", "", "the prompt a promptfoo config becomes (default: the config's folder name)")
	return c
}
