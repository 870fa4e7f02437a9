package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/seed94f0f622/verso/store"
)

// ExportFormats are the formats Export writes.
var ExportFormats = []Format{Promptfoo, Prompty, Dotprompt, Langfuse}

// ExportOptions choose what to export.
type ExportOptions struct {
	Format Format
	Label  string // the version holding this label, per prompt; "" = latest (Langfuse: every version)
	Prompt string // one prompt; "" = all
}

// Export writes prompts in another tool's format under out (a folder; a
// file for Langfuse) and returns the files written. Importing them gives
// the same prompts, versions and tests: what a format cannot hold
// (another dialect, history in a single-version format) is refused by name.
func Export(ctx context.Context, st *store.Store, o ExportOptions, out string) ([]string, error) {
	ps, err := st.ListPrompts(ctx, store.ListOptions{})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, p := range ps {
		if o.Prompt == "" || p.Name == o.Prompt {
			names = append(names, p.Name)
		}
	}
	if o.Prompt != "" && len(names) == 0 {
		return nil, fmt.Errorf("prompt %s: %w", o.Prompt, store.ErrNotFound)
	}
	if o.Format == Langfuse {
		return exportLangfuse(ctx, st, names, o.Label, out)
	}
	var files []string
	for _, name := range names {
		ref := name + "@latest"
		if o.Label != "" {
			ref = name + "@" + o.Label
		}
		v, err := st.Lookup(ctx, ref)
		if err != nil {
			if o.Label != "" && o.Prompt == "" {
				continue // prompts without the label are not in the label's set
			}
			return nil, err
		}
		p, err := st.Prompt(ctx, name)
		if err != nil {
			return nil, err
		}
		su, err := st.Suite(ctx, name, "default")
		if err != nil {
			su = store.Suite{}
		}
		if o.Format != Promptfoo {
			// Prompty and Dotprompt hold one set of sample inputs.
			if s, err := st.Suite(ctx, name, SamplesSuite); err == nil && len(s.Cases) > 0 {
				su = s
			}
		}
		var b []byte
		var path string
		switch o.Format {
		case Prompty:
			b, err = promptyFile(p, v, su)
			path = filepath.Join(out, filepath.FromSlash(name)+".prompty")
		case Dotprompt:
			b, err = dotpromptFile(p, v, su)
			path = filepath.Join(out, filepath.FromSlash(name)+".prompt")
		case Promptfoo:
			vs := []store.Version{v}
			if o.Label == "" {
				// The whole history: the import reads a config's prompts
				// back as versions 1, 2, ... in order.
				if vs, err = st.History(ctx, name); err != nil {
					return nil, err
				}
				slices.Reverse(vs)
			}
			b, err = promptfooFile(p, vs, su)
			path = filepath.Join(out, filepath.FromSlash(name), "promptfooconfig.yaml")
		default:
			return nil, fmt.Errorf("unknown export format %q: use promptfoo, prompty, dotprompt or langfuse", o.Format)
		}
		if err != nil {
			// The content has no form in that format: bad input, not a failure.
			return nil, fmt.Errorf("%s@%d: %v: %w", name, v.Number, err, store.ErrInvalid)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
		if err := store.WriteFileAtomic(path, b); err != nil {
			return nil, err
		}
		files = append(files, path)
	}
	return files, nil
}

func yamlBytes(v any) []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	_ = enc.Encode(v)
	_ = enc.Close()
	return b.Bytes()
}

// modelOptions writes a config as Prompty/Dotprompt model options.
func modelOptions(c store.Config) map[string]any {
	o := map[string]any{}
	if c.Temperature != nil {
		o["temperature"] = *c.Temperature
	}
	if c.MaxTokens != 0 {
		o["maxOutputTokens"] = c.MaxTokens
	}
	if c.TopP != nil {
		o["topP"] = *c.TopP
	}
	if len(c.Stop) > 0 {
		o["stopSequences"] = c.Stop
	}
	if c.Seed != nil {
		o["seed"] = *c.Seed
	}
	return o
}

