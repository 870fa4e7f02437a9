package common

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

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

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// Explain turns an error into one line that says what happened and what
// to do. Store errors already carry their advice; these add it for the
// cases a person can act on.
func Explain(err error) string {
	if err == nil {
		return ""
	}
	msg := CleanLine(err.Error())
	switch {
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
