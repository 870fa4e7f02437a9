package common_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/eval/suitefile"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

func TestClean(t *testing.T) {
	in := "a" + ct.Evil + "b\tc\nd\x1b[31me\x1b[0m\u009b2Jf"
	got := common.Clean(in)
	if bad := ct.Unclean(got); bad != "" {
		t.Fatalf("Clean(%q) = %q holds %s", in, got, bad)
	}
	if !strings.Contains(got, "b    c\nd") {
		t.Errorf("Clean dropped text or kept the tab: %q", got)
	}
	line := common.CleanLine(in)
	if bad := ct.Unclean(line); bad != "" || strings.Contains(line, "\n") {
		t.Fatalf("CleanLine(%q) = %q", in, line)
	}
}

func TestFitTruncBox(t *testing.T) {
	wide := "日本語🚀 emoji 漢字漢字"
	for w := 1; w <= 30; w++ {
		if got := ansi.StringWidth(common.Fit(wide, w)); got != w {
			t.Errorf("Fit(%d) is %d columns", w, got)
		}
		if got := ansi.StringWidth(common.Trunc(wide, w)); got > w {
			t.Errorf("Trunc(%d) is %d columns", w, got)
		}
	}
	if common.Fit("x", 0) != "" || common.Trunc("x", -1) != "" || common.Box([]string{"x"}, 0, 3) != "" {
		t.Error("zero sizes")
	}
	styled := "\x1b[1m" + wide + "\x1b[m"
	ct.CheckFrame(t, common.Box([]string{styled, "", wide, "more", "lines", "than", "fit"}, 9, 4), 9, 4)
	ct.CheckFrame(t, common.Box(nil, 5, 2), 5, 2)
}

func TestAgo(t *testing.T) {
	now := ct.Now
	for d, want := range map[time.Duration]string{
		10 * time.Second:    "just now",
		time.Minute:         "1 minute ago",
		5 * time.Minute:     "5 minutes ago",
		3 * time.Hour:       "3 hours ago",
		26 * time.Hour:      "1 day ago",
		12 * 24 * time.Hour: "12 days ago",
	} {
		if got := common.Ago(now.Add(-d), now); got != want {
			t.Errorf("Ago(-%v) = %q, want %q", d, got, want)
		}
	}
	if common.Ago(time.Time{}, now) != "" {
		t.Error("zero time")
	}
	// Older: a date (with the year when it is not this year).
	if got := common.Ago(now.AddDate(-1, 0, 0), now); !strings.Contains(got, "2024") {
		t.Errorf("last year: %q", got)
	}
}

func TestExplain(t *testing.T) {
	if common.Explain(nil) != "" {
		t.Error("nil")
	}
	ro := common.Explain(fmt.Errorf("commit x: %w", store.ErrReadOnly))
	if !strings.Contains(ro, "writable copy") {
		t.Errorf("read-only: %q", ro)
	}
	conflict := common.Explain(fmt.Errorf("commit x: %w", store.ErrConflict))
	if !strings.Contains(conflict, "try again") {
		t.Errorf("conflict: %q", conflict)
	}
	evil := common.Explain(errors.New("boom " + ct.Evil))
	if bad := ct.Unclean(evil); bad != "" {
		t.Errorf("Explain keeps %s", bad)
	}
}

func TestVersionLinesClean(t *testing.T) {
	st, _ := ct.OpenFixedStore(t)
	ct.Hostile(t, st)
	c := ct.NewCommon(t, st, ct.Dark())
	for _, name := range []string{ct.EvilText, ct.EvilChat} {
		v, err := st.Lookup(context.Background(), name+"@latest")
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range []bool{false, true} {
			for _, w := range []int{10, 33, 80} {
				lines := common.VersionLines(c, v, w, raw)
				for i, l := range lines {
					if bad := ct.Unclean(l); bad != "" {
						t.Fatalf("%s raw=%v w=%d line %d holds %s", name, raw, w, i, bad)
					}
					if got := ansi.StringWidth(l); got > w+1 {
						t.Errorf("%s raw=%v w=%d line %d is %d columns: %q", name, raw, w, i, got, ansi.Strip(l))
					}
				}
			}
		}
		spec := common.VersionDiff(c, v, v)
		for _, h := range spec.Header {
			if bad := ct.Unclean(common.CleanLine(h)); bad != "" {
				t.Errorf("diff header: %s", bad)
			}
		}
	}
}