// promptfooOptions are a config's model settings as promptfoo's OpenAI
// provider names them.
func promptfooOptions(c store.Config) map[string]any {
	conf := map[string]any{}
	if c.Temperature != nil {
		conf["temperature"] = *c.Temperature
	}
	if c.MaxTokens != 0 {
		conf["max_tokens"] = c.MaxTokens
	}
	if c.TopP != nil {
		conf["top_p"] = *c.TopP
	}
	if len(c.Stop) > 0 {
		conf["stop"] = c.Stop
	}
	if c.Seed != nil {
		conf["seed"] = *c.Seed
	}
	if c.ResponseFormat != nil {
		conf["response_format"] = c.ResponseFormat
	}
	if len(c.Tools) > 0 {
		conf["tools"] = c.Tools
	}
	return conf
}

func firstCaseVars(su store.Suite) map[string]any {
	if len(su.Cases) == 0 {
		return nil
	}
	return su.Cases[0].Vars
}

// promptyFile writes one version as a Prompty v2 file: role markers for
// the messages (a text version is one user message, marked as such in
// metadata so it imports back as text), the dialect as template.format.
func promptyFile(p store.Prompt, v store.Version, su store.Suite) ([]byte, error) {
	front := map[string]any{"name": p.Name}
	if p.Description != "" {
		front["description"] = p.Description
	}
	md := map[string]any{}
	if len(p.Tags) > 0 {
		md["tags"] = p.Tags
	}
	if v.Kind == store.KindText {
		md["verso_kind"] = "text"
	}
	if len(md) > 0 {
		front["metadata"] = md
	}
	model := map[string]any{"apiType": "chat"}
	if v.Config.Model != "" {
		model["id"] = v.Config.Model
	}
	opts := modelOptions(v.Config)
	if v.Config.ResponseFormat != nil {
		opts["response_format"] = v.Config.ResponseFormat
	}
	if len(opts) > 0 {
		model["options"] = opts
	}
	front["model"] = model
	if len(v.Config.Tools) > 0 {
		front["tools"] = v.Config.Tools
	}
	if vars := firstCaseVars(su); len(vars) > 0 {
		var inputs []any
		for _, k := range sortedKeys(vars) {
			inputs = append(inputs, map[string]any{"name": k, "example": vars[k]})
		}
		front["inputs"] = inputs
	}
	front["template"] = map[string]any{"format": map[string]any{"kind": string(v.Dialect)}, "parser": map[string]any{"kind": "prompty"}}
	var b bytes.Buffer
	b.WriteString("---\n")
	b.Write(yamlBytes(front))
	b.WriteString("---\n")
	msgs := v.Messages
	if v.Kind == store.KindText {
		msgs = []store.Message{{Role: "user", Content: v.Template}}
	}
	for i, m := range msgs {
		if roleRE.MatchString(m.Content) {
			return nil, fmt.Errorf("message %d holds a line that Prompty reads as a role marker", i+1)
		}
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s:\n%s\n", m.Role, m.Content)
	}
	return b.Bytes(), nil
}

