package importer

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/seed94f0f622/verso/eval/assert"
	"github.com/seed94f0f622/verso/eval/suitefile"
	"github.com/seed94f0f622/verso/store"
)

// MaxCases bounds the cases one import reads: a CSV or JSONL file is
// streamed row by row, and a file with more rows than this is refused
// instead of filling memory.
var MaxCases = 200_000

// promptfoo's top-level keys: read, or known and without effect on what
// Verso stores (said in the plan), or refused by name.
var pfTopIgnored = map[string]string{
	"outputPath":         "promptfoo's result file: Verso keeps runs in its database",
	"sharing":            "promptfoo's result sharing",
	"writeLatestResults": "promptfoo's result cache",
	"evaluateOptions":    "promptfoo's run settings: an eval takes its concurrency and repeats when it starts",
	"$schema":            "the editor schema",
}

// pf is one promptfoo config being read.
type pf struct {
	plan   *Plan
	refs   *refs
	dir    string // the config's folder
	base   string // the config's file name
	prompt string // the Verso prompt the config becomes
	// templates are the config's assertionTemplates, which an assertion
	// names with $ref: '#/assertionTemplates/NAME'.
	templates map[string]any
}

func (p *Plan) readPromptfoo(path string) error {
	b, err := readLimited(path, maxFile)
	if err != nil {
		return err
	}
	doc, err := decodeAny(path, b)
	if err != nil {
		return err
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: a promptfoo config is a mapping (prompts, providers, tests): %w", path, ErrUnknownFormat)
	}
	r, err := newRefs(path, p.opts.AllowOutside)
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(path)
	c := &pf{plan: p, refs: r, dir: filepath.Dir(abs), base: filepath.Base(path)}
	c.prompt = p.opts.Name
	if c.prompt == "" {
		c.prompt = Slug(filepath.Base(c.dir))
	}
	if _, ok := top["redteam"]; ok && top["tests"] == nil && top["prompts"] == nil {
		return fmt.Errorf("%s: a red-team config: promptfoo generates its tests from the redteam plugins, which Verso does not run; generate them with promptfoo redteam generate and import the file it writes (redteam.yaml)", c.base)
	}
	known := map[string]bool{"description": true, "prompts": true, "providers": true, "tests": true, "defaultTest": true, "assertionTemplates": true}
	if t, ok := top["assertionTemplates"].(map[string]any); ok {
		c.templates = t
	} else if _, has := top["assertionTemplates"]; has {
		return fmt.Errorf("%s: assertionTemplates: not a mapping of names to assertions", c.base)
	}
	for _, k := range sortedKeys(top) {
		if known[k] {
			continue
		}
		if why, ok := pfTopIgnored[k]; ok {
			p.note("%s: %s -> not imported (%s)", c.base, k, why)
			continue
		}
		why := "no Verso equivalent"
		if k == "redteam" {
			why = "promptfoo generates red-team tests from its plugins, which Verso does not run"
		}
		if err := p.unsupported(c.base+": "+k, why); err != nil {
			return fmt.Errorf("%s: unknown or unsupported key %q (known: description, prompts, providers, tests, defaultTest): %w", c.base, k, errors.Unwrap(err))
		}
	}
	desc, _ := top["description"].(string)

	cfg, err := c.providers(top["providers"])
	if err != nil {
		return err
	}
	before, skipped := len(p.Versions), len(p.Skipped)
	if err := c.prompts(top["prompts"], cfg, desc); err != nil {
		return err
	}
	if len(p.Versions) == before {
		// Every prompt was skipped (code, an outside service): the tests
		// would belong to no prompt.
		return fmt.Errorf("%s: no prompt to import: each of its prompts was left out (%s); the tests need one: commit the prompt with verso commit, then import the tests with verso suite import", c.base, strings.Join(p.Skipped[skipped:], "; "))
	}

	def, err := c.defaultTest(top["defaultTest"])
	if err != nil {
		return err
	}
	var cases []store.Case
	if t, ok := top["tests"]; ok {
		cases, err = c.tests(t, def)
		if err != nil {
			return err
		}
	}
	if len(cases) > 0 {
		su := store.Suite{Prompt: c.prompt, Name: "default", Description: desc, Cases: cases}
		if def.threshold != nil {
			su.Threshold = *def.threshold
		}
		p.Suites = append(p.Suites, su)
		p.note("%s: tests -> suite default of %s (%d cases; defaultTest merged into each as promptfoo does)", c.base, c.prompt, len(cases))
	}
	return nil
}

