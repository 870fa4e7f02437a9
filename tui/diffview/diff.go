// Package diffview computes and renders line diffs of two texts with
// word-level highlights, side by side or unified. The CLI (`verso diff`)
// renders whole diffs with RenderString; the TUI's diff screen embeds Model,
// which computes once and renders only the visible window.
//
// CLI:
//
//	out := diffview.RenderString(a.Template, b.Template, diffview.RenderOptions{
//		Width: w, Mode: diffview.Unified, Wrap: true, Styles: th.Styles, // themes.Styles{} for no colour
//		LeftTitle: "v3", RightTitle: "v4"})
//	cfg := diffview.RenderConfigDiff(diffview.ConfigDiff(a.Config, b.Config), th.Styles, w)
//
// TUI: m := diffview.New(styles); m.SetContent(lt, rt, a, b); m.SetConfig(ac, bc);
// m.SetSize(w, h); route keys and mouse wheel to m.Update; draw m.View().
package diffview

import (
	"github.com/charmbracelet/x/ansi"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/seed94f0f622/verso/store/sanitize"
	"github.com/sergi/go-diff/diffmatchpatch"
)

// Kind of a Row.
type Kind uint8

const (
	Equal  Kind = iota // same line on both sides
	Change             // a deleted line paired with the inserted line that replaces it
	Delete             // a deleted line with nothing opposite
	Insert             // an inserted line with nothing opposite
)

// Span is a byte range [Start, End) of a line to emphasise (changed words).
type Span struct{ Start, End int }

// Row is one aligned row of the side-by-side view. Old/New index the
// Diff's Old/New lines, -1 on the empty side. Word highlights of Change
// rows come from Diff.Emph.
type Row struct {
	Kind     Kind
	Old, New int
}

// Hunk is a run of rows [Start, End) with changes and their context.
// OldStart/NewStart are 1-based first line numbers as in a unified header;
// OldLines/NewLines count the lines of each side in the hunk.
type Hunk struct {
	Start, End         int
	OldStart, OldLines int
	NewStart, NewLines int
}

// Diff is the computed difference of two texts. It is immutable once built
// (word highlights are computed on first use, under a lock) and safe to
// share between renderers.
type Diff struct {
	Old, New []string // sanitized lines, tabs expanded
	Rows     []Row    // every line of both texts, aligned
	Hunks    []Hunk   // change regions with Context lines around them
	Context  int      // context lines used to build Hunks (-1: the whole text is one hunk)
	Added    int      // inserted lines (including the new side of changes)
	Deleted  int      // deleted lines (including the old side of changes)

	mu   sync.Mutex
	emph map[int][2][]Span // row index -> word highlights, filled lazily
}

// Emph returns the changed-word byte ranges of row i's old and new lines
// (nil for rows that are not Change rows or whose lines share too little).
// They are computed on first use: only rows that are drawn pay for the
// word diff, which keeps opening a large diff fast.
func (d *Diff) Emph(i int) (old, new []Span) {
	r := d.Rows[i]
	if r.Kind != Change {
		return nil, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.emph[i]; ok {
		return e[0], e[1]
	}
	old, new = wordSpans(d.Old[r.Old], d.New[r.New])
	if d.emph == nil {
		d.emph = map[int][2][]Span{}
	}
	d.emph[i] = [2][]Span{old, new}
	return old, new
}

// DefaultContext is the number of unchanged lines shown around changes.
const DefaultContext = 3

// TabWidth is the number of columns a tab expands to.
const TabWidth = 4

// Equal reports whether the two texts had no line differences.
func (d *Diff) Equal() bool { return len(d.Hunks) == 0 }

// Compute diffs two untrusted texts. Both are sanitized (escape sequences
// and control characters removed) and tabs are expanded before diffing.
// context is the number of unchanged lines kept around each change; a
// negative value keeps the whole text as one hunk.
func Compute(left, right string, context int) *Diff {
	d := &Diff{Old: splitLines(left), New: splitLines(right), Context: context}
	d.Rows = alignRows(lineOps(d.Old, d.New), d.Old, d.New)
	for _, r := range d.Rows {
		switch r.Kind {
		case Change:
			d.Added++
			d.Deleted++
		case Delete:
			d.Deleted++
		case Insert:
			d.Added++
		}
	}
	d.Hunks = buildHunks(d.Rows, context)
	return d
}

// splitLines sanitizes text and splits it into lines. A final newline does
// not make an extra empty line.
func splitLines(s string) []string {
	s = sanitize.Text(s)
	if s == "" {
		return nil
	}
	s = strings.TrimSuffix(s, "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.IndexByte(l, '\t') >= 0 {
			lines[i] = expandTabs(l)
		}
	}
	return lines
}

