package rollout

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

func open(t *testing.T, st *store.Store, ck *ct.MovingClock, w, h int) (*Model, []tea.Msg) {
	t.Helper()
	c := ct.NewCommon(t, st, ct.Dark())
	c.Now = ck.Now
	m := New(c, ct.Support, "production")
	if !m.Busy() {
		t.Fatal("the view is not busy before its first read: keys typed meanwhile would be lost")
	}
	s, out := ct.Start(t, m, w, h)
	return s.(*Model), out
}

func statuses(msgs []tea.Msg) []string {
	var out []string
	for _, m := range msgs {
		if s, ok := m.(common.StatusMsg); ok {
			out = append(out, s.Text)
		}
	}
	return out
}

// TestShowingChecksTheGuards: opening the view checks the rollout's guards
// (the store records the check), and it shows the plan with the weight in
// force and the time to the next step, each guard with its figures, the
// A/B readout with intervals and the per-arm chart.
func TestShowingChecksTheGuards(t *testing.T) {
	st, _, ck := ct.RolloutStore(t)
	ctx := context.Background()
	before, _ := st.LatestRollout(ctx, ct.Support, "production")
	if before.Verified != 0 {
		t.Fatalf("fixture: verified %d", before.Verified)
	}
	m, _ := open(t, st, ck, 140, 40)
	after, _ := st.LatestRollout(ctx, ct.Support, "production")
	if after.Verified != 1 || !after.CheckedAt.Equal(ct.Now) {
		t.Fatalf("showing the rollout did not check its guards: verified %d, checked %v", after.Verified, after.CheckedAt)
	}
	if m.Busy() {
		t.Fatal("still busy after the read")
	}
	v := ansi.Strip(m.View())
	for _, want := range []string{
		"Rollout 1 of production: v2 → v4", "running", "5% ━ [25%] ─ 50% ─ 100%", "one step every 6h",
		"v2 75% · v4 25%", "50% in 5h 00m",
		"✓ error_rate<=+1pp", "✓ p95_latency<=+20%", "healthy",
		"A/B since the rollout started · 95% intervals", "arms as weighted", "error rate", "v4−v2", "p50 latency",
		"error rate per arm",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("the view does not show %q:\n%s", want, v)
		}
	}
	// m cycles the charted figure through the guarded ones
	drive(t, m, ct.Key("m"))
	if v := ansi.Strip(m.View()); !strings.Contains(v, "p95 latency per arm") {
		t.Errorf("m did not chart p95 latency:\n%s", v)
	}
	drive(t, m, ct.Key("M"))
	if v := ansi.Strip(m.View()); !strings.Contains(v, "error rate per arm") {
		t.Errorf("M did not go back to the error rate:\n%s", v)
	}
	ct.CheckFrame(t, m.View(), 140, 40)
}

func drive(t *testing.T, m *Model, msgs ...tea.Msg) []tea.Msg {
	t.Helper()
	_, out := ct.Drive(t, m, msgs...)
	return out
}

// TestReloadChecksOnceAMinute: a reload (the file changed) only reads; the
// guards are checked again once the last check is a minute old.
func TestReloadChecksOnceAMinute(t *testing.T) {
	st, _, ck := ct.RolloutStore(t)
	ctx := context.Background()
	m, _ := open(t, st, ck, 120, 35)
	ck.Set(ct.Now.Add(20 * time.Second))
	drive(t, m, ct.Run(t, m.Reload())...)
	if r, _ := st.LatestRollout(ctx, ct.Support, "production"); !r.CheckedAt.Equal(ct.Now) {
		t.Fatalf("a reload within the minute checked: %v", r.CheckedAt)
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "50% in 4h 59m") {
		t.Errorf("the countdown did not move:\n%s", v)
	}
	ck.Set(ct.Now.Add(61 * time.Second))
	drive(t, m, ct.Run(t, m.Reload())...)
	if r, _ := st.LatestRollout(ctx, ct.Support, "production"); !r.CheckedAt.Equal(ct.Now.Add(61 * time.Second)) {
		t.Fatalf("a reload a minute later did not check: %v", r.CheckedAt)
	}
	// the clock's tick (each second while it is live) checks once a minute
	// too, with nothing else happening
	ck.Set(ct.Now.Add(90 * time.Second))
	drive(t, m, tickMsg{To: common.To{ID: m.ID()}})
	if r, _ := st.LatestRollout(ctx, ct.Support, "production"); !r.CheckedAt.Equal(ct.Now.Add(61 * time.Second)) {
		t.Fatalf("a tick within the minute checked: %v", r.CheckedAt)
	}
	ck.Set(ct.Now.Add(125 * time.Second))
	drive(t, m, tickMsg{To: common.To{ID: m.ID()}})
	if r, _ := st.LatestRollout(ctx, ct.Support, "production"); !r.CheckedAt.Equal(ct.Now.Add(125 * time.Second)) {
		t.Fatalf("a tick a minute later did not check: %v", r.CheckedAt)
	}
	if v := ansi.Strip(m.View()); !strings.Contains(v, "50% in 4h 57m") {
		t.Errorf("the countdown did not move:\n%s", v)
	}
}

