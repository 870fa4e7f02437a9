package assert

import (
	"context"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/store"
)

func f(x float64) *float64 { return &x }

func TestTypes(t *testing.T) {
	schema := map[string]any{"type": "object", "required": []any{"label"}, "properties": map[string]any{"label": map[string]any{"type": "string"}}}
	cases := []struct {
		a    store.Assertion
		out  string
		pass bool
	}{
		{store.Assertion{Type: "equals", Value: "positive"}, " positive\n", true},
		{store.Assertion{Type: "equals", Value: "positive"}, "Positive", false},
		{store.Assertion{Type: "not-equals", Value: "positive"}, "Positive", true},
		{store.Assertion{Type: "equals", Value: map[string]any{"a": 1}}, `{"a": 1.0}`, true},
		{store.Assertion{Type: "contains", Value: "ell"}, "hello", true},
		{store.Assertion{Type: "icontains", Value: "ELL"}, "hello", true},
		{store.Assertion{Type: "not-contains", Value: "ell"}, "hello", false},
		{store.Assertion{Type: "contains-any", Value: []any{"x", "ell"}}, "hello", true},
		{store.Assertion{Type: "contains-any", Value: "x, y"}, "hello", false},
		{store.Assertion{Type: "contains-all", Value: []any{"he", "lo"}}, "hello", true},
		{store.Assertion{Type: "contains-all", Value: []any{"he", "zz"}}, "hello", false},
		{store.Assertion{Type: "icontains-all", Value: []any{"HE", "LO"}}, "hello", true},
		{store.Assertion{Type: "icontains-any", Value: []any{"ZZ", "LL"}}, "hello", true},
		{store.Assertion{Type: "starts-with", Value: "he"}, "hello", true},
		{store.Assertion{Type: "regex", Value: `^h\w+o$`}, "hello", true},
		{store.Assertion{Type: "not-regex", Value: `\d`}, "hello", true},
		{store.Assertion{Type: "is-json"}, `{"a":1}`, true},
		{store.Assertion{Type: "is-json"}, `Here: {"a":1}`, false},
		{store.Assertion{Type: "is-json", Value: schema}, `{"label":"x"}`, true},
		{store.Assertion{Type: "contains-json"}, "Sure! ```json\n{\"a\": [1]}\n```", true},
		{store.Assertion{Type: "contains-json", Value: schema}, `A {"b":1} then {"label":"ok"}`, true},
		{store.Assertion{Type: "contains-json", Value: schema}, `A {"b":1}`, false},
		{store.Assertion{Type: "json-schema", Value: schema}, `{"label":3}`, false},
		{store.Assertion{Type: "json-schema", Value: `{"type": "array"}`}, `[1]`, true},
		{store.Assertion{Type: "levenshtein", Value: "hello", Threshold: f(1)}, "hallo", true},
		{store.Assertion{Type: "levenshtein", Value: "hello", Threshold: f(1)}, "hxllx", false},
		{store.Assertion{Type: "word-count", Value: map[string]any{"min": 2, "max": 3}}, "one two three", true},
		{store.Assertion{Type: "word-count", Value: 2}, "one two three", false},
		{store.Assertion{Type: "length", Value: map[string]any{"max": 5}}, "héllo", true},
		{store.Assertion{Type: "not-length", Value: map[string]any{"max": 5}}, "héllo!", true},
		{store.Assertion{Type: "latency", Threshold: f(100)}, "x", true},
		{store.Assertion{Type: "cost", Threshold: f(0.001)}, "x", false},
	}
	for _, c := range cases {
		if err := Validate(c.a); err != nil {
			t.Errorf("Validate(%+v): %v", c.a, err)
			continue
		}
		o := Evaluate(context.Background(), []store.Assertion{c.a}, 0, Input{Output: c.out, LatencyMS: 50, Cost: 0.01}, Models{})
		if o.Pass != c.pass {
			t.Errorf("%s %v on %q: pass=%v want %v (%s)", c.a.Type, c.a.Value, c.out, o.Pass, c.pass, o.Results[0].Reason)
		}
		// Every type also exists with not-, which inverts it.
		neg := c.a
		if typ, ok := strings.CutPrefix(neg.Type, "not-"); ok {
			neg.Type = typ
		} else {
			neg.Type = "not-" + typ
		}
		if err := Validate(neg); err != nil {
			t.Errorf("Validate(%+v): %v", neg, err)
			continue
		}
		if o := Evaluate(context.Background(), []store.Assertion{neg}, 0, Input{Output: c.out, LatencyMS: 50, Cost: 0.01}, Models{}); o.Pass == c.pass {
			t.Errorf("%s %v on %q: pass=%v, want %v", neg.Type, neg.Value, c.out, o.Pass, !c.pass)
		}
	}
}

