package importer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/google/dotprompt/go/dotprompt"

	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/store"
)

var (
	dpRoleRE    = regexp.MustCompile(`\{\{~?\s*#?role\s+["']([a-z]+)["']\s*~?\}\}`)
	dpRoleEndRE = regexp.MustCompile(`\{\{~?\s*/role\s*~?\}\}`)
	dpHistoryRE = regexp.MustCompile(`\{\{~?\s*history\s*~?\}\}`)
	dpMediaRE   = regexp.MustCompile(`\{\{~?\s*(media|section)\b[^}]*\}\}`)
	// {{section "name"}} is a marker, not a block: Dotprompt's Handlebars
	// refuses a {{/section}}.
	dpSectionEndRE = regexp.MustCompile(`\{\{~?\s*/section\s*~?\}\}`)
	dpPartialRE    = regexp.MustCompile(`\{\{~?>\s*([A-Za-z0-9_./-]+)([^}]*?)\s*~?\}\}`)
	// Partial forms Verso does not inline: partial blocks ({{#> layout}})
	// and dynamic partials ({{> (whichPartial)}}).
	dpPartialOtherRE = regexp.MustCompile(`\{\{~?#>\s*[^}]*\}\}|\{\{~?>\s*\(`)
	dpCommentRE      = regexp.MustCompile(`\{\{!--[\s\S]*?--\}\}|\{\{![\s\S]*?\}\}`)
)

