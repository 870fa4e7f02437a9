package prompt

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/store"
)

func dtext(d store.Dialect, src string) store.Version {
	return store.Version{Kind: store.KindText, Dialect: d, Template: src}
}

func renderOne(t *testing.T, v store.Version, vars map[string]any) (string, error) {
	t.Helper()
	msgs, err := Render(v, vars)
	if err != nil {
		return "", err
	}
	return msgs[0].Content, nil
}

func TestJinja2RendersWithVariables(t *testing.T) {
	v := dtext(store.DialectJinja2, "Hi {{ name | upper }}{% if vip %} (VIP){% elif new %} (new){% else %}{% endif %}:{% for i in items %} {{ loop.index }}.{{ i }}{% endfor %} {{ order }} {{ order.id }}")
	if err := Check(v); err != nil {
		t.Fatal(err)
	}
	if got, want := Variables(v), []string{"name", "order", "order.id", "vip", "new", "items"}; !reflect.DeepEqual(got, want) {
		t.Errorf("variables %v, want %v", got, want)
	}
	got, err := renderOne(t, v, map[string]any{"name": "ann", "vip": true, "items": []any{"tea", 2}, "order": map[string]any{"id": 7, "note": "<b>&"}})
	if err != nil {
		t.Fatal(err)
	}
	// Objects and lists print as JSON, never as Python or Go syntax.
	if want := `Hi ANN (VIP): 1.tea 2.2 {"id":7,"note":"<b>&"} 7`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestHandlebarsRendersWithoutEscaping(t *testing.T) {
	v := dtext(store.DialectHandlebars, "Hi {{name}}{{#if vip}} (VIP){{/if}}:{{#each items}} {{@index}}.{{this}}{{/each}} {{order}} {{json order}} {{order.id}}")
	if err := Check(v); err != nil {
		t.Fatal(err)
	}
	if got, want := Variables(v), []string{"name", "order", "order.id", "vip", "items"}; !reflect.DeepEqual(got, want) {
		t.Errorf("variables %v, want %v", got, want)
	}
	got, err := renderOne(t, v, map[string]any{"name": "Ann & <Bob>", "vip": false, "items": []any{"a"}, "order": map[string]any{"id": 7}})
	if err != nil {
		t.Fatal(err)
	}
	if want := `Hi Ann & <Bob>: 0.a {"id":7} {"id":7} 7`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// A printed variable is required in every dialect; one that is only tested
// or looped over (a section, {% if %}, {{#if}}) or has a default is not.
func TestMissingVariablesRefusedInEveryDialect(t *testing.T) {
	cases := []struct {
		v    store.Version
		want []string
	}{
		{dtext(store.DialectMustache, "{{a}} {{#b}}x{{/b}} {{c.d}}"), []string{"a", "c.d"}},
		{dtext(store.DialectJinja2, "{{ a }} {% if b %}x{% endif %} {{ c.d }} {{ e | default('none') }} {% if f is defined %}{{ f }}{% endif %}"), []string{"a", "c.d", "f"}},
		{dtext(store.DialectHandlebars, "{{a}} {{#if b}}x{{/if}} {{c.d}} {{#each g}}{{name}}{{/each}}"), []string{"a", "c.d"}},
		// Printed only where an if (or an unless's else) has checked it:
		// optional, as Dotprompt templates use it.
		{dtext(store.DialectHandlebars, "{{#if h}}{{h}} {{h.name}}{{else}}{{k}}{{/if}} {{#unless u}}none{{else}}{{u}}{{/unless}} {{#unless v}}{{v}}{{/unless}}"), []string{"k", "v"}},
		{store.Version{Kind: store.KindChat, Dialect: store.DialectJinja2, Messages: []store.Message{{Role: "system", Content: "{{ a }}"}, {Role: "user", Content: "{{ z }}"}}}, []string{"a", "z"}},
	}
	for _, c := range cases {
		_, err := Render(c.v, map[string]any{})
		var me *MissingError
		if !errors.As(err, &me) || !reflect.DeepEqual(me.Names, c.want) {
			t.Errorf("%s %q: got %v, want missing %v", c.v.Dialect, c.v.Template, err, c.want)
		}
	}
	// Given, they render.
	v := dtext(store.DialectJinja2, "{{ c.d }}")
	if got, err := renderOne(t, v, map[string]any{"c.d": "dotted"}); err != nil || got != "dotted" {
		t.Errorf("dotted --var: %q %v", got, err)
	}
}

// Filters, tests, helpers and statements the dialect lacks are refused when
// the template is checked (at commit), by name, not at render time as
// missing variables.
func TestUnavailableFeaturesRefusedByName(t *testing.T) {
	cases := []struct {
		v    store.Version
		want string
	}{
		{dtext(store.DialectJinja2, "{{ x | shout }}"), `filter "shout" does not exist`},
		{dtext(store.DialectJinja2, "{{ x | nl2br }}"), `filter "nl2br" does not exist`}, // Nunjucks
		{dtext(store.DialectJinja2, "{% if x is shouting %}{% endif %}"), `test "shouting" does not exist`},
		{dtext(store.DialectJinja2, "{% include 'secrets.txt' %}"), "{% include %} is not available"},
		{dtext(store.DialectJinja2, "{% set x = 1 %}{{ x }}"), "{% set %} is not available"},
		{dtext(store.DialectHandlebars, "{{shout name}}"), `helper "shout" is not available`},
		{dtext(store.DialectHandlebars, "{{#shout name}}x{{/shout}}"), `block helper "shout" is not available`},
		{dtext(store.DialectHandlebars, "{{history}}"), `helper "history" is not available`},
		{dtext(store.DialectHandlebars, "{{role \"system\"}}"), `helper "role" is not available`},
		{dtext(store.DialectHandlebars, "{{> header}}"), "partials are not supported ({{> header}})"},
		{dtext(store.DialectMustache, "{{> header}}"), "partials are not supported"},
		{dtext("liquid", "x"), `unknown template dialect "liquid"`},
	}
	for _, c := range cases {
		err := Check(c.v)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %q: got %v, want %q", c.v.Dialect, c.v.Template, err, c.want)
		}
	}
}

func TestWrongDialectNamed(t *testing.T) {
	cases := []struct {
		v    store.Version
		want string
	}{
		{dtext(store.DialectMustache, "{% if urgent %}Now!{% endif %}"), "this looks like Jinja (`{% if urgent %}`); set the dialect to jinja2"},
		{dtext(store.DialectMustache, "{{ name | upper }}"), "this looks like Jinja (a filter: `{{ name | upper }}`); set the dialect to jinja2"},
		{dtext(store.DialectMustache, "{{#if urgent}}Now!{{/if}}"), "this looks like Handlebars (`{{#if urgent}}`); set the dialect to handlebars"},
		{dtext(store.DialectHandlebars, "{% for x in xs %}{% endfor %}"), "this looks like Jinja (`{% for x in xs %}`); set the dialect to jinja2"},
		{dtext(store.DialectJinja2, "{{#items}}-{{.}}{{/items}}"), "this looks like Mustache or Handlebars (`{{#items}}`)"},
	}
	for _, c := range cases {
		err := Check(c.v)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %q: got %v, want %q", c.v.Dialect, c.v.Template, err, c.want)
		}
	}
	// Plain text and ordinary mustache stay fine.
	for _, src := range []string{"Hello {{name}}, 50% off {{#vip}}today{{/vip}}", "Use {braces} and % signs"} {
		if err := Check(dtext(store.DialectMustache, src)); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
}

// TestHandlebarsIfEquals: Dotprompt's ifEquals and unlessEquals compare
// two values as Dotprompt does (a number equals its numeric string; a
// missing variable equals nothing), with an else branch; their arguments are
// optional variables, and a wrong number of arguments is refused by name.
func TestHandlebarsIfEquals(t *testing.T) {
	v := dtext(store.DialectHandlebars, `{{#ifEquals tier "gold"}}VIP{{else}}standard{{/ifEquals}}/{{#unlessEquals count 3}}not three{{else}}three{{/unlessEquals}}`)
	if err := Check(v); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		vars map[string]any
		want string
	}{
		{map[string]any{"tier": "gold", "count": 3.0}, "VIP/three"},
		{map[string]any{"tier": "silver", "count": "3"}, "standard/three"},
		{map[string]any{"count": 4.0}, "standard/not three"},
		{map[string]any{"tier": true, "count": []any{3.0}}, "standard/not three"},
	} {
		got, err := renderOne(t, v, c.vars)
		if err != nil || got != c.want {
			t.Errorf("%v: got %q %v, want %q", c.vars, got, err, c.want)
		}
	}
	if err := Check(dtext(store.DialectHandlebars, `{{#ifEquals tier}}x{{/ifEquals}}`)); err == nil || !strings.Contains(err.Error(), "{{#ifEquals}} takes two arguments") {
		t.Errorf("one argument: %v", err)
	}
}

