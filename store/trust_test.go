package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func ptr(n int) *int { return &n }

// reopen opens a second Store on st's file: another process writing.
func reopen(t *testing.T, st *Store) *Store {
	t.Helper()
	other, err := Open(st.Path())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	return other
}

func labelOn(t *testing.T, st *Store, prompt, label string) int {
	t.Helper()
	ls, err := st.Labels(context.Background(), prompt)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Name == label {
			return l.Version
		}
	}
	return 0
}

func historyLen(t *testing.T, st *Store, prompt string) int {
	t.Helper()
	h, err := st.LabelHistory(context.Background(), prompt)
	if err != nil {
		t.Fatal(err)
	}
	return len(h)
}

func wantMoved(t *testing.T, err error, expected, actual int, target bool) {
	t.Helper()
	var m *LabelMovedError
	if !errors.As(err, &m) || !errors.Is(err, ErrLabelMoved) || m.Expected != expected || m.Actual != actual || m.Target != target || m.Prompt != "p" {
		t.Fatalf("want a LabelMovedError %d -> %d (target %v), got %v", expected, actual, target, err)
	}
}

// A confirmation is made against what the user saw: when another process
// moves the label between the dialog opening and the confirmation, the
// store refuses the change and writes nothing.
func TestLabelChangesAreCompareAndSwap(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	for _, s := range []string{"a", "b", "c", "d", "e"} {
		commit(t, st, "p", s)
	}
	other := reopen(t, st)

	// A new label: ExpectFrom 0 means "it does not exist".
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 2, ExpectFrom: ptr(0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 5}); err != nil {
		t.Fatal(err)
	}
	// Promote: the dialog shows "staging moves from v5 to v3"; meanwhile
	// another process moves staging to v4.
	seen := labelOn(t, st, "p", "staging")
	if _, err := other.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 4}); err != nil {
		t.Fatal(err)
	}
	n := historyLen(t, st, "p")
	_, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 3, ExpectFrom: &seen})
	wantMoved(t, err, 5, 4, false)
	if got := labelOn(t, st, "p", "staging"); got != 4 || historyLen(t, st, "p") != n {
		t.Fatalf("a refused move wrote: staging on v%d, %d events (want v4, %d)", got, historyLen(t, st, "p"), n)
	}
	// "It did not exist" when it does, and the other way round.
	_, err = st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 3, ExpectFrom: ptr(0)})
	wantMoved(t, err, 0, 4, false)
	_, err = st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "canary", Version: 3, ExpectFrom: ptr(2)})
	wantMoved(t, err, 2, 0, false)
	// The check comes before "already there": the user saw another state.
	_, err = st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 4, ExpectFrom: ptr(5)})
	wantMoved(t, err, 5, 4, false)
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 3, ExpectFrom: ptr(4)}); err != nil {
		t.Fatalf("a move matching what was seen: %v", err)
	}

	// Rollback: "staging goes back from v3 to v4"; another process moves
	// staging to v1 first.
	if _, err := other.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 1}); err != nil {
		t.Fatal(err)
	}
	_, err = st.Rollback(ctx, RollbackInput{Prompt: "p", Label: "staging", ExpectFrom: ptr(3), ExpectTo: ptr(4)})
	wantMoved(t, err, 3, 1, false)
	// The label is back on what the user saw, but its rollback target
	// changed (v3 -> v1 -> v3 makes the target v1): refused too.
	if _, err := other.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 3}); err != nil {
		t.Fatal(err)
	}
	_, err = st.Rollback(ctx, RollbackInput{Prompt: "p", Label: "staging", ExpectFrom: ptr(3), ExpectTo: ptr(4)})
	wantMoved(t, err, 4, 1, true)
	if got := labelOn(t, st, "p", "staging"); got != 3 {
		t.Fatalf("a refused rollback wrote: staging on v%d", got)
	}
	if ev, err := st.Rollback(ctx, RollbackInput{Prompt: "p", Label: "staging", ExpectFrom: ptr(3), ExpectTo: ptr(1)}); err != nil || ev.To != 1 {
		t.Fatalf("rollback as seen: %+v %v", ev, err)
	}

	// Removal.
	_, err = st.RemoveLabel(ctx, RemoveLabelInput{Prompt: "p", Label: "staging", ExpectFrom: ptr(3)})
	wantMoved(t, err, 3, 1, false)
	if _, err := st.RemoveLabel(ctx, RemoveLabelInput{Prompt: "p", Label: "staging", ExpectFrom: ptr(1)}); err != nil {
		t.Fatal(err)
	}
	if got := labelOn(t, st, "p", "staging"); got != 0 {
		t.Fatalf("removed label still on v%d", got)
	}
}