// providers maps the first provider to a model config; the others are
// refused (a version holds one model config; verso eval --model runs a
// suite on several).
func (c *pf) providers(v any) (store.Config, error) {
	var cfg store.Config
	var list []any
	switch x := v.(type) {
	case nil:
		return cfg, nil
	case string:
		list = []any{x}
	case []any:
		list = x
	case map[string]any:
		// {id: config} map form
		for _, k := range sortedKeys(x) {
			m, _ := x[k].(map[string]any)
			if m == nil {
				m = map[string]any{}
			}
			m["id"] = k
			list = append(list, m)
		}
	default:
		return cfg, fmt.Errorf("%s: providers: not a list", c.base)
	}
	for i, e := range list {
		where := fmt.Sprintf("%s: providers[%d]", c.base, i)
		var id string
		var conf map[string]any
		switch x := e.(type) {
		case string:
			id = x
		case map[string]any:
			id, _ = x["id"].(string)
			conf, _ = x["config"].(map[string]any)
			for _, k := range sortedKeys(x) {
				switch k {
				case "id", "config", "label":
				default:
					if err := c.plan.unsupported(where+"."+k, "no Verso equivalent"); err != nil {
						return cfg, err
					}
				}
			}
		}
		if i > 0 {
			if err := c.plan.unsupported(where+" "+id, "a version holds one model config: an eval chooses the models it runs on"); err != nil {
				return cfg, err
			}
			continue
		}
		if why := notAModel(id); why != "" {
			if err := c.plan.unsupported(where+" "+id, why); err != nil {
				return cfg, err
			}
			continue
		}
		model := id
		if i := strings.LastIndex(id, ":"); i >= 0 {
			model = id[i+1:]
		}
		cfg.Model = model
		c.plan.note("%s: provider %s -> model %s in the version's config (the API key is never imported)", c.base, id, model)
		if err := c.modelSettings(where+".config", conf, &cfg); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// modelSettings applies a provider's or a prompt's config (promptfoo merges
// a prompt's over its provider's) to cfg: the settings Verso has, the API
// key never, the rest named as unsupported.
func (c *pf) modelSettings(where string, conf map[string]any, cfg *store.Config) error {
	for _, k := range sortedKeys(conf) {
		switch k {
		case "apiKey", "apiKeyEnvar":
			c.plan.note("%s.%s -> not imported: keys come from the environment", where, k)
			continue
		}
		known, err := modelOption(cfg, k, conf[k])
		if err != nil {
			return fmt.Errorf("%s.%v", where, err)
		}
		if !known && k == "tools" {
			cfg.Tools, _ = conf[k].([]any)
			known = true
		}
		if !known {
			why := "no Verso model setting"
			if k == "apiBaseUrl" || k == "apiHost" || k == "baseUrl" {
				why = "set base_url on a provider in Verso's config file"
			}
			if err := c.plan.unsupported(where+"."+k, why); err != nil {
				return err
			}
		}
	}
	return nil
}

// notAModel says why a promptfoo provider id is not a chat model Verso can
// call ("" when it is one).
func notAModel(id string) string {
	switch {
	case id == "":
		return "a provider without an id"
	case id == "echo":
		return "promptfoo's echo provider answers with the prompt itself; Verso calls models only"
	case strings.HasPrefix(id, "file://"), strings.HasPrefix(id, "exec:"), strings.HasPrefix(id, "python:"),
		strings.HasPrefix(id, "golang:"), strings.HasPrefix(id, "ruby:"), strings.HasSuffix(id, ".js"), strings.HasSuffix(id, ".py"):
		return "custom providers (code) do not run in Verso"
	case strings.HasPrefix(id, "http://"), strings.HasPrefix(id, "https://"), strings.HasPrefix(id, "ws://"), strings.HasPrefix(id, "wss://"),
		strings.HasPrefix(id, "webhook:"), strings.HasPrefix(id, "websocket:"):
		return "HTTP and websocket targets are not models: Verso calls OpenAI-compatible chat APIs"
	case id == "sequence", id == "browser", id == "mcp", strings.HasPrefix(id, "promptfoo:"), strings.HasPrefix(id, "manual-input"):
		return "not a model Verso can call"
	}
	return ""
}

// prompts reads every prompt of the config as a version of c.prompt, in
// order (v1, v2, ...), so verso eval can compare them as promptfoo does.
func (c *pf) prompts(v any, cfg store.Config, desc string) error {
	var list []any
	switch x := v.(type) {
	case nil:
		return fmt.Errorf("%s: no prompts: a promptfoo config needs prompts", c.base)
	case string:
		list = []any{x}
	case []any:
		list = x
	case map[string]any:
		for _, k := range sortedKeys(x) {
			list = append(list, map[string]any{"id": k, "label": x[k]})
		}
	default:
		return fmt.Errorf("%s: prompts: not a list", c.base)
	}
	n := 0
	for i, e := range list {
		where := fmt.Sprintf("%s: prompts[%d]", c.base, i)
		var raw, label string
		vcfg := cfg
		switch x := e.(type) {
		case string:
			raw = x
		case map[string]any:
			raw, _ = x["raw"].(string)
			if id, ok := x["id"].(string); ok && raw == "" {
				raw = id
			}
			label, _ = x["label"].(string)
			if msgs, ok := x["messages"]; ok && raw == "" {
				// A chat prompt written as messages; a content may be a
				// file://.
				b, err := c.chatMessages(where, msgs)
				if err != nil {
					return err
				}
				raw = b
			}
			for _, k := range sortedKeys(x) {
				switch k {
				case "raw", "id", "label", "messages":
				case "config":
					// promptfoo merges a prompt's config over the
					// provider's: this version's model settings.
					if err := c.promptConfig(where+".config", x[k], &vcfg); err != nil {
						return err
					}
				default:
					if err := c.plan.unsupported(where+"."+k, "no Verso equivalent"); err != nil {
						return err
					}
				}
			}
			if raw == "" {
				return fmt.Errorf("%s: neither raw, id nor messages", where)
			}
		default:
			return fmt.Errorf("%s: not text or {raw, label}", where)
		}
		texts, err := c.promptSources(where, raw)
		if err != nil {
			return err
		}
		for _, t := range texts {
			in := store.CommitInput{Name: c.prompt, Dialect: store.DialectJinja2, Config: vcfg, Description: desc}
			in.Message = "import " + c.base + ": " + t.origin
			if label != "" {
				in.Message += " (" + label + ")"
			}
			if msgs, ok := chatJSON(t.text); ok {
				in.Kind, in.Messages = store.KindChat, msgs
			} else {
				in.Kind, in.Template = store.KindText, t.text
			}
			n++
			c.plan.Versions = append(c.plan.Versions, Version{CommitInput: in})
			c.plan.note("%s: prompt %s -> %s v%d (%s, jinja2: promptfoo's templates are Nunjucks)", c.base, t.origin, c.prompt, n, in.Kind)
		}
	}
	return nil
}

// promptConfig applies a prompt's config (model settings) to cfg.
func (c *pf) promptConfig(where string, v any, cfg *store.Config) error {
	conf, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: not a map of model settings", where)
	}
	if err := c.modelSettings(where, conf, cfg); err != nil {
		return err
	}
	c.plan.note("%s -> this version's model settings (promptfoo merges them over the provider's)", where)
	return nil
}

type source struct{ text, origin string }

// chatMessages reads a prompt's messages list ({role, content}, a content
// may be file:// text) as the JSON chat promptSources reads.
func (c *pf) chatMessages(where string, v any) (string, error) {
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		return "", fmt.Errorf("%s.messages: not a list of {role, content}", where)
	}
	var out []map[string]string
	for i, e := range list {
		m, _ := e.(map[string]any)
		role, _ := m["role"].(string)
		content, ok := m["content"].(string)
		if role == "" || !ok || len(m) != 2 {
			return "", fmt.Errorf("%s.messages[%d]: not {role, content} with text content", where, i)
		}
		if strings.HasPrefix(content, "file://") {
			switch strings.ToLower(filepath.Ext(content)) {
			case ".js", ".ts", ".mjs", ".cjs", ".py":
				if err := c.plan.unsupported(fmt.Sprintf("%s.messages[%d] %s", where, i, content), "prompt functions (code that builds the prompt) do not run in Verso"); err != nil {
					return "", err
				}
				continue
			}
			text, _, err := c.refs.text(c.dir, content)
			if err != nil {
				return "", fmt.Errorf("%s.messages[%d]: %v", where, i, err)
			}
			content = strings.TrimRight(text, "\r\n")
		}
		out = append(out, map[string]string{"role": role, "content": content})
	}
	b, _ := json.Marshal(out)
	return string(b), nil
}

var schemeRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*://`)

// barePath: a one-line prompt without spaces or template syntax that ends
// in a prompt file's extension and names a file next to the config (or a
// glob that matches some) is that file, as promptfoo reads it.
func (c *pf) barePath(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\n{}") {
		return false
	}
	switch strings.ToLower(filepath.Ext(s)) {
	case ".txt", ".md", ".json", ".yaml", ".yml", ".j2", ".jinja", ".njk", ".prompt":
	default:
		return false
	}
	if m, _ := filepath.Glob(filepath.Join(c.dir, s)); len(m) > 0 {
		return true
	}
	return false
}

// promptSources reads one prompts entry: inline text, or file:// text /
// JSON / YAML chat, or a glob of them. A text file splits on lines of
// "---" into several prompts, as promptfoo does.
func (c *pf) promptSources(where, raw string) ([]source, error) {
	if !strings.HasPrefix(raw, "file://") && c.barePath(raw) {
		// promptfoo reads a prompt that is a path to a file (prompts.txt)
		// as that file, as with file://.
		raw = "file://" + raw
	}
	if !strings.HasPrefix(raw, "file://") && schemeRE.MatchString(strings.TrimSpace(raw)) && !strings.ContainsAny(strings.TrimSpace(raw), " \n{") {
		// pf://, langfuse://, helicone:// ...: a prompt kept by a service.
		scheme, _, _ := strings.Cut(strings.TrimSpace(raw), "://")
		return nil, c.plan.unsupported(where+" "+raw, "a prompt kept by an outside service ("+scheme+"://) is not fetched: export it and import the file")
	}
	if !strings.HasPrefix(raw, "file://") {
		return []source{{raw, "inline"}}, nil
	}
	ref := raw
	paths := []string{ref}
	if strings.ContainsAny(strings.TrimPrefix(ref, "file://"), "*?[") {
		pattern := filepath.Join(c.dir, strings.TrimPrefix(ref, "file://"))
		matches, err := filepath.Glob(pattern)
		if err != nil || len(matches) == 0 {
			return nil, fmt.Errorf("%s: %s matches no file", where, ref)
		}
		sort.Strings(matches)
		paths = paths[:0]
		for _, m := range matches {
			rel, _ := filepath.Rel(c.dir, m)
			paths = append(paths, "file://"+rel)
		}
	}
	var out []source
	for _, p := range paths {
		ext := strings.ToLower(filepath.Ext(strings.SplitN(strings.TrimPrefix(p, "file://"), ":", 2)[0]))
		switch ext {
		case ".js", ".ts", ".mjs", ".cjs", ".py":
			if err := c.plan.unsupported(where+" "+p, "prompt functions (code that builds the prompt) do not run in Verso"); err != nil {
				return nil, err
			}
			continue
		}
		text, q, err := c.refs.text(c.dir, p)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
		switch ext {
		case ".json":
			out = append(out, source{text, p})
		case ".yaml", ".yml":
			doc, err := decodeAny(q, []byte(text))
			if err != nil {
				return nil, fmt.Errorf("%s: %v", where, err)
			}
			b, _ := json.Marshal(doc)
			out = append(out, source{string(b), p})
		default:
			parts := regexp.MustCompile(`(?m)^---\s*$`).Split(text, -1)
			for i, part := range parts {
				part = strings.Trim(part, "\r\n")
				if strings.TrimSpace(part) == "" {
					continue
				}
				origin := p
				if len(parts) > 1 {
					origin = fmt.Sprintf("%s (part %d)", p, i+1)
				}
				out = append(out, source{part, origin})
			}
		}
	}
	return out, nil
}

