// Package assert checks model outputs against a case's assertions, with
// promptfoo's semantics: every type may be negated with a "not-" prefix,
// each assertion scores 0..1, the case score is the weighted mean, and a case
// passes when every weighted assertion passes or, with a threshold, when its
// score reaches the threshold.
package assert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/store"
)

// Input is what an assertion looks at.
type Input struct {
	Output    string
	Vars      map[string]any // case variables: string values may use {{var}}
	Expected  string         // the case's expected output
	LatencyMS int64
	Cost      float64
	// CostUnknown says why Cost is not known ("" when it is): the cost
	// assertion then gives no verdict, as in promptfoo.
	CostUnknown string
	Model       string // "provider/model" under test (default grader)
	// Prompt is the prompt as sent (a chat's messages one per line, as
	// "role: content"): the question of model-graded types and scripts'
	// context.prompt.
	Prompt       string
	Tools        []any  // the version's tools (is-valid-openai-tools-call)
	FinishReason string // why the model stopped (finish-reason)
}

// Verdict is a grader's judgement (the model-graded types).
type Verdict struct {
	Pass   bool    `json:"pass"`
	Score  float64 `json:"score"`
	Reason string  `json:"reason"`
}

// Models gives assertions that need a model (the model-graded types,
// similar) access to one. Nil fields make those assertions fail with a
// clear reason.
type Models struct {
	// Ask sends messages to model ("provider/model") and returns its
	// answer: the grader of the model-graded types.
	Ask func(ctx context.Context, model string, msgs []store.Message) (string, error)
	// Embed returns embeddings of texts from model ("provider/model").
	Embed func(ctx context.Context, model string, texts []string) ([][]float32, error)
	// Grader and Embedding are the default models ("" = the model under
	// test, and its provider's text-embedding-3-small).
	Grader, Embedding string
}

// Outcome of all assertions of a case on one output.
type Outcome struct {
	Results []store.AssertionResult
	Score   float64
	Pass    bool
	// Error is set when an assertion could give no verdict (a script
	// stopped at its limit, raised an error, returned nothing usable, or
	// python3 is missing): the case is an error, not a failure.
	Error string
	// Pending: the case has comparison assertions (select-best,
	// max-score) that wait for its other outputs (see Compare); Pass is
	// false until then.
	Pending bool
}

// Failed lists the results that did not pass.
func (o Outcome) Failed() []store.AssertionResult {
	var out []store.AssertionResult
	for _, r := range o.Results {
		if !r.Pass {
			out = append(out, r)
		}
	}
	return out
}

// Evaluate runs the assertions on in. A case with no assertions but an
// expected output checks equality with it; with neither, it passes.
// threshold > 0 is the case's pass threshold on the weighted score.
func Evaluate(ctx context.Context, as []store.Assertion, threshold float64, in Input, m Models) Outcome {
	if len(as) == 0 && in.Expected != "" {
		as = []store.Assertion{{Type: "equals"}}
	}
	var out Outcome
	for _, a := range as {
		var r store.AssertionResult
		if IsComparison(a.Type) {
			// Decided by Compare once every output of the case is in.
			r = store.AssertionResult{Type: a.Type, Pending: true, Reason: pendingReason}
		} else {
			var unknown string
			r, unknown = one(ctx, a, in, m)
			if unknown != "" && out.Error == "" {
				out.Error = a.Type + " assertion: " + unknown
			}
		}
		r.Weight = 1.0
		if a.Weight != nil {
			r.Weight = *a.Weight
		}
		out.Results = append(out.Results, r)
	}
	settle(&out, threshold)
	return out
}

// one checks one assertion; unknown is set when it could give no verdict
// (then it fails, negated or not).
func one(ctx context.Context, a store.Assertion, in Input, m Models) (res store.AssertionResult, unknown string) {
	typ, negate := strings.CutPrefix(a.Type, "not-")
	res = store.AssertionResult{Type: a.Type}
	value, err := renderValue(a.Value, in.Vars)
	if err != nil {
		res.Reason = "value: " + err.Error()
		return res, ""
	}
	k, ok := lookup(typ)
	if !ok {
		res.Reason = "unknown assertion type " + typ
		return res, ""
	}
	var broken bool
	pass, score, reason := k.Check(ctx, Call{Assertion: a, Value: value, Input: in, Models: m, unknown: &unknown, broken: &broken})
	if unknown != "" || broken {
		res.Reason = reason
		return res, unknown
	}
	if negate {
		pass = !pass
		score = 1 - score
		if !pass {
			reason = "unwanted: " + reason
		}
	}
	res.Pass, res.Score, res.Reason = pass, clamp(score), reason
	return res, ""
}

// PromptText is a rendered prompt as Input.Prompt holds it: a lone user
// message as it is, a chat one message per line as "role: content".
func PromptText(msgs []store.Message) string {
	if len(msgs) == 1 && msgs[0].Role == "user" {
		return msgs[0].Content
	}
	var b strings.Builder
	for i, m := range msgs {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(m.Role + ": " + m.Content)
	}
	return b.String()
}

func clamp(f float64) float64 {
	if math.IsNaN(f) {
		return 0
	}
	return math.Max(0, math.Min(1, f))
}

