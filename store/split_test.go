package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The README's test vectors (computed with Python's hashlib, so another
// language reproduces them): bucket = SHA-256(salt ":" unit)[:8] as a
// big-endian uint64, mod 10000.
var bucketVectors = []struct {
	salt, unit string
	bucket     int
}{
	{"9f2c1a7e04b3", "user-1", 5343},
	{"9f2c1a7e04b3", "user-2", 2183},
	{"9f2c1a7e04b3", "alice@example.com", 4324},
	{"s", "42", 2115},
	{"", "", 4368},
	{"a1b2c3", "Zoë", 2174},
}

func TestBucketTestVectors(t *testing.T) {
	for _, v := range bucketVectors {
		if got := Bucket(v.salt, v.unit); got != v.bucket {
			t.Errorf("Bucket(%q, %q) = %d, want %d", v.salt, v.unit, got, v.bucket)
		}
	}
	// and the README's arm example: 3=90,5=10 gives buckets 0..8999 to v3
	sp := Split{Arms: []Arm{{5, 10}, {3, 90}}, Salt: "9f2c1a7e04b3"}
	if err := sp.Check(); err != nil {
		t.Fatal(err)
	}
	if a := sp.ArmOf(8999); a.Version != 3 {
		t.Errorf("bucket 8999 -> v%d, want v3", a.Version)
	}
	if a := sp.ArmOf(9000); a.Version != 5 {
		t.Errorf("bucket 9000 -> v%d, want v5", a.Version)
	}
}

// Raising the new version's share only moves units from the old version to
// the new one, and the shares match the weights.
func TestAssignmentIsMonotone(t *testing.T) {
	const units = 20000
	prev := make([]int, units)
	for _, w := range []int{5, 25, 50, 75, 99} {
		sp := Split{Arms: []Arm{{7, 100 - w}, {9, w}}, Salt: "monotone"}
		if err := sp.Check(); err != nil {
			t.Fatal(err)
		}
		n := 0
		for u := range units {
			v := sp.Assign(fmt.Sprint("user-", u)).Version
			if prev[u] == 9 && v != 9 {
				t.Fatalf("unit %d went back from v9 to v%d when the share rose to %d%%", u, v, w)
			}
			prev[u] = v
			if v == 9 {
				n++
			}
		}
		share := float64(n) / units * 100
		if share < float64(w)-1.5 || share > float64(w)+1.5 {
			t.Errorf("at %d%% the new version got %.1f%% of units", w, share)
		}
	}
	// the same unit always gets the same arm
	sp := Split{Arms: []Arm{{1, 50}, {2, 50}}, Salt: "x"}
	for range 10 {
		if sp.Assign("u").Version != sp.Assign("u").Version {
			t.Fatal("assignment is not deterministic")
		}
	}
	// no unit: a random arm, both arms drawn
	seen := map[int]bool{}
	for range 200 {
		seen[sp.Assign("").Version] = true
	}
	if len(seen) != 2 {
		t.Errorf("random assignment drew %v", seen)
	}
}

func TestSplitRefusals(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	for _, s := range []string{"a", "b", "c", "d", "e"} {
		commit(t, st, "p", s)
	}
	cases := []struct {
		label, split string
		problem      SplitProblem
		sentinel     error
	}{
		{"canary", "1=90,2=20", SplitWeights, ErrInvalid},
		{"canary", "1=50,1=50", SplitDuplicate, ErrInvalid},
		{"canary", "1=90,9=10", SplitNoVersion, ErrNotFound},
		{"canary", "1=20,2=20,3=20,4=20,5=20", SplitTooManyArms, ErrInvalid},
		{"latest", "1=90,2=10", SplitOnLatest, ErrLatestLabel},
		{"canary", "1=100", SplitTooFewArms, ErrInvalid},
		{"canary", "1=100,2=0", SplitWeights, ErrInvalid},
		{"canary", "one=90,2=10", SplitSyntax, ErrInvalid},
	}
	for _, c := range cases {
		sp, err := ParseSplit(c.split)
		if err == nil {
			_, err = st.SetLabel(ctx, LabelInput{Prompt: "p", Label: c.label, Split: &sp, Actor: "ann"})
		}
		var se *SplitError
		if !errors.As(err, &se) || se.Problem != c.problem || !errors.Is(err, c.sentinel) {
			t.Errorf("%s %s: got %v, want a %q split error (%v)", c.label, c.split, err, c.problem, c.sentinel)
		}
	}
	if n := historyLen(t, st, "p"); n != 0 {
		t.Errorf("refusals wrote %d history rows", n)
	}
}