func TestVersionDiff(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	c := ct.NewCommon(t, st, ct.Dark())
	ctx := context.Background()
	v2, _ := st.Version(ctx, ct.Support, 2)
	v4, _ := st.Version(ctx, ct.Support, 4)
	spec := common.VersionDiff(c, v2, v4)
	if spec.Title != "support/reply v2 ↔ v4" || spec.LeftTitle != "v2 · production" || spec.RightTitle != "v4 · development" {
		t.Errorf("titles: %q %q %q", spec.Title, spec.LeftTitle, spec.RightTitle)
	}
	if len(spec.Header) != 2 || !strings.HasPrefix(spec.Header[0], "- v2") || !strings.Contains(spec.Header[1], "Shorter sign-off  — devon, 2 hours ago") {
		t.Errorf("header: %q", spec.Header)
	}
	if spec.LeftConfig == nil || spec.RightConfig == nil {
		t.Error("configs missing")
	}
	// A new prompt: no left side, no config section.
	spec = common.VersionDiff(c, store.Version{}, v4)
	if len(spec.Header) != 1 || spec.LeftConfig != nil || spec.LeftTitle != "(none)" {
		t.Errorf("new prompt: %+v", spec)
	}
	chat, _ := st.Version(ctx, ct.Sales, 2)
	if got := common.VersionText(chat); !strings.HasPrefix(got, "## system\nYou write") || !strings.Contains(got, "\n## user\n") {
		t.Errorf("chat text: %q", got)
	}
	if got := common.ConfigSummary(chat.Config); got != "gpt-4o · temperature 0.5 · max_tokens 400" {
		t.Errorf("config summary: %q", got)
	}
}

func TestHighlightVars(t *testing.T) {
	c := ct.NewCommon(t, nil, ct.Dark())
	got := common.HighlightVars(c, "a {{x}} b {{ y\n}} c {{z}}")
	if !strings.Contains(got, c.Styles.Variable.Render("{{x}}")) || !strings.Contains(got, c.Styles.Variable.Render("{{z}}")) {
		t.Errorf("variables not highlighted: %q", got)
	}
	if ansi.Strip(got) != "a {{x}} b {{ y\n}} c {{z}}" {
		t.Errorf("text changed: %q", ansi.Strip(got))
	}
}

func TestMarkdownHasNoHyperlinks(t *testing.T) {
	c := ct.NewCommon(t, nil, ct.Dark())
	out := c.Markdown("see [the docs](https://example.com/docs), <https://example.com> and ![img](http://x/y.png)", 60)
	if bad := ct.Unclean(out); bad != "" {
		t.Fatalf("markdown holds %s: %q", bad, out)
	}
	if plain := ansi.Strip(out); !strings.Contains(plain, "https://example.com/docs") {
		t.Errorf("the link target is not shown: %q", plain)
	}
}

// Rendered templates show {{variables}} in the variable colour, and the
// text around them keeps its markdown styling and its width.
func TestTemplateHighlightsVariables(t *testing.T) {
	c := ct.NewCommon(t, nil, ct.Dark())
	text := "# Reply\n\nDear **{{customer}}**, about {{issue}}: see `{{link}}`.\n{{#items}}- {{name}}{{/items}}"
	plainMD := ansi.Strip(c.Markdown(text, 60))
	out := c.Template(text, 60)
	if ansi.Strip(out) != plainMD {
		t.Fatalf("highlighting changed the text:\n%s\nwant\n%s", ansi.Strip(out), plainMD)
	}
	for _, v := range []string{"{{customer}}", "{{issue}}", "{{link}}", "{{#items}}", "{{name}}", "{{/items}}"} {
		if !strings.Contains(out, c.Styles.Variable.Render(v)) {
			t.Errorf("%s is not in the variable style:\n%q", v, out)
		}
	}
	for i, l := range strings.Split(out, "\n") {
		if w, pw := ansi.StringWidth(l), ansi.StringWidth(strings.Split(plainMD, "\n")[i]); w != pw {
			t.Errorf("line %d is %d columns, the plain render %d", i, w, pw)
		}
	}
	if c.Markdown(text, 60) == out {
		t.Error("Markdown (model output) highlights variables too")
	}
}

func TestSetKeys(t *testing.T) {
	c := ct.NewCommon(t, nil, ct.Dark())
	if err := c.SetKeys(map[string][]string{"quit": {"ctrl+q"}, "down": {"n", "down"}}); err != nil {
		t.Fatal(err)
	}
	if got := c.Keys.Quit.Keys(); len(got) != 1 || got[0] != "ctrl+q" || c.Keys.Quit.Help().Key != "ctrl+q" || c.Keys.Quit.Help().Desc != "quit" {
		t.Errorf("quit: %v %+v", got, c.Keys.Quit.Help())
	}
	if n, ok := c.List.Move(ct.Key("n"), 0, 3, 1); !ok || n != 1 {
		t.Errorf("n does not move down: %d %v", n, ok)
	}
	if _, ok := c.List.Move(ct.Key("j"), 0, 3, 1); ok {
		t.Error("j still moves down after the override")
	}
	if c.Keys.Back.Keys()[0] != "q" || c.List.Up.Keys()[0] != "up" {
		t.Error("bindings not named in the config changed")
	}
	for _, bad := range []map[string][]string{{"quitt": {"x"}}, {"up": {}}, {"up": {""}}} {
		err := c.SetKeys(bad)
		if err == nil || !strings.Contains(err.Error(), "keys:") {
			t.Errorf("%v: %v", bad, err)
		}
	}
	if err := c.SetKeys(map[string][]string{"quitt": {"x"}}); !strings.Contains(err.Error(), "back, bottom, down, help") {
		t.Errorf("the error does not list the names: %v", err)
	}
}