// renderValue fills {{var}} in string values (and in strings inside lists)
// from the case variables, as promptfoo does.
func renderValue(v any, vars map[string]any) (any, error) {
	switch x := v.(type) {
	case string:
		if !strings.Contains(x, "{{") {
			return x, nil
		}
		return prompt.RenderText(x, vars)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := renderValue(e, vars)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range min(len(a), len(b)) {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0
	}
	return dot / math.Sqrt(na*nb)
}

func toString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return fmt.Sprint(x)
	}
	if b, err := json.Marshal(v); err == nil {
		return string(b)
	}
	return fmt.Sprint(v)
}

// toList reads a list value, or a comma-separated string as promptfoo does.
func toList(v any) []string {
	switch x := v.(type) {
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, toString(e))
		}
		return out
	case []string:
		return x
	case string:
		if x == "" {
			return nil
		}
		parts := strings.Split(x, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts
	case nil:
		return nil
	}
	return []string{toString(v)}
}

func limitOf(a store.Assertion, value any) (float64, bool) {
	if a.Threshold != nil {
		return *a.Threshold, true
	}
	if f, ok := number(value); ok {
		return f, true
	}
	return 0, false
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		var f float64
		_, err := fmt.Sscan(strings.TrimSpace(x), &f)
		return f, err == nil
	}
	return 0, false
}

// bounds reads a count bound: a number (exact) or {min, max} (either optional).
func bounds(v any) (lo, hi int, err error) {
	if f, ok := number(v); ok {
		return int(f), int(f), nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return 0, 0, errors.New("value must be a number or {min: N, max: M}")
	}
	lo, hi = -1, -1
	for k, x := range m {
		f, ok := number(x)
		if !ok {
			return 0, 0, fmt.Errorf("%s must be a number", k)
		}
		switch k {
		case "min":
			lo = int(f)
		case "max":
			hi = int(f)
		default:
			return 0, 0, fmt.Errorf("unknown bound %q (use min and max)", k)
		}
	}
	if lo < 0 && hi < 0 {
		return 0, 0, errors.New("value needs min or max")
	}
	return lo, hi, nil
}

func describeBounds(lo, hi int) string {
	switch {
	case lo == hi:
		return fmt.Sprint(lo)
	case lo < 0:
		return fmt.Sprintf("at most %d", hi)
	case hi < 0:
		return fmt.Sprintf("at least %d", lo)
	}
	return fmt.Sprintf("%d to %d", lo, hi)
}

func stripFence(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "```") {
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
		s = strings.TrimSuffix(strings.TrimSpace(s), "```")
	}
	return strings.TrimSpace(s)
}

// jsonCandidates finds JSON objects and arrays inside text, outermost first.
func jsonCandidates(s string) [][]byte {
	var out [][]byte
	for i := 0; i < len(s); i++ {
		if s[i] != '{' && s[i] != '[' {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(s[i:]))
		var v json.RawMessage
		if err := dec.Decode(&v); err == nil {
			out = append(out, v)
			i += int(dec.InputOffset()) - 1
		}
	}
	return out
}

func jsonEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	var x, y any
	json.Unmarshal(ja, &x)
	json.Unmarshal(jb, &y)
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

// schemaDoc turns an assertion value into a JSON Schema document: a map, or
// a string holding JSON or YAML.
func schemaDoc(v any) (any, error) {
	var raw []byte
	switch x := v.(type) {
	case string:
		var m any
		if err := yaml.Unmarshal([]byte(x), &m); err != nil {
			return nil, fmt.Errorf("schema is neither JSON nor YAML: %v", err)
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("schema: %v", err)
		}
		raw = b
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("schema: %v", err)
		}
		raw = b
	}
	return jsonschema.UnmarshalJSON(bytes.NewReader(raw))
}

// noLoader refuses every $ref to an outside document: a suite must not read
// files or the network.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("external schema references are not allowed (%s)", url)
}

func compileSchema(v any) (*jsonschema.Schema, error) {
	doc, err := schemaDoc(v)
	if err != nil {
		return nil, err
	}
	if _, ok := doc.(map[string]any); !ok {
		if _, isBool := doc.(bool); !isBool {
			return nil, errors.New("schema must be an object")
		}
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	if err := c.AddResource("verso:schema.json", doc); err != nil {
		return nil, err
	}
	sch, err := c.Compile("verso:schema.json")
	if err != nil {
		return nil, fmt.Errorf("bad JSON schema: %s", oneLine(err.Error()))
	}
	return sch, nil
}

func validateSchema(schema any, doc []byte) (bool, float64, string) {
	sch, err := compileSchema(schema)
	if err != nil {
		return false, 0, err.Error()
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return false, 0, "output is not valid JSON: " + err.Error()
	}
	if err := sch.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return false, 0, "JSON does not match the schema: " + schemaReason(ve)
		}
		return false, 0, "JSON does not match the schema: " + oneLine(err.Error())
	}
	return true, 1, "JSON matches the schema"
}

// schemaReason is the deepest cause of a validation error, on one line.
func schemaReason(ve *jsonschema.ValidationError) string {
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	loc := "/" + strings.Join(ve.InstanceLocation, "/")
	return loc + ": " + oneLine(fmt.Sprint(ve.ErrorKind))
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return s
}
