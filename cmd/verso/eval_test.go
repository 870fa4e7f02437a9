package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/store"
)

// evalDB makes a database with a prompt "sentiment" (v1 vague, v2 asking
// for the label only) and a suite of n cases checking for a label.
func evalDB(t *testing.T, n int) (db, dir string) {
	t.Helper()
	dir = t.TempDir()
	db = filepath.Join(dir, "verso.db")
	mustOK(t, verso(t, db, "What is the sentiment of this review?\nReview: {{review}}", "commit", "sentiment", "-m", "v1"))
	mustOK(t, verso(t, db, "Classify the sentiment of the review as positive, negative or neutral. Answer with the label only.\nReview: {{review}}",
		"commit", "sentiment", "-m", "v2", "--model", "demo/demo-large"))
	var b strings.Builder
	b.WriteString("tests:\n")
	reviews := []string{"I love it, works great", "Terrible, broke after a day", "It is a phone"}
	for i := range n {
		fmt.Fprintf(&b, "  - description: case %d\n    vars: {review: %q}\n    assert:\n      - type: icontains-any\n        value: [positive, negative, neutral]\n",
			i+1, fmt.Sprintf("%s #%d", reviews[i%3], i))
	}
	file := filepath.Join(dir, "cases.yaml")
	os.WriteFile(file, []byte(b.String()), 0o600)
	mustOK(t, verso(t, db, "", "suite", "import", "sentiment", file))
	return db, dir
}

func TestSuiteImportExportList(t *testing.T) {
	db, dir := evalDB(t, 3)
	r := mustOK(t, verso(t, db, "", "suite", "list", "sentiment", "--json"))
	var list []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list) != 1 || list[0]["name"] != "default" || list[0]["cases"] != float64(3) {
		t.Fatalf("list: %v %s", err, r.stdout)
	}
	for _, f := range []string{"yaml", "jsonl", "csv"} {
		out := mustOK(t, verso(t, db, "", "suite", "export", "sentiment", "--format", f)).stdout
		file := filepath.Join(dir, "back."+f)
		os.WriteFile(file, []byte(out), 0o600)
		mustOK(t, verso(t, db, "", "suite", "import", "sentiment", file, "--suite", "copy-"+f))
		again := mustOK(t, verso(t, db, "", "suite", "export", "sentiment", "--suite", "copy-"+f, "--format", f)).stdout
		if again != out {
			t.Fatalf("%s round trip differs:\n%s\n---\n%s", f, out, again)
		}
	}
	r = mustOK(t, verso(t, db, "", "suite", "list", "sentiment"))
	if !strings.Contains(r.stdout, "copy-csv") {
		t.Fatal(r.stdout)
	}
	// An invalid assertion is refused naming the case, and nothing changes.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("tests:\n  - description: fine\n    assert: [{type: contains, value: x}]\n  - description: broken\n    assert: [{type: regex, value: 'a(b'}]\n"), 0o600)
	r = verso(t, db, "", "suite", "import", "sentiment", bad)
	if r.code != 2 || !strings.Contains(r.stderr, "case 2 (broken): assertion 1: regex: bad pattern") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	r = verso(t, db, "", "suite", "import", "nope", filepath.Join(dir, "cases.yaml"))
	if r.code != 2 || !strings.Contains(r.stderr, "nope") {
		t.Fatalf("unknown prompt: exit %d: %s", r.code, r.stderr)
	}
	r = verso(t, db, "", "suite", "import", "sentiment", filepath.Join(dir, "cases.txt"))
	if r.code != 2 || !strings.Contains(r.stderr, "unknown suite format") {
		t.Fatalf("bad extension: exit %d: %s", r.code, r.stderr)
	}
}

