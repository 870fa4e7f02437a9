package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/seed94f0f622/verso/eval/importer"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/eval/suitefile"
	"github.com/seed94f0f622/verso/store"
)

// advisedError is a store error with the command line's advice for it: the
// store says what is wrong, the CLI says which command or flag fixes it.
type advisedError struct {
	err    error
	msg    string
	advice string
	paren  bool // the advice is an aside in parentheses, not a clause after ": "
}

func (e *advisedError) Error() string {
	if e.paren {
		return e.msg + " (" + e.advice + ")"
	}
	return e.msg + ": " + e.advice
}
func (e *advisedError) Unwrap() error { return e.err }

// advise adds the command line's advice to the typed errors that need a
// decision from the user (the gate, a label moved meanwhile, a forced
// change without a reason, a run without a model, a run stopped by the
// circuit breaker, an import that needs a flag). Other errors, and errors
// already advised, are returned as they are.
func advise(err error) error {
	var (
		ge        *store.GateError
		moved     *store.LabelMovedError
		done      *advisedError
		noModel   *runner.NoModelError
		empty     *runner.EmptySuiteError
		compare   *runner.ComparisonError
		stopped   *runner.StoppedError
		key       *provider.KeyError
		tooMany   *suitefile.TooManyCasesError
		unsup     *importer.UnsupportedError
		ambiguous *importer.AmbiguousError
		outside   *importer.OutsideError
	)
	if err == nil || errors.As(err, &done) {
		return err
	}
	switch {
	case errors.As(err, &noModel):
		return &advisedError{err: err, msg: userMessage(err), advice: "pass --model provider/model (e.g. demo/demo-large)"}
	case errors.As(err, &empty):
		return &advisedError{err: err, msg: userMessage(err), advice: fmt.Sprintf("import some with `verso suite import %s FILE`", empty.Prompt)}
	case errors.As(err, &compare):
		return &advisedError{err: err, msg: userMessage(err), advice: "run two or more versions (NAME@1 NAME@2) or pass --model twice, or remove the comparison from the case"}
	case errors.As(err, &stopped):
		return &advisedError{err: err, msg: userMessage(err), advice: fmt.Sprintf("resume with `verso eval --resume %d` once the server recovers", stopped.RunID)}
	case errors.As(err, &key):
		return &advisedError{err: err, msg: userMessage(err), advice: "or pick another model, e.g. --model demo/demo-large", paren: true}
	case errors.Is(err, provider.ErrDemoNotRunning):
		return &advisedError{err: err, msg: userMessage(err), advice: "use `verso eval` or `verso demo`, which start it"}
	case errors.As(err, &tooMany):
		return &advisedError{err: err, msg: userMessage(err), advice: "or raise the limit with --max-cases", paren: true}
	case errors.As(err, &unsup):
		return &advisedError{err: err, msg: userMessage(err), advice: "pass --skip-unsupported to import the rest without it", paren: true}
	case errors.As(err, &ambiguous):
		flags := make([]string, len(ambiguous.Formats))
		for i, f := range ambiguous.Formats {
			flags[i] = "--format " + string(f)
		}
		return &advisedError{err: err, msg: userMessage(err), advice: "pass " + strings.Join(flags, " or ")}
	case errors.As(err, &outside):
		return &advisedError{err: err, msg: userMessage(err), advice: "pass --allow-outside to follow it (only for configs you trust)"}
	}
	switch {
	case errors.As(err, &ge):
		d := ge.Decision
		msg := userMessage(err)
		if d.ByLocalGate {
			msg = strings.Replace(msg, d.Label+" is protected", d.Label+" is protected (by your config file's gate section)", 1)
		}
		eval := fmt.Sprintf("`verso eval %s@%d --suite %s`", d.Prompt, d.Version, d.Gate.DefaultSuite)
		var advice string
		switch d.Reason {
		case store.GateNoRun:
			advice = "run " + eval + " first, or pass --force --reason TEXT"
		case store.GateBelowMin:
			advice = "fix the failures and re-run " + eval + ", or pass --force --reason TEXT"
		case store.GateSuiteChanged:
			advice = "re-run " + eval + ", or pass --force --reason TEXT"
		default:
			advice = "pass --force --reason TEXT"
		}
		return &advisedError{err: err, msg: msg, advice: advice}
	case errors.As(err, &moved):
		return &advisedError{err: err, msg: userMessage(err),
			advice: fmt.Sprintf("nothing was changed; see `verso labels %s` and decide again", moved.Prompt)}
	case errors.Is(err, store.ErrNeedReason):
		return &advisedError{err: err, msg: userMessage(err), advice: "pass --reason TEXT"}
	case errors.Is(err, store.ErrNotVerso):
		return &advisedError{err: err, msg: userMessage(err), advice: "pass --db with a Verso database or a new path"}
	}
	var missing *store.MissingError
	if errors.As(err, &missing) {
		var advice string
		switch {
		case missing.Kind == store.MissingPrompt && len(missing.Have) == 0:
			advice = "see `verso list`"
		case missing.Kind == store.MissingLabel:
			advice = fmt.Sprintf("set one with `verso label %s VERSION %s`", missing.Prompt, missing.Name)
		case missing.Kind == store.MissingSuite && len(missing.Have) == 0:
			advice = fmt.Sprintf("import one with `verso suite import %s FILE`", missing.Prompt)
		case missing.Kind == store.MissingRun:
			advice = "see `verso runs NAME`"
		default:
			return err
		}
		return &advisedError{err: err, msg: userMessage(err), advice: advice}
	}
	return err
}
