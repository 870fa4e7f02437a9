package importer

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/store"
)

// prompty reads a Prompty file, v1 (model.configuration/parameters, sample,
// inputs as a mapping) or v2 (model.id/connection/options, inputs as a
// list, template.format.kind). The body's role markers (system:, user:,
// assistant:) make a chat version; sample inputs make a test case.
func (fi *fileImport) prompty(body string) error {
	p := fi.plan
	in := store.CommitInput{Name: fi.name, Kind: store.KindChat, Dialect: store.DialectJinja2, Message: "import " + fi.base}
	if v, ok := fi.key("name"); ok {
		p.note("%s: name %q -> prompt %s", fi.base, v, fi.name)
	} else {
		p.note("%s -> prompt %s", fi.base, fi.name)
	}
	if v, ok := fi.key("description"); ok {
		in.Description, _ = v.(string)
	}
	if v, ok := fi.key("version"); ok {
		in.Message = fmt.Sprintf("import %s (version %v)", fi.base, v)
	}
	var authors, tags []string
	asText := false
	if v, ok := fi.key("authors"); ok {
		authors, _ = stringList(v)
	}
	if v, ok := fi.key("tags"); ok {
		tags, _ = stringList(v)
	}
	if v, ok := fi.key("metadata"); ok {
		md, _ := v.(map[string]any)
		for _, k := range sortedKeys(md) {
			switch k {
			case "authors":
				authors, _ = stringList(md[k])
			case "tags":
				tags, _ = stringList(md[k])
			case "verso_kind":
				// Written by verso export: a text version (one user message).
				asText = md[k] == "text"
			default:
				if err := p.unsupported(fi.base+": metadata."+k, "no Verso equivalent"); err != nil {
					return err
				}
			}
		}
	}
	in.Author = strings.Join(authors, ", ")
	in.Tags = tags

	if v, ok := fi.key("template"); ok {
		kind := ""
		switch t := v.(type) {
		case string:
			kind = t
		case map[string]any:
			if s, ok := t["type"].(string); ok {
				kind = s
			}
			if f, ok := t["format"].(map[string]any); ok {
				kind, _ = f["kind"].(string)
			} else if s, ok := t["format"].(string); ok {
				kind = s
			}
			if pr, ok := t["parser"].(map[string]any); ok {
				if k, _ := pr["kind"].(string); k != "" && k != "prompty" {
					if err := p.unsupported(fi.base+": template.parser "+k, "only Prompty's role-marker parser is known"); err != nil {
						return err
					}
				}
			}
		}
		switch strings.ToLower(kind) {
		case "", "jinja2", "jinja", "nunjucks":
			in.Dialect = store.DialectJinja2
		case "mustache":
			in.Dialect = store.DialectMustache
		case "handlebars":
			in.Dialect = store.DialectHandlebars
		default:
			if err := p.unsupported(fi.base+": template "+kind, "Verso's dialects are mustache, jinja2 and handlebars"); err != nil {
				return err
			}
		}
	}

	sample := map[string]any{}
	if v, ok := fi.key("model"); ok {
		m, _ := v.(map[string]any)
		if err := fi.promptyModel(m, &in.Config); err != nil {
			return err
		}
	}
	if v, ok := fi.key("inputs"); ok {
		switch x := v.(type) {
		case map[string]any: // v1: name -> {type, default, sample, description}
			for _, k := range sortedKeys(x) {
				if d, ok := x[k].(map[string]any); ok {
					for _, field := range []string{"sample", "default", "example"} {
						if e, ok := d[field]; ok {
							sample[k] = e
							break
						}
					}
				}
			}
		case []any: // v2: [{name, kind, default, example}]
			for _, e := range x {
				d, _ := e.(map[string]any)
				n, _ := d["name"].(string)
				if n == "" {
					continue
				}
				for _, field := range []string{"example", "default", "sample"} {
					if e, ok := d[field]; ok {
						sample[n] = e
						break
					}
				}
			}
		}
		p.note("%s: inputs -> the variables' sample values make the case \"sample\" of the suite %s", fi.base, SamplesSuite)
	}
	if v, ok := fi.key("sample"); ok {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				sample[k] = e
			}
		case string:
			r, err := newRefs(fi.path, p.opts.AllowOutside)
			if err != nil {
				return err
			}
			ref := x
			if !strings.HasPrefix(ref, "file://") {
				ref = "file://" + ref
			}
			text, q, err := r.text(filepath.Dir(fi.path), ref)
			if err != nil {
				return fmt.Errorf("sample: %v", err)
			}
			doc, err := decodeAny(q, []byte(text))
			if err != nil {
				return fmt.Errorf("sample: %v", err)
			}
			m, ok := doc.(map[string]any)
			if !ok {
				return fmt.Errorf("sample %s: not a mapping of variables", x)
			}
			for k, e := range m {
				sample[k] = e
			}
		}
	}
	if v, ok := fi.key("tools"); ok {
		tools, err := fi.promptyTools(v)
		if err != nil {
			return err
		}
		in.Config.Tools = tools
	}
	if v, ok := fi.key("outputs"); ok {
		rf, err := promptyOutputs(v)
		if err != nil {
			if err := p.unsupported(fi.base+": outputs", err.Error()); err != nil {
				return err
			}
		} else {
			in.Config.ResponseFormat = rf
			p.note("%s: outputs -> response_format json_schema, as Prompty's runtime sends it (strict; a field not required may be null)", fi.base)
		}
	}
	if err := fi.rest(); err != nil {
		return err
	}
	in.Messages = splitRoles(body)
	if len(in.Messages) == 0 {
		return fmt.Errorf("the template is empty: write the prompt's text after the front matter's closing ---")
	}
	if asText && len(in.Messages) == 1 && in.Messages[0].Role == "user" {
		in.Kind, in.Template, in.Messages = store.KindText, in.Messages[0].Content, nil
	}
	p.note("%s: body -> %d chat messages (%s), %s dialect", fi.base, len(in.Messages), roles(in.Messages), in.Dialect)
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
		p.Suites = append(p.Suites, store.Suite{Prompt: fi.name, Name: SamplesSuite, Cases: []store.Case{{Name: "sample", Vars: vars.(map[string]any)}}})
	}
	return nil
}

