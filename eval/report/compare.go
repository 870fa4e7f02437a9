package report

import (
	"github.com/seed94f0f622/verso/store"
)

// Flip is a case whose verdict differs between two sets of results.
type Flip struct {
	Version int
	Model   string
	CaseID  int64
	Case    string
	Repeat  int
	Before  Verdict
	After   Verdict
}

// Verdict of one result.
type Verdict string

const (
	Pass    Verdict = "pass"
	Fail    Verdict = "fail"
	Error   Verdict = "error"
	Missing Verdict = "missing"
)

// VerdictOf a result.
func VerdictOf(r store.Result) Verdict {
	switch {
	case r.Error != "":
		return Error
	case r.Pass:
		return Pass
	}
	return Fail
}

// Compare lists the results whose verdict differs between two runs of the
// same prompt, matched by (version, model, case name, repeat): case names
// survive a re-import of the suite, case IDs do not. With different
// versions in the two runs, pass byVersion false to match on (model, case,
// repeat) only (e.g. production's run against latest's).
func Compare(before, after []store.Result, byVersion bool) []Flip {
	type key struct {
		v      int
		model  string
		name   string
		repeat int
	}
	k := func(r store.Result) key {
		kk := key{model: r.Model, name: r.CaseName, repeat: r.Repeat}
		if byVersion {
			kk.v = r.Version
		}
		return kk
	}
	old := make(map[key]store.Result, len(before))
	for _, r := range before {
		old[k(r)] = r
	}
	var out []Flip
	seen := map[key]bool{}
	for _, r := range after {
		kk := k(r)
		seen[kk] = true
		b := Missing
		if o, ok := old[kk]; ok {
			b = VerdictOf(o)
		}
		if a := VerdictOf(r); a != b {
			out = append(out, Flip{Version: r.Version, Model: r.Model, CaseID: r.CaseID, Case: r.CaseName, Repeat: r.Repeat, Before: b, After: a})
		}
	}
	for _, r := range before {
		if kk := k(r); !seen[kk] {
			out = append(out, Flip{Version: r.Version, Model: r.Model, CaseID: r.CaseID, Case: r.CaseName, Repeat: r.Repeat, Before: VerdictOf(r), After: Missing})
		}
	}
	return out
}
