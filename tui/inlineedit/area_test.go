package inlineedit

import (
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

func testStyles() AreaStyles {
	return AreaStyles{
		Text:             lipgloss.NewStyle(),
		Variable:         lipgloss.NewStyle().Underline(true),
		Cursor:           lipgloss.NewStyle().Reverse(true),
		LineNumber:       lipgloss.NewStyle(),
		CursorLineNumber: lipgloss.NewStyle(),
	}
}

func TestAreaEditing(t *testing.T) {
	a := NewArea("Hello world\nsecond")
	a.SetSize(40, 5)
	a.End()
	a.Insert("!")
	a.Insert("\nnew line")
	if got := a.Value(); got != "Hello world!\nnew line\nsecond" {
		t.Fatalf("insert: %q", got)
	}
	a.Home()
	a.Backspace() // joins with the line above
	if got := a.Value(); got != "Hello world!new line\nsecond" {
		t.Fatalf("backspace at line start: %q", got)
	}
	a.End()
	a.Delete() // joins the next line
	if got := a.Value(); got != "Hello world!new linesecond" {
		t.Fatalf("delete at line end: %q", got)
	}
	a.WordLeft()
	if _, col := a.Cursor(); col != 16 {
		t.Fatalf("word left: col %d", col)
	}
	a.DeleteWordBack()
	if got := a.Value(); got != "Hello linesecond" {
		t.Fatalf("delete word: %q", got)
	}
	for a.Undo() {
	}
	if got := a.Value(); got != "Hello world\nsecond" {
		t.Fatalf("undo all: %q", got)
	}
	// A paste with line breaks (CRLF from a browser) keeps its lines.
	a.Bottom()
	a.Insert("\r\nthird\r\nfourth")
	if got := a.Value(); got != "Hello world\nsecond\nthird\nfourth" {
		t.Fatalf("paste: %q", got)
	}
	a.Top()
	a.KillLine()
	if got := a.Value(); !strings.HasPrefix(got, "\nsecond") {
		t.Fatalf("kill line: %q", got)
	}
}

func TestAreaWrapsAndMovesByRow(t *testing.T) {
	long := strings.Repeat("word ", 20) // 100 columns
	a := NewArea(long + "\nend")
	a.SetSize(23, 10) // gutter 2 + 21 columns of text
	v := ansi.Strip(a.View(testStyles(), false))
	rows := strings.Split(v, "\n")
	if !strings.HasPrefix(rows[0], "1 word word word word") || !strings.HasPrefix(rows[1], "  word") {
		t.Fatalf("wrapped at words:\n%s", v)
	}
	for _, r := range rows {
		if w := ansi.StringWidth(r); w != 23 {
			t.Fatalf("row width %d: %q", w, r)
		}
	}
	// down moves one visual row within the long line, keeping the column.
	a.Right()
	a.Right()
	a.Down()
	if row, col := a.Cursor(); row != 0 || col != 22 {
		t.Fatalf("down within a wrapped line: %d,%d", row, col)
	}
	a.PageDown()
	if row, _ := a.Cursor(); row != 1 {
		t.Fatalf("page down: row %d", row)
	}
	// Scrolling keeps the cursor on screen in a small window.
	b := NewArea(strings.Repeat("line\n", 100))
	b.SetSize(20, 5)
	for range 50 {
		b.Down()
	}
	if !strings.Contains(ansi.Strip(b.View(testStyles(), true)), "51 line") {
		t.Fatalf("cursor row not shown:\n%s", ansi.Strip(b.View(testStyles(), true)))
	}
}

// {{variables}} are highlighted as they are typed: not before the closing
// braces, and then at once.
func TestAreaHighlightsVariablesAsTyped(t *testing.T) {
	st := testStyles()
	a := NewArea("")
	a.SetSize(40, 3)
	a.Insert("Hi {{na")
	if strings.Contains(a.View(st, false), st.Variable.Render("{{na")) {
		t.Fatal("an unclosed variable is highlighted")
	}
	a.Insert("me}} and {{{raw}}}")
	v := a.View(st, false)
	for _, want := range []string{"{{name}}", "{{{raw}}}"} {
		if !strings.Contains(v, st.Variable.Render(want)) {
			t.Fatalf("%s not highlighted: %q", want, v)
		}
	}
}

func TestAreaDrawsControlCharactersSafely(t *testing.T) {
	a := NewArea("red " + ct.Evil + " \x1b[31mx\x9b2J 日本語 🚀\tend")
	for _, sz := range ct.Resizes() {
		a.SetSize(sz[0], sz[1])
		v := a.View(testStyles(), true)
		if bad := ct.Unclean(v); bad != "" {
			t.Fatalf("%v: %s", sz, bad)
		}
		ct.CheckFrame(t, v, sz[0], sz[1])
	}
}