// gateFixture is p with versions 1..3 and a two-case default suite; v2 has
// a passing run, v3 a half-passing one.
func gateFixture(t *testing.T) (*Store, Suite) {
	t.Helper()
	ctx := context.Background()
	st := newStore(t)
	for _, s := range []string{"a", "b", "c"} {
		commit(t, st, "p", s)
	}
	su, err := st.SaveSuite(ctx, "p", Suite{Name: "default", Cases: []Case{{Name: "c1"}, {Name: "c2"}}})
	if err != nil {
		t.Fatal(err)
	}
	finishedRun(t, st, su, 2, true, true)
	finishedRun(t, st, su, 3, true, false)
	return st, su
}

func finishedRun(t *testing.T, st *Store, su Suite, version int, pass ...bool) Run {
	t.Helper()
	ctx := context.Background()
	run, err := st.CreateRun(ctx, Run{Prompt: su.Prompt, Suite: su.Name, SuiteID: su.ID, Versions: []int{version}, Models: []string{"m"}, Total: len(pass)})
	if err != nil {
		t.Fatal(err)
	}
	var res []Result
	for i, p := range pass {
		res = append(res, Result{RunID: run.ID, Version: version, Model: "m", CaseID: su.Cases[i].ID, Pass: p})
	}
	if err := st.SaveBatch(ctx, res, nil); err != nil {
		t.Fatal(err)
	}
	if err := st.FinishRun(ctx, run.ID, RunDone, nil); err != nil {
		t.Fatal(err)
	}
	return run
}