// A long response_format is cut by columns, never inside a UTF-8
// character (the summary once cut it at byte 39).
func TestConfigSummaryCutsWholeCharacters(t *testing.T) {
	cfg := store.Config{ResponseFormat: map[string]any{"type": "json_schema", "name": strings.Repeat("é", 40)}}
	got := common.ConfigSummary(cfg)
	if !utf8.ValidString(got) || strings.ContainsRune(got, utf8.RuneError) {
		t.Fatalf("summary holds a split character: %q", got)
	}
	rf := strings.TrimPrefix(got, "response_format ")
	if w := ansi.StringWidth(rf); w != 40 || !strings.HasSuffix(rf, "…") {
		t.Fatalf("response_format cut to %d columns: %q", w, rf)
	}
}

// TestExplainGivesTUIAdvice: typed store and eval errors get the TUI's own
// advice (its keys), never a command-line flag.
func TestExplainGivesTUIAdvice(t *testing.T) {
	gate := store.GateSettings{DefaultSuite: "default", MinPassRate: 1}
	ev := &store.Evidence{RunID: 7, Suite: "default", Passed: 3, Total: 4, PassRate: 0.75}
	cases := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("label p@2 production: %w", &store.GateError{Decision: store.GateDecision{Prompt: "p", Label: "production", Version: 2, Verdict: store.GateRefused, Reason: store.GateNoRun, Gate: gate}}),
			"v2 has no finished run on suite \"default\" since it was made: ctrl+r runs the suite, or type a reason and ctrl+f forces it"},
		{&store.GateError{Decision: store.GateDecision{Prompt: "p", Label: "production", Version: 2, Verdict: store.GateRefused, Reason: store.GateBelowMin, Gate: gate, Evidence: ev}},
			"passed 3/4 (75%), the gate needs 100%: fix the failures and ctrl+r runs the suite again"},
		{&store.GateError{Decision: store.GateDecision{Prompt: "p", Label: "production", Verdict: store.GateRefused, Reason: store.GateRemoval, Gate: gate, ByLocalGate: true}},
			"production is protected (by your config file's gate section): removing it needs force and a reason: type a reason, then ctrl+f forces it"},
		{fmt.Errorf("remove label: %w", store.ErrNeedReason), "a forced change needs a reason: type it, then ctrl+f"},
		{&store.LabelMovedError{Prompt: "p", Label: "staging", Expected: 3, Actual: 4}, "it is on v4, not v3: nothing was changed"},
		{&prompt.MissingError{Names: []string{"name"}}, "missing variables: name: e on the test case sets them"},
		{&provider.KeyError{Provider: "openai", Env: "OPENAI_API_KEY"}, "export OPENAI_API_KEY before starting verso, or tick another model in the run form"},
		{fmt.Errorf("eval: %w", &runner.NoModelError{Prompt: "p", Version: 2}), "p@2 has no model in its config: tick a model in the run form"},
		{&runner.EmptySuiteError{Prompt: "p", Suite: "smoke"}, `suite "smoke" of p has no cases: add cases in the Tests tab (a) or import a file (i)`},
		{&runner.ComparisonError{Prompt: "p", Suite: "s", Case: "c", Err: errors.New("select-best compares outputs")}, `suite "s" of p, case "c": select-best compares outputs: tick two or more versions or models in the run form`},
		{&runner.StoppedError{RunID: 9, Calls: 8, Reason: "HTTP 429", Last: "quota"}, "finished results are kept: R on the run resumes it once the server recovers"},
		{&suitefile.TooManyCasesError{Max: 10}, "more than 10 cases: split the suite into smaller files"},
		{fmt.Errorf("provider demo: %w", provider.ErrDemoNotRunning), "the demo model server is not running: quit and start verso again"},
	}
	for _, c := range cases {
		got := common.Explain(c.err)
		if !strings.Contains(got, c.want) || strings.Contains(got, "--") || strings.Contains(got, "`verso") {
			t.Errorf("Explain(%v) = %q, want it to contain %q and no flag", c.err, got, c.want)
		}
	}
}

// A prompt is not markdown prose: a single line break reaches the model,
// so the rendered view keeps it ("Changes:\n{{changes}}" is two lines, in
// templates and in model output alike).
func TestRenderedViewKeepsLineBreaks(t *testing.T) {
	c := ct.NewCommon(t, nil, ct.Dark())
	for name, out := range map[string]string{
		"template": c.Template("Changes:\n{{changes}}", 60),
		"output":   c.Markdown("Dear Ana,\nthanks for waiting.", 60),
	} {
		var lines []string
		for _, l := range strings.Split(ansi.Strip(out), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
		if len(lines) != 2 {
			t.Errorf("%s: want two lines, got %q", name, lines)
		}
	}
}
