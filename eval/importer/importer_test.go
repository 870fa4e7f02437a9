package importer

import (
	"context"
	"errors"
	"fmt"
	"github.com/seed94f0f622/verso/internal/pgtest"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/store"
)

// write creates files under a temp folder and returns it.
func write(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func read(t *testing.T, path string, o Options) *Plan {
	t.Helper()
	p, err := Read(path, o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustFail(t *testing.T, path string, o Options, want string) {
	t.Helper()
	_, err := Read(path, o)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("want an error with %q, got %v", want, err)
	}
}

const pfConfig = `description: Translate
prompts:
  - 'Translate to {{ language }}: {{ input }}'
  - file://prompts/chat.json
  - file://prompts/two.txt
providers:
  - id: openai:chat:gpt-4o-mini
    config:
      temperature: 0.2
      max_tokens: 128
      apiKey: sk-should-never-be-stored
defaultTest:
  vars:
    tone: plain
  assert:
    - type: contains
      value: "!"
  options:
    provider: openai:gpt-4o
tests:
  - description: greet
    vars:
      language: [French, German]
      input: Hello
    assert:
      - type: llm-rubric
        value: is a greeting
  - description: long
    vars:
      language: French
      input: file://data/long.txt
  - file://tests.csv
  - file://more/*.yaml
`

func pfFiles() map[string]string {
	return map[string]string{
		"promptfooconfig.yaml": pfConfig,
		"prompts/chat.json":    `[{"role": "system", "content": "You translate."}, {"role": "user", "content": "{{ input }} -> {{ language }}"}]`,
		"prompts/two.txt":      "First: {{ input }}\n---\nSecond: {{ input }} in {{ language }}\n",
		"data/long.txt":        "a long text",
		"tests.csv": "language,input,__expected,__expected2,__description,__config:__expected2:threshold,__metadata:owner\n" +
			"Spanish,Thanks,Gracias,latency(500),csv one,,ana\n" +
			"Italian,Bye,contains:Ciao,similar:arrivederci,csv two,0.8,\n",
		"more/a.yaml": "- vars: {language: Dutch, input: Yes}\n  metadata: {area: smoke}\n",
	}
}

// A whole promptfoo config: prompts inline, from text files (split on
// ---) and JSON chat; the provider as the versions' model config without
// its key; tests inline, from CSV and from a glob of YAML; defaultTest
// merged as promptfoo merges it; list-valued vars expanded; file:// vars
// read; CSV __expected typed (latency(500) is a latency check, not text).
func TestPromptfooWholeConfig(t *testing.T) {
	dir := write(t, pfFiles())
	p := read(t, filepath.Join(dir, "promptfooconfig.yaml"), Options{})
	if p.Format != Promptfoo || len(p.Versions) != 4 {
		t.Fatalf("format %s, %d versions", p.Format, len(p.Versions))
	}
	name := Slug(filepath.Base(dir))
	for i, v := range p.Versions {
		if v.Name != name || v.Dialect != store.DialectJinja2 || v.Config.Model != "gpt-4o-mini" || *v.Config.Temperature != 0.2 || v.Config.MaxTokens != 128 {
			t.Errorf("version %d: %+v", i+1, v.CommitInput)
		}
	}
	if p.Versions[1].Kind != store.KindChat || len(p.Versions[1].Messages) != 2 || p.Versions[2].Template != "First: {{ input }}" {
		t.Errorf("prompt sources: %+v", p.Versions)
	}
	if strings.Contains(fmt.Sprint(p.Versions, p.Maps), "sk-should") {
		t.Fatal("the API key reached the plan")
	}
	su := p.Suites[0]
	var names []string
	for _, c := range su.Cases {
		names = append(names, c.Name)
	}
	want := []string{"greet (language=French)", "greet (language=German)", "long", "csv one", "csv two", "case 6"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("cases %q, want %q", names, want)
	}
	greet := su.Cases[0]
	if greet.Vars["tone"] != "plain" || greet.Vars["language"] != "French" || len(greet.Assertions) != 2 ||
		greet.Assertions[0].Type != "contains" || greet.Assertions[1].Type != "llm-rubric" || greet.Assertions[1].Provider != "gpt-4o" {
		t.Errorf("defaultTest merge: %+v", greet)
	}
	if su.Cases[2].Vars["input"] != "a long text" {
		t.Errorf("file:// var: %v", su.Cases[2].Vars)
	}
	csv1, csv2 := su.Cases[3], su.Cases[4]
	if csv1.Expected != "Gracias" || csv1.Assertions[1].Type != "equals" || csv1.Assertions[2].Type != "latency" || *csv1.Assertions[2].Threshold != 500 {
		t.Errorf("csv one: %+v", csv1.Assertions)
	}
	if !reflect.DeepEqual(csv1.Tags, []string{"owner:ana"}) {
		t.Errorf("__metadata: %v", csv1.Tags)
	}
	if csv2.Assertions[2].Type != "similar" || *csv2.Assertions[2].Threshold != 0.8 {
		t.Errorf("__config threshold: %+v", csv2.Assertions)
	}
	if c := su.Cases[5]; c.Vars["language"] != "Dutch" || !reflect.DeepEqual(c.Tags, []string{"area:smoke"}) {
		t.Errorf("glob yaml: %+v", c)
	}
}

// What Verso cannot honour is refused by name, or skipped and listed with
// SkipUnsupported; bad references are named.
func TestPromptfooRefusals(t *testing.T) {
	cases := []struct {
		name, config string
		files        map[string]string
		opts         Options
		want         string
	}{
		{"unknown key", "prompts: [hi]\nscenarios: []\ncolour: red\n", nil, Options{}, `unknown or unsupported key "colour"`},
		{"missing file", "prompts: [file://nope.txt]\n", nil, Options{}, "file://nope.txt: no such file"},
		{"outside the folder", "prompts: [file://../secret.txt]\n", nil, Options{}, "points outside the config's folder"},
		{"binary var", "prompts: ['{{ doc }}']\ntests:\n  - vars: {doc: file://paper.pdf}\n", map[string]string{"paper.pdf": "%PDF-1.4\x00\x01\x02"}, Options{}, "file://paper.pdf is a binary file (.pdf)"},
		{"webhook assertion", "prompts: [hi]\ntests:\n  - assert: [{type: webhook, value: 'https://example.com'}]\n", nil, Options{}, "assert type webhook: Verso does not run this assertion type"},
		{"javascript file", "prompts: [hi]\ntests:\n  - assert: [{type: javascript, value: 'file://check.js'}]\n", map[string]string{"check.js": "module.exports = () => true"}, Options{}, "javascript file://check.js: a script file"},
		{"javascript syntax", "prompts: [hi]\ntests:\n  - assert: [{type: javascript, value: 'output.length >'}]\n", nil, Options{}, `javascript: syntax error in "output.length >"`},
		{"transform", "prompts: [hi]\ntests:\n  - options: {transform: output.trim()}\n", nil, Options{}, "options.transform: output transforms run JavaScript"},
		{"rubricPrompt", "prompts: [hi]\ndefaultTest:\n  options: {rubricPrompt: judge}\ntests: [{vars: {}}]\n", nil, Options{}, "options.rubricPrompt"},
		{"csv prefix", "prompts: [hi]\ntests: file://t.csv\n", map[string]string{"t.csv": "q,__prefix\nx,y\n"}, Options{}, "column __prefix"},
		{"csv webhook", "prompts: [hi]\ntests: file://t.csv\n", map[string]string{"t.csv": "q,__expected\nx,webhook:https://example.com\n"}, Options{}, `assert type webhook`},
		{"cyclic", "prompts: [hi]\ntests: file://a.yaml\n", map[string]string{"a.yaml": "- vars: file://a.yaml\n"}, Options{}, "cyclic file:// reference"},
		{"nunjucks filter", "prompts: ['{{ x | nl2br }}']\n", nil, Options{}, `filter "nl2br" does not exist`},
		{"echo provider", "prompts: [hi]\nproviders: [{id: echo, label: Mock}]\n", nil, Options{}, "providers[0] echo: promptfoo's echo provider answers with the prompt itself"},
		{"http provider", "prompts: [hi]\nproviders: ['https://example.com/chat']\n", nil, Options{}, "HTTP and websocket targets are not models"},
		{"csv script file", "prompts: [hi]\ntests: file://t.csv\n", map[string]string{"t.csv": "q,__expected\nx,javascript:file://check.ts\n", "check.ts": "export default () => true"}, Options{}, "javascript file://check.ts: a script file"},
		{"unknown template", "prompts: [hi]\nassertionTemplates: {a: {type: contains, value: x}}\ntests:\n  - assert: [{$ref: '#/assertionTemplates/b'}]\n", nil, Options{}, `$ref "#/assertionTemplates/b": no such assertion template (assertionTemplates: a)`},
		{"custom nunjucks filter", "prompts: [prompts.txt]\n", map[string]string{"prompts.txt": "{{ body | allcaps }}"}, Options{SkipUnsupported: true}, `filter "allcaps" does not exist in the jinja2 dialect`},
		{"managed prompt", "prompts: ['pf://customer-support:1']\n", nil, Options{}, "prompts[0] pf://customer-support:1: a prompt kept by an outside service (pf://) is not fetched"},
		{"rubric in rubricPrompt", "prompts: [hi]\ntests:\n  - assert: [{type: llm-rubric, threshold: 0}]\n", nil, Options{}, "llm-rubric without a value: its rubric is the rubricPrompt"},
		{"second provider", "prompts: [hi]\nproviders: [openai:gpt-4o-mini, anthropic:claude]\n", nil, Options{}, "a version holds one model config"},
		{"red-team config", "targets: [{id: 'file://app.py'}]\nredteam:\n  plugins: [harmful:hate]\n", nil, Options{SkipUnsupported: true}, "a red-team config: promptfoo generates its tests from the redteam plugins"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{"cfg/promptfooconfig.yaml": c.config, "secret.txt": "top secret"}
			for k, v := range c.files {
				files["cfg/"+k] = v
			}
			dir := write(t, files)
			mustFail(t, filepath.Join(dir, "cfg", "promptfooconfig.yaml"), c.opts, c.want)
		})
	}
	// With --skip-unsupported the rest imports and the skips are listed.
	dir := write(t, map[string]string{"promptfooconfig.yaml": "prompts: [hi]\ntests:\n  - assert: [{type: webhook, value: 'https://example.com'}, {type: contains, value: h}]\n    options: {transform: output.trim()}\n"})
	p := read(t, filepath.Join(dir, "promptfooconfig.yaml"), Options{SkipUnsupported: true})
	if len(p.Skipped) != 2 || len(p.Suites[0].Cases[0].Assertions) != 1 || !strings.Contains(strings.Join(p.Summary(), "\n"), "skipped (2, not imported):") {
		t.Fatalf("skips %q, cases %+v", p.Skipped, p.Suites[0].Cases)
	}
	// --allow-outside follows a reference out of the folder.
	dir = write(t, map[string]string{"cfg/promptfooconfig.yaml": "prompts: [file://../p.txt]\n", "p.txt": "Hi {{ name }}"})
	p = read(t, filepath.Join(dir, "cfg", "promptfooconfig.yaml"), Options{AllowOutside: true})
	if p.Versions[0].Template != "Hi {{ name }}" {
		t.Fatalf("allow outside: %+v", p.Versions)
	}
}

func TestYAMLAliasBombRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString("prompts: [hi]\na: &a [x, x, x, x, x, x, x, x, x]\n")
	prev := "a"
	for i := 0; i < 9; i++ {
		n := string(rune('b' + i))
		fmt.Fprintf(&b, "%s: &%s [%s]\n", n, n, strings.TrimSuffix(strings.Repeat("*"+prev+", ", 9), ", "))
		prev = n
	}
	dir := write(t, map[string]string{"promptfooconfig.yaml": b.String()})
	mustFail(t, filepath.Join(dir, "promptfooconfig.yaml"), Options{}, "excessive aliasing")
}

