package assert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"

	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/store"
)

// Kind is one assertion type: everything Verso knows about it lives in its
// entry of the table below.
type Kind struct {
	// Name is the type as written in a suite ("contains"); every type also
	// exists negated ("not-contains").
	Name string
	// Doc says in one line what the type checks.
	Doc string
	// NeedsModel is set when checking calls a model (a grader or an
	// embedding model), so a run must be able to reach one.
	NeedsModel bool
	// Validate checks an assertion of this type before it is stored (its
	// type, weight and threshold are already checked). Nil: any value.
	Validate func(v Validation) error
	// Check evaluates one (non-negated) assertion of this type.
	Check func(ctx context.Context, c Call) (pass bool, score float64, reason string)
	// Compare, set instead of Check on a comparison type, judges every
	// output of a case at once and returns one result per contender (see
	// Compare in compare.go).
	Compare func(ctx context.Context, c CompareCall) []store.AssertionResult
}

// Validation is what a Kind's Validate looks at.
type Validation struct {
	store.Assertion
	// Empty: no value (nil or ""). Templated: the value is a string with
	// {{var}}, known only when a case's variables fill it.
	Empty, Templated bool
}

// Call is what a Kind's Check looks at.
type Call struct {
	Assertion store.Assertion
	Value     any // the assertion's value, {{var}} filled from the case
	Input     Input
	Models    Models

	unknown *string // set by noVerdict
	broken  *bool   // set by scriptFailed
}

// noVerdict ends a Check that could give no verdict (a script stopped or
// broken): the assertion fails whatever its negation, and the case is an
// error with reason.
func (c Call) noVerdict(reason string) (bool, float64, string) {
	if c.unknown != nil {
		*c.unknown = reason
	}
	return false, 0, reason
}

// scriptFailed ends a script Check whose code threw or returned something
// that is not a verdict: as in promptfoo, the assertion fails whatever its
// negation, and the case fails (it is not an error: the script ran and
// rejected the output, e.g. JSON.parse on an output that is not JSON).
func (c Call) scriptFailed(reason string) (bool, float64, string) {
	if c.broken != nil {
		*c.broken = true
	}
	return false, 0, reason
}

