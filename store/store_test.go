package store

import (
	"context"
	"database/sql"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newStore(t testing.TB) *Store {
	t.Helper()
	return newStoreAt(t, nil)
}

// newStoreAt is newStore with the clock given at open (nil: time.Now).
func newStoreAt(t testing.TB, clock func() time.Time) *Store {
	t.Helper()
	st, err := OpenWith(newLocation(t, "verso.db"), Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func commit(t testing.TB, st *Store, name, tpl string) Version {
	t.Helper()
	v, err := st.Commit(context.Background(), CommitInput{Name: name, Template: tpl, Message: "edit", Author: "ann"})
	if err != nil {
		t.Fatalf("commit %s: %v", name, err)
	}
	return v
}

func TestOpenCreatesPrivateFile(t *testing.T) {
	sqliteOnly(t)
	p := filepath.Join(t.TempDir(), "new.db")
	st, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode = %v, want 0600", fi.Mode().Perm())
	}
	// Reopening an existing Verso database works.
	st, err = Open(p)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
}

func TestCommitNumbersAndNoChange(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	v1 := commit(t, st, "support/reply", "Hello {{name}}")
	v2 := commit(t, st, "support/reply", "Hi {{name}}")
	if v1.Number != 1 || v2.Number != 2 || v2.Parent != 1 {
		t.Fatalf("numbers %d %d parent %d", v1.Number, v2.Number, v2.Parent)
	}
	v, err := st.Commit(ctx, CommitInput{Name: "support/reply", Template: "Hi {{name}}"})
	if !errors.Is(err, ErrNoChange) || v.Number != 2 {
		t.Fatalf("identical commit: v%d err %v", v.Number, err)
	}
	// Same content as an older version is a new version (a restore), with its parent.
	v3, err := st.Commit(ctx, CommitInput{Name: "support/reply", Template: "Hello {{name}}", Parent: 1, Message: "restore v1"})
	if err != nil || v3.Number != 3 || v3.Parent != 1 || v3.Hash != v1.Hash {
		t.Fatalf("restore: %+v %v", v3, err)
	}
	// Config is part of the content.
	temp := 0.2
	v4, err := st.Commit(ctx, CommitInput{Name: "support/reply", Template: "Hello {{name}}", Config: Config{Temperature: &temp}})
	if err != nil || v4.Number != 4 || v4.Hash == v3.Hash {
		t.Fatalf("config change: %+v %v", v4, err)
	}
	hist, err := st.History(ctx, "support/reply")
	if err != nil || len(hist) != 4 || hist[0].Number != 4 || *hist[0].Config.Temperature != 0.2 {
		t.Fatalf("history: %+v %v", hist, err)
	}
}

func TestCommitRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	for _, in := range []CommitInput{
		{Name: "Bad Name", Template: "x"},
		{Name: "/lead", Template: "x"},
		{Name: "ok", Template: "   "},
		{Name: "ok", Kind: KindChat},
		{Name: "ok", Kind: KindChat, Messages: []Message{{Role: "wizard", Content: "x"}}},
	} {
		if _, err := st.Commit(ctx, in); !errors.Is(err, ErrInvalid) {
			t.Errorf("commit %+v: err = %v, want ErrInvalid", in, err)
		}
	}
}

func TestChatHashIsStable(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	msgs := []Message{{Role: "system", Content: "You are kind."}, {Role: "user", Content: "{{q}}"}}
	cfg := Config{Model: "demo-large", ResponseFormat: map[string]any{"type": "json_object", "b": 1, "a": []any{1, 2}}}
	v, err := st.Commit(ctx, CommitInput{Name: "chat", Kind: KindChat, Messages: msgs, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	// Same content decoded from YAML-ish values (ints vs floats) is still no change.
	cfg2 := Config{Model: "demo-large", ResponseFormat: map[string]any{"a": []any{1.0, 2.0}, "b": 1.0, "type": "json_object"}}
	if _, err := st.Commit(ctx, CommitInput{Name: "chat", Kind: KindChat, Messages: msgs, Config: cfg2}); !errors.Is(err, ErrNoChange) {
		t.Fatalf("want no change, got %v", err)
	}
	got, err := st.Lookup(ctx, "chat")
	if err != nil || got.Kind != KindChat || len(got.Messages) != 2 || got.Hash != v.Hash {
		t.Fatalf("lookup: %+v %v", got, err)
	}
}

func TestResolveAndLookup(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	commit(t, st, "support/reply", "one")
	commit(t, st, "support/reply", "two")
	commit(t, st, "support/reply", "three")
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "support/reply", Label: "production", Version: 2, Actor: "ann"}); err != nil {
		t.Fatal(err)
	}
	for ref, want := range map[string]int{"support/reply@2": 2, "support/reply@v1": 1, "support/reply@latest": 3, "support/reply@production": 2} {
		v, err := st.Lookup(ctx, ref)
		if err != nil || v.Number != want {
			t.Errorf("Lookup(%s) = v%d, %v; want v%d", ref, v.Number, err, want)
		}
	}
	if v, _ := st.Lookup(ctx, "support/reply"); v.Number != 3 {
		t.Errorf("Lookup bare = v%d, want latest 3", v.Number)
	}
	if v, _ := st.Resolve(ctx, "support/reply"); v.Number != 2 || v.Template != "two" {
		t.Errorf("Resolve bare = v%d, want production 2", v.Number)
	}
	_, err := st.Lookup(ctx, "support/replyy")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `did you mean "support/reply"`) {
		t.Errorf("typo: %v", err)
	}
	if _, err := st.Lookup(ctx, "support/reply@9"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "latest is v3") {
		t.Errorf("missing version: %v", err)
	}
	if _, err := st.Lookup(ctx, "support/reply@canary"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "production") {
		t.Errorf("missing label: %v", err)
	}
	if _, err := st.Lookup(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
}

func TestLabelsHistoryAndRollback(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	for _, s := range []string{"a", "b", "c"} {
		commit(t, st, "p", s)
	}
	move := func(v int, reason string) {
		t.Helper()
		if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: v, Actor: "ann", Reason: reason}); err != nil {
			t.Fatal(err)
		}
	}
	move(1, "first")
	move(3, "ship c")
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 3}); !errors.Is(err, ErrNoChange) {
		t.Fatalf("same version: %v", err)
	}
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "latest", Version: 1}); !errors.Is(err, ErrLatestLabel) {
		t.Fatalf("latest: %v", err)
	}
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 7}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing version: %v", err)
	}
	ev, err := st.Rollback(ctx, RollbackInput{Prompt: "p", Label: "production", Actor: "bob", Reason: "c breaks refunds"})
	if err != nil || ev.From != 3 || ev.To != 1 || ev.Reason != "rollback: c breaks refunds" {
		t.Fatalf("rollback: %+v %v", ev, err)
	}
	if _, err := st.Rollback(ctx, RollbackInput{Prompt: "p", Label: "staging", Actor: "bob"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("rollback unknown label: %v", err)
	}
	hist, err := st.LabelHistory(ctx, "p")
	if err != nil || len(hist) != 3 {
		t.Fatalf("history: %+v %v", hist, err)
	}
	if hist[0].From != 0 || hist[0].To != 1 || hist[1].From != 1 || hist[1].To != 3 || hist[2].Actor != "bob" {
		t.Fatalf("history order: %+v", hist)
	}
	// Removing a protected label needs force and a reason.
	if _, err := st.RemoveLabel(ctx, RemoveLabelInput{Prompt: "p", Label: "production", Actor: "bob", Reason: "retire"}); !errors.Is(err, ErrGate) {
		t.Fatalf("removal without force: %v", err)
	}
	if _, err := st.RemoveLabel(ctx, RemoveLabelInput{Prompt: "p", Label: "production", Actor: "bob", Force: true}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("forced removal without a reason: %v", err)
	}
	if ev, err := st.RemoveLabel(ctx, RemoveLabelInput{Prompt: "p", Label: "production", Actor: "bob", Reason: "retire", Force: true}); err != nil || !ev.Forced || ev.To != 0 {
		t.Fatalf("forced removal: %+v %v", ev, err)
	}
	if ls, _ := st.Labels(ctx, "p"); len(ls) != 0 {
		t.Fatalf("labels after remove: %+v", ls)
	}
}

