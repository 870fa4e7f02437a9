package diffview

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/themes"
)

func TestComputeRowsAndHunks(t *testing.T) {
	old := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n"
	new := "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n"
	d := Compute(old, new, 2)
	if d.Added != 2 || d.Deleted != 1 {
		t.Fatalf("added %d deleted %d, want 2, 1", d.Added, d.Deleted)
	}
	if len(d.Hunks) != 2 {
		t.Fatalf("hunks = %+v, want 2", d.Hunks)
	}
	h := d.Hunks[0]
	if h.OldStart != 1 || h.OldLines != 4 || h.NewStart != 1 || h.NewLines != 4 {
		t.Errorf("first hunk %+v, want -1,4 +1,4", h)
	}
	h = d.Hunks[1]
	if h.OldStart != 11 || h.OldLines != 2 || h.NewStart != 11 || h.NewLines != 3 {
		t.Errorf("second hunk %+v, want -11,2 +11,3", h)
	}
	if r := d.Rows[1]; r.Kind != Change || r.Old != 1 || r.New != 1 {
		t.Errorf("row 1 = %+v, want the b/B change", r)
	}
	if r := d.Rows[len(d.Rows)-1]; r.Kind != Insert || r.Old != -1 || r.New != 12 {
		t.Errorf("last row = %+v, want insert of m", r)
	}
}

func TestComputeEqualAndEmpty(t *testing.T) {
	if d := Compute("same\ntext", "same\ntext\n", 3); !d.Equal() {
		t.Error("a trailing newline alone should not be a difference")
	}
	if RenderString("x", "x", RenderOptions{}) != "" {
		t.Error("RenderString of equal texts should be empty")
	}
	d := Compute("", "one\ntwo", 3)
	if d.Added != 2 || len(d.Hunks) != 1 || d.Hunks[0].OldStart != 0 || d.Hunks[0].OldLines != 0 {
		t.Errorf("diff from empty: %+v", d.Hunks)
	}
	if d := Compute("a\nb\nc", "a\nc", -1); len(d.Hunks) != 1 || d.Hunks[0].End != 3 {
		t.Errorf("whole-text context: %+v", d.Hunks)
	}
}

func TestPairingUnequalRuns(t *testing.T) {
	d := Compute("x\n1\n2\n3\ny", "x\nA\nB\ny", 3)
	var kinds []Kind
	for _, r := range d.Rows {
		kinds = append(kinds, r.Kind)
	}
	want := []Kind{Equal, Change, Change, Delete, Equal}
	if len(kinds) != len(want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("kinds %v, want %v", kinds, want)
		}
	}
}

func TestWordSpans(t *testing.T) {
	a := "Use the customer's name: {{name}}."
	b := "Use the customer's first name: {{name}}."
	os, ns := wordSpans(a, b)
	if len(os) != 0 || len(ns) != 1 || b[ns[0].Start:ns[0].End] != "first " {
		t.Errorf("spans %v %v (%q)", os, ns, spanTexts(b, ns))
	}
	a = "You are a helpful support agent."
	b = "You are a friendly support agent for Acme."
	os, ns = wordSpans(a, b)
	if got := spanTexts(a, os); strings.Join(got, "|") != "helpful" {
		t.Errorf("old spans %q", got)
	}
	if got := spanTexts(b, ns); strings.Join(got, "|") != "friendly| for Acme" {
		t.Errorf("new spans %q", got)
	}
	// Completely different lines get no word highlights.
	if os, ns := wordSpans("Keep answers short.", "Escalate angry customers to a human now"); os != nil || ns != nil {
		t.Errorf("unrelated lines highlighted: %v %v", os, ns)
	}
	// CJK: one changed ideograph sequence, not the whole line.
	os, ns = wordSpans("日本語のお客様には敬語で答えてください。", "日本語のお客様には丁寧な敬語で答えてください。")
	if len(os) != 0 || strings.Join(spanTexts("日本語のお客様には丁寧な敬語で答えてください。", ns), "") != "丁寧な" {
		t.Errorf("CJK spans %v %v", os, ns)
	}
}

