package prompt

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
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
	"role":    "a Dotprompt role marker: import the .prompt file so each role becomes a chat message",
	"history": "Dotprompt's conversation history has no equivalent in Verso",
	"media":   "Dotprompt's media parts have no equivalent in Verso",
	"section": "Dotprompt's sections have no equivalent in Verso",
}

// hbEqualsHelpers are Dotprompt's comparison block helpers:
// {{#ifEquals a b}}...{{else}}...{{/ifEquals}} and unlessEquals.
var hbEqualsHelpers = map[string]bool{"ifEquals": true, "unlessEquals": true}

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
		return hbTemplate{}, &SyntaxError{Where: where, Err: errors.New(hbParseError(err, 1))}
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
	t.RegisterHelper("ifEquals", func(x, y any, o *raymond.Options) string {
		if hbEqual(unHB(x), unHB(y)) {
			return o.Fn()
		}
		return o.Inverse()
	})
	t.RegisterHelper("unlessEquals", func(x, y any, o *raymond.Options) string {
		if !hbEqual(unHB(x), unHB(y)) {
			return o.Fn()
		}
		return o.Inverse()
	})
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
	// guards are the variables known to be set where the walk is: inside
	// {{#if x}} (and the else of {{#unless x}}), x and its fields are
	// optional, as the template only prints them when x is there.
	guards []string
}

// guarded walks p with name as a guard.
func (a *hbAnalysis) guarded(name string, p *ast.Program, inner bool) {
	a.guards = append(a.guards, name)
	a.program(p, inner)
	a.guards = a.guards[:len(a.guards)-1]
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
				a.fail("helper %q is not available in the handlebars dialect (available: if, unless, each, with, ifEquals, unlessEquals, lookup, json): a helper registered in code is not part of the template, so pass its result in as a variable or remove the call", name)
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
	name := strings.Join(p.Parts, ".")
	for _, g := range a.guards {
		if name == g || strings.HasPrefix(name, g+".") {
			required = false
		}
	}
	a.note(name, required)
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
	case hbEqualsHelpers[name]:
		if len(e.Params) != 2 || e.Hash != nil {
			a.fail("{{#%s}} takes two arguments to compare", name)
			return
		}
		for _, arg := range e.Params {
			if p, ok := arg.(*ast.PathExpression); ok {
				// A missing variable is not equal to anything, as in
				// Dotprompt.
				a.path(p, false, inner)
			} else {
				a.param(arg, inner)
			}
		}
		a.program(b.Program, inner)
		a.program(b.Inverse, inner)
	case hbBlockHelpers[name]:
		if len(e.Params) != 1 {
			a.fail("{{#%s}} takes one argument", name)
			return
		}
		p, isVar := e.Params[0].(*ast.PathExpression)
		if isVar {
			a.path(p, false, inner)
		} else {
			a.param(e.Params[0], inner)
		}
		guard := ""
		if isVar && !inner && !p.Data && p.Depth == 0 && len(p.Parts) > 0 {
			guard = strings.Join(p.Parts, ".")
		}
		switch {
		case guard != "" && name == "if":
			a.guarded(guard, b.Program, inner)
			a.program(b.Inverse, inner)
		case guard != "" && name == "unless":
			a.program(b.Program, inner)
			a.guarded(guard, b.Inverse, inner)
		default:
			a.program(b.Program, inner || name == "each" || name == "with")
			a.program(b.Inverse, inner)
		}
	case hbDotprompt[name] != "":
		a.fail("helper %q is not available in the handlebars dialect: %s", name, hbDotprompt[name])
	case len(e.Params) > 0 || e.Hash != nil || hbHelpers[name]:
		a.fail("block helper %q is not available in the handlebars dialect (available: if, unless, each, with, ifEquals, unlessEquals): a helper registered in code is not part of the template, so pass its result in as a variable or remove the block", name)
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

// hbEqual is Dotprompt's ifEquals comparison (JavaScript's ==) on the
// values a template sees: numbers by value (a numeric string equals its
// number), strings, booleans and null alike; lists and objects are never
// equal.
func hbEqual(x, y any) bool {
	num := func(v any) (float64, bool) {
		switch n := v.(type) {
		case float64:
			return n, true
		case float32:
			return float64(n), true
		case int:
			return float64(n), true
		case int64:
			return float64(n), true
		case json.Number:
			f, err := n.Float64()
			return f, err == nil
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
			return f, err == nil && strings.TrimSpace(n) != ""
		}
		return 0, false
	}
	switch xv := x.(type) {
	case nil:
		return y == nil
	case string:
		if ys, ok := y.(string); ok {
			return xv == ys
		}
	case bool:
		yb, ok := y.(bool)
		return ok && xv == yb
	case map[string]any, []any:
		return false
	}
	if y == nil {
		return false
	}
	if _, isBool := y.(bool); isBool {
		return false
	}
	a, ok1 := num(x)
	b, ok2 := num(y)
	return ok1 && ok2 && a == b
}

var (
	hbLineRE  = regexp.MustCompile(`^Parse error on line (\d+): (.*)$`)
	hbLexerRE = regexp.MustCompile(`^Lexer error Token: Error\{"(.*)"\}$`)
	// A comparison or arithmetic operator inside {{...}}.
	hbOperatorRE = regexp.MustCompile(`^unexpected character in expression: '[<>=!&|+*%]'$`)
	// raymond: "if doesn't match section Node: ..."
	hbMismatchRE = regexp.MustCompile(`^(\S+) doesn't match (\S+)`)
)

// hbParseError says what raymond's parser found in words: "not valid
// Handlebars at line 3: a block is never closed".
func hbParseError(err error, firstLine int) string {
	msg := strings.Join(strings.Fields(err.Error()), " ")
	m := hbLineRE.FindStringSubmatch(msg)
	if m == nil {
		return "not valid Handlebars: " + msg
	}
	what := m[2]
	switch {
	case hbLexerRE.MatchString(what) && hbLexerRE.FindStringSubmatch(what)[1] != "":
		lx := hbLexerRE.FindStringSubmatch(what)[1]
		what = strings.ToLower(lx[:1]) + lx[1:]
		switch {
		case hbOperatorRE.MatchString(what):
			what += ": Handlebars has no operators; compute the condition into a variable ({{#if adult}}) or compare with {{#ifEquals a b}}"
		case what == "unclosed expression":
			what += ": a {{ is never closed with }}"
		}
	case strings.HasPrefix(what, "Expecting OpenEndBlock, got: 'EOF'"):
		what = "a block is never closed (its {{/name}} is missing): close it, or remove its {{#name}}"
	case strings.HasPrefix(what, "Syntax error Token: OpenEndBlock"):
		what = "a {{/name}} closes no open block: remove it, or open the block it closes"
	case hbMismatchRE.MatchString(what):
		mm := hbMismatchRE.FindStringSubmatch(what)
		what = "{{/" + mm[2] + "}} closes the {{#" + mm[1] + "}} block: close blocks in the order they open"
	}
	line, _ := strconv.Atoi(m[1])
	return fmt.Sprintf("not valid Handlebars at line %d: %s", line+firstLine-1, what)
}

// HandlebarsSyntax checks that src parses as Handlebars, as Dotprompt
// compiles the whole body of a .prompt file, role markers included. The
// line in its error counts from firstLine, the body's first line in its
// file, so the error points into the file the user has open.
func HandlebarsSyntax(src string, firstLine int) error {
	if _, err := parser.Parse(src); err != nil {
		return errors.New(hbParseError(err, firstLine))
	}
	return nil
}
