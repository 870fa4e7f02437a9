package diffview

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/store/sanitize"
	"github.com/seed94f0f622/verso/themes"
)

// KeyMap is the diff view's key bindings; the help views are generated
// from it.
type KeyMap struct {
	Down, Up           key.Binding
	PageDown, PageUp   key.Binding
	HalfDown, HalfUp   key.Binding
	Top, Bottom        key.Binding
	NextHunk, PrevHunk key.Binding
	ToggleUnified      key.Binding
	ToggleWrap         key.Binding
	// Left and Right scroll sideways while long lines are truncated.
	Left, Right key.Binding
}

// DefaultKeyMap returns the standard bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Down:          key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
		Up:            key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
		PageDown:      key.NewBinding(key.WithKeys("pgdown", "f", "space"), key.WithHelp("pgdn", "page down")),
		PageUp:        key.NewBinding(key.WithKeys("pgup", "b"), key.WithHelp("pgup", "page up")),
		HalfDown:      key.NewBinding(key.WithKeys("ctrl+d"), key.WithHelp("ctrl+d", "half page down")),
		HalfUp:        key.NewBinding(key.WithKeys("ctrl+u"), key.WithHelp("ctrl+u", "half page up")),
		Top:           key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:        key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		NextHunk:      key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "next change")),
		PrevHunk:      key.NewBinding(key.WithKeys("N"), key.WithHelp("N", "previous change")),
		ToggleUnified: key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "unified/side-by-side")),
		ToggleWrap:    key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "wrap/truncate")),
		Left:          key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "scroll left (truncated)")),
		Right:         key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "scroll right (truncated)")),
	}
}

// wheelStep is how many lines one mouse wheel notch scrolls.
const wheelStep = 3

// Model is the diff screen's scrolling view: a title line over the diff
// body, both columns scrolling together. It computes the diff once per
// SetContent and renders only the visible lines, caching them per width,
// mode and wrap setting. The zero value is not usable: call New.
type Model struct {
	styles themes.Styles
	keys   KeyMap

	width, height int
	unified       bool // the user asked for unified (u)
	wrap          bool
	context       int

	leftTitle, rightTitle string
	diff                  *Diff
	config                []ConfigChange
	dialect               []ConfigChange // the template dialect, when it changed

	offset  int // first body line shown
	xoff    int // first column shown of each line (truncate mode)
	hunk    int // hunk last jumped to with n/N (0-based), -1 for none
	layouts map[layoutKey]*layout
}

type layoutKey struct {
	width int
	mode  Mode
	wrap  bool
	xoff  int
}

// New returns an empty diff view with the given styles, wrapping on.
func New(st themes.Styles) Model {
	return Model{
		styles:  st,
		keys:    DefaultKeyMap(),
		wrap:    true,
		context: DefaultContext,
		hunk:    -1,
		diff:    Compute("", "", DefaultContext),
		layouts: map[layoutKey]*layout{},
	}
}

// SetSize sets the rectangle the view draws into, keeping the line at the
// top of the view in place when the layout changes.
func (m *Model) SetSize(w, h int) {
	if w == m.width && h == m.height {
		return
	}
	anchor := m.anchor()
	m.width, m.height = max(w, 1), max(h, 1)
	m.restore(anchor)
}

// SetKeyMap replaces the bindings (a user's key overrides).
func (m *Model) SetKeyMap(k KeyMap) { m.keys = k }

// SetStyles switches theme; rendered lines are dropped.
func (m *Model) SetStyles(st themes.Styles) {
	m.styles = st
	m.layouts = map[layoutKey]*layout{}
}

// SetContent diffs two texts (untrusted: they are sanitized) and scrolls to
// the top. Titles name the two sides, e.g. "v3 · production". The config
// section is kept: call SetConfig too when showing a new pair of versions.
func (m *Model) SetContent(leftTitle, rightTitle, left, right string) {
	m.leftTitle, m.rightTitle = leftTitle, rightTitle
	m.diff = Compute(left, right, m.context)
	m.layouts = map[layoutKey]*layout{}
	m.offset, m.hunk = 0, -1
}

// SetConfig shows the model-config changes between the two versions above
// the first hunk (nothing when they are equal).
func (m *Model) SetConfig(old, new store.Config) {
	m.config = ConfigDiff(old, new)
	m.layouts = map[layoutKey]*layout{}
}

// SetDialect shows a change of template dialect above the config changes
// (nothing when both are the same).
func (m *Model) SetDialect(old, new store.Dialect) {
	m.dialect = DialectDiff(old, new)
	m.layouts = map[layoutKey]*layout{}
}

// SetContext sets the unchanged lines around changes (0: none, negative:
// the whole text; New starts with DefaultContext) and recomputes the hunks.
func (m *Model) SetContext(n int) {
	if n == m.context {
		return
	}
	m.context = n
	// A Diff is shared with old layouts: build a new one over the same lines.
	m.diff = &Diff{Old: m.diff.Old, New: m.diff.New, Rows: m.diff.Rows, Context: n,
		Hunks: buildHunks(m.diff.Rows, n), Added: m.diff.Added, Deleted: m.diff.Deleted}
	m.layouts = map[layoutKey]*layout{}
	m.offset, m.hunk = 0, -1
}

