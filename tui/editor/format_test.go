package editor

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/store"
)

func f64(f float64) *float64 { return &f }
func intp(i int) *int        { return &i }

func text(tpl string) Doc {
	return Doc{Name: "support/reply", Kind: store.KindText, Template: tpl}
}

func chat(msgs ...store.Message) Doc {
	return Doc{Name: "support/chat", Kind: store.KindChat, Messages: msgs}
}

func msg(role, content string) store.Message { return store.Message{Role: role, Content: content} }

// fullConfig uses every key, with free-form values as the store decodes
// them (JSON: float64 numbers, map[string]any).
func fullConfig() store.Config {
	return store.Config{
		Model: "gpt-4o-mini", Temperature: f64(0), MaxTokens: 512, TopP: f64(0.95),
		Stop: []string{"\n\n", "END", "---"}, Seed: intp(42),
		ResponseFormat: map[string]any{"type": "json_schema", "json_schema": map[string]any{
			"name": "reply", "strict": true, "schema": map[string]any{"type": "object", "maxProperties": 3.0}}},
		Tools: []any{map[string]any{"type": "function", "function": map[string]any{"name": "lookup", "weight": 1.5}}},
	}
}

func roundTripCases() map[string]Doc {
	withMeta := text("Hello {{name}}\n")
	withMeta.Description = "Replies to tickets.\n---\nSecond paragraph: with # and : inside"
	withMeta.Tags = []string{"support", "e-mail", "ünïcode"}
	withMeta.Config = fullConfig()
	chatCfg := chat(msg("system", "Be brief."), msg("user", "{{q}}"))
	chatCfg.Config = store.Config{Model: "gpt-4o", Temperature: f64(1)}
	return map[string]Doc{
		"text simple":           text("Summarise: {{ticket}}"),
		"text trailing newline": text("Summarise: {{ticket}}\n"),
		"text blank edges":      text("\n\n  indented first line\nlast\n\n\n"),
		"text dashes":           text("---\nintro\n---\n\n---\nyaml: like\n---"),
		"text headings inside":  text("=== system ===\nnot a message in a text prompt\n\\=== user ==="),
		"text markdown":         text("# Title\n\nSetext\n======\n\n- item\n\n```yaml\n---\nkey: v\n```\n"),
		"text tabs unicode":     text("\tcol1\tcol2\n日本語のテキスト 🎉 naïve café\n\u200bzero width\n"),
		"text carriage returns": text("line one\r\nline two\r\n"),
		"text whitespace lines": text("a  \n \t \nb\t"),
		"text meta and config":  withMeta,
		"chat simple":           chat(msg("system", "You are helpful."), msg("user", "{{question}}")),
		"chat config":           chatCfg,
		"chat all roles": chat(msg("system", "s"), msg("developer", "d"), msg("user", "u"),
			msg("assistant", "a"), msg("tool", "t")),
		"chat heading-like content": chat(
			msg("system", "=== user ===\nfake heading\n===user===\n=== System ===\n\\=== user ===\n\\\\=== tool ==="),
			msg("user", "Title\n=====\n\n====== x ======\n=== a=b ===")),
		"chat blank edges": chat(msg("system", "\n\nstarts blank"), msg("user", "ends blank\n\n"),
			msg("assistant", ""), msg("user", "\n")),
		"chat trailing newline last": chat(msg("system", "x"), msg("user", "last\n")),
		"chat dashes and unicode":    chat(msg("system", "---\n---\n\t🎉 ünï\n---"), msg("user", "---")),
		"chat single":                chat(msg("user", "only one")),
	}
}

func TestRoundTrip(t *testing.T) {
	for name, d := range roundTripCases() {
		t.Run(name, func(t *testing.T) {
			file := Marshal(d)
			got, err := Parse(file)
			if err != nil {
				t.Fatalf("Parse: %v\n%s", err, file)
			}
			if !reflect.DeepEqual(got, d) {
				t.Fatalf("round trip differs:\n got %#v\nwant %#v\nfile:\n%s", got, d, file)
			}
			if !got.Same(d) {
				t.Fatal("Same is false after a round trip")
			}
			if again := Marshal(got); string(again) != string(file) {
				t.Fatalf("Marshal is not stable:\n%s\n---\n%s", file, again)
			}
		})
	}
}