// TestHandlebarsSyntaxErrorsInWords: a template that is not Handlebars is
// refused with the line and what is wrong, not the parser's token dump.
func TestHandlebarsSyntaxErrorsInWords(t *testing.T) {
	for src, want := range map[string]string{
		"Hi\n{{#if x}}open":               "not valid Handlebars at line 2: a block is never closed (its {{/name}} is missing): close it, or remove its {{#name}}",
		"Hi\n{{/if}}":                     "not valid Handlebars at line 2: a {{/name}} closes no open block: remove it, or open the block it closes",
		"a\nb\n{{#if age >= 18}}x{{/if}}": "not valid Handlebars at line 3: unexpected character in expression: '>': Handlebars has no operators; compute the condition into a variable ({{#if adult}}) or compare with {{#ifEquals a b}}",
		"Type here: {{":                   "not valid Handlebars at line 1: unclosed expression: a {{ is never closed with }}",
		"{{#if x}}\n{{name}}\n{{/each}}":  "not valid Handlebars at line 3: {{/each}} closes the {{#if}} block: close blocks in the order they open",
	} {
		err := Check(dtext(store.DialectHandlebars, src))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", src, err, want)
		}
	}
}

// TestJinja2PromptfooFilters: promptfoo's templates are Nunjucks, whose
// dump filter (JSON.stringify) and promptfoo's load filter (JSON.parse)
// build JSON chat prompts; both render as they do there.
func TestJinja2PromptfooFilters(t *testing.T) {
	v := dtext(store.DialectJinja2, `[{"role": "user", "content": {{ question | dump }}}] {{ (style | load).tone }} {{ order | dump(2) }}`)
	if err := Check(v); err != nil {
		t.Fatal(err)
	}
	got, err := renderOne(t, v, map[string]any{"question": `Say "hi" <now>`, "style": `{"tone":"formal"}`, "order": map[string]any{"id": 7}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[{\"role\": \"user\", \"content\": \"Say \\\"hi\\\" <now>\"}] formal {\n  \"id\": 7\n}"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := renderOne(t, v, map[string]any{"question": "q", "style": "not json", "order": 1}); err == nil || !strings.Contains(err.Error(), "load: not JSON") {
		t.Errorf("load of bad JSON: %v", err)
	}
}
