package editor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/agnivade/levenshtein"
	"go.yaml.in/yaml/v3"

	"github.com/seed94f0f622/verso/store"
)

// The file format, as Marshal writes it and Parse reads it:
//
//	---
//	# comments explaining the file
//	name: support/reply
//	description: Replies to a support ticket
//	tags: [support]
//	kind: text
//	model: gpt-4o-mini
//	temperature: 0.2
//	---
//	The template, byte for byte, up to the file's last line break.
//
// The settings are YAML, flat (the model config keys sit beside name and
// kind: authors need not know which is which). The body starts on the line
// after the closing "---", so a template may itself hold "---" lines, and
// leading blank lines are part of it. The file's final line break is not:
// Marshal adds one, Parse removes one (editors add a missing one on save).
//
// Chat prompts: each message starts with a heading line "=== role ===".
// Markdown never produces such a line (a setext underline has no text
// between the equals signs), and a content line that would read as one is
// written with a "\" in front, which Parse removes, so any content round
// trips. A blank line before a heading separates messages and is not part
// of the message above.
//
// Line endings: Marshal writes LF. A file whose first line ends in CRLF was
// converted by the editor, and all its CRLFs are read as LF; otherwise "\r"
// is content and kept, so stored CRLF text round trips.

// ErrEmpty is returned by Parse for an empty (or blank) file: the author's
// way to cancel.
var ErrEmpty = errors.New("the file is empty: nothing to commit")

var roles = []string{"system", "user", "assistant", "developer", "tool"}

// headingRE matches "=== user ===" (spaces optional, any case): the text
// between the equals signs must not start with or contain "=", so a row of
// equals signs (a markdown underline) is content.
var headingRE = regexp.MustCompile(`^===[ \t]*([^= \t][^=]*?)[ \t]*===[ \t]*$`)

func heading(line string) (role string, ok bool) {
	m := headingRE.FindStringSubmatch(line)
	if m == nil {
		return "", false
	}
	return strings.ToLower(m[1]), true
}

// front is the settings block, in the order the author sees it.
type front struct {
	Name         string        `yaml:"name"`
	Description  string        `yaml:"description"`
	Tags         []string      `yaml:"tags"`
	Kind         store.Kind    `yaml:"kind"`
	Dialect      store.Dialect `yaml:"dialect,omitempty"` // shown when not mustache
	store.Config `yaml:",inline"`
}

// Marshal writes d as the file the author edits.
func Marshal(d Doc) []byte {
	d = tidy(d)
	var b bytes.Buffer
	b.WriteString("---\n")
	b.WriteString(header(d))

	var n yaml.Node
	// Encoding plain strings, numbers and JSON-decoded values cannot fail.
	_ = n.Encode(front{d.Name, d.Description, d.Tags, d.Kind, d.Dialect, d.Config})
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch k.Value {
		case "name":
			if d.Name == Placeholder {
				k.LineComment = "required: the new prompt's name, e.g. support/reply"
			} else {
				k.LineComment = "fixed: an existing prompt keeps its name"
			}
		case "kind":
			k.LineComment = "text or chat"
		case "dialect":
			k.LineComment = "mustache (when absent), jinja2 or handlebars"
		case "tags", "stop":
			v.Style = yaml.FlowStyle // short lists read best on one line
		}
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	_ = enc.Encode(&n)
	_ = enc.Close()
	if unset := unsetKeys(d.Config); len(unset) > 0 {
		b.WriteString("# Not set: " + strings.Join(unset, ", ") + "\n")
	}
	b.WriteString("---\n")

	if d.Kind == store.KindChat {
		for i, m := range d.Messages {
			if i > 0 {
				b.WriteString("\n\n")
			}
			b.WriteString("=== " + m.Role + " ===\n")
			b.WriteString(escape(m.Content))
		}
	} else {
		b.WriteString(d.Template)
	}
	b.WriteString("\n")
	return b.Bytes()
}