// dotpromptFile writes one handlebars version as a Dotprompt file.
func dotpromptFile(p store.Prompt, v store.Version, su store.Suite) ([]byte, error) {
	if v.Dialect != store.DialectHandlebars {
		return nil, fmt.Errorf("a %s template cannot be a Dotprompt file (Dotprompt is Handlebars): export it as prompty or promptfoo", v.Dialect)
	}
	front := map[string]any{}
	if p.Description != "" {
		front["description"] = p.Description
	}
	if v.Config.Model != "" {
		front["model"] = v.Config.Model
	}
	if o := modelOptions(v.Config); len(o) > 0 {
		front["config"] = o
	}
	switch rf := v.Config.ResponseFormat.(type) {
	case nil:
	case map[string]any:
		js, _ := rf["json_schema"].(map[string]any)
		switch {
		case rf["type"] == "json_object" && len(rf) == 1:
			front["output"] = map[string]any{"format": "json"}
		case rf["type"] == "json_schema" && len(rf) == 2 && js != nil && js["schema"] != nil && len(js) == 2 && js["name"] == "output":
			// Dotprompt reads a JSON Schema as output.schema as it is.
			front["output"] = map[string]any{"format": "json", "schema": js["schema"]}
		default:
			return nil, fmt.Errorf("response_format %v has no Dotprompt form (json_object, or json_schema named output)", rf)
		}
	}
	if len(v.Config.Tools) > 0 {
		return nil, fmt.Errorf("tools have no Dotprompt form Verso reads back")
	}
	if vars := firstCaseVars(su); len(vars) > 0 {
		front["input"] = map[string]any{"default": vars}
	}
	var b bytes.Buffer
	if len(front) > 0 {
		b.WriteString("---\n")
		b.Write(yamlBytes(front))
		b.WriteString("---\n")
	}
	if v.Kind == store.KindText {
		if dpRoleRE.MatchString(v.Template) {
			return nil, fmt.Errorf("the template holds a {{role}} marker")
		}
		b.WriteString(v.Template)
		b.WriteString("\n")
		return b.Bytes(), nil
	}
	for i, m := range v.Messages {
		role := m.Role
		switch role {
		case "system", "user", "assistant":
		default:
			return nil, fmt.Errorf("message %d: role %s has no Dotprompt form", i+1, role)
		}
		fmt.Fprintf(&b, "{{role %q}}\n%s\n", role, m.Content)
	}
	return b.Bytes(), nil
}

// promptfooFile writes one jinja2 version and its default suite as a
// promptfoo config.
// promptfooFile writes versions (oldest first) as one config whose prompts
// are those versions in order, as the import reads them back. A promptfoo
// config runs every prompt on its providers: the versions must share a
// model; settings that differ between them go in each prompt's config,
// which promptfoo merges over the provider's.
func promptfooFile(p store.Prompt, vs []store.Version, su store.Suite) ([]byte, error) {
	doc := map[string]any{}
	if su.Description != "" {
		doc["description"] = su.Description
	} else if p.Description != "" {
		doc["description"] = p.Description
	}
	first := vs[0]
	firstOpts := promptfooOptions(first.Config)
	same := true
	for _, v := range vs {
		if v.Dialect != store.DialectJinja2 {
			return nil, fmt.Errorf("v%d: a %s template is not Nunjucks, which promptfoo renders: set the dialect to jinja2 or export as prompty", v.Number, v.Dialect)
		}
		if v.Config.Model != first.Config.Model {
			return nil, fmt.Errorf("v%d and v%d use different models (%q, %q), and a promptfoo config runs all its prompts on the same providers: export one version with --label", first.Number, v.Number, first.Config.Model, v.Config.Model)
		}
		opts := promptfooOptions(v.Config)
		if v.Config.Model == "" && len(opts) > 0 {
			return nil, fmt.Errorf("v%d: model settings without a model have no promptfoo form: set the model", v.Number)
		}
		same = same && reflect.DeepEqual(opts, firstOpts)
	}
	var prompts []any
	for _, v := range vs {
		var text string
		if v.Kind == store.KindChat {
			b, err := json.Marshal(v.Messages)
			if err != nil {
				return nil, err
			}
			text = string(b)
		} else {
			if _, isChat := chatJSON(v.Template); isChat {
				return nil, fmt.Errorf("v%d: the text template reads as a JSON chat prompt in promptfoo", v.Number)
			}
			text = v.Template
		}
		if same {
			prompts = append(prompts, text)
			continue
		}
		entry := map[string]any{"raw": text}
		if o := promptfooOptions(v.Config); len(o) > 0 {
			entry["config"] = o
		}
		prompts = append(prompts, entry)
	}
	doc["prompts"] = prompts
	if first.Config.Model != "" {
		prov := map[string]any{"id": "openai:chat:" + first.Config.Model}
		if same && len(firstOpts) > 0 {
			prov["config"] = firstOpts
		}
		doc["providers"] = []any{prov}
	}
	if su.Threshold != 0 {
		doc["defaultTest"] = map[string]any{"threshold": su.Threshold}
	}
	var tests []any
	for _, c := range su.Cases {
		t := map[string]any{"description": c.Name}
		if len(c.Vars) > 0 {
			for k, val := range c.Vars {
				if l, isList := val.([]any); isList && len(l) > 0 {
					if _, s := l[0].(string); s {
						// promptfoo would expand it into one case per
						// element: the case says not to.
						t["options"] = map[string]any{"disableVarExpansion": true}
					}
				}
				if s, ok := val.(string); ok && strings.HasPrefix(s, "file://") {
					return nil, fmt.Errorf("case %q: var %s reads as a file:// reference in promptfoo", c.Name, k)
				}
			}
			t["vars"] = c.Vars
		}
		if len(c.Assertions) > 0 {
			t["assert"] = c.Assertions
		}
		if c.Threshold != nil {
			t["threshold"] = *c.Threshold
		}
		if len(c.Tags) > 0 {
			md := map[string]any{}
			for _, tag := range c.Tags {
				k, val, ok := strings.Cut(tag, ":")
				if !ok {
					return nil, fmt.Errorf("case %q: tag %q has no promptfoo form (metadata key:value)", c.Name, tag)
				}
				md[k] = val
			}
			t["metadata"] = md
		}
		tests = append(tests, t)
	}
	if len(tests) > 0 {
		doc["tests"] = tests
	}
	return yamlBytes(doc), nil
}

