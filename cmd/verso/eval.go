package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/eval/config"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/eval/report"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/store"
)

func newEvalCmd(a *app) *cobra.Command {
	var (
		suite, format, out string
		models             []string
		concurrency        int
		repeat             int
		noCache            bool
		resume             int64
		timeout            time.Duration
		yes                bool
	)
	c := &cobra.Command{
		Use:   "eval REF...",
		Short: "Run versions of a prompt against its test suite and compare them",
		Long: "Runs every case of a suite on each version (and each --model), with retries, a response\n" +
			"cache and a comparison report. Exit 0 when every case passes, 1 when any fails or errors.\n" +
			"Models are provider/model (demo/demo-large, openai/gpt-4o-mini); without --model each\n" +
			"version runs on the model of its own config. The demo provider needs no setup.",
		Example: "  verso eval support/reply@3 support/reply@production --model demo/demo-large\n" +
			"  verso eval support/reply --suite smoke --format junit --out report.xml\n" +
			"  verso eval --resume 12",
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case "table", "json", "junit":
			default:
				return usageErr("unknown --format %q: use table, json or junit", format)
			}
			if concurrency < 1 || repeat < 1 {
				return usageErr("--concurrency and --repeat must be at least 1")
			}
			if repeat > maxRepeat {
				return usageErr("--repeat %d: at most %d (each repeat calls every case again)", repeat, maxRepeat)
			}
			if resume == 0 && len(args) == 0 {
				return usageErr("expected at least one REF (e.g. support/reply@3), or --resume RUN")
			}
			if resume != 0 && len(args) > 0 {
				return usageErr("--resume takes no REF: the run knows its versions")
			}
			ctx := cmd.Context()
			cfg, err := a.config()
			if err != nil {
				return err
			}
			reg := provider.NewRegistry(cfg)
			st, err := a.open(false)
			if err != nil {
				return err
			}
			defer st.Close()
			eng := runner.New(st, reg)
			opts := runner.Options{Concurrency: concurrency, NoCache: noCache, Policy: provider.Policy{Timeout: timeout}}
			if !cmd.Flags().Changed("concurrency") && resume != 0 {
				opts.Concurrency = 0 // the run's own
			}
			prog := newProgress(a.stderr, isTerminal(a.stderr))
			opts.OnEvent = prog.event

			var h *runner.Run
			if resume != 0 {
				run, err := st.Run(ctx, resume)
				if err != nil {
					return classify(err)
				}
				need := run.Models
				if su, err := st.Suite(ctx, run.Prompt, run.Suite); err == nil {
					need = append(need, gradingModels(cfg, su)...)
				}
				stop, err := a.startDemo(reg, canonical(reg, need))
				if err != nil {
					return err
				}
				defer stop()
				h, err = eng.Resume(ctx, resume, opts)
				var sc *runner.SuiteChangedError
				switch {
				case errors.Is(err, store.ErrRunLive):
					return usageErr("%v: wait for it to end (or stop that process), then `verso eval --resume %d` runs what is missing", err, resume)
				case errors.As(err, &sc):
					return usageErr("%v: start a new run with `verso eval %s --suite %s`", err, cell(run.Prompt), cell(run.Suite))
				case err != nil:
					return classify(err)
				}
				prog.begin(h, fmt.Sprintf("run %d: resuming %s (suite %s)", h.ID, run.Prompt, run.Suite))
			} else {
				plan, err := a.evalPlan(ctx, st, args, suite, models, repeat)
				if err != nil {
					return err
				}
				// Count the calls before anything starts: a run past the
				// limit needs --yes, and none is created if refused.
				if calls := plannedCalls(plan); calls > runner.MaxCalls {
					return usageErr("this run would make %s calls, more than the %s a run may have: split it (fewer versions, models, cases or repeats)",
						thousands(calls), thousands(runner.MaxCalls))
				} else if calls > confirmCalls && !yes {
					return usageErr("this run makes %s calls (%d versions x %d models x %d cases x %d repeats), more than %s: pass --yes to run it",
						thousands(calls), len(plan.Versions), max(1, len(plan.Models)), len(plan.Suite.Cases), plan.Repeat, thousands(confirmCalls))
				}
				var refs []string
				for _, v := range plan.Versions {
					if len(plan.Models) > 0 {
						refs = append(refs, plan.Models...)
					} else {
						refs = append(refs, v.Config.Model)
					}
				}
				refs = append(refs, gradingModels(cfg, plan.Suite)...)
				stop, err := a.startDemo(reg, canonical(reg, refs))
				if err != nil {
					return err
				}
				defer stop()
				plan.Models = canonical(reg, plan.Models)
				h, err = eng.Start(ctx, plan, opts)
				if err != nil {
					// Plan problems (unknown provider, missing API key) are
					// bad usage; store failures are classified as usual.
					if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrReadOnly) || errors.Is(err, context.Canceled) {
						return classify(err)
					}
					return usageErr("%w", err)
				}
				prog.begin(h, fmt.Sprintf("run %d: %s x %d models x %d cases x %d = %d calls", h.ID, versionList(plan.Versions),
					len(modelsOf(h.Columns)), len(h.Cases), plan.Repeat, h.Total))
			}
			res, werr := h.Wait()
			prog.end()
			if werr != nil && res.Run.ID == 0 {
				return failed(werr)
			}
			if err := a.writeReport(res, format, out); err != nil {
				return err
			}
			if werr != nil {
				return failed(werr)
			}
			if res.Run.Status == store.RunCancelled {
				return failed(fmt.Errorf("run %d cancelled: resume with `verso eval --resume %d`", res.Run.ID, res.Run.ID))
			}
			if !res.Summary.AllPassed() {
				return errSilentFail
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&suite, "suite", "default", "suite to run")
	f.StringArrayVar(&models, "model", nil, "model as provider/model (repeatable; default: each version's config model)")
	f.IntVar(&concurrency, "concurrency", runner.DefaultConcurrency, "calls in flight")
	f.IntVar(&repeat, "repeat", 1, "run every case N times")
	f.BoolVar(&noCache, "no-cache", false, "call the models even for requests already answered")
	f.StringVar(&format, "format", "table", "report format: table, json or junit")
	f.StringVar(&out, "out", "", "write the report to FILE (a summary still goes to stderr)")
	f.Int64Var(&resume, "resume", 0, "resume run RUN: run only its missing and errored results")
	f.DurationVar(&timeout, "timeout", 2*time.Minute, "timeout of one model call")
	f.BoolVar(&yes, "yes", false, fmt.Sprintf("run even when the run makes more than %s calls", thousands(confirmCalls)))
	return c
}