// chatJSON reads a promptfoo chat prompt: a JSON list of {role, content}.
func chatJSON(s string) ([]store.Message, bool) {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "[") {
		return nil, false
	}
	var raw []map[string]any
	if json.Unmarshal([]byte(t), &raw) != nil || len(raw) == 0 {
		return nil, false
	}
	var out []store.Message
	for _, m := range raw {
		role, _ := m["role"].(string)
		content, ok := m["content"].(string)
		if role == "" || !ok {
			return nil, false
		}
		out = append(out, store.Message{Role: role, Content: content})
	}
	return out, true
}

// pfTest is a promptfoo test after reading (before defaultTest is merged).
type pfTest struct {
	description string
	vars        map[string]any
	asserts     []store.Assertion
	threshold   *float64
	tags        []string
	expandOff   bool
	grader      string // options.provider
}

func (c *pf) defaultTest(v any) (pfTest, error) {
	switch x := v.(type) {
	case nil:
		return pfTest{}, nil
	case string:
		docs, err := c.loadTests(x)
		if err != nil {
			return pfTest{}, err
		}
		if len(docs) != 1 {
			return pfTest{}, fmt.Errorf("%s: defaultTest %s: want one test object", c.base, x)
		}
		return c.test(c.base+": defaultTest", docs[0])
	case map[string]any:
		return c.test(c.base+": defaultTest", x)
	}
	return pfTest{}, fmt.Errorf("%s: defaultTest: not a mapping", c.base)
}

// test reads one promptfoo test object.
func (c *pf) test(where string, m map[string]any) (pfTest, error) {
	var t pfTest
	for _, k := range sortedKeys(m) {
		v := m[k]
		switch k {
		case "description":
			t.description = fmt.Sprint(v)
		case "vars":
			vars, err := c.vars(where, v)
			if err != nil {
				return t, err
			}
			t.vars = vars
		case "assert":
			list, ok := v.([]any)
			if !ok {
				return t, fmt.Errorf("%s: assert: not a list", where)
			}
			for i, a := range list {
				as, keep, err := c.assertion(fmt.Sprintf("%s: assert[%d]", where, i), a)
				if err != nil {
					return t, err
				}
				if keep {
					t.asserts = append(t.asserts, as)
				}
			}
		case "threshold":
			f, ok := float(v)
			if !ok {
				return t, fmt.Errorf("%s: threshold %v is not a number", where, v)
			}
			t.threshold = f
		case "metadata":
			md, _ := v.(map[string]any)
			for _, mk := range sortedKeys(md) {
				t.tags = append(t.tags, mk+":"+scalarText(md[mk]))
			}
		case "options":
			o, _ := v.(map[string]any)
			for _, ok := range sortedKeys(o) {
				switch ok {
				case "provider":
					t.grader = providerModel(o[ok])
					if t.grader == "" {
						if err := c.plan.unsupported(where+": options.provider", "a grader given as an object with settings: name its model"); err != nil {
							return t, err
						}
					}
				case "disableVarExpansion":
					t.expandOff, _ = o[ok].(bool)
				default:
					why := "no Verso equivalent"
					switch ok {
					case "transform", "postprocess":
						why = "output transforms run JavaScript on the output before the assertions"
					case "rubricPrompt":
						why = "Verso's grader uses its own rubric prompt"
					case "prefix", "suffix":
						why = "Verso sends the prompt as the version holds it"
					}
					if err := c.plan.unsupported(where+": options."+ok, why); err != nil {
						return t, err
					}
				}
			}
		default:
			if err := c.plan.unsupported(where+": "+k, "no Verso equivalent"); err != nil {
				return t, err
			}
		}
	}
	return t, nil
}

func providerModel(v any) string {
	switch x := v.(type) {
	case string:
		if i := strings.LastIndex(x, ":"); i >= 0 {
			return x[i+1:]
		}
		return x
	case map[string]any:
		if id, ok := x["id"].(string); ok && len(x) == 1 {
			return providerModel(id)
		}
	}
	return ""
}

