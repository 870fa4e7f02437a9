package assert

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/store"
)

// FuzzAssertionValue: an assertion value from a suite file (a regex, a JSON
// schema, a list, a number) is validated or refused, never a panic, and a
// valid one evaluates against any output without panicking.
func FuzzAssertionValue(f *testing.F) {
	for _, c := range []struct{ typ, val, out string }{
		{"regex", `"^a+b?$"`, "aaab"},
		{"regex", `"(a+)+$"`, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"},
		{"regex", `"[z-a]"`, "x"},
		{"is-json", `{"type": "object", "required": ["a"], "properties": {"a": {"type": "integer"}}}`, `{"a": 1}`},
		{"is-json", `{"$ref": "#/definitions/x"}`, `{}`},
		{"contains-json", `{"type": "array", "items": {"type": "string"}}`, `text ["a", "b"] more`},
		{"contains-any", `["a", 1, null]`, "a"},
		{"levenshtein", `"kitten"`, "sitting"},
		{"javascript", `"output.length > 2"`, "abc"},
		{"equals", `{"a": [1, 2]}`, `{"a": [1, 2]}`},
		{"javascript", `"const x = JSON.parse(output);\nreturn {pass: x.a > 1, score: 0.5}"`, `{"a": 2}`},
		{"is-xml", `{"requiredElements": ["a.b"]}`, "<a><b/></a>"},
		{"contains-xml", `"a.b"`, "see <a><b>x</b></a> <c"},
		{"is-valid-openai-tools-call", `[{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]`, `[{"function": {"name": "f", "arguments": "{}"}}]`},
		{"tool-call-f1", `["f", "g"]`, `{"content": "x", "tool_calls": [{"function": {"name": "f"}}]}`},
		{"rouge-n", `"the cat sat"`, "the cat"},
		{"is-refusal", `""`, "I can't help with that"},
	} {
		f.Add(c.typ, c.val, c.out, 0.5)
	}
	old := ScriptLimits.Time
	ScriptLimits.Time = 100 * time.Millisecond
	f.Cleanup(func() { ScriptLimits.Time = old })
	f.Fuzz(func(t *testing.T, typ, value, output string, threshold float64) {
		var v any
		if json.Unmarshal([]byte(value), &v) != nil {
			v = value
		}
		a := store.Assertion{Type: typ, Value: v}
		if threshold >= 0 && threshold <= 1 {
			a.Threshold = &threshold
		}
		if Validate(a) != nil {
			return
		}
		if NeedsModel(a.Type) || strings.TrimPrefix(a.Type, "not-") == "python" {
			return // no model here; python runs code on the machine
		}
		Evaluate(context.Background(), []store.Assertion{a}, 0, Input{Output: output, Expected: output}, Models{})
	})
}