// maxRepeat bounds --repeat; confirmCalls is the size of a run that needs
// --yes (the TUI shows the count before a run starts).
const maxRepeat, confirmCalls = 1000, 10_000

// plannedCalls is the number of results a plan makes.
func plannedCalls(p runner.Plan) int {
	models := 1
	if len(p.Models) > 0 {
		models = len(canonicalSet(p.Models))
	}
	return len(p.Versions) * models * len(p.Suite.Cases) * max(1, p.Repeat)
}

func canonicalSet(ms []string) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		out[m] = true
	}
	return out
}

// thousands formats n with thousands separators (1,000,000).
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// evalPlan resolves the REFs (all of one prompt) and the suite.
func (a *app) evalPlan(ctx context.Context, st *store.Store, refs []string, suite string, models []string, repeat int) (runner.Plan, error) {
	var p runner.Plan
	for _, ref := range refs {
		v, err := st.Lookup(ctx, ref)
		if err != nil {
			return p, classify(err)
		}
		if len(p.Versions) > 0 && v.Prompt != p.Versions[0].Prompt {
			return p, usageErr("a run compares versions of one prompt: %s and %s differ", p.Versions[0].Prompt, v.Prompt)
		}
		if !slices.ContainsFunc(p.Versions, func(x store.Version) bool { return x.Number == v.Number }) {
			p.Versions = append(p.Versions, v)
		}
	}
	name := p.Versions[0].Prompt
	su, err := st.Suite(ctx, name, suite)
	if errors.Is(err, store.ErrNotFound) {
		return p, usageErr("%s has no suite %q: import one with `verso suite import %s FILE --suite %s`", name, suite, name, suite)
	}
	if err != nil {
		return p, classify(err)
	}
	if len(su.Cases) == 0 {
		return p, usageErr("suite %q of %s has no cases: import some with `verso suite import %s FILE`", suite, name, name)
	}
	if len(models) == 0 {
		for _, v := range p.Versions {
			if v.Config.Model == "" {
				return p, usageErr("%s@%d has no model in its config: pass --model provider/model (e.g. --model demo/demo-large)", v.Prompt, v.Number)
			}
		}
	}
	p.Suite, p.Models, p.Repeat = su, models, repeat
	return p, nil
}