func TestEvalReportsAndExitCodes(t *testing.T) {
	db, dir := evalDB(t, 6)
	// Every case passes: exit 0, a table.
	r := verso(t, db, "", "eval", "sentiment@1", "sentiment@2", "--model", "demo/demo-small")
	if r.code != 0 || !strings.Contains(r.stdout, "PASS RATE") || !strings.Contains(r.stdout, "All 12 passed.") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "run 1: sentiment@1,@2 x 1 models x 6 cases x 1 = 12 calls") {
		t.Fatalf("stderr: %s", r.stderr)
	}
	// The second run is answered from the cache (across processes).
	r = mustOK(t, verso(t, db, "", "eval", "sentiment@1", "sentiment@2", "--model", "demo/demo-small", "--format", "json"))
	var doc struct {
		Schema int `json:"schema"`
		Run    struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"run"`
		Summary struct {
			Total, Cached int
			Columns       []map[string]any
		} `json:"summary"`
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if doc.Schema != 1 || doc.Run.Status != "done" || doc.Summary.Total != 12 || doc.Summary.Cached != 12 || len(doc.Results) != 12 || len(doc.Summary.Columns) != 2 {
		t.Fatalf("%+v", doc)
	}
	// A failing assertion: exit 1, the failure listed; JUnit to a file.
	os.WriteFile(filepath.Join(dir, "strict.yaml"), []byte("tests:\n  - description: exact\n    vars: {review: great}\n    assert: [{type: equals, value: 'no model says this'}]\n"), 0o600)
	mustOK(t, verso(t, db, "", "suite", "import", "sentiment", filepath.Join(dir, "strict.yaml"), "--suite", "strict"))
	out := filepath.Join(dir, "report.xml")
	r = verso(t, db, "", "eval", "sentiment@2", "--suite", "strict", "--format", "junit", "--out", out)
	if r.code != 1 || !strings.Contains(r.stderr, "0 passed, 1 failed, 0 errors of 1; report in") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	x, _ := os.ReadFile(out)
	var ju struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name string `xml:"name,attr"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(x, &ju); err != nil || ju.Tests != 1 || ju.Failures != 1 || ju.Suites[0].Name != "sentiment@2 demo/demo-large" {
		t.Fatalf("%v %+v\n%s", err, ju, x)
	}
	r = verso(t, db, "", "eval", "sentiment@2", "--suite", "strict")
	if r.code != 1 || !strings.Contains(r.stdout, "✗ @2 demo/demo-large · exact") || !strings.Contains(r.stdout, `expected "no model says this"`) {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	// runs lists them.
	r = mustOK(t, verso(t, db, "", "runs", "sentiment", "--json"))
	var runs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &runs); err != nil || len(runs) != 4 || runs[0]["suite"] != "strict" || runs[3]["summary"] == nil {
		t.Fatalf("%v %s", err, r.stdout)
	}
	r = mustOK(t, verso(t, db, "", "runs", "sentiment"))
	if !strings.Contains(r.stdout, "RUN") || !strings.Contains(r.stdout, "@1,@2") {
		t.Fatal(r.stdout)
	}
}