func TestWeightsAndThreshold(t *testing.T) {
	as := []store.Assertion{
		{Type: "contains", Value: "a", Weight: f(3)},
		{Type: "contains", Value: "z"},
		{Type: "contains", Value: "q", Weight: f(0)},
	}
	o := Evaluate(context.Background(), as, 0, Input{Output: "abc"}, Models{})
	if o.Pass || o.Score != 0.75 {
		t.Fatalf("no threshold: %+v", o)
	}
	if o := Evaluate(context.Background(), as, 0.7, Input{Output: "abc"}, Models{}); !o.Pass {
		t.Fatalf("threshold 0.7: %+v", o)
	}
	if o := Evaluate(context.Background(), as, 0.8, Input{Output: "abc"}, Models{}); o.Pass {
		t.Fatalf("threshold 0.8: %+v", o)
	}
	// A zero-weight failure is informational.
	o = Evaluate(context.Background(), as[:1:1], 0, Input{Output: "abc"}, Models{})
	if !o.Pass {
		t.Fatal(o)
	}
	o = Evaluate(context.Background(), []store.Assertion{as[0], as[2]}, 0, Input{Output: "abc"}, Models{})
	if !o.Pass || o.Score != 1 {
		t.Fatalf("zero weight: %+v", o)
	}
}

func TestExpectedAndTemplatedValues(t *testing.T) {
	o := Evaluate(context.Background(), nil, 0, Input{Output: "Paris", Expected: "Paris"}, Models{})
	if !o.Pass {
		t.Fatal(o)
	}
	o = Evaluate(context.Background(), []store.Assertion{{Type: "icontains", Value: "{{city}}"}}, 0,
		Input{Output: "I love paris", Vars: map[string]any{"city": "Paris"}}, Models{})
	if !o.Pass {
		t.Fatal(o)
	}
	o = Evaluate(context.Background(), []store.Assertion{{Type: "contains", Value: "{{nope}}"}}, 0, Input{Output: "x"}, Models{})
	if o.Pass || !strings.Contains(o.Results[0].Reason, "missing variables: nope") {
		t.Fatal(o)
	}
}

func TestModelAssertions(t *testing.T) {
	m := Models{
		Ask: func(_ context.Context, model string, msgs []store.Message) (string, error) {
			if model != "demo/grader" {
				t.Errorf("grader model %q", model)
			}
			return "Sure: ```json\n{\"pass\": true, \"score\": 0.8, \"reason\": \"polite\"}\n```", nil
		},
		Embed: func(_ context.Context, model string, texts []string) ([][]float32, error) {
			if model != "demo/text-embedding-3-small" {
				t.Errorf("embedding model %q", model)
			}
			out := make([][]float32, len(texts))
			for i, s := range texts {
				if strings.Contains(s, "cat") {
					out[i] = []float32{1, 0}
				} else {
					out[i] = []float32{0, 1}
				}
			}
			return out, nil
		},
		Grader: "demo/grader",
	}
	in := Input{Output: "a cat", Model: "demo/demo-small"}
	o := Evaluate(context.Background(), []store.Assertion{{Type: "llm-rubric", Value: "is polite"}, {Type: "similar", Value: "the cat"}}, 0, in, m)
	if !o.Pass || o.Results[0].Score != 0.8 || o.Results[0].Reason != "polite" {
		t.Fatalf("%+v", o)
	}
	o = Evaluate(context.Background(), []store.Assertion{{Type: "llm-rubric", Value: "x", Threshold: f(0.9)}, {Type: "not-similar", Value: "dog"}}, 0, in, m)
	if o.Results[0].Pass || !o.Results[1].Pass {
		t.Fatalf("%+v", o)
	}
	if _, err := ParseVerdict("I think it passes"); err == nil {
		t.Fatal("want an error for a verdict without JSON")
	}
}

