package assert

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/seed94f0f622/verso/store"
)

// Comparison types (select-best, max-score) judge an output against the
// other outputs of its case: the versions and models of a run that
// answered the same case (and repeat). Evaluate leaves them pending; once
// every output of the case is in, the runner calls Compare with them all.

// Contender is one output of a case in the comparison pass: an output that
// ended without error, with its first-pass results (Evaluate's, where the
// comparison assertions are pending).
type Contender struct {
	Output  string
	Model   string // "provider/model" that wrote it (select-best's last-resort grader)
	Results []store.AssertionResult
}

// CompareCall is what a comparison kind looks at.
type CompareCall struct {
	Assertion  store.Assertion
	Value      any // the assertion's value, {{var}} filled from the case
	Vars       map[string]any
	Contenders []Contender // two or more, in the run's column order
	Models     Models
}

// IsComparison reports whether an assertion of type typ (negated or not)
// compares the outputs of a case rather than checking one.
func IsComparison(typ string) bool {
	return comparisons[strings.TrimPrefix(typ, "not-")]
}

// comparisons are the types whose table entry has Compare (a test keeps
// the two the same; the table cannot be read here without a cycle).
var comparisons = map[string]bool{"select-best": true, "max-score": true}

// HasComparison reports whether any of as is a comparison.
func HasComparison(as []store.Assertion) bool {
	return slices.ContainsFunc(as, func(a store.Assertion) bool { return IsComparison(a.Type) })
}

// CheckComparisons checks a case's comparison assertions against a run
// with columns outputs per case: a comparison needs two or more, and
// max-score needs another assertion to score. It names the problem.
func CheckComparisons(as []store.Assertion, columns int) error {
	others := 0
	var cmp []string
	for _, a := range as {
		if IsComparison(a.Type) {
			cmp = append(cmp, a.Type)
		} else {
			others++
		}
	}
	if len(cmp) == 0 {
		return nil
	}
	if columns < 2 {
		return fmt.Errorf("%s compares the outputs of two or more versions or models for the same case, and this run gives each case one output", cmp[0])
	}
	if others == 0 && slices.Contains(cmp, "max-score") {
		return errors.New("max-score picks the output with the best score on the case's other assertions, and the case has none")
	}
	return nil
}

// pendingReason is the reason of a comparison assertion before its pass.
const pendingReason = "waits for the other outputs of the case"

// Compare is the comparison pass of a case: as and threshold are the
// case's, cs its outputs that ended without error (in the run's column
// order), each with its first pass. It returns each output's outcome with
// the comparison assertions decided: each counts in the score with its
// weight, and an output passes when it passed its other assertions (or
// their threshold) and every comparison chose it.
func Compare(ctx context.Context, as []store.Assertion, threshold float64, vars map[string]any, cs []Contender, m Models) []Outcome {
	outs := make([]Outcome, len(cs))
	for i := range cs {
		outs[i].Results = slices.Clone(cs[i].Results)
	}
	for j, a := range as {
		typ, negate := strings.CutPrefix(a.Type, "not-")
		k, ok := lookup(typ)
		if !ok || k.Compare == nil {
			continue
		}
		var rs []store.AssertionResult
		fail := func(reason string) {
			rs = make([]store.AssertionResult, len(cs))
			for i := range rs {
				rs[i] = store.AssertionResult{Reason: reason}
			}
		}
		value, err := renderValue(a.Value, vars)
		switch {
		case negate:
			fail(typ + " cannot be negated")
		case err != nil:
			fail("value: " + err.Error())
		case len(cs) < 2:
			fail(typ + " has no other output to compare with (the case's other outputs ended in errors)")
		default:
			rs = k.Compare(ctx, CompareCall{Assertion: a, Value: value, Vars: vars, Contenders: cs, Models: m})
		}
		w := 1.0
		if a.Weight != nil {
			w = *a.Weight
		}
		for i := range outs {
			r := rs[i]
			r.Type, r.Weight, r.Score = a.Type, w, clamp(r.Score)
			if j < len(outs[i].Results) && outs[i].Results[j].Type == a.Type {
				outs[i].Results[j] = r
			} else {
				outs[i].Results = append(outs[i].Results, r)
			}
		}
	}
	for i := range outs {
		settle(&outs[i], threshold)
	}
	return outs
}

