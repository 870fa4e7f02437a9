package demo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/demo"
	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/eval/assert"
	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/store"
)

func buildDemo(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := demo.Build(context.Background(), st, "tester"); err != nil {
		t.Fatal(err)
	}
	return st
}

// input turns a version's rendered messages and config into what the demo
// model receives (the provider sends the same fields).
func input(v store.Version, msgs []store.Message) modelserver.Input {
	in := modelserver.Input{Model: v.Config.Model}
	for _, m := range msgs {
		in.Messages = append(in.Messages, modelserver.Message{Role: m.Role, Content: m.Content})
	}
	if v.Config.Temperature != nil {
		in.Temperature = *v.Config.Temperature
	}
	if rf, ok := v.Config.ResponseFormat.(map[string]any); ok {
		switch rf["type"] {
		case "json_object":
			in.JSON = true
		case "json_schema":
			in.JSON = true
			if js, ok := rf["json_schema"].(map[string]any); ok {
				in.Schema, _ = json.Marshal(js["schema"])
			}
		}
	}
	return in
}

var models = assert.Models{
	Grader: "demo/demo-large",
	Ask: func(ctx context.Context, model string, msgs []store.Message) (string, error) {
		var in modelserver.Input
		in.Model = "demo-large"
		for _, m := range msgs {
			in.Messages = append(in.Messages, modelserver.Message{Role: m.Role, Content: m.Content})
		}
		return modelserver.Reply(in), nil
	},
	Embed: func(ctx context.Context, model string, texts []string) ([][]float32, error) {
		out := make([][]float32, len(texts))
		for i, s := range texts {
			out[i] = modelserver.Embed(s)
		}
		return out, nil
	},
}

// passes runs the suite on one version through the brain and the real
// assertion engine; it returns the passing case names and a failure log.
func passes(t *testing.T, v store.Version, su store.Suite) (int, []string) {
	t.Helper()
	ctx := context.Background()
	n := 0
	var log []string
	for _, c := range su.Cases {
		for _, a := range c.Assertions {
			if err := assert.Validate(a); err != nil {
				t.Errorf("%s case %q: invalid assertion: %v", v.Prompt, c.Name, err)
			}
		}
		msgs, err := prompt.Render(v, c.Vars)
		if err != nil {
			t.Fatalf("%s@%d case %q: %v", v.Prompt, v.Number, c.Name, err)
		}
		out := modelserver.Reply(input(v, msgs))
		if v.Config.MaxTokens > 0 && modelserver.Tokens(out) > v.Config.MaxTokens {
			out = out[:v.Config.MaxTokens*4]
		}
		th := su.Threshold
		if c.Threshold != nil {
			th = *c.Threshold
		}
		o := assert.Evaluate(ctx, c.Assertions, th, assert.Input{Output: out, Vars: c.Vars, Expected: c.Expected, Model: "demo/" + v.Config.Model}, models)
		if o.Pass {
			n++
			continue
		}
		var why []string
		for _, r := range o.Failed() {
			why = append(why, r.Type+": "+r.Reason)
		}
		log = append(log, fmt.Sprintf("  v%d %-24s %s\n      output: %q", v.Number, c.Name, strings.Join(why, "; "), excerpt(out)))
	}
	return n, log
}