func TestImmutabilityEnforcedBySchema(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	commit(t, st, "p", "a")
	commit(t, st, "p", "b")
	st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 1})
	for _, q := range []string{
		`UPDATE versions SET template = 'hacked'`,
		`DELETE FROM versions`,
		`UPDATE label_events SET reason = 'hacked'`,
		`DELETE FROM label_events`,
		`INSERT INTO versions (prompt_id, number, kind, template, created_at, content_hash) VALUES (1, 5, 'text', 'gap', 0, 'x')`,
	} {
		if _, err := st.db.ExecContext(ctx, q); err == nil {
			t.Errorf("%s: succeeded, want abort", q)
		}
	}
	v, _ := st.Version(ctx, "p", 1)
	if v.Template != "a" {
		t.Fatalf("version changed: %q", v.Template)
	}
}

func TestRefusesForeignFilesUntouched(t *testing.T) {
	sqliteOnly(t) // TestPostgresRefusesForeignDatabaseUntouched on PostgreSQL
	dir := t.TempDir()
	notSQLite := filepath.Join(dir, "notes.txt")
	os.WriteFile(notSQLite, []byte("hello, not a database, but long enough to have a header of some sort ........................................................"), 0o644)

	otherSQLite := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite", otherSQLite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE customers (id INTEGER)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	for path, want := range map[string]error{notSQLite: ErrNotVerso, otherSQLite: ErrNotVerso} {
		before, _ := os.ReadFile(path)
		past := time.Now().Add(-time.Hour).Truncate(time.Second)
		os.Chtimes(path, past, past)
		_, err := Open(path)
		if !errors.Is(err, want) {
			t.Errorf("Open(%s) = %v, want %v", filepath.Base(path), err, want)
		}
		after, _ := os.ReadFile(path)
		fi, _ := os.Stat(path)
		if string(before) != string(after) || !fi.ModTime().Equal(past) {
			t.Errorf("%s was modified", filepath.Base(path))
		}
		if _, err := os.Stat(path + "-wal"); err == nil {
			t.Errorf("%s: a -wal file was created", filepath.Base(path))
		}
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	p := newLocation(t, "v.db")
	st, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if onPostgres() {
		st.db.Exec(`UPDATE verso_schema SET version = 99`)
	} else {
		st.db.Exec(`PRAGMA user_version = 99`)
	}
	st.Close()
	_, err = Open(p)
	if !errors.Is(err, ErrTooNew) || !strings.Contains(err.Error(), "99") || !strings.Contains(err.Error(), "upgrade verso") {
		t.Fatalf("err = %v", err)
	}
}

