package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/eval/config"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui"
)

// runTUI opens the interactive workbench on the database. demoURL is the
// base URL of a running demo model server ("" when none: one is started
// on loopback so the demo provider works offline).
func (a *app) runTUI(ctx context.Context, demoURL string) error {
	cfg, err := config.LoadConfig(a.configPath())
	if err != nil {
		return usageErr("%w", err)
	}
	theme := a.themeFlag
	if theme == "" {
		theme = os.Getenv("VERSO_THEME")
	}
	if theme == "" {
		theme = cfg.Theme
	}
	if err := tui.CheckTheme(theme); err != nil {
		return usageErr("--theme: %w", err)
	}
	if err := tui.CheckKeys(cfg.Keys); err != nil {
		return usageErr("%s: %w", a.configPath(), err)
	}
	if !isTerminalFile(os.Stdin) || !isTerminal(a.stdout) {
		return usageErr("the TUI needs a terminal: run the commands instead (see `verso --help`)")
	}
	path, err := a.dbPath()
	if err != nil {
		return err
	}
	if err := a.askCreate(path); err != nil {
		return err
	}
	st, err := a.open(false)
	if err != nil {
		return err
	}
	defer st.Close()

	reg := provider.NewRegistry(cfg)
	if demoURL == "" && reg.BaseURL("demo") == "" {
		o, err := demoOptions(os.Getenv)
		if err != nil {
			return usageErr("%w", err)
		}
		srv, err := modelserver.Start("127.0.0.1:0", o)
		if err != nil {
			return failed(fmt.Errorf("start the demo model server: %w", err))
		}
		defer srv.Close()
		demoURL = srv.URL()
	}
	if demoURL != "" {
		reg.SetBaseURL("demo", demoURL)
	}
	err = tui.Run(ctx, tui.Options{
		Store:     st,
		DBPath:    store.RedactURL(path),
		Author:    a.author(),
		Engine:    runner.New(st, reg),
		Providers: reg,
		Config:    cfg,
		ThemeName: theme,
	})
	if err != nil && ctx.Err() == nil {
		return failed(fmt.Errorf("tui: %w", err))
	}
	return nil
}

// askCreate asks before the TUI creates an empty registry at a file path
// that does not exist: a mistyped --db would otherwise open an empty
// workbench on a new file and leave it behind. Only "y" or "yes" creates.
func (a *app) askCreate(path string) error {
	if store.IsPostgres(path) {
		return nil
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		return nil // there is something: open reports what it is
	}
	fmt.Fprintf(a.stderr, "No registry at %s. Create an empty one there? [y/N] ", path)
	line, err := bufio.NewReader(a.stdin).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(a.stderr)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return nil
	}
	return usageErr("nothing created at %s: pass --db with the path of an existing registry, or run `verso demo` for one to try", path)
}