// header is the comment at the top of the settings: the file is often
// opened by people who have never seen it.
func header(d Doc) string {
	lines := []string{
		"Verso prompt file. The settings are between the two --- lines (YAML);",
		"the template is everything below the second ---, exactly as written.",
		"Save and close the editor to continue: you will see the diff and be",
		"asked for a commit message. Leave the file unchanged, or empty it, to cancel.",
	}
	if d.Kind == store.KindChat {
		lines = append(lines,
			"Chat messages: each starts with a heading line such as === system ===",
			"(roles: "+strings.Join(roles, ", ")+"); a blank line before a heading",
			`separates messages. A content line that looks like a heading gets a \ in front.`)
	} else {
		lines = append(lines, "Variables are written {{name}}. For a chat prompt, set kind: chat and",
			"start each message with a heading line such as === system ===.")
	}
	return "# " + strings.Join(lines, "\n# ") + "\n"
}

// unsetKeys lists the model settings the author could add, with examples.
func unsetKeys(c store.Config) []string {
	var out []string
	add := func(unset bool, s string) {
		if unset {
			out = append(out, s)
		}
	}
	add(c.Model == "", "model (e.g. gpt-4o-mini)")
	add(c.Temperature == nil, "temperature (e.g. 0.7)")
	add(c.MaxTokens == 0, "max_tokens (e.g. 512)")
	add(c.TopP == nil, "top_p")
	add(c.Stop == nil, "stop")
	add(c.Seed == nil, "seed")
	add(c.ResponseFormat == nil, "response_format")
	add(c.Tools == nil, "tools")
	return out
}

