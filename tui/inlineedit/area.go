package inlineedit

import (
	"strconv"
	"strings"
	"unicode"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/mattn/go-runewidth"

	"github.com/seed94f0f622/verso/tui/common"
)

// Area is the multi-line text editor: lines of text, a cursor, soft
// wrapping at word boundaries, and a view that draws only the rows on
// screen with {{variables}} highlighted.
//
// bubbles' textarea was measured first: it re-renders every line of the
// document on each key (845 ms per key press on a 5,000-line prompt) and
// cannot colour part of its text, so the editor keeps its own buffer and
// draws only the visible window (see BenchmarkKeystroke).
type Area struct {
	lines    []string
	row, col int // cursor: line and rune index in it
	want     int // visual column kept by up/down; -1 = none
	top, seg int // first visible line and its first visible wrap segment
	w, h     int
	undo     []snapshot
	lastEdit editKind
	typed    int // characters typed since the last undo snapshot
}

type snapshot struct {
	lines    []string
	row, col int
}

type editKind int

const (
	editNone editKind = iota
	editType
	editDelete
	editOther
)

// NewArea returns an area holding text.
func NewArea(text string) Area {
	a := Area{want: -1}
	a.SetValue(text)
	return a
}

// SetValue replaces the text and puts the cursor at the start.
func (a *Area) SetValue(text string) {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	a.lines = strings.Split(text, "\n")
	a.row, a.col, a.top, a.seg, a.want = 0, 0, 0, 0, -1
	a.undo = nil
	a.lastEdit = editNone
}

// Value is the text.
func (a *Area) Value() string { return strings.Join(a.lines, "\n") }

// Lines is the text's lines (do not modify).
func (a *Area) Lines() []string { return a.lines }

// Cursor is the cursor's line and rune column (0-based).
func (a *Area) Cursor() (row, col int) { return a.row, a.col }

// SetSize sets the text's columns (including the line-number gutter) and
// rows on screen.
func (a *Area) SetSize(w, h int) {
	a.w, a.h = max(w, 1), max(h, 1)
	a.ensureVisible()
}

func (a *Area) gutter() int {
	return len(strconv.Itoa(len(a.lines))) + 1
}

func (a *Area) textWidth() int { return max(a.w-a.gutter(), 1) }

// dispRune is how a rune of untrusted text is drawn: control characters
// (escape sequences included) never reach the terminal.
func dispRune(r rune) rune {
	switch {
	case r == '\t':
		return ' '
	case unicode.IsControl(r), r == unicode.ReplacementChar:
		return '�'
	}
	return r
}

func runeWidth(r rune) int {
	return max(runewidth.RuneWidth(dispRune(r)), 0)
}

// wrap returns the rune offsets where each visual row of line starts: it
// breaks after the last space that fits, or mid-word when a word is wider
// than the row.
func wrap(line []rune, w int) []int {
	starts := []int{0}
	col, lastSpace, start := 0, -1, 0
	for i := 0; i < len(line); i++ {
		rw := runeWidth(line[i])
		if col+rw > w && i > start {
			br := i
			if lastSpace >= start && lastSpace+1 < i {
				br = lastSpace + 1
			}
			starts = append(starts, br)
			start = br
			lastSpace = -1
			col = 0
			for j := br; j < i; j++ {
				col += runeWidth(line[j])
			}
		}
		if line[i] == ' ' {
			lastSpace = i
		}
		col += rw
	}
	return starts
}

// segOf returns the wrap segment holding rune col of a line wrapped at starts.
func segOf(starts []int, col int) int {
	s := 0
	for i, st := range starts {
		if col >= st {
			s = i
		}
	}
	return s
}

func (a *Area) wrapRow(row int) []int { return wrap([]rune(a.lines[row]), a.textWidth()) }

// visualCol is the cursor's column within its visual row.
func (a *Area) visualCol() int {
	r := []rune(a.lines[a.row])
	starts := wrap(r, a.textWidth())
	s := starts[segOf(starts, a.col)]
	x := 0
	for _, c := range r[s:a.col] {
		x += runeWidth(c)
	}
	return x
}

// colAt is the rune index at visual column x of segment seg of row.
func (a *Area) colAt(row, seg, x int) int {
	r := []rune(a.lines[row])
	starts := wrap(r, a.textWidth())
	seg = min(seg, len(starts)-1)
	end := len(r)
	if seg+1 < len(starts) {
		end = starts[seg+1] - 1 // stay on this visual row
		if end < starts[seg] {
			end = starts[seg]
		}
	}
	col, i := 0, starts[seg]
	for i < end {
		rw := runeWidth(r[i])
		if col+rw > x {
			break
		}
		col += rw
		i++
	}
	return i
}