func canonical(reg *provider.Registry, refs []string) []string {
	var out []string
	for _, r := range refs {
		if r == "" {
			continue
		}
		c := reg.Canonical(r)
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// gradingModels are the models a suite's assertions may call besides the
// models under test: llm-rubric graders and similar's embedding models.
func gradingModels(cfg config.Config, su store.Suite) []string {
	out := []string{cfg.Grader, cfg.Embedding}
	for _, c := range su.Cases {
		for _, as := range c.Assertions {
			out = append(out, as.Provider)
		}
	}
	return out
}

// startDemo starts the offline demo model server on loopback when a model
// of the demo provider is used and no URL is configured for it.
func (a *app) startDemo(reg *provider.Registry, models []string) (func(), error) {
	need := false
	for _, m := range models {
		if p, _ := reg.Split(m); p == "demo" {
			need = true
		}
	}
	if !need || reg.BaseURL("demo") != "" {
		return func() {}, nil
	}
	o, err := demoOptions(os.Getenv)
	if err != nil {
		return nil, usageErr("%w", err)
	}
	srv, err := modelserver.Start("127.0.0.1:0", o)
	if err != nil {
		return nil, failed(fmt.Errorf("start the demo model server: %w", err))
	}
	reg.SetBaseURL("demo", srv.URL())
	return func() { srv.Close() }, nil
}

// demoOptions reads the demo model's knobs from the environment, for
// demos and benchmarks: VERSO_DEMO_LATENCY and VERSO_DEMO_JITTER
// (durations), VERSO_DEMO_ERROR_RATE (0..1 of 429s and 500s).
func demoOptions(getenv func(string) string) (modelserver.Options, error) {
	var o modelserver.Options
	for _, d := range []struct {
		env string
		to  *time.Duration
	}{{"VERSO_DEMO_LATENCY", &o.Latency}, {"VERSO_DEMO_JITTER", &o.Jitter}} {
		if v := getenv(d.env); v != "" {
			x, err := time.ParseDuration(v)
			if err != nil || x < 0 {
				return o, fmt.Errorf("%s=%q: use a duration like 50ms", d.env, v)
			}
			*d.to = x
		}
	}
	if v := getenv("VERSO_DEMO_ERROR_RATE"); v != "" {
		var f float64
		if _, err := fmt.Sscan(v, &f); err != nil || f < 0 || f > 1 {
			return o, fmt.Errorf("VERSO_DEMO_ERROR_RATE=%q: use a fraction between 0 and 1", v)
		}
		o.ErrorRate = f
		o.RetryAfter = 100 * time.Millisecond
	}
	return o, nil
}

func versionList(vs []store.Version) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprintf("@%d", v.Number)
	}
	return cell(vs[0].Prompt) + strings.Join(parts, ",")
}

