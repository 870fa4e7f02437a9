package evalws

import (
	"context"

	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/tui/common"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// The Runs tab draws each version's pass rate over the runs as a
// sparkline (oldest first) with the last rate; the run's matrix shows
// each column's latency spread on one scale.
func TestRunsTrendAndLatencySpread(t *testing.T) {
	_, sc := scenes(t)
	runs := sc["runs"]
	runs.SetSize(100, 30)
	v := ansi.Strip(runs.View())
	// v1: run 1 passed 2/3, run 2 passed 2/3 (v1 column); v2: 0/3 twice.
	if !strings.Contains(v, "pass rate over runs v2 ▁▁ 0% · v1 ▆▆ 67%") {
		t.Errorf("no pass-rate trend per version:\n%s", v)
	}
	mx := sc["matrix-done"]
	mx.SetSize(100, 30)
	v = ansi.Strip(mx.View())
	line := ""
	for _, l := range strings.Split(v, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "latency ") && strings.Contains(l, "…") {
			line = l
		}
	}
	if line == "" || !strings.ContainsAny(line, "▁▂▃▄▅▆▇█") {
		t.Fatalf("no latency spread in the summary:\n%s", v)
	}
}

// Counts read as English: "1 case", "2 cases".
func TestPluralsInTheTestsTab(t *testing.T) {
	e := newEnv(t, modelserver.Options{})
	ctx := context.Background()
	su, err := e.st.Suite(ctx, "greet", "default")
	if err != nil {
		t.Fatal(err)
	}
	su.Cases = su.Cases[:1]
	if _, err := e.st.SaveSuite(ctx, "greet", su); err != nil {
		t.Fatal(err)
	}
	tests := newTestsTab(e.c, "greet")
	tabDriver(t, tests).run(tests.Init())
	tests.SetSize(100, 30)
	v := ansi.Strip(tests.View())
	if !strings.Contains(v, "1 case") || strings.Contains(v, "1 cases") {
		t.Errorf("a one-case suite:\n%s", v)
	}
	if got := common.Plural(2, "column"); got != "2 columns" {
		t.Errorf("Plural(2) = %q", got)
	}
}
