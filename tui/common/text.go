package common

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/eval/suitefile"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/store/sanitize"
)

// Clean makes untrusted text (prompt text, names, model output) safe to
// draw: escape sequences and control characters other than newline and tab
// are removed, tabs become spaces.
func Clean(s string) string {
	return strings.ReplaceAll(sanitize.Text(s), "\t", "    ")
}

// CleanLine is Clean for one-line fields: newlines become spaces.
func CleanLine(s string) string {
	return strings.ReplaceAll(sanitize.Line(s), "\t", " ")
}

// Fit truncates s (which may hold styles) to width columns, with an
// ellipsis, and pads it with spaces to exactly width.
func Fit(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > width {
		s = ansi.Truncate(s, width, "…")
	}
	if pad := width - ansi.StringWidth(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}

// Trunc truncates s to width columns with an ellipsis, without padding.
func Trunc(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > width {
		return ansi.Truncate(s, width, "…")
	}
	return s
}

// Box cuts or pads lines to exactly height lines of width columns: what a
// screen's View must return.
func Box(lines []string, width, height int) string {
	if height <= 0 || width <= 0 {
		return ""
	}
	if len(lines) > height {
		lines = lines[:height]
	}
	out := make([]string, height)
	for i := range out {
		if i < len(lines) {
			out[i] = Fit(lines[i], width)
		} else {
			out[i] = strings.Repeat(" ", width)
		}
	}
	return strings.Join(out, "\n")
}

// Ago says how long ago t was, the way people say it: "just now",
// "5 minutes ago", "3 hours ago", "2 days ago", then a date.
func Ago(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	case d < 30*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	case t.Year() == now.Year():
		return t.Local().Format("Jan 2")
	}
	return t.Local().Format("Jan 2 2006")
}

// Plural is "1 case", "2 cases".
func Plural(n int, unit string) string { return plural(n, unit) }

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// Explain turns an error into one line that says what happened and what
// to do in the TUI. The store and the eval packages return typed errors
// without advice (or with the command line's, which the TUI replaces); the
// TUI's own keys are added here: ctrl+f to force, ctrl+r to run the suite,
// e on a test case, a model ticked in the run form.
func Explain(err error) string {
	if err == nil {
		return ""
	}
	msg := CleanLine(err.Error())
	var (
		ge      *store.GateError
		moved   *store.LabelMovedError
		missing *prompt.MissingError
		key     *provider.KeyError
		noModel *runner.NoModelError
		empty   *runner.EmptySuiteError
		compare *runner.ComparisonError
		stopped *runner.StoppedError
		tooMany *suitefile.TooManyCasesError
	)
	switch {
	case errors.As(err, &ge):
		d := ge.Decision
		if d.ByLocalGate {
			msg = strings.Replace(msg, d.Label+" is protected", d.Label+" is protected (by your config file's gate section)", 1)
		}
		return msg + ": " + GateAdvice(d)
	case errors.As(err, &moved):
		return msg + ": nothing was changed; look at it again and decide"
	case errors.Is(err, store.ErrNeedReason):
		return "a forced change needs a reason: type it, then ctrl+f"
	case errors.As(err, &missing):
		return msg + ": e on the test case sets them"
	case errors.As(err, &key):
		return fmt.Sprintf("provider %s needs an API key: export %s before starting verso, or tick another model in the run form", CleanLine(key.Provider), CleanLine(key.Env))
	case errors.As(err, &noModel):
		return msg + ": tick a model in the run form"
	case errors.As(err, &empty):
		return msg + ": add cases in the Tests tab (a) or import a file (i)"
	case errors.As(err, &compare):
		return msg + ": tick two or more versions or models in the run form"
	case errors.As(err, &stopped):
		return msg + ": R on the run resumes it once the server recovers"
	case errors.As(err, &tooMany):
		return msg + " into smaller files"
	case errors.Is(err, provider.ErrDemoNotRunning):
		return msg + ": quit and start verso again, which starts it"
	case errors.Is(err, store.ErrReadOnly):
		if !strings.Contains(msg, "read-only") {
			msg += " (the database is read-only)"
		}
		return msg + ": open a writable copy or fix the file's permissions"
	case errors.Is(err, store.ErrConflict) && !strings.Contains(msg, "try again"):
		return msg + ": someone else changed it first; the screen reloads, try again"
	}
	return msg
}

// GateAdvice is what the TUI offers when the gate refuses a change.
func GateAdvice(d store.GateDecision) string {
	switch d.Reason {
	case store.GateNoRun:
		return "ctrl+r runs the suite, or type a reason and ctrl+f forces it"
	case store.GateBelowMin:
		return "fix the failures and ctrl+r runs the suite again, or type a reason and ctrl+f forces it"
	case store.GateSuiteChanged:
		return "ctrl+r runs the suite as it is now, or type a reason and ctrl+f forces it"
	}
	return "type a reason, then ctrl+f forces it"
}