// rows is a CSV of n rows generated as it is read: nothing holds it whole.
type rows struct {
	n, i int
	buf  []byte
}

func (r *rows) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) && r.i <= r.n {
		if r.i == 0 {
			r.buf = append(r.buf, "question,__expected\n"...)
		} else {
			r.buf = fmt.Appendf(r.buf, "What is %d plus %d?,contains:%d\n", r.i, r.i, 2*r.i)
		}
		r.i++
	}
	if len(r.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}

// A CSV is streamed row by row; one with more rows than a suite may hold
// (here a 1 GB stream) is refused when the limit is passed, without
// reading the rest.
func TestCSVStreamedAndBounded(t *testing.T) {
	old := MaxCases
	MaxCases = 1000
	defer func() { MaxCases = old }()
	p := &Plan{}
	c := &pf{plan: p, base: "big.csv"}
	src := &rows{n: 30_000_000} // about 1 GB of CSV
	var got []store.Case
	add := func(where string, t pfTest) error {
		cs, err := c.merge(where, pfTest{}, t)
		got = append(got, cs...)
		if len(got) > MaxCases {
			return fmt.Errorf("more than %d test cases", MaxCases)
		}
		return err
	}
	err := c.csvTests("big.csv", src, add)
	if err == nil || !strings.Contains(err.Error(), "more than 1000 test cases") {
		t.Fatalf("got %v", err)
	}
	if src.i > 2000 {
		t.Fatalf("read %d rows to refuse at 1000: not streamed", src.i)
	}
}