// A file converted to CRLF by the editor reads as LF; a BOM is dropped.
func TestParseCRLFAndBOM(t *testing.T) {
	for name, d := range roundTripCases() {
		if strings.Contains(name, "carriage") {
			continue // CR in content cannot survive a whole-file conversion
		}
		crlf := strings.ReplaceAll(string(Marshal(d)), "\n", "\r\n")
		for _, file := range []string{crlf, "\ufeff" + crlf, "\ufeff" + string(Marshal(d))} {
			got, err := Parse([]byte(file))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !reflect.DeepEqual(got, d) {
				t.Fatalf("%s: got %#v, want %#v", name, got, d)
			}
		}
	}
}

// What the store holds round-trips exactly, and committing an unchanged
// edit is a no-op in the store too.
func TestStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for name, d := range roundTripCases() {
		d.Name = "rt/" + strings.ReplaceAll(name, " ", "-")
		if _, err := st.Commit(ctx, d.CommitInput("ana", "first", 0)); err != nil {
			t.Fatalf("%s: commit: %v", name, err)
		}
		v, err := st.Lookup(ctx, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		p, err := st.Prompt(ctx, d.Name)
		if err != nil {
			t.Fatal(err)
		}
		base := FromVersion(p, v)
		got, err := Parse(Marshal(base))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, base) || !got.Same(base) || !got.Same(d) {
			t.Fatalf("%s: got %#v\nwant %#v", name, got, base)
		}
		if _, err := st.Commit(ctx, got.CommitInput("ana", "again", v.Number)); !errors.Is(err, store.ErrNoChange) {
			t.Fatalf("%s: recommit: %v, want ErrNoChange", name, err)
		}
	}
}

func TestNewDoc(t *testing.T) {
	file := Marshal(NewDoc())
	_, err := Parse(file)
	want := "line 8: name: replace <folder/name> with the new prompt's name, e.g. name: support/reply"
	if err == nil || err.Error() != want {
		t.Fatalf("untouched new doc: %v, want %q", err, want)
	}
	named := strings.Replace(string(file), "name: "+Placeholder, "name: support/new", 1)
	d, err := Parse([]byte(named))
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "support/new" || d.Kind != store.KindText || !strings.Contains(d.Template, "{{question}}") {
		t.Fatalf("got %#v", d)
	}
}

// doc builds a file from settings lines and a body.
func doc(settings, body string) string { return "---\n" + settings + "---\n" + body }

