package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/eval/ab"
	"github.com/seed94f0f622/verso/eval/client"
	"github.com/seed94f0f622/verso/store"
)

// simulate sends n requests of simulated users through the library (file
// source) to the demo model and records an event for each: the concrete
// version and arm, the measured latency, ok or error. hard(unit) marks the
// users whose questions the new prompt fails on.
func simulate(t *testing.T, c *client.Client, model string, round, n int, hard func(i int) bool) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		unit := fmt.Sprintf("user-%d-%d", round, i)
		msgs, p, err := c.RenderUnit(ctx, "support/reply", unit, map[string]any{"q": "where is my parcel?", "hard": hard(i)})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(map[string]any{"model": "demo-small", "messages": msgs})
		began := time.Now()
		resp, err := http.Post(model+"/v1/chat/completions", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		ev := client.Event{Prompt: p.Name, Version: p.Version, Label: p.Label, Arm: p.Arm, Unit: unit, Model: "demo-small",
			LatencyMS: float64(time.Since(began).Microseconds()) / 1000, Status: "ok"}
		if resp.StatusCode != http.StatusOK {
			ev.Status, ev.ErrorKind = "error", fmt.Sprint(resp.StatusCode)
		}
		c.Record(ev)
	}
	if err := c.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// The "Done means": a full rollout 5 → 25 → 50 → 100 % with
