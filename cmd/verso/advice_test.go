package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/eval/importer"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/eval/suitefile"
)

// The eval, provider, suite and import packages say what is wrong and name
// no flag or command (the TUI shows them too); the command line adds its
// own advice: the flag or command that fixes it.
func TestEvalErrorsGetCommandLineAdvice(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("eval: %w", &runner.NoModelError{Prompt: "p", Version: 2}), "eval: p@2 has no model in its config: pass --model provider/model (e.g. demo/demo-large)"},
		{&runner.EmptySuiteError{Prompt: "p", Suite: "smoke"}, "suite \"smoke\" of p has no cases: import some with `verso suite import p FILE`"},
		{&runner.ComparisonError{Prompt: "p", Suite: "s", Case: "c", Err: errors.New("select-best compares outputs")}, `suite "s" of p, case "c": select-best compares outputs: run two or more versions (NAME@1 NAME@2) or pass --model twice`},
		{&runner.StoppedError{RunID: 9, Calls: 8, Reason: "HTTP 429", Last: "quota"}, "finished results are kept: resume with `verso eval --resume 9` once the server recovers"},
		{&provider.KeyError{Provider: "openai", Env: "OPENAI_API_KEY"}, "provider openai needs an API key: export OPENAI_API_KEY (or pick another model, e.g. --model demo/demo-large)"},
		{fmt.Errorf("provider demo: %w", provider.ErrDemoNotRunning), "the demo model server is not running: use `verso eval` or `verso demo`, which start it"},
		{&suitefile.TooManyCasesError{Max: 10}, "more than 10 cases: split the suite (or raise the limit with --max-cases)"},
		{&importer.UnsupportedError{Field: "options.transform", Why: "runs JavaScript"}, "options.transform: runs JavaScript (pass --skip-unsupported to import the rest without it)"},
		{&importer.AmbiguousError{Path: "prompts", Formats: []importer.Format{importer.Prompty, importer.Dotprompt}}, "prompts holds files of more than one format (prompty, dotprompt): name the one to import: pass --format prompty or --format dotprompt"},
		{&importer.OutsideError{Ref: "file://../x", Root: "/cfg"}, "file://../x points outside the config's folder /cfg: pass --allow-outside to follow it (only for configs you trust)"},
		{&importer.OutsideError{Ref: "file://l", Root: "/cfg", Link: true}, "file://l leads outside the config's folder /cfg through a link: pass --allow-outside"},
	}
	for _, c := range cases {
		if raw := c.err.Error(); strings.Contains(raw, "--") || strings.Contains(raw, "`verso") {
			t.Errorf("%T names a flag or command itself: %q", c.err, raw)
		}
		got := advise(c.err).Error()
		if !strings.Contains(got, c.want) {
			t.Errorf("advise(%T) = %q, want %q", c.err, got, c.want)
		}
		if again := advise(advise(c.err)).Error(); again != got {
			t.Errorf("advised twice: %q", again)
		}
	}
}