func scalarText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// vars reads a test's vars (a mapping, or a file:// of one); file://
// values are read as promptfoo reads them (text trimmed, YAML as JSON
// text, binary refused).
func (c *pf) vars(where string, v any) (map[string]any, error) {
	if s, ok := v.(string); ok && strings.HasPrefix(s, "file://") {
		text, q, err := c.refs.text(c.dir, s)
		if err != nil {
			return nil, fmt.Errorf("%s: vars: %v", where, err)
		}
		doc, err := decodeAny(q, []byte(text))
		if err != nil {
			return nil, err
		}
		v = doc
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: vars: not a mapping", where)
	}
	out := make(map[string]any, len(m))
	for k, val := range m {
		r, err := c.varValue(fmt.Sprintf("%s: vars.%s", where, k), val)
		if err != nil {
			return nil, err
		}
		out[k] = r
	}
	return out, nil
}

func (c *pf) varValue(where string, v any) (any, error) {
	switch x := v.(type) {
	case string:
		if !strings.HasPrefix(x, "file://") {
			return x, nil
		}
		ext := strings.ToLower(filepath.Ext(strings.TrimPrefix(x, "file://")))
		switch ext {
		case ".js", ".ts", ".py", ".mjs", ".cjs":
			return nil, c.plan.unsupported(where+" "+x, "variables computed by code do not run in Verso")
		}
		if rel := strings.TrimPrefix(x, "file://"); strings.ContainsAny(rel, "*?[") {
			// A glob is one value per file: the case expands into one per
			// file, as promptfoo does.
			matches, err := filepath.Glob(filepath.Join(c.dir, rel))
			if err != nil || len(matches) == 0 {
				return nil, fmt.Errorf("%s: %s matches no file", where, x)
			}
			sort.Strings(matches)
			var out expandable
			for _, m := range matches {
				r, _ := filepath.Rel(c.dir, m)
				v, err := c.varValue(where, "file://"+filepath.ToSlash(r))
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			return out, nil
		}
		text, q, err := c.refs.text(c.dir, x)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", where, err)
		}
		// As promptfoo renders a file:// var: a YAML file is its JSON
		// (JSON.stringify of the document), any other text file its text
		// trimmed (a JSON file too: it stays the text as written).
		switch ext {
		case ".yaml", ".yml":
			return yamlAsJSON(q, []byte(text))
		}
		return jsTrim(text), nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := c.varValue(where, e)
			if err != nil {
				return nil, err
			}
			if l, ok := r.(expandable); ok {
				r = []any(l)
			}
			out[i] = r
		}
		// promptfoo expands a list into one case per element only when its
		// first element is a string; a list of objects or numbers (a chat
		// history, say) is one value.
		if len(x) > 0 {
			if _, ok := x[0].(string); ok {
				return expandable(out), nil
			}
		}
		return out, nil
	}
	return v, nil
}

// expandable is a var's value that promptfoo expands into one case per
// element: a list whose first element is a string (as written, before any
// file:// in it is read), or the files a file:// glob matches. A file://
// JSON or YAML that holds a list is one value (its text), as in promptfoo.
type expandable []any

// plainVars turns every expandable value back into a list (a case whose
// expansion is off keeps its lists whole).
func plainVars(vars map[string]any) map[string]any {
	out := make(map[string]any, len(vars))
	for k, v := range vars {
		if l, ok := v.(expandable); ok {
			v = []any(l)
		}
		out[k] = v
	}
	return out
}

