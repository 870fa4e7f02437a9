package diffview

import (
	"strings"
	"testing"

	udiff "github.com/aymanbagabas/go-udiff"
	"github.com/seed94f0f622/verso/themes"
)

// udiffOps is the go-udiff alternative to lineOps, kept to compare the two
// libraries in BenchmarkLineDiff.
func udiffOps(a, b []string) []op {
	before, after := strings.Join(a, "\n")+"\n", strings.Join(b, "\n")+"\n"
	edits := udiff.Lines(before, after)
	var ops []op
	line := 0 // current old line
	pos := 0  // byte offset of line in before
	lineAt := func(off int) int {
		for pos < off {
			i := strings.IndexByte(before[pos:], '\n')
			pos += i + 1
			line++
		}
		return line
	}
	prev := 0
	for _, e := range edits {
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

func TestUdiffOpsAgree(t *testing.T) {
	old, nw := synthetic(500, 40)
	a, b := splitLines(old), splitLines(nw)
	count := func(ops []op) (eq, del, ins int) {
		for _, o := range ops {
			switch o.kind {
			case Equal:
				eq += o.n
			case Delete:
				del += o.n
			default:
				ins += o.n
			}
		}
		return
	}
	e1, d1, i1 := count(lineOps(a, b))
	e2, d2, i2 := count(udiffOps(a, b))
	if e1 != e2 || d1 != d2 || i1 != i2 {
		t.Errorf("dmp %d/%d/%d vs udiff %d/%d/%d (equal/del/ins)", e1, d1, i1, e2, d2, i2)
	}
}

func BenchmarkLineDiff(b *testing.B) {
	old, nw := synthetic(5000, 300)
	a, c := splitLines(old), splitLines(nw)
	b.Run("diffmatchpatch", func(b *testing.B) {
		for b.Loop() {
			lineOps(a, c)
		}
	})
	b.Run("go-udiff", func(b *testing.B) {
		for b.Loop() {
			udiffOps(a, c)
		}
	})
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
		m, _ = m.Update(press("pgdown"))
		if m.Offset() > 10000 {
			m, _ = m.Update(press("g"))
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
