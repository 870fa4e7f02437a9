package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/seed94f0f622/verso/internal/pgtest"
	"github.com/seed94f0f622/verso/store"
)

// newDB is a new registry for one test: a file, or with
// VERSO_TEST_BACKEND=postgres a new PostgreSQL database (the CLI's tests
// run on both backends, see internal/pgtest).
func newDB(t *testing.T) string {
	if os.Getenv(pgtest.BackendEnv) == "postgres" {
		return pgtest.NewDatabase(t)
	}
	return filepath.Join(t.TempDir(), "verso.db")
}

// sqlExec runs raw SQL on the registry at db, as a program that knows
// nothing of Verso would ('?' placeholders; the test queries hold no
// literal '?').
func sqlExec(t *testing.T, db, q string, args ...any) {
	t.Helper()
	if store.IsPostgres(db) {
		n := 0
		q = regexp.MustCompile(`\?`).ReplaceAllStringFunc(q, func(string) string { n++; return fmt.Sprintf("$%d", n) })
		pgtest.Exec(t, db, q, args...)
		return
	}
	sdb, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	if _, err := sdb.Exec(q, args...); err != nil {
		t.Fatal(err)
	}
}

// rawSQL opens a plain database/sql handle on the registry at path, for
// what no verso command does (a foreign writer, a checkpoint, an integrity
// check); it is closed when the test ends.
func rawSQL(t *testing.T, path string) *sql.DB {
	t.Helper()
	if store.IsPostgres(path) {
		t.Skip("reaches into the SQLite file with raw SQL; the same checks on PostgreSQL are in the store's tests")
	}
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestForeignFilesAreRefusedUntouched(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte(strings.Repeat("not a database\n", 20)), 0o644)
	other := filepath.Join(dir, "app.db")
	sdb, _ := sql.Open("sqlite", other)
	sdb.Exec(`CREATE TABLE users (id INTEGER)`)
	sdb.Close()
	for _, path := range []string{text, other} {
		before, _ := os.ReadFile(path)
		past := time.Now().Add(-time.Hour).Truncate(time.Second)
		os.Chtimes(path, past, past)
		for _, args := range [][]string{{"list"}, {"commit", "p"}} {
			r := verso(t, path, "x", args...)
			if r.code != 2 || !strings.Contains(r.stderr, "not a Verso") {
				t.Errorf("%s %v: %+v", filepath.Base(path), args, r)
			}
		}
		after, _ := os.ReadFile(path)
		fi, _ := os.Stat(path)
		if string(after) != string(before) || !fi.ModTime().Equal(past) {
			t.Errorf("%s was modified", filepath.Base(path))
		}
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	db := newDB(t)
	mustOK(t, verso(t, db, "x", "commit", "p"))
	known := store.SchemaVersion
	if store.IsPostgres(db) {
		sqlExec(t, db, `UPDATE verso_schema SET version = 42`)
		known = store.PostgresSchemaVersion
	} else {
		sqlExec(t, db, `PRAGMA user_version = 42`)
	}
	r := verso(t, db, "", "list")
	if r.code != 2 || !strings.Contains(r.stderr, "schema version 42") || !strings.Contains(r.stderr, fmt.Sprintf("knows up to %d", known)) {
		t.Fatalf("%+v", r)
	}
}

// TestReadOnlyDatabase opens a file the user may only read, in a folder the
// user may not write to (SQLite cannot create its WAL side files there). As
// root, permissions do not apply, so the commands run as nobody.
func TestReadOnlyDatabase(t *testing.T) {
	dir, err := os.MkdirTemp("", "verso-ro-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	db := filepath.Join(dir, "ro.db")
	mustOK(t, verso(t, db, "x {{a}}", "commit", "p"))
	os.Chmod(db, 0o444)
	run := func(in string, args ...string) result {
		if os.Geteuid() != 0 {
			os.Chmod(dir, 0o555)
			defer os.Chmod(dir, 0o755)
			return verso(t, db, in, args...)
		}
		return versoAs(t, 65534, db, in, args...)
	}
	r := run("", "show", "p")
	if r.code != 0 || !strings.Contains(r.stdout, "x {{a}}") {
		t.Fatalf("read on a read-only file: %+v", r)
	}
	r = run("y", "commit", "p")
	if r.code != 2 || !strings.Contains(r.stderr, "read-only") {
		t.Fatalf("write on a read-only file: %+v", r)
	}
	r = run("", "label", "p", "1", "staging")
	if r.code != 2 || !strings.Contains(r.stderr, "read-only") {
		t.Fatalf("label on a read-only file: %+v", r)
	}
}

func TestLabelRollbackLabels(t *testing.T) {
	db := newDB(t)
	for _, s := range []string{"a", "b", "c"} {
		mustOK(t, verso(t, db, s, "commit", "p", "-m", s))
	}
	mustOK(t, verso(t, db, "", "label", "p", "1", "production", "--reason", "launch"))
	mustOK(t, verso(t, db, "", "label", "p", "3", "staging"))
	r := mustOK(t, verso(t, db, "", "label", "p", "staging", "production", "--reason", "promote staging"))
	if r.stdout != "p: production v1 -> v3\n" {
		t.Fatalf("promote: %q", r.stdout)
	}
	r = mustOK(t, verso(t, db, "", "rollback", "p", "production", "--reason", "c is rude"))
	if r.stdout != "p: production rolled back v3 -> v1\n" {
		t.Fatalf("rollback: %q", r.stdout)
	}
	r = mustOK(t, verso(t, db, "", "labels", "p", "--json"))
	var out struct {
		Labels []struct {
			Label   string `json:"label"`
			Version int    `json:"version"`
		} `json:"labels"`
		History []struct {
			Label  string `json:"label"`
			From   *int   `json:"from"`
			To     *int   `json:"to"`
			Actor  string `json:"actor"`
			Reason string `json:"reason"`
		} `json:"history"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Labels) != 2 || out.Labels[0].Label != "production" || out.Labels[0].Version != 1 {
		t.Fatalf("labels: %+v", out.Labels)
	}
	h := out.History
	if len(h) != 4 || h[0].From != nil || *h[0].To != 1 || *h[2].From != 1 || *h[2].To != 3 || h[3].Reason != "rollback: c is rude" || h[3].Actor != "tester" {
		t.Fatalf("history: %+v", h)
	}
	r = mustOK(t, verso(t, db, "", "labels", "p"))
	if !strings.Contains(r.stdout, "new -> v1") || !strings.Contains(r.stdout, "rollback: c is rude") {
		t.Fatalf("labels table:\n%s", r.stdout)
	}
}

func TestDiff(t *testing.T) {
	db := newDB(t)
	mustOK(t, verso(t, db, "line one\nthe quick brown fox\nline three\n", "commit", "p", "--model", "a"))
	mustOK(t, verso(t, db, "line one\nthe quick red fox\nline three\n", "commit", "p", "--model", "b"))
	mustOK(t, verso(t, db, "", "label", "p", "1", "production"))
	r := mustOK(t, verso(t, db, "", "diff", "p", "production", "2"))
	for _, want := range []string{"model", "a → b", "--- p v1 [production]", "+++ p v2", "- the quick brown fox", "+ the quick red fox"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("unified diff lacks %q:\n%s", want, r.stdout)
		}
	}
	r = mustOK(t, verso(t, db, "", "diff", "p", "1", "2", "--side-by-side", "--width", "120"))
	for _, line := range strings.Split(strings.TrimRight(r.stdout, "\n"), "\n") {
		if w := len([]rune(line)); w > 120 {
			t.Fatalf("line wider than 120: %d %q", w, line)
		}
	}
	if !strings.Contains(r.stdout, "brown") || !strings.Contains(r.stdout, "red") || strings.Contains(r.stdout, "\x1b[") {
		t.Fatalf("side by side:\n%s", r.stdout)
	}
	r = mustOK(t, verso(t, db, "", "diff", "p", "1", "2", "--color", "always"))
	if !strings.Contains(r.stdout, "\x1b[") {
		t.Fatal("--color always printed no colour")
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	src := newDB(t)
	mustOK(t, verso(t, src, "Dear {{name}} <b>&</b>\nsecond line", "commit", "support/reply", "-m", "one"))
	mustOK(t, verso(t, src, "Hi {{name}}", "commit", "support/reply", "-m", "two"))
	mustOK(t, verso(t, src, "- role: user\n  content: '{{q}}'\n", "commit", "bot", "--chat"))
	mustOK(t, verso(t, src, "", "label", "support/reply", "1", "production"))
	mustOK(t, verso(t, src, "", "label", "bot", "1", "production"))

	first := mustOK(t, verso(t, src, "", "export", "--label", "production", "--format", "json")).stdout
	again := mustOK(t, verso(t, src, "", "export", "--label", "production", "--format", "json")).stdout
	if first != again {
		t.Fatal("export is not byte-identical across runs")
	}
	dir := filepath.Join(t.TempDir(), "prompts")
	mustOK(t, verso(t, src, "", "export", "--label", "production", "--format", "dir", "--out", dir))
	if _, err := os.Stat(filepath.Join(dir, "support", "reply.yaml")); err != nil {
		t.Fatalf("dir export: %v", err)
	}
	dst := newDB(t)
	r := mustOK(t, verso(t, dst, "", "import", dir))
	if !strings.Contains(r.stdout, "imported 2 prompts: 2 new versions, 0 unchanged, 2 label moves") {
		t.Fatalf("import: %s", r.stdout)
	}
	back := mustOK(t, verso(t, dst, "", "export", "--label", "production", "--format", "json")).stdout
	if back != first {
		t.Fatalf("export -> import -> export differs:\n%s\n---\n%s", first, back)
	}
	r = mustOK(t, verso(t, dst, "", "import", dir))
	if !strings.Contains(r.stdout, "0 new versions, 2 unchanged, 0 label moves") {
		t.Fatalf("re-import: %s", r.stdout)
	}
	// A full export carries every version, and the rollouts: a paused one
	// goes on in the file it is imported into.
	mustOK(t, verso(t, src, "", "rollout", "start", "support/reply", "--to", "2", "--every", "30m", "--guard", "error_rate<=+2pp", "--min-requests", "40"))
	mustOK(t, verso(t, src, "", "rollout", "pause", "support/reply", "--reason", "wait for Monday"))
	full := filepath.Join(t.TempDir(), "full.yaml")
	mustOK(t, verso(t, src, "", "export", "--format", "yaml", "--out", full))
	dst2 := newDB(t)
	mustOK(t, verso(t, dst2, "", "import", full))
	a := mustOK(t, verso(t, src, "", "export")).stdout
	b := mustOK(t, verso(t, dst2, "", "export")).stdout
	if a != b {
		t.Fatalf("full round trip differs:\n%s\n---\n%s", a, b)
	}
	if !strings.Contains(a, `"rollouts"`) || !strings.Contains(a, `"error_rate<=+2pp"`) {
		t.Fatalf("the full export has no rollout:\n%s", a)
	}
	// (the time of the status itself aside)
	now := regexp.MustCompile(`\n\s*"at": "[^"]*",`)
	sa := now.ReplaceAllString(mustOK(t, verso(t, src, "", "rollout", "status", "support/reply", "--json")).stdout, "")
	sb := now.ReplaceAllString(mustOK(t, verso(t, dst2, "", "rollout", "status", "support/reply", "--json")).stdout, "")
	if sa != sb || !strings.Contains(sb, `"paused"`) {
		t.Fatalf("rollout status differs after the round trip:\n%s\n---\n%s", sa, sb)
	}
	mustOK(t, verso(t, dst2, "", "rollout", "resume", "support/reply"))
}

func TestAuthorPrecedence(t *testing.T) {
	db := newDB(t)
	mustOK(t, verso(t, db, "x", "--author", "flagged", "commit", "p"))
	r := mustOK(t, verso(t, db, "", "history", "p", "--json"))
	if !strings.Contains(r.stdout, `"author": "flagged"`) {
		t.Fatalf("--author not used: %s", r.stdout)
	}
}

func TestDatabasePathResolution(t *testing.T) {
	work := t.TempDir()
	env := testEnv(t)
	run := func(extraEnv []string, args ...string) result {
		cmd := exec.Command(versoBin(), args...)
		cmd.Dir = work
		cmd.Env = append(append([]string{}, env...), extraEnv...)
		cmd.Stdin = strings.NewReader("hello")
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		return result{out.String(), errb.String(), code}
	}
	home := ""
	for _, kv := range env {
		if strings.HasPrefix(kv, "XDG_DATA_HOME=") {
			home = strings.TrimPrefix(kv, "XDG_DATA_HOME=")
		}
	}
	// No flag, no env, no ./verso.db: the XDG data folder (created).
	mustOK(t, run(nil, "commit", "xdg"))
	if _, err := os.Stat(filepath.Join(home, "verso", "verso.db")); err != nil {
		t.Fatalf("XDG database: %v", err)
	}
	// $VERSO_DB wins over XDG.
	envDB := filepath.Join(work, "env.db")
	mustOK(t, run([]string{"VERSO_DB=" + envDB}, "commit", "fromenv"))
	if _, err := os.Stat(envDB); err != nil {
		t.Fatalf("VERSO_DB: %v", err)
	}
	// ./verso.db, when it exists, wins over XDG but not over $VERSO_DB.
	mustOK(t, run(nil, "--db", filepath.Join(work, "verso.db"), "commit", "local"))
	if r := mustOK(t, run(nil, "list", "--json")); !strings.Contains(r.stdout, `"local"`) {
		t.Fatalf("./verso.db not used: %s", r.stdout)
	}
	if r := mustOK(t, run([]string{"VERSO_DB=" + envDB}, "list", "--json")); !strings.Contains(r.stdout, `"fromenv"`) {
		t.Fatalf("VERSO_DB not preferred: %s", r.stdout)
	}
	// A read command on a missing file does not create it.
	r := run([]string{"VERSO_DB=" + filepath.Join(work, "missing.db")}, "list")
	if r.code != 2 || !strings.Contains(r.stderr, "no database at") {
		t.Fatalf("missing db: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(work, "missing.db")); err == nil {
		t.Fatal("a read command created the database")
	}
}

func TestCommitConfigFileAndJSONChat(t *testing.T) {
	db := newDB(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "model.yaml")
	os.WriteFile(cfg, []byte("model: demo-large\ntemperature: 0.1\nmax_tokens: 300\nresponse_format: {type: json_object}\n"), 0o600)
	mustOK(t, verso(t, db, "Extract {{invoice}}", "commit", "extract/invoice", "--config", cfg, "--temperature", "0.4", "-m", "json"))
	r := mustOK(t, verso(t, db, "", "show", "extract/invoice", "--json"))
	var v struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatal(err)
	}
	// The file sets the config; a flag then overrides one key.
	if v.Config["model"] != "demo-large" || v.Config["temperature"] != 0.4 || v.Config["max_tokens"] != 300.0 || v.Config["response_format"] == nil {
		t.Fatalf("config: %+v", v.Config)
	}
	// The next version keeps it without --config.
	mustOK(t, verso(t, db, "Extract the fields of {{invoice}}", "commit", "extract/invoice"))
	if r := mustOK(t, verso(t, db, "", "show", "extract/invoice@2", "--json")); !strings.Contains(r.stdout, `"model": "demo-large"`) {
		t.Fatalf("config not kept: %s", r.stdout)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("modle: typo\n"), 0o600)
	r = verso(t, db, "x", "commit", "extract/invoice", "--config", bad)
	if r.code != 2 || !strings.Contains(r.stderr, "model config "+bad) || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("bad config: %+v", r)
	}
	// --chat reads JSON as well as YAML.
	mustOK(t, verso(t, db, `[{"role":"system","content":"Be brief."},{"role":"user","content":"{{q}}"}]`, "commit", "bot", "--chat"))
	if r := mustOK(t, verso(t, db, "", "show", "bot", "--var", "q=hi")); r.stdout != "## system\nBe brief.\n\n## user\nhi\n" {
		t.Fatalf("json chat: %q", r.stdout)
	}
}