// SetUnified forces unified (true) or side-by-side when it fits (false).
func (m *Model) SetUnified(on bool) { m.relayout(func() { m.unified = on }) }

// SetWrap turns line wrapping on or off.
func (m *Model) SetWrap(on bool) { m.relayout(func() { m.wrap, m.xoff = on, 0 }) }

// sideStep is how many columns one left/right press scrolls.
const sideStep = 8

// XOffset is the first column shown of each line (0 unless long lines are
// truncated and scrolled sideways).
func (m Model) XOffset() int { return m.xoff }

// Mode is the layout in use: Unified when asked for or when the width is
// under MinSideBySideWidth.
func (m Model) Mode() Mode {
	if m.unified || !FitsSideBySide(m.width) {
		return Unified
	}
	return SideBySide
}

// Wrap reports whether long lines wrap.
func (m Model) Wrap() bool { return m.wrap }

// Diff returns the computed diff (stats: Added, Deleted, len(Hunks)).
func (m Model) Diff() *Diff { return m.diff }

// Offset is the first body line shown.
func (m Model) Offset() int { return m.offset }

// Hunk returns the 1-based index of the current hunk (the one last jumped
// to while it is on screen, else the one at the top of the view; 0 before
// the first) and the number of hunks.
func (m *Model) Hunk() (current, total int) {
	// Before the first change the count starts at it: "change 1 of N".
	total = len(m.layout().hunkItem)
	return min(max(m.currentHunk()+1, 1), total), total
}

// currentHunk is Hunk's 0-based index, -1 before the first hunk.
func (m *Model) currentHunk() int {
	l := m.layout()
	if m.hunk >= 0 && m.hunk < len(l.hunkItem) {
		if y := l.offsets[l.hunkItem[m.hunk]]; y >= m.offset && y < m.offset+m.bodyHeight() {
			return m.hunk
		}
	}
	cur := -1
	for i, it := range l.hunkItem {
		if l.offsets[it] > m.offset {
			break
		}
		cur = i
	}
	return cur
}

// Update handles scrolling keys and the mouse wheel. Keys it does not own
// are ignored, so the parent can pass everything while the view is focused.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		body := m.bodyHeight()
		switch {
		case key.Matches(msg, m.keys.Down):
			m.scrollTo(m.offset + 1)
		case key.Matches(msg, m.keys.Up):
			m.scrollTo(m.offset - 1)
		case key.Matches(msg, m.keys.PageDown):
			m.scrollTo(m.offset + body)
		case key.Matches(msg, m.keys.PageUp):
			m.scrollTo(m.offset - body)
		case key.Matches(msg, m.keys.HalfDown):
			m.scrollTo(m.offset + max(body/2, 1))
		case key.Matches(msg, m.keys.HalfUp):
			m.scrollTo(m.offset - max(body/2, 1))
		case key.Matches(msg, m.keys.Top):
			m.scrollTo(0)
		case key.Matches(msg, m.keys.Bottom):
			m.scrollTo(m.layout().total())
		case key.Matches(msg, m.keys.NextHunk):
			m.nextHunk(1)
		case key.Matches(msg, m.keys.PrevHunk):
			m.nextHunk(-1)
		case key.Matches(msg, m.keys.ToggleUnified):
			m.SetUnified(!m.unified)
		case key.Matches(msg, m.keys.ToggleWrap):
			m.SetWrap(!m.wrap)
		case key.Matches(msg, m.keys.Left) && !m.wrap:
			m.xoff = max(m.xoff-sideStep, 0)
		case key.Matches(msg, m.keys.Right) && !m.wrap:
			m.xoff = min(m.xoff+sideStep, max(m.diff.longest()-sideStep, 0))
		}
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelDown:
			m.scrollTo(m.offset + wheelStep)
		case tea.MouseWheelUp:
			m.scrollTo(m.offset - wheelStep)
		}
	}
	return m, nil
}

// View renders exactly height lines of width columns: the titles, then the
// visible part of the diff.
func (m *Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	l := m.layout()
	lines := make([]string, 0, m.height)
	if m.diff.Equal() && len(m.config) == 0 && len(m.dialect) == 0 {
		lines = append(lines, l.header(m.leftTitle, m.rightTitle)...)
		lines = append(lines, m.styles.Muted.Render(fit("No differences.", m.width)))
	} else {
		lines = append(lines, m.headerLines(l)...)
		lines = append(lines, l.lines(m.offset, m.bodyHeight())...)
	}
	if len(lines) > m.height {
		lines = lines[:m.height]
	}
	blank := strings.Repeat(" ", m.width)
	for len(lines) < m.height {
		lines = append(lines, blank)
	}
	return strings.Join(lines, "\n")
}

