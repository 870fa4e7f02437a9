package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/seed94f0f622/verso/store"
)

func newCopyCmd(a *app) *cobra.Command {
	var from, to string
	var merge bool
	c := &cobra.Command{
		Use:   "copy --from SRC --to DST",
		Short: "Copy a whole registry between SQLite files and PostgreSQL databases, verified by counts and checksums",
		Long: "Copy moves everything a registry holds (prompts, versions with their hashes and times, labels and\n" +
			"their history, splits, rollouts, suites, runs and results, events, feedback and rollups) from SRC to\n" +
			"DST, each a SQLite file or a postgres:// address, ids included. The destination must be empty (a new\n" +
			"file or an empty database). Each table is counted and checksummed on both sides and the figures are\n" +
			"printed; the copy succeeds only when they match. Interrupted, the same command run again continues\n" +
			"where it stopped. --merge adds SRC's prompts to a DST that already holds some: prompts DST lacks are\n" +
			"added with everything that belongs to them; prompts both hold with the same versions are kept; a\n" +
			"prompt whose versions differ refuses the merge by name and nothing is written.",
		Example: "  verso copy --from verso.db --to postgres://ann@db.internal/verso\n" +
			"  verso copy --from postgres://ann@db.internal/verso --to backup.db\n" +
			"  verso copy --from laptop.db --to postgres://ann@db.internal/verso --merge",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" || to == "" {
				return usageErr("verso copy needs --from SRC and --to DST (each a registry file or a postgres:// address)")
			}
			if !store.IsPostgres(from) {
				if _, err := os.Stat(from); errors.Is(err, os.ErrNotExist) {
					return usageErr("no registry at %s: check the --from path", from)
				}
			}
			src, err := store.OpenWith(from, store.Options{ReadOnly: true})
			if err != nil {
				return classify(err)
			}
			defer src.Close()
			dst, err := store.OpenWith(to, store.Options{})
			if err != nil {
				return classify(err)
			}
			defer dst.Close()
			rep, err := store.Copy(cmd.Context(), src, dst, store.CopyOptions{Merge: merge, Progress: func(p store.CopyProgress) {
				if p.Done && p.Rows > 0 {
					fmt.Fprintf(a.stderr, "copied %s: %s\n", p.Table, copyRows(p.Rows))
				}
			}})
			if len(rep.Tables) > 0 {
				printCopyReport(a, rep)
			}
			var owner *store.OwnerError
			if errors.As(err, &owner) {
				return usageErr("%s: connect as %s (or a superuser), or grant its role: GRANT %s TO %s; nothing was written",
					owner.Error(), owner.Owner, pgIdent(owner.Owner), pgIdent(owner.Role))
			}
			if errors.Is(err, store.ErrNotEmpty) {
				return usageErr("%s: pass --merge to add the source's prompts to it, or copy to a new file or an empty database",
					strings.TrimSuffix(userMessage(err), ": "+store.ErrNotEmpty.Error()))
			}
			// A copy that ran and does not match exits 1 (classify).
			return classify(err)
		},
	}
	c.Flags().StringVar(&from, "from", "", "the registry to copy: a file or a postgres:// address (only read)")
	c.Flags().StringVar(&to, "to", "", "where to copy it: a new file or an empty postgres:// database")
	c.Flags().BoolVar(&merge, "merge", false, "add the source's prompts to a destination that already holds some")
	return c
}

// printCopyReport prints each table's counts and checksums on both sides.
func printCopyReport(a *app, rep store.CopyReport) {
	short := func(s string) string { return s[:min(16, len(s))] }
	width := 0
	for _, t := range rep.Tables {
		width = max(width, len(t.Name))
	}
	name := func(n string) string { return n + strings.Repeat(" ", width-len(n)) }
	w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	if rep.Merge {
		fmt.Fprintf(a.stdout, "merged %s into %s: added %s, kept %s that both hold alike\n", rep.From, rep.To,
			promptList(rep.AddedPrompts), promptList(rep.KeptPrompts))
		fmt.Fprintln(w, name("table")+"\tsource\tkept\tadded\tbefore\tafter\tbefore+added\tafter\t")
		for _, t := range rep.Tables {
			fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t\n", name(t.Name), t.Source, t.Kept, t.Added, t.Before, t.Destination, short(t.SourceSum), short(t.DestSum))
		}
		w.Flush()
		fmt.Fprintf(a.stdout, "checksum before+added %s\nchecksum after        %s\n", rep.SourceChecksum, rep.DestChecksum)
		if rep.SourceChecksum == rep.DestChecksum {
			fmt.Fprintln(a.stdout, "verified: the destination holds what it held plus every row added")
		}
		return
	}
	resumed := ""
	if rep.Resumed {
		resumed = " (an interrupted copy, finished)"
	}
	fmt.Fprintf(a.stdout, "copied %s to %s%s\n", rep.From, rep.To, resumed)
	fmt.Fprintln(w, name("table")+"\tsource\tdestination\tsource sum\tdestination sum\t")
	for _, t := range rep.Tables {
		fmt.Fprintf(w, "%s\t%d\t%d\t%s\t%s\t\n", name(t.Name), t.Source, t.Destination, short(t.SourceSum), short(t.DestSum))
	}
	w.Flush()
	fmt.Fprintf(a.stdout, "checksum source      %s\nchecksum destination %s\n", rep.SourceChecksum, rep.DestChecksum)
	if rep.SourceChecksum == rep.DestChecksum {
		fmt.Fprintln(a.stdout, "verified: every table has the same rows on both sides")
	}
}

func copyRows(n int64) string {
	if n == 1 {
		return "1 row"
	}
	return fmt.Sprintf("%d rows", n)
}

func promptList(names []string) string {
	switch len(names) {
	case 0:
		return "no prompts"
	case 1:
		return "1 prompt (" + names[0] + ")"
	}
	shown := names
	more := ""
	if len(shown) > 5 {
		shown, more = shown[:5], fmt.Sprintf(" and %d more", len(names)-5)
	}
	return fmt.Sprintf("%d prompts (%s%s)", len(names), strings.Join(shown, ", "), more)
}

// shellArg quotes s for a command line the user may paste (addresses hold
// '?' and '&').
func shellArg(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-./:@%+=,", r)) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}

// pgIdent is a role name as SQL spells it: bare when it may be, quoted
// otherwise.
func pgIdent(name string) string {
	if name != "" && strings.IndexFunc(name, func(r rune) bool { return !(r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }) < 0 &&
		(name[0] < '0' || name[0] > '9') {
		return name
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