// healthy figures, a second one aborted at 25 % when the new version's
// error rate rises, both in the label history with their evidence; `verso
// ab` finds a planted 2-point difference in error rate on 20,000 units at
// p < 0.01 and none on an A/A split.
func TestRolloutDoneMeans(t *testing.T) {
	if testing.Short() {
		t.Skip("drives two rollouts with simulated traffic")
	}
	db := filepath.Join(t.TempDir(), "verso.db")
	model := httptest.NewServer(modelserver.New(modelserver.Options{Seed: 1}))
	defer model.Close()
	mustOK(t, verso(t, db, "Reply to: {{q}}", "commit", "support/reply", "-m", "v1"))
	mustOK(t, verso(t, db, "Reply kindly to: {{q}}", "commit", "support/reply", "-m", "v2"))
	mustOK(t, verso(t, db, "", "label", "support/reply", "1", "production"))
	c, err := client.Open(db, client.Options{TTL: time.Millisecond, FlushInterval: time.Hour, BatchSize: 100000})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	never := func(int) bool { return false }

	// 1. healthy: 5 → 25 → 50 → 100
	mustOK(t, verso(t, db, "", "rollout", "start", "support/reply", "--to", "2", "--every", "1s", "--min-requests", "50",
		"--guard", "error_rate<=+2pp", "--guard", "p95_latency<=2000"))
	var weights []string
	for round := 0; ; round++ {
		if round > 12 {
			t.Fatalf("the healthy rollout did not finish: steps %v", weights)
		}
		simulate(t, c, model.URL, round, 1500, never)
		time.Sleep(1100 * time.Millisecond)
		r := verso(t, db, "", "rollout", "check", "support/reply", "--json")
		var j rolloutJSON
		if err := json.Unmarshal([]byte(r.stdout), &j); err != nil {
			t.Fatalf("check: %v\n%s%s", err, r.stdout, r.stderr)
		}
		weights = append(weights, fmt.Sprint(j.Weight))
		if r.code == exitDone {
			break
		}
		if r.code != exitHealthy {
			t.Fatalf("healthy rollout, check exit %d:\n%s", r.code, r.stdout)
		}
	}
	if got := strings.Join(weights, ","); got != "25,50,100,100" && got != "25,50,100" {
		t.Logf("weights after each check: %s", got)
	}
	labels := labelsJSON(t, db)
	if got := movesOf(labels, "production"); got != "new -> v1 | v1 -> 1=95,2=5 | 1=95,2=5 -> 1=75,2=25 | 1=75,2=25 -> 1=50,2=50 | 1=50,2=50 -> v2" {
		t.Fatalf("healthy rollout history: %s", got)
	}

	// 2. a new version whose error rate rises at 25 %: aborted
	mustOK(t, verso(t, db, "Reply to: {{q}}{{#hard}} [[fail:500]]{{/hard}}", "commit", "support/reply", "-m", "v3"))
	mustOK(t, verso(t, db, "", "rollout", "start", "support/reply", "--to", "3", "--every", "1s", "--min-requests", "50",
		"--guard", "error_rate<=+2pp"))
	simulate(t, c, model.URL, 100, 1500, never)
	time.Sleep(1100 * time.Millisecond)
	if r := verso(t, db, "", "rollout", "check", "support/reply"); r.code != exitHealthy || !strings.Contains(r.stdout, "advanced to 25%") {
		t.Fatalf("5%% step: exit %d\n%s", r.code, r.stdout)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	simulate(t, c, model.URL, 101, 1500, func(int) bool { return rng.Float64() < 0.15 })
	r := verso(t, db, "", "rollout", "check", "support/reply")
	if r.code != exitBreached || !strings.Contains(r.stdout, "BREACHED at 25%") {
		t.Fatalf("25%% step with rising errors: exit %d\n%s", r.code, r.stdout)
	}
	if r := verso(t, db, "", "rollout", "check", "support/reply"); r.code != exitBreached {
		t.Fatalf("check after the abort: exit %d", r.code)
	}
	labels = labelsJSON(t, db)
	last := labels.History[len(labels.History)-1]
	if last.To == nil || *last.To != 2 || last.ToSplit != nil || !strings.Contains(last.Reason, "aborted at 25%") {
		t.Fatalf("abort: %+v", last)
	}
	var ev store.RolloutCheck
	if err := json.Unmarshal(last.Evidence, &ev); err != nil || len(ev.Guards) != 1 || ev.Guards[0].Status != "breached" || ev.Guards[0].Candidate <= ev.Guards[0].Current+0.02 {
		t.Fatalf("abort evidence %s: %v", last.Evidence, err)
	}
	steps := 0
	for _, e := range labels.History {
		if strings.Contains(e.Reason, "guards healthy") && len(e.Evidence) > 0 {
			steps++
		}
	}
	if steps != 4 {
		t.Errorf("%d steps recorded with evidence, want 4 (25, 50, 100 of the first; 25 of the second)", steps)
	}

	// 3. ab: a planted 2-point difference on 20,000 units, and an A/A split
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	plant := func(label string, rate1, rate2 float64, seed uint64) {
		// a fixed salt: the same units land in the same arms every run, so
		// the test is deterministic (an A/A test is "significant" in 5 % of
		// random assignments, by definition of the level)
		sp := store.Split{Arms: []store.Arm{{Version: 1, Weight: 50}, {Version: 2, Weight: 50}}, Salt: "salt-" + label}
		if _, err := st.SetLabel(context.Background(), store.LabelInput{Prompt: "support/reply", Label: label, Split: &sp, Actor: "test"}); err != nil {
			t.Fatal(err)
		}
		in, err := st.LabelInForce(context.Background(), "support/reply", label)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(seed, 1))
		var evs []store.Event
		for i := range 20000 {
			unit := fmt.Sprint("ab-", i)
			v, arm := in.Pick(unit)
			rate := rate1
			if v == 2 {
				rate = rate2
			}
			status := "ok"
			if rng.Float64() < rate {
				status = "error"
			}
			evs = append(evs, store.Event{Prompt: "support/reply", Version: v, Label: label, Arm: arm, Unit: unit, Time: time.Now(), Status: status, LatencyMS: 100})
		}
		if _, err := st.RecordEvents(context.Background(), evs); err != nil {
			t.Fatal(err)
		}
	}
	abOf := func(label string) ab.Report {
		r := mustOK(t, verso(t, db, "", "ab", "support/reply", "--label", label, "--json"))
		var rep ab.Report
		if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Comparisons) != 1 {
			t.Fatalf("ab %s: %v\n%s", label, err, r.stdout)
		}
		return rep
	}
	plant("exp", 0.03, 0.05, 11)
	rep := abOf("exp")
	if c := rep.Comparisons[0]; c.P >= 0.01 || !c.Significant || c.Diff < 0.01 || c.TooSmall || rep.SRM == nil || rep.SRM.Mismatch {
		t.Fatalf("planted 2-point difference: %+v srm %+v", c, rep.SRM)
	}
	t.Logf("planted 3%% vs 5%%: diff %+.4f, p %.3g", rep.Comparisons[0].Diff, rep.Comparisons[0].P)
	plant("aa", 0.03, 0.03, 12)
	rep = abOf("aa")
	t.Logf("A/A: diff %+.4f, p %.3g", rep.Comparisons[0].Diff, rep.Comparisons[0].P)
	if c := rep.Comparisons[0]; c.Significant || !strings.HasPrefix(c.Verdict, "no significant difference") {
		t.Fatalf("A/A split: %+v", c)
	}
	out := mustOK(t, verso(t, db, "", "ab", "support/reply", "--label", "exp")).stdout
	if !strings.Contains(out, "v2 differs from v1") || !strings.Contains(out, ": ok\n") {
		t.Fatalf("ab text:\n%s", out)
	}
	t.Logf("verso ab:\n%s", out)
}

type labelsDoc struct {
	History []struct {
		Label     string          `json:"label"`
		From      *int            `json:"from"`
		To        *int            `json:"to"`
		FromSplit *store.Split    `json:"from_split"`
		ToSplit   *store.Split    `json:"to_split"`
		Reason    string          `json:"reason"`
		Evidence  json.RawMessage `json:"evidence"`
	} `json:"history"`
}

func labelsJSON(t *testing.T, db string) labelsDoc {
	t.Helper()
	var d labelsDoc
	if err := json.Unmarshal([]byte(mustOK(t, verso(t, db, "", "labels", "support/reply", "--json")).stdout), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func movesOf(d labelsDoc, label string) string {
	side := func(v *int, sp *store.Split) string {
		switch {
		case sp != nil:
			return sp.String()
		case v == nil:
			return "new"
		}
		return fmt.Sprintf("v%d", *v)
	}
	var out []string
	for _, e := range d.History {
		if e.Label == label {
			out = append(out, side(e.From, e.FromSplit)+" -> "+side(e.To, e.ToSplit))
		}
	}
	return strings.Join(out, " | ")
}
