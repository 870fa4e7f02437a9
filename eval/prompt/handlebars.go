package prompt

import (
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/mailgun/raymond/v2"
	"github.com/mailgun/raymond/v2/ast"
	"github.com/mailgun/raymond/v2/parser"
)

// The handlebars dialect runs on raymond (mailgun's maintained fork), a Go
// implementation of Handlebars. Verso allows the built-in block helpers
// that change nothing outside the template (if, unless, each, with) plus
// lookup and Dotprompt's json; every other helper is refused by name when
// the template is checked. Nothing is HTML-escaped, and partials are
// refused: an import inlines partials from the files next to the template.

// hbBlockHelpers are the block helpers Verso allows; each and with change
// the context of their body.
var hbBlockHelpers = map[string]bool{"if": true, "unless": true, "each": true, "with": true}

// hbHelpers are the inline helpers Verso allows.
var hbHelpers = map[string]bool{"lookup": true, "json": true}

// hbDotprompt are Dotprompt's helpers Verso does not have: named so that
// {{history}} is refused when checked instead of rendering as a missing
// variable.
var hbDotprompt = map[string]string{
	"role":         "a Dotprompt role marker: import the .prompt file so each role becomes a chat message",
	"history":      "Dotprompt's conversation history has no equivalent in Verso",
	"media":        "Dotprompt's media parts have no equivalent in Verso",
	"section":      "Dotprompt's sections have no equivalent in Verso",
	"ifEquals":     "use {{#if}} with a boolean variable",
	"unlessEquals": "use {{#unless}} with a boolean variable",
}

type hbTemplate struct {
	t                  *raymond.Template
	required, optional []string
}

func (t hbTemplate) names() (required, optional []string) { return t.required, t.optional }

func (t hbTemplate) exec(data map[string]any) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	ctx, _ := hbValue(data).(hbObject)
	s, err := t.t.Exec(map[string]any(ctx))
	if err != nil {
		return "", fmt.Errorf("%s", oneLineMsg(err.Error()))
	}
	return s, nil
}

// hbObject prints as JSON when a template prints a whole object; its keys
// still resolve as a map's.
type hbObject map[string]any

func (o hbObject) String() string {
	s, _ := jsonText(unHB(o))
	return s
}