// assertion reads one promptfoo assertion.
func (c *pf) assertion(where string, v any) (store.Assertion, bool, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return store.Assertion{}, false, fmt.Errorf("%s: not an assertion object", where)
	}
	if ref, ok := m["$ref"].(string); ok && len(m) == 1 {
		name, ok := strings.CutPrefix(ref, "#/assertionTemplates/")
		t, found := c.templates[name].(map[string]any)
		if !ok || !found {
			return store.Assertion{}, false, fmt.Errorf("%s: $ref %q: no such assertion template (assertionTemplates: %s)", where, ref, strings.Join(sortedKeys(c.templates), ", "))
		}
		if _, nested := t["$ref"]; nested {
			return store.Assertion{}, false, fmt.Errorf("%s: $ref %q: a template may not refer to another", where, ref)
		}
		c.plan.note("%s: $ref %s -> that assertion template", where, ref)
		m = t
	}
	var a store.Assertion
	for _, k := range sortedKeys(m) {
		val := m[k]
		switch k {
		case "type":
			a.Type, _ = val.(string)
		case "value":
			if s, ok := val.(string); ok && strings.HasPrefix(s, "file://") && !isScript(m["type"]) {
				text, _, err := c.refs.text(c.dir, s)
				if err != nil {
					return a, false, fmt.Errorf("%s: value: %v", where, err)
				}
				val = text
			}
			a.Value = val
		case "threshold":
			f, ok := float(val)
			if !ok {
				return a, false, fmt.Errorf("%s: threshold %v is not a number", where, val)
			}
			a.Threshold = f
		case "weight":
			f, ok := float(val)
			if !ok {
				return a, false, fmt.Errorf("%s: weight %v is not a number", where, val)
			}
			a.Weight = f
		case "provider":
			a.Provider = providerModel(val)
			if a.Provider == "" {
				if err := c.plan.unsupported(where+": provider", "a grader given as an object with settings: name its model"); err != nil {
					return a, false, err
				}
			}
		case "metric":
			a.Metric = fmt.Sprint(val)
		case "transform", "rubricPrompt", "config", "contextTransform":
			why := "no Verso equivalent"
			switch k {
			case "transform", "contextTransform":
				why = "output transforms run JavaScript on the output before the assertion"
			case "rubricPrompt":
				why = "Verso's grader uses its own rubric prompt"
			case "config":
				why = "settings passed to the assertion have no Verso equivalent"
			}
			if err := c.plan.unsupported(where+": "+k, why+" (the assertion is left out)"); err != nil {
				return a, false, err
			}
			return a, false, nil
		default:
			// Not a key of promptfoo's assertions (a note to the reader,
			// such as reason:): promptfoo ignores it, and so does Verso.
			c.plan.note("%s: %s -> not imported (not a promptfoo assertion key: promptfoo ignores it)", where, k)
		}
	}
	if a.Type == "" {
		return a, false, fmt.Errorf("%s: no type", where)
	}
	if strings.TrimPrefix(a.Type, "not-") == "llm-rubric" && (a.Value == nil || a.Value == "") {
		// promptfoo grades such a rubric with options.rubricPrompt alone.
		return a, false, c.plan.unsupported(where+": llm-rubric without a value", "its rubric is the rubricPrompt, which Verso's grader does not use: write the rubric as the value")
	}
	return c.plan.assertion(where, a)
}

func isScript(t any) bool {
	s, _ := t.(string)
	s = strings.TrimPrefix(s, "not-")
	return s == "javascript" || s == "python"
}

// tests reads the tests key: a list of tests or file references (globs
// allowed), or one file reference.
func (c *pf) tests(v any, def pfTest) ([]store.Case, error) {
	var entries []any
	switch x := v.(type) {
	case string:
		entries = []any{x}
	case []any:
		entries = x
	default:
		return nil, fmt.Errorf("%s: tests: not a list or a file://", c.base)
	}
	var out []store.Case
	add := func(where string, t pfTest) error {
		cs, err := c.merge(where, def, t)
		if err != nil {
			return err
		}
		for i := range cs {
			if cs[i].Name == "" {
				cs[i].Name = fmt.Sprintf("case %d", len(out)+i+1)
			}
		}
		out = append(out, cs...)
		if len(out) > MaxCases {
			return fmt.Errorf("%s: more than %d test cases: split the suite", c.base, MaxCases)
		}
		return nil
	}
	for i, e := range entries {
		where := fmt.Sprintf("%s: tests[%d]", c.base, i)
		switch x := e.(type) {
		case map[string]any:
			t, err := c.test(where, x)
			if err != nil {
				return nil, err
			}
			if err := add(where, t); err != nil {
				return nil, err
			}
		case string:
			if err := c.testFiles(where, x, add); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%s: not a test or a file://", where)
		}
	}
	return out, nil
}

// testFiles reads tests from file:// YAML, JSON, JSONL or CSV (globs
// allowed); CSV and JSONL are streamed.
func (c *pf) testFiles(where, ref string, add func(string, pfTest) error) error {
	if !strings.HasPrefix(ref, "file://") {
		ref = "file://" + ref
	}
	var paths []string
	if strings.ContainsAny(ref, "*?[") {
		matches, err := filepath.Glob(filepath.Join(c.dir, strings.TrimPrefix(ref, "file://")))
		if err != nil || len(matches) == 0 {
			return fmt.Errorf("%s: %s matches no file", where, ref)
		}
		sort.Strings(matches)
		for _, m := range matches {
			rel, _ := filepath.Rel(c.dir, m)
			paths = append(paths, "file://"+rel)
		}
	} else {
		paths = []string{ref}
	}
	for _, p := range paths {
		q, err := c.refs.resolve(c.dir, p)
		if err != nil {
			return fmt.Errorf("%s: %v", where, err)
		}
		fw := where + " (" + filepath.Base(q) + ")"
		switch strings.ToLower(filepath.Ext(q)) {
		case ".csv":
			if err := readFile(q, func(f io.Reader) error { return c.csvTests(fw, f, add) }); err != nil {
				return err
			}
		case ".jsonl":
			if err := readFile(q, func(f io.Reader) error { return c.jsonlTests(fw, f, add) }); err != nil {
				return err
			}
		case ".yaml", ".yml", ".json":
			docs, err := c.loadTests(p)
			if err != nil {
				return err
			}
			// While its tests are read, the file is on the reference
			// stack: a vars file:// back to it is a cycle.
			c.refs.enter(q)
			for i, d := range docs {
				t, err := c.test(fmt.Sprintf("%s[%d]", fw, i), d)
				if err == nil {
					err = add(fw, t)
				}
				if err != nil {
					c.refs.leave()
					return err
				}
			}
			c.refs.leave()
		case ".js", ".ts", ".py":
			return c.plan.unsupported(where+" "+p, "tests generated by code do not run in Verso")
		default:
			return fmt.Errorf("%s: %s: tests are read from .yaml, .json, .jsonl or .csv", where, p)
		}
	}
	return nil
}