// exportLangfuse writes every version of each prompt (or, with a label,
// the version holding it) as Langfuse prompt objects; the newest version
// carries latest, as in Langfuse.
func exportLangfuse(ctx context.Context, st *store.Store, names []string, label, out string) ([]string, error) {
	var items []any
	for _, name := range names {
		p, err := st.Prompt(ctx, name)
		if err != nil {
			return nil, err
		}
		var vs []store.Version
		if label != "" {
			v, err := st.Lookup(ctx, name+"@"+label)
			if err != nil {
				continue
			}
			vs = []store.Version{v}
		} else {
			h, err := st.History(ctx, name)
			if err != nil {
				return nil, err
			}
			for i := len(h) - 1; i >= 0; i-- {
				vs = append(vs, h[i])
			}
		}
		latest := 0
		for _, v := range vs {
			latest = max(latest, v.Number)
		}
		for _, v := range vs {
			if v.Dialect != store.DialectMustache {
				return nil, fmt.Errorf("%s@%d: a %s template has no Langfuse form (Langfuse prompts are {{variable}} text): %w", name, v.Number, v.Dialect, store.ErrInvalid)
			}
			it := map[string]any{"name": name, "version": v.Number, "type": string(v.Kind)}
			if v.Kind == store.KindChat {
				it["prompt"] = v.Messages
			} else {
				it["prompt"] = v.Template
			}
			cfg, err := normalize(v.Config)
			if err != nil {
				return nil, err
			}
			it["config"] = cfg
			labels := append([]string{}, v.Labels...)
			if v.Number == latest {
				labels = append(labels, "latest")
			}
			it["labels"] = labels
			if len(p.Tags) > 0 {
				it["tags"] = p.Tags
			}
			if v.Message != "" {
				it["commitMessage"] = v.Message
			}
			items = append(items, it)
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(items); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return nil, err
	}
	if err := store.WriteFileAtomic(out, b.Bytes()); err != nil {
		return nil, err
	}
	return []string{out}, nil
}
