// Package suitefile reads and writes test suites: promptfoo-style YAML
// (`tests:` with vars, assert, description, threshold, options and a
// top-level defaultTest merged into every case), JSONL (one case per line)
// and CSV (columns are vars; __expected, __expected1..N, __description,
// __threshold as in promptfoo).
package suitefile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/seed94f0f622/verso/eval/assert"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/store/strict"
)

// Format of a suite file.
type Format string

const (
	YAML  Format = "yaml"
	JSONL Format = "jsonl"
	CSV   Format = "csv"
)

// FormatOf guesses a file's format from its extension.
func FormatOf(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		return YAML, nil
	case ".jsonl", ".ndjson":
		return JSONL, nil
	case ".csv":
		return CSV, nil
	case ".json":
		// A JSON document is YAML too (a {"tests": [...]} object or a list).
		return YAML, nil
	}
	return "", fmt.Errorf("%s: unknown suite format: use .yaml, .jsonl or .csv", path)
}

// test is one case in promptfoo's shape (plus Verso's expected and tags).
type test struct {
	Description string            `yaml:"description,omitempty" json:"description,omitempty"`
	Vars        map[string]any    `yaml:"vars,omitempty" json:"vars,omitempty"`
	Assert      []store.Assertion `yaml:"assert,omitempty" json:"assert,omitempty"`
	Threshold   *float64          `yaml:"threshold,omitempty" json:"threshold,omitempty"`
	Options     map[string]any    `yaml:"options,omitempty" json:"options,omitempty"`
	Metadata    map[string]any    `yaml:"metadata,omitempty" json:"metadata,omitempty"`
	Expected    string            `yaml:"expected,omitempty" json:"expected,omitempty"`
	Tags        []string          `yaml:"tags,omitempty" json:"tags,omitempty"`
}

type file struct {
	Description string `yaml:"description,omitempty" json:"description,omitempty"`
	DefaultTest *test  `yaml:"defaultTest,omitempty" json:"defaultTest,omitempty"`
	Tests       []test `yaml:"tests" json:"tests"`
}

// Limits bound what a suite file may hold, so a huge or endless file ends
// in a clear error instead of taking the machine's memory.
type Limits struct {
	// MaxCases is the most cases a suite may have (0 = DefaultMaxCases).
	MaxCases int
	// MaxYAMLBytes is the largest YAML (or JSON document) suite: it is read
	// whole, where JSONL and CSV are read a case at a time (0 =
	// DefaultMaxYAMLBytes).
	MaxYAMLBytes int64
}

// The default limits.
const (
	DefaultMaxCases           = 100_000
	DefaultMaxYAMLBytes int64 = 64 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxCases <= 0 {
		l.MaxCases = DefaultMaxCases
	}
	if l.MaxYAMLBytes <= 0 {
		l.MaxYAMLBytes = DefaultMaxYAMLBytes
	}
	return l
}

// TooManyCasesError is a suite past Limits.MaxCases.
type TooManyCasesError struct{ Max int }

func (e *TooManyCasesError) Error() string {
	return fmt.Sprintf("more than %d cases: split the suite", e.Max)
}

// Parse reads a suite in format f with the default limits. Every assertion
// is validated: an invalid one is an error naming the case and the problem.
// The suite's Name is left empty for the caller.
func Parse(data []byte, f Format) (store.Suite, error) {
	return ParseReader(bytes.NewReader(data), f, Limits{})
}

