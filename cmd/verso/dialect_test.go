package main

import (
	"strings"
	"testing"
)

// The dialect is chosen at commit, kept by later commits, shown by show
// (and its JSON) and diff, and a template that needs another dialect or a
// filter the dialect lacks is refused at commit with exit 2.
func TestCommitDialect(t *testing.T) {
	db := newDB(t)
	r := verso(t, db, "Triage: {% if urgent %}NOW{% endif %} {{ ticket }}", "commit", "support/triage")
	if r.code != 2 || !strings.Contains(r.stderr, "this looks like Jinja (`{% if urgent %}`); set the dialect to jinja2") {
		t.Fatalf("mustache refusal: %+v", r)
	}
	mustOK(t, verso(t, db, "Triage: {% if urgent %}NOW{% endif %} {{ ticket }}", "commit", "support/triage", "--dialect", "jinja2", "-m", "first"))
	r = mustOK(t, verso(t, db, "", "show", "support/triage"))
	if !strings.Contains(r.stdout, "dialect:   jinja2") || !strings.Contains(r.stdout, "variables: ticket, urgent") {
		t.Fatalf("show: %s", r.stdout)
	}
	r = mustOK(t, verso(t, db, "", "show", "support/triage", "--var", "ticket=late parcel", "--var", "urgent=yes"))
	if strings.TrimSpace(r.stdout) != "Triage: NOW late parcel" {
		t.Fatalf("render: %q", r.stdout)
	}
	r = verso(t, db, "", "show", "support/triage", "--var", "urgent=yes")
	if r.code != 2 || !strings.Contains(r.stderr, "missing variables: ticket") {
		t.Fatalf("missing: %+v", r)
	}
	// A later commit keeps the dialect.
	mustOK(t, verso(t, db, "Triage: {{ ticket | upper }}", "commit", "support/triage"))
	r = mustOK(t, verso(t, db, "", "show", "support/triage", "--json"))
	if !strings.Contains(r.stdout, `"dialect": "jinja2"`) {
		t.Fatalf("json: %s", r.stdout)
	}
	// A filter the engine lacks is refused at commit, by name.
	r = verso(t, db, "{{ ticket | shout }}", "commit", "support/triage")
	if r.code != 2 || !strings.Contains(r.stderr, `filter "shout" does not exist`) {
		t.Fatalf("filter: %+v", r)
	}
	// Changing only the dialect is a change, and diff shows it.
	r = verso(t, db, "Triage: {{ ticket | upper }}", "commit", "support/triage", "--dialect", "handlebars")
	if r.code != 2 || !strings.Contains(r.stderr, "this looks like Jinja (a filter: `{{ ticket | upper }}`)") {
		t.Fatalf("handlebars refusal: %+v", r)
	}
	mustOK(t, verso(t, db, "Triage: {{ ticket }}", "commit", "support/triage", "--dialect", "handlebars"))
	r = mustOK(t, verso(t, db, "", "diff", "support/triage", "2", "3", "--color", "never"))
	if !strings.Contains(r.stdout, "dialect") || !strings.Contains(r.stdout, "jinja2") || !strings.Contains(r.stdout, "handlebars") {
		t.Fatalf("diff: %s", r.stdout)
	}
	r = verso(t, db, "x", "commit", "p", "--dialect", "liquid")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown template dialect "liquid"`) {
		t.Fatalf("bad dialect: %+v", r)
	}
}
