package evalws

import (
	"fmt"
	"math"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/eval/report"
	"github.com/seed94f0f622/verso/themes"
	"github.com/seed94f0f622/verso/tui/common"
)

type to = common.To

// Verdict symbols, readable without colour.
const (
	symPass    = "✓"
	symFail    = "✗"
	symError   = "!"
	symPending = "·"
	symRunning = "…"
)

// costOf is money for a sum of answers of which unknown came without usage
// figures: "unknown" when all did, "+?" after the known part when some did
// (a missing usage is never shown as $0).
func costOf(f float64, unknown, answers int) string {
	switch {
	case unknown > 0 && unknown >= answers:
		return "cost unknown"
	case unknown > 0:
		return money(f) + "+?"
	}
	return money(f)
}

func money(f float64) string {
	switch {
	case f == 0:
		return "$0"
	case f < 0.0001:
		return strings.TrimRight(fmt.Sprintf("$%.6f", f), "0")
	case f < 0.01:
		return fmt.Sprintf("$%.4f", f)
	case f < 100:
		return fmt.Sprintf("$%.2f", f)
	}
	return fmt.Sprintf("$%.0f", f)
}

func signedMoney(f float64) string {
	if f == 0 {
		return "±$0"
	}
	if f > 0 {
		return "+" + money(f)
	}
	return "-" + money(-f)
}

func ms(v float64) string {
	if v >= 10000 {
		return fmt.Sprintf("%.0fs", v/1000)
	}
	if v >= 1000 {
		return fmt.Sprintf("%.1fs", v/1000)
	}
	return fmt.Sprintf("%.0fms", v)
}

func count(n int) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 10_000:
		return fmt.Sprintf("%.0fk", float64(n)/1e3)
	case n >= 1000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

func pct(f float64) string {
	return fmt.Sprintf("%.0f%%", math.Floor(f*100+0.5))
}

// colTitle names a column: "v3 · demo-small".
func colTitle(c report.Column) string {
	m := c.Model
	if i := strings.IndexByte(m, '/'); i >= 0 {
		m = m[i+1:]
	}
	return fmt.Sprintf("v%d · %s", c.Version, common.CleanLine(m))
}

func verdictStyle(st *themes.Styles, v report.Verdict) lipgloss.Style {
	switch v {
	case report.Pass:
		return st.Success
	case report.Fail:
		return st.Error
	case report.Error:
		return st.Warning
	}
	return st.Muted
}

func verdictSym(v report.Verdict) string {
	switch v {
	case report.Pass:
		return symPass
	case report.Fail:
		return symFail
	case report.Error:
		return symError
	}
	return symPending
}

// bar draws a progress bar of width columns.
func bar(st *themes.Styles, done, total, width int) string {
	if width <= 0 {
		return ""
	}
	fill := 0
	if total > 0 {
		fill = min(width, done*width/total)
	}
	return st.Success.Render(strings.Repeat("█", fill)) + st.Subtle.Render(strings.Repeat("░", width-fill))
}

// pad truncates or pads s (which may hold styles) to width.
func pad(s string, width int) string { return common.Fit(s, width) }

// rule is a horizontal rule with a title.
func rule(st *themes.Styles, title string, width int) string {
	if width <= 0 {
		return ""
	}
	if title == "" {
		return st.Panel.Border.Render(strings.Repeat("─", width))
	}
	t := common.Trunc(" "+title+" ", max(width-2, 0))
	n := width - 2 - lipgloss.Width(t)
	return st.Panel.Border.Render("──") + st.Panel.Title.Render(t) + st.Panel.Border.Render(strings.Repeat("─", max(n, 0)))
}

// scroll keeps cursor within [off, off+height) and returns the new offset.
func scroll(cursor, off, height, n int) int {
	if height <= 0 {
		return 0
	}
	if cursor < off {
		off = cursor
	}
	if cursor >= off+height {
		off = cursor - height + 1
	}
	if off > n-height {
		off = n - height
	}
	return max(off, 0)
}

// wrap splits text into lines of at most width columns (hard wrap on
// words where possible), for plain, already-cleaned text.
func wrap(s string, width int) []string {
	if width <= 0 {
		return nil
	}
	var out []string
	for _, line := range strings.Split(s, "\n") {
		w := lipgloss.Wrap(line, width, " ")
		out = append(out, strings.Split(w, "\n")...)
	}
	return out
}

func stripToPlain(s string) string { return ansi.Strip(s) }