// TestShowingABreachAborts: when the new version breaches a guard,
// showing the rollout aborts it (the label back on the old version), says
// so, and tells the root it wrote the label (not someone else's change).
func TestShowingABreachAborts(t *testing.T) {
	st, _, ck := ct.RolloutStore(t)
	ctx := context.Background()
	var evs []store.Event
	for i := range 400 {
		evs = append(evs, store.Event{ID: "bad-" + string(rune('a'+i%26)) + strings.Repeat("x", i/26), Prompt: ct.Support, Version: 4, Label: "production", Arm: "v4",
			Time: ct.Now.Add(-30 * time.Minute), LatencyMS: 700, Status: "error", ErrorKind: "http_500"})
	}
	if _, err := st.RecordEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	m, out := open(t, st, ck, 120, 35)
	if m.Rollout().State != store.RolloutAborted {
		t.Fatalf("state %s", m.Rollout().State)
	}
	if ls, _ := st.Labels(ctx, ct.Support); !hasLabel(ls, "production", 2) {
		t.Fatalf("production is not back on v2: %+v", ls)
	}
	if w := m.c.Written(); len(w) != 1 || w[0].Version != 2 {
		t.Fatalf("the abort was not reported as this process's change: %v", out)
	}
	if s := strings.Join(statuses(out), "\n"); !strings.Contains(s, "a guard is breached, rollout 1 aborted") {
		t.Fatalf("statuses: %s", s)
	}
	v := ansi.Strip(m.View())
	for _, want := range []string{"aborted", "v2 100%", "breached error_rate<=+1pp", "✗ error_rate<=+1pp"} {
		if !strings.Contains(v, want) {
			t.Errorf("the view does not show %q:\n%s", want, v)
		}
	}
	// nothing to change any more: the keys say why
	out = drive(t, m, ct.Key("p"))
	if s := strings.Join(statuses(out), "\n"); !strings.Contains(s, "is aborted: there is nothing to pause") {
		t.Fatalf("p on an aborted rollout: %v", out)
	}
	if len(m.ShortHelp()) != 1 { // m only
		t.Errorf("the help offers actions on an aborted rollout: %d keys", len(m.ShortHelp()))
	}
}

func hasLabel(ls []store.Label, name string, v int) bool {
	for _, l := range ls {
		if l.Name == name && l.Version == v && l.Split == nil {
			return true
		}
	}
	return false
}

// TestActionKeys: each key asks the root for its confirmation, only when
// the rollout's state allows it; otherwise the status says why not.
func TestActionKeys(t *testing.T) {
	st, _, ck := ct.RolloutStore(t)
	m, _ := open(t, st, ck, 120, 35)
	for _, c := range []struct {
		key    string
		action store.RolloutAction
		why    string
	}{
		{"a", store.RolloutAdvance, ""},
		{"p", store.RolloutPause, ""},
		{"X", store.RolloutAbort, ""},
		{"r", "", "is running: p pauses it"},
	} {
		out := drive(t, m, ct.Key(c.key))
		msg, ok := ct.Find[common.RolloutChangeMsg](out)
		switch {
		case c.why == "" && (!ok || msg.Action != c.action || msg.Prompt != ct.Support || msg.Label != "production"):
			t.Errorf("%s: %v", c.key, out)
		case c.why != "" && (ok || !strings.Contains(strings.Join(statuses(out), ""), c.why)):
			t.Errorf("%s: %v", c.key, out)
		}
	}
	keys := []string{}
	for _, b := range m.ShortHelp() {
		keys = append(keys, b.Help().Key)
	}
	if strings.Join(keys, " ") != "a p X m" {
		t.Errorf("help on a running rollout: %v", keys)
	}
	// the full key map says why an action is not available now
	var full []string
	for _, b := range m.FullHelp()[0] {
		full = append(full, b.Help().Key+" "+b.Help().Desc)
	}
	if got := strings.Join(full, "; "); !strings.Contains(got, "r resume (not now: rollout 1 is running: p pauses it)") || !strings.Contains(got, "p pause;") {
		t.Errorf("full help: %s", got)
	}
}

// TestHostileRolloutText: a reason full of escapes draws clean, at every size.
func TestHostileRolloutText(t *testing.T) {
	st, _, ck := ct.RolloutStore(t)
	m, _ := open(t, st, ck, 140, 40)
	m.d.r.Reason = ct.Evil + "日本"
	m.d.r.Actor = ct.Evil
	for _, sz := range ct.Resizes() {
		m.SetSize(sz[0], sz[1])
		v := m.View()
		ct.CheckClean(t, v)
		ct.CheckFrame(t, v, sz[0], sz[1])
	}
}

func TestViewGolden(t *testing.T) {
	ct.EachLayout(t, func(t *testing.T, l ct.Layout) {
		st, _, ck := ct.RolloutStore(t)
		c := ct.NewCommon(t, st, ct.Themes()[l.Theme])
		c.Now = ck.Now
		s, _ := ct.Start(t, New(c, ct.Support, "production"), l.W, l.H)
		l.Shot(t, "rollout", s.View())
	})
}

// BenchmarkLoad is one read of the view (what a reload does when the file
// changes, every second while traffic flows): the rollout and its guards
// (PeekRollout), the per-arm series, the label history and the A/B
// analysis of each guarded metric. check=1 is what opening the view and
// each minute do (CheckRollout, a write).
func BenchmarkLoad(b *testing.B) {
	st, _, ck := ct.RolloutStore(b)
	for _, check := range []bool{false, true} {
		name := "peek"
		if check {
			name = "check"
		}
		b.Run(name, func(b *testing.B) {
			c := ct.NewCommon(b, st, ct.Dark())
			c.Now = ck.Now
			m := New(c, ct.Support, "production")
			for b.Loop() {
				msg := m.load(check)()
				if lm, ok := msg.(loadedMsg); !ok || lm.err != nil {
					b.Fatalf("%#v", msg)
				}
			}
		})
	}
}
