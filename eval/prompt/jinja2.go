package prompt

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/nikolalohinski/gonja/v2/builtins"
	controls "github.com/nikolalohinski/gonja/v2/builtins/control_structures"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/nodes"
	"github.com/nikolalohinski/gonja/v2/parser"
)

// The jinja2 dialect runs on gonja v2, a Go implementation of Jinja2. Verso
// allows the part of Jinja that a prompt needs and that can be checked at
// commit time: {{ expressions }} with filters and tests, {% if %}, {% for %}
// (with loop, break and continue) and {% raw %}. Statements that read other
// files or define names ({% include %}, {% import %}, {% extends %},
// {% macro %}, {% set %}, ...) are refused by name when the template is
// checked, as are filters and tests the engine does not have.

// jinjaControls are the statements Verso allows.
var jinjaControls = func() *exec.ControlStructureSet {
	m := map[string]parser.ControlStructureParser{}
	for _, name := range []string{"if", "for", "raw", "break", "continue"} {
		p, ok := controls.All.Get(name)
		if !ok {
			panic("gonja has no " + name + " statement")
		}
		m[name] = p
	}
	return exec.NewControlStructureSet(m)
}()

// jinjaOut is the filter Verso appends to every {{ output }}: strings print
// as they are, every other value as JSON (never as Python or Go syntax).
const jinjaOut = "__verso_out"

var jinjaEnv = func() *exec.Environment {
	filters := exec.NewFilterSet(map[string]exec.FilterFunction{})
	filters.Update(builtins.Filters)
	if err := filters.Register(jinjaOut, func(_ *exec.Evaluator, in *exec.Value, _ *exec.VarArgs) *exec.Value {
		if in.IsError() {
			return in
		}
		v := in.Interface()
		switch x := v.(type) {
		case nil:
			return exec.AsValue("")
		case string:
			return in
		case map[string]any, []any:
			s, err := jsonText(x)
			if err != nil {
				return exec.AsValue(err)
			}
			return exec.AsValue(s)
		case bool:
			return exec.AsValue(fmt.Sprint(x))
		}
		return in
	}); err != nil {
		panic(err)
	}
	// promptfoo's templates are Nunjucks, where dump is built in
	// (JSON.stringify, with an optional indent) and promptfoo adds load
	// (JSON.parse): prompts built as JSON chats use both.
	if err := filters.Register("dump", filterDump); err != nil {
		panic(err)
	}
	if err := filters.Register("load", filterLoad); err != nil {
		panic(err)
	}
	return &exec.Environment{
		Context:           exec.EmptyContext().Update(builtins.GlobalFunctions).Update(builtins.GlobalVariables),
		Filters:           filters,
		Tests:             builtins.Tests,
		ControlStructures: jinjaControls,
		Methods:           builtins.Methods,
	}
}()