func TestReadOnlyFile(t *testing.T) {
	sqliteOnly(t) // TestPostgresReadOnly on PostgreSQL
	if os.Geteuid() == 0 {
		// root ignores file permissions; exercise the explicit read-only mode instead.
		t.Log("running as root: testing Options.ReadOnly")
	}
	p := filepath.Join(t.TempDir(), "ro.db")
	st, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, st, "p", "a")
	st.Close()
	os.Chmod(p, 0o400)
	ro, err := OpenWith(p, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if v, err := ro.Lookup(context.Background(), "p"); err != nil || v.Template != "a" {
		t.Fatalf("read: %v", err)
	}
	_, err = ro.Commit(context.Background(), CommitInput{Name: "p", Template: "b"})
	if !errors.Is(err, ErrReadOnly) {
		t.Fatalf("write on read-only: %v", err)
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := newStore(t)
	commit(t, src, "support/reply", "Dear {{name}},\n\n<b>Thanks</b> & regards")
	commit(t, src, "support/reply", "Hi {{name}}")
	src.Commit(ctx, CommitInput{Name: "chat/bot", Kind: KindChat, Messages: []Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: "{{q}}"}}})
	src.SetLabel(ctx, LabelInput{Prompt: "support/reply", Label: "production", Version: 1})
	src.SetLabel(ctx, LabelInput{Prompt: "chat/bot", Label: "production", Version: 1})

	for _, label := range []string{"production", ""} {
		doc, err := src.Export(ctx, ExportOptions{Label: label})
		if err != nil {
			t.Fatal(err)
		}
		first, _ := doc.JSON()
		again, _ := src.Export(ctx, ExportOptions{Label: label})
		second, _ := again.JSON()
		if string(first) != string(second) {
			t.Fatal("export is not deterministic")
		}
		if strings.Contains(string(first), `\u003c`) {
			t.Fatal("HTML-escaped export")
		}
		for _, format := range []string{"json", "yaml", "dir"} {
			dst := newStore(t)
			path := writeExport(t, doc, format)
			rep, err := dst.Import(ctx, path, "ci")
			if err != nil {
				t.Fatalf("import %s: %v", format, err)
			}
			if rep.Created == 0 {
				t.Fatalf("import %s created nothing", format)
			}
			back, _ := dst.Export(ctx, ExportOptions{Label: label})
			b, _ := back.JSON()
			if string(b) != string(first) {
				t.Fatalf("label %q format %s: round trip differs:\n%s\n---\n%s", label, format, first, b)
			}
			// Importing again is a no-op.
			rep, err = dst.Import(ctx, path, "ci")
			if err != nil || rep.Created != 0 || rep.Labels != 0 {
				t.Fatalf("re-import: %+v %v", rep, err)
			}
		}
	}
}