// expandTabs replaces tabs with spaces up to the next tab stop, counting
// columns by display width so wide characters keep stops aligned.
func expandTabs(s string) string {
	var b strings.Builder
	col := 0
	for _, seg := range strings.SplitAfter(s, "\t") {
		text := strings.TrimSuffix(seg, "\t")
		b.WriteString(text)
		col += stringWidth(text)
		if len(text) < len(seg) {
			n := TabWidth - col%TabWidth
			b.WriteString(strings.Repeat(" ", n))
			col += n
		}
	}
	return b.String()
}

type op struct {
	kind Kind // Equal, Delete or Insert
	n    int  // number of lines
}

// lineOps diffs two line slices with diff-match-patch on lines mapped to
// runes (one rune per distinct line). go-udiff was measured too
// (BenchmarkLineDiff, TestUdiffQuality): it is faster when every line
// differs, but above about 1,000 lines its bounded LCS gives up on
// minimality, turning 220 changed lines of a 5,000-line prompt into 3,966
// deletions and 3,989 insertions.
func lineOps(a, b []string) []op {
	ids := make(map[string]rune, len(a)+len(b))
	next := rune(1)
	encode := func(lines []string) []rune {
		out := make([]rune, len(lines))
		for i, l := range lines {
			id, ok := ids[l]
			if !ok {
				id = next
				next++
				if next == 0xD800 { // skip surrogates: they are not valid runes in strings
					next = 0xE000
				}
				ids[l] = id
			}
			out[i] = id
		}
		return out
	}
	ra, rb := encode(a), encode(b)
	if next > 0x10FFFF {
		// More distinct lines than runes: fall back to one delete plus one insert.
		return []op{{Delete, len(a)}, {Insert, len(b)}}
	}
	// Lines that occur on one side only can never be unchanged, so leave
	// them out of the diff (as GNU diff does): the longest common
	// subsequence is the same, and a rewrite of most lines costs almost
	// nothing instead of the diff's worst case.
	inA, inB := make(map[rune]bool, len(ra)), make(map[rune]bool, len(rb))
	for _, r := range ra {
		inA[r] = true
	}
	for _, r := range rb {
		inB[r] = true
	}
	keep := func(rs []rune, other map[rune]bool) (kept []rune, idx []int) {
		for i, r := range rs {
			if other[r] {
				kept = append(kept, r)
				idx = append(idx, i)
			}
		}
		return kept, idx
	}
	ka, ia := keep(ra, inB)
	kb, ib := keep(rb, inA)

	dmp := diffmatchpatch.New()
	// Exact diffs of prompts take milliseconds; the cap only bounds
	// pathological inputs, where a coarser diff is fine.
	dmp.DiffTimeout = 2 * time.Second
	var ops []op
	push := func(k Kind, n int) {
		if n <= 0 {
			return
		}
		if len(ops) > 0 && ops[len(ops)-1].kind == k {
			ops[len(ops)-1].n += n
			return
		}
		ops = append(ops, op{k, n})
	}
	i, j := 0, 0 // next unconsumed line of a and b
	x, y := 0, 0 // next unconsumed kept line
	for _, df := range dmp.DiffMainRunes(ka, kb, false) {
		n := utf8.RuneCountInString(df.Text)
		switch df.Type {
		case diffmatchpatch.DiffEqual:
			for range n {
				// Everything before a match is deleted or inserted.
				push(Delete, ia[x]-i)
				push(Insert, ib[y]-j)
				push(Equal, 1)
				i, j = ia[x]+1, ib[y]+1
				x++
				y++
			}
		case diffmatchpatch.DiffDelete:
			x += n
		case diffmatchpatch.DiffInsert:
			y += n
		}
	}
	push(Delete, len(a)-i)
	push(Insert, len(b)-j)
	return ops
}