// A split is a label move like any other: recorded with from/to splits,
// salt kept while it stays a split, rolled back to the split before.
func TestSplitLabelHistoryAndRollback(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	for _, s := range []string{"a", "b", "c"} {
		commit(t, st, "p", s)
	}
	set := func(text string) LabelEvent {
		t.Helper()
		sp, err := ParseSplit(text)
		if err != nil {
			t.Fatal(err)
		}
		sp.UnitKey = "user_id"
		ev, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "canary", Split: &sp, Actor: "ann", Reason: "try " + text})
		if err != nil {
			t.Fatal(err)
		}
		return ev
	}
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "canary", Version: 1, Actor: "ann"}); err != nil {
		t.Fatal(err)
	}
	e1 := set("1=90,3=10")
	if e1.From != 1 || e1.FromSplit != nil || e1.ToSplit == nil || e1.ToSplit.String() != "1=90,3=10" || e1.To != 1 {
		t.Fatalf("first split event: %+v", e1)
	}
	e2 := set("3=25,1=75")
	if e2.FromSplit.String() != "1=90,3=10" || e2.ToSplit.String() != "1=75,3=25" || e2.ToSplit.Salt != e1.ToSplit.Salt || e2.ToSplit.UnitKey != "user_id" {
		t.Fatalf("second split event: %+v (salt must be kept)", e2)
	}
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "canary", Split: &Split{Arms: []Arm{{1, 75}, {3, 25}}}}); !errors.Is(err, ErrNoChange) {
		t.Errorf("same split again: %v", err)
	}
	labels, err := st.Labels(ctx, "p")
	if err != nil || len(labels) != 1 || labels[0].Split == nil || labels[0].Split.String() != "1=75,3=25" {
		t.Fatalf("labels: %+v %v", labels, err)
	}
	rb, err := st.Rollback(ctx, RollbackInput{Prompt: "p", Label: "canary", Actor: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	if rb.ToSplit == nil || rb.ToSplit.String() != "1=90,3=10" || rb.ToSplit.Salt != e1.ToSplit.Salt {
		t.Fatalf("rollback went to %+v, want the split before with its salt", rb.ToState())
	}
	// the unit sees the same arm it had under that split
	v, err := st.ResolveUnit(ctx, "p@canary", "user-1")
	if err != nil {
		t.Fatal(err)
	}
	if want := e1.ToSplit.ArmOf(Bucket(e1.ToSplit.Salt, "user-1")).Version; v.Number != want || v.Arm != ArmName(want) {
		t.Errorf("resolve user-1: v%d arm %q, want v%d", v.Number, v.Arm, want)
	}
	// whole again
	ev, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "canary", Version: 3, Actor: "ann"})
	if err != nil || ev.ToSplit != nil || ev.To != 3 || ev.FromSplit == nil {
		t.Fatalf("whole again: %+v %v", ev, err)
	}
	v, err = st.ResolveUnit(ctx, "p@canary", "user-1")
	if err != nil || v.Number != 3 || v.Arm != "" {
		t.Fatalf("whole label resolves to v%d arm %q (%v)", v.Number, v.Arm, err)
	}
	rb, err = st.Rollback(ctx, RollbackInput{Prompt: "p", Label: "canary", Actor: "bob"})
	if err != nil || rb.ToSplit == nil || rb.ToSplit.String() != "1=90,3=10" {
		t.Fatalf("rollback of a whole move to the split before: %+v %v", rb, err)
	}
	hist, err := st.LabelHistory(ctx, "p")
	if err != nil || len(hist) != 6 {
		t.Fatalf("history: %d rows, %v", len(hist), err)
	}
}

