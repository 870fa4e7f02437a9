package diffview

import (
	"strings"
	"testing"

	udiff "github.com/aymanbagabas/go-udiff"
	"github.com/seed94f0f622/verso/themes"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

// udiffOps is the go-udiff alternative to lineOps, kept to compare the
// two libraries in BenchmarkLineDiff and TestUdiffQuality.
func udiffOps(a, b []string) []op {
	before, after := joinLines(a), joinLines(b)
	var ops []op
	line, pos, prev := 0, 0, 0 // old line number at byte offset pos; end of the last edit
	lineAt := func(off int) int {
		for pos < off {
			pos += strings.IndexByte(before[pos:], '\n') + 1
			line++
		}
		return line
	}
	for _, e := range udiff.Lines(before, after) {
		start := lineAt(e.Start)
		if start > prev {
			ops = append(ops, op{Equal, start - prev})
		}
		end := lineAt(e.End)
		if end > start {
			ops = append(ops, op{Delete, end - start})
		}
		if n := strings.Count(e.New, "\n"); n > 0 {
			ops = append(ops, op{Insert, n})
		}
		prev = end
	}
	if len(a) > prev {
		ops = append(ops, op{Equal, len(a) - prev})
	}
	return ops
}

// joinLines joins lines with a newline after each, so every line (the last
// included) is whole for the line differ.
func joinLines(lines []string) string {
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	var b strings.Builder
	b.Grow(n)
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

// TestUdiffQuality records why lineOps uses diff-match-patch: on small
// inputs both libraries find the same minimal diff; on 5,000 lines the
// chosen one must find at least as many unchanged lines.
func TestUdiffQuality(t *testing.T) {
	equal := func(ops []op) (eq int) {
		for _, o := range ops {
			if o.kind == Equal {
				eq += o.n
			}
		}
		return eq
	}
	for _, n := range []int{500, 5000} {
		old, nw := synthetic(n, n/16)
		a, b := splitLines(old), splitLines(nw)
		dmp, ud := equal(lineOps(a, b)), equal(udiffOps(a, b))
		t.Logf("%d lines: unchanged lines found: diffmatchpatch %d, go-udiff %d", n, dmp, ud)
		if dmp < ud || (n == 500 && dmp != ud) {
			t.Errorf("%d lines: diffmatchpatch kept %d unchanged lines, go-udiff %d", n, dmp, ud)
		}
	}
}

func BenchmarkLineDiff(b *testing.B) {
	old, nw := synthetic(5000, 300)
	a, c := splitLines(old), splitLines(nw)
	lines := make([]string, len(a))
	for i, l := range a {
		lines[i] = strings.ToUpper(l) + " (rewritten)"
	}
	for _, in := range []struct {
		name string
		b    []string
	}{{"300-changes", c}, {"all-different", lines}} {
		b.Run("go-udiff/"+in.name, func(b *testing.B) {
			for b.Loop() {
				udiffOps(a, in.b)
			}
		})
		b.Run("diffmatchpatch/"+in.name, func(b *testing.B) {
			for b.Loop() {
				lineOps(a, in.b)
			}
		})
	}
}

// BenchmarkCompute is the whole diff: sanitize, split, line diff, pairing
// and word highlights of every changed pair.
func BenchmarkCompute(b *testing.B) {
	old, nw := synthetic(5000, 300)
	for b.Loop() {
		Compute(old, nw, DefaultContext)
	}
}

// BenchmarkFirstScreen is what opening the diff screen costs: compute the
// diff of two 5,000-line versions and render the first 140x40 frame.
func BenchmarkFirstScreen(b *testing.B) {
	old, nw := synthetic(5000, 300)
	st := themes.MustGet("dark", true).Styles
	for _, mode := range []struct {
		name    string
		unified bool
		ctx     int
	}{{"side-by-side", false, DefaultContext}, {"unified", true, DefaultContext}, {"side-by-side-full", false, -1}} {
		b.Run(mode.name, func(b *testing.B) {
			for b.Loop() {
				m := New(st)
				m.SetContext(mode.ctx)
				m.SetContent("old", "new", old, nw)
				m.SetUnified(mode.unified)
				m.SetSize(140, 40)
				_ = m.View()
			}
		})
	}
}

// BenchmarkScroll is one page down plus a redraw on the computed diff.
func BenchmarkScroll(b *testing.B) {
	m := bigModel(b, 140, 40)
	m.SetContext(-1)
	_ = m.View()
	for b.Loop() {
		m, _ = m.Update(ct.Key("pgdown"))
		if m.Offset() > 10000 {
			m, _ = m.Update(ct.Key("g"))
		}
		_ = m.View()
	}
}

// BenchmarkRenderStringFull renders every hunk of the 5,000-line diff, as
// `verso diff` does.
func BenchmarkRenderStringFull(b *testing.B) {
	old, nw := synthetic(5000, 300)
	st := themes.MustGet("dark", true).Styles
	for b.Loop() {
		RenderString(old, nw, RenderOptions{Width: 140, Mode: SideBySide, Wrap: true, Styles: st})
	}
}

// BenchmarkFirstScreenAllDifferent is the worst case: every line of the
// 5,000 changed.
func BenchmarkFirstScreenAllDifferent(b *testing.B) {
	old, _ := synthetic(5000, 300)
	lines := strings.Split(old, "\n")
	for i, l := range lines {
		lines[i] = strings.ToUpper(l) + " (rewritten)"
	}
	nw := strings.Join(lines, "\n")
	st := themes.MustGet("dark", true).Styles
	for b.Loop() {
		m := New(st)
		m.SetContent("old", "new", old, nw)
		m.SetSize(140, 40)
		_ = m.View()
	}
}
