package assert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime/metrics"
	"strings"
	"time"

	"github.com/dop251/goja"
)

// ScriptLimits bound one javascript or python assertion call. A call past
// its time (or, for JavaScript, past its memory) is stopped and that
// assertion fails with the reason; the run goes on.
var ScriptLimits = struct {
	// Time per call (both languages).
	Time time.Duration
	// Memory is how far the process's heap may grow while a JavaScript
	// assertion runs (checked every few milliseconds); Stack bounds its
	// call depth.
	Memory uint64
	Stack  int
}{Time: 5 * time.Second, Memory: 256 << 20, Stack: 10_000}

// PythonCommand is the interpreter python assertions run with.
var PythonCommand = "python3"

// jsSource wraps an assertion's code as promptfoo reads it: an expression
// (output.length < 100) is returned; other code (on several lines, or a
// statement) is a function body. Either way it sees output and context.
func jsSource(code string, expr bool) string {
	body := strings.TrimSpace(code)
	if expr {
		body = "return (" + body + "\n);"
	}
	return "(function (output, context) {\n" + body + "\n})"
}

// compileJS compiles an assertion's code: a single line as an expression
// first, else (or when that fails) as a function body.
func compileJS(code string) (*goja.Program, error) {
	single := !strings.Contains(strings.TrimSpace(code), "\n")
	if single && !strings.HasPrefix(strings.TrimSpace(code), "return") {
		if p, err := goja.Compile("assertion.js", jsSource(code, true), false); err == nil {
			return p, nil
		}
	}
	return goja.Compile("assertion.js", jsSource(code, false), false)
}

func validateJS(v Validation) error {
	if v.Empty {
		return errors.New("javascript needs code as its value (an expression such as output.length < 100, or a function body that returns)")
	}
	code, ok := v.Value.(string)
	if !ok {
		return errors.New("javascript: value must be code (a string)")
	}
	if v.Templated {
		return nil
	}
	if _, err := compileJS(code); err != nil {
		return fmt.Errorf("javascript: syntax error in %q: %s", excerpt(code, 60), oneLine(err.Error()))
	}
	return nil
}

// scriptContext is promptfoo's context argument: the case's vars, the
// prompt sent, and the test.
func scriptContext(c Call) map[string]any {
	vars := c.Input.Vars
	if vars == nil {
		vars = map[string]any{}
	}
	return map[string]any{"vars": vars, "prompt": c.Input.Prompt, "test": map[string]any{"vars": vars}}
}

func checkJS(ctx context.Context, c Call) (bool, float64, string) {
	code := toString(c.Value)
	prog, err := compileJS(code)
	if err != nil {
		return c.noVerdict("javascript: syntax error: " + oneLine(err.Error()))
	}
	// The limits are read once: the watcher may outlive this call by a
	// tick, and must not read them while they change.
	lim := ScriptLimits
	vm := goja.New()
	vm.SetMaxCallStackSize(lim.Stack)
	vm.SetFieldNameMapper(goja.TagFieldNameMapper("json", true))
	// No require, no console, no timers: the engine has no file or network
	// access of its own, and none is given to it.
	ctx, cancel := context.WithTimeout(ctx, lim.Time)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go watch(ctx, done, vm, lim.Time, lim.Memory)
	fnv, err := vm.RunProgram(prog)
	if err != nil {
		return c.noVerdict("javascript: " + scriptError(err))
	}
	fn, ok := goja.AssertFunction(fnv)
	if !ok {
		return c.noVerdict("javascript: the code is not a function")
	}
	out, err := fn(goja.Undefined(), vm.ToValue(c.Input.Output), vm.ToValue(scriptContext(c)))
	if err != nil {
		var ex *goja.Exception
		if errors.As(err, &ex) {
			// The code threw (JSON.parse of an output that is not JSON):
			// the output fails it, as in promptfoo.
			return c.scriptFailed("javascript threw: " + oneLine(ex.Error()))
		}
		return c.noVerdict("javascript: " + scriptError(err))
	}
	return scriptResult(c, "javascript", out.Export())
}

// watch stops the VM when the call's time is up or the heap grew past the
// memory bound.
func watch(ctx context.Context, done chan struct{}, vm *goja.Runtime, limit time.Duration, memory uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	heap := func() uint64 {
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			return sample[0].Value.Uint64()
		}
		return 0
	}
	base := heap()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			vm.Interrupt(fmt.Sprintf("stopped after %s (the time limit of a script assertion)", limit))
			return
		case <-tick.C:
			if h := heap(); h > base && h-base > memory {
				vm.Interrupt(fmt.Sprintf("stopped: it allocated more than %d MiB (the memory limit of a script assertion)", memory>>20))
				return
			}
		}
	}
}

func scriptError(err error) string {
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		return fmt.Sprint(ie.Value())
	}
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		return fmt.Sprintf("stopped: calls nested deeper than %d (the call stack limit of a script assertion)", ScriptLimits.Stack)
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return oneLine(ex.Error())
	}
	return oneLine(err.Error())
}