func TestParseErrors(t *testing.T) {
	const ok = "name: a/b\n"
	cases := []struct{ name, file, want string }{
		{"no opening", "name: a/b\n---\nhi\n",
			"line 1: the file must start with a --- line (the settings follow it): put it back, or empty the file to cancel"},
		{"no closing", "---\nname: a/b\nhi\n",
			"line 1: the settings opened by --- are never closed: add a --- line between the settings and the template"},
		{"bad yaml", doc("name: a/b\ndescription: x: y\n", "hi\n"),
			`line 3: the settings are not valid YAML (mapping values are not allowed in this context): check the indentation, and put text holding ": " or " #" in double quotes`},
		{"bad yaml indent", doc("name: a/b\n  model: x\n", "hi\n"),
			`line 3: the settings are not valid YAML (mapping values are not allowed in this context): check the indentation, and put text holding ": " or " #" in double quotes`},
		{"not a mapping", doc("- a\n- b\n", "hi\n"),
			`line 2: the settings must be "key: value" lines, e.g. name: support/reply`},
		{"unknown key near", doc(ok+"temprature: 0.2\n", "hi\n"),
			`line 3: unknown setting "temprature": did you mean temperature?`},
		{"unknown key far", doc(ok+"colour: blue\n", "hi\n"),
			`line 3: unknown setting "colour": remove it (settings: name, description, tags, kind, dialect, model, temperature, max_tokens, top_p, stop, seed, response_format, tools)`},
		{"duplicate key", doc(ok+"model: a\nmodel: b\n", "hi\n"),
			"line 4: model is set twice (also on line 3): keep one"},
		{"temperature text", doc(ok+"temperature: hot\n", "hi\n"),
			`line 3: temperature: "hot" is not a number: write e.g. temperature: 0.7`},
		{"max_tokens float", doc(ok+"max_tokens: 1.5\n", "hi\n"),
			`line 3: max_tokens: "1.5" is not a whole number: write e.g. max_tokens: 512`},
		{"seed list", doc(ok+"seed:\n  - 1\n", "hi\n"),
			`line 4: seed: a list is not a whole number: write e.g. seed: 42`},
		{"stop scalar", doc(ok+"stop: END\n", "hi\n"),
			`line 3: stop: "END" is not a list: write e.g. stop: ["\n\n", END]`},
		{"tags mapping", doc(ok+"tags: {a: b}\n", "hi\n"),
			`line 3: tags: a mapping is not a list: write e.g. tags: [support, email]`},
		{"model list", doc(ok+"model: [a]\n", "hi\n"),
			`line 3: model: a list is not text: write e.g. model: gpt-4o-mini`},
		{"response_format scalar", doc(ok+"response_format: json\n", "hi\n"),
			`line 3: response_format: "json" is not a mapping: write e.g. response_format: {type: json_object}`},
		{"tools non-text keys", doc(ok+"tools: [{1: x}]\n", "hi\n"),
			"line 3: response_format and tools must be JSON-like (text keys, no anchors): json: unsupported type: map[interface {}]interface {}"},
		{"unknown kind", doc(ok+"kind: markdown\n", "hi\n"),
			`line 3: kind "markdown" is unknown: use kind: text, or kind: chat for messages`},
		{"no name", doc("model: x\n", "hi\n"),
			"line 2: the settings have no name: add e.g. name: support/reply"},
		{"placeholder name", doc("name: <folder/name>\n", "hi\n"),
			"line 2: name: replace <folder/name> with the new prompt's name, e.g. name: support/reply"},
		{"invalid name", doc("# comment\nname: Support Reply\n", "hi\n"),
			`line 3: invalid prompt name "Support Reply": use lower-case letters, digits, '.', '_', '-' and '/' between folders, each part starting with a letter or digit (e.g. support/reply)`},
		{"empty name", doc("name:\n", "hi\n"),
			`line 2: invalid prompt name "": use lower-case letters, digits, '.', '_', '-' and '/' between folders, each part starting with a letter or digit (e.g. support/reply)`},
		{"name escaping its folder", doc("name: a/../../x\n", "hi\n"),
			`line 2: invalid prompt name "a/../../x": use lower-case letters, digits, '.', '_', '-' and '/' between folders, each part starting with a letter or digit (e.g. support/reply)`},
		{"name with a dot segment", doc("name: a/./b\n", "hi\n"),
			`line 2: invalid prompt name "a/./b": use lower-case letters, digits, '.', '_', '-' and '/' between folders, each part starting with a letter or digit (e.g. support/reply)`},
		{"empty template", doc(ok, "\n  \n\n"),
			"line 4: the template is empty: write it below the --- on line 3, or empty the file to cancel"},
		{"no template at all", "---\nname: a/b\n---",
			"line 4: the template is empty: write it below the --- on line 3, or empty the file to cancel"},
		{"chat no messages", doc(ok+"kind: chat\n", "just text\n"),
			"line 5: text before the first message: start each message with a heading line such as === system ==="},
		{"chat empty body", doc(ok+"kind: chat\n", "\n\n"),
			"line 5: no messages: a chat prompt needs at least one, each starting with a heading line such as === user ==="},
		{"chat unknown role", doc(ok+"kind: chat\n", "=== system ===\nhi\n\n=== sytem ===\nx\n"),
			"line 8: unknown role \"sytem\": use system, user, assistant, developer, tool (e.g. === user ===)"},
		{"chat all empty", doc(ok+"kind: chat\n", "=== system ===\n\n=== user ===\n  \n"),
			"line 5: every message is empty: write the text below the headings, or empty the file to cancel"},
		{"empty file", "", ErrEmpty.Error()},
		{"blank file", " \n\r\n\t\n", ErrEmpty.Error()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.file))
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != c.want {
				t.Fatalf("got  %q\nwant %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatal("error is not one line")
			}
		})
	}
	if _, err := Parse(nil); !errors.Is(err, ErrEmpty) {
		t.Fatalf("nil: %v, want ErrEmpty", err)
	}
}

