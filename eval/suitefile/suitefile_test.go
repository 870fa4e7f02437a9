package suitefile

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/store"
)

const promptfooYAML = `description: sentiment
defaultTest:
  vars:
    lang: en
  assert:
    - type: not-contains
      value: "As an AI"
  threshold: 0.5
tests:
  - description: happy
    vars:
      review: I love it
      n: 3
    assert:
      - type: equals
        value: positive
        weight: 2
      - type: icontains-any
        value: [pos, good]
  - vars:
      review: "meh"
      lang: fr
    threshold: 1
    options:
      provider: x
    assert:
      - type: json-schema
        value:
          type: object
          required: [label]
`

func TestYAML(t *testing.T) {
	su, err := Parse([]byte(promptfooYAML), YAML)
	if err != nil {
		t.Fatal(err)
	}
	if su.Description != "sentiment" || su.Threshold != 0.5 || len(su.Cases) != 2 {
		t.Fatalf("suite %+v", su)
	}
	c0, c1 := su.Cases[0], su.Cases[1]
	if c0.Name != "happy" || c0.Vars["lang"] != "en" || c0.Vars["n"] != float64(3) || len(c0.Assertions) != 3 || c0.Assertions[0].Type != "not-contains" {
		t.Fatalf("case 0 %+v", c0)
	}
	if c1.Name != "case 2" || c1.Vars["lang"] != "fr" || *c1.Threshold != 1 || c1.Assertions[1].Type != "json-schema" {
		t.Fatalf("case 1 %+v", c1)
	}
	// Round trip.
	var buf bytes.Buffer
	if err := Write(&buf, su, YAML); err != nil {
		t.Fatal(err)
	}
	su2, err := Parse(buf.Bytes(), YAML)
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if !reflect.DeepEqual(su2.Cases, su.Cases) || su2.Threshold != su.Threshold {
		t.Fatalf("round trip differs:\n%+v\n%+v\n%s", su.Cases, su2.Cases, buf.String())
	}
}

func TestInvalidAssertionNamesTheCase(t *testing.T) {
	bad := `tests:
  - description: ok
    assert: [{type: contains, value: x}]
  - description: broken
    assert:
      - type: regex
        value: "a(b"
`
	_, err := Parse([]byte(bad), YAML)
	if err == nil || !strings.Contains(err.Error(), "case 2 (broken): assertion 1: regex: bad pattern") {
		t.Fatalf("err = %v", err)
	}
	_, err = Parse([]byte("tests:\n  - vars: {a: 1}\n    asert: []\n"), YAML)
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("typo: %v", err)
	}
	_, err = Parse([]byte("tests: file://tests.csv\n"), YAML)
	if err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Fatalf("file ref: %v", err)
	}
}

