package diffview

import (
	"strings"
	"testing"
)

// FuzzDiff: the diff of any two texts (escapes, invalid UTF-8, CRs, huge
// lines) is computed without panicking, counts what it shows, and the diff
// of a text with itself is empty.
func FuzzDiff(f *testing.F) {
	for _, p := range [][2]string{
		{"a\nb\nc\n", "a\nB\nc\nd\n"}, {"", "x"}, {"\x1b[31mred\n", "red\n"}, {"tab\there", "tab  here"},
		{"same", "same"}, {"\xff\xfe\n", "\u202e\n"}, {"one two three", "one 2 three"}, {"a\r\nb", "a\nb"},
	} {
		f.Add(p[0], p[1], uint8(3))
	}
	f.Fuzz(func(t *testing.T, a, b string, ctx uint8) {
		d := Compute(a, b, int(ctx%8)-1)
		if d.Added < 0 || d.Deleted < 0 {
			t.Fatalf("negative counts %+v", d)
		}
		if same := Compute(a, a, 3); !same.Equal() {
			t.Fatalf("a text differs from itself: %q", a)
		}
		if strings.Contains(a, "\n") && len(d.Rows) == 0 && a != b {
			t.Fatalf("no rows for %q vs %q", a, b)
		}
	})
}
