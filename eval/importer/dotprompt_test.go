package importer

import (
	"path/filepath"
	"strings"
	"testing"
)

// dp is a file of testdata/dotprompt, small Dotprompt files made for
// these tests.
func dp(name string) string { return filepath.Join("testdata", "dotprompt", name) }

// TestDotpromptMissingPartial: Dotprompt loads a prompt whose partial is
// not in the folder and fails only when it renders it (the app may
// register the partial in code). Verso refuses it by name with the fix;
// with --skip-unsupported the prompt imports, each missing partial is
// listed once as skipped, and the call is left out of the template.
func TestDotpromptMissingPartial(t *testing.T) {
	mustFail(t, dp("order.prompt"), Options{},
		"order.prompt: partial {{> line}}: no _line.prompt in "+filepath.Join("testdata", "dotprompt")+" (Dotprompt reads a partial from _NAME.prompt, or from the app's code): add the file")
	p := read(t, dp("order.prompt"), Options{SkipUnsupported: true})
	if len(p.Skipped) != 1 || !strings.HasPrefix(p.Skipped[0], "order.prompt: partial {{> line}}: no _line.prompt") {
		t.Fatalf("want the missing partial listed once as skipped, got %q", p.Skipped)
	}
	v := p.Versions[0]
	if len(v.Messages) != 2 || v.Config.Model != "demo/demo-large" {
		t.Fatalf("the rest of the prompt was not imported: %+v", v.CommitInput)
	}
	user := v.Messages[1].Content
	if strings.Contains(user, "{{>") || !strings.Contains(user, "Thank the customer by name ({{customer}}).") || !strings.Contains(user, "{{#each lines}}") {
		t.Errorf("want the missing call left out and the partial that exists inlined, got %q", user)
	}
}

// TestDotpromptPartialFilesAsDotpromptReadsThem: a partial is
// _name.prompt (folder/_name.prompt for {{> folder/name}}), as Dotprompt's
// stores read it; a prompt file without the leading _ is not a partial,
// and a partial name may not leave the prompt's folder.
func TestDotpromptPartialFilesAsDotpromptReadsThem(t *testing.T) {
	p := read(t, dp("signed.prompt"), Options{})
	if got := p.Versions[0].Template; got != "Answer {{question}}.\nSign as {{bot}}." {
		t.Errorf("{{> sub/sig}} should read sub/_sig.prompt, got %q", got)
	}
	mustFail(t, dp("greeting.prompt"), Options{}, "greeting.prompt: partial {{> banner}}: no _banner.prompt in")
	mustFail(t, dp("escape.prompt"), Options{SkipUnsupported: true}, "partial {{> ../outside}}: a partial is read from the prompt's folder, and this name leaves it")
}

// TestDotpromptSectionIsNotABlock: {{section "name"}} is a marker;
// Dotprompt's Handlebars refuses a template that closes it with
// {{/section}}, so Verso refuses it too (it used to drop the tag and
// import), naming the fix, even with --skip-unsupported.
func TestDotpromptSectionIsNotABlock(t *testing.T) {
	mustFail(t, dp("thinking.prompt"), Options{SkipUnsupported: true},
		`thinking.prompt: {{/section}} closes no block: Dotprompt's {{section "name"}} is a marker, not a block, and Dotprompt refuses this template too: remove {{/section}}`)
}

// TestDotpromptInputSchemaChecked: an input schema is not stored, but
// Dotprompt converts it when it renders and fails on one that is not
// Picoschema (tags: string[]); Verso names it instead of importing the
// prompt as if nothing were wrong.
func TestDotpromptInputSchemaChecked(t *testing.T) {
	mustFail(t, dp("tags.prompt"), Options{},
		"tags.prompt: input.schema: not valid Picoschema (Picoschema: unsupported scalar type 'string[]'), so Dotprompt cannot render the prompt either")
	// A schema with a JSON Schema type at the top is passed through as
	// JSON Schema by Dotprompt, unchecked: it imports as it is.
	if p := read(t, dp("json-schema-input.prompt"), Options{}); len(p.Skipped) != 0 || len(p.Versions) != 1 {
		t.Errorf("a JSON Schema input schema: skipped %q", p.Skipped)
	}
	p := read(t, dp("tags.prompt"), Options{SkipUnsupported: true})
	if len(p.Skipped) != 1 || !strings.Contains(p.Skipped[0], "input.schema") || p.Versions[0].Template != "Write about {{topic}}." {
		t.Errorf("with --skip-unsupported: skipped %q, template %q", p.Skipped, p.Versions[0].Template)
	}
}

// TestDotpromptRefusalsSayTheFix: a refusal (a helper no Dotprompt
// implementation defines, front matter that is not YAML, a body that is
// not Handlebars, a file with no template) is one line naming the file,
// the problem (at its line in the file) and what to change.
func TestDotpromptRefusalsSayTheFix(t *testing.T) {
	mustFail(t, dp("numbered.prompt"), Options{SkipUnsupported: true},
		`helper "add" is not available in the handlebars dialect (available: if, unless, each, with, ifEquals, unlessEquals, lookup, json): a helper registered in code is not part of the template, so pass its result in as a variable or remove the call`)
	mustFail(t, dp("unquoted.prompt"), Options{SkipUnsupported: true},
		"front matter: unquoted.prompt: not valid YAML: line 4: did not find expected comment or line break: fix the YAML between the --- lines")
	// A syntax error is named at its line in the file, not in the message.
	mustFail(t, dp("adult.prompt"), Options{SkipUnsupported: true},
		"adult.prompt: not valid Handlebars at line 7: unexpected character in expression: '>': Handlebars has no operators; compute the condition into a variable ({{#if adult}}) or compare with {{#ifEquals a b}}")
	mustFail(t, dp("settings-only.prompt"), Options{SkipUnsupported: true},
		"settings-only.prompt: the template is empty: write the prompt's text after the front matter's closing ---")
	for _, f := range []string{"numbered.prompt", "unquoted.prompt", "thinking.prompt", "order.prompt", "settings-only.prompt", "adult.prompt"} {
		_, err := Read(dp(f), Options{})
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), f) {
			t.Errorf("%s: want one line naming the file, got %v", f, err)
		}
	}
}