func TestImportIsAtomic(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	path := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(path, []byte("verso_export: 1\nprompts:\n  - name: good\n    versions:\n      - kind: text\n        template: fine\n  - name: Bad Name\n    versions:\n      - kind: text\n        template: x\n"), 0o644)
	if _, err := st.Import(ctx, path, "ci"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("err = %v", err)
	}
	if ps, _ := st.ListPrompts(ctx, ListOptions{}); len(ps) != 0 {
		t.Fatalf("half an import landed: %+v", ps)
	}
}

func TestListPrompts(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	st.Commit(ctx, CommitInput{Name: "b", Template: "x", Tags: []string{"support"}})
	commit(t, st, "a", "x")
	commit(t, st, "a", "y")
	st.SetLabel(ctx, LabelInput{Prompt: "a", Label: "staging", Version: 1})
	ps, err := st.ListPrompts(ctx, ListOptions{})
	if err != nil || len(ps) != 2 || ps[0].Name != "a" || ps[0].Latest != 2 || ps[0].Labels["staging"] != 1 || ps[0].LatestAuthor != "ann" {
		t.Fatalf("list: %+v %v", ps, err)
	}
	if ps, _ := st.ListPrompts(ctx, ListOptions{Tag: "support"}); len(ps) != 1 || ps[0].Name != "b" {
		t.Fatalf("tag filter: %+v", ps)
	}
	if ps, _ := st.ListPrompts(ctx, ListOptions{Label: "staging"}); len(ps) != 1 || ps[0].Name != "a" {
		t.Fatalf("label filter: %+v", ps)
	}
}

