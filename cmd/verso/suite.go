package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/seed94f0f622/verso/eval/suitefile"
)

func newSuiteCmd(a *app) *cobra.Command {
	c := &cobra.Command{
		Use:   "suite",
		Short: "Import, export and list a prompt's test suites",
		Example: "  verso suite import support/reply cases.yaml\n" +
			"  verso suite import support/reply cases.csv --suite smoke\n" +
			"  verso suite export support/reply --format jsonl\n" +
			"  verso suite list support/reply",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageErr("expected a subcommand: import, export or list (see verso suite --help)")
		},
	}
	c.AddCommand(newSuiteImportCmd(a), newSuiteExportCmd(a), newSuiteListCmd(a))
	return c
}

func newSuiteImportCmd(a *app) *cobra.Command {
	var suite, format string
	var maxCases int
	c := &cobra.Command{
		Use:   "import NAME FILE",
		Short: "Import test cases from YAML (promptfoo tests:), JSONL or CSV; replaces the suite",
		Long: "Reads test cases in promptfoo's shape: YAML with tests: (vars, assert with type/value/\n" +
			"threshold/weight, not- prefixes, defaultTest), JSONL (one case per line) or CSV (columns are\n" +
			"vars; __expected, __expected1..N, __description, __threshold). Every assertion is checked:\n" +
			"an invalid one (bad regex, bad schema, unknown type) is refused naming the case.\n" +
			"FILE - reads stdin (give --format).",
		Example: "  verso suite import support/reply cases.yaml\n  verso suite import support/reply cases.csv --suite smoke",
		Args:    exactArgs(2, "verso suite import NAME FILE [--suite S]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, path := args[0], args[1]
			f := suitefile.Format(format)
			var in io.Reader
			if path == "-" {
				if format == "" {
					return usageErr("reading stdin needs --format yaml, jsonl or csv")
				}
				in = a.stdin
			} else {
				if format == "" {
					var err error
					if f, err = suitefile.FormatOf(path); err != nil {
						return usageErr("%w", err)
					}
				}
				file, err := os.Open(path)
				if err != nil {
					return usageErr("cannot read %s: %w", path, err)
				}
				defer file.Close()
				in = file
			}
			if maxCases < 0 {
				return usageErr("--max-cases must be positive")
			}
			// JSONL and CSV are read a case at a time; a file past the
			// limits is refused before it fills the memory.
			su, err := suitefile.ParseReader(in, f, suitefile.Limits{MaxCases: maxCases})
			if err != nil {
				return usageErr("%s: %w", path, err)
			}
			su.Name = suite
			st, err := a.open(false)
			if err != nil {
				return err
			}
			defer st.Close()
			saved, err := st.SaveSuite(cmd.Context(), name, su)
			if err != nil {
				return classify(err)
			}
			fmt.Fprintf(a.stdout, "imported %d cases into suite %s of %s\n", len(saved.Cases), cell(saved.Name), cell(name))
			return nil
		},
	}
	c.Flags().StringVar(&suite, "suite", "default", "suite name")
	c.Flags().StringVar(&format, "format", "", "yaml, jsonl or csv (default: from the file extension)")
	c.Flags().IntVar(&maxCases, "max-cases", suitefile.DefaultMaxCases, "refuse a file with more cases than this")
	return c
}

func newSuiteExportCmd(a *app) *cobra.Command {
	var suite, format, out string
	c := &cobra.Command{
		Use:     "export NAME",
		Short:   "Write a suite as YAML (promptfoo tests:), JSONL or CSV",
		Example: "  verso suite export support/reply > cases.yaml\n  verso suite export support/reply --suite smoke --format csv --out smoke.csv",
		Args:    exactArgs(1, "verso suite export NAME [--suite S] [--format yaml|jsonl|csv]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := suitefile.Format(format)
			switch f {
			case suitefile.YAML, suitefile.JSONL, suitefile.CSV:
			default:
				return usageErr("unknown --format %q: use yaml, jsonl or csv", format)
			}
			st, err := a.open(true)
			if err != nil {
				return err
			}
			defer st.Close()
			su, err := st.Suite(cmd.Context(), args[0], suite)
			if err != nil {
				return classify(err)
			}
			var buf bytes.Buffer
			if err := suitefile.Write(&buf, su, f); err != nil {
				return usageErr("%w", err)
			}
			if out != "" {
				if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
					return failed(fmt.Errorf("write %s: %w", out, err))
				}
				return nil
			}
			_, err = io.WriteString(a.stdout, a.safe(buf.String()))
			return err
		},
	}
	c.Flags().StringVar(&suite, "suite", "default", "suite name")
	c.Flags().StringVar(&format, "format", "yaml", "yaml, jsonl or csv")
	c.Flags().StringVar(&out, "out", "", "write to FILE instead of stdout")
	return c
}

// suiteJSON is the stable --json shape of `verso suite list`.
type suiteJSON struct {
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Threshold   float64   `json:"threshold"`
	Cases       int       `json:"cases"`
	UpdatedAt   time.Time `json:"updated_at"`
	// Skipped: what the import that made the suite left out.
	Skipped []string `json:"skipped"`
}

func newSuiteListCmd(a *app) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:     "list NAME",
		Short:   "List a prompt's suites",
		Example: "  verso suite list support/reply\n  verso suite list support/reply --json",
		Args:    exactArgs(1, "verso suite list NAME [--json]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.open(true)
			if err != nil {
				return err
			}
			defer st.Close()
			sus, err := st.Suites(cmd.Context(), args[0])
			if err != nil {
				return classify(err)
			}
			if asJSON {
				out := make([]suiteJSON, len(sus))
				for i, s := range sus {
					out[i] = suiteJSON{Name: s.Name, Description: s.Description, Threshold: s.Threshold, Cases: len(s.Cases), UpdatedAt: s.UpdatedAt, Skipped: s.Skipped}
					if out[i].Skipped == nil {
						out[i].Skipped = []string{}
					}
				}
				return printJSON(a.stdout, out)
			}
			if len(sus) == 0 {
				fmt.Fprintf(a.stdout, "%s has no suites: import one with `verso suite import %s FILE`\n", cell(args[0]), cell(args[0]))
				return nil
			}
			tw := table(a.stdout)
			fmt.Fprintln(tw, "SUITE\tCASES\tTHRESHOLD\tUPDATED\tDESCRIPTION")
			for _, s := range sus {
				th := "all"
				if s.Threshold > 0 {
					th = fmt.Sprintf("%g", s.Threshold)
				}
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", cell(s.Name), len(s.Cases), th, ago(s.UpdatedAt), cell(s.Description))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			for _, s := range sus {
				if len(s.Skipped) > 0 {
					fmt.Fprintf(a.stdout, "suite %s: %d items were left out at import and do not run (--json lists them)\n", cell(s.Name), len(s.Skipped))
				}
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}