// ParseReader is Parse from a reader: JSONL and CSV are read one case at a
// time, YAML whole (up to Limits.MaxYAMLBytes).
func ParseReader(r io.Reader, f Format, lim Limits) (store.Suite, error) {
	lim = lim.withDefaults()
	var su store.Suite
	var tests []test
	var def *test
	switch f {
	case YAML:
		data, err := io.ReadAll(io.LimitReader(r, lim.MaxYAMLBytes+1))
		if err != nil {
			return su, err
		}
		if int64(len(data)) > lim.MaxYAMLBytes {
			return su, fmt.Errorf("a YAML or JSON suite is read whole and this one is larger than %d MiB: write it as JSONL or CSV, which are read a case at a time",
				lim.MaxYAMLBytes>>20)
		}
		var fl file
		// A bare list of tests is accepted too.
		// JSON (a {"tests": [...]} object or a list) and YAML are read by
		// the same rules (store/strict).
		var probe any
		if err := strict.Decode("", data, &probe); err != nil {
			return su, err
		}
		if _, isList := probe.([]any); isList {
			if err := strictYAML(data, &fl.Tests); err != nil {
				return su, err
			}
		} else {
			if m, ok := probe.(map[string]any); ok {
				if s, ok := m["tests"].(string); ok {
					return su, fmt.Errorf("tests: %q: file references are not supported: put the cases in this file", s)
				}
			}
			if err := strictYAML(data, &fl); err != nil {
				return su, err
			}
		}
		su.Description = fl.Description
		tests, def = fl.Tests, fl.DefaultTest
		if len(tests) > lim.MaxCases {
			return su, &TooManyCasesError{Max: lim.MaxCases}
		}
	case JSONL:
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 0, 64*1024), 64*1024*1024)
		for n := 1; sc.Scan(); n++ {
			line := bytes.TrimSpace(sc.Bytes())
			if len(line) == 0 {
				continue
			}
			if len(tests) == lim.MaxCases {
				return su, &TooManyCasesError{Max: lim.MaxCases}
			}
			t, err := jsonlCase(line)
			if err != nil {
				return su, fmt.Errorf("line %d: %v", n, err)
			}
			tests = append(tests, t)
		}
		if err := sc.Err(); err != nil {
			if errors.Is(err, bufio.ErrTooLong) {
				return su, fmt.Errorf("line %d is longer than 64 MiB", len(tests)+1)
			}
			return su, err
		}
	case CSV:
		var err error
		tests, err = csvCases(r, lim.MaxCases)
		if err != nil {
			return su, err
		}
	default:
		return su, fmt.Errorf("unknown suite format %q (use yaml, jsonl or csv)", f)
	}
	if len(tests) == 0 {
		return su, errors.New("the file has no test cases")
	}
	if def != nil {
		if def.Threshold != nil {
			su.Threshold = *def.Threshold
		}
		for i, a := range def.Assert {
			if err := assert.Validate(a); err != nil {
				return su, fmt.Errorf("defaultTest: assertion %d: %v", i+1, err)
			}
		}
	}
	for i, t := range tests {
		c := store.Case{Name: strings.TrimSpace(t.Description), Expected: t.Expected, Tags: t.Tags, Threshold: t.Threshold}
		if c.Name == "" {
			c.Name = fmt.Sprintf("case %d", i+1)
		}
		c.Vars = map[string]any{}
		if def != nil {
			for k, v := range def.Vars {
				c.Vars[k] = v
			}
			c.Assertions = append(c.Assertions, def.Assert...)
		}
		for k, v := range t.Vars {
			c.Vars[k] = v
		}
		c.Assertions = append(c.Assertions, t.Assert...)
		for j, a := range c.Assertions {
			if err := assert.Validate(a); err != nil {
				return su, fmt.Errorf("case %d (%s): assertion %d: %v", i+1, c.Name, j+1, err)
			}
		}
		if t.Threshold != nil && (*t.Threshold < 0 || *t.Threshold > 1) {
			return su, fmt.Errorf("case %d (%s): threshold %v must be between 0 and 1", i+1, c.Name, *t.Threshold)
		}
		norm, err := jsonValues(c.Vars)
		if err != nil {
			return su, fmt.Errorf("case %d (%s): vars: %v", i+1, c.Name, err)
		}
		c.Vars = norm
		for j := range c.Assertions {
			if c.Assertions[j].Value, err = jsonValue(c.Assertions[j].Value); err != nil {
				return su, fmt.Errorf("case %d (%s): assertion %d: %v", i+1, c.Name, j+1, err)
			}
		}
		su.Cases = append(su.Cases, c)
	}
	if su.Threshold < 0 || su.Threshold > 1 {
		return su, fmt.Errorf("defaultTest: threshold %v must be between 0 and 1", su.Threshold)
	}
	return su, nil
}

func strictYAML(data []byte, v any) error { return strict.Decode("", data, v) }

// jsonValues round-trips values through JSON so they are stored and
// compared as JSON types (YAML gives ints, JSON gives float64).
func jsonValues(m map[string]any) (map[string]any, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	err = json.Unmarshal(b, &out)
	return out, err
}

func jsonValue(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}

