package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/store"
)

func sample() (store.Run, []store.Result, Summary) {
	fin := time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC)
	run := store.Run{ID: 7, Prompt: "support/reply", Suite: "default", Status: store.RunDone, Versions: []int{3, 4},
		Models: []string{"demo/demo-large"}, Repeat: 1, Total: 6, StartedAt: fin.Add(-2 * time.Second), FinishedAt: &fin}
	rs := []store.Result{
		{Version: 3, Model: "demo/demo-large", CaseID: 1, CaseName: "refund", Pass: true, Score: 1, LatencyMS: 40, TokensIn: 10, TokensOut: 5, Cost: 0.001, Output: "ok"},
		{Version: 3, Model: "demo/demo-large", CaseID: 2, CaseName: "angry\x1b[31m", Score: 0, LatencyMS: 60, Output: "Sure!\x1b]0;x\x07 here",
			Assertions: []store.AssertionResult{{Type: "icontains", Pass: false, Reason: `output contains "sorry"`}}},
		{Version: 3, Model: "demo/demo-large", CaseID: 3, CaseName: "late", Error: "HTTP 500: boom (after 5 attempts)"},
		{Version: 4, Model: "demo/demo-large", CaseID: 1, CaseName: "refund", Pass: true, Score: 1, LatencyMS: 20, Cached: true},
		{Version: 4, Model: "demo/demo-large", CaseID: 2, CaseName: "angry", Pass: true, Score: 1, LatencyMS: 30},
		{Version: 4, Model: "demo/demo-large", CaseID: 3, CaseName: "late", Pass: true, Score: 1, LatencyMS: 100},
	}
	s := Summarize(rs, []Column{{3, "demo/demo-large"}, {4, "demo/demo-large"}}, 6)
	return run, rs, s
}

func TestSummarize(t *testing.T) {
	_, _, s := sample()
	c3, c4 := s.Columns[0], s.Columns[1]
	if c3.Passed != 1 || c3.Failed != 1 || c3.Errors != 1 || c3.LatencyMeanMS != 50 || c3.LatencyP95MS != 60 || c3.PassRate != 1.0/3 {
		t.Fatalf("v3 %+v", c3)
	}
	if c4.PassRate != 1 || c4.Cached != 1 || c4.LatencyP95MS != 100 || c4.LatencyMeanMS != 50 {
		t.Fatalf("v4 %+v", c4)
	}
	if s.Total != 6 || s.Passed != 4 || s.AllPassed() {
		t.Fatalf("%+v", s)
	}
}

func TestJSON(t *testing.T) {
	run, rs, s := sample()
	var b bytes.Buffer
	if err := JSON(&b, run, rs, s); err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	if err := json.Unmarshal(b.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	if d["schema"] != float64(1) || d["run"].(map[string]any)["prompt"] != "support/reply" || len(d["results"].([]any)) != 6 {
		t.Fatalf("%s", b.String())
	}
	r1 := d["results"].([]any)[1].(map[string]any)
	for _, k := range []string{"version", "model", "case_id", "case", "repeat", "pass", "score", "error", "cached", "latency_ms", "tokens_in", "tokens_out", "cost", "output", "assertions"} {
		if _, ok := r1[k]; !ok {
			t.Errorf("result lacks %q", k)
		}
	}
	col := d["summary"].(map[string]any)["columns"].([]any)[0].(map[string]any)
	for _, k := range []string{"version", "model", "total", "passed", "failed", "errors", "cached", "pass_rate", "latency_mean_ms", "latency_p95_ms", "tokens_in", "tokens_out", "cost"} {
		if _, ok := col[k]; !ok {
			t.Errorf("column lacks %q", k)
		}
	}
}

func TestJUnit(t *testing.T) {
	run, rs, s := sample()
	var b bytes.Buffer
	if err := JUnit(&b, run, rs, s); err != nil {
		t.Fatal(err)
	}
	var doc junitSuites
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if len(doc.Suites) != 2 || doc.Tests != 6 || doc.Failures != 1 || doc.Errors != 1 || len(doc.Suites[0].Cases) != 3 {
		t.Fatalf("%+v", doc)
	}
	if doc.Suites[0].Name != "support/reply@3 demo/demo-large" || doc.Suites[0].Cases[1].Failure == nil || doc.Suites[0].Cases[2].Error == nil {
		t.Fatalf("%s", b.String())
	}
	if strings.Contains(b.String(), "\x1b") {
		t.Fatal("escape sequence in the XML")
	}
}

func TestTable(t *testing.T) {
	run, rs, s := sample()
	var b bytes.Buffer
	if err := Table(&b, run, rs, s, TableOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"Run 7 · support/reply · suite default · done", "VERSION", "@3", "33.3%", "100.0%", "$0.0010",
		"Failures", "✗ @3 demo/demo-large · angry", `icontains: output contains "sorry"`, "! @3 demo/demo-large · late", "error: HTTP 500", "4 passed, 1 failed, 1 errors of 6."} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") || strings.Contains(out, "\x07") {
		t.Fatalf("escape sequences reached the table:\n%q", out)
	}
	b.Reset()
	Table(&b, run, rs, s, TableOptions{Color: true})
	if !strings.Contains(b.String(), "\x1b[") {
		t.Fatal("no colour with Color")
	}
}

func TestCompare(t *testing.T) {
	_, rs, _ := sample()
	before := append([]store.Result(nil), rs[:3]...)
	before[1].CaseName = "angry"
	after := []store.Result{
		{Version: 4, Model: "demo/demo-large", CaseName: "refund", Pass: true},
		{Version: 4, Model: "demo/demo-large", CaseName: "angry", Pass: true},
		{Version: 4, Model: "demo/demo-large", CaseName: "new", Pass: false},
	}
	fl := Compare(before, after, false)
	want := map[string][2]Verdict{"angry": {Fail, Pass}, "new": {Missing, Fail}, "late": {Error, Missing}}
	if len(fl) != len(want) {
		t.Fatalf("%+v", fl)
	}
	for _, f := range fl {
		if w := want[f.Case]; w[0] != f.Before || w[1] != f.After {
			t.Errorf("%s: %s -> %s, want %v", f.Case, f.Before, f.After, w)
		}
	}
	if fl := Compare(before, after, true); len(fl) != 6 {
		t.Fatalf("by version: %+v", fl)
	}
}