func TestPrompty(t *testing.T) {
	dir := write(t, map[string]string{
		"support/reply.prompty": `---
name: Support Reply
description: Replies to a ticket
metadata:
  authors: [ana]
  tags: [support]
model:
  id: gpt-4o-mini
  provider: openai
  apiType: chat
  connection:
    kind: key
    apiKey: ${env:OPENAI_API_KEY}
  options:
    temperature: 0.3
    maxOutputTokens: 200
inputs:
  - name: customer
    kind: string
    example: Ada
  - name: question
    kind: string
    default: Where is my parcel?
tools:
  - name: track
    kind: function
    description: Track a parcel
    parameters:
      - name: id
        kind: string
        required: true
template:
  format:
    kind: jinja2
  parser:
    kind: prompty
---
system:
You help {{customer}}.
{% if vip %}Be quick.{% endif %}

user:
{{question}}
`,
		"v1.prompty": `---
name: Old style
authors: [bo]
model:
  api: chat
  configuration:
    type: azure_openai
    azure_deployment: gpt-35-turbo
    api_key: ${env:KEY}
  parameters:
    max_tokens: 100
sample:
  firstName: Jane
---
Hello {{firstName}}
`,
	})
	p := read(t, dir, Options{})
	if p.Format != Prompty || len(p.Versions) != 2 {
		t.Fatalf("%s %d", p.Format, len(p.Versions))
	}
	reply := p.Versions[0]
	if reply.Name != "support/reply" || reply.Kind != store.KindChat || reply.Dialect != store.DialectJinja2 ||
		len(reply.Messages) != 2 || reply.Messages[0].Role != "system" || reply.Messages[1].Content != "{{question}}" ||
		reply.Config.Model != "gpt-4o-mini" || reply.Config.MaxTokens != 200 || reply.Author != "ana" || reply.Description != "Replies to a ticket" ||
		len(reply.Config.Tools) != 1 {
		t.Fatalf("reply: %+v", reply.CommitInput)
	}
	old := p.Versions[1]
	if old.Name != "v1" || old.Config.Model != "gpt-35-turbo" || old.Config.MaxTokens != 100 || old.Messages[0].Role != "system" {
		t.Fatalf("v1: %+v", old.CommitInput)
	}
	if len(p.Suites) != 2 || p.Suites[0].Cases[0].Vars["customer"] != "Ada" || p.Suites[1].Cases[0].Vars["firstName"] != "Jane" {
		t.Fatalf("sample cases: %+v", p.Suites)
	}
	if strings.Contains(fmt.Sprint(p.Versions), "OPENAI_API_KEY") || strings.Contains(fmt.Sprint(p.Versions), "${env") {
		t.Fatal("connection details reached a version")
	}
	// An image prompt is refused by name.
	dir = write(t, map[string]string{"img.prompty": "---\nmodel:\n  id: dall-e-3\n  apiType: image\n---\n{{d}}\n"})
	mustFail(t, filepath.Join(dir, "img.prompty"), Options{}, "model.apiType image: Verso runs chat completions")
}

