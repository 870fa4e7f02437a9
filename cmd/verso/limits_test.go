package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunSizeIsCheckedFirst: a run past the confirmation limit needs --yes,
// a run past the hard limit or with absurd repeats is refused, each with a
// one-line reason, and no run row is created for a refused run.
func TestRunSizeIsCheckedFirst(t *testing.T) {
	db, _ := evalDB(t, 3)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--repeat", "2000"}, "--repeat 2000: at most 1000"},
		{[]string{"--repeat", "1000000"}, "--repeat 1000000: at most 1000"},
		{[]string{"--repeat", "1000", "--model", "demo/demo-small", "--model", "demo/demo-large"},
			"this run makes 12,000 calls (2 versions x 2 models x 3 cases x 1000 repeats), more than 10,000: pass --yes to run it"},
	} {
		r := verso(t, db, "", append([]string{"eval", "sentiment@1", "sentiment@2"}, c.args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q, want %q", c.args, r.code, r.stderr, c.want)
		}
	}
	r := mustOK(t, verso(t, db, "", "runs", "sentiment", "--json"))
	if strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("refused runs left rows: %s", r.stdout)
	}
	// Under the limit, no --yes is needed.
	mustOK(t, verso(t, db, "", "eval", "sentiment@2", "--repeat", "3"))
}

// TestLargeInputsAreRefusedEarly: a template past the version size limit
// and a suite past the case limit are refused with the limit named.
func TestLargeInputsAreRefusedEarly(t *testing.T) {
	db := newDB(t)
	r := verso(t, db, strings.Repeat("x", 3<<20), "commit", "big", "-m", "m")
	if r.code != 2 || !strings.Contains(r.stderr, "stdin is larger than 1536 KiB: a version holds at most 1 MiB") {
		t.Errorf("3 MiB template: %+v", r)
	}
	r = verso(t, db, strings.Repeat("x", 1<<20+10), "commit", "big", "-m", "m")
	if r.code != 2 || !strings.Contains(r.stderr, "the content is 1.0 MiB: a version holds at most 1 MiB") {
		t.Errorf("1 MiB + 10 template: %+v", r)
	}
	mustOK(t, verso(t, db, "hello {{q}}", "commit", "p", "-m", "m"))
	dir := t.TempDir()
	file := filepath.Join(dir, "cases.jsonl")
	os.WriteFile(file, []byte(strings.Repeat(`{"q": "a"}`+"\n", 11)), 0o600)
	r = verso(t, db, "", "suite", "import", "p", file, "--max-cases", "10")
	if r.code != 2 || !strings.Contains(r.stderr, "more than 10 cases: split the suite (or raise the limit with --max-cases)") {
		t.Errorf("11 cases: %+v", r)
	}
	mustOK(t, verso(t, db, "", "suite", "import", "p", file, "--max-cases", "11"))
}
