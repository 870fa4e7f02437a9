package assert

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/store"
)

func one1(t *testing.T, a store.Assertion, in Input) store.AssertionResult {
	t.Helper()
	if err := Validate(a); err != nil {
		t.Fatalf("validate %+v: %v", a, err)
	}
	return Evaluate(context.Background(), []store.Assertion{a}, 0, in, Models{}).Results[0]
}

// TestJavaScript: promptfoo's contract (output and context.vars in; a
// boolean, a score or a grading result out), in an engine with no file or
// network access, stopped at its time and memory limits.
func TestJavaScript(t *testing.T) {
	in := Input{Output: "Bonjour le monde", Vars: map[string]any{"lang": "fr", "n": 3.0}, Prompt: "Say hello in French"}
	cases := []struct {
		code   string
		th     *float64
		pass   bool
		reason string
	}{
		{"output.startsWith('Bonjour')", nil, true, "returned true"},
		{"output.length > 100", nil, false, "returned false"},
		{"context.vars.lang === 'fr' && context.prompt.includes('French')", nil, true, ""},
		{"const words = output.split(' ');\nreturn words.length === context.vars.n;", nil, true, ""},
		{"return {pass: false, score: 0.25, reason: 'too formal'}", nil, false, "too formal"},
		{"output.length / 32", f(0.5), true, "returned 0.5"},
		{"output.length / 32", f(0.6), false, ""},
		{"typeof require === 'undefined' && typeof process === 'undefined' && typeof fetch === 'undefined' && typeof XMLHttpRequest === 'undefined'", nil, true, ""},
		{"'text'", nil, false, "must return a boolean, a number or {pass, score, reason}"},
		{"output.nope.deeper", nil, false, "TypeError"},
	}
	for _, c := range cases {
		r := one1(t, store.Assertion{Type: "javascript", Value: c.code, Threshold: c.th}, in)
		if r.Pass != c.pass || !strings.Contains(r.Reason, c.reason) {
			t.Errorf("%q: pass %v, reason %q", c.code, r.Pass, r.Reason)
		}
	}
	// A syntax error is refused before anything runs, naming the code.
	err := Validate(store.Assertion{Type: "javascript", Value: "output.length >"})
	if err == nil || !strings.Contains(err.Error(), `javascript: syntax error in "output.length >"`) {
		t.Fatalf("syntax error: %v", err)
	}
	// Endless loops, unbounded allocation and deep recursion are stopped;
	// each is that assertion's failure, and the next one still runs.
	old := ScriptLimits
	t.Cleanup(func() { ScriptLimits = old })
	ScriptLimits.Time, ScriptLimits.Memory = 2*time.Second, 64<<20
	for code, want := range map[string]string{
		"while (true) {}": "stopped after 2s",
		"let s = 'x'; const keep = []; while (true) { s = s + s; keep.push(s) }": "allocated more than 64 MiB",
		"function f(n) { return f(n + 1) + 1 }\nreturn f(0)":                     "call stack",
	} {
		o := Evaluate(context.Background(), []store.Assertion{{Type: "not-javascript", Value: code}, {Type: "contains", Value: "Bonjour"}}, 0, in, Models{})
		if o.Results[0].Pass || !strings.Contains(strings.ToLower(o.Results[0].Reason), strings.ToLower(want)) || !o.Results[1].Pass ||
			o.Pass || !strings.HasPrefix(o.Error, "not-javascript assertion: javascript: ") {
			t.Errorf("%q: %+v", code, o)
		}
	}
}

// TestPython: the system's python3 in a subprocess, with a time limit and a
// clear error when there is none.
func TestPython(t *testing.T) {
	in := Input{Output: "Bonjour le monde", Vars: map[string]any{"lang": "fr"}}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed here")
	}
	cases := []struct {
		code   string
		pass   bool
		reason string
	}{
		{"output.startswith('Bonjour')", true, "returned true"},
		{"context['vars']['lang'] == 'en'", false, "returned false"},
		{"words = output.split()\nreturn {'pass': len(words) == 3, 'score': 0.9, 'reason': 'three words'}", true, "three words"},
		{"  n = len(output)\n  return n / 32", true, "returned 0.5"},
		{"print('noise')\nreturn True", true, ""},
		{"output.nope", false, "AttributeError"},
		{"'text'", false, "not a str"},
	}
	for _, c := range cases {
		r := one1(t, store.Assertion{Type: "python", Value: c.code}, in)
		if r.Pass != c.pass || !strings.Contains(r.Reason, c.reason) {
			t.Errorf("%q: pass %v, reason %q", c.code, r.Pass, r.Reason)
		}
	}
	old := ScriptLimits
	t.Cleanup(func() { ScriptLimits = old })
	ScriptLimits.Time = 500 * time.Millisecond
	o := Evaluate(context.Background(), []store.Assertion{{Type: "python", Value: "import time\ntime.sleep(60)\nreturn True"}, {Type: "contains", Value: "Bonjour"}}, 0, in, Models{})
	if o.Results[0].Pass || !strings.Contains(o.Results[0].Reason, "python: stopped after 500ms") || !o.Results[1].Pass || o.Error != "python assertion: "+o.Results[0].Reason {
		t.Fatalf("hang: %+v", o.Results)
	}
}

func TestPythonMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	r := one1(t, store.Assertion{Type: "python", Value: "True"}, Input{Output: "x"})
	if r.Pass || r.Reason != "python assertions run python3, which is not on PATH: install Python 3 or remove the assertion" {
		t.Fatalf("%+v", r)
	}
}

// TestScriptThrowFailsTheCase: a script that throws (JSON.parse of an
// output that is not JSON) or returns something that is not a verdict
// fails its assertion, negated or not, and the case fails without being an
// error, as in promptfoo (its javascript and python assertions catch the
// error and fail); only Verso stopping a script (time, memory, stack) makes
// the case an error.
func TestScriptThrowFailsTheCase(t *testing.T) {
	in := Input{Output: "Sure! Here is the JSON: {}"}
	scripts := []store.Assertion{
		{Type: "javascript", Value: "JSON.parse(output).product !== undefined"},
		{Type: "not-javascript", Value: "JSON.parse(output).product !== undefined"},
		{Type: "javascript", Value: "'not a verdict'"},
		{Type: "javascript", Value: "return {score: 1}"},
	}
	if _, err := exec.LookPath("python3"); err == nil {
		scripts = append(scripts,
			store.Assertion{Type: "python", Value: "import json\nreturn json.loads(output)['product'] is not None"},
			store.Assertion{Type: "not-python", Value: "import json\nreturn json.loads(output)['product'] is not None"})
	}
	for _, a := range scripts {
		o := Evaluate(context.Background(), []store.Assertion{a, {Type: "contains", Value: "JSON"}}, 0, in, Models{})
		if o.Error != "" || o.Pass || o.Results[0].Pass || o.Results[0].Score != 0 || !o.Results[1].Pass {
			t.Errorf("%s %q: %+v", a.Type, a.Value, o)
		}
	}
	o := Evaluate(context.Background(), []store.Assertion{{Type: "javascript", Value: "JSON.parse(output)"}}, 0, in, Models{})
	if !strings.HasPrefix(o.Results[0].Reason, "javascript threw: SyntaxError") {
		t.Errorf("reason %q", o.Results[0].Reason)
	}
}