func TestEvalBadUsage(t *testing.T) {
	db, _ := evalDB(t, 2)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"eval"}, "expected at least one REF"},
		{[]string{"eval", "sentiment", "--format", "xml"}, "unknown --format"},
		{[]string{"eval", "sentiment", "--suite", "nope"}, `has no suite "nope"`},
		{[]string{"eval", "sentiment@1"}, "has no model in its config: pass --model"},
		{[]string{"eval", "sentiment@9", "--model", "demo/demo-small"}, "sentiment"},
		{[]string{"eval", "sentiment", "--model", "nope/x/y", "--concurrency", "0"}, "at least 1"},
		{[]string{"eval", "sentiment", "--model", "openai/gpt-4o-mini"}, "export OPENAI_API_KEY"},
		{[]string{"eval", "--resume", "99"}, "no run 99"},
	} {
		r := verso(t, db, "", c.args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 1 {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// slowDemo starts a demo model server in the test process and writes a
// config file that points the demo provider at it.
func slowDemo(t *testing.T, dir string, o modelserver.Options) string {
	t.Helper()
	srv, err := modelserver.Start("127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("providers:\n  demo:\n    base_url: "+srv.URL()+"\n"), 0o600)
	return cfg
}

// startEval starts `verso eval` in the background with the config file cfg.
func startEval(t *testing.T, db, cfg string, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(versoBin(), append([]string{"--db", db}, args...)...)
	cmd.Env = append(testEnv(t), "VERSO_CONFIG="+cfg)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out, &errb
}

// waitResults waits until the run has at least n results in the file.
func waitResults(t *testing.T, db string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if st, err := store.OpenWith(db, store.Options{ReadOnly: true}); err == nil {
			rs, _ := st.Results(context.Background(), 1)
			st.Close()
			if len(rs) >= n {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no %d results after 20s", n)
}

func checkRun(t *testing.T, db string, id int64, status string, complete int) int {
	t.Helper()
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var ic string
	if err := rawSQL(t, db).QueryRow("PRAGMA integrity_check").Scan(&ic); err != nil || ic != "ok" {
		t.Fatalf("integrity_check %q %v", ic, err)
	}
	run, err := st.Run(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != status {
		t.Fatalf("run status %s, want %s", run.Status, status)
	}
	rs, _ := st.Results(context.Background(), id)
	seen := map[string]bool{}
	for _, r := range rs {
		k := fmt.Sprint(r.Version, r.Model, r.CaseID, r.Repeat)
		if seen[k] {
			t.Fatalf("duplicate result %s", k)
		}
		seen[k] = true
	}
	if complete > 0 && len(rs) != complete {
		t.Fatalf("%d results, want %d", len(rs), complete)
	}
	return len(rs)
}

func TestEvalKill9AndResume(t *testing.T) {
	db, dir := evalDB(t, 100)
	cfg := slowDemo(t, dir, modelserver.Options{Latency: 25 * time.Millisecond})
	cmd, _, _ := startEval(t, db, cfg, "eval", "sentiment@1", "sentiment@2", "--model", "demo/demo-small", "--concurrency", "4")
	waitResults(t, db, 20)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	// The killed process's lease is gone: the run reads as interrupted.
	n := checkRun(t, db, 1, store.RunInterrupted, 0)
	if n >= 200 {
		t.Fatalf("the run finished before the kill (%d results)", n)
	}
	r := mustOK(t, verso(t, db, "", "runs", "sentiment"))
	if !strings.Contains(r.stdout, "interrupted") || !strings.Contains(r.stdout, "run 1 was interrupted (its process is gone): resume it with `verso eval --resume 1`") {
		t.Fatalf("runs: %s", r.stdout)
	}
	cmd, out, errb := startEval(t, db, cfg, "eval", "--resume", "1", "--concurrency", "16")
	if err := cmd.Wait(); err != nil || !strings.Contains(out.String(), "All 200 passed.") {
		t.Fatalf("resume: %v\n%s\n%s", err, out.String(), errb.String())
	}
	checkRun(t, db, 1, store.RunDone, 200)
}

// TestEvalSecondResumeRefused: while one process resumes a run, a second
// `verso eval --resume` of it refuses (exit 2) before calling any model.
func TestEvalSecondResumeRefused(t *testing.T) {
	db, dir := evalDB(t, 60)
	srv, err := modelserver.Start("127.0.0.1:0", modelserver.Options{Latency: 40 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("providers:\n  demo:\n    base_url: "+srv.URL()+"\n"), 0o600)
	first, _, _ := startEval(t, db, cfg, "eval", "sentiment@2", "--model", "demo/demo-small", "--concurrency", "1")
	waitResults(t, db, 2)
	r := versoWith(t, []string{"VERSO_CONFIG=" + cfg}, db, "", "eval", "--resume", "1")
	if r.code != 2 || !strings.Contains(r.stderr, "run 1 is in progress in another process") || !strings.Contains(r.stderr, "`verso eval --resume 1`") ||
		strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("second resume: %+v", r)
	}
	first.Process.Signal(os.Interrupt)
	first.Wait()
	checkRun(t, db, 1, store.RunCancelled, 0)
}

func TestEvalInterrupt(t *testing.T) {
	db, dir := evalDB(t, 100)
	cfg := slowDemo(t, dir, modelserver.Options{Latency: 25 * time.Millisecond})
	cmd, out, errb := startEval(t, db, cfg, "eval", "sentiment@2", "--concurrency", "2")
	waitResults(t, db, 10)
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != 1 || !strings.Contains(errb.String(), "verso: run 1 cancelled: resume with `verso eval --resume 1`") {
		t.Fatalf("exit %d\nstderr: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "Run 1 · sentiment · suite default · cancelled") || !strings.Contains(out.String(), "the run did not finish") {
		t.Fatalf("stdout: %s", out.String())
	}
	n := checkRun(t, db, 1, store.RunCancelled, 0)
	if n < 10 || n >= 100 {
		t.Fatalf("%d results kept", n)
	}
}
