package diffview

import (
	"fmt"
	"github.com/mattn/go-runewidth"
	"sort"
	"strconv"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/seed94f0f622/verso/store/sanitize"
	"github.com/seed94f0f622/verso/themes"
)

// Mode is the diff layout.
type Mode uint8

const (
	SideBySide Mode = iota // two columns, old on the left
	Unified                // one column, "-" then "+" lines
)

func (m Mode) String() string {
	if m == Unified {
		return "unified"
	}
	return "side-by-side"
}

// MinSideBySideWidth is the narrowest terminal where two columns of a
// prompt stay readable; below it callers should use Unified.
const MinSideBySideWidth = 100

// minColumns is the width under which side-by-side cannot be drawn at all
// and the renderer switches to unified whatever was asked.
const minColumns = 40

// FitsSideBySide reports whether a side-by-side diff fits width columns.
func FitsSideBySide(width int) bool { return width >= MinSideBySideWidth }

// RenderOptions control RenderString.
type RenderOptions struct {
	Width int  // total columns; <= 0 means 80
	Mode  Mode // SideBySide under MinSideBySideWidth columns renders Unified
	Wrap  bool // wrap long lines; otherwise truncate them with "…"
	// Context is the number of unchanged lines around changes: 0 means
	// DefaultContext, a negative value shows the whole text.
	Context int
	// Styles colours the output; the zero value renders plain text (the
	// gutter markers still show every change).
	Styles     themes.Styles
	LeftTitle  string // e.g. "support/reply v3"; sanitized
	RightTitle string
}

func (o RenderOptions) context() int {
	if o.Context == 0 {
		return DefaultContext
	}
	return o.Context
}

// RenderString diffs left and right and renders every hunk, preceded by
// the titles when set. It returns "" when the texts have no differences.
// Side-by-side falls back to unified under MinSideBySideWidth columns, as
// the TUI does.
// Lines are exactly Width columns wide (side-by-side) or at most Width
// (unified), joined by "\n", with a trailing newline.
func RenderString(left, right string, o RenderOptions) string {
	d := Compute(left, right, o.context())
	return Render(d, o)
}

