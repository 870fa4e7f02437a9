package runner

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/seed94f0f622/verso/eval/assert"
	"github.com/seed94f0f622/verso/eval/report"
	"github.com/seed94f0f622/verso/store"
)

// The comparison pass. A case with comparison assertions (select-best,
// max-score) is decided once every column of the run has answered it (per
// repeat): its outputs form a group.
//
//   - First pass: each output is checked on the case's other assertions and
//     saved with its comparisons pending (assert.Evaluate), but not
//     reported: a kill keeps the answer, so nothing is paid twice.
//   - When the group's last output is in, assert.Compare decides the
//     comparisons over the outputs that ended without error, and the
//     group's results are saved again and reported, each once.
//   - Resume rebuilds the groups from the saved results: a group with
//     pending results, or with an error that is run again, is decided again
//     once complete; a group whose results are all decided and without
//     error is kept as it is.
//
// An output that ended in an error is reported at once (it takes no part);
// a group that is still open when the run ends leaves the run cancelled, so
// that Resume completes it.

// ComparisonError is a plan that cannot run a case's comparison assertions
// (select-best with one column, max-score with nothing to score).
type ComparisonError struct {
	Prompt, Suite, Case string
	Err                 error
}

func (e *ComparisonError) Error() string {
	return fmt.Sprintf("suite %q of %s, case %q: %v", e.Suite, e.Prompt, e.Case, e.Err)
}

func (e *ComparisonError) Unwrap() error { return e.Err }

// checkComparisons refuses a plan whose comparisons cannot be decided.
func checkComparisons(su store.Suite, prompt string, columns int) error {
	for _, c := range su.Cases {
		if err := assert.CheckComparisons(c.Assertions, columns); err != nil {
			return &ComparisonError{Prompt: prompt, Suite: su.Name, Case: c.Name, Err: err}
		}
	}
	return nil
}

type groupKey struct {
	caseID int64
	repeat int
}

// groups are a run's open comparison groups.
type groups struct {
	mu    sync.Mutex
	cols  []report.Column
	cases map[int64]*store.Case // the cases with comparisons
	open  map[groupKey]map[report.Column]store.Result
}

func newGroups(cols []report.Column, su *store.Suite) *groups {
	g := &groups{cols: cols, cases: map[int64]*store.Case{}, open: map[groupKey]map[report.Column]store.Result{}}
	for i := range su.Cases {
		if assert.HasComparison(su.Cases[i].Assertions) {
			g.cases[su.Cases[i].ID] = &su.Cases[i]
		}
	}
	return g
}

func (g *groups) compares(caseID int64) bool { return g.cases[caseID] != nil }

// add puts a result in its group and returns the group when it is
// complete (then it is no longer open).
func (g *groups) add(r store.Result) (groupKey, map[report.Column]store.Result, bool) {
	k := groupKey{r.CaseID, r.Repeat}
	g.mu.Lock()
	defer g.mu.Unlock()
	m := g.open[k]
	if m == nil {
		m = map[report.Column]store.Result{}
		g.open[k] = m
	}
	m[report.Column{Version: r.Version, Model: r.Model}] = r
	if len(m) < len(g.cols) {
		return k, nil, false
	}
	delete(g.open, k)
	return k, m, true
}

// complete takes the groups that are complete already (resumed with all
// their outputs saved, some pending).
func (g *groups) complete() map[groupKey]map[report.Column]store.Result {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := map[groupKey]map[report.Column]store.Result{}
	for k, m := range g.open {
		if len(m) == len(g.cols) {
			out[k] = m
			delete(g.open, k)
		}
	}
	return out
}

// reopen puts back a group that could not be decided (the run stopped
// during the grader's call).
func (g *groups) reopen(k groupKey, m map[report.Column]store.Result) {
	g.mu.Lock()
	g.open[k] = m
	g.mu.Unlock()
}

func (g *groups) pending() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.open)
}

// resumed sorts a resumed run's saved results (errors excluded: they run
// again) into those that are settled, reported as they are, and those whose
// group is decided again.
func (g *groups) resumed(prev []store.Result) (settled []store.Result) {
	byGroup := map[groupKey][]store.Result{}
	for _, r := range prev {
		if !g.compares(r.CaseID) {
			settled = append(settled, r)
			continue
		}
		k := groupKey{r.CaseID, r.Repeat}
		byGroup[k] = append(byGroup[k], r)
	}
	for k, rs := range byGroup {
		done := len(rs) == len(g.cols) && !slices.ContainsFunc(rs, func(r store.Result) bool {
			return slices.ContainsFunc(r.Assertions, func(a store.AssertionResult) bool { return a.Pending })
		})
		if done {
			settled = append(settled, rs...)
			continue
		}
		m := map[report.Column]store.Result{}
		for _, r := range rs {
			m[report.Column{Version: r.Version, Model: r.Model}] = r
		}
		g.open[k] = m
	}
	return settled
}

// decide runs the comparison pass of a complete group and hands its
// decided results to the writer. It returns false when the run stopped
// during a grader's call: the group is put back, its results stay pending.
func (x *exec) decide(ctx context.Context, w *writer, k groupKey, m map[report.Column]store.Result) bool {
	cs := x.groups.cases[k.caseID]
	var order []store.Result
	var contenders []assert.Contender
	for _, col := range x.groups.cols {
		r := m[col]
		if r.Error != "" {
			continue // reported already; it takes no part
		}
		order = append(order, r)
		contenders = append(contenders, assert.Contender{Output: r.Output, Model: r.Model, Results: r.Assertions})
	}
	if len(order) == 0 {
		return true
	}
	outs := assert.Compare(ctx, cs.Assertions, x.threshold(cs), cs.Vars, contenders, x.e.Models)
	if ctx.Err() != nil {
		x.groups.reopen(k, m)
		return false
	}
	for i, o := range outs {
		r := order[i]
		r.Assertions, r.Score, r.Pass = o.Results, o.Score, o.Pass
		r.CreatedAt = time.Time{} // saved at the time of the decision
		w.add(r, nil)
	}
	return true
}

// threshold is a case's pass threshold: its own, else the suite's.
func (x *exec) threshold(c *store.Case) float64 {
	if c.Threshold != nil {
		return *c.Threshold
	}
	return x.suite.Threshold
}
