// Package chart draws time-series line charts for the production
// analytics, with github.com/guptarohit/asciigraph laying out the
// lines and axes and themes.ChartStyles colouring them. Series are told
// apart by their characters too, so they stay apart without colour.
package chart

import (
	"math"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/guptarohit/asciigraph"

	"github.com/seed94f0f622/verso/themes"
)

// Glyphs are the characters of the series, in order: the first series is
// drawn with box-drawing lines, the others with one character each.
var Glyphs = []string{"─", "•", "·", "×"}

// MaxSeries is how many series one chart draws.
var MaxSeries = len(Glyphs)

var charSets = []asciigraph.CharSet{asciigraph.DefaultCharSet,
	asciigraph.CreateCharSet(Glyphs[1]), asciigraph.CreateCharSet(Glyphs[2]), asciigraph.CreateCharSet(Glyphs[3])}

// Series is one line: a value per step, NaN where there is none (no
// traffic).
type Series struct {
	Values []float64
}

// Options size and label a chart. Width and Height are the whole chart's,
// axis labels included.
type Options struct {
	Width, Height int
	// YFormat writes a value of the y axis ("812ms", "1.2%").
	YFormat func(float64) string
	// XMin and XMax are the x axis's range and XFormat writes its labels
	// (for example -24 to 0, "-24h" ... "now").
	XMin, XMax float64
	XFormat    func(float64) string
	// Markers are positions on the x axis (between XMin and XMax), drawn
	// under it with their text (one character, like "1").
	Markers []Marker
	// Empty is the text drawn when no series has a value.
	Empty string
}

// Marker is a point on the x axis.
type Marker struct {
	X    float64
	Text string
}

// Lines draws the series: exactly Height lines of at most Width columns.
func Lines(st themes.ChartStyles, series []Series, o Options) []string {
	if len(series) > MaxSeries {
		series = series[:MaxSeries]
	}
	data := make([][]float64, 0, len(series))
	has := false
	for _, s := range series {
		vals := s.Values
		if len(vals) == 1 {
			vals = []float64{vals[0], vals[0]}
		}
		for _, v := range vals {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				has = true
			}
		}
		if len(vals) > 0 {
			data = append(data, vals)
		}
	}
	out := make([]string, 0, o.Height)
	plotH := o.Height - 2 // x axis and its labels
	if len(o.Markers) > 0 {
		plotH--
	}
	if !has || plotH < 2 || o.Width < 20 {
		out = append(out, st.Axis.Render(ansi.Truncate(o.Empty, o.Width, "…")))
		for len(out) < o.Height {
			out = append(out, "")
		}
		return out
	}
	opts := []asciigraph.Option{asciigraph.Height(plotH - 1), asciigraph.SeriesChars(charSets[:len(data)]...),
		asciigraph.LowerBound(0), asciigraph.XAxisRange(o.XMin, o.XMax)}
	if o.YFormat != nil {
		opts = append(opts, asciigraph.YAxisValueFormatter(func(v float64) string { return o.YFormat(v) }))
	}
	if o.XFormat != nil {
		opts = append(opts, asciigraph.XAxisValueFormatter(func(v float64) string { return o.XFormat(v) }))
	}
	// The plot's width is what is left after the y labels: draw once to
	// measure them, then at the right width.
	plotW := o.Width - 12
	var text string
	for range 2 {
		ticks := max(2, min(plotW/14+1, 7))
		text = asciigraph.PlotMany(data, append(opts, asciigraph.Width(plotW), asciigraph.XAxisTickCount(ticks))...)
		w := 0
		for _, l := range strings.Split(text, "\n") {
			w = max(w, ansi.StringWidth(l))
		}
		if w <= o.Width {
			break
		}
		plotW -= w - o.Width
		if plotW < 4 {
			out = append(out, st.Axis.Render(ansi.Truncate(o.Empty, o.Width, "…")))
			for len(out) < o.Height {
				out = append(out, "")
			}
			return out
		}
	}
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	axisCol := -1
	for _, l := range lines {
		if axisCol = axisColumn(l); axisCol >= 0 {
			break
		}
	}
	for _, l := range lines {
		out = append(out, colour(st, l, axisCol, len(data)))
	}
	if len(o.Markers) > 0 && axisCol >= 0 {
		row := []rune(strings.Repeat(" ", o.Width))
		for _, m := range o.Markers {
			f := (m.X - o.XMin) / (o.XMax - o.XMin)
			if f < 0 || f > 1 || math.IsNaN(f) {
				continue
			}
			col := axisCol + 1 + int(math.Round(f*float64(plotW-1)))
			if col < len(row) {
				row[col] = []rune(m.Text)[0]
			}
		}
		out = append(out, st.Marker.Render(strings.TrimRight(string(row), " ")))
	}
	for len(out) < o.Height {
		out = append(out, "")
	}
	return out[:o.Height]
}

// axisColumn is the rune index of the y axis in a plot line (-1 if none).
func axisColumn(l string) int {
	for i, r := range []rune(l) {
		if r == '┤' || r == '┼' {
			return i
		}
	}
	return -1
}

// colour styles one line of asciigraph's output: the labels and axes in
// the axis style, each series' characters in its own style.
func colour(st themes.ChartStyles, l string, axisCol, n int) string {
	runes := []rune(l)
	if axisCol < 0 || axisColumn(l) != axisCol {
		return st.Axis.Render(l)
	}
	seriesOf := func(r rune) int {
		switch r {
		case '─', '│', '╭', '╮', '╰', '╯', '╴', '╶':
			return 0
		}
		for i := 1; i < n; i++ {
			if string(r) == Glyphs[i] {
				return i
			}
		}
		return -1
	}
	var b strings.Builder
	b.WriteString(st.Axis.Render(string(runes[:axisCol+1])))
	style := func(i int) lipgloss.Style {
		if i < 0 || i >= len(st.Series) {
			return lipgloss.NewStyle()
		}
		return st.Series[i]
	}
	start, cur := axisCol+1, -2
	for i := axisCol + 1; i <= len(runes); i++ {
		s := -3
		if i < len(runes) {
			s = seriesOf(runes[i])
			if runes[i] == ' ' {
				s = cur // spaces join any run
			}
		}
		if s != cur {
			if i > start {
				b.WriteString(style(cur).Render(string(runes[start:i])))
			}
			start, cur = i, s
		}
	}
	return b.String()
}