func roles(ms []store.Message) string {
	var r []string
	for _, m := range ms {
		r = append(r, m.Role)
	}
	return strings.Join(r, ", ")
}

func (fi *fileImport) promptyModel(m map[string]any, cfg *store.Config) error {
	p := fi.plan
	for _, k := range sortedKeys(m) {
		v := m[k]
		switch k {
		case "id":
			cfg.Model, _ = v.(string)
		case "api", "apiType":
			if s, _ := v.(string); s != "chat" {
				if err := p.unsupported(fi.base+": model."+k+" "+s, "Verso runs chat completions"); err != nil {
					return err
				}
			}
		case "provider":
			p.note("%s: model.provider %v -> not stored: the model runs on a provider from Verso's config", fi.base, v)
		case "connection":
			p.note("%s: model.connection -> not imported: endpoints and keys come from Verso's provider config and the environment", fi.base)
		case "configuration": // v1
			c, _ := v.(map[string]any)
			for _, f := range []string{"azure_deployment", "model", "name"} {
				if s, ok := c[f].(string); ok && s != "" && !strings.HasPrefix(s, "${") {
					cfg.Model = s
					break
				}
			}
			p.note("%s: model.configuration -> model %q; endpoints and keys are not imported", fi.base, cfg.Model)
		case "options", "parameters":
			o, _ := v.(map[string]any)
			for _, ok := range sortedKeys(o) {
				known, err := modelOption(cfg, ok, o[ok])
				if err != nil {
					return fmt.Errorf("model.%s.%v", k, err)
				}
				if !known {
					if err := p.unsupported(fi.base+": model."+k+"."+ok, "no Verso model setting"); err != nil {
						return err
					}
				}
			}
		case "response":
			if s, _ := v.(string); s != "first" {
				if err := p.unsupported(fi.base+": model.response "+s, "Verso keeps the first choice"); err != nil {
					return err
				}
			}
		default:
			if err := p.unsupported(fi.base+": model."+k, "no Verso model setting"); err != nil {
				return err
			}
		}
	}
	return nil
}

// promptyTools turns Prompty v2 function tools into OpenAI tool shapes.
func (fi *fileImport) promptyTools(v any) ([]any, error) {
	list, _ := v.([]any)
	var out []any
	for i, e := range list {
		t, _ := e.(map[string]any)
		kind, _ := t["kind"].(string)
		if _, isOpenAI := t["function"]; isOpenAI || t["type"] == "function" {
			out = append(out, t)
			continue
		}
		if kind != "function" {
			if err := fi.plan.unsupported(fmt.Sprintf("%s: tools[%d] kind %s", fi.base, i, kind), "Verso sends function tools only"); err != nil {
				return nil, err
			}
			continue
		}
		props := map[string]any{}
		var required []any
		params, _ := t["parameters"].([]any)
		for _, pe := range params {
			pm, _ := pe.(map[string]any)
			n, _ := pm["name"].(string)
			prop := map[string]any{}
			if k, ok := pm["kind"].(string); ok {
				prop["type"] = k
			}
			if d, ok := pm["description"].(string); ok {
				prop["description"] = d
			}
			if en, ok := pm["enum"]; ok {
				prop["enum"] = en
			}
			props[n] = prop
			if r, _ := pm["required"].(bool); r {
				required = append(required, n)
			}
		}
		schema := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			schema["required"] = required
		}
		fn := map[string]any{"name": t["name"], "parameters": schema}
		if d, ok := t["description"]; ok {
			fn["description"] = d
		}
		out = append(out, map[string]any{"type": "function", "function": fn})
	}
	fi.plan.note("%s: tools -> %d OpenAI function tools", fi.base, len(out))
	return out, nil
}