// ensureVisible scrolls so the cursor's row is on screen.
func (a *Area) ensureVisible() {
	if a.row >= len(a.lines) {
		a.row = len(a.lines) - 1
	}
	cur := segOf(a.wrapRow(a.row), a.col)
	if a.top > a.row || a.top == a.row && a.seg > cur {
		a.top, a.seg = a.row, cur
		return
	}
	// The topmost position that still shows the cursor on the last row.
	r, s := a.row, cur
	for n := 1; n < a.h; n++ {
		if s > 0 {
			s--
			continue
		}
		if r == 0 {
			break
		}
		r--
		s = len(a.wrapRow(r)) - 1
	}
	if r > a.top || r == a.top && s > a.seg {
		a.top, a.seg = r, s
	}
	if segs := len(a.wrapRow(a.top)); a.seg >= segs {
		a.seg = segs - 1
	}
}

func (a *Area) snapshot(kind editKind) {
	if kind == a.lastEdit && kind == editType && a.typed < 30 {
		return
	}
	lines := make([]string, len(a.lines))
	copy(lines, a.lines)
	a.undo = append(a.undo, snapshot{lines: lines, row: a.row, col: a.col})
	if len(a.undo) > 200 {
		a.undo = a.undo[len(a.undo)-200:]
	}
	a.lastEdit, a.typed = kind, 0
}

// Undo restores the text before the last edit (typing is undone in runs).
func (a *Area) Undo() bool {
	if len(a.undo) == 0 {
		return false
	}
	s := a.undo[len(a.undo)-1]
	a.undo = a.undo[:len(a.undo)-1]
	a.lines, a.row, a.col = s.lines, s.row, s.col
	a.lastEdit, a.want = editNone, -1
	a.ensureVisible()
	return true
}

