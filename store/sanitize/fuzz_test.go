package sanitize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzStrip: whatever a model or a shared file holds, Text leaves no escape
// sequence, control character or bidi control and only valid UTF-8, and
// Line leaves no line break or tab.
func FuzzStrip(f *testing.F) {
	for _, s := range []string{"plain", "\x1b[31mred\x1b[0m", "\x1b]0;title\x07", "\x1b]52;c;aGk=\x1b\\", "a\rb\r\nc", "\u202eexe.txt",
		"\x9b31m", "\xff\xfe", "tab\there\nline", "\x1bP+q\x1b\\", "\u2066iso\u2069"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Text(%q) = %q: invalid UTF-8", s, out)
		}
		for _, r := range out {
			if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) || IsBidiControl(r) {
				t.Fatalf("Text(%q) = %q keeps %U", s, out, r)
			}
		}
		if Text(out) != out {
			t.Fatalf("Text is not idempotent on %q", s)
		}
		if l := Line(s); strings.ContainsAny(l, "\n\t\r\x1b") {
			t.Fatalf("Line(%q) = %q", s, l)
		}
	})
}