// ShortHelp returns the bindings for the one-line help.
func (m Model) ShortHelp() []key.Binding {
	return []key.Binding{m.keys.NextHunk, m.keys.PrevHunk, m.keys.ToggleUnified, m.keys.ToggleWrap}
}

// FullHelp returns every binding, grouped for the full help view.
func (m Model) FullHelp() [][]key.Binding {
	k := m.keys
	return [][]key.Binding{
		{k.Down, k.Up, k.PageDown, k.PageUp, k.HalfDown, k.HalfUp, k.Top, k.Bottom},
		{k.NextHunk, k.PrevHunk, k.ToggleUnified, k.ToggleWrap, k.Left, k.Right},
	}
}

// KeyMap returns the bindings (for a parent that merges help views).
func (m Model) KeyMap() KeyMap { return m.keys }

// headerLines are the pinned lines above the body: the titles, or in
// unified mode a single "--- left   +++ right" line to save space.
func (m *Model) headerLines(l *layout) []string {
	if m.leftTitle == "" && m.rightTitle == "" {
		return nil
	}
	h := l.header(m.leftTitle, m.rightTitle)
	if len(h) == 1 {
		return []string{fitStyled(h[0], m.width)}
	}
	d := &m.styles.Diff
	half := max((m.width-9)/2, 1)
	line := d.DelMarker.Render("---") + " " + d.Title.Render(fit(cleanTitle(m.leftTitle), half)) + " " +
		d.AddMarker.Render("+++") + " " + d.Title.Render(fit(cleanTitle(m.rightTitle), max(m.width-9-half, 1)))
	return []string{fitStyled(line, m.width)}
}

func (m *Model) bodyHeight() int {
	n := m.height
	if m.leftTitle != "" || m.rightTitle != "" {
		n--
	}
	return max(n, 1)
}

// layout returns the cached layout for the current width, mode and wrap.
func (m *Model) layout() *layout {
	if m.layouts == nil {
		m.layouts = map[layoutKey]*layout{}
	}
	k := layoutKey{max(m.width, 1), m.Mode(), m.wrap, m.xoff}
	if l, ok := m.layouts[k]; ok {
		return l
	}
	if len(m.layouts) >= 6 {
		// Resizing produces a layout per width: keep the cache bounded.
		m.layouts = map[layoutKey]*layout{}
	}
	prefix := RenderConfigDiff(append(slices.Clone(m.dialect), m.config...), m.styles, k.width)
	if len(prefix) > 0 && m.diff.Equal() {
		prefix = append(prefix, "", m.styles.Muted.Render("The text has no differences."))
	}
	l := newLayout(m.diff, &m.styles, k.mode, k.width, k.wrap, prefix)
	l.xoff = k.xoff
	m.layouts[k] = l
	return l
}

func (m *Model) scrollTo(y int) {
	l := m.layout()
	m.offset = min(max(y, 0), max(l.total()-m.bodyHeight(), 0))
}

func (m *Model) nextHunk(dir int) {
	l := m.layout()
	if len(l.hunkItem) == 0 {
		return
	}
	cur := m.currentHunk()
	target := cur + dir
	if dir < 0 && cur >= 0 && l.offsets[l.hunkItem[cur]] < m.offset {
		target = cur // inside a hunk whose header scrolled away: back to its start
	}
	if target < 0 {
		m.hunk = -1
		m.scrollTo(0)
		return
	}
	target = min(target, len(l.hunkItem)-1)
	m.hunk = target
	m.scrollTo(l.offsets[l.hunkItem[target]])
}

// position is a layout-independent place in the diff: a row and which
// part of it, so toggles and resizes keep the same text at the top.
type position struct {
	kind itemKind
	idx  int
}

func (m *Model) anchor() position {
	if m.width <= 0 {
		return position{}
	}
	l := m.layout()
	if len(l.items) == 0 {
		return position{}
	}
	it := l.items[min(l.itemAt(m.offset), len(l.items)-1)]
	return position{it.kind, it.idx}
}

func (m *Model) restore(p position) {
	if m.width <= 0 {
		return // not sized yet: nothing to keep in place
	}
	l := m.layout()
	for i, it := range l.items {
		if it.kind == p.kind && it.idx == p.idx ||
			p.kind >= itemRow && it.kind >= itemRow && it.idx >= p.idx {
			m.scrollTo(l.offsets[i])
			return
		}
	}
	m.scrollTo(m.offset)
}

// relayout applies a change that alters the layout, keeping the anchor.
func (m *Model) relayout(change func()) {
	a := m.anchor()
	change()
	m.restore(a)
}

func cleanTitle(s string) string { return strings.TrimSpace(sanitize.Line(s)) }

// String describes the view's state for debugging and tests.
func (m Model) String() string {
	return fmt.Sprintf("diffview %dx%d %s wrap=%v offset=%d", m.width, m.height, m.Mode(), m.wrap, m.offset)
}