// Render renders a computed diff like RenderString.
func Render(d *Diff, o RenderOptions) string {
	if d.Equal() {
		return ""
	}
	if o.Width <= 0 {
		o.Width = 80
	}
	if !FitsSideBySide(o.Width) {
		o.Mode = Unified
	}
	l := newLayout(d, &o.Styles, o.Mode, o.Width, o.Wrap, nil)
	var b strings.Builder
	for _, h := range l.header(o.LeftTitle, o.RightTitle) {
		b.WriteString(h)
		b.WriteByte('\n')
	}
	for _, line := range l.lines(0, l.total()) {
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

type itemKind uint8

const (
	itemPrefix itemKind = iota // a pre-rendered line (config diff)
	itemHunk                   // hunk header
	itemRow                    // side-by-side row
	itemEqual                  // unified unchanged line
	itemOld                    // unified deleted line
	itemNew                    // unified inserted line
)

type item struct {
	kind itemKind
	idx  int // prefix line, hunk or row index
}

// layout places a Diff at one width, mode and wrap setting: which items
// there are, how many screen lines each takes, and (lazily) their rendered
// lines. Building it costs one width check per line; rendering happens only
// for the items asked for.
type layout struct {
	d      *Diff
	st     *themes.Styles
	p      diffPaints
	mode   Mode
	width  int
	wrap   bool
	xoff   int // truncate mode: the first column shown of each line
	prefix []string

	items    []item
	offsets  []int // offsets[i]: first screen line of item i; len(items)+1 entries
	hunkItem []int // item index of each hunk header
	cache    [][]string

	numW          int // digits of the largest line number
	leftW, rightW int // side-by-side column widths (without the separator)
	textW         int // unified text width
	leftTW        int // side-by-side text widths
	rightTW       int
}

func newLayout(d *Diff, st *themes.Styles, mode Mode, width int, wrap bool, prefix []string) *layout {
	if mode == SideBySide && width < minColumns {
		mode = Unified
	}
	l := &layout{d: d, st: st, p: newDiffPaints(&st.Diff), mode: mode, width: max(width, 1), wrap: wrap, prefix: prefix}
	l.numW = len(strconv.Itoa(max(len(d.Old), len(d.New), 1)))
	if mode == SideBySide {
		l.leftW = (l.width - 1) / 2
		l.rightW = l.width - 1 - l.leftW
		l.leftTW = max(l.leftW-l.numW-3, 1)
		l.rightTW = max(l.rightW-l.numW-3, 1)
	} else {
		l.textW = max(l.width-2*l.numW-4, 1)
	}

	for i := range prefix {
		l.items = append(l.items, item{itemPrefix, i})
	}
	for hi, h := range d.Hunks {
		l.hunkItem = append(l.hunkItem, len(l.items))
		l.items = append(l.items, item{itemHunk, hi})
		if mode == SideBySide {
			for r := h.Start; r < h.End; r++ {
				l.items = append(l.items, item{itemRow, r})
			}
			continue
		}
		for r := h.Start; r < h.End; {
			if d.Rows[r].Kind == Equal {
				l.items = append(l.items, item{itemEqual, r})
				r++
				continue
			}
			end := r
			for end < h.End && d.Rows[end].Kind != Equal {
				end++
			}
			for k := r; k < end; k++ {
				if d.Rows[k].Old >= 0 {
					l.items = append(l.items, item{itemOld, k})
				}
			}
			for k := r; k < end; k++ {
				if d.Rows[k].New >= 0 {
					l.items = append(l.items, item{itemNew, k})
				}
			}
			r = end
		}
	}

	l.offsets = make([]int, len(l.items)+1)
	for i, it := range l.items {
		l.offsets[i+1] = l.offsets[i] + l.height(it)
	}
	l.cache = make([][]string, len(l.items))
	return l
}

// total is the number of screen lines of the whole layout.
func (l *layout) total() int { return l.offsets[len(l.items)] }

// height is the number of screen lines an item takes.
func (l *layout) height(it item) int {
	if !l.wrap {
		return 1
	}
	switch it.kind {
	case itemRow:
		r := l.d.Rows[it.idx]
		h := 1
		if r.Old >= 0 {
			h = max(h, lineHeight(l.d.Old[r.Old], l.leftTW))
		}
		if r.New >= 0 {
			h = max(h, lineHeight(l.d.New[r.New], l.rightTW))
		}
		return h
	case itemEqual, itemNew:
		return lineHeight(l.d.New[l.d.Rows[it.idx].New], l.textW)
	case itemOld:
		return lineHeight(l.d.Old[l.d.Rows[it.idx].Old], l.textW)
	}
	return 1
}

// lineHeight is the number of wrapped lines of s at width w.
func lineHeight(s string, w int) int {
	// Display width never exceeds the byte length, so short lines skip
	// measuring.
	if len(s) <= w {
		return 1
	}
	return len(wrapRanges(s, w))
}

// itemAt returns the index of the item covering screen line y.
func (l *layout) itemAt(y int) int {
	return sort.Search(len(l.items), func(i int) bool { return l.offsets[i+1] > y })
}

// lines renders screen lines [from, from+n), rendering and caching only the
// items they cover.
func (l *layout) lines(from, n int) []string {
	from = max(from, 0)
	end := min(from+n, l.total())
	if end <= from {
		return nil
	}
	out := make([]string, 0, end-from)
	for i := l.itemAt(from); i < len(l.items) && l.offsets[i] < end; i++ {
		if l.cache[i] == nil {
			l.cache[i] = l.fitHeight(l.render(l.items[i]), l.offsets[i+1]-l.offsets[i])
		}
		lines := l.cache[i]
		lo := max(from-l.offsets[i], 0)
		hi := min(end-l.offsets[i], len(lines))
		out = append(out, lines[lo:hi]...)
	}
	return out
}

// fitHeight pads or cuts rendered lines to the height the layout reserved,
// so scrolling arithmetic can never disagree with what is drawn.
func (l *layout) fitHeight(lines []string, h int) []string {
	if l.width < 2*l.numW+5 {
		// Narrower than the gutter: cut every line to the width.
		for i := range lines {
			lines[i] = fitStyled(lines[i], l.width)
		}
	}
	if len(lines) > h {
		return lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", l.width))
	}
	return lines
}

// render draws one item into exactly height(item) lines.
func (l *layout) render(it item) []string {
	st := &l.p
	switch it.kind {
	case itemPrefix:
		return []string{fitStyled(l.prefix[it.idx], l.width)}
	case itemHunk:
		h := l.d.Hunks[it.idx]
		text := fmt.Sprintf("@@ -%d,%d +%d,%d @@", h.OldStart, h.OldLines, h.NewStart, h.NewLines)
		return []string{st.Hunk.Render(fit(text, l.width))}
	case itemRow:
		return l.renderRow(it.idx)
	case itemEqual:
		r := l.d.Rows[it.idx]
		return l.renderUnified(' ', r.Old+1, r.New+1, l.d.New[r.New], nil, st.Context, st.Context, st.LineNumber, st.LineNumber)
	case itemOld:
		r := l.d.Rows[it.idx]
		oe, _ := l.d.Emph(it.idx)
		return l.renderUnified('-', r.Old+1, 0, l.d.Old[r.Old], oe, st.Del, st.DelEmph, st.DelNumber, st.DelMarker)
	case itemNew:
		r := l.d.Rows[it.idx]
		_, ne := l.d.Emph(it.idx)
		return l.renderUnified('+', 0, r.New+1, l.d.New[r.New], ne, st.Add, st.AddEmph, st.AddNumber, st.AddMarker)
	}
	return []string{""}
}

func (l *layout) renderUnified(marker byte, oldNo, newNo int, text string, emph []Span, base, em, num, mark paint) []string {
	body := l.text(text, emph, l.textW, base, em)
	out := make([]string, len(body))
	blank := strings.Repeat(" ", l.numW)
	for i, b := range body {
		o, n, m := blank, blank, " "
		if i == 0 {
			o, n, m = l.num(oldNo), l.num(newNo), string(marker)
		}
		out[i] = num.Render(o+" "+n+" ") + mark.Render(m+" ") + b
	}
	return out
}

func (l *layout) renderRow(idx int) []string {
	r := l.d.Rows[idx]
	st := &l.p
	var left, right []string
	var lnum, rnum, lmark, rmark paint
	var lm, rm string
	switch r.Kind {
	case Equal:
		left = l.text(l.d.Old[r.Old], nil, l.leftTW, st.Context, st.Context)
		right = l.text(l.d.New[r.New], nil, l.rightTW, st.Context, st.Context)
		lnum, rnum, lmark, rmark, lm, rm = st.LineNumber, st.LineNumber, st.LineNumber, st.LineNumber, " ", " "
	case Change:
		oe, ne := l.d.Emph(idx)
		left = l.text(l.d.Old[r.Old], oe, l.leftTW, st.Del, st.DelEmph)
		right = l.text(l.d.New[r.New], ne, l.rightTW, st.Add, st.AddEmph)
		lnum, rnum, lmark, rmark, lm, rm = st.DelNumber, st.AddNumber, st.DelMarker, st.AddMarker, "-", "+"
	case Delete:
		left = l.text(l.d.Old[r.Old], nil, l.leftTW, st.Del, st.DelEmph)
		lnum, lmark, lm = st.DelNumber, st.DelMarker, "-"
		rnum, rmark = st.Empty, st.Empty
	case Insert:
		right = l.text(l.d.New[r.New], nil, l.rightTW, st.Add, st.AddEmph)
		rnum, rmark, rm = st.AddNumber, st.AddMarker, "+"
		lnum, lmark = st.Empty, st.Empty
	}
	h := max(len(left), len(right), 1)
	sep := st.Separator.Render("│")
	blankNum := strings.Repeat(" ", l.numW)
	out := make([]string, h)
	for i := range h {
		var b strings.Builder
		b.WriteString(l.side(i, left, r.Old, lm, l.leftTW, lnum, lmark, blankNum))
		b.WriteString(sep)
		b.WriteString(l.side(i, right, r.New, rm, l.rightTW, rnum, rmark, blankNum))
		out[i] = b.String()
	}
	return out
}

// side draws screen line i of one side of a row: number, marker, text.
func (l *layout) side(i int, body []string, lineIdx int, marker string, tw int, num, mark paint, blankNum string) string {
	if lineIdx < 0 {
		return l.p.Empty.Render(strings.Repeat(" ", l.numW+3+tw))
	}
	n, m := blankNum, " "
	if i == 0 {
		n, m = l.num(lineIdx+1), marker
	}
	var text string
	if i < len(body) {
		text = body[i]
	} else {
		// Continuation of the taller side: keep the line's background.
		text = l.baseFor(marker).Render(strings.Repeat(" ", tw))
	}
	return num.Render(n+" ") + mark.Render(m+" ") + text
}

func (l *layout) baseFor(marker string) paint {
	switch marker {
	case "-":
		return l.p.Del
	case "+":
		return l.p.Add
	}
	return l.p.Context
}

func (l *layout) num(n int) string {
	if n <= 0 {
		return strings.Repeat(" ", l.numW)
	}
	s := strconv.Itoa(n)
	return strings.Repeat(" ", l.numW-len(s)) + s
}

// text renders one line of text at width w: wrapped into several lines or
// truncated with "…", changed words in em, each line padded to exactly w
// columns with the base style so backgrounds fill the column.
func (l *layout) text(s string, emph []Span, w int, base, em paint) []string {
	var ranges [][2]int
	head, tail := "", ""
	switch {
	case !l.wrap && l.xoff > 0:
		// Scrolled sideways: "…" marks the hidden start.
		start := colIndex(s, l.xoff)
		head = "…"
		rest := s[start:]
		if ansi.StringWidth(rest) <= w-1 {
			ranges = [][2]int{{start, len(s)}}
		} else {
			cut := ansi.Truncate(rest, max(w-2, 0), "")
			ranges = [][2]int{{start, start + len(cut)}}
			tail = "…"
		}
		if start >= len(s) {
			head = ""
		}
	case len(s) <= w || ansi.StringWidth(s) <= w:
		ranges = [][2]int{{0, len(s)}}
	case l.wrap:
		ranges = wrapRanges(s, w)
	default:
		cut := ansi.Truncate(s, w-1, "")
		ranges = [][2]int{{0, len(cut)}}
		tail = "…"
	}
	out := make([]string, len(ranges))
	for i, r := range ranges {
		var b strings.Builder
		used := 0
		if head != "" && w > 1 {
			b.WriteString(base.Render(head))
			used++
		}
		styleRange(&b, s, r[0], r[1], emph, base, em)
		used += ansi.StringWidth(s[r[0]:r[1]])
		if tail != "" {
			b.WriteString(base.Render(tail))
			used++
		}
		if pad := w - used; pad > 0 {
			b.WriteString(base.Render(strings.Repeat(" ", pad)))
		}
		out[i] = b.String()
	}
	return out
}

// colIndex is the byte index in s where column col starts (len(s) when s
// is shorter).
func colIndex(s string, col int) int {
	w := 0
	for i, r := range s {
		if w >= col {
			return i
		}
		w += runewidth.RuneWidth(r)
	}
	return len(s)
}

// styleRange writes s[lo:hi] with the parts inside emph spans in em and the
// rest in base.
func styleRange(b *strings.Builder, s string, lo, hi int, emph []Span, base, em paint) {
	pos := lo
	for _, sp := range emph {
		if sp.End <= pos {
			continue
		}
		if sp.Start >= hi {
			break
		}
		a, e := max(sp.Start, pos), min(sp.End, hi)
		if a > pos {
			b.WriteString(base.Render(s[pos:a]))
		}
		b.WriteString(em.Render(s[a:e]))
		pos = e
	}
	if pos < hi {
		b.WriteString(base.Render(s[pos:hi]))
	}
}

// wrapRanges splits s into byte ranges of at most w columns, breaking at
// spaces where possible (x/ansi's word wrap, mapped back onto s so
// highlights keep their offsets) and inside words only when one is longer
// than w. The spaces a break swallows belong to no range.
func wrapRanges(s string, w int) [][2]int {
	parts := strings.Split(ansi.Wrap(s, w, ""), "\n")
	ranges := make([][2]int, 0, len(parts))
	pos := 0
	for _, p := range parts {
		for pos < len(s) && s[pos] == ' ' && !strings.HasPrefix(s[pos:], p) {
			pos++
		}
		if !strings.HasPrefix(s[pos:], p) || len(p) > w && ansi.StringWidth(p) > w {
			return hardRanges(s, w)
		}
		ranges = append(ranges, [2]int{pos, pos + len(p)})
		pos += len(p)
	}
	return ranges
}

// hardRanges breaks s every w columns regardless of words.
func hardRanges(s string, w int) [][2]int {
	parts := strings.Split(ansi.Hardwrap(s, w, true), "\n")
	var ranges [][2]int
	pos := 0
	for _, p := range parts {
		if !strings.HasPrefix(s[pos:], p) {
			// Cannot map the wrap back: show the line truncated.
			return [][2]int{{0, len(ansi.Truncate(s, w, ""))}}
		}
		ranges = append(ranges, [2]int{pos, pos + len(p)})
		pos += len(p)
	}
	return ranges
}

// fit truncates s to w columns and pads it to exactly w.
func fit(s string, w int) string {
	if ansi.StringWidth(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	if pad := w - ansi.StringWidth(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}

// fitStyled truncates a styled line to w columns and pads it to exactly w.
func fitStyled(s string, w int) string {
	sw := ansi.StringWidth(s)
	if sw > w {
		s = ansi.Truncate(s, w, "…")
		sw = ansi.StringWidth(s)
	}
	if sw < w {
		s += strings.Repeat(" ", w-sw)
	}
	return s
}

// header renders the title line(s): side-by-side puts each title over its
// column; unified prints "--- left" and "+++ right" lines.
func (l *layout) header(left, right string) []string {
	left, right = sanitize.Line(left), sanitize.Line(right)
	if left == "" && right == "" {
		return nil
	}
	st := &l.p
	if l.mode == SideBySide {
		return []string{st.Title.Render(fit(left, l.leftW)) + st.Separator.Render("│") + st.Title.Render(fit(right, l.rightW))}
	}
	return []string{
		st.DelMarker.Render("---") + " " + st.Title.Render(fit(left, max(l.width-4, 1))),
		st.AddMarker.Render("+++") + " " + st.Title.Render(fit(right, max(l.width-4, 1))),
	}
}

func stringWidth(s string) int { return ansi.StringWidth(s) }

// paint is a style reduced to the escape sequences it wraps text in, so
// rendering a segment is two string concatenations instead of a
// lipgloss.Render (half of the cost of a full diff). Styles whose output is
// not a plain wrap (per-character underline, padding) keep using Render.
type paint struct {
	open, close string
	style       lipgloss.Style
	fast        bool
}

func newPaint(st lipgloss.Style) paint {
	p := paint{style: st}
	r := st.Render("X")
	if i := strings.IndexByte(r, 'X'); i >= 0 && strings.Count(r, "X") == 1 {
		open, close := r[:i], r[i+1:]
		if st.Render("a b 日本") == open+"a b 日本"+close {
			p.open, p.close, p.fast = open, close, true
		}
	}
	return p
}

// Render styles s like lipgloss.Style.Render.
func (p paint) Render(s string) string {
	if !p.fast || s == "" {
		return p.style.Render(s)
	}
	return p.open + s + p.close
}

// diffPaints are the diff styles as paints; field names follow
// themes.DiffStyles.
type diffPaints struct {
	Add, AddEmph, Del, DelEmph, Context, Empty   paint
	LineNumber, AddNumber, DelNumber             paint
	AddMarker, DelMarker, Hunk, Title, Separator paint
}

func newDiffPaints(d *themes.DiffStyles) diffPaints {
	return diffPaints{
		Add: newPaint(d.Add), AddEmph: newPaint(d.AddEmph), Del: newPaint(d.Del), DelEmph: newPaint(d.DelEmph),
		Context: newPaint(d.Context), Empty: newPaint(d.Empty),
		LineNumber: newPaint(d.LineNumber), AddNumber: newPaint(d.AddNumber), DelNumber: newPaint(d.DelNumber),
		AddMarker: newPaint(d.AddMarker), DelMarker: newPaint(d.DelMarker), Hunk: newPaint(d.Hunk),
		Title: newPaint(d.Title), Separator: newPaint(d.Separator),
	}
}