func TestGate(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	commit(t, st, "p", "a")
	commit(t, st, "p", "b")
	// Without a suite there is nothing to gate on.
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 1}); err != nil {
		t.Fatal(err)
	}
	su, err := st.SaveSuite(ctx, "p", Suite{Name: "default", Cases: []Case{{Name: "c1", Vars: map[string]any{"x": 1}}, {Name: "c2"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 2})
	var ge *GateError
	if !errors.As(err, &ge) || ge.Decision.Reason != GateNoRun || ge.Decision.Gate.DefaultSuite != "default" || !errors.Is(err, ErrGate) {
		t.Fatalf("ungated move: %v", err)
	}
	run, err := st.CreateRun(ctx, Run{Prompt: "p", Suite: "default", SuiteID: su.ID, Versions: []int{2}, Models: []string{"demo/demo-large"}, Total: 2})
	if err != nil {
		t.Fatal(err)
	}
	res := []Result{
		{RunID: run.ID, Version: 2, Model: "demo/demo-large", CaseID: su.Cases[0].ID, Pass: true},
		{RunID: run.ID, Version: 2, Model: "demo/demo-large", CaseID: su.Cases[1].ID, Pass: false},
	}
	if err := st.SaveBatch(ctx, res, nil); err != nil {
		t.Fatal(err)
	}
	st.FinishRun(ctx, run.ID, RunDone, nil)
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 2}); !errors.Is(err, ErrGate) || !strings.Contains(err.Error(), "1/2") {
		t.Fatalf("failing evidence: %v", err)
	}
	// Forced needs a reason, and is recorded as forced.
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 2, Force: true}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("force without reason: %v", err)
	}
	ev, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 2, Force: true, Reason: "hotfix"})
	if err != nil || !ev.Forced {
		t.Fatalf("forced: %+v %v", ev, err)
	}
	// Rolling back a protected label is gated like a move: v1 has no run.
	if _, err := st.Rollback(ctx, RollbackInput{Prompt: "p", Label: "production", Actor: "ann"}); !errors.Is(err, ErrGate) {
		t.Fatalf("ungated rollback: %v", err)
	}
	if ev, err := st.Rollback(ctx, RollbackInput{Prompt: "p", Label: "production", Actor: "ann", Force: true, Reason: "undo the hotfix"}); err != nil || !ev.Forced || ev.To != 1 {
		t.Fatalf("forced rollback: %+v %v", ev, err)
	}
	// A passing run lets it through, and is recorded as the evidence.
	res[1].Pass = true
	run2, _ := st.CreateRun(ctx, Run{Prompt: "p", Suite: "default", SuiteID: su.ID, Versions: []int{2}, Models: []string{"m"}})
	res[0].RunID, res[1].RunID = run2.ID, run2.ID
	st.SaveBatch(ctx, res, nil)
	st.FinishRun(ctx, run2.ID, RunDone, nil)
	ev, err = st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 2})
	if err != nil || ev.RunID != run2.ID || ev.Forced {
		t.Fatalf("gated move: %+v %v", ev, err)
	}
}

func TestRunsAndCache(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	commit(t, st, "p", "a")
	run, err := st.CreateRun(ctx, Run{Prompt: "p", Suite: "default", Versions: []int{1}, Models: []string{"demo/x"}, Total: 1})
	if err != nil {
		t.Fatal(err)
	}
	r := Result{RunID: run.ID, Version: 1, Model: "demo/x", CaseID: 1, Output: "hi", Pass: true, Assertions: []AssertionResult{{Type: "contains", Pass: true, Score: 1}}}
	if err := st.SaveBatch(ctx, []Result{r}, []CachedResponse{{Key: "k", Output: "hi", TokensIn: 3}}); err != nil {
		t.Fatal(err)
	}
	// Saving the same tuple again replaces it rather than duplicating.
	r.Output = "hello"
	st.SaveBatch(ctx, []Result{r}, nil)
	got, err := st.Results(ctx, run.ID)
	if err != nil || len(got) != 1 || got[0].Output != "hello" || len(got[0].Assertions) != 1 {
		t.Fatalf("results: %+v %v", got, err)
	}
	c, ok, err := st.CacheGet(ctx, "k")
	if err != nil || !ok || c.TokensIn != 3 {
		t.Fatalf("cache: %+v %v %v", c, ok, err)
	}
	if err := st.FinishRun(ctx, run.ID, RunDone, []byte(`{"passed":1}`)); err != nil {
		t.Fatal(err)
	}
	runs, err := st.Runs(ctx, "p")
	if err != nil || len(runs) != 1 || runs[0].Status != RunDone || runs[0].FinishedAt == nil || string(runs[0].Summary) != `{"passed":1}` {
		t.Fatalf("runs: %+v %v", runs, err)
	}
}

