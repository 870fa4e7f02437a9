package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/seed94f0f622/verso/store"
)

// readPromptFiles reads one .prompty / .prompt file, or every one under a
// folder (prompt names follow the folders: support/reply.prompty ->
// support/reply). Dotprompt partials (_name.prompt) are not prompts.
func (p *Plan) readPromptFiles(path string, dir bool, f Format) error {
	ext := ".prompty"
	if f == Dotprompt {
		ext = ".prompt"
	}
	if !dir {
		return p.readPromptFile(filepath.Dir(path), path, f)
	}
	var files []string
	err := filepath.WalkDir(path, func(q string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.EqualFold(filepath.Ext(q), ext) && !strings.HasPrefix(d.Name(), "_") {
			files = append(files, q)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("%s: no %s files: %w", path, ext, ErrUnknownFormat)
	}
	sort.Strings(files)
	for _, q := range files {
		if err := p.readPromptFile(path, q, f); err != nil {
			return err
		}
	}
	return nil
}

func (p *Plan) readPromptFile(root, path string, f Format) error {
	if base := filepath.Base(path); f == Dotprompt && strings.HasPrefix(base, "_") {
		name := strings.TrimSuffix(strings.TrimPrefix(base, "_"), filepath.Ext(base))
		return fmt.Errorf("%s is a Dotprompt partial (its name starts with _), not a prompt: import the prompt that includes it with {{> %s}}, or the folder", base, name)
	}
	b, err := readLimited(path, maxFile)
	if err != nil {
		return err
	}
	rel, _ := filepath.Rel(root, path)
	name := Slug(strings.TrimSuffix(rel, filepath.Ext(rel)))
	front, body, err := splitFrontMatter(path, string(b))
	if err != nil {
		return err
	}
	bodyLine := strings.Count(string(b[:len(b)-len(body)]), "\n") + 1
	fp := &fileImport{plan: p, path: path, base: filepath.Base(path), front: front, name: name, bodyLine: bodyLine}
	if f == Prompty {
		err = fp.prompty(body)
	} else {
		err = fp.dotprompt(body)
	}
	if err != nil && !strings.HasPrefix(err.Error(), fp.base+": ") {
		// Named once: a field refused by name already starts with the file.
		return fmt.Errorf("%s: %w", fp.base, err)
	}
	return err
}

// fileImport is one Prompty or Dotprompt file being read.
type fileImport struct {
	plan  *Plan
	path  string
	base  string
	front map[string]any
	name  string
	used  map[string]bool
	// bodyLine is the line of the file where the body (the template)
	// starts.
	bodyLine int
}

// key reads a front-matter key and marks it used.
func (fi *fileImport) key(k string) (any, bool) {
	if fi.used == nil {
		fi.used = map[string]bool{}
	}
	v, ok := fi.front[k]
	if ok {
		fi.used[k] = true
	}
	return v, ok
}

// rest refuses (or skips) every front-matter key not read.
func (fi *fileImport) rest() error {
	for _, k := range sortedKeys(fi.front) {
		if !fi.used[k] {
			if err := fi.plan.unsupported(fi.base+": "+k, "no Verso equivalent"); err != nil {
				return err
			}
		}
	}
	return nil
}

var frontRE = regexp.MustCompile(`(?s)^((?:[ \t]*(?:#[^\n]*)?\n)*)---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|$)`)

// splitFrontMatter separates the YAML front matter (after any leading
// comment lines, as Dotprompt allows) from the template body.
func splitFrontMatter(path, s string) (map[string]any, string, error) {
	s = strings.TrimPrefix(s, "\ufeff")
	m := frontRE.FindStringSubmatchIndex(s)
	if m == nil {
		return map[string]any{}, s, nil
	}
	// Padded with the lines before it, so that YAML's line numbers are the
	// file's.
	yml := strings.Repeat("\n", strings.Count(s[:m[4]], "\n")) + s[m[4]:m[5]]
	body := s[m[1]:]
	v, err := decodeAny(filepath.Base(path), []byte(yml))
	if err != nil {
		return nil, "", fmt.Errorf("front matter: %v: fix the YAML between the --- lines (check the indentation, and put a value holding \": \", \" #\", \"|\" or brackets in quotes)", err)
	}
	if v == nil {
		return map[string]any{}, body, nil
	}
	front, ok := v.(map[string]any)
	if !ok {
		return nil, "", fmt.Errorf("front matter: not a mapping of settings")
	}
	return front, body, nil
}

// float reads a number.
func float(v any) (*float64, bool) {
	f, ok := v.(float64)
	if !ok {
		return nil, false
	}
	return &f, true
}

func stringList(v any) ([]string, bool) {
	switch x := v.(type) {
	case string:
		return []string{x}, true
	case []any:
		var out []string
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// modelOption maps one model option (Prompty's or Dotprompt's name) into
// cfg. ok is false for an option Verso has no field for.
func modelOption(cfg *store.Config, k string, v any) (bool, error) {
	bad := func(want string) error { return fmt.Errorf("%s: %v is not %s", k, v, want) }
	switch k {
	case "temperature":
		f, ok := float(v)
		if !ok {
			return true, bad("a number")
		}
		cfg.Temperature = f
	case "maxOutputTokens", "max_tokens", "maxTokens", "max_completion_tokens":
		f, ok := float(v)
		if !ok || *f != float64(int(*f)) {
			return true, bad("a whole number")
		}
		cfg.MaxTokens = int(*f)
	case "topP", "top_p":
		f, ok := float(v)
		if !ok {
			return true, bad("a number")
		}
		cfg.TopP = f
	case "stopSequences", "stop":
		l, ok := stringList(v)
		if !ok {
			return true, bad("a list of text")
		}
		cfg.Stop = l
	case "seed":
		f, ok := float(v)
		if !ok || *f != float64(int(*f)) {
			return true, bad("a whole number")
		}
		n := int(*f)
		cfg.Seed = &n
	case "response_format", "responseFormat":
		cfg.ResponseFormat = v
	default:
		return false, nil
	}
	return true, nil
}

var roleRE = regexp.MustCompile(`(?im)^[ \t]*#?[ \t]*(system|user|assistant|developer)(\[[^\]\n]*\])?[ \t]*:[ \t]*$`)

// splitRoles splits a Prompty body at its role markers. Text before the
// first marker (or a body without markers) is a system message, as
// Prompty's parser has it.
func splitRoles(body string) []store.Message {
	locs := roleRE.FindAllStringSubmatchIndex(body, -1)
	var out []store.Message
	add := func(role, content string) {
		content = strings.Trim(content, "\r\n")
		if strings.TrimSpace(content) == "" {
			return
		}
		out = append(out, store.Message{Role: role, Content: content})
	}
	prev, role := 0, "system"
	for _, l := range locs {
		add(role, body[prev:l[0]])
		role = strings.ToLower(body[l[2]:l[3]])
		prev = l[1]
	}
	add(role, body[prev:])
	return out
}