// filterDump is Nunjucks' dump: the value as JSON (a string quoted and
// escaped), indented by its argument's number of spaces when given.
func filterDump(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	indent := 0
	if len(params.Args) > 1 || len(params.KwArgs) > 0 {
		return exec.AsValue(fmt.Errorf("dump takes one argument (the indent)"))
	}
	if len(params.Args) == 1 {
		if !params.Args[0].IsInteger() {
			return exec.AsValue(fmt.Errorf("dump: the indent %s is not a whole number", params.Args[0].String()))
		}
		indent = params.Args[0].Integer()
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if indent > 0 {
		enc.SetIndent("", strings.Repeat(" ", indent))
	}
	if err := enc.Encode(in.Interface()); err != nil {
		return exec.AsValue(fmt.Errorf("dump: %v", err))
	}
	return exec.AsValue(strings.TrimSuffix(b.String(), "\n"))
}

// filterLoad is promptfoo's load: a JSON text parsed into its value.
func filterLoad(_ *exec.Evaluator, in *exec.Value, params *exec.VarArgs) *exec.Value {
	if in.IsError() {
		return in
	}
	if len(params.Args) > 0 || len(params.KwArgs) > 0 {
		return exec.AsValue(fmt.Errorf("load takes no argument"))
	}
	if !in.IsString() {
		return in
	}
	var v any
	if err := json.Unmarshal([]byte(in.String()), &v); err != nil {
		return exec.AsValue(fmt.Errorf("load: not JSON: %v", err))
	}
	return exec.AsValue(v)
}

// jsonText is v as compact JSON, with <, > and & as they are (a prompt is
// not HTML).
func jsonText(v any) (string, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// oneLoader serves the template itself and nothing else: a Verso template
// never reads a file.
type oneLoader struct{ src string }

func (l oneLoader) Read(path string) (io.Reader, error) {
	if path != "verso" {
		return nil, fmt.Errorf("templates cannot read files (%s)", path)
	}
	return strings.NewReader(l.src), nil
}
func (l oneLoader) Resolve(path string) (string, error)    { return path, nil }
func (l oneLoader) Inherit(string) (loaders.Loader, error) { return l, nil }

func (t jinjaTemplate) names() (required, optional []string) { return t.required, t.optional }

// jinjaTemplate is a parsed and checked jinja2 template.
type jinjaTemplate struct {
	t                  *exec.Template
	required, optional []string
}

func (t jinjaTemplate) exec(data map[string]any) (out string, err error) {
	// The engine panics on some arithmetic (a modulo or division by zero):
	// a template must fail its render, never the process.
	defer func() {
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("%v", r)
		}
	}()
	s, err := t.t.ExecuteToString(exec.NewContext(data))
	if err != nil {
		return "", fmt.Errorf("%s", oneLineMsg(strings.TrimPrefix(err.Error(), "unable to execute template: ")))
	}
	return s, nil
}

var jinjaStmtRE = regexp.MustCompile(`\{%-?\s*([a-zA-Z_]+)`)

func parseJinja(src, where string) (jinjaTemplate, error) {
	// Name a statement Verso leaves out before gonja says it does not know it.
	for _, m := range jinjaStmtRE.FindAllStringSubmatch(src, -1) {
		name := m[1]
		if strings.HasPrefix(name, "end") || name == "else" || name == "elif" {
			continue
		}
		if !jinjaControls.Exists(name) {
			return jinjaTemplate{}, &SyntaxError{Where: where, Err: fmt.Errorf("{%% %s %%} is not available in Verso's jinja2 dialect (allowed: if, for, raw, break, continue)", name)}
		}
	}
	if m := mustacheTagRE.FindString(src); m != "" {
		return jinjaTemplate{}, &SyntaxError{Where: where, Err: fmt.Errorf("this looks like Mustache or Handlebars (`%s`); set the dialect to mustache or handlebars", m)}
	}
	cfg := config.New()
	t, err := exec.NewTemplate("verso", cfg, oneLoader{src}, jinjaEnv)
	if err != nil {
		msg := strings.TrimPrefix(err.Error(), "failed to parse template '"+src+"': ")
		return jinjaTemplate{}, &SyntaxError{Where: where, Err: fmt.Errorf("%s", oneLineMsg(msg))}
	}
	a := jinjaAnalysis{where: where}
	a.wrapper(t.Root().Nodes, nil)
	if a.err != nil {
		return jinjaTemplate{}, &SyntaxError{Where: where, Err: a.err}
	}
	return jinjaTemplate{t: t, required: a.required, optional: a.optional}, nil
}

func oneLineMsg(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// jinjaAnalysis walks a template: it lists the variables it reads
// (required when printed, optional when only tested or looped over, as a
// mustache section), checks every filter and test exists, and wraps every
// output in the JSON filter.
type jinjaAnalysis struct {
	where              string
	required, optional []string
	err                error
}

func (a *jinjaAnalysis) fail(format string, args ...any) {
	if a.err == nil {
		a.err = fmt.Errorf(format, args...)
	}
}

func (a *jinjaAnalysis) note(name string, required bool) {
	if required {
		if !slices.Contains(a.required, name) {
			a.required = append(a.required, name)
		}
		if i := slices.Index(a.optional, name); i >= 0 {
			a.optional = slices.Delete(a.optional, i, i+1)
		}
		return
	}
	if !slices.Contains(a.required, name) && !slices.Contains(a.optional, name) {
		a.optional = append(a.optional, name)
	}
}

func (a *jinjaAnalysis) wrapper(ns []nodes.Node, scope []string) {
	for _, n := range ns {
		switch n := n.(type) {
		case *nodes.Data, *nodes.Comment:
		case *nodes.Output:
			a.expr(n.Expression, true, scope)
			if n.Condition != nil {
				a.expr(n.Condition, false, scope)
			}
			if n.Alternative != nil {
				a.expr(n.Alternative, true, scope)
			}
			n.Expression = wrapOut(n.Expression)
			if n.Alternative != nil {
				n.Alternative = wrapOut(n.Alternative)
			}
		case *nodes.ControlStructureBlock:
			a.control(n, scope)
		case *nodes.Wrapper:
			a.wrapper(n.Nodes, scope)
		default:
			a.fail("unsupported template element %T", n)
		}
	}
}

func wrapOut(e nodes.Expression) nodes.Expression {
	call := &nodes.FilterCall{Name: jinjaOut}
	if f, ok := e.(*nodes.FilteredExpression); ok {
		f.Filters = append(f.Filters, call)
		return f
	}
	return &nodes.FilteredExpression{Expression: e, Filters: []*nodes.FilterCall{call}}
}

func (a *jinjaAnalysis) control(b *nodes.ControlStructureBlock, scope []string) {
	switch c := b.ControlStructure.(type) {
	case *controls.IfControlStructure:
		for _, cond := range c.Conditions {
			a.expr(cond, false, scope)
		}
		for _, w := range c.Wrappers {
			a.wrapper(w.Nodes, scope)
		}
	case *controls.ForControlStructure:
		a.expr(c.ObjectEvaluator, false, scope)
		inner := append(slices.Clone(scope), "loop", c.Key)
		if c.Value != "" {
			inner = append(inner, c.Value)
		}
		if c.IfCondition != nil {
			a.expr(c.IfCondition, false, inner)
		}
		if c.BodyWrapper != nil {
			a.wrapper(c.BodyWrapper.Nodes, inner)
		}
		if c.EmptyWrapper != nil {
			a.wrapper(c.EmptyWrapper.Nodes, scope)
		}
	case *controls.RawControlStructure, *controls.BreakControlStructure, *controls.ContinueControlStructure:
	default:
		a.fail("{%% %s %%} is not available in Verso's jinja2 dialect", b.Name)
	}
}

// optionalFilters make a missing value fine: {{ x | default('none') }}.
var optionalFilters = map[string]bool{"default": true, "d": true}

// optionalTests ask whether a value exists: {% if x is defined %}.
var optionalTests = map[string]bool{"defined": true, "undefined": true, "none": true}

func (a *jinjaAnalysis) expr(e nodes.Expression, required bool, scope []string) {
	switch e := e.(type) {
	case nil:
	case *nodes.Name:
		a.name(e.Name.Val, required, scope)
	case *nodes.GetAttribute:
		if path, ok := dottedPath(e); ok {
			root, _, _ := strings.Cut(path, ".")
			if slices.Contains(scope, root) || isJinjaGlobal(root) {
				return
			}
			a.note(path, required)
			return
		}
		a.expr(e.Node, required, scope)
	case *nodes.GetItem:
		a.expr(e.Node, required, scope)
		a.expr(e.Arg, true, scope)
	case *nodes.GetSlice:
		a.expr(e.Node, required, scope)
		a.expr(e.Start, true, scope)
		a.expr(e.End, true, scope)
		a.expr(e.Step, true, scope)
	case *nodes.FilteredExpression:
		inner := required
		for _, f := range e.Filters {
			if f.Name == jinjaOut {
				continue
			}
			if !jinjaEnv.Filters.Exists(f.Name) {
				a.fail("filter %q does not exist in the jinja2 dialect (Verso runs gonja; Nunjucks and Python extensions are not available)", f.Name)
				return
			}
			if optionalFilters[f.Name] {
				inner = false
			}
			for _, arg := range f.Args {
				a.expr(arg, true, scope)
			}
			for _, k := range sortedKwargs(f.Kwargs) {
				a.expr(f.Kwargs[k], true, scope)
			}
		}
		a.expr(e.Expression, inner, scope)
	case *nodes.TestExpression:
		if !jinjaEnv.Tests.Exists(e.Test.Name) {
			a.fail("test %q does not exist in the jinja2 dialect", e.Test.Name)
			return
		}
		a.expr(e.Expression, required && !optionalTests[e.Test.Name], scope)
		for _, arg := range e.Test.Args {
			a.expr(arg, true, scope)
		}
	case *nodes.Call:
		a.expr(e.Func, true, scope)
		for _, arg := range e.Args {
			a.expr(arg, true, scope)
		}
		for _, k := range sortedKwargs(e.Kwargs) {
			a.expr(e.Kwargs[k], true, scope)
		}
	case *nodes.BinaryExpression:
		a.expr(e.Left, required, scope)
		a.expr(e.Right, required, scope)
	case *nodes.UnaryExpression:
		a.expr(e.Term, required, scope)
	case *nodes.Negation:
		a.expr(e.Term, required, scope)
	case *nodes.List:
		for _, x := range e.Val {
			a.expr(x, true, scope)
		}
	case *nodes.Tuple:
		for _, x := range e.Val {
			a.expr(x, true, scope)
		}
	case *nodes.Dict:
		for _, p := range e.Pairs {
			a.expr(p.Key, true, scope)
			a.expr(p.Value, true, scope)
		}
	case *nodes.String, *nodes.Integer, *nodes.Float, *nodes.Bool, *nodes.None:
	default:
		a.fail("unsupported expression %s", e)
	}
}

func (a *jinjaAnalysis) name(n string, required bool, scope []string) {
	if slices.Contains(scope, n) || isJinjaGlobal(n) {
		return
	}
	a.note(n, required)
}

func isJinjaGlobal(n string) bool {
	_, ok := jinjaEnv.Context.Get(n)
	return ok
}

// dottedPath gives "a.b.c" for a.b.c written with dots, false otherwise.
func dottedPath(e nodes.Expression) (string, bool) {
	switch e := e.(type) {
	case *nodes.Name:
		return e.Name.Val, true
	case *nodes.GetAttribute:
		if e.Attribute == "" {
			return "", false
		}
		base, ok := dottedPath(e.Node)
		if !ok {
			return "", false
		}
		return base + "." + e.Attribute, true
	}
	return "", false
}

func sortedKwargs(m map[string]nodes.Expression) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// jinjaCache holds parsed jinja2 templates, like parsed for mustache.
var jinjaCache struct {
	sync.Mutex
	m map[string]jinjaTemplate
}

func jinjaParse(src, where string) (jinjaTemplate, error) {
	jinjaCache.Lock()
	t, ok := jinjaCache.m[src]
	jinjaCache.Unlock()
	if ok {
		return t, nil
	}
	t, err := parseJinjaSafe(src, where)
	if err != nil {
		return t, err
	}
	jinjaCache.Lock()
	if jinjaCache.m == nil || len(jinjaCache.m) >= parsedMax {
		jinjaCache.m = map[string]jinjaTemplate{}
	}
	jinjaCache.m[src] = t
	jinjaCache.Unlock()
	return t, nil
}

// parseJinjaSafe is parseJinja with the engine's panics turned into errors.
func parseJinjaSafe(src, where string) (t jinjaTemplate, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = jinjaTemplate{}, fmt.Errorf("%s: %v", where, r)
		}
	}()
	return parseJinja(src, where)
}