// jsonlCase reads one JSONL line: a test object, or a plain object of vars.
func jsonlCase(line []byte) (test, error) {
	var raw map[string]any
	if err := strict.JSON(line, &raw); err != nil {
		return test{}, fmt.Errorf("not a JSON object: %v", err)
	}
	isTest := false
	for _, k := range []string{"vars", "assert", "description", "expected", "threshold"} {
		if _, ok := raw[k]; ok {
			isTest = true
		}
	}
	if !isTest {
		return test{Vars: raw}, nil
	}
	var t test
	if err := strict.JSON(line, &t); err != nil {
		return test{}, err
	}
	return t, nil
}

// expectedRE is promptfoo's __expected syntax: [not-]type[(threshold)][:value].
var expectedRE = regexp.MustCompile(`^(not-)?([a-z][a-z0-9-]*)(?:\((\d+(?:\.\d+)?)\))?(?::([\s\S]*))?$`)

// PromptfooTypes are promptfoo's assertion types: an __expected cell that
// starts with one is that assertion (a type Verso does not run is then
// refused by name when the case is validated), never an equality check on
// the cell's text.
var PromptfooTypes = map[string]bool{
	"equals": true, "contains": true, "icontains": true, "contains-all": true, "contains-any": true, "icontains-all": true,
	"icontains-any": true, "starts-with": true, "ends-with": true, "regex": true, "is-json": true, "contains-json": true,
	"json-schema": true, "is-html": true, "contains-html": true, "is-sql": true, "contains-sql": true, "is-xml": true,
	"contains-xml": true, "is-refusal": true, "similar": true, "pi": true, "llm-rubric": true, "model-graded-closedqa": true,
	"factuality": true, "model-graded-factuality": true, "answer-relevance": true, "context-recall": true,
	"context-relevance": true, "context-faithfulness": true, "g-eval": true, "javascript": true, "python": true,
	"webhook": true, "rouge-n": true, "bleu": true, "gleu": true, "meteor": true, "levenshtein": true, "latency": true,
	"cost": true, "perplexity": true, "perplexity-score": true, "is-valid-openai-function-call": true,
	"is-valid-openai-tools-call": true, "is-valid-function-call": true, "tool-call-f1": true, "moderation": true,
	"classifier": true, "select-best": true, "max-score": true, "human": true, "finish-reason": true, "word-count": true,
	"length": true, "trace-span-count": true, "trace-span-duration": true, "trace-error-spans": true,
	"search-rubric": true, "conversation-relevance": true,
}

// expectedPrefixes are promptfoo's __expected shorthands for a type.
var expectedPrefixes = []struct{ prefix, typ string }{
	{"grade:", "llm-rubric"}, {"llm-rubric:", "llm-rubric"}, {"fn:", "javascript"}, {"eval:", "javascript"},
	{"javascript:", "javascript"}, {"python:", "python"},
}

// ParseExpected turns a promptfoo CSV __expected cell into an assertion, as
// promptfoo reads it: "grade:" (or "llm-rubric:") is a rubric, "fn:",
// "eval:" and "javascript:" JavaScript, "python:" Python, and
// "[not-]type[(threshold)][:value]" with one of promptfoo's types that
// assertion (`latency(500)`, `is-refusal`, `contains-any:a,b`). Anything
// else is an equality check on the text; typed is false then. Both the
// suite reader and the promptfoo importer read cells with it.
func ParseExpected(s string) (a store.Assertion, typed bool) {
	s = strings.TrimSpace(s)
	for _, p := range expectedPrefixes {
		if r, ok := strings.CutPrefix(s, p.prefix); ok {
			return store.Assertion{Type: p.typ, Value: strings.TrimSpace(r)}, true
		}
	}
	m := expectedRE.FindStringSubmatch(s)
	if m == nil || !PromptfooTypes[m[2]] {
		return store.Assertion{Type: "equals", Value: s}, false
	}
	a = store.Assertion{Type: m[1] + m[2]}
	if m[3] != "" {
		f, _ := strconv.ParseFloat(m[3], 64)
		a.Threshold = &f
	}
	v := strings.TrimSpace(m[4])
	switch m[2] {
	case "contains-any", "contains-all", "icontains-any", "icontains-all":
		var list []any
		for _, p := range strings.Split(v, ",") {
			list = append(list, strings.TrimSpace(p))
		}
		a.Value = list
	case "word-count", "length":
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			a.Value = f
		} else if v != "" {
			var b any
			if yaml.Unmarshal([]byte(v), &b) == nil {
				a.Value, _ = jsonValue(b)
			}
		}
	default:
		if v != "" {
			a.Value = v
		}
	}
	return a, true
}