// hbValue prepares vars for raymond: strings as SafeString (never escaped),
// objects as hbObject.
func hbValue(v any) any {
	switch x := v.(type) {
	case string:
		return raymond.SafeString(x)
	case map[string]any:
		out := make(hbObject, len(x))
		for k, e := range x {
			out[k] = hbValue(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = hbValue(e)
		}
		return out
	}
	return v
}

func hbJSON(v any) raymond.SafeString {
	s, err := jsonText(unHB(v))
	if err != nil {
		return raymond.SafeString(fmt.Sprint(v))
	}
	return raymond.SafeString(s)
}

func unHB(v any) any {
	switch x := v.(type) {
	case raymond.SafeString:
		return string(x)
	case hbObject:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = unHB(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = unHB(e)
		}
		return out
	}
	return v
}

var jinjaTagRE = regexp.MustCompile(`\{%-?\s*[a-zA-Z_]+[^%]*%\}`)

func parseHandlebars(src, where string) (hbTemplate, error) {
	if m := jinjaTagRE.FindString(src); m != "" {
		return hbTemplate{}, &SyntaxError{Where: where, Err: fmt.Errorf("this looks like Jinja (`%s`); set the dialect to jinja2", m)}
	}
	if m := jinjaFilterRE.FindString(src); m != "" {
		return hbTemplate{}, &SyntaxError{Where: where, Err: fmt.Errorf("this looks like Jinja (a filter: `%s`); set the dialect to jinja2", m)}
	}
	prog, err := parser.Parse(src)
	if err != nil {
		return hbTemplate{}, &SyntaxError{Where: where, Err: fmt.Errorf("%s", strings.Join(strings.Fields(err.Error()), " "))}
	}
	a := hbAnalysis{}
	a.program(prog, false)
	if a.err != nil {
		return hbTemplate{}, &SyntaxError{Where: where, Err: a.err}
	}
	t, err := raymond.Parse(unescaped(src, prog))
	if err != nil {
		return hbTemplate{}, &SyntaxError{Where: where, Err: fmt.Errorf("%s", oneLineMsg(err.Error()))}
	}
	t.RegisterHelper("json", hbJSON)
	return hbTemplate{t: t, required: a.required, optional: a.optional}, nil
}

// unescaped rewrites every {{x}} of src as {{&x}}: prompts are not HTML,
// so nothing is escaped (raymond has no switch for it).
func unescaped(src string, prog *ast.Program) string {
	var at []int
	var walk func(p *ast.Program)
	walk = func(p *ast.Program) {
		if p == nil {
			return
		}
		for _, n := range p.Body {
			switch n := n.(type) {
			case *ast.MustacheStatement:
				if !n.Unescaped {
					at = append(at, n.Loc.Pos)
				}
			case *ast.BlockStatement:
				walk(n.Program)
				walk(n.Inverse)
			}
		}
	}
	walk(prog)
	if len(at) == 0 {
		return src
	}
	var b strings.Builder
	last := 0
	for _, pos := range at {
		i := pos + 2 // after {{
		if pos < 0 || i > len(src) || src[pos:i] != "{{" {
			continue
		}
		if i < len(src) && src[i] == '~' {
			i++
		}
		b.WriteString(src[last:i])
		b.WriteString("&")
		last = i
	}
	b.WriteString(src[last:])
	return b.String()
}

type hbAnalysis struct {
	required, optional []string
	err                error
}

func (a *hbAnalysis) fail(format string, args ...any) {
	if a.err == nil {
		a.err = fmt.Errorf(format, args...)
	}
}

func (a *hbAnalysis) note(name string, required bool) {
	j := jinjaAnalysis{required: a.required, optional: a.optional}
	j.note(name, required)
	a.required, a.optional = j.required, j.optional
}

// program walks statements. inner is true inside a body whose context is
// not the top level (each, with, a section over an object): names there
// belong to the item, not to the variables.
func (a *hbAnalysis) program(p *ast.Program, inner bool) {
	if p == nil {
		return
	}
	for _, n := range p.Body {
		switch n := n.(type) {
		case *ast.ContentStatement, *ast.CommentStatement:
		case *ast.MustacheStatement:
			a.expression(n.Expression, true, inner)
		case *ast.BlockStatement:
			a.block(n, inner)
		case *ast.PartialStatement:
			a.fail("partials are not supported ({{> %s}}): inline the text (verso import inlines Dotprompt partials)", strings.Trim(fmt.Sprint(hbPathName(n.Name)), " "))
		default:
			a.fail("unsupported template element %s", n)
		}
	}
}

func hbPathName(n ast.Node) string {
	if p, ok := n.(*ast.PathExpression); ok {
		return p.Original
	}
	if s, ok := n.(*ast.StringLiteral); ok {
		return s.Value
	}
	return fmt.Sprint(n)
}

// expression checks one {{...}}: a path (a variable) or a helper call.
func (a *hbAnalysis) expression(e *ast.Expression, required, inner bool) {
	path, isPath := e.Path.(*ast.PathExpression)
	helper := len(e.Params) > 0 || e.Hash != nil
	if isPath {
		name := path.Original
		if why, ok := hbDotprompt[name]; ok {
			a.fail("helper %q is not available in the handlebars dialect: %s", name, why)
			return
		}
		if helper || hbHelpers[name] {
			if !hbHelpers[name] {
				a.fail("helper %q is not available in the handlebars dialect (available: if, unless, each, with, lookup, json)", name)
				return
			}
			a.params(e, inner)
			return
		}
		a.path(path, required, inner)
		return
	}
	if helper {
		a.fail("a literal cannot take arguments (%s)", e)
	}
}

func (a *hbAnalysis) params(e *ast.Expression, inner bool) {
	for _, p := range e.Params {
		a.param(p, inner)
	}
	if e.Hash != nil {
		for _, hp := range e.Hash.Pairs {
			a.param(hp.Val, inner)
		}
	}
}

func (a *hbAnalysis) param(p ast.Node, inner bool) {
	switch p := p.(type) {
	case *ast.PathExpression:
		a.path(p, true, inner)
	case *ast.SubExpression:
		a.expression(p.Expression, true, inner)
	case *ast.Expression:
		a.expression(p, true, inner)
	}
}

func (a *hbAnalysis) path(p *ast.PathExpression, required, inner bool) {
	if inner || p.Data || p.Depth > 0 || p.Scoped || p.Original == "this" || p.Original == "." || len(p.Parts) == 0 {
		return
	}
	a.note(strings.Join(p.Parts, "."), required)
}

func (a *hbAnalysis) block(b *ast.BlockStatement, inner bool) {
	e := b.Expression
	path, isPath := e.Path.(*ast.PathExpression)
	if !isPath {
		a.fail("a block must start with a name ({{#name}})")
		return
	}
	name := path.Original
	switch {
	case hbBlockHelpers[name]:
		if len(e.Params) != 1 {
			a.fail("{{#%s}} takes one argument", name)
			return
		}
		if p, ok := e.Params[0].(*ast.PathExpression); ok {
			a.path(p, false, inner)
		} else {
			a.param(e.Params[0], inner)
		}
		a.program(b.Program, inner || name == "each" || name == "with")
		a.program(b.Inverse, inner)
	case hbDotprompt[name] != "":
		a.fail("helper %q is not available in the handlebars dialect: %s", name, hbDotprompt[name])
	case len(e.Params) > 0 || e.Hash != nil || hbHelpers[name]:
		a.fail("block helper %q is not available in the handlebars dialect (available: if, unless, each, with)", name)
	default:
		// A Mustache-style section: optional, and its body may read the
		// item's fields.
		a.path(path, false, inner)
		a.program(b.Program, true)
		a.program(b.Inverse, inner)
	}
}

var hbCache struct {
	sync.Mutex
	m map[string]hbTemplate
}

func hbParse(src, where string) (hbTemplate, error) {
	hbCache.Lock()
	t, ok := hbCache.m[src]
	hbCache.Unlock()
	if ok {
		return t, nil
	}
	t, err := parseHandlebars(src, where)
	if err != nil {
		return t, err
	}
	hbCache.Lock()
	if hbCache.m == nil || len(hbCache.m) >= parsedMax {
		hbCache.m = map[string]hbTemplate{}
	}
	hbCache.m[src] = t
	hbCache.Unlock()
	return t, nil
}