// The gate is decided by one store function; SetLabel, Rollback and
// RemoveLabel enforce exactly that decision and refuse with it.
func TestDecideGateIsWhatTheStoreEnforces(t *testing.T) {
	ctx := context.Background()
	st, _ := gateFixture(t)
	decide := func(label string, v int) GateDecision {
		t.Helper()
		d, err := st.DecideGate(ctx, "p", label, v)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, c := range []struct {
		label   string
		version int
		verdict GateVerdict
		reason  GateReason
		runID   int64
	}{
		{"staging", 1, GateNotGated, GateNotProtected, 0},
		{"production", 1, GateRefused, GateNoRun, 0},
		{"production", 2, GateAllowed, GatePassed, 1},
		{"production", 3, GateRefused, GateBelowMin, 2},
		{"production", 0, GateRefused, GateRemoval, 0},
	} {
		d := decide(c.label, c.version)
		if d.Verdict != c.verdict || d.Reason != c.reason || d.Refused() != (c.verdict == GateRefused) {
			t.Errorf("%s v%d: %s (%s), want %s (%s)", c.label, c.version, d.Verdict, d.Reason, c.verdict, c.reason)
		}
		if got := int64(0); d.Evidence != nil {
			got = d.Evidence.RunID
			if got != c.runID {
				t.Errorf("%s v%d: evidence run %d, want %d", c.label, c.version, got, c.runID)
			}
		} else if c.runID != 0 {
			t.Errorf("%s v%d: no evidence, want run %d", c.label, c.version, c.runID)
		}
	}
	if _, err := st.DecideGate(ctx, "p", "production", 9); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown version: %v", err)
	}

	// The store enforces the decision and refuses with it.
	refused := func(err error, reason GateReason) {
		t.Helper()
		var ge *GateError
		if !errors.As(err, &ge) || !errors.Is(err, ErrGate) || ge.Decision.Reason != reason || ge.Decision.Verdict != GateRefused {
			t.Fatalf("want a gate refusal (%s), got %v", reason, err)
		}
		if ge.Error() != ge.Decision.Explain() {
			t.Fatalf("the error is not the decision's explanation: %q", ge.Error())
		}
	}
	_, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 3})
	refused(err, GateBelowMin)
	_, err = st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 1})
	refused(err, GateNoRun)
	ev, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 2})
	if err != nil || ev.RunID != 1 || ev.Forced {
		t.Fatalf("allowed move: %+v %v", ev, err)
	}
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 3, Force: true, Reason: "hotfix"}); err != nil {
		t.Fatal(err)
	}
	// Rollback of a protected label is gated like a move: back to v2 has
	// passing evidence, and is recorded with it.
	ev, err = st.Rollback(ctx, RollbackInput{Prompt: "p", Label: "production"})
	if err != nil || ev.To != 2 || ev.RunID != 1 || ev.Forced {
		t.Fatalf("rollback to a passing version: %+v %v", ev, err)
	}
	// Back to v3 (the last move's from) fails its run: refused.
	_, err = st.Rollback(ctx, RollbackInput{Prompt: "p", Label: "production"})
	refused(err, GateBelowMin)
	// Removing a protected label needs force and a reason.
	_, err = st.RemoveLabel(ctx, RemoveLabelInput{Prompt: "p", Label: "production"})
	refused(err, GateRemoval)
	if _, err := st.RemoveLabel(ctx, RemoveLabelInput{Prompt: "p", Label: "production", Force: true}); !errors.Is(err, ErrNeedReason) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("forced removal without a reason: %v", err)
	}
	if labelOn(t, st, "p", "production") != 2 {
		t.Fatal("a refused change moved production")
	}
	// An unprotected label is removed and rolled back freely.
	st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 1})
	st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 3})
	if _, err := st.Rollback(ctx, RollbackInput{Prompt: "p", Label: "staging"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RemoveLabel(ctx, RemoveLabelInput{Prompt: "p", Label: "staging"}); err != nil {
		t.Fatal(err)
	}
}

// Evidence is a run of the suite as it is now: a run that passed every
// case of an older, smaller suite is refused, saying the suite changed.
func TestGateRefusesRunsOfAnOlderSuite(t *testing.T) {
	ctx := context.Background()
	st, su := gateFixture(t)
	run, err := st.Run(ctx, 1)
	if err != nil || run.SuiteHash == "" || run.SuiteHash != HashSuite(su) {
		t.Fatalf("the run does not record the hash of its suite: %q vs %q (%v)", run.SuiteHash, HashSuite(su), err)
	}
	if h, err := st.SuiteHash(ctx, "p", "default"); err != nil || h != run.SuiteHash {
		t.Fatalf("SuiteHash: %q %v", h, err)
	}
	// Saving the same cases again (new case ids) keeps the hash: still evidence.
	su, err = st.SaveSuite(ctx, "p", Suite{Name: "default", Cases: []Case{{Name: "c1"}, {Name: "c2"}}})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := st.DecideGate(ctx, "p", "production", 2); d.Verdict != GateAllowed {
		t.Fatalf("same cases, new ids: %s (%s)", d.Verdict, d.Reason)
	}
	// A third case: run 1 passed 2/2 of a suite that now has 3.
	c3, err := st.SaveCase(ctx, su.ID, Case{Name: "c3", Vars: map[string]any{"n": 3}})
	if err != nil {
		t.Fatal(err)
	}
	d, err := st.DecideGate(ctx, "p", "production", 2)
	if err != nil || d.Verdict != GateRefused || d.Reason != GateSuiteChanged || d.Evidence == nil || d.Evidence.RunID != 1 || d.Evidence.Passed != 2 {
		t.Fatalf("a run of the older suite: %+v %v", d, err)
	}
	_, err = st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 2})
	var ge *GateError
	if !errors.As(err, &ge) || ge.Decision.Reason != GateSuiteChanged {
		t.Fatalf("moved on a run of the older suite: %v", err)
	}
	if want := "before the suite changed"; !strings.Contains(err.Error(), want) {
		t.Fatalf("the refusal does not say the suite changed: %v", err)
	}
	// A run of the suite as it is now is evidence again; editing a case's
	// variables changes the hash too.
	su, _ = st.Suite(ctx, "p", "default")
	finishedRun(t, st, su, 2, true, true, true)
	if d, _ := st.DecideGate(ctx, "p", "production", 2); d.Verdict != GateAllowed || d.Evidence.RunID != 3 {
		t.Fatalf("a run of the current suite: %+v", d)
	}
	c3.Vars = map[string]any{"n": 4}
	if _, err := st.SaveCase(ctx, su.ID, c3); err != nil {
		t.Fatal(err)
	}
	if d, _ := st.DecideGate(ctx, "p", "production", 2); d.Reason != GateSuiteChanged {
		t.Fatalf("an edited case: %s", d.Reason)
	}
	// Tags change no result: the hash ignores them; YAML ints hash as JSON numbers.
	a := Suite{Cases: []Case{{Name: "x", Vars: map[string]any{"n": 1}, Tags: []string{"a"}}}}
	b := Suite{Cases: []Case{{Name: "x", Vars: map[string]any{"n": 1.0}}}}
	if HashSuite(a) != HashSuite(b) {
		t.Fatal("equal cases hash differently")
	}
}

