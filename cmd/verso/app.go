package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/seed94f0f622/verso/eval/config"
	"github.com/seed94f0f622/verso/store"
)

// app holds the global flags and the process's streams; every command gets it.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	dbFlag     string
	journal    string
	authorFlag string
	configFlag string // set by tests; there is no global flag (see newRootCmd)
	themeFlag  string

	cfg    *config.Config // the config file, loaded once (config)
	cfgErr error
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{stdin: stdin, stdout: stdout, stderr: stderr}
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "verso",
		Short: "A terminal-native prompt workbench",
		Long: "Verso keeps prompts in a registry on one SQLite file: immutable versions, diffs, labels\n" +
			"with an append-only history, test suites and evals. Run it without arguments for the TUI.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runTUI(cmd.Context(), "")
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.dbFlag, "db", "", "database file (default: $VERSO_DB, ./verso.db, or ~/.local/share/verso/verso.db)")
	pf.StringVar(&a.journal, "journal", "", "journal mode: wal (default) or delete (for network file systems)")
	pf.StringVar(&a.authorFlag, "author", "", "author recorded on changes (default: $VERSO_AUTHOR, git user.name, $USER)")
	pf.StringVar(&a.themeFlag, "theme", "", "TUI theme (default: $VERSO_THEME, config, or auto)")
	// The config file is chosen with $VERSO_CONFIG: --config belongs to
	// `commit` (a model config file), as in the CLI contract.

	for _, c := range commands(a) {
		root.AddCommand(c)
	}
	suggestCommands(root)
	return root
}

// suggestCommands makes every command that has subcommands answer a
// mistyped one with "did you mean" (cobra only does that for a root
// without Args of its own): `verso shwo` suggests show.
func suggestCommands(c *cobra.Command) {
	if c.HasSubCommands() {
		c.SuggestionsMinimumDistance = 2
		orig := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if orig != nil {
				if err := orig(cmd, args); err == nil || len(args) == 0 {
					return err
				}
			} else if len(args) == 0 {
				return nil
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if sug := cmd.SuggestionsFor(args[0]); len(sug) > 0 {
				msg += fmt.Sprintf(": did you mean %q?", strings.Join(sug, `" or "`))
			} else {
				msg += fmt.Sprintf(": see `%s --help`", cmd.CommandPath())
			}
			return usageErr("%s", msg)
		}
	}
	for _, sub := range c.Commands() {
		suggestCommands(sub)
	}
}

// dbPath resolves the database path: --db, $VERSO_DB, ./verso.db if it
// exists, else $XDG_DATA_HOME/verso/verso.db.
func (a *app) dbPath() (string, error) {
	if a.dbFlag != "" {
		return a.dbFlag, nil
	}
	if p := os.Getenv("VERSO_DB"); p != "" {
		return p, nil
	}
	if _, err := os.Stat("verso.db"); err == nil {
		return "verso.db", nil
	}
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", usageErr("cannot find a home directory for the database: pass --db PATH or set VERSO_DB")
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "verso", "verso.db"), nil
}

// configPath resolves the config file: $VERSO_CONFIG, else
// $XDG_CONFIG_HOME/verso/config.yaml (which may not exist).
func (a *app) configPath() string {
	if a.configFlag != "" {
		return a.configFlag
	}
	if p := os.Getenv("VERSO_CONFIG"); p != "" {
		return p
	}
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, ".config")
		}
	}
	return filepath.Join(dir, "verso", "config.yaml")
}

// config loads the config file once. A bad file is a one-line usage error
// naming the file, the line and the problem.
func (a *app) config() (config.Config, error) {
	if a.cfg == nil && a.cfgErr == nil {
		c, err := config.LoadConfig(a.configPath())
		if err != nil {
			a.cfgErr = usageErr("%w", err)
		} else {
			a.cfg = &c
		}
	}
	if a.cfgErr != nil {
		return config.Config{}, a.cfgErr
	}
	return *a.cfg, nil
}

// localGate is the config file's gate: section. It can only tighten the
// gate stored in the database (store.Options.LocalGate): more protected
// labels, a higher minimum pass rate; its suite is ignored.
func (a *app) localGate() (store.GateSettings, error) {
	cfg, err := a.config()
	if err != nil {
		return store.GateSettings{}, err
	}
	g := store.GateSettings{Protected: cfg.Gate.Protected, MinPassRate: cfg.Gate.MinPassRate, DefaultSuite: cfg.Gate.Suite}
	if err := g.Validate(); err != nil {
		return g, usageErr("config %s: %s", a.configPath(), userMessage(err))
	}
	return g, nil
}

