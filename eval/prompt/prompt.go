// Package prompt renders prompt versions in their template dialect
// (mustache, the default; jinja2; handlebars): it lists the variables a
// template uses, renders text and chat prompts into chat messages, and
// reports missing and unused variables. This file is the mustache dialect
// and the dialect-independent API; jinja2.go and handlebars.go are the
// others, dialect.go dispatches.
//
// Prompts are not HTML, so nothing is escaped: {{x}} and {{{x}}} both give
// the raw value. A list or object printed by a variable tag is JSON, null is
// empty (values.go). Partials ({{> name}}) are refused: the library would read
// them from files in the working directory, and a prompt must not read files.
package prompt

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/cbroglie/mustache"

	"github.com/seed94f0f622/verso/store"
)

func init() {
	// Strict lookups make a variable tag with no value an error (sections
	// still treat a missing name as false). Verso is the only user of the
	// template library in the process, and this never changes afterwards.
	mustache.AllowMissingVariables = false
}

// MissingError is returned when a render lacks variables. Names are in order
// of first use. It carries no advice: each surface says how to pass them
// (the CLI's --var, the TUI's case editor).
type MissingError struct{ Names []string }

func (e *MissingError) Error() string {
	return "missing variables: " + strings.Join(e.Names, ", ")
}

// SyntaxError is a template that does not parse. Where is "template" or
// "message N (role)".
type SyntaxError struct {
	Where string
	Line  int
	Err   error
}

func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s: line %d: %s", e.Where, e.Line, strings.TrimPrefix(e.Err.Error(), fmt.Sprintf("line %d: ", e.Line)))
	}
	return fmt.Sprintf("%s: %s", e.Where, e.Err)
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// noPartials resolves every partial to an error: see the package comment.
type noPartials struct{}

func (noPartials) Get(name string) (string, error) {
	return "", fmt.Errorf("partials are not supported ({{> %s}})", name)
}

// parsed caches compiled templates: an eval renders the same template for
// every case. Bounded so a long session over many prompts stays small.
var parsed struct {
	sync.Mutex
	m map[string]*mustache.Template
}

const parsedMax = 512

func parse(tpl, where string) (*mustache.Template, error) {
	parsed.Lock()
	t, ok := parsed.m[tpl]
	parsed.Unlock()
	if ok {
		return t, nil
	}
	t, err := parseUncached(tpl, where)
	if err != nil {
		return nil, err
	}
	parsed.Lock()
	if parsed.m == nil || len(parsed.m) >= parsedMax {
		parsed.m = map[string]*mustache.Template{}
	}
	parsed.m[tpl] = t
	parsed.Unlock()
	return t, nil
}

func parseUncached(tpl, where string) (*mustache.Template, error) {
	t, err := mustache.ParseStringPartialsRaw(tpl, noPartials{}, true)
	if err != nil {
		var pe mustache.ParseError
		if errors.As(err, &pe) {
			return nil, &SyntaxError{Where: where, Line: pe.Line, Err: err}
		}
		return nil, &SyntaxError{Where: where, Err: err}
	}
	if name, ok := findPartial(t.Tags()); ok {
		return nil, &SyntaxError{Where: where, Err: fmt.Errorf("partials are not supported ({{> %s}}): inline the text", name)}
	}
	return t, nil
}

func findPartial(tags []mustache.Tag) (string, bool) {
	for _, t := range tags {
		switch t.Type() {
		case mustache.Partial:
			return t.Name(), true
		case mustache.Section, mustache.InvertedSection:
			if n, ok := findPartial(t.Tags()); ok {
				return n, true
			}
		}
	}
	return "", false
}

// Check parses every template of v in its dialect and returns the first
// syntax error: a filter, helper or statement the dialect does not have, or
// a template that looks written in another dialect, is a syntax error.
func Check(v store.Version) error {
	if err := store.ValidDialect(v.Dialect); err != nil {
		return err
	}
	for i, src := range sources(v) {
		if err := checkSource(v.Dialect, src, where(v, i)); err != nil {
			return err
		}
	}
	return nil
}

// CheckText parses one template and returns its syntax error, if any.
func CheckText(tpl string) error {
	_, err := parse(tpl, "template")
	return err
}

// sources are the templates of a version: the text template, or each message.
func sources(v store.Version) []string {
	if v.Kind == store.KindChat {
		out := make([]string, len(v.Messages))
		for i, m := range v.Messages {
			out[i] = m.Content
		}
		return out
	}
	return []string{v.Template}
}

func where(v store.Version, i int) string {
	if v.Kind == store.KindChat && i < len(v.Messages) {
		return fmt.Sprintf("message %d (%s)", i+1, v.Messages[i].Role)
	}
	return "template"
}

