package evalws

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/eval/report"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/themes"
	"github.com/seed94f0f622/verso/tui/common"
	"github.com/seed94f0f622/verso/tui/common/commontest"
)

// sized is what every screen and tab here has in common for drawing.
type sized interface {
	SetSize(w, h int)
	View() string
}

// scenes builds every screen of the goldens once, on a deterministic
// store: two finished runs with fixed latencies, and a run caught
// mid-way.
func scenes(t *testing.T) (*env, map[string]sized) {
	e := newEnv(t, modelserver.Options{})
	ctx := context.Background()
	first := startRun(t, e, []int{1})
	screenDriver(t, first).run(first.Init())
	second := startRun(t, e, []int{1, 2})
	screenDriver(t, second).run(second.Init())
	third := startRun(t, e, []int{2})
	screenDriver(t, third).run(third.Init())
	// Latencies are measured: fix them for the goldens.
	if _, err := commontest.SQL(t, e.db).ExecContext(ctx, `UPDATE results SET latency_ms = 120 + (case_id * 137 + version * 61 + run_id * 29) % 400 WHERE error = ''`); err != nil {
		t.Fatal(err)
	}
	// The stored summaries were made from the measured latencies.
	for _, id := range []int64{first.runID, second.runID, third.runID} {
		res, _ := e.st.Results(ctx, id)
		run, _ := e.st.Run(ctx, id)
		sum := report.Summarize(res, report.ColumnsOf(res), run.Total)
		if err := e.st.FinishRun(ctx, id, store.RunDone, sum.JSON()); err != nil {
			t.Fatal(err)
		}
	}
	out := map[string]sized{}

	tests := newTestsTab(e.c, "greet")
	tabDriver(t, tests).run(tests.Init())
	tests.cursor = 1
	out["tests"] = tests

	testsRender := newTestsTab(e.c, "greet")
	tabDriver(t, testsRender).run(testsRender.Init())
	testsRender.cursor, testsRender.render = 3, true
	out["tests-render-missing-var"] = testsRender

	form := newForm(e.c, "greet", nil, "")
	screenDriver(t, form).run(form.Init())
	form.cursor = len(form.versions) + 2
	out["form"] = form

	done := newMatrix(e.c, "greet", second.runID)
	screenDriver(t, done).run(done.Init())
	done.col = 1
	out["matrix-done"] = done

	// Mid-run: half the results, one cell streaming.
	msg := loadRun(ctx, e.st, nil, 0, "greet", second.runID)
	msg.run.Status = store.RunRunning
	msg.results = msg.results[:3]
	msg.live, msg.feed = true, runner.NewFeed()
	live := newMatrix(e.c, "greet", second.runID)
	live.setData(msg)
	live.feed, live.running, live.produced = msg.feed, true, 3
	live.prog = runner.Progress{Total: 6, Done: 3, Passed: 2, Errors: 1, InFlight: 1, Spent: 0.00021, Elapsed: 1500 * time.Millisecond, Status: store.RunRunning}
	live.streams[runner.Key{Version: 2, Model: "demo/demo-small", CaseID: live.rows[0].caseID}] = "Hello Ada! It is lovely to"
	live.col = 1
	out["matrix-live"] = live

	r := &done.rows[0]
	out["detail"] = done.detail(r, 1)

	cmp := CompareRuns(e.c, "greet", first.runID, third.runID)
	screenDriver(t, cmp).run(cmp.Init())
	out["compare"] = cmp

	runs := newRunsTab(e.c, "greet")
	tabDriver(t, runs).run(runs.Init())
	out["runs"] = runs
	return e, out
}

func TestViewGolden(t *testing.T) {
	e, sc := scenes(t)
	for _, theme := range []string{"dark", "light"} {
		e.c.SetTheme(themes.MustGet(theme, true))
		for _, size := range [][2]int{{80, 24}, {140, 40}} {
			for _, name := range []string{"tests", "tests-render-missing-var", "form", "matrix-done", "matrix-live", "detail", "compare", "runs"} {
				full := fmt.Sprintf("%s-%s-%dx%d", name, theme, size[0], size[1])
				t.Run(full, func(t *testing.T) {
					s := sc[name]
					s.SetSize(size[0], size[1])
					v := s.View()
					commontest.CheckFrame(t, v, size[0], size[1])
					commontest.Golden(t, full, commontest.Pin(t, v))
				})
			}
		}
	}
}

// Every screen draws a full frame, without panicking, down to 40x12 and
// below.
func TestSmallSizes(t *testing.T) {
	_, sc := scenes(t)
	for name, s := range sc {
		for _, size := range [][2]int{{40, 12}, {41, 13}, {30, 8}, {12, 3}, {1, 1}} {
			s.SetSize(size[0], size[1])
			v := s.View()
			t.Run(fmt.Sprintf("%s-%dx%d", name, size[0], size[1]), func(t *testing.T) { commontest.CheckFrame(t, v, size[0], size[1]) })
		}
		s.SetSize(0, 0)
		if v := s.View(); v != "" {
			t.Errorf("%s at 0x0: %q", name, v)
		}
	}
}

// Untrusted text never reaches the terminal raw.
func TestSanitized(t *testing.T) {
	c := common.NewCommon(nil, "t", themes.MustGet("dark", true))
	m := benchMatrix(c, 3, 2)
	m.results[0].Output = "evil \x1b]0;pwned\x07 \x1b[2J text\r"
	m.rows[0].name = "case \x1b[31mred"
	m.SetSize(80, 24)
	v := m.View()
	for _, bad := range []string{"\x1b]0;", "\x1b[2J", "\r", "\x1b[31mred"} {
		if strings.Contains(v, bad) {
			t.Errorf("view contains %q", bad)
		}
	}
}