// scriptResult reads what a script returned, as promptfoo does: a boolean,
// a number (the score: it passes above 0, or at the threshold when there
// is one) or a grading result {pass, score, reason}.
func scriptResult(c Call, lang string, v any) (bool, float64, string) {
	switch x := v.(type) {
	case bool:
		return x, b2f(x), fmt.Sprintf("%s returned %v", lang, x)
	case map[string]any:
		p, ok := x["pass"].(bool)
		if !ok {
			return c.scriptFailed(lang + ": a grading result needs pass: true or false")
		}
		score := b2f(p)
		if f, ok := number(x["score"]); ok {
			score = f
		}
		reason := toString(x["reason"])
		if reason == "" {
			reason = fmt.Sprintf("%s returned pass %v", lang, p)
		}
		return p, score, excerpt(reason, 200)
	}
	if f, ok := number(v); ok {
		if _, isString := v.(string); !isString {
			pass := f > 0
			if c.Assertion.Threshold != nil {
				pass = f >= *c.Assertion.Threshold
			}
			return pass, f, fmt.Sprintf("%s returned %g", lang, f)
		}
	}
	return c.scriptFailed(fmt.Sprintf("%s must return a boolean, a number or {pass, score, reason}, not %s", lang, excerpt(toString(v), 60)))
}

// pythonRunner runs one assertion: it reads {code, output, context} as
// JSON on stdin and prints the result after a marker on its last line.
const pythonRunner = `import json, sys
d = json.load(sys.stdin)
code = d["code"].strip("\n")
if "\n" in code.strip() or code.strip().startswith("return"):
    lines = code.splitlines()
    pad = min((len(l) - len(l.lstrip()) for l in lines if l.strip()), default=0)
    src = "def __verso_check(output, context):\n" + "\n".join("    " + l[pad:] for l in lines) + "\n"
else:
    src = "def __verso_check(output, context):\n    return (" + code.strip() + "\n)\n"
ns = {}
exec(compile(src, "<assertion>", "exec"), ns)
r = ns["__verso_check"](d["output"], d["context"])
if not (r is None or isinstance(r, (bool, int, float, dict))):
    r = {"__verso_type": type(r).__name__}
sys.stdout.write("\n\x1everso-result\x1e" + json.dumps(r) + "\n")
`

const pyMarker = "\x1everso-result\x1e"

func checkPython(ctx context.Context, c Call) (bool, float64, string) {
	bin, err := exec.LookPath(PythonCommand)
	if err != nil {
		return c.noVerdict(fmt.Sprintf("python assertions run %s, which is not on PATH: install Python 3 or remove the assertion", PythonCommand))
	}
	in, _ := json.Marshal(map[string]any{"code": toString(c.Value), "output": c.Input.Output, "context": scriptContext(c)})
	ctx, cancel := context.WithTimeout(ctx, ScriptLimits.Time)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-I", "-c", pythonRunner)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr capped
	stdout.max, stderr.max = 1<<20, 4<<10
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	groupKill(cmd)
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return c.noVerdict(fmt.Sprintf("python: stopped after %s (the time limit of a script assertion)", ScriptLimits.Time))
	}
	if ctx.Err() != nil {
		return c.noVerdict("python: " + ctx.Err().Error())
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		raised := strings.HasPrefix(msg, "Traceback ")
		if i := strings.LastIndex(msg, "\n"); i >= 0 {
			msg = msg[i+1:] // the exception line of the traceback
		}
		if msg == "" {
			msg = err.Error()
		}
		if raised {
			// The code raised (json.loads of an output that is not JSON):
			// the output fails it, as in promptfoo.
			return c.scriptFailed("python raised: " + excerpt(msg, 200))
		}
		return c.noVerdict("python: " + excerpt(msg, 200))
	}
	out := stdout.String()
	i := strings.LastIndex(out, pyMarker)
	if i < 0 {
		return c.noVerdict("python: the assertion printed no result")
	}
	var v any
	if err := json.Unmarshal([]byte(strings.TrimSpace(out[i+len(pyMarker):])), &v); err != nil {
		return c.noVerdict("python: unreadable result: " + err.Error())
	}
	if m, ok := v.(map[string]any); ok {
		if t, ok := m["__verso_type"].(string); ok {
			v = "a " + t
		}
	}
	return scriptResult(c, "python", v)
}

func validatePython(v Validation) error {
	if v.Empty {
		return errors.New("python needs code as its value (an expression such as len(output) < 100, or a function body that returns)")
	}
	if _, ok := v.Value.(string); !ok {
		return errors.New("python: value must be code (a string)")
	}
	return nil
}

// capped keeps the first max bytes written to it.
type capped struct {
	bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

var _ io.Writer = (*capped)(nil)