// settle computes an outcome's score and pass from its results: the
// weighted mean; every weighted assertion passes (or, with a threshold, the
// score of the others reaches it) and every weighted comparison chose the
// output. A pending comparison leaves the outcome failed and Pending.
func settle(out *Outcome, threshold float64) {
	var total, weights, own, ownWeights float64
	allPass, chosen := true, true
	out.Pending = false
	for _, r := range out.Results {
		if r.Pending {
			out.Pending = true
			continue
		}
		total += r.Score * r.Weight
		weights += r.Weight
		if IsComparison(r.Type) {
			if !r.Pass && r.Weight > 0 {
				chosen = false
			}
			continue
		}
		own += r.Score * r.Weight
		ownWeights += r.Weight
		if !r.Pass && r.Weight > 0 {
			allPass = false
		}
	}
	out.Score = 1
	if weights > 0 {
		out.Score = total / weights
	} else if !allPass || !chosen {
		out.Score = 0
	}
	if threshold > 0 {
		ownScore := 1.0
		if ownWeights > 0 {
			ownScore = own / ownWeights
		} else if !allPass {
			ownScore = 0
		}
		allPass = ownScore >= threshold-1e-9
	}
	out.Pass = allPass && chosen && !out.Pending && out.Error == ""
}

// SelectBestSystem starts the system prompt of select-best (promptfoo's
// shape: the grader answers with the number of the best output). The demo
// model server recognises "You are comparing outputs".
const SelectBestSystem = `You are comparing outputs to choose the one that best meets a criterion. ` +
	`The outputs are numbered from 0. Respond with the number of the best output only.`

func compareSelectBest(ctx context.Context, c CompareCall) []store.AssertionResult {
	criterion := toString(c.Value)
	rs := make([]store.AssertionResult, len(c.Contenders))
	failAll := func(reason string) []store.AssertionResult {
		for i := range rs {
			rs[i] = store.AssertionResult{Reason: reason}
		}
		return rs
	}
	if c.Models.Ask == nil {
		return failAll("select-best needs a grader model")
	}
	model := firstNonEmpty(c.Assertion.Provider, c.Models.Grader, c.Contenders[0].Model)
	var b strings.Builder
	fmt.Fprintf(&b, "<Criterion>\n%s\n</Criterion>", criterion)
	for i, ct := range c.Contenders {
		fmt.Fprintf(&b, "\n<Output index=\"%d\">\n%s\n</Output>", i, ct.Output)
	}
	answer, err := c.Models.Ask(ctx, model, []store.Message{{Role: "system", Content: SelectBestSystem}, {Role: "user", Content: b.String()}})
	if err != nil {
		return failAll("grader " + model + ": " + err.Error())
	}
	best, err := ParseChoice(answer, len(c.Contenders))
	if err != nil {
		return failAll("grader " + model + ": " + err.Error())
	}
	for i := range rs {
		if i == best {
			rs[i] = store.AssertionResult{Pass: true, Score: 1, Reason: excerpt("chosen as the best output of the case: "+criterion, 200)}
		} else {
			rs[i] = store.AssertionResult{Reason: excerpt(fmt.Sprintf("output %d of the case was chosen as the best: %s", best, criterion), 200)}
		}
	}
	return rs
}

var reInteger = regexp.MustCompile(`\d+`)

