package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// richRegistry builds, through the store's own API, a registry with every
// kind of thing a full export carries: text and chat versions, configs, a
// dialect, restores (older content committed again), labels moved, forced,
// rolled back and removed, and suites with every case field.
func richRegistry(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 9, 0, 0, 123456000, time.UTC)
	tick := func() time.Time { at = at.Add(17*time.Minute + 3*time.Microsecond); return at }
	st := newStoreAt(t, tick)
	temp, seed := 0.2, 7
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	text := func(tpl string, parent int, cfg Config) {
		must(st.Commit(ctx, CommitInput{Name: "support/reply", Description: "replies", Tags: []string{"support", "email"}, Template: tpl,
			Message: "edit: " + tpl[:5], Author: "ann", Parent: parent, Config: cfg}))
	}
	text("Dear {{name}},\n\n<b>Thanks</b> & regards", 0, Config{Model: "demo/demo-large"})
	text("Hi {{name}}", 0, Config{Model: "demo/demo-large", Temperature: &temp, Stop: []string{"\n\n"}})
	text("Hello {{name}}, 日本🚀", 0, Config{Model: "demo/demo-small", Seed: &seed, MaxTokens: 99})
	// Restores: v4 is v2's content (parent 2), v5 is v1's, v6 edits v3 again.
	text("Hi {{name}}", 2, Config{Model: "demo/demo-large", Temperature: &temp, Stop: []string{"\n\n"}})
	text("Dear {{name}},\n\n<b>Thanks</b> & regards", 1, Config{Model: "demo/demo-large"})
	text("Hello {{name}}, 日本🚀", 3, Config{Model: "demo/demo-small", Seed: &seed, MaxTokens: 99})
	must(st.Commit(ctx, CommitInput{Name: "chat/bot", Kind: KindChat, Author: "bob", Message: "first",
		Messages: []Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: "{{q}}"}},
		Config:   Config{Model: "demo/demo-large", ResponseFormat: map[string]any{"type": "json_object"}, Tools: []any{map[string]any{"type": "function", "name": "f"}}}}))
	must(st.Commit(ctx, CommitInput{Name: "chat/bot", Kind: KindChat, Author: "bob", Message: "jinja", Dialect: DialectJinja2,
		Messages: []Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: "{{ q }}"}}}))
	must(st.Commit(ctx, CommitInput{Name: "chat/bot", Kind: KindChat, Author: "bob", Message: "restore v1", Parent: 1,
		Messages: []Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: "{{q}}"}},
		Config:   Config{Model: "demo/demo-large", ResponseFormat: map[string]any{"type": "json_object"}, Tools: []any{map[string]any{"type": "function", "name": "f"}}}}))

	move := func(p, l string, v int, reason string, force bool) {
		must(st.SetLabel(ctx, LabelInput{Prompt: p, Label: l, Version: v, Actor: "ann", Reason: reason, Force: force}))
	}
	move("support/reply", "staging", 2, "try", false)
	move("support/reply", "production", 1, "first", false)
	move("support/reply", "staging", 4, "restore of 2", false)
	move("support/reply", "canary", 3, "", false)
	must(st.RemoveLabel(ctx, RemoveLabelInput{Prompt: "support/reply", Label: "canary", Actor: "bob", Reason: "done"}))
	move("support/reply", "production", 5, "the restore of v1", false)
	move("support/reply", "production", 6, "", false)
	must(st.Rollback(ctx, RollbackInput{Prompt: "support/reply", Label: "production", Actor: "bob", Reason: "v6 is rude"}))
	move("chat/bot", "production", 3, "restored", false)

	th, w := 0.5, 2.0
	must(st.SaveSuite(ctx, "support/reply", Suite{Name: "default", Description: "the gate", Threshold: 0.75, Cases: []Case{
		{Name: "polite", Vars: map[string]any{"name": "Ada", "n": 3, "nested": map[string]any{"a": []any{1, "x", nil}}},
			Assertions: []Assertion{{Type: "icontains", Value: "ada"}, {Type: "similar", Value: "hi", Threshold: &th, Weight: &w, Metric: "m"}},
			Expected:   "Hi Ada", Tags: []string{"smoke"}, Threshold: &th},
		{Name: "empty vars"},
	}}))
	must(st.SaveSuite(ctx, "support/reply", Suite{Name: "smoke", Skipped: []string{"promptfooconfig.yaml: tests[0]: assert[1]: assert type webhook: Verso does not run this assertion type"}, Cases: []Case{{Name: "x", Vars: map[string]any{"name": "<&>"}}}}))
	// With the suite in place production is gated: force it, with a reason.
	move("support/reply", "production", 6, "hotfix", true)

	// Rollouts: one aborted by hand, one advanced to its end, one paused
	// half-way (live: its label stays split), each with its own plan.
	must(st.StartRollout(ctx, RolloutInput{Prompt: "chat/bot", To: 2, Actor: "ann", Reason: "try jinja"}))
	must(st.ChangeRollout(ctx, "chat/bot", "production", RolloutAbort, "bob", "not now"))
	move("chat/bot", "staging", 3, "", false)
	must(st.StartRollout(ctx, RolloutInput{Prompt: "chat/bot", Label: "staging", To: 2, Steps: []int{10, 100}, Every: 90 * time.Minute,
		Guards: []string{"error_rate<=5%", "cost<=+10%"}, MinRequests: 20, Actor: "ann"}))
	must(st.ChangeRollout(ctx, "chat/bot", "staging", RolloutAdvance, "ann", "looks fine"))
	move("support/reply", "eu", 4, "", false)
	must(st.StartRollout(ctx, RolloutInput{Prompt: "support/reply", Label: "eu", To: 5, Steps: []int{5, 30, 100}, UnitKey: "user_id",
		Guards: []string{"p95_latency<=+300ms", "score>=-0.05"}, Actor: "ann"}))
	must(st.ChangeRollout(ctx, "support/reply", "eu", RolloutAdvance, "ann", ""))
	must(st.ChangeRollout(ctx, "support/reply", "eu", RolloutPause, "bob", "holiday"))
	return st
}