// Deleting or emptying the gate suite must not silently ungate a prompt
// whose protected label is set: the store refuses.
func TestGateSuiteCannotBeDeletedUnderAProtectedLabel(t *testing.T) {
	ctx := context.Background()
	st, su := gateFixture(t)
	if _, err := st.SaveSuite(ctx, "p", Suite{Name: "smoke", Cases: []Case{{Name: "s"}}}); err != nil {
		t.Fatal(err)
	}
	// Without production set, the suite may go (and come back).
	if err := st.DeleteSuite(ctx, "p", "default"); err != nil {
		t.Fatal(err)
	}
	su, _ = st.SaveSuite(ctx, "p", Suite{Name: "default", Cases: su.Cases})
	finishedRun(t, st, su, 2, true, true)
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 2}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteSuite(ctx, "p", "default"); !errors.Is(err, ErrGateSuite) {
		t.Fatalf("deleting the gate suite: %v", err)
	}
	if _, err := st.SaveSuite(ctx, "p", Suite{Name: "default"}); !errors.Is(err, ErrGateSuite) {
		t.Fatalf("emptying the gate suite: %v", err)
	}
	if err := st.DeleteCase(ctx, su.Cases[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteCase(ctx, su.Cases[1].ID); !errors.Is(err, ErrGateSuite) {
		t.Fatalf("deleting the last case of the gate suite: %v", err)
	}
	if d, err := st.DecideGate(ctx, "p", "production", 3); err != nil || d.Reason == GateNoSuite {
		t.Fatalf("production became ungated: %+v %v", d, err)
	}
	// Other suites are not the gate's.
	if err := st.DeleteSuite(ctx, "p", "smoke"); err != nil {
		t.Fatal(err)
	}
}

// The label history is a property of the schema: a writer that knows
// nothing of Verso (raw SQL on the file) cannot move a label silently, and
// the store's own moves are recorded once, with their details.
func TestLabelHistoryIsKeptBySchemaForForeignWriters(t *testing.T) {
	ctx := context.Background()
	st, su := gateFixture(t)
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 2, Actor: "ann", Reason: "green"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 3, Actor: "bob", Reason: "hotfix", Force: true}); err != nil {
		t.Fatal(err)
	}
	_ = su
	foreign := rawDB(t, st.Path())
	for _, q := range []string{
		`UPDATE labels SET version = 1 WHERE name = 'production'`,
		`INSERT INTO labels (prompt_id, name, version, updated_at, actor) VALUES (1, 'canary', 2, 0, 'script')`,
		`DELETE FROM labels WHERE name = 'canary'`,
		`UPDATE labels SET updated_at = 7 WHERE name = 'production'`, // not a move: no event
	} {
		if _, err := foreign.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := foreign.ExecContext(ctx, `UPDATE labels SET name = 'prod' WHERE name = 'production'`); err == nil {
		t.Fatal("a label was renamed under the history")
	}
	hist, err := st.LabelHistory(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	type move struct {
		label    string
		from, to int
		actor    string
		reason   string
		run      int64
		forced   bool
	}
	want := []move{
		{"production", 0, 2, "ann", "green", 1, false},
		{"production", 2, 3, "bob", "hotfix", 0, true},
		{"production", 3, 1, "bob", "", 0, false}, // the row's actor is the last writer's
		{"canary", 0, 2, "script", "", 0, false},
		{"canary", 2, 0, "", "", 0, false},
	}
	if len(hist) != len(want) {
		t.Fatalf("history has %d events, want %d: %+v", len(hist), len(want), hist)
	}
	for i, w := range want {
		e := hist[i]
		if (move{e.Label, e.From, e.To, e.Actor, e.Reason, e.RunID, e.Forced}) != w {
			t.Errorf("event %d: %+v, want %+v", i, e, w)
		}
		if i >= 2 && time.Since(e.At) > time.Minute {
			t.Errorf("event %d of a foreign writer is dated %v, not now", i, e.At)
		}
	}
	// The store goes on from what the foreign writer left: rollback returns
	// production to where it was before the foreign move.
	ev, err := st.Rollback(ctx, RollbackInput{Prompt: "p", Label: "production", Force: true, Reason: "undo the script"})
	if err != nil || ev.From != 1 || ev.To != 3 {
		t.Fatalf("rollback after a foreign move: %+v %v", ev, err)
	}
	if n := historyLen(t, st, "p"); n != len(want)+1 {
		t.Fatalf("a store move was recorded %d times", n-len(want))
	}
}

// Store errors say what is wrong, never which flag, command or key fixes
// it: the TUI shows them verbatim, the CLI adds its own advice.
func TestStoreErrorsNameNoFlagsOrCommands(t *testing.T) {
	ctx := context.Background()
	st, su := gateFixture(t)
	var errs []error
	add := func(_ any, err error) {
		t.Helper()
		if err == nil {
			t.Fatal("want an error")
		}
		errs = append(errs, err)
	}
	add(st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 1}))                       // no run
	add(st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 3}))                       // below the minimum
	add(st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 3, Force: true}))          // no reason
	add(st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 1, ExpectFrom: ptr(2)}))      // moved
	add(st.SetLabel(ctx, LabelInput{Prompt: "nope", Label: "staging", Version: 1}))                       // no prompt
	add(st.Resolve(ctx, "p@canary"))                                                                      // no label
	add(st.Suite(ctx, "p", "other"))                                                                      // no suite
	add(st.Run(ctx, 99))                                                                                  // no run
	add(st.Export(ctx, ExportOptions{Label: "latest"}))                                                   // latest
	add(st.RemoveLabel(ctx, RemoveLabelInput{Prompt: "p", Label: "production"}))                          // not set
	add(st.DecideGate(ctx, "p", "production", 7))                                                         // no version
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 2}); err != nil { // set it, then:
		t.Fatal(err)
	}
	add(st.RemoveLabel(ctx, RemoveLabelInput{Prompt: "p", Label: "production"})) // removal needs force
	add(nil, st.DeleteSuite(ctx, "p", "default"))                                // the gate suite
	st.SaveCase(ctx, su.ID, Case{Name: "c3"})
	add(st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 3})) // suite changed
	notVerso := filepath.Join(t.TempDir(), "notes.txt")
	os.WriteFile(notVerso, []byte(strings.Repeat("not a database ", 20)), 0o600)
	add(Open(notVerso))
	for _, err := range errs {
		msg := err.Error()
		if strings.Contains(msg, "--") || strings.Contains(msg, "`verso") || strings.Contains(msg, "ctrl+") {
			t.Errorf("a store error gives a surface's advice: %s", msg)
		}
	}
	var missing *MissingError
	if !errors.As(errs[5], &missing) || missing.Kind != MissingLabel || missing.Prompt != "p" || missing.Name != "canary" || !errors.Is(errs[5], ErrNotFound) {
		t.Fatalf("a missing label is not a typed MissingError: %v", errs[5])
	}
	if !errors.As(errs[4], &missing) || missing.Kind != MissingPrompt || missing.Name != "nope" {
		t.Fatalf("a missing prompt is not a typed MissingError: %v", errs[4])
	}
}