func TestDotprompt(t *testing.T) {
	dir := write(t, map[string]string{
		"greet.prompt": `# a header comment
---
model: googleai/gemini-2.5-flash
config:
  temperature: 0.7
  maxOutputTokens: 300
input:
  schema:
    name: string
  default:
    name: Ada
output:
  format: json
---
{{#role "system"}}
You are kind. {{> sig}}
{{/role}}
{{role "user"}}
Hello {{name}}{{#if vip}}, welcome back{{/if}}! {{! {{> notapartial}} }}
`,
		"_sig.prompt":  "Sign as {{bot}}.",
		"hist.prompt":  "{{role \"system\"}}Hi\n{{history}}\n{{role \"user\"}}{{q}}\n",
		"plain.prompt": "Summarise {{text}}",
	})
	p := read(t, dir, Options{SkipUnsupported: true})
	if p.Format != Dotprompt || len(p.Versions) != 3 {
		t.Fatalf("%s %+v", p.Format, p.Versions)
	}
	g := p.Versions[0]
	if g.Name != "greet" || g.Kind != store.KindChat || g.Dialect != store.DialectHandlebars || len(g.Messages) != 2 ||
		g.Messages[0].Content != "You are kind. Sign as {{bot}}." || g.Config.Model != "googleai/gemini-2.5-flash" ||
		g.Config.MaxTokens != 300 || g.Config.ResponseFormat == nil {
		t.Fatalf("greet: %+v", g.CommitInput)
	}
	if !strings.Contains(g.Messages[1].Content, "{{! {{> notapartial}} }}") {
		t.Errorf("a partial inside a comment was touched: %q", g.Messages[1].Content)
	}
	if p.Versions[1].Name != "hist" || len(p.Skipped) != 1 || !strings.Contains(p.Skipped[0], "{{history}}") {
		t.Errorf("history: %q", p.Skipped)
	}
	if pl := p.Versions[2]; pl.Kind != store.KindText || pl.Template != "Summarise {{text}}" {
		t.Errorf("plain: %+v", pl)
	}
	if p.Suites[0].Prompt != "greet" || p.Suites[0].Cases[0].Vars["name"] != "Ada" {
		t.Errorf("defaults case: %+v", p.Suites)
	}
	// Without the flag, {{history}} is refused by name.
	mustFail(t, filepath.Join(dir, "hist.prompt"), Options{}, "{{history}}: Verso has no conversation history input")
	// A missing partial and a cycle are named.
	dir = write(t, map[string]string{"a.prompt": "{{> b}}", "_b.prompt": "{{> c}}", "_c.prompt": "{{> b}}", "m.prompt": "{{> gone}}"})
	mustFail(t, filepath.Join(dir, "a.prompt"), Options{}, "partial b includes itself")
	mustFail(t, filepath.Join(dir, "m.prompt"), Options{}, "no _gone.prompt")
}

const langfuseExport = `[
 {"name": "support/reply", "version": 1, "type": "text", "prompt": "Hi {{name}}", "labels": ["production"], "config": {"model": "gpt-4o-mini", "temperature": 0.1}, "tags": ["support"], "commitMessage": "first"},
 {"name": "support/reply", "version": 2, "type": "text", "prompt": "Hello {{name}}", "labels": ["latest", "staging"], "config": {}},
 {"name": "Chat Bot", "version": 1, "type": "chat", "prompt": [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "{{q}}"}], "labels": ["latest"], "config": {"max_tokens": 50}, "id": "x", "createdAt": "2024-01-01"}
]`

func TestLangfuse(t *testing.T) {
	dir := write(t, map[string]string{"prompts.json": langfuseExport})
	p := read(t, filepath.Join(dir, "prompts.json"), Options{})
	if p.Format != Langfuse || len(p.Versions) != 3 {
		t.Fatalf("%s %+v", p.Format, p.Versions)
	}
	chat, v1, v2 := p.Versions[0], p.Versions[1], p.Versions[2]
	if chat.Name != "chat-bot" || chat.Kind != store.KindChat || chat.Config.MaxTokens != 50 || len(chat.Labels) != 0 {
		t.Errorf("chat: %+v", chat)
	}
	if v1.Template != "Hi {{name}}" || !reflect.DeepEqual(v1.Labels, []string{"production"}) || v1.Config.Model != "gpt-4o-mini" || v1.Message != "first" {
		t.Errorf("v1: %+v", v1)
	}
	// latest is Verso's implicit latest: not a label to move.
	if !reflect.DeepEqual(v2.Labels, []string{"staging"}) {
		t.Errorf("v2 labels: %v", v2.Labels)
	}
	dir = write(t, map[string]string{"x.json": `{"name": "a", "version": 1, "type": "text", "prompt": "x", "config": {"frequency_penalty": 1}}`})
	mustFail(t, filepath.Join(dir, "x.json"), Options{}, "config.frequency_penalty: no Verso model setting")
}

func TestUnknownFormatIsAnError(t *testing.T) {
	dir := write(t, map[string]string{"notes.yaml": "shopping: [milk, eggs]\n", "empty": ""})
	_, err := Read(filepath.Join(dir, "notes.yaml"), Options{})
	if !errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("got %v", err)
	}
	mustFail(t, filepath.Join(dir, "notes.yaml"), Options{Format: "liquid"}, `unknown format "liquid"`)
}

