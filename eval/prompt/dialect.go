package prompt

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/seed94f0f622/verso/store"
)

// compiled is a parsed and checked jinja2 or handlebars template.
type compiled interface {
	// names lists the variables read: required ones are printed, optional
	// ones only tested or looped over (as a mustache section).
	names() (required, optional []string)
	exec(data map[string]any) (string, error)
}

func compile(d store.Dialect, src, where string) (compiled, error) {
	switch d {
	case store.DialectJinja2:
		return jinjaParse(src, where)
	case store.DialectHandlebars:
		return hbParse(src, where)
	}
	return nil, fmt.Errorf("unknown template dialect %q: use mustache, jinja2 or handlebars", d)
}

func isMustache(d store.Dialect) bool { return d == "" || d == store.DialectMustache }

// checkSource parses one template of a version in its dialect.
func checkSource(d store.Dialect, src, where string) error {
	if isMustache(d) {
		if err := looksForeign(src, where); err != nil {
			return err
		}
		_, err := parse(src, where)
		return err
	}
	_, err := compile(d, src, where)
	return err
}

// sourceVariables lists the variables of one template in its dialect.
func sourceVariables(d store.Dialect, src string) []string {
	if isMustache(d) {
		return TemplateVariables(src)
	}
	t, err := compile(d, src, "template")
	if err != nil {
		return nil
	}
	req, opt := t.names()
	return append(append([]string{}, req...), opt...)
}

// renderSource renders one template in its dialect.
func renderSource(d store.Dialect, src, where string, vars map[string]any) (string, error) {
	if isMustache(d) {
		return render(src, where, vars)
	}
	t, err := compile(d, src, where)
	if err != nil {
		return "", err
	}
	data := expandDotted(vars)
	req, _ := t.names()
	var missing []string
	for _, n := range req {
		if !hasPath(data, n) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return "", &MissingError{Names: missing}
	}
	s, err := t.exec(data)
	if err != nil {
		return "", fmt.Errorf("%s: %w", where, err)
	}
	return s, nil
}

// hasPath reports whether a dotted name resolves in data.
func hasPath(data map[string]any, name string) bool {
	if _, ok := data[name]; ok {
		return true
	}
	parts := strings.Split(name, ".")
	var cur any = data
	for _, p := range parts {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		cur, ok = m[p]
		if !ok {
			return false
		}
	}
	return true
}

var (
	jinjaLikeRE   = regexp.MustCompile(`\{%-?\s*(if|for|set|elif|else|endif|endfor|macro|block|include|raw)\b[^%]*%\}`)
	jinjaFilterRE = regexp.MustCompile(`\{\{-?\s*[A-Za-z_][\w.]*\s*\|\s*[A-Za-z_]\w*[^}]*\}\}`)
	hbLikeRE      = regexp.MustCompile(`\{\{[#/](if|each|unless|with)\b[^}]*\}\}|\{\{else\}\}`)
	// mustacheTagRE finds Mustache/Handlebars section tags in a jinja2 template.
	mustacheTagRE = regexp.MustCompile(`\{\{[#^/][^}]*\}\}`)
)

// looksForeign names the dialect a mustache template seems to be written in.
func looksForeign(src, where string) error {
	if m := jinjaLikeRE.FindString(src); m != "" {
		return &SyntaxError{Where: where, Err: fmt.Errorf("this looks like Jinja (`%s`); set the dialect to jinja2", m)}
	}
	if m := jinjaFilterRE.FindString(src); m != "" {
		return &SyntaxError{Where: where, Err: fmt.Errorf("this looks like Jinja (a filter: `%s`); set the dialect to jinja2", m)}
	}
	if m := hbLikeRE.FindString(src); m != "" {
		return &SyntaxError{Where: where, Err: fmt.Errorf("this looks like Handlebars (`%s`); set the dialect to handlebars", m)}
	}
	return nil
}