func TestValidate(t *testing.T) {
	bad := map[string]store.Assertion{
		"unknown assertion type":  {Type: "containz", Value: "x"},
		"needs a value":           {Type: "contains"},
		"bad pattern":             {Type: "regex", Value: "a(b"},
		"bad JSON schema":         {Type: "json-schema", Value: map[string]any{"type": "objekt"}},
		"needs a schema":          {Type: "json-schema"},
		"needs a threshold":       {Type: "latency"},
		"min and max":             {Type: "word-count", Value: map[string]any{"least": 3}},
		"weight must be":          {Type: "contains", Value: "x", Weight: f(-1)},
		"needs a list":            {Type: "contains-any"},
		"external schema":         {Type: "is-json", Value: map[string]any{"$ref": "file:///etc/passwd"}},
		"value: template: line 1": {Type: "contains", Value: "{{#x}}"},
		"cannot be negated":       {Type: "not-select-best", Value: "x"},
		"unknown option":          {Type: "max-score", Value: map[string]any{"weight": map[string]any{"python": 3}}},
		"use average or sum":      {Type: "max-score", Value: map[string]any{"method": "median"}},
	}
	for want, a := range bad {
		err := Validate(a)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate(%+v) = %v, want %q", a, err, want)
		}
	}
	for _, typ := range Types {
		a := store.Assertion{Type: typ, Value: "x", Threshold: f(0.5)}
		switch typ {
		case "word-count", "length":
			a.Value = 3
		case "json-schema":
			a.Value = map[string]any{"type": "string"}
		case "is-json", "contains-json":
			a.Value = nil
		case "max-score":
			a.Value = map[string]any{"method": "sum", "weights": map[string]any{"contains": 2}, "threshold": 0.5}
		}
		if err := Validate(a); err != nil {
			t.Errorf("Validate(%s): %v", typ, err)
		}
		if IsComparison(typ) {
			continue // never negated
		}
		a.Type = "not-" + typ
		if err := Validate(a); err != nil {
			t.Errorf("Validate(not-%s): %v", typ, err)
		}
	}
}

// TestKindsTable: each assertion type is one entry of one table, and every
// part of Verso that asks about types (the list, Validate, Evaluate, "does it
// need a model") answers from that entry.
func TestKindsTable(t *testing.T) {
	kinds := Kinds()
	if len(kinds) != len(Types) {
		t.Fatalf("%d kinds, %d types", len(kinds), len(Types))
	}
	seen := map[string]bool{}
	for i, k := range kinds {
		if k.Name != Types[i] || seen[k.Name] {
			t.Errorf("kind %d: %q (types say %q, seen %v)", i, k.Name, Types[i], seen[k.Name])
		}
		seen[k.Name] = true
		if k.Doc == "" || strings.Contains(k.Doc, "\n") || (k.Check == nil) == (k.Compare == nil) {
			t.Errorf("%s: needs a one-line Doc and a Check or a Compare", k.Name)
		}
		if IsComparison(k.Name) != (k.Compare != nil) {
			t.Errorf("%s: IsComparison says %v", k.Name, IsComparison(k.Name))
		}
		for _, name := range []string{k.Name, "not-" + k.Name} {
			if NeedsModel(name) != k.NeedsModel {
				t.Errorf("NeedsModel(%s) = %v", name, !k.NeedsModel)
			}
			// Every type is known to Validate and Evaluate.
			if err := Validate(store.Assertion{Type: name}); err != nil && strings.Contains(err.Error(), "unknown") {
				t.Errorf("Validate(%s): %v", name, err)
			}
			o := Evaluate(context.Background(), []store.Assertion{{Type: name}}, 0, Input{Output: "x"}, Models{})
			if strings.Contains(o.Results[0].Reason, "unknown assertion type") {
				t.Errorf("Evaluate(%s): %s", name, o.Results[0].Reason)
			}
		}
	}
	if !NeedsModel("not-llm-rubric") || !NeedsModel("similar") || NeedsModel("contains") || NeedsModel("nope") {
		t.Error("NeedsModel disagrees with the table")
	}
	if err := Validate(store.Assertion{Type: "nope"}); err == nil || !strings.Contains(err.Error(), "known: equals, contains") {
		t.Errorf("unknown type: %v", err)
	}
	// A table entry's own validator runs for its type only.
	if err := Validate(store.Assertion{Type: "regex", Value: "("}); err == nil || !strings.Contains(err.Error(), "bad pattern") {
		t.Errorf("regex: %v", err)
	}
	if err := Validate(store.Assertion{Type: "not-json-schema"}); err == nil || !strings.Contains(err.Error(), "needs a schema") {
		t.Errorf("json-schema: %v", err)
	}
}

// TestCostUnknown: when the call's cost is not known (no price configured
// for the model, or no usage reported), a cost check gives no verdict: it
// fails, negated or not, and its case is an error naming why, as promptfoo
// errors ("does not support providers that do not return cost"), instead
// of passing on a cost of $0.
func TestCostUnknown(t *testing.T) {
	for _, typ := range []string{"cost", "not-cost"} {
		o := Evaluate(context.Background(), []store.Assertion{{Type: typ, Threshold: f(0.01)}}, 0,
			Input{Output: "x", CostUnknown: "no price is configured for openai/demo-small"}, Models{})
		if o.Pass || o.Results[0].Pass || o.Error != typ+" assertion: cost is not known: no price is configured for openai/demo-small" {
			t.Errorf("%s: %+v", typ, o)
		}
	}
}
