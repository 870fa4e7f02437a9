package tui

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/eval/config"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/themes"
	"github.com/seed94f0f622/verso/tui/common"
	"github.com/seed94f0f622/verso/tui/editor"
)

// Options are what the TUI runs on. cmd/verso resolves them (flags > env >
// config file > defaults) and passes them in.
type Options struct {
	Store     *store.Store
	DBPath    string
	Author    string
	Engine    *runner.Engine // nil: the eval workspace says evals are unavailable
	Providers *provider.Registry
	Config    config.Config
	// ThemeName is the theme asked for ("" = the adaptive default, which
	// follows the terminal's background).
	ThemeName string
	Editor    string              // "" = $VISUAL, $EDITOR, vi
	Poll      time.Duration       // live-sharing poll; 0 = every second, <0 = off
	Getenv    func(string) string // nil = os.Getenv (NO_COLOR)
	Now       func() time.Time    // nil = time.Now
	Ctx       context.Context     // nil = background
}

func (o Options) withDefaults() Options {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Poll == 0 {
		o.Poll = time.Second
	}
	if o.Editor == "" {
		o.Editor = editor.Editor(o.Getenv)
	}
	return o
}

// inlineDefault reports that e and n open the inline editor: no editor
// was asked for (Options.Editor, $VISUAL, $EDITOR).
func (o Options) inlineDefault() bool {
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	return o.Editor == "" && strings.TrimSpace(getenv("VISUAL")) == "" && strings.TrimSpace(getenv("EDITOR")) == ""
}

// theme resolves the theme for a dark or light background. Unknown names
// were refused before the TUI starts (CheckTheme), so this cannot fail.
func (o Options) theme(isDark bool) themes.Theme {
	th, err := themes.FromEnv(o.ThemeName, isDark, o.Getenv)
	if err != nil {
		return themes.MustGet("", isDark)
	}
	return th
}

// CheckTheme reports an unknown theme name with the names there are.
func CheckTheme(name string) error {
	if name == "" {
		return nil
	}
	_, err := themes.Get(name, true)
	return err
}

// CheckKeys reports a config file's key overrides that cannot apply.
func CheckKeys(over map[string][]string) error {
	var c common.Common
	return c.SetKeys(over)
}

// Run runs the TUI until the user quits or ctx ends.
func Run(ctx context.Context, o Options) error {
	o.Ctx = ctx
	m := New(o)
	term := common.NewTerminal(os.Stdout)
	m.c.Terminal = term
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithOutput(term))
	_, err := p.Run()
	if derr := m.saveDrafts(); derr != nil && err == nil {
		err = fmt.Errorf("keep the editor's draft: %w", derr)
	}
	if m.edit.path != "" {
		m.discardEdit()
	}
	return err
}