// escape prefixes content lines that would read as headings with "\";
// lines already starting with "\" before a heading get one more, so
// unescape (drop one) is exact.
func escape(content string) string {
	lines := strings.Split(content, "\n")
	for i, l := range lines {
		if _, ok := heading(strings.TrimLeft(l, `\`)); ok {
			lines[i] = `\` + l
		}
	}
	return strings.Join(lines, "\n")
}

// Parse reads a file written by Marshal and edited by a person. Errors are
// one line: "line N: what is wrong: how to fix it".
func Parse(b []byte) (Doc, error) {
	s := strings.TrimPrefix(string(b), "\ufeff")
	if strings.TrimSpace(s) == "" {
		return Doc{}, ErrEmpty
	}
	if first, _, _ := strings.Cut(s, "\n"); strings.HasSuffix(first, "\r") {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	lines := strings.SplitAfter(s, "\n")
	if !isFence(lines[0]) {
		return Doc{}, errors.New("line 1: the file must start with a --- line (the settings follow it): put it back, or empty the file to cancel")
	}
	end := 0
	for i := 1; i < len(lines); i++ {
		if isFence(lines[i]) {
			end = i
			break
		}
	}
	if end == 0 {
		return Doc{}, errors.New("line 1: the settings opened by --- are never closed: add a --- line between the settings and the template")
	}
	d, err := parseFront(strings.Join(lines[1:end], ""))
	if err != nil {
		return Doc{}, err
	}
	body := strings.TrimSuffix(strings.Join(lines[end+1:], ""), "\n")
	first := end + 2 // file line of the body's first line
	if d.Kind == store.KindChat {
		if d.Messages, err = parseMessages(body, first); err != nil {
			return Doc{}, err
		}
	} else {
		if strings.TrimSpace(body) == "" {
			return Doc{}, fmt.Errorf("line %d: the template is empty: write it below the --- on line %d, or empty the file to cancel", first, end+1)
		}
		d.Template = body
	}
	return tidy(d), nil
}

func isFence(line string) bool { return strings.TrimRight(line, " \t\r\n") == "---" }

func parseMessages(body string, first int) ([]store.Message, error) {
	var msgs []store.Message
	var content []string
	// finish sets the open message's content; the blank line before the
	// next heading is the separator, not content.
	finish := func(last bool) {
		if len(msgs) == 0 {
			return
		}
		c := strings.Join(content, "\n")
		if !last {
			c = strings.TrimSuffix(c, "\n")
		}
		msgs[len(msgs)-1].Content = c
	}
	for i, l := range strings.Split(body, "\n") {
		n := first + i
		if role, ok := heading(l); ok {
			if !validRole(role) {
				return nil, fmt.Errorf("line %d: unknown role %q: use %s (e.g. === user ===)", n, role, strings.Join(roles, ", "))
			}
			finish(false)
			msgs = append(msgs, store.Message{Role: role})
			content = content[:0]
			continue
		}
		if len(msgs) == 0 {
			if strings.TrimSpace(l) != "" {
				return nil, fmt.Errorf("line %d: text before the first message: start each message with a heading line such as === system ===", n)
			}
			continue
		}
		if _, ok := heading(strings.TrimLeft(l, `\`)); ok && strings.HasPrefix(l, `\`) {
			l = l[1:] // an escaped content line
		}
		content = append(content, l)
	}
	finish(true)
	if len(msgs) == 0 {
		return nil, fmt.Errorf("line %d: no messages: a chat prompt needs at least one, each starting with a heading line such as === user ===", first)
	}
	for _, m := range msgs {
		if strings.TrimSpace(m.Content) != "" {
			return msgs, nil
		}
	}
	return nil, fmt.Errorf("line %d: every message is empty: write the text below the headings, or empty the file to cancel", first)
}

func validRole(r string) bool {
	for _, x := range roles {
		if r == x {
			return true
		}
	}
	return false
}

// setting describes one key of the settings for decoding and for errors.
type setting struct {
	want, example string
	set           func(d *Doc, v *yaml.Node) error
}

var settings = []string{"name", "description", "tags", "kind", "dialect", "model", "temperature", "max_tokens", "top_p", "stop", "seed", "response_format", "tools"}

var settingOf = map[string]setting{
	"name":        {"text", "name: support/reply", func(d *Doc, v *yaml.Node) error { return decodeScalar(v, &d.Name) }},
	"description": {"text", "description: Replies to a support ticket", func(d *Doc, v *yaml.Node) error { return decodeScalar(v, &d.Description) }},
	"tags":        {"a list", "tags: [support, email]", func(d *Doc, v *yaml.Node) error { return v.Decode(&d.Tags) }},
	"kind":        {"text", "kind: text", func(d *Doc, v *yaml.Node) error { return decodeScalar(v, &d.Kind) }},
	"dialect":     {"text", "dialect: jinja2", func(d *Doc, v *yaml.Node) error { return decodeScalar(v, &d.Dialect) }},
	"model":       {"text", "model: gpt-4o-mini", func(d *Doc, v *yaml.Node) error { return decodeScalar(v, &d.Config.Model) }},
	"temperature": {"a number", "temperature: 0.7", func(d *Doc, v *yaml.Node) error { return v.Decode(&d.Config.Temperature) }},
	"max_tokens":  {"a whole number", "max_tokens: 512", func(d *Doc, v *yaml.Node) error { return decodeInt(v, &d.Config.MaxTokens) }},
	"top_p":       {"a number", "top_p: 0.9", func(d *Doc, v *yaml.Node) error { return v.Decode(&d.Config.TopP) }},
	"stop":        {"a list", `stop: ["\n\n", END]`, func(d *Doc, v *yaml.Node) error { return v.Decode(&d.Config.Stop) }},
	"seed": {"a whole number", "seed: 42", func(d *Doc, v *yaml.Node) error {
		d.Config.Seed = new(int)
		return decodeInt(v, d.Config.Seed)
	}},
	"response_format": {"a mapping", "response_format: {type: json_object}", func(d *Doc, v *yaml.Node) error {
		if v.Kind != yaml.MappingNode {
			return errors.New("not a mapping")
		}
		return v.Decode(&d.Config.ResponseFormat)
	}},
	"tools": {"a list", "tools: [{type: function, function: {name: lookup}}]", func(d *Doc, v *yaml.Node) error { return v.Decode(&d.Config.Tools) }},
}

// decodeScalar refuses lists and mappings where text is expected (yaml
// would otherwise report them in its own words).
func decodeScalar[T ~string](v *yaml.Node, out *T) error {
	if v.Kind != yaml.ScalarNode {
		return errors.New("not text")
	}
	*out = T(v.Value)
	return nil
}

// decodeInt refuses 1.5 (yaml would truncate it to 1 without a word).
func decodeInt(v *yaml.Node, out *int) error {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" {
		return errors.New("not a whole number")
	}
	return v.Decode(out)
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseFront decodes the settings. Keys are checked one by one rather than
// with yaml's KnownFields so that every error names the file's line and
// says what to write instead.
func parseFront(src string) (Doc, error) {
	const off = 1 // the settings start on the file's line 2
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		msg := strings.ReplaceAll(err.Error(), "\n", " ")
		line := 1
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			n, _ := strconv.Atoi(m[1])
			line, msg = n+off, m[2]
		} else {
			msg = strings.TrimPrefix(msg, "yaml: ")
		}
		return Doc{}, fmt.Errorf("line %d: the settings are not valid YAML (%s): check the indentation, and put text holding \": \" or \" #\" in double quotes", line, msg)
	}
	var d Doc
	var root *yaml.Node
	if len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	if root != nil && root.Kind != yaml.MappingNode {
		return Doc{}, fmt.Errorf("line %d: the settings must be \"key: value\" lines, e.g. name: support/reply", root.Line+off)
	}
	seen := map[string]int{}
	if root != nil {
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i], root.Content[i+1]
			line := k.Line + off
			st, ok := settingOf[k.Value]
			if !ok {
				return Doc{}, unknownKey(k.Value, line)
			}
			if prev, dup := seen[k.Value]; dup {
				return Doc{}, fmt.Errorf("line %d: %s is set twice (also on line %d): keep one", line, k.Value, prev)
			}
			seen[k.Value] = line
			if v.Tag == "!!null" {
				continue // "temperature:" with no value: unset
			}
			if err := st.set(&d, v); err != nil {
				return Doc{}, fmt.Errorf("line %d: %s: %s is not %s: write e.g. %s", v.Line+off, k.Value, describe(v), st.want, st.example)
			}
		}
	}
	if d.Kind == "" {
		d.Kind = store.KindText
	}
	if d.Kind != store.KindText && d.Kind != store.KindChat {
		return Doc{}, fmt.Errorf("line %d: kind %q is unknown: use kind: text, or kind: chat for messages", seen["kind"], d.Kind)
	}
	if err := store.ValidDialect(d.Dialect); err != nil {
		return Doc{}, fmt.Errorf("line %d: dialect %q is unknown: use mustache, jinja2 or handlebars", seen["dialect"], d.Dialect)
	}
	if err := checkName(d.Name, seen["name"]); err != nil {
		return Doc{}, err
	}
	// Free-form values go through JSON, as in the store, so a doc read
	// here equals one read from the database (float64 numbers, string keys).
	if d.Config.ResponseFormat != nil || d.Config.Tools != nil {
		raw, err := json.Marshal(d.Config)
		if err == nil {
			var c store.Config
			if err = json.Unmarshal(raw, &c); err == nil {
				d.Config = c
			}
		}
		if err != nil {
			line := seen["response_format"]
			if line == 0 {
				line = seen["tools"]
			}
			return Doc{}, fmt.Errorf("line %d: response_format and tools must be JSON-like (text keys, no anchors): %v", line, err)
		}
	}
	return d, nil
}

func checkName(name string, line int) error {
	switch {
	case line == 0:
		return errors.New("line 2: the settings have no name: add e.g. name: support/reply")
	case name == Placeholder:
		return fmt.Errorf("line %d: name: replace %s with the new prompt's name, e.g. name: support/reply", line, Placeholder)
	}
	if err := store.ValidName(name); err != nil {
		msg := strings.TrimSuffix(err.Error(), ": "+store.ErrInvalid.Error())
		return fmt.Errorf("line %d: %s", line, msg)
	}
	return nil
}

func unknownKey(key string, line int) error {
	best, dist := "", 4
	for _, s := range settings {
		if d := levenshtein.ComputeDistance(key, s); d < dist {
			best, dist = s, d
		}
	}
	if best != "" {
		return fmt.Errorf("line %d: unknown setting %q: did you mean %s?", line, key, best)
	}
	return fmt.Errorf("line %d: unknown setting %q: remove it (settings: %s)", line, key, strings.Join(settings, ", "))
}

func describe(v *yaml.Node) string {
	switch v.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return strconv.Quote(v.Value)
}
