package promptview

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

func (m *Model) analytics() *analytics {
	for _, t := range m.tabs {
		if a, ok := t.(*analytics); ok {
			return a
		}
	}
	return nil
}

func TestAnalyticsGolden(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ct.Traffic(t, st)
	ct.EachLayout(t, func(t *testing.T, l ct.Layout) {
		c := ct.NewCommon(t, st, ct.Themes()[l.Theme])
		s, _ := ct.Start(t, New(c, ct.Support, "analytics", 0), l.W, l.H)
		m := s.(*Model)
		// A week of requests by version, the label moves marked.
		l.Shot(t, "analytics", m.View())
		// p95 latency: v3 was slower.
		drive(t, m, ct.Key("m"), ct.Key("m"), ct.Key("m"))
		l.Shot(t, "analytics-p95", m.View())
		// By label over the last 24 hours.
		drive(t, m, ct.Key("W"), ct.Key("g"))
		l.Shot(t, "analytics-label-24h", m.View())
	})
	// A prompt without traffic says where traffic comes from.
	c := ct.NewCommon(t, st, ct.Dark())
	s, _ := ct.Start(t, New(c, ct.Summary, "analytics", 0), 80, 24)
	if v := ansi.Strip(s.View()); !strings.Contains(v, "No traffic in the last 7d") || !strings.Contains(v, "verso serve") {
		t.Fatalf("empty analytics:\n%s", v)
	}
}

// The keys change the figure, the window and the grouping; a new window or
// grouping is read by a command, never in Update.
func TestAnalyticsKeys(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ct.Traffic(t, st)
	m, _ := open(t, st, ct.Support, "analytics", 0, 140, 40)
	a := m.analytics()
	if !a.loaded || a.data.series.Step != 2*time.Hour || len(a.data.series.Groups) != 2 {
		t.Fatalf("first load: loaded %v step %v groups %d", a.loaded, a.data.series.Step, len(a.data.series.Groups))
	}
	v := ansi.Strip(m.View())
	for _, want := range []string{"requests per 2h · by version · last 7d", "─ v2", "• v3", "production v2→v3", "production v3→v2"} {
		if !strings.Contains(v, want) {
			t.Errorf("the view does not show %q:\n%s", want, v)
		}
	}
	// m cycles the figures without reading anything.
	_, cmd := m.Update(ct.Key("m"))
	if cmd != nil || metrics[a.metric].name != "error rate" {
		t.Fatalf("m: figure %q, cmd %v", metrics[a.metric].name, cmd)
	}
	drive(t, m, ct.Key("M"), ct.Key("M"))
	if metrics[a.metric].name != "score" {
		t.Fatalf("M M: %q", metrics[a.metric].name)
	}
	// w returns a read; the data changes only when its result arrives.
	_, cmd = m.Update(ct.Key("w"))
	if cmd == nil || a.win != 3 || a.data.win != 2 || !a.loading {
		t.Fatalf("w: window %d data %d loading %v", a.win, a.data.win, a.loading)
	}
	drive(t, m, ct.Run(t, cmd)...)
	if a.data.win != 3 || a.data.series.Step != 6*time.Hour || a.loading {
		t.Fatalf("after the read: window %d step %v", a.data.win, a.data.series.Step)
	}
	drive(t, m, ct.Key("w"))
	if a.data.series.Step != time.Minute || !strings.Contains(ansi.Strip(m.View()), "last 1h") {
		t.Fatalf("w wraps to 1h: step %v", a.data.series.Step)
	}
	// g groups by label: production and staging.
	drive(t, m, ct.Key("W"), ct.Key("W"), ct.Key("g"))
	var keys []string
	for _, g := range a.data.series.Groups {
		keys = append(keys, g.Key)
	}
	if strings.Join(keys, ",") != "production,staging" {
		t.Fatalf("by label: %v", keys)
	}
	// enter views the selected version (by version only).
	if out := drive(t, m, ct.Key("enter")); len(out) != 0 || m.Active() != "Analytics" {
		t.Fatalf("enter by label: %v, tab %s", out, m.Active())
	}
	drive(t, m, ct.Key("g"), ct.Key("g"), ct.Key("g"), ct.Key("j"), ct.Key("enter"))
	if m.Active() != "Content" || m.content().v.Number != 3 {
		t.Fatalf("enter on v3: tab %s v%d", m.Active(), m.content().v.Number)
	}
}

// The table marks v3 worse than v2 where it is (p95, score) and the live
// reload keeps the selected row.
func TestAnalyticsComparesVersionsAndReloads(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ct.Traffic(t, st)
	m, _ := open(t, st, ct.Support, "analytics", 0, 140, 40)
	a := m.analytics()
	var v3 string
	for _, l := range strings.Split(ansi.Strip(m.View()), "\n") {
		if strings.HasPrefix(strings.TrimLeft(l, " ›"), "v3 ") {
			v3 = l
		}
	}
	if strings.Count(v3, "▲") != 2 || strings.Contains(v3, "▼") {
		t.Fatalf("v3's row should mark p95 and score worse:\n%q", v3)
	}
	drive(t, m, ct.Key("j"))
	before := a.data.series.Sum.Requests
	if _, err := st.RecordEvents(t.Context(), []store.Event{{Prompt: ct.Support, Version: 2, Label: "production", Time: ct.Now.Add(-time.Minute), LatencyMS: 5}}); err != nil {
		t.Fatal(err)
	}
	drive(t, m, ct.Run(t, m.Reload())...)
	if a.data.series.Sum.Requests != before+1 || a.selectedKey() != "3" {
		t.Fatalf("reload: %d requests (before %d), selected %q", a.data.series.Sum.Requests, before, a.selectedKey())
	}
	// A read error is shown, not a panic.
	drive(t, m, analyticsMsg{To: common.To{ID: a.ID()}, err: store.ErrNotFound})
	if a.err == nil {
		t.Fatal("the error was dropped")
	}
}

// Every size from 40x12 draws exact frames, in every window and figure.
func TestAnalyticsResize(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ct.Traffic(t, st)
	m, _ := open(t, st, ct.Support, "analytics", 0, 140, 40)
	for range metrics {
		for _, sz := range ct.Resizes() {
			m.SetSize(sz[0], sz[1])
			v := m.View()
			ct.CheckFrame(t, v, sz[0], sz[1])
		}
		drive(t, m, ct.Key("m"))
	}
}

// A rollout step (a move of the label to a split) is marked on the time
// axis like any move, with its weights.
func TestAnalyticsMarksRolloutSteps(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ct.Traffic(t, st)
	if _, err := st.SetLabel(t.Context(), store.LabelInput{Prompt: ct.Support, Label: "production", Actor: "ana", Reason: "canary", Force: true,
		Split: &store.Split{Arms: []store.Arm{{Version: 2, Weight: 90}, {Version: 4, Weight: 10}}}, At: ct.Now.Add(-30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	m, _ := open(t, st, ct.Support, "analytics", 0, 140, 40)
	drive(t, m, ct.Key("W"), ct.Key("W")) // the last hour
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "2 production v2→split 2=90,4=10 30 minutes ago") {
		t.Fatalf("the rollout step is not marked:\n%s", v)
	}
}
