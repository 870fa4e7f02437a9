// Package sanitize makes untrusted text (prompt templates, model output,
// names typed by other people) safe to print on a terminal: escape sequences
// and control characters other than newline and tab never reach the screen.
//
// It lives under store because every layer that prints text (eval reports,
// the TUI, the CLI) may import store, and nothing below it.
package sanitize

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"
)

// Text removes ANSI/OSC/DCS escape sequences, control characters except
// '\n' and '\t', and bidirectional controls (U+202A-U+202E, U+2066-U+2069,
// U+200E, U+200F, U+061C: a right-to-left override makes "txt.exe" show as
// "exe.txt"). A bare '\r' is dropped ("\r\n" becomes "\n"). Invalid UTF-8
// bytes become U+FFFD.
func Text(s string) string {
	if clean(s) {
		return s
	}
	s = ansi.Strip(s)
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || IsBidiControl(r):
			// control character: drop
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Line is Text for a single-line context (list cells, status bar, titles):
// newlines and tabs become spaces as well.
func Line(s string) string {
	s = Text(s)
	if strings.ContainsAny(s, "\n\t") {
		s = strings.NewReplacer("\n", " ", "\t", " ").Replace(s)
	}
	return s
}

// clean reports whether s has nothing to strip (the common, fast path).
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f || c >= 0x80 {
			if c >= 0x80 {
				// non-ASCII: check for C1 controls and invalid UTF-8 the slow way
				return cleanSlow(s[i:])
			}
			return false
		}
	}
	return true
}

func cleanSlow(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r < 0x20 && r != '\n' && r != '\t' || r == 0x7f || (r >= 0x80 && r < 0xa0) || IsBidiControl(r) {
			return false
		}
		i += size
	}
	return true
}

// IsBidiControl reports whether r is a Unicode bidirectional formatting
// character (the Bidi_Control property): embeddings, overrides, isolates
// and the implicit marks.
func IsBidiControl(r rune) bool {
	return r >= 0x061c && unicode.Is(unicode.Bidi_Control, r)
}