// Apply writes everything in one transaction and a second import of the
// same file changes nothing.
func TestApplyIsIdempotent(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(pgtest.Location(t, "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	dir := write(t, pfFiles())
	p := read(t, filepath.Join(dir, "promptfooconfig.yaml"), Options{})
	if _, err := p.Apply(ctx, st, "t"); err != nil {
		t.Fatal(err)
	}
	name := Slug(filepath.Base(dir))
	h, err := st.History(ctx, name)
	if err != nil || len(h) != 4 || h[0].Dialect != store.DialectJinja2 {
		t.Fatalf("history %d %v", len(h), err)
	}
	su, err := st.Suite(ctx, name, "default")
	if err != nil || len(su.Cases) != 6 {
		t.Fatalf("suite: %v %v", len(su.Cases), err)
	}
	lines, err := p.Apply(ctx, st, "t")
	if err != nil || !strings.Contains(lines[len(lines)-1], "0 new versions, 4 unchanged") {
		t.Fatalf("second import: %q %v", lines, err)
	}
	// Langfuse labels land where the export puts them.
	dir = write(t, map[string]string{"lf.json": langfuseExport})
	if _, err := read(t, filepath.Join(dir, "lf.json"), Options{}).Apply(ctx, st, "t"); err != nil {
		t.Fatal(err)
	}
	v, err := st.Resolve(ctx, "support/reply@production")
	if err != nil || v.Number != 1 {
		t.Fatalf("production: %+v %v", v, err)
	}
	if v, err := st.Resolve(ctx, "support/reply@staging"); err != nil || v.Number != 2 {
		t.Fatalf("staging: %+v %v", v, err)
	}
}

// Tests from JSONL and JSON files, prompts from a glob, Langfuse's API list
// shape, and Dotprompt's media and Picoschema output refused by name.
func TestMoreSources(t *testing.T) {
	dir := write(t, map[string]string{
		"promptfooconfig.yaml": "prompts: [file://prompts/*.txt]\ntests: [file://a.jsonl, file://b.json]\n",
		"prompts/1.txt":        "One {{ q }}",
		"prompts/2.txt":        "Two {{ q }}",
		"a.jsonl":              "{\"q\": \"plain vars\"}\n\n{\"vars\": {\"q\": \"a test\"}, \"assert\": [{\"type\": \"contains\", \"value\": \"x\"}]}\n",
		"b.json":               `[{"description": "from json", "vars": {"q": "j"}}]`,
		"lf.json":              `{"data": [{"name": "p", "version": 1, "type": "text", "prompt": "x {{a}}", "labels": []}]}`,
		"media.prompt":         "Look {{media url=photo}}",
		"ph.json":              `[{"name": "c", "version": 1, "type": "chat", "prompt": [{"type": "placeholder", "name": "history"}, {"role": "user", "content": "hi"}]}]`,
		"schema.prompt":        "---\noutput:\n  format: json\n  schema:\n    title: string\n---\nHi",
	})
	p := read(t, filepath.Join(dir, "promptfooconfig.yaml"), Options{})
	if len(p.Versions) != 2 || p.Versions[1].Template != "Two {{ q }}" {
		t.Fatalf("glob prompts: %+v", p.Versions)
	}
	cs := p.Suites[0].Cases
	if len(cs) != 3 || cs[0].Vars["q"] != "plain vars" || len(cs[1].Assertions) != 1 || cs[2].Name != "from json" {
		t.Fatalf("jsonl/json tests: %+v", cs)
	}
	if lf := read(t, filepath.Join(dir, "lf.json"), Options{}); len(lf.Versions) != 1 || lf.Versions[0].Template != "x {{a}}" {
		t.Fatalf("langfuse data list: %+v", lf.Versions)
	}
	mustFail(t, filepath.Join(dir, "media.prompt"), Options{}, "{{media}}")
	mustFail(t, filepath.Join(dir, "ph.json"), Options{}, "message 1 (placeholder history): Verso has no message placeholders")
}

// TestPromptfooAssertionsImport: the assertion types promptfoo's examples
// use most (scripts, model-graded, refusal) import as themselves, inline
// and from CSV __expected cells.
func TestPromptfooAssertionsImport(t *testing.T) {
	dir := write(t, map[string]string{
		"promptfooconfig.yaml": `prompts: ['Answer: {{ q }}']
tests:
  - vars: {q: hi}
    assert:
      - {type: javascript, value: 'output.length < 100'}
      - {type: python, value: "len(output) < 100"}
      - {type: factuality, value: Hello}
      - {type: not-is-refusal}
      - {type: g-eval, value: [polite, short]}
  - file://cases.csv
`,
		"cases.csv": "q,__expected1,__expected2\nbye,is-refusal,fn:output.includes('bye')\n",
	})
	p := read(t, filepath.Join(dir, "promptfooconfig.yaml"), Options{})
	var got []string
	for _, c := range p.Suites[0].Cases {
		for _, a := range c.Assertions {
			got = append(got, a.Type)
		}
	}
	want := []string{"javascript", "python", "factuality", "not-is-refusal", "g-eval", "is-refusal", "javascript"}
	if !reflect.DeepEqual(got, want) || len(p.Skipped) != 0 {
		t.Fatalf("types %q, skipped %q", got, p.Skipped)
	}
}

// TestSkippedItemsAreKept: with --skip-unsupported what was left out stays
// with what it concerns: a promptfoo config's suite holds every item, a
// Prompty file's version names them in its message and its samples suite
// holds them; written to a store, the suite still has them.
func TestSkippedItemsAreKept(t *testing.T) {
	dir := write(t, map[string]string{
		"pf/promptfooconfig.yaml": "prompts: ['{{ q }}']\nproviders: [openai:gpt-4o-mini, anthropic:claude]\ntests:\n  - vars: {q: hi}\n    assert: [{type: webhook, value: 'https://example.com'}, {type: contains, value: h}]\n",
		"py/a.prompty":            "---\nname: A\nmodel:\n  id: gpt-4o-mini\ninputs:\n  q: {sample: hi}\noutputs:\n  answer: {type: string}\n---\nuser:\n{{q}}\n",
	})
	p := read(t, filepath.Join(dir, "pf", "promptfooconfig.yaml"), Options{SkipUnsupported: true})
	if got := p.Suites[0].Skipped; len(got) != 2 || !strings.Contains(got[0], "providers[1] anthropic:claude") || !strings.Contains(got[1], "assert type webhook") {
		t.Fatalf("suite skipped %q", got)
	}
	st, err := store.Open(pgtest.Location(t, "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if _, err := p.Apply(ctx, st, "t"); err != nil {
		t.Fatal(err)
	}
	su, err := st.Suite(ctx, "pf", "default")
	if err != nil || !reflect.DeepEqual(su.Skipped, p.Suites[0].Skipped) {
		t.Fatalf("stored %q, %v", su.Skipped, err)
	}
	// A full export carries them, and importing it back keeps them.
	doc, err := st.Export(ctx, store.ExportOptions{})
	if err != nil || len(doc.Prompts) != 1 || !reflect.DeepEqual(doc.Prompts[0].Suites[0].Skipped, su.Skipped) {
		t.Fatalf("export: %v %+v", err, doc)
	}

	p = read(t, filepath.Join(dir, "py"), Options{SkipUnsupported: true, Format: Prompty})
	if len(p.Skipped) != 1 || !strings.Contains(p.Versions[0].Message, "(skipped: outputs)") {
		t.Fatalf("skipped %q, message %q", p.Skipped, p.Versions[0].Message)
	}
	if len(p.Suites) != 1 || !reflect.DeepEqual(p.Suites[0].Skipped, p.Skipped) {
		t.Fatalf("samples suite %+v", p.Suites)
	}
}

// TestPromptfooExampleShapes: shapes found in promptfoo's own examples
// import as promptfoo reads them: a bare prompt file name is that file,
// assertionTemplates are followed through $ref, and __metadata:key[] is a
// list.
func TestPromptfooExampleShapes(t *testing.T) {
	dir := write(t, map[string]string{
		"promptfooconfig.yaml": `prompts: [prompts.txt]
assertionTemplates:
  pirate: {type: icontains, value: arrr}
tests:
  - vars: {body: hi}
    assert:
      - $ref: '#/assertionTemplates/pirate'
  - file://t.csv
`,
		"prompts.txt": "Say like a pirate: {{ body }}\n---\nPirate: {{ body }}",
		"t.csv":       "body,__metadata:tags[],__metadata:category\nyo,\"ai,data\\, science\",tech\n",
	})
	p := read(t, filepath.Join(dir, "promptfooconfig.yaml"), Options{})
	if len(p.Versions) != 2 || p.Versions[0].Template != "Say like a pirate: {{ body }}" {
		t.Fatalf("versions %+v", p.Versions)
	}
	// A chat prompt written as messages, with a content from a file; a
	// glob var is one case per file.
	dir2 := write(t, map[string]string{
		"promptfooconfig.yaml": "prompts:\n  - label: chat\n    messages:\n      - {role: system, content: file://system.j2}\n      - {role: user, content: 'Sum up {{ article }}'}\ntests:\n  - vars: {article: file://articles/*}\n",
		"system.j2":            "You write for {{ domain | default('everyone') }}.\n",
		"articles/a.txt":       "A",
		"articles/b.txt":       "B",
	})
	p2 := read(t, filepath.Join(dir2, "promptfooconfig.yaml"), Options{})
	if want := []store.Message{{Role: "system", Content: "You write for {{ domain | default('everyone') }}."}, {Role: "user", Content: "Sum up {{ article }}"}}; !reflect.DeepEqual(p2.Versions[0].Messages, want) {
		t.Fatalf("messages %+v", p2.Versions[0].Messages)
	}
	if cs := p2.Suites[0].Cases; len(cs) != 2 || cs[0].Vars["article"] != "A" || cs[1].Vars["article"] != "B" {
		t.Fatalf("glob var cases %+v", cs)
	}
	if len(p.Versions) != 2 {
		t.Fatalf("versions %+v", p.Versions)
	}
	cs := p.Suites[0].Cases
	if want := (store.Assertion{Type: "icontains", Value: "arrr"}); !reflect.DeepEqual(cs[0].Assertions, []store.Assertion{want}) {
		t.Fatalf("template: %+v", cs[0].Assertions)
	}
	if want := []string{"tags:ai", "tags:data, science", "category:tech"}; !reflect.DeepEqual(cs[1].Tags, want) {
		t.Fatalf("tags %q", cs[1].Tags)
	}
}

// TestDotpromptPicoschema: an output schema in Picoschema becomes a JSON
// Schema response format (converted by Dotprompt's own parser); one that
// is not valid Picoschema, or a schema registered in code, is refused by
// name.
func TestDotpromptPicoschema(t *testing.T) {
	dir := write(t, map[string]string{
		"review.prompt": "---\nmodel: googleai/gemini-2.5-flash\noutput:\n  format: json\n  schema:\n    title: string, the film's title\n    tags(array): string\n    rating?: integer\n---\nReview {{film}}\n",
		"bad.prompt":    "---\noutput:\n  schema:\n    tags: string[]\n---\nList {{x}}\n",
		"named.prompt":  "---\noutput:\n  schema: Recipe\n---\nCook {{x}}\n",
	})
	p := read(t, filepath.Join(dir, "review.prompt"), Options{})
	rf, _ := p.Versions[0].Config.ResponseFormat.(map[string]any)
	js, _ := rf["json_schema"].(map[string]any)
	schema, _ := js["schema"].(map[string]any)
	props, _ := schema["properties"].(map[string]any)
	if rf["type"] != "json_schema" || schema["type"] != "object" || len(props) != 3 || !reflect.DeepEqual(schema["required"], []any{"tags", "title"}) {
		t.Fatalf("response format %#v", rf)
	}
	if title, _ := props["title"].(map[string]any); title["type"] != "string" || title["description"] != "the film's title" {
		t.Fatalf("title %#v", props["title"])
	}
	mustFail(t, filepath.Join(dir, "bad.prompt"), Options{}, "output.schema: not valid Picoschema (Picoschema: unsupported scalar type 'string[]')")
	mustFail(t, filepath.Join(dir, "named.prompt"), Options{}, `output.schema: the schema "Recipe" is registered in code, not in the file`)
}

// TestDotpromptPartialsAndHelpers: what Dotprompt files in the wild use
// imports as Dotprompt means it (a partial called with parameters that pass
// variables under their own names, {{~> x}}, ifEquals, a license header
// before the front matter), and what cannot is refused naming the feature:
// a partial given another context, partial blocks, a partial file on its
// own, invalid YAML (with the file's line), a helper registered in code.
func TestDotpromptPartialsAndHelpers(t *testing.T) {
	dir := write(t, map[string]string{
		"story.prompt": "# Licensed to you\n#\n\n---\nmodel: googleai/gemini-2.5-flash\n---\n{{>voice mood=mood}}\nTell a story about {{subject}}.\n{{~> sign}}\n" +
			"{{#ifEquals length \"short\"}}Keep it brief.{{else}}Take your time.{{/ifEquals}}\n",
		"_voice.prompt": "{{role \"system\"}}\nSpeak {{#if mood}}{{mood}}{{else}}calmly{{/if}}.\n{{role \"user\"}}\n",
		"_sign.prompt":  "Sign it.",
		"other.prompt":  "{{> voice mood=tone}}\nHi {{name}}\n",
		"layout.prompt": "{{#> frame}}Hi {{name}}{{/frame}}\n",
		"broken.prompt": "# header\n---\nmodel: x\ninput:\n  schema:\n    style?: \"formal\" | \"casual\"\n---\nHi {{name}}\n",
		"helper.prompt": "Ingredients: {{list ingredients}}\n",
		"_frame.prompt": "[{{> @partial-block}}]",
		"tools.prompt":  "---\ntools: [getWeather]\n---\nWeather in {{city}}\n",
	})
	p := read(t, filepath.Join(dir, "story.prompt"), Options{})
	v := p.Versions[0]
	if v.Kind != store.KindChat || len(v.Messages) != 2 || v.Messages[0].Content != "Speak {{#if mood}}{{mood}}{{else}}calmly{{/if}}." ||
		!strings.Contains(v.Messages[1].Content, "Tell a story about {{subject}}.\nSign it.") || v.Config.Model != "googleai/gemini-2.5-flash" {
		t.Fatalf("story: %+v", v.CommitInput)
	}
	if err := prompt.Check(store.Version{Kind: v.Kind, Dialect: v.Dialect, Messages: v.Messages}); err != nil {
		t.Fatalf("the imported story does not check: %v", err)
	}
	msgs, err := prompt.Render(store.Version{Kind: v.Kind, Dialect: v.Dialect, Messages: v.Messages}, map[string]any{"subject": "owls", "length": "short"})
	if err != nil || !strings.HasSuffix(msgs[1].Content, "Keep it brief.") || msgs[0].Content != "Speak calmly." {
		t.Fatalf("rendered %+v %v", msgs, err)
	}
	mustFail(t, filepath.Join(dir, "other.prompt"), Options{}, `partial {{> voice mood=tone}} passes "mood=tone"`)
	mustFail(t, filepath.Join(dir, "layout.prompt"), Options{}, "partial blocks and dynamic partials are not inlined")
	mustFail(t, filepath.Join(dir, "_voice.prompt"), Options{}, "_voice.prompt is a Dotprompt partial (its name starts with _), not a prompt: import the prompt that includes it with {{> voice}}")
	mustFail(t, filepath.Join(dir, "broken.prompt"), Options{}, "front matter: broken.prompt: not valid YAML: line 6:")
	mustFail(t, filepath.Join(dir, "tools.prompt"), Options{}, "tools.prompt: tools: Dotprompt names tools that are defined in code (Genkit), not in the file")
	mustFail(t, filepath.Join(dir, "helper.prompt"), Options{}, `helper "list" is not available in the handlebars dialect (available: if, unless, each, with, ifEquals, unlessEquals, lookup, json): a helper registered in code is not part of the template, so pass its result in as a variable or remove the call`)
}

// TestPromptfooFileVarsAsPromptfooReadsThem: a file:// var is the text
// promptfoo puts in the prompt: a text file trimmed (its last newline would
// otherwise change the prompt, and so the model's answer), a JSON file its
// text as written, a YAML file JSON.stringify of the document (keys in the
// document's order, integer keys first, merge keys applied, dates as ISO
// strings).
func TestPromptfooFileVarsAsPromptfooReadsThem(t *testing.T) {
	dir := write(t, map[string]string{
		"promptfooconfig.yaml": "prompts: ['{{ a }} {{ b }} {{ c }}']\ntests:\n  - vars: {a: file://a.txt, b: file://b.json, c: file://c.yaml}\n",
		"a.txt":                "\ufeff  Line one\nline two\n\n",
		"b.json":               "{\n  \"z\": 1,\n  \"a\": [1, 2]\n}\n",
		"c.yaml":               "base: &b {x: 1, y: 2}\nzeta: 'a <b> & \"q\"'\n10: ten\n2: two\nwhen: 2024-01-02\nn: 1.50\nm:\n  <<: *b\n  y: 3\nlist: [~, true, 7]\n",
	})
	p := read(t, filepath.Join(dir, "promptfooconfig.yaml"), Options{})
	vs := p.Suites[0].Cases[0].Vars
	want := map[string]any{
		"a": "Line one\nline two",
		"b": "{\n  \"z\": 1,\n  \"a\": [1, 2]\n}",
		"c": `{"2":"two","10":"ten","base":{"x":1,"y":2},"zeta":"a <b> & \"q\"","when":"2024-01-02T00:00:00.000Z","n":1.5,"m":{"x":1,"y":3},"list":[null,true,7]}`,
	}
	if !reflect.DeepEqual(vs, want) {
		t.Fatalf("vars\n%q\nwant\n%q", vs, want)
	}
}

// TestPromptfooExpandsOnlyStringLists: promptfoo expands a var into one
// case per element only when it is a list whose first element is a string
// (or a file:// glob); a list of objects or numbers (a chat history, a
// list of scores) and a file:// JSON holding a list are one value each.
func TestPromptfooExpandsOnlyStringLists(t *testing.T) {
	dir := write(t, map[string]string{
		"promptfooconfig.yaml": `prompts: ['{{ history }} {{ q }} {{ n }} {{ rows }} {{ lang }}']
defaultTest:
  vars:
    history:
      - user: Who wrote it?
      - assistant: Ada
tests:
  - vars:
      q: Why?
      n: [1, 2]
      rows: file://rows.json
      lang: [en, fr]
`,
		"rows.json": `["a", "b", "c"]`,
	})
	p := read(t, filepath.Join(dir, "promptfooconfig.yaml"), Options{})
	cs := p.Suites[0].Cases
	if len(cs) != 2 {
		t.Fatalf("want 2 cases (lang expanded, nothing else), got %d: %+v", len(cs), cs)
	}
	for i, lang := range []string{"en", "fr"} {
		c := cs[i]
		if c.Vars["lang"] != lang {
			t.Errorf("case %d lang %v", i, c.Vars["lang"])
		}
		if h, ok := c.Vars["history"].([]any); !ok || len(h) != 2 {
			t.Errorf("case %d history %#v: want the whole chat history", i, c.Vars["history"])
		}
		if n, ok := c.Vars["n"].([]any); !ok || len(n) != 2 {
			t.Errorf("case %d n %#v: want the whole list of numbers", i, c.Vars["n"])
		}
		// One value, and the file's text as promptfoo renders a file://
		// JSON var (TestPromptfooFileVarsAsPromptfooReadsThem).
		if c.Vars["rows"] != `["a", "b", "c"]` {
			t.Errorf("case %d rows %#v: want the file's list as one value", i, c.Vars["rows"])
		}
	}
}

// TestPromptfooExpandedCasesHaveDistinctNames: a case is named after its
// expanded values, each cut to 30 characters; two values alike in their
// first 30 (files of a glob that start the same) still give two names, so
// a report tells the cases apart.
func TestPromptfooExpandedCasesHaveDistinctNames(t *testing.T) {
	dir := write(t, map[string]string{
		"promptfooconfig.yaml": "prompts: ['Summarise {{ article }}']\ntests:\n  - description: summary\n    vars:\n      article: file://articles/*.txt\n",
		"articles/a.txt":       "Text-Only Version Go To Full Story: the first article",
		"articles/b.txt":       "Text-Only Version Go To Full Story: the second article",
	})
	p := read(t, filepath.Join(dir, "promptfooconfig.yaml"), Options{})
	cs := p.Suites[0].Cases
	if len(cs) != 2 {
		t.Fatalf("want one case per file, got %d", len(cs))
	}
	if cs[0].Name == cs[1].Name || !strings.HasPrefix(cs[0].Name, "summary (article=Text-Only") {
		t.Fatalf("names %q and %q: want two distinct names from the description and the value", cs[0].Name, cs[1].Name)
	}
}

// TestPromptfooNoPromptLeft: when --skip-unsupported leaves out every
// prompt (prompt functions, a prompt kept by a service), the import is
// refused at the plan, naming why, instead of a dry run that succeeds and
// an import that fails on a suite without its prompt.
func TestPromptfooNoPromptLeft(t *testing.T) {
	dir := write(t, map[string]string{
		"promptfooconfig.yaml": "prompts: [file://build.py:make, 'pf://support:2']\ntests:\n  - vars: {q: hi}\n",
		"build.py":             "def make(context): return 'hi'\n",
	})
	mustFail(t, filepath.Join(dir, "promptfooconfig.yaml"), Options{SkipUnsupported: true}, "no prompt to import: each of its prompts was left out (promptfooconfig.yaml: prompts[0] file://build.py:make: prompt functions")
}

// TestPromptfooAssertionKeys: a key promptfoo's assertions do not have (a
// note such as reason:) is ignored by promptfoo, so the assertion imports
// and the plan says the key is not imported; a key promptfoo honours and
// Verso cannot (config, transform) leaves the assertion out, saying so.
func TestPromptfooAssertionKeys(t *testing.T) {
	dir := write(t, map[string]string{
		"promptfooconfig.yaml": "prompts: [hi]\ntests:\n  - assert:\n      - {type: contains-any, value: [a, b], reason: 'should name a letter'}\n      - {type: contains, value: c, config: {windowSize: 3}}\n",
	})
	p := read(t, filepath.Join(dir, "promptfooconfig.yaml"), Options{SkipUnsupported: true})
	as := p.Suites[0].Cases[0].Assertions
	if len(as) != 1 || as[0].Type != "contains-any" {
		t.Fatalf("assertions %+v: want the contains-any kept", as)
	}
	sum := strings.Join(p.Summary(), "\n")
	for _, want := range []string{"assert[0]: reason -> not imported (not a promptfoo assertion key: promptfoo ignores it)", "assert[1]: config: settings passed to the assertion have no Verso equivalent (the assertion is left out)"} {
		if !strings.Contains(sum, want) {
			t.Errorf("plan lacks %q:\n%s", want, sum)
		}
	}
	if len(p.Skipped) != 1 {
		t.Errorf("skipped %q: want only the assertion with config", p.Skipped)
	}
}

// TestPromptfooCSVKeepsQuotedCRLF: a quoted CSV cell keeps its Windows line
// ends, as promptfoo's CSV reader keeps them (encoding/csv alone would turn
// "\r\n" into "\n"); rows ended by "\r\n" still end there.
func TestPromptfooCSVKeepsQuotedCRLF(t *testing.T) {
	dir := write(t, map[string]string{
		"promptfooconfig.yaml": "prompts: ['{{ code }} {{ lang }}']\ntests: file://t.csv\n",
		"t.csv":                "code,lang\r\n\"int main()\r\n{\r\n}\",C\r\nplain,\"Go\"\r\n",
	})
	p := read(t, filepath.Join(dir, "promptfooconfig.yaml"), Options{})
	cs := p.Suites[0].Cases
	if len(cs) != 2 || cs[0].Vars["code"] != "int main()\r\n{\r\n}" || cs[0].Vars["lang"] != "C" || cs[1].Vars["code"] != "plain" || cs[1].Vars["lang"] != "Go" {
		t.Fatalf("cases %+v", cs)
	}
	bad := write(t, map[string]string{
		"promptfooconfig.yaml": "prompts: ['{{ q }}']\ntests: file://t.csv\n",
		"t.csv":                "q\n\"a\xffb\"\n",
	})
	mustFail(t, filepath.Join(bad, "promptfooconfig.yaml"), Options{}, "not UTF-8 text")
}