// kinds is the table of assertion types, in the order they are listed to
// users.
var kinds = []Kind{
	{Name: "equals", Doc: "the output equals the value (or the expected output); a structured value compares as JSON",
		Check: checkEquals},
	{Name: "contains", Doc: "the output contains the value", Validate: needsString,
		Check: checkContains(false, false)},
	{Name: "icontains", Doc: "the output contains the value, ignoring case", Validate: needsString,
		Check: checkContains(true, false)},
	{Name: "contains-any", Doc: "the output contains at least one of the values", Validate: needsList,
		Check: checkContainsList(false, true)},
	{Name: "contains-all", Doc: "the output contains every one of the values", Validate: needsList,
		Check: checkContainsList(false, false)},
	{Name: "icontains-any", Doc: "the output contains at least one of the values, ignoring case", Validate: needsList,
		Check: checkContainsList(true, true)},
	{Name: "icontains-all", Doc: "the output contains every one of the values, ignoring case", Validate: needsList,
		Check: checkContainsList(true, false)},
	{Name: "starts-with", Doc: "the output starts with the value", Validate: needsString,
		Check: checkContains(false, true)},
	{Name: "regex", Doc: "the output matches the regular expression", Validate: validateRegex,
		Check: checkRegex},
	{Name: "is-json", Doc: "the output is JSON (matching the schema, when one is the value)", Validate: optionalSchema,
		Check: checkIsJSON(false)},
	{Name: "contains-json", Doc: "the output contains JSON (matching the schema, when one is the value)", Validate: optionalSchema,
		Check: checkContainsJSON},
	{Name: "json-schema", Doc: "the output is JSON matching the schema", Validate: requiredSchema,
		Check: checkIsJSON(true)},
	{Name: "levenshtein", Doc: "the output is within the threshold's edit distance (default 5) of the value or the expected output",
		Check: checkLevenshtein},
	{Name: "word-count", Doc: "the output has N words, or between {min, max}", Validate: validateBounds,
		Check: checkCount(false)},
	{Name: "length", Doc: "the output has N characters, or between {min, max}", Validate: validateBounds,
		Check: checkCount(true)},
	{Name: "latency", Doc: "the call took at most the threshold in milliseconds", Validate: needsLimit,
		Check: checkLatency},
	{Name: "cost", Doc: "the call cost at most the threshold in dollars", Validate: needsLimit,
		Check: checkCost},
	{Name: "is-refusal", Doc: "the output refuses or is empty (\"I'm sorry, but I can't...\", \"As an AI...\")",
		Check: checkRefusal},
	{Name: "is-xml", Doc: "the output is well-formed XML with one root (and the requiredElements paths such as root.child, when given)",
		Validate: validateXML, Check: checkIsXML},
	{Name: "contains-xml", Doc: "the output contains a well-formed XML element (with the requiredElements, when given)",
		Validate: validateXML, Check: checkContainsXML},
	{Name: "rouge-n", Doc: "ROUGE-1 F-measure of the output against the value (or the expected output) is at least the threshold (default 0.75)",
		Check: checkRouge},
	{Name: "finish-reason", Doc: "the model stopped for the value's reason (stop, length, tool_calls, content_filter)", Validate: needsString,
		Check: checkFinishReason},
	{Name: "is-valid-openai-tools-call", Doc: "the output's tool calls name tools of the version's config (or the value's) with arguments matching their parameters",
		Check: checkToolsCall},
	{Name: "tool-call-f1", Doc: "the F1 score of the called tools' names against the value's list is at least the threshold (default 1)",
		Validate: validateF1, Check: checkToolF1},
	{Name: "javascript", Doc: "JavaScript (promptfoo's contract: output and context.vars in, a boolean, a score or {pass, score, reason} out), sandboxed and time-limited",
		Validate: validateJS, Check: checkJS},
	{Name: "python", Doc: "Python run by the system's python3 with a time limit (output and context in, a boolean, a score or a dict out)",
		Validate: validatePython, Check: checkPython},
	{Name: "llm-rubric", Doc: "a grader model judges that the output meets the rubric", NeedsModel: true, Validate: needsString,
		Check: graded(gradeRubric)},
	{Name: "model-graded-closedqa", Doc: "a grader model judges that the answer to the prompt meets the criterion", NeedsModel: true, Validate: needsString,
		Check: graded(gradeClosedQA)},
	{Name: "g-eval", Doc: "a grader model scores the output on the criteria step by step; passes at the threshold (default 0.7)", NeedsModel: true,
		Validate: needsCriteria, Check: graded(gradeGEval)},
	{Name: "factuality", Doc: "a grader model judges that the output agrees with the reference facts of the value", NeedsModel: true, Validate: needsString,
		Check: graded(gradeFactuality)},
	{Name: "answer-relevance", Doc: "a grader model judges that the output answers the question (vars.query, or the prompt)", NeedsModel: true,
		Check: graded(gradeAnswerRelevance)},
	{Name: "context-faithfulness", Doc: "a grader model judges that the output's claims are supported by vars.context", NeedsModel: true,
		Check: graded(gradeFaithfulness)},
	{Name: "context-relevance", Doc: "a grader model judges that vars.context is what the question (vars.query) needs", NeedsModel: true,
		Check: graded(gradeContextRelevance)},
	{Name: "context-recall", Doc: "a grader model judges that vars.context supports the value's reference answer", NeedsModel: true, Validate: needsString,
		Check: graded(gradeContextRecall)},
	{Name: "moderation", Doc: "a grader model finds none of the harmful categories (the value's list, or all) in the output", NeedsModel: true,
		Check: graded(gradeModeration)},
	{Name: "select-best", Doc: "a grader model picks, among the outputs of the case's versions and models, the one that best meets the value; only it passes", NeedsModel: true,
		Validate: validateComparison, Compare: compareSelectBest},
	{Name: "max-score", Doc: "only the output of the case's versions and models with the best score on its other assertions passes (value: method, weights by type, threshold)",
		Validate: validateComparison, Compare: compareMaxScore},
	{Name: "similar", Doc: "the output's embedding is at least the threshold (default 0.75) cosine-similar to the value's", NeedsModel: true,
		Validate: validateSimilar, Check: checkSimilar},
}

