package prompt

import (
	"testing"

	"github.com/seed94f0f622/verso/store"
)

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
