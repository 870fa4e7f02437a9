package common_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/eval/report"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

// addRun records a finished run of version on suite with passed of total
// cases passing.
func addRun(t *testing.T, st *store.Store, prompt, suite string, version, passed, total int) {
	t.Helper()
	ctx := context.Background()
	sum := report.Summary{Columns: []report.Stats{{Version: version, Model: "demo/demo-small", Total: total, Passed: passed}}, Total: total, Passed: passed}
	r, err := st.CreateRun(ctx, store.Run{Prompt: prompt, Suite: suite, Versions: []int{version}, Models: []string{"demo/demo-small"}, Total: total})
	if err != nil {
		t.Fatal(err)
	}
	su, err := st.Suite(ctx, prompt, suite)
	if err != nil {
		t.Fatal(err)
	}
	var res []store.Result
	for i := range total {
		res = append(res, store.Result{RunID: r.ID, Version: version, Model: "demo/demo-small", CaseID: su.Cases[i%len(su.Cases)].ID, Repeat: i / len(su.Cases), Pass: i < passed, Output: "x"})
	}
	if err := st.SaveBatch(ctx, res, nil); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(sum)
	if err := st.FinishRun(ctx, r.ID, store.RunDone, b); err != nil {
		t.Fatal(err)
	}
}

// The list's mark of production's last eval: none, passed, failed, and
// stale once the suite changes; the text says which run.
func TestProductionMark(t *testing.T) {
	clock := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	st, _ := ct.OpenStoreAt(t, func() time.Time { clock = clock.Add(time.Minute); return clock })
	ctx := context.Background()
	if _, err := st.Commit(ctx, store.CommitInput{Name: "p", Kind: store.KindText, Template: "Hi {{n}}", Author: "a", Message: "m"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveSuite(ctx, "p", store.Suite{Name: "default", Cases: []store.Case{
		{Name: "a", Vars: map[string]any{"n": "A"}, Assertions: []store.Assertion{{Type: "contains", Value: "A"}}},
		{Name: "b", Vars: map[string]any{"n": "B"}, Assertions: []store.Assertion{{Type: "contains", Value: "B"}}}}}); err != nil {
		t.Fatal(err)
	}
	mark := func() common.Mark {
		t.Helper()
		m, err := common.ProductionMark(ctx, st, "p", 1)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := mark(); m.Kind != common.MarkNone || !strings.Contains(m.Text, "no eval") {
		t.Errorf("no run: %+v", m)
	}
	addRun(t, st, "p", "default", 1, 1, 2)
	if m := mark(); m.Kind != common.MarkFailed || !strings.Contains(m.Text, "1/2") {
		t.Errorf("failing run: %+v", m)
	}
	addRun(t, st, "p", "default", 1, 2, 2)
	if m := mark(); m.Kind != common.MarkPassed || !strings.Contains(m.Text, "run #2") {
		t.Errorf("passing run: %+v", m)
	}
	su, _ := st.Suite(ctx, "p", "default")
	su.Cases[0].Assertions[0].Value = "changed"
	if _, err := st.SaveSuite(ctx, "p", su); err != nil {
		t.Fatal(err)
	}
	if m := mark(); m.Kind != common.MarkStale || !strings.Contains(m.Text, "stale") {
		t.Errorf("suite changed since: %+v", m)
	}
}

func TestPassTrends(t *testing.T) {
	sum := func(v, passed, total int) json.RawMessage {
		b, _ := json.Marshal(report.Summary{Columns: []report.Stats{{Version: v, Total: total, Passed: passed}}})
		return b
	}
	// Newest first, as the store lists them; a running run is left out.
	runs := []store.Run{
		{Status: store.RunRunning, Summary: sum(2, 0, 1)},
		{Status: store.RunDone, Summary: sum(2, 4, 4)},
		{Status: store.RunDone, Summary: sum(1, 1, 4)},
		{Status: store.RunDone, Summary: sum(2, 2, 4)},
	}
	tr := common.PassTrends(runs)
	if got := tr[2]; len(got) != 2 || got[0] != 0.5 || got[1] != 1 {
		t.Errorf("v2 trend = %v, want [0.5 1] (oldest first)", got)
	}
	if got := tr[1]; len(got) != 1 || got[0] != 0.25 {
		t.Errorf("v1 trend = %v", got)
	}
}