// Authors type headings loosely and leave settings blank: accepted.
func TestParseLenient(t *testing.T) {
	file := doc("name: a/b\nkind: chat\ntemperature:\nmodel: m\n",
		"\n===System===\nBe brief.\n=== USER ===\n{{q}}\n")
	got, err := Parse([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	want := Doc{Name: "a/b", Kind: store.KindChat, Config: store.Config{Model: "m"},
		Messages: []store.Message{msg("system", "Be brief."), msg("user", "{{q}}")}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v\nwant %#v", got, want)
	}
	// No kind means text, as in the store; a file without a final newline
	// keeps its last line.
	got, err = Parse([]byte(doc("name: a/b\n", "no newline")))
	if err != nil || got.Kind != store.KindText || got.Template != "no newline" {
		t.Fatalf("got %#v, %v", got, err)
	}
}

func TestSame(t *testing.T) {
	base := text("Hello\n")
	base.Config = fullConfig()
	mod := func(f func(*Doc)) Doc {
		d := base
		d.Config = fullConfig()
		f(&d)
		return d
	}
	c := chat(msg("system", "s"), msg("user", "u"))
	cases := []struct {
		name string
		d    Doc
		base Doc
		want bool
	}{
		{"identical", mod(func(*Doc) {}), base, true},
		{"metadata ignored", mod(func(d *Doc) { d.Name, d.Description, d.Tags = "x/y", "new", []string{"t"} }), base, true},
		{"template", mod(func(d *Doc) { d.Template = "Hello" }), base, false},
		{"model", mod(func(d *Doc) { d.Config.Model = "other" }), base, false},
		{"temperature unset vs 0", mod(func(d *Doc) { d.Config.Temperature = nil }), base, false},
		{"stop order", mod(func(d *Doc) { d.Config.Stop = []string{"END", "\n\n", "---"} }), base, false},
		{"yaml number types", mod(func(d *Doc) {
			d.Config.ResponseFormat = map[string]any{"json_schema": map[string]any{"strict": true, "name": "reply",
				"schema": map[string]any{"maxProperties": 3, "type": "object"}}, "type": "json_schema"}
		}), base, true},
		{"other kind's content ignored", Doc{Kind: store.KindText, Template: "t", Messages: []store.Message{msg("user", "x")}}, Doc{Template: "t"}, true},
		{"kind", Doc{Kind: store.KindChat, Messages: []store.Message{msg("user", "t")}}, Doc{Kind: store.KindText, Template: "t"}, false},
		{"chat same", c, chat(msg("system", "s"), msg("user", "u")), true},
		{"chat role", c, chat(msg("developer", "s"), msg("user", "u")), false},
		{"chat content", c, chat(msg("system", "s "), msg("user", "u")), false},
		{"chat order", c, chat(msg("user", "u"), msg("system", "s")), false},
		{"nil vs empty lists", Doc{Template: "t", Config: store.Config{Stop: []string{}}}, Doc{Template: "t"}, true},
	}
	for _, tc := range cases {
		if got := tc.d.Same(tc.base); got != tc.want {
			t.Errorf("%s: Same = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestCheckName(t *testing.T) {
	existing := text("x")
	renamed := existing
	renamed.Name = "support/other"
	if err := existing.CheckName(existing); err != nil {
		t.Fatal(err)
	}
	err := renamed.CheckName(existing)
	want := `name: an existing prompt cannot be renamed here: put back "support/reply" (n creates a new prompt)`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v", err)
	}
	if err := renamed.CheckName(NewDoc()); err != nil {
		t.Fatalf("new prompt: %v", err)
	}
}

func TestCommitInput(t *testing.T) {
	d := chat(msg("user", "u"))
	d.Template = "stale"
	d.Description = "desc"
	in := d.CommitInput("ana", "Shorter", 3)
	want := store.CommitInput{Name: "support/chat", Description: "desc", Tags: []string{}, Kind: store.KindChat,
		Messages: []store.Message{msg("user", "u")}, Message: "Shorter", Author: "ana", Parent: 3}
	if !reflect.DeepEqual(in, want) {
		t.Fatalf("got %#v\nwant %#v", in, want)
	}
}

// A key added to store.Config must be added to the settings too, or Parse
// would refuse the files Marshal writes.
func TestSettingsCoverConfig(t *testing.T) {
	ct := reflect.TypeOf(store.Config{})
	for i := range ct.NumField() {
		key, _, _ := strings.Cut(ct.Field(i).Tag.Get("yaml"), ",")
		if _, ok := settingOf[key]; !ok {
			t.Errorf("store.Config key %q has no setting", key)
		}
	}
	if len(settings) != len(settingOf) {
		t.Errorf("settings lists %d keys, settingOf has %d", len(settings), len(settingOf))
	}
}