func spanTexts(s string, spans []Span) []string {
	var out []string
	for _, sp := range spans {
		out = append(out, s[sp.Start:sp.End])
	}
	return out
}

func TestTokenizeRoundTrip(t *testing.T) {
	for _, s := range []string{"", "a", "hello,  world!", "日本語 text 👋🏽 ok", "x\u200dy"} {
		if got := strings.Join(tokenize(s), ""); got != s {
			t.Errorf("tokenize(%q) joins to %q", s, got)
		}
	}
	toks := tokenize("hi 👨‍👩‍👧!café")
	want := []string{"hi", " ", "👨‍👩‍👧", "!", "café"}
	if strings.Join(toks, "|") != strings.Join(want, "|") {
		t.Errorf("tokens %q, want %q", toks, want)
	}
}

func TestSanitizedAndTabs(t *testing.T) {
	out := RenderString(fixtureOld, fixtureNew, RenderOptions{Width: 120, Mode: SideBySide, Wrap: true})
	for _, bad := range []string{"\x1b", "\a", "\r", "\t", "pwned\a"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains %q", bad)
		}
	}
	if !strings.Contains(out, "Context follows.]0;pwned") && !strings.Contains(out, "Context follows.") {
		t.Error("sanitized line lost its text")
	}
	if got := expandTabs("a\tb\t\tc"); got != "a   b       c" {
		t.Errorf("expandTabs = %q", got)
	}
	if got := expandTabs("日\tx"); got != "日  x" {
		t.Errorf("expandTabs wide = %q", got)
	}
}

// TestColumnsAligned checks that every line has the same display width,
// with wide characters, wrap and truncation, in both modes and many widths.
func TestColumnsAligned(t *testing.T) {
	st := themes.MustGet("dark", true).Styles
	for _, w := range []int{20, 39, 40, 57, 80, 100, 101, 140} {
		for _, wrap := range []bool{true, false} {
			for _, mode := range []Mode{SideBySide, Unified} {
				out := RenderString(fixtureOld, fixtureNew, RenderOptions{Width: w, Mode: mode, Wrap: wrap, Styles: st, LeftTitle: "v1 · production", RightTitle: "v2 · 日本語"})
				for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
					if got := ansi.StringWidth(line); got != w {
						t.Fatalf("w=%d wrap=%v %s: line %d is %d wide: %q", w, wrap, mode, i, got, ansi.Strip(line))
					}
				}
				if mode == SideBySide && FitsSideBySide(w) {
					// The column separator sits at the same column on every row.
					sep := -1
					for _, line := range strings.Split(strings.TrimSuffix(ansi.Strip(out), "\n"), "\n") {
						if strings.HasPrefix(line, "@@") {
							continue
						}
						idx := strings.Index(line, "│")
						col := ansi.StringWidth(line[:idx])
						if sep >= 0 && col != sep {
							t.Fatalf("w=%d: separator at column %d, earlier %d: %q", w, col, sep, line)
						}
						sep = col
					}
				}
			}
		}
	}
}

func TestWrapKeepsAllText(t *testing.T) {
	out := ansi.Strip(RenderString(fixtureOld, fixtureNew, RenderOptions{Width: 60, Mode: Unified, Wrap: true}))
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{"center article that supports every claim", "with its URL."} {
		if !strings.Contains(flat, want) {
			t.Errorf("wrapped output lost %q:\n%s", want, out)
		}
	}
	out = ansi.Strip(RenderString(fixtureOld, fixtureNew, RenderOptions{Width: 60, Mode: Unified}))
	if !strings.Contains(out, "…") {
		t.Error("truncated output has no ellipsis")
	}
}

