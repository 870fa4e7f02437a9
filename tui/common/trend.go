package common

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/seed94f0f622/verso/eval/report"
	"github.com/seed94f0f622/verso/store"
)

// The pictures' data: pass rates per version over runs, and the mark of
// production's last eval. tui/chart draws them.

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
