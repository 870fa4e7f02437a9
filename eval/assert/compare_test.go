package assert

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/store"
)

// first runs the first pass of as on each output, as the runner does.
func first(t *testing.T, as []store.Assertion, outputs ...string) []Contender {
	t.Helper()
	var cs []Contender
	for _, o := range outputs {
		out := Evaluate(context.Background(), as, 0, Input{Output: o}, Models{})
		if !out.Pending || out.Pass {
			t.Fatalf("first pass of %q: pending %v, pass %v; want pending and not passed", o, out.Pending, out.Pass)
		}
		cs = append(cs, Contender{Output: o, Model: "demo/demo-small", Results: out.Results})
	}
	return cs
}

func passes(outs []Outcome) []bool {
	var p []bool
	for _, o := range outs {
		p = append(p, o.Pass)
	}
	return p
}

// TestMaxScore: the output with the best (weighted by type) score on the
// case's other assertions passes, the first of equals wins, a threshold can
// leave every output unchosen, and the chosen output still needs its own
// assertions to pass.
func TestMaxScore(t *testing.T) {
	ctx := context.Background()
	as := []store.Assertion{{Type: "contains", Value: "alpha"}, {Type: "contains", Value: "beta"}, {Type: "icontains", Value: "GAMMA"}, {Type: "max-score"}}
	cs := first(t, as, "alpha", "alpha beta gamma", "alpha beta gamma too")
	outs := Compare(ctx, as, 0, nil, cs, Models{})
	if got := passes(outs); got[0] || !got[1] || got[2] {
		t.Fatalf("passes %v, want only the first of the two best (output 1)", got)
	}
	r := outs[1].Results[3]
	if r.Type != "max-score" || r.Pending || !r.Pass || !strings.Contains(r.Reason, "1.000") {
		t.Fatalf("winner's max-score result %+v", r)
	}
	if r := outs[2].Results[3]; r.Pass || !strings.Contains(r.Reason, "output 1 has the best") {
		t.Fatalf("loser's max-score result %+v", r)
	}
	// Weights by type: contains counts 5 times icontains.
	as[3].Value = map[string]any{"weights": map[string]any{"contains": 5, "icontains": 1}}
	cs = first(t, as, "gamma", "alpha beta")
	if outs := Compare(ctx, as, 0, nil, cs, Models{}); outs[0].Results[3].Pass || !outs[1].Results[3].Pass {
		t.Fatalf("weighted: %+v, want output 1 chosen", outs)
	}
	as[3].Value = map[string]any{"weights": map[string]any{"contains": 0, "icontains": 1}}
	outs = Compare(ctx, as, 0, nil, cs, Models{})
	if outs[0].Results[3].Pass != true || outs[1].Results[3].Pass {
		t.Fatalf("weighted the other way: %+v", outs)
	}
	if outs[0].Pass {
		t.Fatal("the chosen output failed its contains assertions and must not pass")
	}
	// A threshold no output reaches: none is chosen.
	as[3].Value = map[string]any{"threshold": 0.9}
	for i, o := range Compare(ctx, as, 0, nil, cs, Models{}) {
		if o.Results[3].Pass {
			t.Fatalf("output %d chosen below the threshold: %+v", i, o.Results[3])
		}
	}
	// Sum: the total, not the mean.
	as[3].Value = map[string]any{"method": "sum"}
	if r := Compare(ctx, as, 0, nil, cs, Models{})[1].Results[3]; !r.Pass || !strings.Contains(r.Reason, "2.000") {
		t.Fatalf("sum: %+v", r)
	}
	// One output left (the others ended in errors): no comparison.
	if r := Compare(ctx, as, 0, nil, cs[:1], Models{})[0].Results[3]; r.Pass || !strings.Contains(r.Reason, "no other output") {
		t.Fatalf("alone: %+v", r)
	}
}

// TestSelectBest: the grader is asked once with the criterion and every
// output; only the output it names passes; an answer naming no output, or a
// grader error, fails them all with the reason.
func TestSelectBest(t *testing.T) {
	ctx := context.Background()
	as := []store.Assertion{{Type: "select-best", Value: "the most {{adj}} answer", Weight: ptrTo(2)}}
	var asked []store.Message
	var model string
	answer := "The best is output 1."
	m := Models{Grader: "demo/judge", Ask: func(_ context.Context, mdl string, msgs []store.Message) (string, error) {
		asked, model = msgs, mdl
		if answer == "" {
			return "", errors.New("server down")
		}
		return answer, nil
	}}
	cs := first(t, as, "a dull answer", "a witty answer", "another answer")
	outs := Compare(ctx, as, 0, map[string]any{"adj": "witty"}, cs, m)
	if got := passes(outs); got[0] || !got[1] || got[2] {
		t.Fatalf("passes %v, want only output 1", got)
	}
	if model != "demo/judge" || !strings.Contains(asked[0].Content, SelectBestSystem) ||
		!strings.Contains(asked[1].Content, "the most witty answer") || !strings.Contains(asked[1].Content, `<Output index="2">`+"\nanother answer") {
		t.Fatalf("asked %s: %+v", model, asked)
	}
	if outs[1].Score != 1 || outs[0].Score != 0 || outs[0].Results[0].Weight != 2 {
		t.Fatalf("scores: %+v", outs)
	}
	for _, bad := range []string{"7", "none of them", ""} {
		answer = bad
		for i, o := range Compare(ctx, as, 0, map[string]any{"adj": "witty"}, cs, m) {
			if o.Pass || !strings.HasPrefix(o.Results[0].Reason, "grader demo/judge: ") {
				t.Fatalf("answer %q, output %d: %+v", bad, i, o)
			}
		}
	}
	// Without a configured grader, the model of the first output grades.
	answer, m.Grader = "0", ""
	Compare(ctx, as, 0, map[string]any{"adj": "witty"}, cs, m)
	if model != "demo/demo-small" {
		t.Fatalf("grader %s", model)
	}
}

// TestComparisonPlanChecks: a comparison needs two outputs per case, and
// max-score another assertion to score.
func TestComparisonPlanChecks(t *testing.T) {
	if err := CheckComparisons([]store.Assertion{{Type: "select-best", Value: "x"}}, 1); err == nil || !strings.Contains(err.Error(), "two or more versions or models") {
		t.Fatalf("one column: %v", err)
	}
	if err := CheckComparisons([]store.Assertion{{Type: "max-score"}}, 2); err == nil || !strings.Contains(err.Error(), "has none") {
		t.Fatalf("nothing to score: %v", err)
	}
	if err := CheckComparisons([]store.Assertion{{Type: "contains", Value: "x"}, {Type: "max-score"}}, 2); err != nil {
		t.Fatal(err)
	}
}

func ptrTo(f float64) *float64 { return &f }
