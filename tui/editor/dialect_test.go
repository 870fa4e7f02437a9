package editor

import (
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/store"
)

// Editing a jinja2 version keeps its dialect: the file shows it, and the
// commit made from the file carries it (an edit never turns it into
// mustache silently). An unknown dialect in the file is refused.
func TestEditKeepsDialect(t *testing.T) {
	base := FromVersion(store.Prompt{Name: "triage"}, store.Version{Kind: store.KindText, Dialect: store.DialectJinja2, Template: "{% if x %}{{ x }}{% endif %}"})
	raw := Marshal(base)
	if !strings.Contains(string(raw), "dialect: jinja2") {
		t.Fatalf("file:\n%s", raw)
	}
	d, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if in := d.CommitInput("a", "m", 1); in.Dialect != store.DialectJinja2 || !d.Same(base) {
		t.Fatalf("commit input %+v", in)
	}
	mustache := Marshal(FromVersion(store.Prompt{Name: "p"}, store.Version{Kind: store.KindText, Template: "{{x}}"}))
	if strings.Contains(string(mustache), "dialect") {
		t.Errorf("a mustache file has no dialect line:\n%s", mustache)
	}
	_, err = Parse([]byte(strings.Replace(string(raw), "dialect: jinja2", "dialect: liquid", 1)))
	if err == nil || !strings.Contains(err.Error(), `dialect "liquid" is unknown`) {
		t.Fatalf("bad dialect: %v", err)
	}
}
