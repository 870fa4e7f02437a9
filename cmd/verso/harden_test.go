package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/store"
)

// wantErr fails unless r exited with code and its stderr is one line
// holding every want.
func wantErr(t *testing.T, r result, code int, wants ...string) {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.stdout, r.stderr)
	}
	if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("stderr is not one line: %q", r.stderr)
	}
	for _, w := range wants {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q lacks %q", r.stderr, w)
		}
	}
}

func TestMistypedCommandsSuggest(t *testing.T) {
	wantErr(t, verso(t, "", "", "shwo"), 2, `unknown command "shwo"`, `did you mean "show"?`)
	wantErr(t, verso(t, "", "", "rolback"), 2, `did you mean "rollback"?`)
	wantErr(t, verso(t, "", "", "suite", "improt"), 2, `did you mean "import"?`)
	wantErr(t, verso(t, "", "", "xyzzy"), 2, "unknown command", "verso --help")
}

func TestRollbackSuggestsNames(t *testing.T) {
	db := newDB(t)
	mustOK(t, verso(t, db, "one", "commit", "support/reply"))
	mustOK(t, verso(t, db, "two", "commit", "support/reply"))
	mustOK(t, verso(t, db, "", "label", "support/reply", "1", "staging"))
	mustOK(t, verso(t, db, "", "label", "support/reply", "2", "staging"))
	wantErr(t, verso(t, db, "", "rollback", "suport/reply", "staging"), 2, `did you mean "support/reply"?`)
	wantErr(t, verso(t, db, "", "rollback", "support/reply", "stagign"), 2, `did you mean "staging"?`)
	wantErr(t, verso(t, db, "", "rollback", "support/reply", "canary"), 2, `no label "canary"`, "verso labels support/reply")
	r := mustOK(t, verso(t, db, "", "rollback", "support/reply", "staging"))
	if !strings.Contains(r.stdout, "v2 -> v1") {
		t.Fatal(r.stdout)
	}
}

// Names stored before validation existed (or by another tool) are printed
// sanitised: `verso labels` once retitled the tmux pane.
func TestListingsSanitiseNames(t *testing.T) {
	db := newDB(t)
	mustOK(t, verso(t, db, "one", "commit", "p"))
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	evil := "prod\x1b]2;pwned\x07\u202e\u200b"
	ctx := context.Background()
	if _, err := st.DB().ExecContext(ctx, `INSERT INTO labels (prompt_id, name, version, updated_at, actor) VALUES (1, ?, 1, 0, ?)`, evil, evil); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().ExecContext(ctx, `INSERT INTO label_events (prompt_id, label, from_version, to_version, actor, at, reason) VALUES (1, ?, NULL, 1, ?, 0, ?)`, evil, evil, evil); err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, args := range [][]string{{"labels", "p"}, {"list"}, {"show", "p"}, {"history", "p"}} {
		r := mustOK(t, verso(t, db, "", args...))
		if strings.ContainsAny(r.stdout+r.stderr, "\x1b\x07\u202e") {
			t.Errorf("%v printed raw controls: %q", args, r.stdout)
		}
	}
}

// One set of rules for JSON and YAML inputs.
func TestJSONAndYAMLInputsOneRuleSet(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	// Python's json.dumps writes emoji as surrogate-pair escapes.
	chat := filepath.Join(dir, "chat.json")
	os.WriteFile(chat, []byte(`[{"role": "system", "content": "Smile \ud83d\ude00"}, {"role": "user", "content": "{{q}}"}]`), 0o600)
	mustOK(t, verso(t, db, "", "commit", "bot", "--chat", "-f", chat))
	mustOK(t, verso(t, db, `[{"role": "user", "content": "\ud83d\ude00 {{q}}"}]`, "commit", "bot2", "--chat"))
	if r := mustOK(t, verso(t, db, "", "show", "bot", "--json")); !strings.Contains(r.stdout, "Smile 😀") {
		t.Fatal(r.stdout)
	}
	suite := filepath.Join(dir, "cases.json")
	os.WriteFile(suite, []byte(`{"tests": [{"description": "smile \ud83d\ude00", "vars": {"q": "\ud83d\ude00"}, "assert": [{"type": "contains", "value": "\ud83d\ude00"}]}]}`), 0o600)
	mustOK(t, verso(t, db, "", "suite", "import", "bot", suite))

	// An unknown key is refused by name in both, with the whole message.
	cj := filepath.Join(dir, "model.json")
	os.WriteFile(cj, []byte(`{"model": "demo", "temprature": 0.2}`), 0o600)
	wantErr(t, verso(t, db, "x", "commit", "p", "--config", cj), 2, `unknown key "temprature"`)
	cy := filepath.Join(dir, "model.yaml")
	os.WriteFile(cy, []byte("model: demo\ntemprature: 0.2\nmax_tokens: lots\n"), 0o600)
	wantErr(t, verso(t, db, "x", "commit", "p", "--config", cy), 2, `line 2: unknown key "temprature"`, "line 3")
	// Duplicate keys, in JSON too.
	os.WriteFile(cj, []byte(`{"model": "a", "model": "b"}`), 0o600)
	wantErr(t, verso(t, db, "x", "commit", "p", "--config", cj), 2, `key "model" appears twice`)
	os.WriteFile(chat, []byte(`[{"role": "user", "content": "a", "Content": "b"}]`), 0o600)
	wantErr(t, verso(t, db, "", "commit", "bot", "--chat", "-f", chat), 2, `unknown key "Content"`)
	// Invalid UTF-8 is refused by name.
	wantErr(t, verso(t, db, "caf\xe9 {{x}}", "commit", "p"), 2, "template is not valid UTF-8")
}

// A crafted export cannot reach outside the export folder, through import
// or export; the CLI says how many files it wrote.
func TestCraftedExportStaysInItsFolder(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	crafted := filepath.Join(dir, "crafted.json")
	os.WriteFile(crafted, []byte(`{"verso_export": 1, "prompts": [{"name": "a/../../config", "versions": [{"kind": "text", "template": "x", "hash": ""}]}]}`), 0o600)
	wantErr(t, verso(t, db, "", "import", crafted), 2, "invalid prompt name")
	mustOK(t, verso(t, db, "x", "commit", "a"))
	mustOK(t, verso(t, db, "y", "commit", "b/c"))
	out := filepath.Join(dir, "out")
	r := mustOK(t, verso(t, db, "", "export", "--format", "dir", "--out", out))
	if !strings.Contains(r.stderr, "exported 2 prompts to 2 files") {
		t.Fatal(r.stderr)
	}
	os.Remove(filepath.Join(out, "a.yaml"))
	os.Symlink(filepath.Join(dir, "crafted.json"), filepath.Join(out, "a.yaml"))
	wantErr(t, verso(t, db, "", "export", "--format", "dir", "--out", out), 2, "symbolic link")
}