// dotprompt reads a Dotprompt file: YAML front matter (model, config,
// input and output schema) and a Handlebars body whose {{role "..."}}
// markers make a chat version. Partials come from _name.prompt files in
// the same folder and are inlined.
func (fi *fileImport) dotprompt(body string) error {
	p := fi.plan
	in := store.CommitInput{Name: fi.name, Kind: store.KindText, Dialect: store.DialectHandlebars, Message: "import " + fi.base}
	p.note("%s -> prompt %s (handlebars)", fi.base, fi.name)
	if v, ok := fi.key("description"); ok {
		in.Description, _ = v.(string)
	}
	if v, ok := fi.key("model"); ok {
		in.Config.Model, _ = v.(string)
	}
	if v, ok := fi.key("config"); ok {
		c, _ := v.(map[string]any)
		for _, k := range sortedKeys(c) {
			known, err := modelOption(&in.Config, k, c[k])
			if err != nil {
				return fmt.Errorf("config.%v", err)
			}
			if !known {
				if err := p.unsupported(fi.base+": config."+k, "no Verso model setting"); err != nil {
					return err
				}
			}
		}
	}
	var sample map[string]any
	if v, ok := fi.key("input"); ok {
		im, _ := v.(map[string]any)
		for _, k := range sortedKeys(im) {
			switch k {
			case "schema":
				// Not stored, but Dotprompt converts it when it renders
				// and fails on one that is not Picoschema: say so, as for
				// output.schema. A schema registered in code is a name, and
				// one with a JSON Schema type or properties at the top is
				// passed through as JSON Schema, as Dotprompt's does.
				if m, pico := im[k].(map[string]any); pico && !jsonSchemaShaped(m) {
					if _, err := picoschema(im[k]); err != nil {
						if err := p.unsupported(fi.base+": input.schema", err.Error()+", so Dotprompt cannot render the prompt either"); err != nil {
							return err
						}
						continue
					}
				}
				p.note("%s: input.schema -> not stored: Verso lists the variables from the template", fi.base)
			case "default":
				sample, _ = im[k].(map[string]any)
				p.note("%s: input.default -> the case \"defaults\" of the suite %s", fi.base, SamplesSuite)
			default:
				if err := p.unsupported(fi.base+": input."+k, "no Verso equivalent"); err != nil {
					return err
				}
			}
		}
	}
	if v, ok := fi.key("output"); ok {
		om, _ := v.(map[string]any)
		for _, k := range sortedKeys(om) {
			switch k {
			case "format":
				switch om[k] {
				case "json":
					if in.Config.ResponseFormat == nil {
						in.Config.ResponseFormat = map[string]any{"type": "json_object"}
					}
					p.note("%s: output.format json -> response_format json_object", fi.base)
				case "text":
				default:
					if err := p.unsupported(fmt.Sprintf("%s: output.format %v", fi.base, om[k]), "Verso asks for text or JSON"); err != nil {
						return err
					}
				}
			case "schema":
				if f, ok := om["format"]; ok && f != "json" {
					if err := p.unsupported(fi.base+": output.schema", "a schema for a text output has no meaning for the model"); err != nil {
						return err
					}
					continue
				}
				schema, err := picoschema(om[k])
				if err != nil {
					if err := p.unsupported(fi.base+": output.schema", err.Error()); err != nil {
						return err
					}
					continue
				}
				in.Config.ResponseFormat = map[string]any{"type": "json_schema", "json_schema": map[string]any{"name": "output", "schema": schema}}
				p.note("%s: output.schema (Picoschema) -> response_format json_schema, converted by google/dotprompt's parser", fi.base)
			default:
				if err := p.unsupported(fi.base+": output."+k, "no Verso equivalent"); err != nil {
					return err
				}
			}
		}
	}
	if _, ok := fi.key("tools"); ok {
		if err := p.unsupported(fi.base+": tools", "Dotprompt names tools that are defined in code (Genkit), not in the file"); err != nil {
			return err
		}
	}
	if err := fi.rest(); err != nil {
		return err
	}

	// The body as Dotprompt compiles it, role markers and all: a syntax
	// error is named at its line in the file.
	if err := fi.sectionBlock(body); err != nil {
		return err
	}
	if err := partialForms(body, inComments(body)); err != nil {
		return err // before the syntax check: the parser does not know partial blocks
	}
	if err := prompt.HandlebarsSyntax(body, fi.bodyLine); err != nil {
		return err
	}
	body, err := fi.inlinePartials(filepath.Dir(fi.path), body, nil)
	if err != nil {
		return err
	}
	// {{#role "x"}}...{{/role}} blocks are the same markers.
	body = dpRoleEndRE.ReplaceAllString(body, "")
	if err := fi.sectionBlock(body); err != nil { // also in the partials
		return err
	}
	if m := dpMediaRE.FindStringSubmatch(body); m != nil {
		what := m[1]
		if err := p.unsupported(fmt.Sprintf("%s: {{%s}}", fi.base, what), "Dotprompt's media parts and sections have no equivalent in Verso"); err != nil {
			return err
		}
		body = dpMediaRE.ReplaceAllString(body, "")
	}
	if dpHistoryRE.MatchString(body) {
		if err := p.unsupported(fi.base+": {{history}}", "Verso has no conversation history input"); err != nil {
			return err
		}
		body = dpHistoryRE.ReplaceAllString(body, "")
	}
	locs := dpRoleRE.FindAllStringSubmatchIndex(body, -1)
	if len(locs) == 0 {
		in.Template = strings.Trim(body, "\r\n")
		if strings.TrimSpace(in.Template) == "" {
			return fmt.Errorf("the template is empty: write the prompt's text after the front matter's closing ---")
		}
		p.note("%s: body -> text template", fi.base)
	} else {
		in.Kind = store.KindChat
		prev, role := 0, "user"
		add := func(role, content string) error {
			content = strings.Trim(content, "\r\n")
			if strings.TrimSpace(content) == "" {
				return nil
			}
			switch role {
			case "system", "user", "assistant":
			case "model":
				role = "assistant"
			default:
				return fmt.Errorf("{{role %q}}: use system, user, model or assistant", role)
			}
			in.Messages = append(in.Messages, store.Message{Role: role, Content: content})
			return nil
		}
		for _, l := range locs {
			if err := add(role, body[prev:l[0]]); err != nil {
				return err
			}
			role = body[l[2]:l[3]]
			prev = l[1]
		}
		if err := add(role, body[prev:]); err != nil {
			return err
		}
		p.note("%s: {{role}} markers -> %d chat messages (%s)", fi.base, len(in.Messages), roles(in.Messages))
	}
	// Checked here too, so that a template the dialect refuses is named
	// by its file.
	if err := prompt.Check(store.Version{Kind: in.Kind, Dialect: in.Dialect, Template: in.Template, Messages: in.Messages}); err != nil {
		return err
	}
	p.Versions = append(p.Versions, Version{CommitInput: in})
	if len(sample) > 0 {
		vars, err := normalize(sample)
		if err != nil {
			return err
		}
		p.Suites = append(p.Suites, store.Suite{Prompt: fi.name, Name: SamplesSuite, Cases: []store.Case{{Name: "defaults", Vars: vars.(map[string]any)}}})
	}
	return nil
}

// inlinePartials replaces {{> name}} with the body of _name.prompt from
// dir (a name with a folder, {{> a/b}}, reads a/_b.prompt), recursively,
// as Dotprompt resolves partials. A partial that includes itself is an
// error, as it never finishes rendering. A partial that is not there is
// refused by name (Dotprompt loads such a prompt and fails when it
// renders it, unless the app registers the partial in code); with
// --skip-unsupported the call is left out and listed as skipped. Tags
// inside {{! comments }} are left alone.
func (fi *fileImport) inlinePartials(dir, body string, seen []string) (string, error) {
	inComment := inComments(body)
	if err := partialForms(body, inComment); err != nil {
		return "", err
	}
	var b strings.Builder
	last := 0
	for _, loc := range dpPartialRE.FindAllStringSubmatchIndex(body, -1) {
		if inComment(loc[0]) {
			continue
		}
		name := body[loc[2]:loc[3]]
		file, err := partialFile(dir, name)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(file); err != nil {
			rel := filepath.Join(filepath.Dir(name), "_"+filepath.Base(name)+".prompt")
			why := fmt.Sprintf("no %s in %s (Dotprompt reads a partial from _NAME.prompt, or from the app's code): add the file", rel, dir)
			if err := fi.missingPartial(name, why); err != nil {
				return "", err
			}
			b.WriteString(body[last:loc[0]])
			last = loc[1]
			continue
		}
		// A partial sees the template's variables; parameters that pass a
		// variable under its own name (personality=personality) change
		// nothing. Any other context or parameter would need the partial
		// rewritten.
		for _, arg := range strings.Fields(body[loc[4]:loc[5]]) {
			if k, v, ok := strings.Cut(arg, "="); !ok || k != v {
				return "", fmt.Errorf("partial %s passes %q: Verso inlines a partial in the template, where only parameters that pass a variable under its own name (x=x) keep their meaning; write the partial's text in place", body[loc[0]:loc[1]], arg)
			}
		}
		text, err := fi.inlineOne(dir, file, name, seen)
		if err != nil {
			return "", err
		}
		b.WriteString(body[last:loc[0]])
		b.WriteString(text)
		last = loc[1]
	}
	b.WriteString(body[last:])
	return b.String(), nil
}

