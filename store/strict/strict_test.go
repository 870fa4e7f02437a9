package strict

import (
	"strings"
	"testing"
)

type doc struct {
	Format  int      `json:"verso_export" yaml:"verso_export"`
	Prompts []prompt `json:"prompts" yaml:"prompts"`
}

type prompt struct {
	Name   string         `json:"name" yaml:"name"`
	Labels []string       `json:"labels,omitempty" yaml:"labels,omitempty"`
	Vars   map[string]any `json:"vars,omitempty" yaml:"vars,omitempty"`
}

// Python's json.dumps writes emoji as surrogate-pair escapes by default.
func TestJSONSurrogatePairs(t *testing.T) {
	var d doc
	if err := Decode("x.json", []byte(`{"verso_export": 1, "prompts": [{"name": "\ud83d\ude00 hi"}]}`), &d); err != nil {
		t.Fatal(err)
	}
	if d.Prompts[0].Name != "😀 hi" {
		t.Fatalf("name = %q", d.Prompts[0].Name)
	}
}

// The same mistakes are refused the same way in JSON and YAML, by name, in
// one complete line.
func TestJSONAndYAMLRefuseTheSameThings(t *testing.T) {
	cases := []struct {
		what, json, yaml, want string
	}{
		{"unknown key", `{"verso_export": 1, "prompts": [], "extra": 1}`, "verso_export: 1\nprompts: []\nextra: 1\n", `unknown key "extra"`},
		{"case variant", `{"verso_export": 1, "Prompts": []}`, "verso_export: 1\nPrompts: []\n", `unknown key "Prompts"`},
		{"duplicate key", `{"verso_export": 1, "prompts": [{"name": "a", "labels": ["production"]}], "prompts": [{"name": "b"}]}`,
			"verso_export: 1\nprompts: [{name: a}]\nprompts: [{name: b}]\n", `"prompts"`},
		{"nested unknown", `{"prompts": [{"name": "a", "lables": ["x"]}]}`, "prompts:\n  - name: a\n    lables: [x]\n", `unknown key "lables"`},
		{"invalid UTF-8", "{\"prompts\": [{\"name\": \"\xff\"}]}", "prompts:\n  - name: \"\xff\"\n", "not valid UTF-8"},
	}
	for _, c := range cases {
		for _, in := range []struct{ name, text string }{{"x.json", c.json}, {"x.yaml", c.yaml}} {
			var d doc
			err := Decode(in.name, []byte(in.text), &d)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("%s in %s: err = %v, want one line containing %s", c.what, in.name, err, c.want)
			}
		}
	}
}

// yaml.v3 lists every problem after "unmarshal errors:"; all of them are
// kept (they used to be cut after the first line).
func TestYAMLErrorsAreComplete(t *testing.T) {
	var d doc
	err := YAML([]byte("verso_export: x\nprompts:\n  - name: a\n    bogus: 1\n"), &d)
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	for _, want := range []string{"line 1", "line 4", `unknown key "bogus"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "unmarshal errors") || strings.HasSuffix(msg, ":") {
		t.Errorf("message cut or raw: %q", msg)
	}
}

func TestMapsKeepTheirKeys(t *testing.T) {
	var p prompt
	if err := JSON([]byte(`{"name": "a", "vars": {"Name": 1, "name": 2}}`), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Vars) != 2 {
		t.Fatalf("vars = %v", p.Vars)
	}
	if err := JSON([]byte(`{"name": "a", "vars": {"k": 1, "k": 2}}`), &p); err == nil {
		t.Fatal("duplicate map key accepted")
	}
}

func TestOneDocument(t *testing.T) {
	var d doc
	if err := YAML([]byte("prompts: []\n---\nprompts: [{name: x}]\n"), &d); err == nil || !strings.Contains(err.Error(), "more than one YAML document") {
		t.Fatalf("err = %v", err)
	}
	if err := JSON([]byte(`{"prompts": []} {"prompts": []}`), &d); err == nil {
		t.Fatal("two JSON values accepted")
	}
}

func TestIsJSON(t *testing.T) {
	for _, c := range []struct {
		name, text string
		want       bool
	}{{"a.json", "x: 1", true}, {"a.yaml", "{}", false}, {"-", "  [{\"role\": \"user\"}]", true}, {"-", "- role: user", false}, {"a.txt", "{}", true},
		{"", "[{vars: {a: 1}}]", false}, {"", `{"a": 1, "a": 2}`, true}} {
		if got := IsJSON(c.name, []byte(c.text)); got != c.want {
			t.Errorf("IsJSON(%q, %q) = %v", c.name, c.text, got)
		}
	}
}
