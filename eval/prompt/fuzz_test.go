package prompt

import (
	"testing"

	"github.com/seed94f0f622/verso/store"
)

// FuzzTemplate: a template of any dialect, however malformed, is checked,
// its variables listed and rendered without panicking; a template that
// passes Check renders with every variable set.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"Hello {{name}}", "{{#items}}- {{.}}\n{{/items}}", "{{^x}}none{{/x}}", "{{", "{{#a}}{{/b}}", "{{{raw}}} {{&amp}}",
		"{{=<% %>=}}<% x %>", "{% for i in items %}{{ i | upper }}{% endfor %}", "{{#each items}}{{this}}{{/each}}", "{{> partial}}", "{{! comment }}"} {
		for d := range uint8(3) {
			f.Add(d, s, "value")
		}
	}
	dialects := []store.Dialect{store.DialectMustache, store.DialectJinja2, store.DialectHandlebars}
	f.Fuzz(func(t *testing.T, d uint8, tpl, val string) {
		v := store.Version{Kind: store.KindText, Dialect: dialects[int(d)%len(dialects)], Template: tpl}
		ok := Check(v) == nil
		vars := map[string]any{}
		for _, n := range Variables(v) {
			vars[n] = val
		}
		_, err := Render(v, vars)
		_ = ok && err != nil // a checked template may still refuse values (a filter on a string)
		Unused(v, vars)
		chat := store.Version{Kind: store.KindChat, Dialect: v.Dialect, Messages: []store.Message{{Role: "system", Content: tpl}, {Role: "user", Content: val}}}
		Check(chat)
		Render(chat, vars)
	})
}

// FuzzDialects checks and renders arbitrary templates in every dialect:
// an error or a text, never a panic.
func FuzzDialects(f *testing.F) {
	for _, s := range []string{"Hi {{name}}", "{% if a %}{{ b | upper }}{% endif %}", "{{#each xs}}{{this}}{{/each}}", "{{> p}}", "{% for %}", "{{#if}}", "{{ a.b.c | default('x') }}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		for _, d := range store.Dialects {
			v := store.Version{Kind: store.KindText, Dialect: d, Template: src}
			if Check(v) == nil {
				_, _ = Render(v, map[string]any{"name": "n", "a": true, "b": "x", "xs": []any{"1"}})
			}
			_ = Variables(v)
		}
	})
}