// alignRows turns ops into rows. Within each block of deletions and the
// insertions that follow, lines are paired as Change rows: similar lines
// with each other when the block is small enough to compare every pair
// (pairBlock), the rest first with first; the excess of either side stays
// Delete or Insert.
func alignRows(ops []op, a, b []string) []Row {
	rows := make([]Row, 0, max(len(a), len(b)))
	i, j := 0, 0
	for k := 0; k < len(ops); k++ {
		o := ops[k]
		if o.kind == Equal {
			for n := 0; n < o.n; n++ {
				rows = append(rows, Row{Kind: Equal, Old: i, New: j})
				i++
				j++
			}
			continue
		}
		del, ins := 0, 0
		for ; k < len(ops) && ops[k].kind != Equal; k++ {
			if ops[k].kind == Delete {
				del += ops[k].n
			} else {
				ins += ops[k].n
			}
		}
		k--
		rows = pairBlock(rows, a[i:i+del], b[j:j+ins], i, j)
		i += del
		j += ins
	}
	return rows
}

// maxPairCells bounds the similarity matrix of one change block; larger
// blocks (whole rewrites) pair lines by position.
const maxPairCells = 4096

// minSimilar is the similarity above which two lines count as versions of
// each other.
const minSimilar = 0.5

// pairBlock appends the rows of one change block: old lines del (from old
// index i0) against new lines ins (from j0). Similar lines are aligned by a
// monotone best-similarity matching; lines between matches pair by position.
func pairBlock(rows []Row, del, ins []string, i0, j0 int) []Row {
	var matches [][2]int
	if len(del) > 0 && len(ins) > 0 && len(del)*len(ins) <= maxPairCells && !(len(del) == 1 && len(ins) == 1) {
		matches = similarPairs(del, ins)
	}
	matches = append(matches, [2]int{len(del), len(ins)}) // sentinel
	pi, pj := 0, 0
	for _, m := range matches {
		// Gap before the match: pair by position.
		for n := 0; n < max(m[0]-pi, m[1]-pj); n++ {
			switch {
			case pi+n < m[0] && pj+n < m[1]:
				rows = append(rows, Row{Kind: Change, Old: i0 + pi + n, New: j0 + pj + n})
			case pi+n < m[0]:
				rows = append(rows, Row{Kind: Delete, Old: i0 + pi + n, New: -1})
			default:
				rows = append(rows, Row{Kind: Insert, Old: -1, New: j0 + pj + n})
			}
		}
		if m[0] < len(del) {
			rows = append(rows, Row{Kind: Change, Old: i0 + m[0], New: j0 + m[1]})
		}
		pi, pj = m[0]+1, m[1]+1
	}
	return rows
}