func csvCases(in io.Reader, maxCases int) ([]test, error) {
	br := bufio.NewReader(in)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	qr := NewQuotedCR(br)
	r := csv.NewReader(qr)
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	head, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("csv: needs a header row and at least one case")
	}
	if err != nil {
		return nil, fmt.Errorf("csv: %v", err)
	}
	for i := range head {
		head[i] = qr.Restore(head[i])
	}
	var out []test
	for n := 0; ; n++ {
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("csv: %v", err)
		}
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue
		}
		if len(row) != len(head) {
			return nil, fmt.Errorf("csv: row %d has %d columns, the header has %d", n+2, len(row), len(head))
		}
		for i := range row {
			row[i] = qr.Restore(row[i])
		}
		if len(out) == maxCases {
			return nil, &TooManyCasesError{Max: maxCases}
		}
		t := test{Vars: map[string]any{}}
		for i, col := range head {
			col = strings.TrimSpace(col)
			cell := row[i]
			switch {
			case col == "__description":
				t.Description = cell
			case col == "__expected" || expectedColRE.MatchString(col):
				if strings.TrimSpace(cell) == "" {
					continue
				}
				a, _ := ParseExpected(cell)
				t.Assert = append(t.Assert, a)
				if a.Type == "equals" && t.Expected == "" {
					t.Expected = toString(a.Value)
				}
			case col == "__threshold":
				if strings.TrimSpace(cell) == "" {
					continue
				}
				f, err := strconv.ParseFloat(strings.TrimSpace(cell), 64)
				if err != nil {
					return nil, fmt.Errorf("csv: row %d: __threshold %q is not a number", n+2, cell)
				}
				t.Threshold = &f
			case strings.HasPrefix(col, "__"):
				// Other promptfoo columns (__metric, __prefix, ...) have no
				// meaning here.
			default:
				t.Vars[col] = cell
			}
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, errors.New("csv: needs a header row and at least one case")
	}
	return out, nil
}

var expectedColRE = regexp.MustCompile(`^__expected\d+$`)

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func toTest(c store.Case) test {
	t := test{Description: c.Name, Vars: c.Vars, Assert: c.Assertions, Threshold: c.Threshold, Expected: c.Expected, Tags: c.Tags}
	// An equality check already carries the expected output.
	if len(c.Assertions) > 0 {
		for _, a := range c.Assertions {
			if a.Type == "equals" && toString(a.Value) == c.Expected {
				t.Expected = ""
			}
		}
	}
	return t
}

// Write writes a suite in format f: YAML in promptfoo's shape, JSONL one
// case per line, CSV with vars columns and __expected columns (CSV cannot
// hold every assertion: an error names the case that does not fit).
func Write(w io.Writer, su store.Suite, f Format) error {
	switch f {
	case YAML:
		fl := file{Description: su.Description}
		if su.Threshold > 0 {
			th := su.Threshold
			fl.DefaultTest = &test{Threshold: &th}
		}
		for _, c := range su.Cases {
			fl.Tests = append(fl.Tests, toTest(c))
		}
		enc := yaml.NewEncoder(w)
		enc.SetIndent(2)
		if err := enc.Encode(fl); err != nil {
			return err
		}
		return enc.Close()
	case JSONL:
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, c := range su.Cases {
			t := toTest(c)
			if t.Threshold == nil && su.Threshold > 0 {
				th := su.Threshold
				t.Threshold = &th
			}
			if err := enc.Encode(t); err != nil {
				return err
			}
		}
		return nil
	case CSV:
		return writeCSV(w, su)
	}
	return fmt.Errorf("unknown suite format %q (use yaml, jsonl or csv)", f)
}