// author resolves who is making a change: --author, $VERSO_AUTHOR,
// git config user.name, $USER.
func (a *app) author() string {
	if a.authorFlag != "" {
		return a.authorFlag
	}
	if v := os.Getenv("VERSO_AUTHOR"); v != "" {
		return v
	}
	if out, err := exec.Command("git", "config", "user.name").Output(); err == nil {
		if v := strings.TrimSpace(string(out)); v != "" {
			return v
		}
	}
	if v := os.Getenv("USER"); v != "" {
		return v
	}
	return "unknown"
}

// open opens the database. Read-only commands pass readOnly so that a
// missing file is an error rather than silently created.
func (a *app) open(readOnly bool) (*store.Store, error) {
	path, err := a.dbPath()
	if err != nil {
		return nil, err
	}
	if store.IsPostgres(path) {
		// A PostgreSQL database: the server says whether it exists.
	} else if readOnly {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, usageErr("no database at %s: create one with `verso commit` or `verso demo`, or pass --db PATH", path)
		}
	} else if a.dbFlag == "" && os.Getenv("VERSO_DB") == "" {
		// Only the default place is created for the user (private); a path
		// given with --db or $VERSO_DB must be in an existing folder, so a
		// typo does not grow a folder tree.
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, usageErr("cannot create the database folder: %w", err)
		}
	}
	j := a.journal
	if j == "" {
		j = os.Getenv("VERSO_JOURNAL")
	}
	if j != "" && j != "wal" && j != "delete" {
		return nil, usageErr("unknown --journal %q: use wal or delete", j)
	}
	// The config's gate section tightens the file's gate for this user. A
	// write (which may move a label) needs it; a read only shows it.
	var gate store.GateSettings
	if g, err := a.localGate(); err == nil {
		gate = g
	} else if !readOnly {
		return nil, err
	}
	st, err := store.OpenWith(path, store.Options{Journal: j, ReadOnly: readOnly, LocalGate: gate})
	if err != nil && readOnly && store.IsPostgres(path) && errors.Is(err, store.ErrNotFound) {
		return nil, usageErr("no database at %s yet (it is empty): create one with `verso commit`, or pass --db", store.RedactURL(path))
	}
	if err != nil {
		return nil, classify(err)
	}
	if from, err := st.UnfinishedCopy(context.Background()); err == nil && from != "" {
		fmt.Fprintf(a.stderr, "verso: warning: %s holds an unfinished copy from %s, so not all of it yet: run `verso copy --from %s --to %s` again to finish it\n",
			st.Path(), from, shellArg(from), shellArg(st.Path()))
	}
	return st, nil
}

// classify turns store errors into exit codes: input problems (not found,
// invalid, not a Verso file, newer schema, read-only, gate, a label that
// moved since the caller's --expect-from) are exit 2; everything else is
// exit 1. Errors that need a decision get the command line's advice.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	for _, s := range []error{store.ErrNotFound, store.ErrInvalid, store.ErrNotVerso, store.ErrTooNew, store.ErrConnect,
		store.ErrReadOnly, store.ErrGate, store.ErrLatestLabel, store.ErrConflict, store.ErrLabelMoved, store.ErrGateSuite} {
		if errors.Is(err, s) {
			return &exitError{code: 2, err: advise(err)}
		}
	}
	if errors.Is(err, context.Canceled) {
		return failed(fmt.Errorf("interrupted"))
	}
	return failed(err)
}

// isTerminal reports whether w is a terminal (colours, progress bars, and
// terminal-width defaults only apply then).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && isTerminalFile(f)
}

func isTerminalFile(f *os.File) bool { return term.IsTerminal(f.Fd()) }

// termWidth is the terminal width of w, or def when w is not a terminal.
func termWidth(w io.Writer, def int) int {
	if f, ok := w.(*os.File); ok && term.IsTerminal(f.Fd()) {
		if wd, _, err := term.GetSize(f.Fd()); err == nil && wd > 0 {
			return wd
		}
	}
	return def
}