func TestDataVersionSeesOtherConnections(t *testing.T) {
	ctx := context.Background()
	p := newLocation(t, "live.db")
	a, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	before, err := a.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cur, err := a.ChangeCursor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, b, "p", "from b")
	// SQLite's data_version changes at once; PostgreSQL's notification
	// arrives a moment after the commit.
	deadline := time.Now().Add(5 * time.Second)
	after, _ := a.DataVersion(ctx)
	for after == before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
		after, _ = a.DataVersion(ctx)
	}
	if after == before {
		t.Fatal("data_version did not change after another connection committed")
	}
	ch, next, err := a.ChangesAfter(ctx, cur)
	if err != nil || len(ch) != 1 || ch[0].String() != "ann committed p v1" {
		t.Fatalf("changes: %+v %v", ch, err)
	}
	if again, _, err := a.ChangesAfter(ctx, next); err != nil || len(again) != 0 {
		t.Fatalf("changes past the cursor: %+v %v", again, err)
	}
}

// A writer whose clock is days behind (or ahead) is still heard: changes
// are read by id, in the order they were committed, whatever each
// machine's clock says.
func TestChangesAfterIgnoresClockSkew(t *testing.T) {
	ctx := context.Background()
	p := newLocation(t, "skew.db")
	reader, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	ahead, err := OpenWith(p, Options{Clock: func() time.Time { return time.Now().Add(72 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	defer ahead.Close()
	behind, err := OpenWith(p, Options{Clock: func() time.Time { return time.Now().Add(-72 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	defer behind.Close()
	cur, err := reader.ChangeCursor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, ahead, "p", "from the future")
	ch, cur, err := reader.ChangesAfter(ctx, cur)
	if err != nil || len(ch) != 1 || ch[0].Version != 1 {
		t.Fatalf("ahead's commit: %+v %v", ch, err)
	}
	commit(t, behind, "p", "from the past")
	if _, err := behind.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 2, Actor: "bo"}); err != nil {
		t.Fatal(err)
	}
	ch, _, err = reader.ChangesAfter(ctx, cur)
	if err != nil || len(ch) != 2 {
		t.Fatalf("behind's commit and move after ahead's: %+v %v", ch, err)
	}
}

func TestExportJSONMatchesEncoding(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	for _, label := range []string{"", "production"} {
		doc, err := st.Export(ctx, ExportOptions{Label: label})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := doc.JSON()
		want, _ := marshalJSON(doc)
		if string(got) != string(want) {
			t.Fatalf("empty export:\n%s\nwant\n%s", got, want)
		}
	}
	commit(t, st, "a", "x <y> & {{z}}\nline 2")
	commit(t, st, "b/c", "hello")
	st.SetLabel(ctx, LabelInput{Prompt: "a", Label: "production", Version: 1})
	for _, label := range []string{"", "production"} {
		doc, _ := st.Export(ctx, ExportOptions{Label: label})
		got, _ := doc.JSON()
		want, _ := marshalJSON(doc)
		if string(got) != string(want) {
			t.Fatalf("streamed JSON differs:\n%s\nwant\n%s", got, want)
		}
	}
}

func TestGateSettingsAreSharedAndOnlyTightenedLocally(t *testing.T) {
	ctx := context.Background()
	p := newLocation(t, "gate.db")
	st, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if g, err := st.Gate(ctx); err != nil || len(g.Protected) != 1 || g.Protected[0] != "production" || g.MinPassRate != 1 || g.DefaultSuite != "default" {
		t.Fatalf("default gate: %+v %v", g, err)
	}
	for _, bad := range []GateSettings{
		{Protected: []string{"latest"}},
		{Protected: []string{"Bad Label"}},
		{MinPassRate: 1.5},
		{MinPassRate: math.NaN()},
		{DefaultSuite: "Bad Suite"},
	} {
		if err := st.SetGate(ctx, bad); !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrLatestLabel) {
			t.Errorf("SetGate(%+v) = %v, want invalid", bad, err)
		}
	}
	if err := st.SetGate(ctx, GateSettings{Protected: []string{"production", "eu", "eu"}, MinPassRate: 0.5, DefaultSuite: "smoke", UpdatedBy: "ann"}); err != nil {
		t.Fatal(err)
	}
	// Another process opening the file sees the same policy.
	other, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	g, err := other.Gate(ctx)
	if err != nil || strings.Join(g.Protected, ",") != "eu,production" || g.MinPassRate != 0.5 || g.DefaultSuite != "smoke" || g.UpdatedBy != "ann" || g.UpdatedAt.IsZero() {
		t.Fatalf("stored gate: %+v %v", g, err)
	}
	if DefaultGate.Protected[0] != "production" || len(DefaultGate.Protected) != 1 {
		t.Fatalf("reading the gate changed DefaultGate: %+v", DefaultGate)
	}

	commit(t, st, "p", "a")
	su, err := st.SaveSuite(ctx, "p", Suite{Name: "smoke", Cases: []Case{{Name: "c1"}, {Name: "c2"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "eu", Version: 1})
	var ge *GateError
	if !errors.As(err, &ge) || ge.Decision.Reason != GateNoRun || ge.Decision.Gate.DefaultSuite != "smoke" || ge.Decision.ByLocalGate {
		t.Fatalf("eu is protected by the file: %v", err)
	}
	// Half the cases pass: enough for the file's 50%.
	run, err := st.CreateRun(ctx, Run{Prompt: "p", Suite: "smoke", SuiteID: su.ID, Versions: []int{1}, Models: []string{"m"}, Total: 2})
	if err != nil {
		t.Fatal(err)
	}
	st.SaveBatch(ctx, []Result{{RunID: run.ID, Version: 1, Model: "m", CaseID: su.Cases[0].ID, Pass: true}, {RunID: run.ID, Version: 1, Model: "m", CaseID: su.Cases[1].ID}}, nil)
	st.FinishRun(ctx, run.ID, RunDone, nil)

	// A local gate (a user's config) adds a label and raises the pass rate;
	// its suite is ignored and it cannot remove the file's protection.
	local := GateSettings{Protected: []string{"staging"}, MinPassRate: 1, DefaultSuite: "other"}
	strict, err := OpenWith(p, Options{LocalGate: local})
	if err != nil {
		t.Fatal(err)
	}
	defer strict.Close()
	eff, err := strict.EffectiveGate(ctx)
	if err != nil || strings.Join(eff.Protected, ",") != "eu,production,staging" || eff.MinPassRate != 1 || eff.DefaultSuite != "smoke" {
		t.Fatalf("effective gate: %+v %v", eff, err)
	}
	if fg, _ := strict.Gate(ctx); len(fg.Protected) != 2 {
		t.Fatalf("Gate must be the file's policy: %+v", fg)
	}
	_, err = strict.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 1})
	if !errors.As(err, &ge) || !ge.Decision.ByLocalGate || !strings.Contains(err.Error(), "the gate needs 100%") {
		t.Fatalf("staging protected locally: %v", err)
	}
	if _, err := strict.SetLabel(ctx, LabelInput{Prompt: "p", Label: "eu", Version: 1}); !errors.Is(err, ErrGate) {
		t.Fatalf("the local minimum must apply: %v", err)
	}
	loose, err := OpenWith(p, Options{LocalGate: GateSettings{MinPassRate: 0.1}})
	if err != nil {
		t.Fatal(err)
	}
	defer loose.Close()
	if eff, _ := loose.EffectiveGate(ctx); eff.MinPassRate != 0.5 || len(eff.Protected) != 2 {
		t.Fatalf("a local gate loosened the file's: %+v", eff)
	}
	ev, err := loose.SetLabel(ctx, LabelInput{Prompt: "p", Label: "eu", Version: 1})
	if err != nil || ev.RunID != run.ID {
		t.Fatalf("50%% meets the file's gate: %+v %v", ev, err)
	}
	if _, err := OpenWith(p, Options{LocalGate: GateSettings{Protected: []string{"latest"}}}); !errors.Is(err, ErrLatestLabel) {
		t.Fatalf("invalid local gate: %v", err)
	}
}
