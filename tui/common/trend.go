package common

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/seed94f0f622/verso/eval/report"
	"github.com/seed94f0f622/verso/store"
)

// Pictures: sparklines of pass rates, a latency spread, and the mark of
// production's last eval. A chart library was weighed (ntcharts is built
// on Bubble Tea and Lip Gloss v1); a sparkline is a row of block
// characters, drawn here from the theme's styles.

// blocks are the eight heights of a sparkline cell.
var blocks = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws values between 0 and 1 (pass rates), oldest first, one
// cell each, keeping the newest width of them. A value below 0 (no data)
// is a space.
func Sparkline(vals []float64, width int) string {
	if width <= 0 {
		return ""
	}
	if len(vals) > width {
		vals = vals[len(vals)-width:]
	}
	var b strings.Builder
	for _, v := range vals {
		if v < 0 || math.IsNaN(v) {
			b.WriteByte(' ')
			continue
		}
		i := int(math.Round(min(v, 1) * float64(len(blocks)-1)))
		b.WriteRune(blocks[i])
	}
	return b.String()
}

// Spread is a distribution as a sparkline: vals counted into n buckets
// between lo and hi, each bucket's height its share of the tallest. Empty
// buckets are blank.
func Spread(vals []float64, lo, hi float64, n int) string {
	if n <= 0 || len(vals) == 0 {
		return ""
	}
	counts := make([]int, n)
	for _, v := range vals {
		i := 0
		if hi > lo {
			i = int((v - lo) / (hi - lo) * float64(n))
		}
		counts[max(0, min(i, n-1))]++
	}
	top := slices.Max(counts)
	out := make([]float64, n)
	for i, c := range counts {
		out[i] = -1
		if c > 0 {
			// The smallest non-empty bucket still shows (▁).
			out[i] = max(float64(c)/float64(top), 0.01)
		}
	}
	return Sparkline(out, n)
}

// PassTrends are the pass rates of each version over the runs, oldest run
// first (runs as the store lists them: newest first). A run that tried a
// version on several models counts them together.
func PassTrends(runs []store.Run) map[int][]float64 {
	out := map[int][]float64{}
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		if r.Status == store.RunRunning || len(r.Summary) == 0 {
			continue
		}
		var s report.Summary
		if json.Unmarshal(r.Summary, &s) != nil {
			continue
		}
		passed, total := map[int]int{}, map[int]int{}
		for _, c := range s.Columns {
			passed[c.Version] += c.Passed
			total[c.Version] += c.Total
		}
		for v, t := range total {
			if t > 0 {
				out[v] = append(out[v], float64(passed[v])/float64(t))
			}
		}
	}
	return out
}

// EvalMark is what production's last eval says: passed, failed, none or
// stale (made before the gate suite changed).
type EvalMark int

const (
	MarkUnknown EvalMark = iota // not read yet, or no production label
	MarkPassed
	MarkFailed
	MarkNone
	MarkStale
)

// Mark is production's eval mark with the sentence that explains it.
type Mark struct {
	Kind EvalMark
	Text string
}

// ProductionMark reads the mark of production (at version) of a prompt.
// It is the gate's decision (store.DecideGate) as a picture: when
// production is protected, "passed" is what the gate would allow; when it
// is not, the newest run of the version on the gate suite decides.
func ProductionMark(ctx context.Context, st *store.Store, prompt string, version int) (Mark, error) {
	d, err := st.DecideGate(ctx, prompt, "production", version)
	if err != nil {
		return Mark{}, err
	}
	suite := d.Gate.DefaultSuite
	ev := d.Evidence
	if d.Reason == store.GateNotProtected {
		e, err := st.GateEvidence(ctx, prompt, version)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return Mark{MarkNone, fmt.Sprintf("production v%d has no eval on suite %q", version, suite)}, nil
		case err != nil:
			return Mark{}, err
		}
		ev = &e
		if e.Total > 0 && e.Passed == e.Total {
			return Mark{MarkPassed, fmt.Sprintf("production v%d passed its last eval: run #%d, %d/%d", version, e.RunID, e.Passed, e.Total)}, nil
		}
		return Mark{MarkFailed, fmt.Sprintf("production v%d failed its last eval: run #%d, %d/%d passed", version, e.RunID, e.Passed, e.Total)}, nil
	}
	switch d.Reason {
	case store.GatePassed:
		return Mark{MarkPassed, fmt.Sprintf("production v%d passed its last eval: run #%d, %d/%d", version, ev.RunID, ev.Passed, ev.Total)}, nil
	case store.GateBelowMin:
		return Mark{MarkFailed, fmt.Sprintf("production v%d failed its last eval: run #%d, %d/%d passed", version, ev.RunID, ev.Passed, ev.Total)}, nil
	case store.GateSuiteChanged:
		return Mark{MarkStale, fmt.Sprintf("production v%d's last eval (run #%d) is stale: suite %q changed since", version, ev.RunID, suite)}, nil
	case store.GateNoSuite:
		return Mark{MarkNone, fmt.Sprintf("production v%d: no %q suite to eval it with", version, suite)}, nil
	}
	return Mark{MarkNone, fmt.Sprintf("production v%d has no eval on suite %q", version, suite)}, nil
}

// MarkGlyph is the mark drawn before the production badge: ✓ passed,
// ✗ failed, ? none, ~ stale.
func (c *Common) MarkGlyph(m EvalMark) string {
	st := c.Styles
	switch m {
	case MarkPassed:
		return st.Success.Render("✓")
	case MarkFailed:
		return st.Error.Render("✗")
	case MarkNone:
		return st.Warning.Render("?")
	case MarkStale:
		return st.Warning.Render("~")
	}
	return ""
}