// Variables lists the variables used in a version's template or messages:
// variable tags, section and inverted-section names, dotted names as
// written, unique, in order of first use. Names used inside a section are
// listed too (a conditional section reads them from the top level). A
// template that does not parse contributes the names found before the error
// is known, i.e. none; use Check for the error.
func Variables(v store.Version) []string {
	var out []string
	seen := map[string]bool{}
	for _, src := range sources(v) {
		for _, n := range sourceVariables(v.Dialect, src) {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// TemplateVariables lists the variables of one template (see Variables).
func TemplateVariables(tpl string) []string {
	t, err := parse(tpl, "template")
	if err != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	var walk func([]mustache.Tag)
	walk = func(tags []mustache.Tag) {
		for _, tg := range tags {
			switch tg.Type() {
			case mustache.Variable, mustache.Section, mustache.InvertedSection:
				n := tg.Name()
				if n != "." && !strings.HasPrefix(n, ".") && !seen[n] {
					seen[n] = true
					out = append(out, n)
				}
				if tg.Type() != mustache.Variable {
					walk(tg.Tags())
				}
			}
		}
	}
	walk(t.Tags())
	return out
}

// Render renders a version with vars into chat messages: a text prompt
// becomes one user message. Missing variables give a *MissingError naming
// all of them; a template that does not parse gives a *SyntaxError.
func Render(v store.Version, vars map[string]any) ([]store.Message, error) {
	if v.Kind == store.KindChat {
		out := make([]store.Message, len(v.Messages))
		var missing []string
		for i, m := range v.Messages {
			s, err := renderSource(v.Dialect, m.Content, where(v, i), vars)
			var me *MissingError
			if errors.As(err, &me) {
				for _, n := range me.Names {
					if !slices.Contains(missing, n) {
						missing = append(missing, n)
					}
				}
				continue
			}
			if err != nil {
				return nil, err
			}
			out[i] = store.Message{Role: m.Role, Content: s}
		}
		if len(missing) > 0 {
			return nil, &MissingError{Names: missing}
		}
		return out, nil
	}
	s, err := renderSource(v.Dialect, v.Template, "template", vars)
	if err != nil {
		return nil, err
	}
	return []store.Message{{Role: "user", Content: s}}, nil
}

// RenderText renders one template with vars.
func RenderText(tpl string, vars map[string]any) (string, error) {
	return render(tpl, "template", vars)
}

var missingRE = regexp.MustCompile(`^missing variable "(.*)"$`)

func render(tpl, where string, vars map[string]any) (string, error) {
	t, err := parse(tpl, where)
	if err != nil {
		return "", err
	}
	data := templateData(expandDotted(vars))
	var missing []string
	// The library stops at the first missing variable; fill it with an empty
	// placeholder and render again to collect every missing name. Each round
	// adds a name, so the loop is bounded by the number of tags.
	for range 1000 {
		s, err := t.Render(data)
		if err == nil {
			if len(missing) > 0 {
				return "", &MissingError{Names: missing}
			}
			return s, nil
		}
		m := missingRE.FindStringSubmatch(err.Error())
		if m == nil {
			return "", fmt.Errorf("%s: %w", where, err)
		}
		name := fullName(t.Tags(), m[1])
		if slices.Contains(missing, name) {
			// A part of a dotted name whose parent exists but is not an
			// object: a top-level placeholder cannot fill it.
			return "", &MissingError{Names: missing}
		}
		missing = append(missing, name)
		if len(missing) == 1 {
			data = clone(data)
		}
		if _, ok := data[m[1]]; !ok {
			data[m[1]] = ""
		}
	}
	return "", &MissingError{Names: missing}
}

// fullName maps the name the library reports (one segment of a dotted name)
// back to the name written in the template.
func fullName(tags []mustache.Tag, seg string) string {
	best := ""
	var walk func([]mustache.Tag)
	walk = func(tags []mustache.Tag) {
		for _, tg := range tags {
			if best != "" {
				return
			}
			switch tg.Type() {
			case mustache.Variable:
				n := tg.Name()
				if n == seg {
					best = n
					return
				}
				if slices.Contains(strings.Split(n, "."), seg) {
					best = n
					return
				}
			case mustache.Section, mustache.InvertedSection:
				walk(tg.Tags())
			}
		}
	}
	walk(tags)
	if best == "" {
		return seg
	}
	return best
}

// expandDotted turns keys like "user.name" (from --var user.name=Ann) into
// nested maps so that {{user.name}} finds them. Existing nested values win.
func expandDotted(vars map[string]any) map[string]any {
	hasDot := false
	for k := range vars {
		if strings.Contains(k, ".") {
			hasDot = true
			break
		}
	}
	if !hasDot {
		if vars == nil {
			return map[string]any{}
		}
		return vars
	}
	out := make(map[string]any, len(vars))
	keys := make([]string, 0, len(vars))
	for k, v := range vars {
		if !strings.Contains(k, ".") {
			out[k] = v
		} else {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		parts := strings.Split(k, ".")
		m := out
		ok := true
		for _, p := range parts[:len(parts)-1] {
			next, exists := m[p]
			if !exists {
				nm := map[string]any{}
				m[p] = nm
				m = nm
				continue
			}
			nm, isMap := next.(map[string]any)
			if !isMap {
				ok = false
				break
			}
			// Copy on the way down: the caller's maps stay untouched.
			nm = clone(nm)
			m[p] = nm
			m = nm
		}
		if ok {
			if _, exists := m[parts[len(parts)-1]]; !exists {
				m[parts[len(parts)-1]] = vars[k]
			}
		}
		// Keep the literal key too: mustache never looks it up, and Unused
		// reasons about the names the user typed.
		out[k] = vars[k]
	}
	return out
}

func clone(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+4)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// Unused lists the vars (sorted) that v does not use: a warning, not an
// error. A dotted var counts as used when its path overlaps a used name
// (user.name is used by {{user.name}} and by {{#user}}).
func Unused(v store.Version, vars map[string]any) []string {
	used := Variables(v)
	var out []string
	for k := range vars {
		if !isUsed(k, used) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func isUsed(k string, used []string) bool {
	for _, u := range used {
		if u == k || strings.HasPrefix(u, k+".") || strings.HasPrefix(k, u+".") {
			return true
		}
	}
	return false
}