// Each version entering a protected label needs its passing eval.
func TestSplitIsGatedPerEnteringVersion(t *testing.T) {
	ctx := context.Background()
	st, _ := gateFixture(t) // v2 passes, v3 fails, v1 has no run
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Version: 2, Actor: "ann"}); err != nil {
		t.Fatal(err)
	}
	split := func(text string) error {
		sp, err := ParseSplit(text)
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Split: &sp, Actor: "ann"})
		return err
	}
	var ge *GateError
	if err := split("2=90,3=10"); !errors.As(err, &ge) || ge.Decision.Version != 3 {
		t.Fatalf("v3 (failing) entering production: %v", err)
	}
	if err := split("1=10,2=90"); !errors.As(err, &ge) || ge.Decision.Version != 1 || ge.Decision.Reason != GateNoRun {
		t.Fatalf("v1 (no run) entering production: %v", err)
	}
	sp, _ := ParseSplit("1=10,2=90")
	ev, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "production", Split: &sp, Actor: "ann", Force: true, Reason: "shadow test"})
	if err != nil || !ev.Forced {
		t.Fatalf("forced split: %+v %v", ev, err)
	}
	// weights change among versions already in: nothing enters, no gate
	if err := split("1=20,2=80"); err != nil {
		t.Fatalf("reweighting: %v", err)
	}
	// rollback is gated too: back to the forced split re-enters nothing
	if _, err := st.Rollback(ctx, RollbackInput{Prompt: "p", Label: "production", Actor: "ann"}); err != nil {
		t.Fatalf("rollback among the same versions: %v", err)
	}
}

// The README's vectors are the ones the store computes.
func TestReadmeBucketVectors(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?m)^\\| (`[^`]*`|\\(empty\\)) \\| (`[^`]*`|\\(empty\\)) \\| (\\d+) \\|$")
	rows := re.FindAllStringSubmatch(string(b), -1)
	if len(rows) != len(bucketVectors) {
		t.Fatalf("README has %d vectors, the test %d", len(rows), len(bucketVectors))
	}
	val := func(s string) string {
		if s == "(empty)" {
			return ""
		}
		return strings.Trim(s, "`")
	}
	for _, r := range rows {
		want, _ := strconv.Atoi(r[3])
		if got := Bucket(val(r[1]), val(r[2])); got != want {
			t.Errorf("README: Bucket(%q, %q) = %d, README says %d", val(r[1]), val(r[2]), got, want)
		}
	}
}

