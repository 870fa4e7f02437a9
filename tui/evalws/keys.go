package evalws

import (
	"charm.land/bubbles/v2/key"

	"github.com/seed94f0f622/verso/tui/common"
)

func bind(keys []string, help, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
}

// TestsKeys are the keys of the Tests tab.
type TestsKeys struct {
	common.ListKeys
	Render key.Binding
	Add    key.Binding
	Edit   key.Binding
	YAML   key.Binding
	Delete key.Binding
	Import key.Binding
	Run    key.Binding
	// Confirmation and input keys.
	Yes, No, Submit, Cancel, NextField key.Binding
}

// DefaultTestsKeys returns the Tests tab bindings.
func DefaultTestsKeys() TestsKeys {
	return TestsKeys{
		ListKeys:  common.DefaultListKeys(),
		Render:    bind([]string{"enter"}, "enter", "rendered prompt"),
		Add:       bind([]string{"a"}, "a", "add case"),
		Edit:      bind([]string{"e"}, "e", "edit case"),
		YAML:      bind([]string{"Y"}, "Y", "add or edit as YAML"),
		Delete:    bind([]string{"x", "d"}, "x", "delete case"),
		Import:    bind([]string{"i"}, "i", "import suite file"),
		Run:       bind([]string{"r"}, "r", "new run"),
		Yes:       bind([]string{"y", "enter"}, "y", "yes"),
		No:        bind([]string{"n", "esc"}, "n/esc", "no"),
		Submit:    bind([]string{"enter"}, "enter", "confirm"),
		Cancel:    bind([]string{"esc"}, "esc", "cancel"),
		NextField: bind([]string{"tab", "shift+tab"}, "tab", "next field"),
	}
}

// RunsKeys are the keys of the Runs tab.
type RunsKeys struct {
	common.ListKeys
	Open    key.Binding
	Mark    key.Binding
	Compare key.Binding
	Run     key.Binding
}

// DefaultRunsKeys returns the Runs tab bindings.
func DefaultRunsKeys() RunsKeys {
	return RunsKeys{
		ListKeys: common.DefaultListKeys(),
		Open:     bind([]string{"enter"}, "enter", "open run"),
		Mark:     bind([]string{"space"}, "space", "mark"),
		Compare:  bind([]string{"c"}, "c", "compare runs"),
		Run:      bind([]string{"r"}, "r", "new run"),
	}
}

// FormKeys are the keys of the new-run form.
type FormKeys struct {
	Up, Down    key.Binding
	Toggle      key.Binding
	Left        key.Binding
	Right       key.Binding
	Start       key.Binding
	NextSection key.Binding
}

// DefaultFormKeys returns the new-run form bindings.
func DefaultFormKeys() FormKeys {
	return FormKeys{
		Up:          bind([]string{"up", "k"}, "↑/k", "up"),
		Down:        bind([]string{"down", "j"}, "↓/j", "down"),
		Toggle:      bind([]string{"space", "x"}, "space", "select"),
		Left:        bind([]string{"left", "h", "-"}, "←/-", "less / previous"),
		Right:       bind([]string{"right", "l", "+"}, "→/+", "more / next"),
		Start:       bind([]string{"enter"}, "enter", "start run"),
		NextSection: bind([]string{"tab", "shift+tab"}, "tab", "next section"),
	}
}

// MatrixKeys are the keys of the results matrix.
type MatrixKeys struct {
	common.ListKeys
	Left, Right key.Binding
	Detail      key.Binding
	Mark        key.Binding
	Diff        key.Binding
	Sort        key.Binding
	Filter      key.Binding
	Promote     key.Binding
	Cancel      key.Binding
	Resume      key.Binding
}

// DefaultMatrixKeys returns the matrix bindings.
func DefaultMatrixKeys() MatrixKeys {
	return MatrixKeys{
		ListKeys: common.DefaultListKeys(),
		Left:     bind([]string{"left", "h"}, "←/h", "column left"),
		Right:    bind([]string{"right", "l"}, "→/l", "column right"),
		Detail:   bind([]string{"enter"}, "enter", "cell detail"),
		Mark:     bind([]string{"space"}, "space", "mark cell"),
		Diff:     bind([]string{"d"}, "d", "diff with mark"),
		Sort:     bind([]string{"s"}, "s", "sort"),
		Filter:   bind([]string{"f"}, "f", "filter"),
		Promote:  bind([]string{"p"}, "p", "promote column"),
		Cancel:   bind([]string{"x", "ctrl+c"}, "x/ctrl+c", "cancel run"),
		Resume:   bind([]string{"R"}, "R", "resume run"),
	}
}

// ScrollKeys scroll a read-only page (cell detail, runs comparison).
type ScrollKeys struct {
	common.ListKeys
	Next key.Binding // next repeat (detail) / open flip (compare)
	Diff key.Binding
}

// DefaultScrollKeys returns the bindings of the read-only pages.
func DefaultScrollKeys() ScrollKeys {
	return ScrollKeys{
		ListKeys: common.DefaultListKeys(),
		Next:     bind([]string{"tab"}, "tab", "next repeat"),
		Diff:     bind([]string{"d", "enter"}, "d/enter", "diff outputs"),
	}
}
