package prompt

import (
	"errors"
	"strings"
	"testing"
)

// TestMustacheModules checks the behaviours of the Mustache spec's core
// modules (interpolation, sections, inverted, comments, delimiters) on
// Verso's own cases, including where Verso differs on purpose: a missing
// variable is an error, nothing is HTML-escaped, partials are refused.
func TestMustacheModules(t *testing.T) {
	type tc struct {
		name, tpl string
		data      map[string]any
		want      string
	}
	modules := map[string][]tc{
		"interpolation": {
			{"plain text", "No tags here.\n", nil, "No tags here.\n"},
			{"variable", "Dear {{customer}},", map[string]any{"customer": "Ada"}, "Dear Ada,"},
			{"no escaping", "{{q}} {{{q}}} {{&q}}", map[string]any{"q": `a<b & "c"`}, `a<b & "c" a<b & "c" a<b & "c"`},
			{"integer", "{{n}} items", map[string]any{"n": 12}, "12 items"},
			{"decimal", "{{p}} EUR", map[string]any{"p": 9.5}, "9.5 EUR"},
			{"null prints nothing", "[{{x}}]", map[string]any{"x": nil}, "[]"},
			{"dotted", "{{order.customer.city}}", map[string]any{"order": map[string]any{"customer": map[string]any{"city": "Lyon"}}}, "Lyon"},
			{"padding", "|{{ x }}|", map[string]any{"x": "y"}, "|y|"},
			{"standalone stays inline", "  {{x}}\n", map[string]any{"x": "v"}, "  v\n"},
		},
		"sections": {
			{"true", "{{#vip}}VIP{{/vip}}", map[string]any{"vip": true}, "VIP"},
			{"false", "{{#vip}}VIP{{/vip}}", map[string]any{"vip": false}, ""},
			{"missing is false", "{{#vip}}VIP{{/vip}}.", map[string]any{}, "."},
			{"list", "{{#items}}<{{name}}>{{/items}}", map[string]any{"items": []any{map[string]any{"name": "a"}, map[string]any{"name": "b"}}}, "<a><b>"},
			{"implicit iterator", "{{#tags}}{{.}},{{/tags}}", map[string]any{"tags": []any{"x", "y"}}, "x,y,"},
			{"empty list", "{{#items}}x{{/items}}!", map[string]any{"items": []any{}}, "!"},
			{"object context", "{{#user}}{{name}} ({{role}}){{/user}}", map[string]any{"user": map[string]any{"name": "Bo"}, "role": "admin"}, "Bo (admin)"},
			{"standalone lines removed", "a\n{{#x}}\nb\n{{/x}}\nc", map[string]any{"x": true}, "a\nb\nc"},
			{"nested", "{{#a}}{{#b}}both{{/b}}{{/a}}", map[string]any{"a": true, "b": true}, "both"},
		},
		"inverted": {
			{"false shows", "{{^vip}}standard{{/vip}}", map[string]any{"vip": false}, "standard"},
			{"true hides", "{{^vip}}standard{{/vip}}", map[string]any{"vip": true}, ""},
			{"missing shows", "{{^notes}}no notes{{/notes}}", map[string]any{}, "no notes"},
			{"empty list shows", "{{^items}}none{{/items}}", map[string]any{"items": []any{}}, "none"},
			{"with section", "{{#ok}}yes{{/ok}}{{^ok}}no{{/ok}}", map[string]any{"ok": false}, "no"},
		},
		"comments": {
			{"inline", "a{{! a note for authors }}b", nil, "ab"},
			{"multiline", "a{{!\nline one\nline two\n}}b", nil, "ab"},
			{"standalone", "a\n{{! gone }}\nb", nil, "a\nb"},
		},
		"delimiters": {
			{"change", "{{=<% %>=}}<% x %> {{x}}", map[string]any{"x": "v"}, "v {{x}}"},
			{"in sections", "{{=| |=}}|#a||x||/a|", map[string]any{"a": true, "x": "y"}, "y"},
			{"change back", "{{=[ ]=}}[x][={{ }}=]{{x}}", map[string]any{"x": "1"}, "11"},
			{"standalone", "a\n{{=@ @=}}\n@x@", map[string]any{"x": "b"}, "a\nb"},
		},
	}
	for module, cases := range modules {
		for _, c := range cases {
			got, err := RenderText(c.tpl, c.data)
			if err != nil || got != c.want {
				t.Errorf("%s/%s: %q -> %q (%v), want %q", module, c.name, c.tpl, got, err, c.want)
			}
		}
	}
	// Where Verso differs on purpose.
	_, err := RenderText("Dear {{customer}}, about {{order.id}}", map[string]any{"order": map[string]any{}})
	var me *MissingError
	if !errors.As(err, &me) || strings.Join(me.Names, ",") != "customer,order.id" {
		t.Errorf("missing variables: %v", err)
	}
	if err := CheckText("{{> signature}}"); err == nil || !strings.Contains(err.Error(), "partials are not supported") {
		t.Errorf("partials: %v", err)
	}
	if got, _ := RenderText("{{user.name}}", map[string]any{"user.name": "Ann"}); got != "Ann" {
		t.Errorf("dotted key: %q", got)
	}
}