func writeCSV(w io.Writer, su store.Suite) error {
	var vars []string
	maxAssert := 0
	cells := make([][]string, len(su.Cases))
	hasThreshold := su.Threshold > 0
	for i, c := range su.Cases {
		for k, v := range c.Vars {
			if !slices.Contains(vars, k) {
				vars = append(vars, k)
			}
			switch v.(type) {
			case map[string]any, []any:
				return fmt.Errorf("case %q: var %s is structured, which CSV cannot hold: export yaml or jsonl", c.Name, k)
			}
		}
		as := c.Assertions
		if len(as) == 0 && c.Expected != "" {
			as = []store.Assertion{{Type: "equals", Value: c.Expected}}
		}
		for _, a := range as {
			s, err := expectedString(a)
			if err != nil {
				return fmt.Errorf("case %q: %v: export yaml or jsonl", c.Name, err)
			}
			cells[i] = append(cells[i], s)
		}
		maxAssert = max(maxAssert, len(cells[i]))
		if c.Threshold != nil {
			hasThreshold = true
		}
	}
	slices.Sort(vars)
	head := append([]string{}, vars...)
	head = append(head, "__description")
	for i := range maxAssert {
		if maxAssert == 1 {
			head = append(head, "__expected")
		} else {
			head = append(head, fmt.Sprintf("__expected%d", i+1))
		}
	}
	if hasThreshold {
		head = append(head, "__threshold")
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(head); err != nil {
		return err
	}
	for i, c := range su.Cases {
		row := make([]string, 0, len(head))
		for _, k := range vars {
			v, ok := c.Vars[k]
			if !ok {
				row = append(row, "")
				continue
			}
			row = append(row, scalar(v))
		}
		row = append(row, c.Name)
		for j := range maxAssert {
			if j < len(cells[i]) {
				row = append(row, cells[i][j])
			} else {
				row = append(row, "")
			}
		}
		if hasThreshold {
			switch {
			case c.Threshold != nil:
				row = append(row, strconv.FormatFloat(*c.Threshold, 'g', -1, 64))
			case su.Threshold > 0:
				row = append(row, strconv.FormatFloat(su.Threshold, 'g', -1, 64))
			default:
				row = append(row, "")
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	return toString(v)
}

// expectedString is the inverse of ParseExpected.
func expectedString(a store.Assertion) (string, error) {
	if a.Weight != nil || a.Provider != "" || a.Metric != "" {
		return "", fmt.Errorf("assertion %s has a weight, provider or metric", a.Type)
	}
	th := ""
	if a.Threshold != nil {
		th = "(" + strconv.FormatFloat(*a.Threshold, 'g', -1, 64) + ")"
	}
	base := strings.TrimPrefix(a.Type, "not-")
	switch v := a.Value.(type) {
	case nil:
		return a.Type + th, nil
	case string:
		if a.Type == "equals" && th == "" && !expectedTyped(v) {
			return v, nil
		}
		if base == "llm-rubric" && th == "" && !strings.HasPrefix(a.Type, "not-") {
			return "grade:" + v, nil
		}
		return a.Type + th + ":" + v, nil
	case []any:
		var parts []string
		for _, e := range v {
			s := scalar(e)
			if strings.Contains(s, ",") {
				return "", fmt.Errorf("assertion %s has a value with a comma", a.Type)
			}
			parts = append(parts, s)
		}
		return a.Type + th + ":" + strings.Join(parts, ","), nil
	case float64:
		return a.Type + th + ":" + strconv.FormatFloat(v, 'g', -1, 64), nil
	case map[string]any:
		if base == "word-count" || base == "length" {
			b, _ := json.Marshal(v)
			return a.Type + th + ":" + string(b), nil
		}
	}
	return "", fmt.Errorf("assertion %s has a structured value", a.Type)
}

func expectedTyped(s string) bool {
	_, typed := ParseExpected(s)
	return typed
}

// QuotedCR keeps the carriage returns inside a CSV's quoted cells, which
// encoding/csv would drop ("a\r\nb" read as "a\nb") while promptfoo's CSV
// reader keeps them: inside quotes each \r becomes the byte 0xFF, which
// UTF-8 text never holds, and Restore turns it back. A file that holds
// 0xFF is not UTF-8 text and is refused.
type QuotedCR struct {
	r        io.Reader
	inQuotes bool
	err      error
}

// NewQuotedCR reads r for encoding/csv; pass each cell read through Restore.
func NewQuotedCR(r io.Reader) *QuotedCR { return &QuotedCR{r: r} }

const crMark = '\xff'

func (q *QuotedCR) Read(p []byte) (int, error) {
	if q.err != nil {
		return 0, q.err
	}
	n, err := q.r.Read(p)
	for i := 0; i < n; i++ {
		switch p[i] {
		case '"':
			q.inQuotes = !q.inQuotes
		case '\r':
			if q.inQuotes {
				p[i] = crMark
			}
		case crMark:
			q.err = errors.New("not UTF-8 text (a 0xFF byte)")
			return 0, q.err
		}
	}
	return n, err
}

func (q *QuotedCR) Restore(cell string) string {
	if strings.IndexByte(cell, crMark) < 0 {
		return cell
	}
	return strings.ReplaceAll(cell, string([]byte{crMark}), "\r")
}