func modelsOf(cols []report.Column) []string {
	var out []string
	for _, c := range cols {
		if !slices.Contains(out, c.Model) {
			out = append(out, c.Model)
		}
	}
	return out
}

// writeReport prints the report to stdout or --out.
func (a *app) writeReport(res runner.Outcome, format, out string) error {
	w := a.stdout
	var file *os.File
	if out != "" {
		f, err := os.Create(out)
		if err != nil {
			return usageErr("cannot write --out: %w", err)
		}
		file = f
		w = f
	}
	var err error
	switch format {
	case "json":
		err = report.JSON(w, res.Run, res.Results, res.Summary)
	case "junit":
		err = report.JUnit(w, res.Run, res.Results, res.Summary)
	default:
		color := file == nil && isTerminal(a.stdout) && os.Getenv("NO_COLOR") == ""
		err = report.Table(w, res.Run, res.Results, res.Summary, report.TableOptions{Color: color, Width: termWidth(a.stdout, 100)})
	}
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
		s := res.Summary
		fmt.Fprintf(a.stderr, "run %d: %d passed, %d failed, %d errors of %d; report in %s\n", res.Run.ID, s.Passed, s.Failed, s.Errors, s.Planned, out)
	}
	if err != nil {
		return failed(fmt.Errorf("write the report: %w", err))
	}
	return nil
}

// progress shows a run's progress on stderr: a bar redrawn in place on a
// terminal, a plain line every 10% otherwise.
type progress struct {
	w    io.Writer
	tty  bool
	mu   sync.Mutex
	last time.Time
	step int
	p    runner.Progress
	line int // width of the last bar drawn
}

func newProgress(w io.Writer, tty bool) *progress { return &progress{w: w, tty: tty} }

func (p *progress) begin(h *runner.Run, title string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w, title)
}

func (p *progress) event(ev runner.Event) {
	if ev.Kind == runner.Token || ev.Kind == runner.Started {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.p = ev.Progress
	if p.tty {
		if ev.Kind == runner.Done || time.Since(p.last) >= 100*time.Millisecond {
			p.last = time.Now()
			p.draw()
		}
		return
	}
	if ev.Progress.Total > 0 {
		step := ev.Progress.Done * 10 / ev.Progress.Total
		if step > p.step || ev.Kind == runner.Done && p.step < 10 && ev.Progress.Done == ev.Progress.Total {
			p.step = step
			fmt.Fprintln(p.w, p.text())
		}
	}
}

func (p *progress) text() string {
	g := p.p
	rate := 0.0
	if s := g.Elapsed.Seconds(); s > 0 {
		rate = float64(g.Done) / s
	}
	t := fmt.Sprintf("%d/%d  %d passed  %d failed  %d errors", g.Done, g.Total, g.Passed, g.Failed, g.Errors)
	if g.Retries > 0 {
		t += fmt.Sprintf("  %d retries", g.Retries)
	}
	if g.Cached > 0 {
		t += fmt.Sprintf("  %d cached", g.Cached)
	}
	return t + fmt.Sprintf("  %.0f/s  %s", rate, report.CostText(g.Spent, g.UsageUnknown, g.Done-g.Errors-g.Cached))
}

func (p *progress) draw() {
	g := p.p
	const width = 24
	fill := 0
	if g.Total > 0 {
		fill = g.Done * width / g.Total
	}
	bar := "[" + strings.Repeat("█", fill) + strings.Repeat("░", width-fill) + "] " + p.text()
	pad := ""
	if n := len([]rune(bar)); n < p.line {
		pad = strings.Repeat(" ", p.line-n)
	}
	p.line = len([]rune(bar))
	fmt.Fprint(p.w, "\r"+bar+pad)
}

func (p *progress) end() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty && p.line > 0 {
		p.draw()
		fmt.Fprintln(p.w)
	}
}