// Insert types s at the cursor (a paste may hold line breaks).
func (a *Area) Insert(s string) {
	if s == "" {
		return
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	kind := editType
	if strings.Contains(s, "\n") || len(s) > 1 {
		kind = editOther
	}
	a.snapshot(kind)
	a.typed += len(s)
	r := []rune(a.lines[a.row])
	before, after := string(r[:a.col]), string(r[a.col:])
	parts := strings.Split(s, "\n")
	if len(parts) == 1 {
		a.lines[a.row] = before + s + after
		a.col += len([]rune(s))
	} else {
		mid := make([]string, 0, len(parts))
		mid = append(mid, before+parts[0])
		mid = append(mid, parts[1:len(parts)-1]...)
		last := parts[len(parts)-1]
		mid = append(mid, last+after)
		lines := make([]string, 0, len(a.lines)+len(parts)-1)
		lines = append(lines, a.lines[:a.row]...)
		lines = append(lines, mid...)
		lines = append(lines, a.lines[a.row+1:]...)
		a.lines = lines
		a.row += len(parts) - 1
		a.col = len([]rune(last))
	}
	a.want = -1
	a.ensureVisible()
}

// Backspace deletes the character before the cursor (joining lines at a
// line's start).
func (a *Area) Backspace() {
	switch {
	case a.col > 0:
		a.snapshot(editDelete)
		r := []rune(a.lines[a.row])
		a.lines[a.row] = string(r[:a.col-1]) + string(r[a.col:])
		a.col--
	case a.row > 0:
		a.snapshot(editOther)
		prev := a.lines[a.row-1]
		a.col = len([]rune(prev))
		a.lines[a.row-1] = prev + a.lines[a.row]
		a.lines = append(a.lines[:a.row], a.lines[a.row+1:]...)
		a.row--
	}
	a.want = -1
	a.ensureVisible()
}

// Delete deletes the character under the cursor (joining the next line at
// a line's end).
func (a *Area) Delete() {
	r := []rune(a.lines[a.row])
	switch {
	case a.col < len(r):
		a.snapshot(editDelete)
		a.lines[a.row] = string(r[:a.col]) + string(r[a.col+1:])
	case a.row+1 < len(a.lines):
		a.snapshot(editOther)
		a.lines[a.row] += a.lines[a.row+1]
		a.lines = append(a.lines[:a.row+1], a.lines[a.row+2:]...)
	}
	a.want = -1
	a.ensureVisible()
}

// KillLine deletes from the cursor to the end of the line (ctrl+k), or
// the line break when the cursor is at the end.
func (a *Area) KillLine() {
	r := []rune(a.lines[a.row])
	if a.col >= len(r) {
		a.Delete()
		return
	}
	a.snapshot(editOther)
	a.lines[a.row] = string(r[:a.col])
	a.ensureVisible()
}

// KillToStart deletes from the line's start to the cursor (ctrl+u).
func (a *Area) KillToStart() {
	if a.col == 0 {
		return
	}
	a.snapshot(editOther)
	a.lines[a.row] = string([]rune(a.lines[a.row])[a.col:])
	a.col = 0
	a.ensureVisible()
}

// DeleteWordBack deletes the word before the cursor (ctrl+w, alt+backspace).
func (a *Area) DeleteWordBack() {
	if a.col == 0 {
		a.Backspace()
		return
	}
	a.snapshot(editOther)
	r := []rune(a.lines[a.row])
	i := a.col
	for i > 0 && r[i-1] == ' ' {
		i--
	}
	for i > 0 && r[i-1] != ' ' {
		i--
	}
	a.lines[a.row] = string(r[:i]) + string(r[a.col:])
	a.col = i
	a.ensureVisible()
}

// Left, Right, Up, Down, Home, End, WordLeft, WordRight, PageUp, PageDown,
// Top and Bottom move the cursor.
func (a *Area) Left() {
	switch {
	case a.col > 0:
		a.col--
	case a.row > 0:
		a.row--
		a.col = len([]rune(a.lines[a.row]))
	}
	a.moved()
}

func (a *Area) Right() {
	switch {
	case a.col < len([]rune(a.lines[a.row])):
		a.col++
	case a.row+1 < len(a.lines):
		a.row++
		a.col = 0
	}
	a.moved()
}

func (a *Area) moved() {
	a.want = -1
	a.lastEdit = editNone
	a.ensureVisible()
}

// vertical moves the cursor n visual rows (negative: up), keeping its
// visual column.
func (a *Area) vertical(n int) {
	if a.want < 0 {
		a.want = a.visualCol()
	}
	starts := a.wrapRow(a.row)
	s := segOf(starts, a.col)
	for ; n < 0; n++ {
		if s > 0 {
			s--
		} else if a.row > 0 {
			a.row--
			s = len(a.wrapRow(a.row)) - 1
		} else {
			a.col = 0
			a.lastEdit = editNone
			a.ensureVisible()
			return
		}
	}
	for ; n > 0; n-- {
		if s+1 < len(a.wrapRow(a.row)) {
			s++
		} else if a.row+1 < len(a.lines) {
			a.row++
			s = 0
		} else {
			a.col = len([]rune(a.lines[a.row]))
			a.lastEdit = editNone
			a.ensureVisible()
			return
		}
	}
	a.col = a.colAt(a.row, s, a.want)
	a.lastEdit = editNone
	a.ensureVisible()
}

func (a *Area) Up()       { a.vertical(-1) }
func (a *Area) Down()     { a.vertical(1) }
func (a *Area) PageUp()   { a.vertical(-max(a.h-1, 1)) }
func (a *Area) PageDown() { a.vertical(max(a.h-1, 1)) }
func (a *Area) Home()     { a.col = 0; a.moved() }
func (a *Area) End()      { a.col = len([]rune(a.lines[a.row])); a.moved() }
func (a *Area) Top()      { a.row, a.col = 0, 0; a.moved() }
func (a *Area) Bottom() {
	a.row = len(a.lines) - 1
	a.col = len([]rune(a.lines[a.row]))
	a.moved()
}

func (a *Area) WordLeft() {
	r := []rune(a.lines[a.row])
	if a.col == 0 {
		a.Left()
		return
	}
	i := a.col
	for i > 0 && !isWord(r[i-1]) {
		i--
	}
	for i > 0 && isWord(r[i-1]) {
		i--
	}
	a.col = i
	a.moved()
}

func (a *Area) WordRight() {
	r := []rune(a.lines[a.row])
	if a.col >= len(r) {
		a.Right()
		return
	}
	i := a.col
	for i < len(r) && !isWord(r[i]) {
		i++
	}
	for i < len(r) && isWord(r[i]) {
		i++
	}
	a.col = i
	a.moved()
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' }

// AreaStyles are the styles the area draws with.
type AreaStyles struct {
	Text, Variable, Cursor, LineNumber, CursorLineNumber lipgloss.Style
}

// View draws the visible rows: exactly h lines of exactly w columns. The
// cursor is drawn when focused.
func (a *Area) View(st AreaStyles, focused bool) string {
	g := a.gutter()
	tw := a.textWidth()
	out := make([]string, 0, a.h)
	row, seg := a.top, a.seg
	for len(out) < a.h {
		if row >= len(a.lines) {
			out = append(out, strings.Repeat(" ", a.w))
			continue
		}
		r := []rune(a.lines[row])
		starts := wrap(r, tw)
		if seg >= len(starts) {
			row, seg = row+1, 0
			continue
		}
		num := strings.Repeat(" ", g)
		if seg == 0 {
			n := strconv.Itoa(row + 1)
			num = strings.Repeat(" ", g-1-len(n)) + n + " "
		}
		ns := st.LineNumber
		if row == a.row && focused {
			ns = st.CursorLineNumber
		}
		end := len(r)
		if seg+1 < len(starts) {
			end = starts[seg+1]
		}
		cur := -1
		if focused && row == a.row && a.col >= starts[seg] && (a.col < end || a.col == end && (seg+1 == len(starts))) {
			cur = a.col
		}
		out = append(out, ns.Render(num)+drawSegment(r, starts[seg], end, varSpans(r), cur, tw, st))
		seg++
	}
	return strings.Join(out, "\n")
}

// varSpans marks the runes inside {{...}} (braces included).
func varSpans(r []rune) [][2]int {
	var out [][2]int
	for i := 0; i+1 < len(r); i++ {
		if r[i] == '{' && r[i+1] == '{' {
			for j := i + 2; j+1 < len(r); j++ {
				if r[j] == '}' && r[j+1] == '}' {
					for j+2 < len(r) && r[j+2] == '}' { // {{{triple}}}
						j++
					}
					out = append(out, [2]int{i, j + 2})
					i = j + 1
					break
				}
			}
		}
	}
	return out
}

// drawSegment draws runes [from, to) of a line, padded to w columns, with
// variables and the cursor (at rune index cur, or -1) styled.
func drawSegment(r []rune, from, to int, spans [][2]int, cur, w int, st AreaStyles) string {
	var b strings.Builder
	var run []rune
	runStyle := -1 // 0 text, 1 variable
	flush := func() {
		if len(run) == 0 {
			return
		}
		s := st.Text
		if runStyle == 1 {
			s = st.Variable
		}
		b.WriteString(s.Render(string(run)))
		run = run[:0]
	}
	inVar := func(i int) bool {
		for _, sp := range spans {
			if i >= sp[0] && i < sp[1] {
				return true
			}
		}
		return false
	}
	col := 0
	for i := from; i < to; i++ {
		c := dispRune(r[i])
		rw := runeWidth(r[i])
		if col+rw > w {
			break
		}
		if i == cur {
			flush()
			b.WriteString(st.Cursor.Render(string(c)))
			col += rw
			continue
		}
		k := 0
		if inVar(i) {
			k = 1
		}
		if k != runStyle {
			flush()
			runStyle = k
		}
		run = append(run, c)
		col += rw
	}
	flush()
	if cur == to && col < w {
		b.WriteString(st.Cursor.Render(" "))
		col++
	}
	if col < w {
		b.WriteString(strings.Repeat(" ", w-col))
	}
	return b.String()
}

// Key applies a text-editing key (typing, arrows, home/end, enter, undo,
// ctrl+k, ...) and reports whether the text changed. Keys it does not know
// are ignored.
func (a *Area) Key(msg tea.KeyPressMsg) (changed bool) {
	k := textKeys
	switch {
	case key.Matches(msg, k.Undo):
		return a.Undo()
	case key.Matches(msg, k.KillLine):
		a.KillLine()
		return true
	case key.Matches(msg, k.KillStart):
		a.KillToStart()
		return true
	case key.Matches(msg, k.DeleteWord):
		a.DeleteWordBack()
		return true
	case key.Matches(msg, k.WordLeft):
		a.WordLeft()
		return false
	case key.Matches(msg, k.WordRight):
		a.WordRight()
		return false
	case key.Matches(msg, k.Top):
		a.Top()
		return false
	case key.Matches(msg, k.Bottom):
		a.Bottom()
		return false
	}
	switch msg.String() {
	case "left", "ctrl+b":
		a.Left()
	case "right", "ctrl+f":
		a.Right()
	case "up", "ctrl+p":
		a.Up()
	case "down", "ctrl+n":
		a.Down()
	case "home", "ctrl+a":
		a.Home()
	case "end", "ctrl+e":
		a.End()
	case "pgup":
		a.PageUp()
	case "pgdown":
		a.PageDown()
	case "enter":
		a.Insert("\n")
		return true
	case "backspace", "ctrl+h":
		a.Backspace()
		return true
	case "delete":
		a.Delete()
		return true
	default:
		if msg.Text != "" && msg.Mod&(tea.ModCtrl|tea.ModAlt) == 0 {
			a.Insert(msg.Text)
			return true
		}
	}
	return false
}

// textKeys are the text-editing bindings Key uses (the full help lists
// them).
var textKeys = newKeys()

// TextHelp is the text-editing keys, for a full help.
func TextHelp() []key.Binding {
	k := textKeys
	return []key.Binding{k.Undo, k.WordLeft, k.WordRight, k.KillLine, k.KillStart, k.DeleteWord, k.Top, k.Bottom}
}

// StylesOf is the text area's look in c's theme.
func StylesOf(c *common.Common) AreaStyles {
	st := c.Styles
	return AreaStyles{
		Text:             st.Text,
		Variable:         st.Variable,
		Cursor:           st.Text.Reverse(true),
		LineNumber:       st.Diff.LineNumber,
		CursorLineNumber: st.Accent,
	}
}
