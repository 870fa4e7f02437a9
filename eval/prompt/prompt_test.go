package prompt

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/store"
)

func text(t string) store.Version { return store.Version{Kind: store.KindText, Template: t} }

func TestVariables(t *testing.T) {
	v := text("Hi {{name}}, {{#vip}}welcome back {{name}} from {{user.city}}{{/vip}}{{^items}}none{{/items}}{{{raw}}} {{& amp}}{{! comment}}{{#items}}{{.}}{{/items}}")
	got := Variables(v)
	want := []string{"name", "vip", "user.city", "items", "raw", "amp"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Variables = %v, want %v", got, want)
	}
	chat := store.Version{Kind: store.KindChat, Messages: []store.Message{
		{Role: "system", Content: "You are {{persona}}."},
		{Role: "user", Content: "{{question}} ({{persona}})"},
	}}
	if got := Variables(chat); !reflect.DeepEqual(got, []string{"persona", "question"}) {
		t.Fatalf("chat Variables = %v", got)
	}
}

func TestRenderRawAndTypes(t *testing.T) {
	v := text("<{{a}}> & {{{a}}} n={{n}} f={{f}} b={{b}}")
	msgs, err := Render(v, map[string]any{"a": `<b>"x"&`, "n": 42, "f": float64(3), "b": true})
	if err != nil {
		t.Fatal(err)
	}
	want := `<<b>"x"&> & <b>"x"& n=42 f=3 b=true`
	if len(msgs) != 1 || msgs[0].Role != "user" || msgs[0].Content != want {
		t.Fatalf("Render = %+v, want one user message %q", msgs, want)
	}
}

func TestRenderChat(t *testing.T) {
	v := store.Version{Kind: store.KindChat, Messages: []store.Message{
		{Role: "system", Content: "Be {{tone}}."},
		{Role: "user", Content: "{{#items}}- {{name}}\n{{/items}}"},
	}}
	msgs, err := Render(v, map[string]any{"tone": "brief", "items": []any{map[string]any{"name": "a"}, map[string]any{"name": "b"}}})
	if err != nil {
		t.Fatal(err)
	}
	if msgs[0].Content != "Be brief." || msgs[1].Content != "- a\n- b\n" || msgs[1].Role != "user" {
		t.Fatalf("Render = %+v", msgs)
	}
}

func TestMissing(t *testing.T) {
	v := store.Version{Kind: store.KindChat, Messages: []store.Message{
		{Role: "system", Content: "{{a}} {{b}} {{#opt}}{{c}}{{/opt}}"},
		{Role: "user", Content: "{{d}} {{a}} {{user.name}}"},
	}}
	_, err := Render(v, map[string]any{"b": "x"})
	var me *MissingError
	if !errors.As(err, &me) {
		t.Fatalf("err = %v, want MissingError", err)
	}
	// opt is a section (false when missing), so c is not needed.
	if want := []string{"a", "d", "user.name"}; !reflect.DeepEqual(me.Names, want) {
		t.Fatalf("missing = %v, want %v", me.Names, want)
	}
	if got := me.Error(); got != "missing variables: a, d, user.name" {
		t.Fatalf("Error() = %q", got)
	}
	// A section that is present makes its variables required.
	_, err = RenderText("{{#opt}}{{c}}{{/opt}}", map[string]any{"opt": true})
	if !errors.As(err, &me) || !reflect.DeepEqual(me.Names, []string{"c"}) {
		t.Fatalf("err = %v", err)
	}
	// A dotted name whose parent is not an object.
	_, err = RenderText("{{user.name}}", map[string]any{"user": "bob"})
	if !errors.As(err, &me) || !reflect.DeepEqual(me.Names, []string{"user.name"}) {
		t.Fatalf("err = %v", err)
	}
}

func TestDottedVars(t *testing.T) {
	vars := map[string]any{"user.name": "Ann", "user": map[string]any{"city": "Oslo"}}
	s, err := RenderText("{{user.name}} of {{user.city}}", vars)
	if err != nil || s != "Ann of Oslo" {
		t.Fatalf("RenderText = %q, %v", s, err)
	}
	if _, ok := vars["user"].(map[string]any)["name"]; ok {
		t.Fatal("caller's map was modified")
	}
}

func TestSyntaxError(t *testing.T) {
	_, err := RenderText("hello\n{{#a}}\nunclosed", nil)
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line == 0 || !strings.Contains(err.Error(), "line") {
		t.Fatalf("err = %v, want a SyntaxError naming the line", err)
	}
	v := store.Version{Kind: store.KindChat, Messages: []store.Message{{Role: "user", Content: "ok"}, {Role: "assistant", Content: "{{oops"}}}
	if err := Check(v); err == nil || !strings.HasPrefix(err.Error(), "message 2 (assistant): line 1:") {
		t.Fatalf("Check = %v", err)
	}
	if _, err := RenderText("{{> /etc/passwd}}", nil); err == nil || !strings.Contains(err.Error(), "partials are not supported") {
		t.Fatalf("partial: %v", err)
	}
}

func TestUnused(t *testing.T) {
	v := text("{{a}} {{user.name}} {{#s}}x{{/s}}")
	got := Unused(v, map[string]any{"a": 1, "zzz": 2, "user.name": 3, "s": 4, "extra": 5})
	if !reflect.DeepEqual(got, []string{"extra", "zzz"}) {
		t.Fatalf("Unused = %v", got)
	}
}

// TestRenderNonStrings: what reaches the model for a list, an object or null
// is what the Mustache spec (and every other implementation) gives, never Go
// syntax; lists and objects used as sections still work as sections.
func TestRenderNonStrings(t *testing.T) {
	vars := map[string]any{
		"none":  nil,
		"list":  []any{"a", "b & c", 2.5, nil},
		"obj":   map[string]any{"k": "v", "n": []any{1.0}, "z": nil},
		"tags":  []string{"x", "y"},
		"count": map[string]int{"a": 1},
		"num":   3.0,
	}
	for tpl, want := range map[string]string{
		"[{{none}}]":                      "[]",
		"{{list}}":                        `["a","b & c",2.5,null]`,
		"{{{list}}}":                      `["a","b & c",2.5,null]`,
		"{{obj}}":                         `{"k":"v","n":[1],"z":null}`,
		"{{obj.n}} {{obj.k}} [{{obj.z}}]": "[1] v []",
		"{{tags}} {{count}}":              `["x","y"] {"a":1}`,
		"{{#list}}<{{.}}>{{/list}}":       "<a><b & c><2.5><>",
		"{{#obj}}{{k}}{{/obj}}":           "v",
		"{{#none}}yes{{/none}}{{^none}}no{{/none}}":     "no",
		"{{#obj.z}}yes{{/obj.z}}{{^obj.z}}no{{/obj.z}}": "no",
		"{{#tags}}{{.}};{{/tags}}":                      "x;y;",
		"{{#list}}{{#.}}+{{/.}}{{/list}}":               "+++",
		"{{num}}":                                       "3",
	} {
		got, err := RenderText(tpl, vars)
		if err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", tpl, got, err, want)
		}
	}
	// The caller's values are not changed.
	if _, ok := vars["list"].([]any); !ok || vars["none"] != nil {
		t.Fatalf("vars changed: %#v", vars)
	}
}