// similarPairs returns the monotone set of (old, new) index pairs with the
// largest total similarity, counting only pairs at least minSimilar alike.
func similarPairs(del, ins []string) [][2]int {
	bags := func(lines []string) []map[string]int {
		out := make([]map[string]int, len(lines))
		for i, l := range lines {
			m := map[string]int{}
			for _, t := range tokenize(l) {
				if strings.TrimSpace(t) != "" {
					m[t] += len(t)
				}
			}
			out[i] = m
		}
		return out
	}
	db, ib := bags(del), bags(ins)
	sim := func(x, y map[string]int) float64 {
		common, total := 0, 0
		for t, n := range x {
			total += n
			common += min(n, y[t])
		}
		for _, n := range y {
			total += n
		}
		if total == 0 {
			return 1 // two blank lines
		}
		return 2 * float64(common) / float64(total)
	}
	n, m := len(del), len(ins)
	dp := make([]float64, (n+1)*(m+1))
	at := func(i, j int) *float64 { return &dp[i*(m+1)+j] }
	score := make([]float64, n*m)
	for i := 0; i < n; i++ {
		for j := 0; j < m; j++ {
			score[i*m+j] = sim(db[i], ib[j])
		}
	}
	for i := 1; i <= n; i++ {
		for j := 1; j <= m; j++ {
			best := max(*at(i-1, j), *at(i, j-1))
			if s := score[(i-1)*m+j-1]; s >= minSimilar {
				best = max(best, *at(i-1, j-1)+s)
			}
			*at(i, j) = best
		}
	}
	var pairs [][2]int
	for i, j := n, m; i > 0 && j > 0; {
		s := score[(i-1)*m+j-1]
		switch {
		case s >= minSimilar && *at(i, j) == *at(i-1, j-1)+s:
			pairs = append(pairs, [2]int{i - 1, j - 1})
			i--
			j--
		case *at(i, j) == *at(i-1, j):
			i--
		default:
			j--
		}
	}
	slices.Reverse(pairs)
	return pairs
}

// buildHunks groups changed rows with context rows around them; changes
// closer than 2*context rows share a hunk.
func buildHunks(rows []Row, context int) []Hunk {
	changed := false
	for _, r := range rows {
		if r.Kind != Equal {
			changed = true
			break
		}
	}
	if !changed {
		return nil
	}
	if context < 0 {
		return []Hunk{makeHunk(rows, 0, len(rows))}
	}
	var hunks []Hunk
	start, end := -1, -1
	for i, r := range rows {
		if r.Kind == Equal {
			continue
		}
		lo, hi := max(0, i-context), min(len(rows), i+context+1)
		if start >= 0 && lo <= end {
			end = max(end, hi)
			continue
		}
		if start >= 0 {
			hunks = append(hunks, makeHunk(rows, start, end))
		}
		start, end = lo, hi
	}
	return append(hunks, makeHunk(rows, start, end))
}

func makeHunk(rows []Row, start, end int) Hunk {
	h := Hunk{Start: start, End: end}
	oldFirst, newFirst := -1, -1
	for _, r := range rows[start:end] {
		if r.Old >= 0 {
			if oldFirst < 0 {
				oldFirst = r.Old
			}
			h.OldLines++
		}
		if r.New >= 0 {
			if newFirst < 0 {
				newFirst = r.New
			}
			h.NewLines++
		}
	}
	// Unified convention: an empty side names the line before the hunk.
	h.OldStart, h.NewStart = oldFirst+1, newFirst+1
	if oldFirst < 0 {
		h.OldStart = lineBefore(rows, start, true)
	}
	if newFirst < 0 {
		h.NewStart = lineBefore(rows, start, false)
	}
	return h
}

// lineBefore returns the 1-based number of the last old (or new) line
// before row start, 0 when there is none.
func lineBefore(rows []Row, start int, old bool) int {
	for i := start - 1; i >= 0; i-- {
		if old && rows[i].Old >= 0 {
			return rows[i].Old + 1
		}
		if !old && rows[i].New >= 0 {
			return rows[i].New + 1
		}
	}
	return 0
}

// longest is the width of the longest line on either side.
func (d *Diff) longest() int {
	n := 0
	for _, s := range d.Old {
		n = max(n, ansi.StringWidth(s))
	}
	for _, s := range d.New {
		n = max(n, ansi.StringWidth(s))
	}
	return n
}