// inComments reports whether an offset of body is inside a {{! comment }}.
func inComments(body string) func(int) bool {
	comments := dpCommentRE.FindAllStringIndex(body, -1)
	return func(at int) bool {
		for _, c := range comments {
			if at >= c[0] && at < c[1] {
				return true
			}
		}
		return false
	}
}

// partialForms refuses partial blocks ({{#> layout}}) and dynamic
// partials ({{> (which)}}) outside comments.
func partialForms(body string, inComment func(int) bool) error {
	for _, loc := range dpPartialOtherRE.FindAllStringIndex(body, -1) {
		if !inComment(loc[0]) {
			return fmt.Errorf("%s: partial blocks and dynamic partials are not inlined by Verso: write the partial's text in place", strings.TrimSpace(body[loc[0]:min(loc[1]+20, len(body))]))
		}
	}
	return nil
}

// partialFile is where Dotprompt reads the partial name: _name.prompt in
// dir, or folder/_base.prompt for folder/base. It may not leave dir.
func partialFile(dir, name string) (string, error) {
	rel := filepath.Join(filepath.Dir(filepath.FromSlash(name)), "_"+filepath.Base(name)+".prompt")
	if !filepath.IsLocal(rel) {
		return "", fmt.Errorf("partial {{> %s}}: a partial is read from the prompt's folder, and this name leaves it", name)
	}
	return filepath.Join(dir, rel), nil
}

// missingPartial refuses (or, with --skip-unsupported, lists once as
// skipped) a partial the folder does not have.
func (fi *fileImport) missingPartial(name, why string) error {
	field := fmt.Sprintf("%s: partial {{> %s}}", fi.base, name)
	for _, s := range fi.plan.Skipped {
		if strings.HasPrefix(s, field+": ") {
			return nil
		}
	}
	return fi.plan.unsupported(field, why)
}

func (fi *fileImport) inlineOne(dir, file, name string, seen []string) (string, error) {
	for _, s := range seen {
		if s == name {
			return "", fmt.Errorf("partial %s includes itself (%s -> %s), so Dotprompt never finishes rendering it: remove one of the calls", name, strings.Join(seen, " -> "), name)
		}
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("partial %s: %v", name, err)
	}
	_, pb, err := splitFrontMatter(name, string(b))
	if err != nil {
		return "", fmt.Errorf("partial %s: %v", name, err)
	}
	return fi.inlinePartials(dir, strings.TrimRight(pb, "\r\n"), append(seen, name))
}

// picoschema turns a Dotprompt output schema (Picoschema, or JSON Schema)
// into JSON Schema with Dotprompt's own parser. A schema named by a type
// registered in code is refused.
func picoschema(v any) (schema map[string]any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("Picoschema: %v", r)
		}
	}()
	s, err := dotprompt.Picoschema(v, &dotprompt.PicoschemaOptions{})
	if err != nil {
		if name, ok := v.(string); ok {
			return nil, fmt.Errorf("the schema %q is registered in code, not in the file", name)
		}
		return nil, fmt.Errorf("not valid Picoschema (%v)", err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &schema); err != nil {
		return nil, err
	}
	return schema, nil
}

// sectionBlock refuses a {{/section}}: {{section "name"}} is a marker, not
// a block, and Dotprompt's Handlebars refuses the template.
func (fi *fileImport) sectionBlock(body string) error {
	if dpSectionEndRE.MatchString(dpCommentRE.ReplaceAllString(body, "")) {
		return fmt.Errorf("%s: {{/section}} closes no block: Dotprompt's {{section \"name\"}} is a marker, not a block, and Dotprompt refuses this template too: remove {{/section}}", fi.base)
	}
	return nil
}

// jsonSchemaShaped reports whether Dotprompt reads a schema as JSON Schema
// as it is (a JSON Schema type or properties at the top) instead of
// converting it from Picoschema.
func jsonSchemaShaped(m map[string]any) bool {
	switch m["type"] {
	case "string", "number", "integer", "boolean", "null", "any", "object", "array":
		return true
	}
	_, props := m["properties"].(map[string]any)
	return props
}