func excerpt(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

// TestDemoStory checks what the eval tour relies on (issue 5): improved
// versions pass more cases, and one newer version regresses.
func TestDemoStory(t *testing.T) {
	st := buildDemo(t)
	ctx := context.Background()
	beats, regressions := 0, 0
	for _, name := range demo.Names() {
		su, err := st.Suite(ctx, name, "default")
		if err != nil {
			t.Fatal(err)
		}
		if len(su.Cases) < 5 || len(su.Cases) > 20 {
			t.Errorf("%s: %d cases, want 5..20", name, len(su.Cases))
		}
		hist, err := st.History(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		labels, err := st.Labels(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		prod := 0
		for _, l := range labels {
			if l.Name == "production" {
				prod = l.Version
			}
		}
		if prod == 0 {
			t.Errorf("%s has no production label", name)
			continue
		}
		score := map[int]int{}
		var line []string
		var logs []string
		for i := len(hist) - 1; i >= 0; i-- {
			v := hist[i]
			n, log := passes(t, v, su)
			score[v.Number] = n
			mark := ""
			if v.Number == prod {
				mark = "*"
			}
			line = append(line, fmt.Sprintf("v%d%s %d/%d", v.Number, mark, n, len(su.Cases)))
			logs = append(logs, log...)
		}
		latest := hist[0].Number
		t.Logf("%-26s %s", name, strings.Join(line, "  "))
		if testing.Verbose() {
			for _, l := range logs {
				t.Log(l)
			}
		}
		if latest != prod && score[latest] > score[prod] && score[latest] == len(su.Cases) {
			beats++
		}
		for v := prod + 1; v <= latest; v++ {
			if score[v] < score[prod] {
				regressions++
				break
			}
		}
	}
	if beats < 3 {
		t.Errorf("the newest version passes every case and beats production in %d prompts, want at least 3", beats)
	}
	if regressions < 1 {
		t.Error("no prompt has a newer version that is worse than production")
	}
}

func TestBuild(t *testing.T) {
	st := buildDemo(t)
	ctx := context.Background()
	ps, err := st.ListPrompts(ctx, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) < 9 {
		t.Fatalf("%d prompts, want at least 9", len(ps))
	}
	seen := map[string]bool{}
	rollbacks := 0
	now := time.Now()
	for _, p := range ps {
		if p.Latest < 3 || p.Latest > 8 {
			t.Errorf("%s has %d versions, want 3..8", p.Name, p.Latest)
		}
		for l := range p.Labels {
			seen[l] = true
		}
		hist, err := st.History(ctx, p.Name)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range hist {
			if v.CreatedAt.After(now) || now.Sub(v.CreatedAt) > 60*24*time.Hour {
				t.Errorf("%s@%d created %v", p.Name, v.Number, v.CreatedAt)
			}
			if i > 0 && !hist[i-1].CreatedAt.After(v.CreatedAt) {
				t.Errorf("%s: v%d is not newer than v%d", p.Name, hist[i-1].Number, v.Number)
			}
			if v.Author == "" || v.Message == "" {
				t.Errorf("%s@%d lacks an author or message", p.Name, v.Number)
			}
		}
		evs, err := st.LabelHistory(ctx, p.Name)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range evs {
			if e.Reason == "" {
				t.Errorf("%s: label event without a reason", p.Name)
			}
			if strings.HasPrefix(e.Reason, "rollback") {
				rollbacks++
			}
			if i > 0 && e.At.Before(evs[i-1].At) {
				t.Errorf("%s: label events out of order", p.Name)
			}
		}
	}
	for _, l := range []string{"production", "staging", "development"} {
		if !seen[l] {
			t.Errorf("no prompt has a %s label", l)
		}
	}
	if rollbacks == 0 {
		t.Error("no rollback in the label history")
	}
	g, err := st.Gate(ctx)
	if err != nil || len(g.Protected) == 0 {
		t.Errorf("gate %+v, %v: production should be protected after the build", g, err)
	}
	// The sql rollback put production back on v3.
	v, err := st.Resolve(ctx, "sql/from-question")
	if err != nil || v.Number != 3 {
		t.Errorf("sql/from-question@production = v%d, %v; want v3 after the rollback", v.Number, err)
	}
}

func TestSynthetic(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "big.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	var calls []int
	if err := demo.Synthetic(ctx, st, 300, 4, func(done int) { calls = append(calls, done) }); err != nil {
		t.Fatal(err)
	}
	if len(calls) == 0 || calls[len(calls)-1] != 300 {
		t.Errorf("progress calls %v", calls)
	}
	ps, err := st.ListPrompts(ctx, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 300 {
		t.Fatalf("%d prompts", len(ps))
	}
	labelled := 0
	for _, p := range ps {
		if p.Latest != 4 {
			t.Fatalf("%s has %d versions", p.Name, p.Latest)
		}
		if !strings.Contains(p.Name, "/") {
			t.Errorf("%s is not in a folder", p.Name)
		}
		if len(p.Labels) > 0 {
			labelled++
		}
	}
	if labelled < 140 {
		t.Errorf("only %d prompts have labels", labelled)
	}
	chats := 0
	for _, p := range ps[:40] {
		hist, err := st.History(ctx, p.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range hist {
			n := len(v.Template)
			for _, m := range v.Messages {
				n += len(m.Content) + 1
			}
			if v.Kind == store.KindChat {
				chats++
			}
			if n < 200 || n > 4000 {
				t.Errorf("%s@%d is %d characters", p.Name, v.Number, n)
			}
			if vars := prompt.Variables(v); len(vars) == 0 {
				t.Errorf("%s@%d has no variables", p.Name, v.Number)
			}
		}
	}
	if chats == 0 {
		t.Error("no chat prompts in the synthetic registry")
	}
}

// BenchmarkSynthetic10kx10 is the "verso demo --prompts 10000 --versions 10"
// figure: go test ./demo -run X -bench Synthetic -benchtime 1x
func BenchmarkSynthetic10kx10(b *testing.B) {
	for i := 0; i < b.N; i++ {
		st, err := store.Open(filepath.Join(b.TempDir(), "big.db"))
		if err != nil {
			b.Fatal(err)
		}
		if err := demo.Synthetic(context.Background(), st, 10000, 10, nil); err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
}