// The store's clock is given once, at open (Options.Clock), and a caller
// that replays history gives each move its own time (At): what the demo
// and the fixtures need, without a setter on a Store that other goroutines
// use. Versions, moves and rollbacks land at the times given; without a
// time they land on the store's clock.
func TestClockIsGivenAtOpen(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 3, 20, 15, 0, 0, 0, time.UTC)
	st := newStoreAt(t, func() time.Time { return now })
	day := 24 * time.Hour
	for i, tpl := range []string{"one", "two"} {
		if _, err := st.Commit(ctx, CommitInput{Name: "p", Template: tpl, Author: "ann", CreatedAt: now.Add(-time.Duration(5-i) * day)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 1, Actor: "ann", At: now.Add(-3 * day)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 2, Actor: "ann", At: now.Add(-2 * day)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Rollback(ctx, RollbackInput{Prompt: "p", Label: "staging", Actor: "ann", At: now.Add(-1 * day)}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "dev", Version: 2, Actor: "ann"}); err != nil {
		t.Fatal(err)
	}
	evs, err := st.LabelHistory(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, e := range evs {
		got[fmt.Sprintf("%s v%d→v%d %s", e.Label, e.From, e.To, e.At.UTC().Format(time.DateOnly))] = true
	}
	for _, want := range []string{"staging v0→v1 2025-03-17", "staging v1→v2 2025-03-18", "staging v2→v1 2025-03-19", "dev v0→v2 2025-03-20"} {
		if !got[want] {
			t.Errorf("history lacks %q: %v", want, got)
		}
	}
	run, err := st.CreateRun(ctx, Run{Prompt: "p", Suite: "default", Owner: NewOwner()})
	if err != nil {
		t.Fatal(err)
	}
	if !run.StartedAt.Equal(now) {
		t.Errorf("run started at %v, want the store's clock %v", run.StartedAt, now)
	}
}

// What an application imports is the registry, not its test hooks: no
// method hands out the SQL handle (a writer that bypasses every check) and
// none replaces the clock of a Store shared by goroutines.
func TestNoTestHooksInTheAPI(t *testing.T) {
	typ := reflect.TypeOf(&Store{})
	for i := 0; i < typ.NumMethod(); i++ {
		m := typ.Method(i)
		for j := 0; j < m.Type.NumOut(); j++ {
			if out := m.Type.Out(j); out == reflect.TypeOf(&sql.DB{}) || out == reflect.TypeOf(&sql.Conn{}) || out == reflect.TypeOf(&sql.Tx{}) {
				t.Errorf("Store.%s returns %v: the SQL handle is not application API", m.Name, out)
			}
		}
		for j := 1; j < m.Type.NumIn(); j++ {
			if in := m.Type.In(j); in == reflect.TypeOf(time.Now) {
				t.Errorf("Store.%s takes a clock: give it at open (Options.Clock)", m.Name)
			}
		}
	}
}

// The suite's hash is kept with it, so an eval does not hash every case
// when it starts: SaveSuite writes it, a read returns it with the cases it
// hashes, and any change to the cases or the threshold clears it, a
// foreign SQL writer's included (then it is computed again).
func TestSuiteHashIsKept(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	commit(t, st, "p", "Hi {{n}}")
	saved, err := st.SaveSuite(ctx, "p", Suite{Name: "default", Threshold: 0.5, Cases: []Case{
		{Name: "a", Vars: map[string]any{"n": 1}, Assertions: []Assertion{{Type: "contains", Value: "1"}}},
		{Name: "b", Vars: map[string]any{"n": "B"}}}})
	if err != nil {
		t.Fatal(err)
	}
	read := func() Suite {
		t.Helper()
		su, err := st.Suite(ctx, "p", "default")
		if err != nil {
			t.Fatal(err)
		}
		return su
	}
	su := read()
	if su.Hash == "" || su.Hash != HashSuite(su) || saved.Hash != su.Hash {
		t.Fatalf("kept hash %q, saved %q, computed %q", su.Hash, saved.Hash, HashSuite(su))
	}
	for name, change := range map[string]string{
		"a case's vars":  `UPDATE cases SET vars = '{"n": 2}' WHERE name = 'a'`,
		"a new case":     `INSERT INTO cases (suite_id, position, name) SELECT id, 9, 'c' FROM suites`,
		"a deleted case": `DELETE FROM cases WHERE name = 'b'`,
		"the threshold":  `UPDATE suites SET threshold = 0.9`,
	} {
		if _, err := st.SaveSuite(ctx, "p", su); err != nil {
			t.Fatal(err)
		}
		before := read().Hash
		if _, err := st.db.ExecContext(ctx, change); err != nil {
			t.Fatal(err)
		}
		after := read()
		if after.Hash != "" {
			t.Errorf("%s: the hash %q was kept after a foreign writer changed the suite", name, after.Hash)
		}
		if HashSuite(after) == before {
			t.Errorf("%s: the change does not change the hash", name)
		}
	}
	// Tags and descriptions change no result: the hash stays.
	if _, err := st.SaveSuite(ctx, "p", su); err != nil {
		t.Fatal(err)
	}
	if _, err := st.db.ExecContext(ctx, `UPDATE suites SET description = 'about'`); err != nil {
		t.Fatal(err)
	}
	if read().Hash == "" {
		t.Error("a new description cleared the hash")
	}
}