// ParseChoice reads select-best's answer: its first integer, which must
// number one of n outputs (from 0), as promptfoo reads it.
func ParseChoice(s string, n int) (int, error) {
	m := reInteger.FindString(s)
	if m == "" {
		return 0, fmt.Errorf("no output number in its answer %q", excerpt(s, 120))
	}
	i, err := strconv.Atoi(m)
	if err != nil || i >= n {
		return 0, fmt.Errorf("its answer %q names no output of the %d (numbered from 0)", excerpt(s, 120), n)
	}
	return i, nil
}

// maxScoreOptions is max-score's value: {method: average|sum, weights:
// {type: weight}, threshold: N}, each optional.
type maxScoreOptions struct {
	sum       bool
	weights   map[string]float64
	threshold *float64
}

func readMaxScore(v any) (maxScoreOptions, error) {
	var o maxScoreOptions
	if v == nil || v == "" {
		return o, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return o, errors.New("max-score: value must be {method, weights, threshold}")
	}
	for k, x := range m {
		switch k {
		case "method":
			switch x {
			case "average":
			case "sum":
				o.sum = true
			default:
				return o, fmt.Errorf("max-score: method %v: use average or sum", x)
			}
		case "weights":
			ws, ok := x.(map[string]any)
			if !ok {
				return o, errors.New("max-score: weights must map assertion types to numbers")
			}
			o.weights = map[string]float64{}
			for t, w := range ws {
				f, ok := number(w)
				if !ok || f < 0 {
					return o, fmt.Errorf("max-score: weight of %s must be a number >= 0", t)
				}
				o.weights[t] = f
			}
		case "threshold":
			f, ok := number(x)
			if !ok {
				return o, errors.New("max-score: threshold must be a number")
			}
			o.threshold = &f
		default:
			return o, fmt.Errorf("max-score: unknown option %q (known: method, weights, threshold)", k)
		}
	}
	return o, nil
}

func validateComparison(v Validation) error {
	if strings.HasPrefix(v.Type, "not-") {
		return fmt.Errorf("%s: a comparison cannot be negated", v.Type)
	}
	if v.Type == "select-best" {
		return needsString(v)
	}
	_, err := readMaxScore(v.Value)
	return err
}

func compareMaxScore(_ context.Context, c CompareCall) []store.AssertionResult {
	rs := make([]store.AssertionResult, len(c.Contenders))
	o, err := readMaxScore(c.Value)
	if err != nil {
		for i := range rs {
			rs[i].Reason = err.Error()
		}
		return rs
	}
	scores := make([]float64, len(c.Contenders))
	best := -1
	for i, ct := range c.Contenders {
		var total, weights float64
		n := 0
		for _, r := range ct.Results {
			if r.Pending || IsComparison(r.Type) {
				continue
			}
			w := 1.0
			if x, ok := o.weights[r.Type]; ok {
				w = x
			}
			total += r.Score * w
			weights += w
			n++
		}
		if n == 0 {
			for i := range rs {
				rs[i].Reason = "max-score picks the output with the best score on the case's other assertions, and the case has none"
			}
			return rs
		}
		scores[i] = total
		if !o.sum {
			scores[i] = 0
			if weights > 0 {
				scores[i] = total / weights
			}
		}
		if best < 0 || scores[i] > scores[best] {
			best = i
		}
	}
	chosen := o.threshold == nil || scores[best] >= *o.threshold-1e-9
	for i := range rs {
		switch {
		case i == best && chosen:
			rs[i] = store.AssertionResult{Pass: true, Score: 1, Reason: fmt.Sprintf("the best score of the case's outputs (%.3f)", scores[i])}
		case i == best:
			rs[i] = store.AssertionResult{Reason: fmt.Sprintf("the best score of the case's outputs (%.3f) is below the threshold %g", scores[i], *o.threshold)}
		default:
			rs[i] = store.AssertionResult{Reason: fmt.Sprintf("score %.3f; output %d has the best (%.3f)", scores[i], best, scores[best])}
		}
	}
	return rs
}
