package evalws

import (
	"context"
	"fmt"
	"github.com/charmbracelet/x/ansi"
	"github.com/seed94f0f622/verso/eval/config"
	"github.com/seed94f0f622/verso/eval/provider"
	"slices"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

// startRun fills the form, starts the run and returns the matrix that
// replaced the form (not yet initialised).
func startRun(t *testing.T, e *env, versions []int) *Matrix {
	t.Helper()
	f := newForm(e.c, "greet", versions, "")
	d := screenDriver(t, f)
	d.run(f.Init())
	if f.estErr != nil {
		t.Fatalf("estimate: %v", f.estErr)
	}
	d.send(ct.Key("enter"))
	for _, m := range d.other {
		if r, ok := m.(common.ReplaceMsg); ok {
			mx, ok := r.Screen.(*Matrix)
			if !ok {
				t.Fatalf("the form was replaced by %T", r.Screen)
			}
			mx.SetSize(100, 30)
			return mx
		}
	}
	t.Fatalf("the form did not start the run: %v", d.other)
	return nil
}

func TestRunLifecycle(t *testing.T) {
	e := newEnv(t, modelserver.Options{TokenDelay: time.Millisecond})
	f := newForm(e.c, "greet", []int{1, 2}, "")
	fd := screenDriver(t, f)
	fd.run(f.Init())
	if f.est.Calls != 6 || f.est.Missing != 2 || f.est.Cost <= 0 {
		t.Fatalf("estimate %+v", f.est)
	}
	mx := startRun(t, e, []int{1, 2})
	d := screenDriver(t, mx)
	var midRun, sawRunning bool
	d.after = func(msg tea.Msg) {
		if _, ok := msg.(feedMsg); ok && mx.running {
			sawRunning = true
			if n := len(mx.results); n > 0 && n < 6 {
				midRun = true
			}
			if !mx.Running() {
				t.Error("Running() is false during the run")
			}
			if got := mx.View(); len(strings.Split(got, "\n")) != 30 {
				t.Errorf("mid-run view has %d lines", len(strings.Split(got, "\n")))
			}
		}
	}
	d.run(mx.Init())
	if !sawRunning {
		t.Error("the matrix never saw the run live")
	}
	_ = midRun // batches may hold every result at once on a fast machine
	if mx.Running() || mx.run.Status != store.RunDone {
		t.Fatalf("after the run: running %v, status %q", mx.Running(), mx.run.Status)
	}
	if len(mx.results) != 6 || len(mx.rows) != 3 || len(mx.cols) != 2 {
		t.Fatalf("matrix %d results, %d rows, %d cols", len(mx.results), len(mx.rows), len(mx.cols))
	}
	sum := mx.summary()
	if sum.Total != 6 || sum.Errors != 2 {
		t.Fatalf("summary %+v", sum)
	}
	st := d.statuses()
	if len(st) == 0 || !strings.Contains(st[len(st)-1].Text, "done") {
		t.Fatalf("statuses %v", st)
	}
	// The stored run reopens with the same figures.
	again := newMatrix(e.c, "greet", mx.runID)
	screenDriver(t, again).run(again.Init())
	if again.Running() || len(again.results) != 6 || again.summary().Passed != sum.Passed {
		t.Fatalf("reopened: running %v, %d results", again.Running(), len(again.results))
	}
}

func TestCancelAndResume(t *testing.T) {
	for _, k := range []string{"x", "ctrl+c"} {
		t.Run(k, func(t *testing.T) {
			e := newEnv(t, modelserver.Options{Latency: 40 * time.Millisecond})
			// A bigger suite: 24 cases x 2 versions, 8 calls in flight.
			ctx := e.c.Ctx
			su, err := e.st.Suite(ctx, "greet", "default")
			if err != nil {
				t.Fatal(err)
			}
			for i := range 21 {
				c := su.Cases[0]
				c.ID, c.Name = 0, c.Name+" "+strings.Repeat("!", i+1)
				su.Cases = append(su.Cases, c)
			}
			if _, err := e.st.SaveSuite(ctx, "greet", su); err != nil {
				t.Fatal(err)
			}
			mx := startRun(t, e, []int{1, 2})
			d := screenDriver(t, mx)
			cancelled := false
			d.after = func(msg tea.Msg) {
				if fm, ok := msg.(feedMsg); ok && !cancelled && mx.running && len(mx.results) > 0 && fm.more {
					cancelled = true
					if !mx.Running() {
						t.Error("not Running() before the cancel")
					}
					cmd := mx.key(ct.Key(k))
					if cmd == nil {
						t.Error("cancel returned no status")
					}
				}
			}
			d.run(mx.Init())
			if !cancelled {
				t.Fatal("the run ended before it could be cancelled")
			}
			if mx.run.Status != store.RunCancelled || mx.Running() {
				t.Fatalf("status %q, running %v", mx.run.Status, mx.Running())
			}
			kept := len(mx.results)
			if kept == 0 || kept >= 48 {
				t.Fatalf("kept %d of 48 results", kept)
			}
			stored, _ := e.st.Results(ctx, mx.runID)
			if len(stored) != kept {
				t.Fatalf("the store has %d results, the matrix %d", len(stored), kept)
			}
			// R resumes: the missing results (and the errors) are run.
			d.after = nil
			d.send(ct.Key("R"))
			if mx.run.Status != store.RunDone || len(mx.results) != 48 {
				t.Fatalf("after resume: status %q, %d results", mx.run.Status, len(mx.results))
			}
			if run, _ := e.st.Run(ctx, mx.runID); run.Status != store.RunDone {
				t.Fatalf("stored status %q", run.Status)
			}
		})
	}
}

// A matrix opened while the run goes on (from the Runs tab) attaches to it.
func TestAttachLate(t *testing.T) {
	e := newEnv(t, modelserver.Options{Latency: 20 * time.Millisecond})
	first := startRun(t, e, []int{1, 2})
	late := newMatrix(e.c, "greet", first.runID)
	late.SetSize(80, 24)
	d := screenDriver(t, late)
	d.run(late.Init())
	if late.run.Status != store.RunDone || len(late.results) != 6 {
		t.Fatalf("late matrix: status %q, %d results", late.run.Status, len(late.results))
	}
}

func TestCompareOutputsAndPromote(t *testing.T) {
	e := newEnv(t, modelserver.Options{})
	mx := startRun(t, e, []int{1, 2})
	d := screenDriver(t, mx)
	d.run(mx.Init())
	d.other = nil
	// Two columns: d compares them at once; with a mark, the marked cell.
	d.send(ct.Key("space"))
	d.send(ct.Key("l"))
	d.send(ct.Key("d"))
	var spec *common.DiffSpec
	for _, m := range d.other {
		if o, ok := m.(common.OpenDiffMsg); ok {
			spec = &o.Spec
		}
	}
	if spec == nil || spec.LeftTitle != "v1 · demo-small" || spec.RightTitle != "v2 · demo-small" || spec.Left == "" {
		t.Fatalf("diff spec %+v (msgs %v)", spec, d.other)
	}
	// A mark on another row is refused.
	d.other = nil
	d.send(ct.Key("j"))
	d.send(ct.Key("d"))
	if s := d.statuses(); len(s) != 1 || !strings.Contains(s[0].Text, "another row") {
		t.Fatalf("statuses %v", s)
	}
	d.other = nil
	d.send(ct.Key("p"))
	var pm *common.PromoteMsg
	for _, m := range d.other {
		if p, ok := m.(common.PromoteMsg); ok {
			pm = &p
		}
	}
	if pm == nil || pm.Version != 2 || pm.RunID != mx.runID || len(pm.Evidence) != 1 || !strings.HasPrefix(pm.Evidence[0], "run #") {
		t.Fatalf("promote %+v", pm)
	}
	// enter opens the cell detail.
	d.other = nil
	d.send(ct.Key("enter"))
	if len(d.other) != 1 {
		t.Fatalf("enter: %v", d.other)
	}
	if p, ok := d.other[0].(common.PushMsg); !ok {
		t.Fatalf("enter: %T", d.other[0])
	} else if _, ok := p.Screen.(*Detail); !ok {
		t.Fatalf("enter pushed %T", p.Screen)
	}
	// Filters: failures only keeps the rows with a failure or an error.
	mx.filter = filterFailures
	mx.viewOK = false
	mx.ensureView()
	for _, ri := range mx.view {
		if !mx.keepRow(&mx.rows[ri]) {
			t.Fatal("filter kept a passing row")
		}
	}
}

func TestRunsTab(t *testing.T) {
	e := newEnv(t, modelserver.Options{})
	a := startRun(t, e, []int{1})
	screenDriver(t, a).run(a.Init())
	b := startRun(t, e, []int{2})
	screenDriver(t, b).run(b.Init())
	tab := newRunsTab(e.c, "greet")
	tab.SetSize(100, 20)
	d := tabDriver(t, tab)
	d.run(tab.Init())
	if len(tab.runs) != 2 || tab.runs[0].run.ID != b.runID {
		t.Fatalf("runs %+v", tab.runs)
	}
	d.send(ct.Key("space"))
	d.send(ct.Key("space"))
	d.send(ct.Key("c"))
	var cmp *Compare
	for _, m := range d.other {
		if p, ok := m.(common.PushMsg); ok {
			cmp, _ = p.Screen.(*Compare)
		}
	}
	if cmp == nil || cmp.beforeID != a.runID || cmp.afterID != b.runID {
		t.Fatalf("compare: %v", d.other)
	}
	cd := screenDriver(t, cmp)
	cd.run(cmp.Init())
	if cmp.err != nil || len(cmp.ares) != 3 {
		t.Fatalf("compare loaded: %v, %d", cmp.err, len(cmp.ares))
	}
	d.other = nil
	d.send(ct.Key("enter"))
	if len(d.other) != 1 {
		t.Fatalf("enter: %v", d.other)
	}
	if p, ok := d.other[0].(common.PushMsg); !ok {
		t.Fatalf("enter: %T", d.other[0])
	} else if _, ok := p.Screen.(*Matrix); !ok {
		t.Fatalf("enter pushed %T", p.Screen)
	}
}

// A run whose process is gone shows as interrupted, offers R, and R
// finishes it.
func TestInterruptedRunResumes(t *testing.T) {
	e := newEnv(t, modelserver.Options{})
	ctx := e.c.Ctx
	done := startRun(t, e, []int{1})
	// Let it end first (it runs in the background): its end must not
	// overwrite the kill simulated next.
	if h := e.c.Engine.Live(done.runID); h != nil {
		<-h.Done()
	}
	// The process that ran it was killed: its row still says running, its
	// owner is gone, one result never came back.
	db := ct.SQL(t, e.db)
	if _, err := db.ExecContext(ctx, `UPDATE runs SET status = 'running', finished_at = NULL, owner = 'gone-host:1:x', heartbeat_at = ? WHERE id = ?`,
		clock.Add(-3*time.Hour).UnixMicro(), done.runID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM results WHERE id = (SELECT MAX(id) FROM results WHERE run_id = ?)`, done.runID); err != nil {
		t.Fatal(err)
	}
	if r, _ := e.st.Run(ctx, done.runID); r.Status != store.RunInterrupted {
		t.Fatalf("stored run %+v", r)
	}
	// A new process (a new engine) opens it.
	e.c.Engine = runner.New(e.st, e.c.Providers)
	mx := newMatrix(e.c, "greet", done.runID)
	mx.SetSize(100, 30)
	d := screenDriver(t, mx)
	d.run(mx.Init())
	if mx.run.Status != store.RunInterrupted {
		t.Fatalf("status %q, want interrupted", mx.run.Status)
	}
	if !slices.ContainsFunc(mx.ShortHelp(), func(b key.Binding) bool { return b.Help().Key == "R" }) {
		t.Fatal("an interrupted run does not offer R")
	}
	d.send(ct.Key("R"))
	if got, _ := e.st.Run(ctx, done.runID); got.Status != store.RunDone {
		t.Fatalf("after R: stored status %q (%+v)", got.Status, d.other)
	}
	if rs, _ := e.st.Results(ctx, done.runID); len(rs) != 3 {
		t.Fatalf("after R: %d results, want 3", len(rs))
	}
}

// At 80x24 the New-run screen shows every section even with many versions
// and models: each list scrolls in a window of its own and says so, and
// the cursor is always on the screen.
func TestFormShowsEverySectionAt80x24(t *testing.T) {
	e := newEnv(t, modelserver.Options{})
	ctx := context.Background()
	for i := range 18 {
		if _, err := e.st.Commit(ctx, store.CommitInput{Name: "greet", Kind: store.KindText, Template: fmt.Sprintf("Greet {{name}}, take %d.", i),
			Author: "ada", Message: fmt.Sprintf("take %d", i), Config: store.Config{Model: "demo/demo-small"}}); err != nil {
			t.Fatal(err)
		}
	}
	var extra []string
	for i := range 12 {
		extra = append(extra, fmt.Sprintf("extra-%02d", i))
	}
	e.c.Providers = provider.NewRegistry(config.Config{Providers: map[string]config.ProviderConfig{
		"local": {BaseURL: "http://127.0.0.1:9/v1", Models: extra}}})
	e.c.Providers.SetBaseURL("demo", e.srv.URL())
	f := newForm(e.c, "greet", nil, "")
	f.SetSize(80, 24)
	d := screenDriver(t, f)
	d.run(f.Init())
	sections := func() {
		t.Helper()
		v := ansi.Strip(f.View())
		for _, want := range []string{"versions (", "models", "suite and repeats", "suite   ‹ default ›", "repeats ‹ 1 ›", "enter starts"} {
			if !strings.Contains(v, want) {
				t.Fatalf("%q is not on the screen:\n%s", want, v)
			}
		}
		if !strings.Contains(v, "› ") {
			t.Fatalf("the cursor is off the screen:\n%s", v)
		}
	}
	sections()
	if v := ansi.Strip(f.View()); !strings.Contains(v, "of 20, ↑/↓ scroll") {
		t.Fatalf("the versions' window does not say it scrolls:\n%s", v)
	}
	for range len(f.versions) + len(f.models) + 1 {
		d.send(ct.Key("j"))
		sections()
	}
	if f.cursor != len(f.versions)+len(f.models)+1 {
		t.Fatalf("cursor %d, want the repeats", f.cursor)
	}
}