// A full export imported into an empty file exports byte for byte the
// same, in every format: restores keep their numbers (so labels and
// @latest stay on the same versions), and the label history and suites
// come along.
func TestFullExportImportRoundTripIsExact(t *testing.T) {
	ctx := context.Background()
	src := richRegistry(t)
	doc, err := src.Export(ctx, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := doc.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"json", "yaml", "dir"} {
		path := writeExport(t, doc, format)
		dst := newStore(t)
		if _, err := dst.Import(ctx, path, "ci"); err != nil {
			t.Fatalf("%s: import: %v", format, err)
		}
		back, err := dst.Export(ctx, ExportOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := back.JSON()
		if string(got) != string(want) {
			t.Fatalf("%s: the round trip differs:\n%s\n---\n%s", format, want, got)
		}
		for _, ref := range []string{"support/reply@latest", "support/reply@production", "support/reply@staging", "support/reply@eu", "chat/bot@production", "chat/bot@staging", "chat/bot@latest"} {
			for _, unit := range []string{"user-1", "user-2", "user-3", "user-4"} {
				a, err1 := src.ResolveUnit(ctx, ref, unit)
				b, err2 := dst.ResolveUnit(ctx, ref, unit)
				if err1 != nil || err2 != nil || a.Number != b.Number || a.Arm != b.Arm || a.Parent != b.Parent || a.Hash != b.Hash {
					t.Fatalf("%s: %s for %s is v%d %q (parent %d) here, v%d %q (parent %d) there: %v %v", format, ref, unit,
						a.Number, a.Arm, a.Parent, b.Number, b.Arm, b.Parent, err1, err2)
				}
			}
		}
		// The rollouts come back as they were: plan, guards, state, times
		// and numbers, and the paused one still owns its label.
		for _, name := range []string{"support/reply", "chat/bot"} {
			a, err1 := src.Rollouts(ctx, name)
			b, err2 := dst.Rollouts(ctx, name)
			if err1 != nil || err2 != nil || len(a) == 0 || fmt.Sprintf("%+v", a) != fmt.Sprintf("%+v", b) {
				t.Fatalf("%s: %s rollouts:\n%+v\n---\n%+v\n%v %v", format, name, a, b, err1, err2)
			}
		}

		// Importing the same export again changes nothing.
		rep, err := dst.Import(ctx, path, "ci")
		if err != nil || rep.Created != 0 || rep.Labels != 0 {
			t.Fatalf("%s: re-import: %+v %v", format, rep, err)
		}
		again, _ := dst.Export(ctx, ExportOptions{})
		if b, _ := again.JSON(); string(b) != string(want) {
			t.Fatalf("%s: a re-import changed the registry", format)
		}
		// The imported paused rollout owns its label, and runs on.
		if _, err := dst.SetLabel(ctx, LabelInput{Prompt: "support/reply", Label: "eu", Version: 2, Actor: "ci"}); !errors.Is(err, ErrConflict) {
			t.Fatalf("%s: a hand move of the label of the imported paused rollout: %v", format, err)
		}
		if r, err := dst.ChangeRollout(ctx, "support/reply", "eu", RolloutResume, "ci", ""); err != nil || r.State != RolloutRunning || r.Step != 1 {
			t.Fatalf("%s: resume the imported rollout: %+v %v", format, r, err)
		}
	}
}

// An export whose rollouts were edited into nonsense is refused by name,
// and nothing of it is imported.
func TestImportRefusesABrokenRollout(t *testing.T) {
	ctx := context.Background()
	doc, err := richRegistry(t).Export(ctx, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		edit func(r *ExportRollout)
		want string
	}{
		{"state", func(r *ExportRollout) { r.State = "flying" }, `chat/bot rollout 1: state "flying": running, paused, aborted or done`},
		{"guard", func(r *ExportRollout) { r.Guards = []string{"latency<=3"} }, `guard "latency<=3": unknown metric`},
		{"version", func(r *ExportRollout) { r.To = 9 }, "chat/bot rollout 1: from v3 to v9: both must be versions of the export"},
		{"steps", func(r *ExportRollout) { r.Steps = []int{50, 20} }, "chat/bot rollout 1:"},
		{"every", func(r *ExportRollout) { r.Every = "soon" }, `chat/bot rollout 1: every "soon"`},
		{"time", func(r *ExportRollout) { r.StepAt = "" }, "chat/bot rollout 1: step_at is missing"},
		{"live", func(r *ExportRollout) { r.State = RolloutRunning }, "chat/bot rollout 1: it is running, but its label history leaves production on v3, not split between v3 and v2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var bad ExportDoc
			b, _ := doc.JSON()
			if err := json.Unmarshal(b, &bad); err != nil {
				t.Fatal(err)
			}
			for i := range bad.Prompts {
				if bad.Prompts[i].Name == "chat/bot" {
					c.edit(&bad.Prompts[i].Rollouts[0])
				}
			}
			b, _ = bad.JSON()
			path := filepath.Join(t.TempDir(), "export.json")
			os.WriteFile(path, b, 0o644)
			dst := newStore(t)
			_, err := dst.Import(ctx, path, "ci")
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("import: %v\nwant %q", err, c.want)
			}
			if ps, _ := dst.ListPrompts(ctx, ListOptions{}); len(ps) != 0 {
				t.Fatalf("a refused import left %d prompts", len(ps))
			}
		})
	}
}

// writeExport writes doc in format (json, yaml or dir) into a new temp
// folder and returns the path an import reads.
func writeExport(t *testing.T, doc ExportDoc, format string) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "export."+format)
	var data []byte
	var err error
	switch format {
	case "json":
		data, err = doc.JSON()
	case "yaml":
		data, err = doc.YAML()
	case "dir":
		path = filepath.Join(dir, "out")
		_, err = doc.WriteDir(path)
	}
	if err == nil && data != nil {
		err = os.WriteFile(path, data, 0o644)
	}
	if err != nil {
		t.Fatalf("write the %s export: %v", format, err)
	}
	return path
}