func TestUnifiedMarkersReadableWithoutColour(t *testing.T) {
	out := RenderString("a\nb\nc", "a\nB\nc", RenderOptions{Width: 40, Mode: Unified, LeftTitle: "v1", RightTitle: "v2"})
	want := strings.Join([]string{
		"--- v1",
		"+++ v2",
		"@@ -1,3 +1,3 @@",
		"1 1   a",
		"2   - b",
		"  2 + B",
		"3 3   c",
	}, "\n")
	var got []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		got = append(got, strings.TrimRight(l, " "))
	}
	if strings.Join(got, "\n") != want {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
}

func TestFitsSideBySide(t *testing.T) {
	if FitsSideBySide(99) || !FitsSideBySide(100) {
		t.Error("side-by-side threshold is 100 columns")
	}
	// Too narrow for two columns: unified whatever was asked.
	for _, w := range []int{30, 99} {
		out := RenderString("a", "b", RenderOptions{Width: w, Mode: SideBySide})
		if strings.Contains(out, "│") || !strings.Contains(out, "- a") {
			t.Errorf("side-by-side at %d columns did not fall back: %q", w, out)
		}
	}
	if out := RenderString("a", "b", RenderOptions{Width: 100, Mode: SideBySide}); !strings.Contains(out, "│") {
		t.Errorf("side-by-side at 100 columns: %q", out)
	}
}

func TestConfigDiff(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	seed := 7
	a := store.Config{Model: "gpt-4o-mini", Temperature: f(0.2), MaxTokens: 300, Stop: []string{"\n\n"}}
	b := store.Config{Model: "gpt-4o", Temperature: f(0.2), MaxTokens: 500, TopP: f(0.9), Seed: &seed,
		ResponseFormat: map[string]any{"type": "json_object"},
		Tools:          []any{map[string]any{"type": "function", "function": map[string]any{"name": "lookup"}}}}
	got := ConfigDiff(a, b)
	want := []ConfigChange{
		{"model", "gpt-4o-mini", "gpt-4o"},
		{"max_tokens", "300", "500"},
		{"top_p", Unset, "0.9"},
		{"stop", `["\n\n"]`, Unset},
		{"seed", Unset, "7"},
		{"response_format", Unset, `{"type":"json_object"}`},
		{"tools", Unset, `[{"function":{"name":"lookup"},"type":"function"}]`},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("change %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if ConfigDiff(a, a) != nil {
		t.Error("equal configs should have no changes")
	}
	lines := RenderConfigDiff(got, themes.MustGet("nord", true).Styles, 50)
	if len(lines) != len(want)+1 {
		t.Fatalf("rendered %d lines", len(lines))
	}
	for _, l := range lines {
		if w := ansi.StringWidth(l); w > 50 {
			t.Errorf("config line %d wide: %q", w, ansi.Strip(l))
		}
	}
	if !strings.Contains(ansi.Strip(lines[1]), "model") || !strings.Contains(ansi.Strip(lines[1]), "gpt-4o-mini → gpt-4o") {
		t.Errorf("model line: %q", ansi.Strip(lines[1]))
	}
}

// TestGraphemeClusters keeps columns aligned with emoji sequences and
// combining marks, where runes and columns disagree most.
func TestGraphemeClusters(t *testing.T) {
	old := "family 👨‍👩‍👧 flag 🇯🇵 cafe\u0301 done\nkeep 한국어 텍스트 line that is long enough to wrap at narrow widths for sure"
	nw := "family 👨‍👩‍👧‍👦 flag 🇫🇷 café done\nkeep 한국어 문장 line that is long enough to wrap at narrow widths for sure"
	st := themes.MustGet("catppuccin-mocha", true).Styles
	for _, w := range []int{24, 41, 63, 100, 117} {
		for _, wrap := range []bool{true, false} {
			for _, mode := range []Mode{SideBySide, Unified} {
				out := RenderString(old, nw, RenderOptions{Width: w, Mode: mode, Wrap: wrap, Styles: st})
				for i, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
					if got := ansi.StringWidth(line); got != w {
						t.Fatalf("w=%d wrap=%v %s: line %d is %d wide: %q", w, wrap, mode, i, got, ansi.Strip(line))
					}
				}
			}
		}
	}
}