// A full export keeps the splits and the rollouts' evidence in the label
// history: importing it into an empty file and exporting again gives the
// same bytes, in every format, and the split label resolves alike.
func TestSplitsSurviveExportImport(t *testing.T) {
	ctx := context.Background()
	src, ck := rolloutFixture(t)
	if _, err := src.StartRollout(ctx, RolloutInput{Prompt: "p", To: 3, Every: time.Hour, MinRequests: 50, Guards: []string{"error_rate<=+1pp"}}); err != nil {
		t.Fatal(err)
	}
	ck.add(time.Minute)
	traffic(t, src, "production", 1500, map[int]float64{1: 0, 3: 0.4}, 9)
	if c, _, err := src.CheckRollout(ctx, "p", "production"); err != nil || !c.Aborted {
		t.Fatalf("%+v %v", c, err)
	}
	sp := Split{Arms: []Arm{{1, 60}, {2, 40}}, UnitKey: "session"}
	if _, err := src.SetLabel(ctx, LabelInput{Prompt: "p", Label: "canary", Split: &sp}); err != nil {
		t.Fatal(err)
	}
	doc, err := src.Export(ctx, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := doc.JSON()
	if !strings.Contains(string(want), `"to_split"`) || !strings.Contains(string(want), `"evidence"`) {
		t.Fatalf("export without splits:\n%s", want)
	}
	for _, format := range []string{"json", "yaml", "dir"} {
		path := writeExport(t, doc, format)
		dst := newStore(t)
		if _, err := dst.Import(ctx, path, "ci"); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		back, _ := dst.Export(ctx, ExportOptions{})
		if got, _ := back.JSON(); string(got) != string(want) {
			t.Fatalf("%s: the round trip differs:\n%s\n---\n%s", format, want, got)
		}
		for _, u := range []string{"a", "b", "c", "d"} {
			v1, _ := src.ResolveUnit(ctx, "p@canary", u)
			v2, _ := dst.ResolveUnit(ctx, "p@canary", u)
			if v1.Number != v2.Number || v2.Arm == "" {
				t.Fatalf("%s: unit %s: v%d here, v%d imported", format, u, v1.Number, v2.Number)
			}
		}
		// importing it again leaves the split a split
		if rep, err := dst.Import(ctx, path, "ci"); err != nil || rep.Labels != 0 {
			t.Fatalf("%s: re-import: %+v %v", format, rep, err)
		}
		if again, _ := dst.Export(ctx, ExportOptions{}); true {
			if got, _ := again.JSON(); string(got) != string(want) {
				t.Fatalf("%s: a re-import changed the registry:\n%s", format, got)
			}
		}
	}
	// into a file where the prompt is already, the split arrives as a
	// split (a move through the gate), not as its major version
	dst := newStore(t)
	for _, s := range []string{"a", "b", "c"} {
		commit(t, dst, "p", s)
	}
	path := filepath.Join(t.TempDir(), "export.json")
	os.WriteFile(path, want, 0o644)
	if _, err := dst.Import(ctx, path, "ci"); err != nil {
		t.Fatal(err)
	}
	if l, err := dst.LabelInForce(ctx, "p", "canary"); err != nil || l.Split == nil || l.Split.String() != "1=60,2=40" || l.Split.UnitKey != "session" {
		t.Fatalf("canary imported into an existing prompt: %+v %v", l, err)
	}
}

// TestResolveReadsTheArmWithItsLabels: resolving a split label, or a label
// under a rollout, gives each unit its arm's version exactly as reading
// that version by number does (content, labels), with the arm named; a
// whole label gives its version with no arm.
func TestResolveReadsTheArmWithItsLabels(t *testing.T) {
	ctx := context.Background()
	ck := &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	st := newStoreAt(t, ck.now)
	for _, s := range []string{"a {{x}}", "b {{x}}", "c {{x}}", "d {{x}}"} {
		commit(t, st, "p", s)
	}
	if _, err := st.Commit(ctx, CommitInput{Name: "chat", Kind: KindChat, Messages: []Message{{Role: "user", Content: "hi {{x}}"}}, Author: "ann"}); err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct {
		label string
		v     int
	}{{"production", 1}, {"staging", 2}, {"eu", 2}, {"canary", 4}} {
		if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: l.label, Version: l.v, Actor: "ann"}); err != nil {
			t.Fatal(err)
		}
	}
	sp, err := ParseSplit("1=40,2=30,3=30")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "exp", Split: &sp, Actor: "ann"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.StartRollout(ctx, RolloutInput{Prompt: "p", Label: "canary", To: 3, Steps: []int{10, 50, 100}, Every: time.Hour}); err != nil {
		t.Fatal(err)
	}
	exp, err := st.LabelInForce(ctx, "p", "exp")
	if err != nil || exp.Split == nil || exp.Rollout {
		t.Fatalf("exp in force: %+v %v", exp, err)
	}
	canary, err := st.LabelInForce(ctx, "p", "canary")
	if err != nil || canary.Split == nil || !canary.Rollout || canary.Split.String() != "3=10,4=90" {
		t.Fatalf("canary in force: %+v %v", canary, err)
	}
	seen := map[string]map[int]bool{}
	for i := range 400 {
		unit := fmt.Sprintf("user-%d", i)
		for _, c := range []struct {
			label string
			in    InForce
		}{{"exp", exp}, {"canary", canary}, {"production", InForce{LabelState: LabelState{Version: 1}}}} {
			got, err := st.ResolveUnit(ctx, "p@"+c.label, unit)
			if err != nil {
				t.Fatal(err)
			}
			n, arm := c.in.Pick(unit)
			want, err := st.Version(ctx, "p", n)
			if err != nil {
				t.Fatal(err)
			}
			want.Arm = arm
			if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
				t.Fatalf("%s for %s:\n got %+v\nwant %+v", c.label, unit, got, want)
			}
			if seen[c.label] == nil {
				seen[c.label] = map[int]bool{}
			}
			seen[c.label][got.Number] = true
		}
	}
	if len(seen["exp"]) != 3 || len(seen["canary"]) != 2 || len(seen["production"]) != 1 {
		t.Errorf("versions seen per label: %v", seen)
	}
	// a chat prompt's messages come through the same read
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "chat", Label: "production", Version: 1, Actor: "ann"}); err != nil {
		t.Fatal(err)
	}
	v, err := st.Resolve(ctx, "chat")
	if err != nil || len(v.Messages) != 1 || v.Messages[0].Content != "hi {{x}}" || strings.Join(v.Labels, ",") != "production" {
		t.Fatalf("chat: %+v %v", v, err)
	}
	// a missing label still names the ones there are
	if _, err := st.Resolve(ctx, "p@nope"); err == nil || !strings.Contains(err.Error(), "canary, eu, exp, production, staging") {
		t.Errorf("missing label: %v", err)
	}
}