func TestJSONL(t *testing.T) {
	in := `{"vars": {"q": "a"}, "assert": [{"type": "contains", "value": "x"}], "description": "one"}

{"q": "plain vars"}
`
	su, err := Parse([]byte(in), JSONL)
	if err != nil {
		t.Fatal(err)
	}
	if len(su.Cases) != 2 || su.Cases[0].Name != "one" || su.Cases[1].Vars["q"] != "plain vars" {
		t.Fatalf("%+v", su.Cases)
	}
	_, err = Parse([]byte(`{"vars": {}, "assert": [{"type": "nope"}]}`), JSONL)
	if err == nil || !strings.Contains(err.Error(), "unknown assertion type") {
		t.Fatalf("err = %v", err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, su, JSONL); err != nil {
		t.Fatal(err)
	}
	su2, err := Parse(buf.Bytes(), JSONL)
	if err != nil || !reflect.DeepEqual(su2.Cases[0], su.Cases[0]) {
		t.Fatalf("round trip: %v\n%s", err, buf.String())
	}
}

func TestCSV(t *testing.T) {
	in := "review,lang,__expected1,__expected2,__description,__threshold\n" +
		"\"I love it, really\",en,positive,not-icontains:as an ai,happy,\n" +
		"meh,fr,\"contains-any:neutral,meh\",grade:is polite,,0.5\n" +
		"x,de,levenshtein(2):hello,is-json,,\n"
	su, err := Parse([]byte(in), CSV)
	if err != nil {
		t.Fatal(err)
	}
	c := su.Cases
	if len(c) != 3 || c[0].Name != "happy" || c[0].Vars["review"] != "I love it, really" || c[0].Expected != "positive" {
		t.Fatalf("%+v", c)
	}
	want := []store.Assertion{{Type: "equals", Value: "positive"}, {Type: "not-icontains", Value: "as an ai"}}
	if !reflect.DeepEqual(c[0].Assertions, want) {
		t.Fatalf("case 0 assertions %+v", c[0].Assertions)
	}
	if c[1].Assertions[0].Type != "contains-any" || len(c[1].Assertions[0].Value.([]any)) != 2 || c[1].Assertions[1].Type != "llm-rubric" || *c[1].Threshold != 0.5 {
		t.Fatalf("case 1 %+v", c[1])
	}
	if c[2].Assertions[0].Type != "levenshtein" || *c[2].Assertions[0].Threshold != 2 || c[2].Assertions[1].Type != "is-json" {
		t.Fatalf("case 2 %+v", c[2])
	}
	var buf bytes.Buffer
	if err := Write(&buf, su, CSV); err != nil {
		t.Fatal(err)
	}
	su2, err := Parse(buf.Bytes(), CSV)
	if err != nil || !reflect.DeepEqual(su2.Cases, su.Cases) {
		t.Fatalf("round trip: %v\n%s\n%+v", err, buf.String(), su2.Cases)
	}
	// A schema does not fit a CSV cell.
	su.Cases[0].Assertions = []store.Assertion{{Type: "json-schema", Value: map[string]any{"type": "object"}}}
	if err := Write(&buf, su, CSV); err == nil || !strings.Contains(err.Error(), `case "happy"`) {
		t.Fatalf("err = %v", err)
	}
}

func TestUnsupportedExpectedIsRefused(t *testing.T) {
	_, err := Parse([]byte("q,__expected\nx,webhook:https://example.com/check\n"), CSV)
	if err == nil || !strings.Contains(err.Error(), `unknown assertion type "webhook"`) {
		t.Fatalf("err = %v", err)
	}
	su, err := Parse([]byte("q,__expected\nx,Note: this is plain text\n"), CSV)
	if err != nil || su.Cases[0].Assertions[0].Type != "equals" {
		t.Fatalf("%v %+v", err, su.Cases)
	}
}

// TestExpectedCellsAsPromptfooReadsThem: the typed cells promptfoo knows are
// those assertions (never an equality check on their text), and the
// importer and the suite reader share this one parser.
func TestExpectedCellsAsPromptfooReadsThem(t *testing.T) {
	for cell, want := range map[string]store.Assertion{
		"is-refusal":                 {Type: "is-refusal"},
		"not-is-refusal":             {Type: "not-is-refusal"},
		"latency(500)":               {Type: "latency", Threshold: ptr(500)},
		"javascript: output.length":  {Type: "javascript", Value: "output.length"},
		"fn:output.includes('x')":    {Type: "javascript", Value: "output.includes('x')"},
		"python: len(output) > 3":    {Type: "python", Value: "len(output) > 3"},
		"llm-rubric: is polite":      {Type: "llm-rubric", Value: "is polite"},
		"factuality:Paris is a city": {Type: "factuality", Value: "Paris is a city"},
		"rouge-n(0.6):the cat":       {Type: "rouge-n", Value: "the cat", Threshold: ptr(0.6)},
		"Paris":                      {Type: "equals", Value: "Paris"},
		"Note: plain text":           {Type: "equals", Value: "Note: plain text"},
	} {
		got, typed := ParseExpected(cell)
		if !reflect.DeepEqual(got, want) || typed == (want.Type == "equals") {
			t.Errorf("%q: %+v (typed %v), want %+v", cell, got, typed, want)
		}
	}
	su, err := Parse([]byte("q,__expected1,__expected2\nx,is-refusal,\"javascript: output.length > 3\"\n"), CSV)
	if err != nil || su.Cases[0].Assertions[0].Type != "is-refusal" || su.Cases[0].Assertions[1].Type != "javascript" {
		t.Fatalf("%v %+v", err, su)
	}
}

func ptr(f float64) *float64 { return &f }

// TestCSVKeepsQuotedCRLF: a quoted cell keeps its Windows line ends, as
// promptfoo's CSV reader keeps them (encoding/csv alone turns "\r\n" into
// "\n"), rows ended by "\r\n" still end there, and the suite writes back
// and reads again the same.
func TestCSVKeepsQuotedCRLF(t *testing.T) {
	su, err := Parse([]byte("code,lang\r\n\"int main()\r\n{\r\n}\",C\r\nplain,Go\r\n"), CSV)
	if err != nil {
		t.Fatal(err)
	}
	c := su.Cases
	if len(c) != 2 || c[0].Vars["code"] != "int main()\r\n{\r\n}" || c[0].Vars["lang"] != "C" || c[1].Vars["lang"] != "Go" {
		t.Fatalf("%+v", c)
	}
	var buf bytes.Buffer
	if err := Write(&buf, su, CSV); err != nil {
		t.Fatal(err)
	}
	su2, err := Parse(buf.Bytes(), CSV)
	if err != nil || !reflect.DeepEqual(su2.Cases, su.Cases) {
		t.Fatalf("round trip: %v\n%q\n%+v", err, buf.String(), su2.Cases)
	}
	if _, err := Parse([]byte("q\n\"a\xffb\"\n"), CSV); err == nil || !strings.Contains(err.Error(), "not UTF-8 text") {
		t.Fatalf("0xFF: %v", err)
	}
}