// loadTests reads a YAML/JSON file of tests: a list, or one test.
func (c *pf) loadTests(ref string) ([]map[string]any, error) {
	text, q, err := c.refs.text(c.dir, ref)
	if err != nil {
		return nil, err
	}
	doc, err := decodeAny(q, []byte(text))
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	switch d := doc.(type) {
	case []any:
		for i, e := range d {
			if s, ok := e.(string); ok && strings.HasPrefix(s, "file://") {
				return nil, fmt.Errorf("%s[%d]: nested test file references (%s) are not followed", filepath.Base(q), i, s)
			}
			m, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s[%d]: not a test object", filepath.Base(q), i)
			}
			out = append(out, m)
		}
	case map[string]any:
		out = append(out, d)
	default:
		return nil, fmt.Errorf("%s: not a list of tests", filepath.Base(q))
	}
	return out, nil
}

func (c *pf) jsonlTests(where string, r io.Reader, add func(string, pfTest) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			return fmt.Errorf("%s: line %d: not a JSON object: %v", where, n, err)
		}
		isTest := false
		for _, k := range []string{"vars", "assert", "description", "options", "threshold", "metadata"} {
			if _, ok := m[k]; ok {
				isTest = true
			}
		}
		if !isTest {
			m = map[string]any{"vars": m}
		}
		t, err := c.test(fmt.Sprintf("%s: line %d", where, n), m)
		if err != nil {
			return err
		}
		if err := add(where, t); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %v", where, err)
	}
	return nil
}

var (
	expectedColRE = regexp.MustCompile(`^__expected\d*$`)
)

// csvTests streams a promptfoo CSV: columns are vars, except __expected,
// __expectedN, __description, __threshold, __metric, __config:... and
// __metadata:..., as in promptfoo.
func (c *pf) csvTests(where string, r io.Reader, add func(string, pfTest) error) error {
	qr := suitefile.NewQuotedCR(bufio.NewReaderSize(r, 1<<16))
	cr := csv.NewReader(qr)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%s: csv: %v", where, err)
	}
	head = append([]string(nil), head...)
	for i := range head {
		head[i] = qr.Restore(head[i])
	}
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\ufeff")
	}
	for i := range head {
		head[i] = strings.TrimSpace(head[i])
		col := head[i]
		switch {
		case !strings.HasPrefix(col, "__"), expectedColRE.MatchString(col), col == "__description", col == "__threshold",
			col == "__metric", strings.HasPrefix(col, "__metadata:"), strings.HasPrefix(col, "__config:"):
		case col == "__prefix" || col == "__suffix":
			if err := c.plan.unsupported(where+": column "+col, "Verso sends the prompt as the version holds it"); err != nil {
				return err
			}
		default:
			if err := c.plan.unsupported(where+": column "+col, "not a promptfoo column Verso knows"); err != nil {
				return err
			}
		}
	}
	for n := 2; ; n++ {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: csv: %v", where, err)
		}
		if len(row) == 1 && strings.TrimSpace(row[0]) == "" {
			continue
		}
		if len(row) != len(head) {
			return fmt.Errorf("%s: row %d has %d columns, the header has %d", where, n, len(row), len(head))
		}
		for i := range row {
			row[i] = qr.Restore(row[i])
		}
		rw := fmt.Sprintf("%s: row %d", where, n)
		t := pfTest{vars: map[string]any{}}
		byCol := map[string]int{} // __expectedN -> index in t.asserts
		var metric string
		for i, col := range head {
			cell := row[i]
			switch {
			case col == "__description":
				t.description = cell
			case expectedColRE.MatchString(col):
				if strings.TrimSpace(cell) == "" {
					continue
				}
				a, _ := suitefile.ParseExpected(cell)
				a, keep, err := c.plan.assertion(fmt.Sprintf("%s: %s %q", rw, col, cell), a)
				if err != nil {
					return err
				}
				if keep {
					byCol[col] = len(t.asserts)
					t.asserts = append(t.asserts, a)
				}
			case col == "__threshold":
				if strings.TrimSpace(cell) == "" {
					continue
				}
				f, err := strconv.ParseFloat(strings.TrimSpace(cell), 64)
				if err != nil {
					return fmt.Errorf("%s: __threshold %q is not a number", rw, cell)
				}
				t.threshold = &f
			case col == "__metric":
				metric = cell
			case strings.HasPrefix(col, "__metadata:"):
				key := strings.TrimPrefix(col, "__metadata:")
				if list, ok := strings.CutSuffix(key, "[]"); ok {
					// An array: comma-separated, \, for a comma inside a value.
					for _, v := range splitEscaped(cell) {
						t.tags = append(t.tags, list+":"+v)
					}
				} else if cell != "" {
					t.tags = append(t.tags, key+":"+cell)
				}
			case strings.HasPrefix(col, "__config:"), strings.HasPrefix(col, "__"):
			default:
				val, err := c.varValue(rw+": "+col, cell)
				if err != nil {
					return err
				}
				t.vars[col] = val
			}
		}
		// __config:__expected:threshold (or weight) sets that assertion's.
		for i, col := range head {
			rest, ok := strings.CutPrefix(col, "__config:")
			if !ok || strings.TrimSpace(row[i]) == "" {
				continue
			}
			target, key, _ := strings.Cut(rest, ":")
			j, ok := byCol[target]
			if !ok {
				continue
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(row[i]), 64)
			if err != nil {
				return fmt.Errorf("%s: %s %q is not a number", rw, col, row[i])
			}
			switch key {
			case "threshold":
				t.asserts[j].Threshold = &f
			case "weight":
				t.asserts[j].Weight = &f
			default:
				if err := c.plan.unsupported(rw+": "+col, "only threshold and weight can be set on an assertion"); err != nil {
					return err
				}
			}
		}
		if metric != "" {
			for j := range t.asserts {
				t.asserts[j].Metric = metric
			}
		}
		if err := add(where, t); err != nil {
			return err
		}
	}
	return nil
}

