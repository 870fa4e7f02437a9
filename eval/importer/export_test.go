package importer

import (
	"context"
	"github.com/seed94f0f622/verso/internal/pgtest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/store"
)

func f64(f float64) *float64 { return &f }

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(pgtest.Location(t, "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func commitAll(t *testing.T, st *store.Store, ins ...store.CommitInput) {
	t.Helper()
	for _, in := range ins {
		if _, err := st.Commit(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
}

// roundTrip exports st in f, imports the export into a fresh registry and
// returns it.
func roundTrip(t *testing.T, st *store.Store, f Format, label string) *store.Store {
	t.Helper()
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "export")
	if f == Langfuse {
		out += ".json"
	}
	files, err := Export(ctx, st, ExportOptions{Format: f, Label: label}, out)
	if err != nil {
		t.Fatal(err)
	}
	dst := openStore(t)
	switch f {
	case Prompty, Dotprompt, Langfuse:
		files = []string{out} // the folder, as a user imports it
	}
	for _, file := range files {
		var name string
		if f == Promptfoo {
			rel, _ := filepath.Rel(out, filepath.Dir(file))
			name = filepath.ToSlash(rel)
		}
		p, err := Read(file, Options{Format: f, Name: name})
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(p.Skipped) > 0 {
			t.Fatalf("%s: skipped %q", file, p.Skipped)
		}
		if _, err := p.Apply(ctx, dst, "t"); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// sameVersions checks that name's versions (content hashes, in order)
// and labels are the same in both registries.
func sameVersions(t *testing.T, a, b *store.Store, name string) {
	t.Helper()
	ctx := context.Background()
	ha, err := a.History(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	hb, err := b.History(ctx, name)
	if err != nil {
		t.Fatalf("%s after the round trip: %v", name, err)
	}
	if len(ha) != len(hb) {
		t.Fatalf("%s: %d versions, %d after the round trip", name, len(ha), len(hb))
	}
	for i := range ha {
		if ha[i].Hash != hb[i].Hash || !reflect.DeepEqual(ha[i].Labels, hb[i].Labels) {
			t.Errorf("%s v%d: %+v\nafter the round trip: %+v", name, ha[i].Number, ha[i], hb[i])
		}
	}
}

func sameSuite(t *testing.T, a, b *store.Store, name, suite string) {
	t.Helper()
	ctx := context.Background()
	sa, err := a.Suite(ctx, name, suite)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := b.Suite(ctx, name, suite)
	if err != nil {
		t.Fatalf("suite after the round trip: %v", err)
	}
	if len(sa.Cases) != len(sb.Cases) || sa.Threshold != sb.Threshold {
		t.Fatalf("suite: %d cases (threshold %v), after: %d (%v)", len(sa.Cases), sa.Threshold, len(sb.Cases), sb.Threshold)
	}
	for i := range sa.Cases {
		ca, cb := sa.Cases[i], sb.Cases[i]
		ca.ID, cb.ID, ca.SuiteID, cb.SuiteID = 0, 0, 0, 0
		if !reflect.DeepEqual(ca, cb) {
			t.Errorf("case %d:\n%+v\nafter the round trip:\n%+v", i, ca, cb)
		}
	}
}

func TestRoundTripPromptfoo(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	cfg := store.Config{Model: "gpt-4o-mini", Temperature: f64(0.2), MaxTokens: 100}
	commitAll(t, st,
		store.CommitInput{Name: "translate", Dialect: store.DialectJinja2, Template: "Translate {{ text }} to {{ lang }}", Config: cfg},
		store.CommitInput{Name: "support/chat", Dialect: store.DialectJinja2, Kind: store.KindChat, Config: cfg,
			Messages: []store.Message{{Role: "system", Content: "Be kind"}, {Role: "user", Content: "{{ q }}"}}},
	)
	if _, err := st.SaveSuite(ctx, "translate", store.Suite{Name: "default", Threshold: 0.5, Cases: []store.Case{
		{Name: "fr", Vars: map[string]any{"text": "Hello", "lang": "French"}, Expected: "Bonjour",
			Assertions: []store.Assertion{{Type: "equals", Value: "Bonjour"}, {Type: "icontains", Value: "bon", Weight: f64(2)}}, Tags: []string{"area:greeting"}},
		{Name: "de", Vars: map[string]any{"text": "Bye", "lang": "German", "n": 2.0}, Assertions: []store.Assertion{{Type: "llm-rubric", Value: "is German", Provider: "gpt-4o"}}, Threshold: f64(0.8)},
		// A case's list vars stay one case: a chat history (promptfoo keeps
		// it whole) and a list of strings (which it would expand, so the
		// export turns the expansion off).
		{Name: "lists", Vars: map[string]any{"text": "Hi", "lang": "Dutch", "history": []any{map[string]any{"user": "hi"}}, "words": []any{"a", "b"}}},
	}}); err != nil {
		t.Fatal(err)
	}
	dst := roundTrip(t, st, Promptfoo, "")
	sameVersions(t, st, dst, "translate")
	sameVersions(t, st, dst, "support/chat")
	sameSuite(t, st, dst, "translate", "default")
	// A mustache version is not Nunjucks: refused by name.
	commitAll(t, st, store.CommitInput{Name: "m", Template: "{{#items}}x{{/items}}"})
	if _, err := Export(ctx, st, ExportOptions{Format: Promptfoo, Prompt: "m"}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "not Nunjucks") {
		t.Fatalf("mustache: %v", err)
	}
}

func TestRoundTripPrompty(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	commitAll(t, st,
		store.CommitInput{Name: "support/reply", Description: "Replies", Tags: []string{"support"}, Dialect: store.DialectJinja2, Kind: store.KindChat,
			Config:   store.Config{Model: "gpt-4o-mini", Temperature: f64(0.3), MaxTokens: 200, Stop: []string{"END"}, ResponseFormat: map[string]any{"type": "json_object"}},
			Messages: []store.Message{{Role: "system", Content: "You help {{customer}}.\n{% if vip %}Be quick.{% endif %}"}, {Role: "user", Content: "{{question}}"}}},
		store.CommitInput{Name: "summary", Template: "Summarise {{text}}", Config: store.Config{Model: "gpt-4o"}},
		store.CommitInput{Name: "hb", Dialect: store.DialectHandlebars, Template: "{{#if x}}yes{{/if}} {{y}}"},
	)
	if _, err := st.SaveSuite(ctx, "support/reply", store.Suite{Name: SamplesSuite, Cases: []store.Case{{Name: "sample", Vars: map[string]any{"customer": "Ada", "question": "Where?"}}}}); err != nil {
		t.Fatal(err)
	}
	dst := roundTrip(t, st, Prompty, "")
	for _, n := range []string{"support/reply", "summary", "hb"} {
		sameVersions(t, st, dst, n)
	}
	sameSuite(t, st, dst, "support/reply", SamplesSuite)
}

func TestRoundTripDotprompt(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	commitAll(t, st,
		store.CommitInput{Name: "greet", Description: "Greets", Dialect: store.DialectHandlebars, Kind: store.KindChat,
			Config:   store.Config{Model: "googleai/gemini-2.5-flash", Temperature: f64(0.7), MaxTokens: 300, ResponseFormat: map[string]any{"type": "json_object"}},
			Messages: []store.Message{{Role: "system", Content: "Be kind."}, {Role: "user", Content: "Hello {{name}}{{#if vip}}!{{/if}}"}}},
		store.CommitInput{Name: "plain", Dialect: store.DialectHandlebars, Template: "Summarise {{text}}"},
		store.CommitInput{Name: "schema", Dialect: store.DialectHandlebars, Template: "Review {{film}}", Config: store.Config{ResponseFormat: map[string]any{
			"type": "json_schema", "json_schema": map[string]any{"name": "output", "schema": map[string]any{"type": "object", "additionalProperties": false,
				"required": []any{"rating"}, "properties": map[string]any{"rating": map[string]any{"type": "integer"}}}}}}},
	)
	if _, err := st.SaveSuite(ctx, "greet", store.Suite{Name: SamplesSuite, Cases: []store.Case{{Name: "defaults", Vars: map[string]any{"name": "Ada"}}}}); err != nil {
		t.Fatal(err)
	}
	dst := roundTrip(t, st, Dotprompt, "")
	sameVersions(t, st, dst, "greet")
	sameVersions(t, st, dst, "plain")
	sameVersions(t, st, dst, "schema")
	sameSuite(t, st, dst, "greet", SamplesSuite)
	commitAll(t, st, store.CommitInput{Name: "j", Dialect: store.DialectJinja2, Template: "{{ x }}"})
	if _, err := Export(ctx, st, ExportOptions{Format: Dotprompt, Prompt: "j"}, t.TempDir()); err == nil || !strings.Contains(err.Error(), "Dotprompt is Handlebars") {
		t.Fatalf("jinja2: %v", err)
	}
}

// Langfuse holds the whole history: every version and its labels come
// back (latest is Langfuse's name for the newest version).
func TestRoundTripLangfuse(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	commitAll(t, st,
		store.CommitInput{Name: "support/reply", Template: "Hi {{name}}", Message: "first", Config: store.Config{Model: "gpt-4o-mini", Temperature: f64(0.1)}},
		store.CommitInput{Name: "support/reply", Template: "Hello {{name}}", Message: "second"},
		store.CommitInput{Name: "support/reply", Template: "Hello {{name}}!", Message: "third"},
		store.CommitInput{Name: "bot", Kind: store.KindChat, Messages: []store.Message{{Role: "system", Content: "Brief"}, {Role: "user", Content: "{{q}}"}}},
	)
	for l, v := range map[string]int{"production": 1, "staging": 2} {
		if _, err := st.SetLabel(ctx, store.LabelInput{Prompt: "support/reply", Label: l, Version: v, Actor: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	dst := roundTrip(t, st, Langfuse, "")
	sameVersions(t, st, dst, "support/reply")
	sameVersions(t, st, dst, "bot")
}