// promptyOutputs turns Prompty's outputs (a list of properties, or a
// mapping of name to property) into the response format Prompty's
// runtimes send for them: a strict json_schema named structured_output
// in which every field is listed as required and one the file does not
// mark required may be null.
func promptyOutputs(v any) (map[string]any, error) {
	var props []map[string]any
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("outputs[%d] is not a property (name, kind, description)", i)
			}
			props = append(props, m)
		}
	case map[string]any:
		for _, k := range sortedKeys(x) {
			m := map[string]any{"name": k}
			if d, ok := x[k].(map[string]any); ok {
				for dk, dv := range d {
					m[dk] = dv
				}
			}
			props = append(props, m)
		}
	default:
		return nil, fmt.Errorf("outputs is not a list of properties")
	}
	properties := map[string]any{}
	var required []any
	for _, pm := range props {
		n, _ := pm["name"].(string)
		if n == "" {
			return nil, fmt.Errorf("an output property has no name")
		}
		if _, v1 := pm["type"]; v1 {
			if _, v2 := pm["kind"]; !v2 {
				return nil, fmt.Errorf("outputs %s: type: is Prompty v1's form, which Prompty's runtimes do not turn into a response format; write kind: (string, integer, float, boolean, array, object)", n)
			}
		}
		r, _ := pm["required"].(bool)
		schema, err := promptyProperty(pm, !r)
		if err != nil {
			return nil, fmt.Errorf("outputs %s: %v", n, err)
		}
		properties[n] = schema
		required = append(required, n)
	}
	schema := map[string]any{"type": "object", "properties": properties, "additionalProperties": false}
	if len(required) > 0 {
		schema["required"] = required
	}
	return map[string]any{"type": "json_schema", "json_schema": map[string]any{"name": "structured_output", "strict": true, "schema": schema}}, nil
}

var promptyKinds = map[string]string{"string": "string", "integer": "integer", "float": "number", "number": "number", "boolean": "boolean", "array": "array", "object": "object"}

// promptyProperty is one Prompty property as strict JSON Schema.
func promptyProperty(pm map[string]any, optional bool) (map[string]any, error) {
	kind, _ := pm["kind"].(string)
	schema := map[string]any{}
	if t, ok := promptyKinds[kind]; ok {
		schema["type"] = t
	} else if kind != "" && kind != "union" {
		return nil, fmt.Errorf("kind %s has no JSON Schema form in Prompty's structured output", kind)
	}
	if d, ok := pm["description"].(string); ok && d != "" {
		schema["description"] = d
	}
	if e, ok := pm["enumValues"].([]any); ok && len(e) > 0 {
		schema["enum"] = append([]any(nil), e...)
	}
	switch kind {
	case "array":
		schema["items"] = map[string]any{"type": "string"}
		if it, ok := pm["items"].(map[string]any); ok {
			items, err := promptyProperty(it, false)
			if err != nil {
				return nil, err
			}
			schema["items"] = items
		}
	case "object":
		nested := map[string]any{}
		var req []any
		list, _ := pm["properties"].([]any)
		for _, e := range list {
			m, _ := e.(map[string]any)
			n, _ := m["name"].(string)
			if n == "" {
				continue
			}
			r, _ := m["required"].(bool)
			s, err := promptyProperty(m, !r)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", n, err)
			}
			nested[n] = s
			req = append(req, n)
		}
		schema["properties"] = nested
		if len(req) > 0 {
			schema["required"] = req
		}
		schema["additionalProperties"] = false
	case "union":
		// As Prompty's runtimes: anyOf, never oneOf.
		if _, ok := pm["oneOf"]; ok {
			return nil, fmt.Errorf("kind union with oneOf: Prompty's runtimes refuse it too for OpenAI's structured output; use anyOf")
		}
		branches, _ := pm["anyOf"].([]any)
		if len(branches) == 0 {
			return nil, fmt.Errorf("kind union without anyOf")
		}
		var alts []any
		for _, e := range branches {
			m, _ := e.(map[string]any)
			s, err := promptyProperty(m, false)
			if err != nil {
				return nil, err
			}
			alts = append(alts, s)
		}
		schema["anyOf"] = alts
	}
	if nullable, _ := pm["nullable"].(bool); nullable || optional {
		if t, ok := schema["type"].(string); ok {
			schema["type"] = []any{t, "null"}
		} else if a, ok := schema["anyOf"].([]any); ok {
			schema["anyOf"] = append(a, map[string]any{"type": "null"})
		} else if len(schema) > 0 {
			schema = map[string]any{"anyOf": []any{schema, map[string]any{"type": "null"}}}
		}
		if e, ok := schema["enum"].([]any); ok {
			schema["enum"] = append(e, nil)
		}
	}
	return schema, nil
}