// merge applies defaultTest to a test as promptfoo does (vars: the test's
// win; assertions: the default's first; options and threshold: the test's
// win) and expands list-valued vars into one case per combination.
func (c *pf) merge(where string, def, t pfTest) ([]store.Case, error) {
	vars := map[string]any{}
	for k, v := range def.vars {
		vars[k] = v
	}
	for k, v := range t.vars {
		vars[k] = v
	}
	asserts := append(append([]store.Assertion(nil), def.asserts...), t.asserts...)
	grader := t.grader
	if grader == "" {
		grader = def.grader
	}
	if grader != "" {
		for i := range asserts {
			if asserts[i].Provider == "" && assert.NeedsModel(strings.TrimPrefix(asserts[i].Type, "not-")) {
				asserts[i].Provider = grader
			}
		}
	}
	threshold := t.threshold
	tags := append(append([]string(nil), def.tags...), t.tags...)
	combos := []map[string]any{plainVars(vars)}
	if !t.expandOff && !def.expandOff {
		combos = expand(vars)
	}
	var out []store.Case
	for _, vs := range combos {
		cs := store.Case{Name: strings.TrimSpace(t.description), Vars: vs, Assertions: asserts, Threshold: threshold, Tags: tags}
		if len(combos) > 1 {
			cs.Name = strings.TrimSpace(cs.Name + " " + comboLabel(vars, vs))
		}
		norm, err := normalize(cs.Vars)
		if err != nil {
			return nil, fmt.Errorf("%s: vars: %v", where, err)
		}
		cs.Vars, _ = norm.(map[string]any)
		if cs.Vars == nil {
			cs.Vars = map[string]any{}
		}
		for i := range cs.Assertions {
			if cs.Assertions[i].Value, err = normalize(cs.Assertions[i].Value); err != nil {
				return nil, err
			}
		}
		for _, a := range cs.Assertions {
			if a.Type == "equals" && cs.Expected == "" {
				if s, ok := a.Value.(string); ok {
					cs.Expected = s
				}
			}
		}
		out = append(out, cs)
	}
	// Values cut to 30 characters can name two combinations alike (files
	// of a glob that start the same): a report must tell them apart.
	seen := map[string]int{}
	for _, cs := range out {
		seen[cs.Name]++
	}
	for i := range out {
		if seen[out[i].Name] > 1 {
			out[i].Name = fmt.Sprintf("%s #%d", out[i].Name, i+1)
		}
	}
	return out, nil
}

// expand gives one vars map per combination of the expandable vars
// (promptfoo's var expansion), keys in sorted order.
func expand(vars map[string]any) []map[string]any {
	out := []map[string]any{{}}
	for _, k := range sortedKeys(vars) {
		list, ok := vars[k].(expandable)
		if !ok || len(list) == 0 {
			for _, m := range out {
				m[k] = plainVars(map[string]any{k: vars[k]})[k]
			}
			continue
		}
		var next []map[string]any
		for _, m := range out {
			for _, e := range list {
				n := make(map[string]any, len(m)+1)
				for kk, vv := range m {
					n[kk] = vv
				}
				n[k] = e
				next = append(next, n)
			}
		}
		out = next
	}
	return out
}

func comboLabel(all, one map[string]any) string {
	var parts []string
	for _, k := range sortedKeys(all) {
		if _, isList := all[k].(expandable); isList {
			s := scalarText(one[k])
			if len(s) > 30 {
				s = s[:30] + "…"
			}
			parts = append(parts, k+"="+s)
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// readFile streams the file at path to read (CSV and JSONL tests are read
// a case at a time, never whole).
func readFile(path string, read func(io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return read(f)
}

// splitEscaped splits a promptfoo CSV array cell on commas, "\," being a
// comma inside a value; empty values are dropped.
func splitEscaped(s string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if v := strings.TrimSpace(cur.String()); v != "" {
			out = append(out, v)
		}
		cur.Reset()
	}
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == ',':
			cur.WriteByte(',')
			i++
		case s[i] == ',':
			flush()
		default:
			cur.WriteByte(s[i])
		}
	}
	flush()
	return out
}
