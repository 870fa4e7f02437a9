package importer

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/google/dotprompt/go/dotprompt"

	"github.com/seed94f0f622/verso/store"
)

var (
	dpRoleRE    = regexp.MustCompile(`\{\{~?\s*#?role\s+["']([a-z]+)["']\s*~?\}\}`)
	dpRoleEndRE = regexp.MustCompile(`\{\{~?\s*/role\s*~?\}\}`)
	dpHistoryRE = regexp.MustCompile(`\{\{~?\s*history\s*~?\}\}`)
	dpMediaRE   = regexp.MustCompile(`\{\{~?\s*(media|section)\b[^}]*\}\}|\{\{~?\s*/section\s*~?\}\}`)
	dpPartialRE = regexp.MustCompile(`\{\{~?>\s*([A-Za-z0-9_./-]+)([^}]*?)\s*~?\}\}`)
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

	body, err := inlinePartials(filepath.Dir(fi.path), body, nil)
	if err != nil {
		return err
	}
	// {{#role "x"}}...{{/role}} blocks are the same markers.
	body = dpRoleEndRE.ReplaceAllString(body, "")
	if m := dpMediaRE.FindStringSubmatch(body); m != nil {
		what := m[1]
		if what == "" {
			what = "section"
		}
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
			return fmt.Errorf("the template is empty")
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

// inlinePartials replaces {{> name}} with the body of _name.prompt (or
// name.prompt) from dir, recursively; a partial that includes itself is
// an error. Tags inside {{! comments }} are left alone.
func inlinePartials(dir, body string, seen []string) (string, error) {
	comments := dpCommentRE.FindAllStringIndex(body, -1)
	inComment := func(at int) bool {
		for _, c := range comments {
			if at >= c[0] && at < c[1] {
				return true
			}
		}
		return false
	}
	for _, loc := range dpPartialOtherRE.FindAllStringIndex(body, -1) {
		if !inComment(loc[0]) {
			return "", fmt.Errorf("%s: partial blocks and dynamic partials are not inlined by Verso: write the partial's text in place", strings.TrimSpace(body[loc[0]:min(loc[1]+20, len(body))]))
		}
	}
	var b strings.Builder
	last := 0
	for _, loc := range dpPartialRE.FindAllStringSubmatchIndex(body, -1) {
		if inComment(loc[0]) {
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
		text, err := inlineOne(dir, body[loc[2]:loc[3]], seen)
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

func inlineOne(dir, name string, seen []string) (string, error) {
	for _, s := range seen {
		if s == name {
			return "", fmt.Errorf("partial %s includes itself (%s -> %s)", name, strings.Join(seen, " -> "), name)
		}
	}
	var b []byte
	var err error
	for _, cand := range []string{"_" + name + ".prompt", name + ".prompt"} {
		if b, err = os.ReadFile(filepath.Join(dir, cand)); err == nil {
			break
		}
	}
	if err != nil {
		return "", fmt.Errorf("partial {{> %s}}: no _%s.prompt in %s", name, name, dir)
	}
	_, pb, err := splitFrontMatter(name, string(b))
	if err != nil {
		return "", fmt.Errorf("partial %s: %v", name, err)
	}
	return inlinePartials(dir, strings.TrimRight(pb, "\r\n"), append(seen, name))
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
