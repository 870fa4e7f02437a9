package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
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

// The mistyped-name suggestions are testdata/script/suggestions.txtar.

// Names stored before validation existed (or by another tool) are printed
// sanitised: `verso labels` once retitled the tmux pane.
func TestListingsSanitiseNames(t *testing.T) {
	db := newDB(t)
	mustOK(t, verso(t, db, "one", "commit", "p"))
	sdb := rawSQL(t, db)
	evil := "prod\x1b]2;pwned\x07\u202e\u200b"
	ctx := context.Background()
	if _, err := sdb.ExecContext(ctx, `INSERT INTO labels (prompt_id, name, version, updated_at, actor) VALUES (1, ?, 1, 0, ?)`, evil, evil); err != nil {
		t.Fatal(err)
	}
	if _, err := sdb.ExecContext(ctx, `INSERT INTO label_events (prompt_id, label, from_version, to_version, actor, at, reason) VALUES (1, ?, NULL, 1, ?, 0, ?)`, evil, evil, evil); err != nil {
		t.Fatal(err)
	}
	sdb.Close()
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

// `verso demo --db FILE` deleted a real registry whose prompts were tagged
// synthetic. Only a file the demo marked as its own is replaced.
func TestDemoReplacesOnlyMarkedFiles(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "mine.db")
	mustOK(t, verso(t, mine, "Hello {{name}}", "commit", "p1", "--tag", "synthetic"))
	wantErr(t, verso(t, mine, "", "demo", "--no-tui", "--db", mine), 2, "did not build", "refusing to replace it")
	mustOK(t, verso(t, mine, "", "show", "p1"))

	demoDB := filepath.Join(dir, "demo.db")
	mustOK(t, verso(t, "", "", "demo", "--no-tui", "--prompts", "3", "--versions", "2", "--db", demoDB))
	mustOK(t, verso(t, "", "", "demo", "--no-tui", "--db", demoDB))
	mustOK(t, verso(t, demoDB, "", "show", "support/reply"))
}

// The demo file was deleted under a process writing to it (whose run then
// vanished with exit 0). A demo another process has open is not replaced.
func TestDemoRefusesAFileInUse(t *testing.T) {
	demoDB := filepath.Join(t.TempDir(), "demo.db")
	mustOK(t, verso(t, "", "", "demo", "--no-tui", "--db", demoDB))
	st, err := store.Open(demoDB)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ListPrompts(context.Background(), store.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, verso(t, "", "", "demo", "--no-tui", "--db", demoDB), 2, "has open", "pid "+strconv.Itoa(os.Getpid()))
	st.Close()
	mustOK(t, verso(t, "", "", "demo", "--no-tui", "--db", demoDB))
}

// Files that are not what they seem, through the CLI: refused with one
// line, exit 2, nothing created, and never a hang.
func TestDatabasePathsThatAreNotFiles(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "typo", "sub", "v.db")
	wantErr(t, verso(t, missing, "x", "commit", "p"), 2, "folder "+filepath.Join(dir, "typo", "sub")+" does not exist")
	if _, err := os.Stat(filepath.Join(dir, "typo")); err == nil {
		t.Error("the folder tree was created")
	}
	link := filepath.Join(dir, "link.db")
	os.Symlink(filepath.Join(dir, "target.db"), link)
	wantErr(t, verso(t, link, "x", "commit", "p"), 2, "symbolic link to", "does not exist")
	if _, err := os.Lstat(filepath.Join(dir, "target.db")); err == nil {
		t.Error("the link's target was created")
	}
	fifo := filepath.Join(dir, "pipe.db")
	syscall.Mkfifo(fifo, 0o600)
	wantErr(t, verso(t, fifo, "", "list"), 2, "named pipe")
	wantErr(t, verso(t, fifo, "x", "commit", "p"), 2, "named pipe")
	wantErr(t, verso(t, "/dev/zero", "x", "commit", "p"), 2, "character device")

	empty := filepath.Join(dir, "empty.db")
	os.WriteFile(empty, nil, 0o644)
	wantErr(t, verso(t, empty, "", "list"), 2, "is an empty file, not a Verso registry yet")
	mustOK(t, verso(t, empty, "x", "commit", "p"))
	if fi, _ := os.Stat(empty); fi.Mode().Perm() != 0o600 {
		t.Errorf("empty file turned registry has mode %v", fi.Mode().Perm())
	}
}

// A read-only folder holding a WAL database whose -wal has committed frames
// and no -shm served the old state with exit 0.
func TestStaleWALInReadOnlyFolder(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run verso as another user (the store test covers the same path)")
	}
	dir, err := os.MkdirTemp("", "verso-stale-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	src := filepath.Join(t.TempDir(), "v.db")
	mustOK(t, verso(t, src, "v1", "commit", "p"))
	st, err := store.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rawSQL(t, src).ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	if _, err := st.Commit(ctx, store.CommitInput{Name: "p", Template: "v2"}); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "v.db")
	for _, s := range []string{"", "-wal"} {
		b, _ := os.ReadFile(src + s)
		os.WriteFile(db+s, b, 0o644)
	}
	st.Close()
	r := versoAs(t, 65534, db, "", "show", "p")
	wantErr(t, r, 2, "committed changes in v.db-wal")
	if strings.Contains(r.stdout, "v1") {
		t.Fatalf("served the old state: %s", r.stdout)
	}
}