// Types lists every assertion type's name (each also exists with a "not-"
// prefix), in table order.
var Types = func() []string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.Name
	}
	return out
}()

// Kinds is the table of assertion types.
func Kinds() []Kind { return append([]Kind(nil), kinds...) }

// lookup finds a type by name (without "not-").
func lookup(name string) (Kind, bool) {
	for _, k := range kinds {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// NeedsModel reports whether an assertion of type typ (negated or not)
// calls a model.
func NeedsModel(typ string) bool {
	k, ok := lookup(strings.TrimPrefix(typ, "not-"))
	return ok && k.NeedsModel
}

// Validate checks an assertion before it is stored: known type, a value of
// the right shape, a regex that compiles, a schema that compiles.
func Validate(a store.Assertion) error {
	typ, _ := strings.CutPrefix(a.Type, "not-")
	if a.Type == "" {
		return errors.New("assertion has no type")
	}
	k, ok := lookup(typ)
	if !ok {
		return fmt.Errorf("unknown assertion type %q (known: %s, each also with not-)", a.Type, strings.Join(Types, ", "))
	}
	if a.Weight != nil && (*a.Weight < 0 || math.IsNaN(*a.Weight) || math.IsInf(*a.Weight, 0)) {
		return fmt.Errorf("%s: weight must be a number >= 0", a.Type)
	}
	if a.Threshold != nil && (math.IsNaN(*a.Threshold) || math.IsInf(*a.Threshold, 0) || *a.Threshold < 0) {
		return fmt.Errorf("%s: threshold must be a number >= 0", a.Type)
	}
	v := Validation{Assertion: a, Empty: a.Value == nil || a.Value == ""}
	if s, ok := a.Value.(string); ok && strings.Contains(s, "{{") {
		v.Templated = true
		if err := prompt.CheckText(s); err != nil {
			return fmt.Errorf("%s: value: %v", a.Type, err)
		}
	}
	if k.Validate == nil {
		return nil
	}
	return k.Validate(v)
}

// Validators shared by several types.

func needsString(v Validation) error {
	if v.Empty {
		return fmt.Errorf("%s needs a value", v.Type)
	}
	if _, ok := v.Value.(map[string]any); ok {
		return fmt.Errorf("%s: value must be a string", v.Type)
	}
	return nil
}

func validateRegex(v Validation) error {
	if err := needsString(v); err != nil || v.Templated {
		return err
	}
	if _, err := regexp.Compile(toString(v.Value)); err != nil {
		return fmt.Errorf("regex: bad pattern %q: %v", toString(v.Value), strings.TrimPrefix(err.Error(), "error parsing regexp: "))
	}
	return nil
}

func needsList(v Validation) error {
	if len(toList(v.Value)) == 0 {
		return fmt.Errorf("%s needs a list of values", v.Type)
	}
	return nil
}

func requiredSchema(v Validation) error {
	if v.Empty {
		return fmt.Errorf("%s needs a schema as its value", v.Type)
	}
	return optionalSchema(v)
}

func optionalSchema(v Validation) error {
	if v.Empty {
		return nil
	}
	if _, err := compileSchema(v.Value); err != nil {
		return fmt.Errorf("%s: %v", v.Type, err)
	}
	return nil
}

func validateBounds(v Validation) error {
	if _, _, err := bounds(v.Value); err != nil {
		return fmt.Errorf("%s: %v", v.Type, err)
	}
	return nil
}

func needsLimit(v Validation) error {
	if _, ok := limitOf(v.Assertion, v.Value); !ok {
		return fmt.Errorf("%s needs a threshold", v.Type)
	}
	return nil
}

func validateSimilar(v Validation) error {
	if v.Threshold != nil && *v.Threshold > 1 {
		return fmt.Errorf("similar: threshold is a cosine similarity between 0 and 1")
	}
	return nil
}

// Checks.

func checkEquals(_ context.Context, c Call) (bool, float64, string) {
	out, value := c.Input.Output, c.Value
	if value == nil || value == "" {
		if c.Input.Expected == "" {
			return false, 0, "no value and no expected output to compare with"
		}
		value = c.Input.Expected
	}
	if s, ok := value.(string); ok {
		if strings.TrimSpace(out) == strings.TrimSpace(s) {
			return true, 1, fmt.Sprintf("output equals %q", excerpt(s, 60))
		}
		return false, 0, fmt.Sprintf("expected %q, got %q", excerpt(s, 60), excerpt(out, 60))
	}
	// A structured value compares as JSON.
	var got any
	if err := json.Unmarshal([]byte(stripFence(out)), &got); err != nil {
		return false, 0, "output is not JSON to compare with the expected value"
	}
	ok := jsonEqual(got, value)
	return ok, b2f(ok), "output JSON equals the expected value"
}

// checkContains: substring (fold: ignoring case), or prefix.
func checkContains(fold, prefix bool) func(context.Context, Call) (bool, float64, string) {
	return func(_ context.Context, c Call) (bool, float64, string) {
		s, o := toString(c.Value), c.Input.Output
		if fold {
			o, s = strings.ToLower(o), strings.ToLower(s)
		}
		ok, verb := strings.Contains(o, s), "contain"
		if prefix {
			ok, verb = strings.HasPrefix(strings.TrimSpace(o), s), "start with"
		}
		if ok {
			return true, 1, fmt.Sprintf("output does %s %q", verb, excerpt(toString(c.Value), 60))
		}
		return false, 0, fmt.Sprintf("output does not %s %q", verb, excerpt(toString(c.Value), 60))
	}
}

// checkContainsList: any or all of a list (fold: ignoring case). All scores
// the share found.
func checkContainsList(fold, anyOf bool) func(context.Context, Call) (bool, float64, string) {
	return func(_ context.Context, c Call) (bool, float64, string) {
		list := toList(c.Value)
		o := c.Input.Output
		if fold {
			o = strings.ToLower(o)
		}
		var found, missing []string
		for _, s := range list {
			t := s
			if fold {
				t = strings.ToLower(s)
			}
			if strings.Contains(o, t) {
				found = append(found, s)
			} else {
				missing = append(missing, s)
			}
		}
		if anyOf {
			if len(found) > 0 {
				return true, 1, fmt.Sprintf("output contains %q", found[0])
			}
			return false, 0, fmt.Sprintf("output contains none of %q", list)
		}
		if len(missing) == 0 {
			return true, 1, fmt.Sprintf("output contains all of %q", list)
		}
		return false, float64(len(found)) / float64(len(list)), fmt.Sprintf("output lacks %q", missing)
	}
}

func checkRegex(_ context.Context, c Call) (bool, float64, string) {
	re, err := regexp.Compile(toString(c.Value))
	if err != nil {
		return false, 0, "bad regex: " + err.Error()
	}
	if re.MatchString(c.Input.Output) {
		return true, 1, fmt.Sprintf("output matches /%s/", toString(c.Value))
	}
	return false, 0, fmt.Sprintf("output does not match /%s/", toString(c.Value))
}

// checkIsJSON: the output is JSON, matching the value as a schema when there
// is one (required: a schema must be given).
func checkIsJSON(required bool) func(context.Context, Call) (bool, float64, string) {
	return func(_ context.Context, c Call) (bool, float64, string) {
		out := strings.TrimSpace(c.Input.Output)
		var doc any
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			return false, 0, "output is not valid JSON: " + err.Error()
		}
		if c.Value == nil || c.Value == "" {
			if required {
				return false, 0, "json-schema needs a schema as its value"
			}
			return true, 1, "output is valid JSON"
		}
		return validateSchema(c.Value, []byte(out))
	}
}

func checkContainsJSON(_ context.Context, c Call) (bool, float64, string) {
	cands := jsonCandidates(c.Input.Output)
	if len(cands) == 0 {
		return false, 0, "output contains no JSON"
	}
	if c.Value == nil || c.Value == "" {
		return true, 1, "output contains JSON"
	}
	var last string
	for _, cand := range cands {
		ok, _, reason := validateSchema(c.Value, cand)
		if ok {
			return true, 1, "output contains JSON matching the schema"
		}
		last = reason
	}
	return false, 0, last
}

func checkLevenshtein(_ context.Context, c Call) (bool, float64, string) {
	out := c.Input.Output
	s := toString(c.Value)
	if c.Value == nil || s == "" {
		s = c.Input.Expected
	}
	limit := 5.0
	if c.Assertion.Threshold != nil {
		limit = *c.Assertion.Threshold
	}
	d := levenshtein.ComputeDistance(out, s)
	n := max(utf8.RuneCountInString(out), utf8.RuneCountInString(s), 1)
	return float64(d) <= limit, 1 - float64(d)/float64(n), fmt.Sprintf("edit distance %d (max %g)", d, limit)
}

// checkCount: words, or characters (chars).
func checkCount(chars bool) func(context.Context, Call) (bool, float64, string) {
	return func(_ context.Context, c Call) (bool, float64, string) {
		n, unit := len(strings.Fields(c.Input.Output)), "words"
		if chars {
			n, unit = utf8.RuneCountInString(c.Input.Output), "characters"
		}
		lo, hi, err := bounds(c.Value)
		if err != nil {
			return false, 0, err.Error()
		}
		ok := (lo < 0 || n >= lo) && (hi < 0 || n <= hi)
		return ok, b2f(ok), fmt.Sprintf("%d %s (want %s)", n, unit, describeBounds(lo, hi))
	}
}

func checkLatency(_ context.Context, c Call) (bool, float64, string) {
	limit, ok := limitOf(c.Assertion, c.Value)
	if !ok {
		return false, 0, "latency needs a threshold in milliseconds"
	}
	pass := float64(c.Input.LatencyMS) <= limit
	return pass, b2f(pass), fmt.Sprintf("latency %d ms (max %g ms)", c.Input.LatencyMS, limit)
}

func checkCost(_ context.Context, c Call) (bool, float64, string) {
	limit, ok := limitOf(c.Assertion, c.Value)
	if !ok {
		return false, 0, "cost needs a threshold in dollars"
	}
	if c.Input.CostUnknown != "" {
		return c.noVerdict("cost is not known: " + c.Input.CostUnknown)
	}
	pass := c.Input.Cost <= limit
	return pass, b2f(pass), fmt.Sprintf("cost $%.6f (max $%g)", c.Input.Cost, limit)
}

func checkSimilar(ctx context.Context, c Call) (bool, float64, string) {
	if c.Models.Embed == nil {
		return false, 0, "similar needs an embedding model"
	}
	targets := toList(c.Value)
	if len(targets) == 0 && c.Input.Expected != "" {
		targets = []string{c.Input.Expected}
	}
	if len(targets) == 0 {
		return false, 0, "similar needs a value or an expected output"
	}
	model := firstNonEmpty(c.Assertion.Provider, c.Models.Embedding)
	if model == "" {
		prov, _, _ := strings.Cut(c.Input.Model, "/")
		model = prov + "/text-embedding-3-small"
	}
	vecs, err := c.Models.Embed(ctx, model, append([]string{c.Input.Output}, targets...))
	if err != nil {
		return false, 0, "embeddings " + model + ": " + err.Error()
	}
	limit := 0.75
	if c.Assertion.Threshold != nil {
		limit = *c.Assertion.Threshold
	}
	best := -1.0
	for _, v := range vecs[1:] {
		best = math.Max(best, cosine(vecs[0], v))
	}
	return best >= limit, best, fmt.Sprintf("similarity %.3f (min %g)", best, limit)
}
