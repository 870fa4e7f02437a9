package playground

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/eval/config"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/themes"
	"github.com/seed94f0f622/verso/tui/common"
	"github.com/seed94f0f622/verso/tui/common/commontest"
	"github.com/seed94f0f622/verso/tui/dialog"
)

type env struct {
	c     *common.Common
	st    *store.Store
	v     store.Version
	state string
}

// newEnv: prompt "greet" v1 on demo/demo-small with a default suite of one
// case (name=Ada), and the demo model server on loopback.
func newEnv(t testing.TB, o modelserver.Options) *env {
	t.Helper()
	st, _ := commontest.OpenStore(t)
	srv, err := modelserver.Start("127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	reg := provider.NewRegistry(config.Config{})
	reg.SetBaseURL("demo", srv.URL())
	c := common.NewCommon(st, "tester", themes.MustGet("dark", true))
	c.Providers = reg
	c.Now = commontest.Clock
	ctx := context.Background()
	v, err := st.Commit(ctx, store.CommitInput{Name: "greet", Kind: store.KindText, Template: "Say hello to {{name}} and mention the {{topic}}.",
		Author: "ada", Message: "first", Config: store.Config{Model: "demo/demo-small"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveSuite(ctx, "greet", store.Suite{Name: "default", Cases: []store.Case{{Name: "greets Ada",
		Vars: map[string]any{"name": "Ada", "topic": "weather"}, Assertions: []store.Assertion{{Type: "icontains", Value: "Ada"}}}}}); err != nil {
		t.Fatal(err)
	}
	return &env{c: c, st: st, v: v, state: filepath.Join(t.TempDir(), "state")}
}

func (e *env) open(t testing.TB, w, h int) *Model {
	t.Helper()
	s, _ := commontest.Start(t, New(e.c, e.v, Options{StateDir: e.state}), w, h)
	return s.(*Model)
}

func drive(t testing.TB, m *Model, msgs ...tea.Msg) (*Model, []tea.Msg) {
	t.Helper()
	s, out := commontest.Drive(t, m, msgs...)
	return s.(*Model), out
}

func TestPlaygroundFillsValuesFromACase(t *testing.T) {
	e := newEnv(t, modelserver.Options{})
	m := e.open(t, 100, 30)
	if got := m.values(); got["name"] != "Ada" || got["topic"] != "weather" {
		t.Fatalf("values = %v, want the case's (Ada, weather)", got)
	}
	if !strings.Contains(m.View(), "values: case greets Ada") {
		t.Errorf("the banner does not say where the values come from:\n%s", m.View())
	}
	if !m.picked["demo/demo-small"] {
		t.Errorf("the version's own model is not picked: %v", m.picked)
	}
}

func TestPlaygroundRunsAndMarksCachedAnswers(t *testing.T) {
	e := newEnv(t, modelserver.Options{})
	m := e.open(t, 120, 30)
	m, out := drive(t, m, commontest.Key("ctrl+r"))
	if len(m.cols) != 1 || m.cols[0].state != done {
		t.Fatalf("after ctrl+r: %d columns, state %v; msgs %v", len(m.cols), m.cols[0].state, out)
	}
	c := m.cols[0]
	if c.cached || c.text.Len() == 0 || c.resp.TokensOut == 0 {
		t.Fatalf("first answer: cached=%v text=%q tokens=%d", c.cached, c.text.String(), c.resp.TokensOut)
	}
	v := m.View()
	for _, want := range []string{"demo/demo-small", "ms ·", "tokens", "$"} {
		if !strings.Contains(v, want) {
			t.Errorf("the answer's figures lack %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "cached") {
		t.Errorf("a live answer is marked cached:\n%s", v)
	}
	m, _ = drive(t, m, commontest.Key("ctrl+r"))
	if !m.cols[0].cached || !strings.Contains(m.View(), "cached") {
		t.Fatalf("the same question again is not marked cached:\n%s", m.View())
	}
	if m.cols[0].text.String() != c.text.String() {
		t.Errorf("cached answer %q differs from the live one %q", m.cols[0].text.String(), c.text.String())
	}
}

func TestPlaygroundComparesModelsSideBySide(t *testing.T) {
	e := newEnv(t, modelserver.Options{})
	m := e.open(t, 140, 40)
	// tab to Models, go to demo-large, pick it (space marks and stays).
	idx := -1
	for i, mod := range m.models {
		if mod == "demo/demo-large" {
			idx = i
		}
	}
	if idx < 0 {
		t.Fatalf("demo/demo-large not offered: %v", m.models)
	}
	msgs := []tea.Msg{commontest.Key("tab")}
	for range idx {
		msgs = append(msgs, commontest.Key("down"))
	}
	msgs = append(msgs, commontest.Key("space"))
	m, _ = drive(t, m, msgs...)
	if m.mcur != idx {
		t.Errorf("space moved the cursor: %d, want %d (space marks and stays)", m.mcur, idx)
	}
	m, _ = drive(t, m, commontest.Key("ctrl+r"))
	if len(m.cols) != 2 || m.cols[0].state != done || m.cols[1].state != done {
		t.Fatalf("want two finished answers, got %d", len(m.cols))
	}
	v := m.View()
	row := ""
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "demo/demo-small") && strings.Contains(l, "demo/demo-large") {
			row = l
		}
	}
	if row == "" {
		t.Fatalf("the two answers are not side by side:\n%s", v)
	}
	commontest.CheckFrame(t, v, 140, 40)
}

func TestPlaygroundRemembersTheLastValues(t *testing.T) {
	e := newEnv(t, modelserver.Options{})
	m := e.open(t, 100, 30)
	// Replace the name, run.
	msgs := []tea.Msg{commontest.Key("ctrl+u")}
	msgs = append(msgs, commontest.Type("Grace")...)
	msgs = append(msgs, commontest.Key("ctrl+r"))
	m, _ = drive(t, m, msgs...)
	if m.values()["name"] != "Grace" {
		t.Fatalf("typed value not kept: %v", m.values())
	}
	again := e.open(t, 100, 30)
	if got := again.values()["name"]; got != "Grace" {
		t.Fatalf("reopened playground has name=%v, want the value used last (Grace)", got)
	}
	if !strings.Contains(again.View(), "values used last") {
		t.Errorf("banner does not say the values are the last used:\n%s", again.View())
	}
	// ctrl+o goes to the case's values.
	again, out := drive(t, again, commontest.Key("ctrl+o"))
	if again.values()["name"] != "Ada" {
		t.Errorf("ctrl+o: name=%v, want the case's Ada (msgs %v)", again.values()["name"], out)
	}
}

func TestPlaygroundSavesATestCase(t *testing.T) {
	e := newEnv(t, modelserver.Options{})
	m := e.open(t, 100, 30)
	_, out := drive(t, m, commontest.Key("ctrl+t"))
	spec, ok := commontest.Find[common.CaseFormMsg](out)
	if !ok {
		t.Fatalf("ctrl+t did not open the case form: %v", out)
	}
	if spec.SuiteID == 0 || spec.Suite != "default" || spec.Prompt != "greet" {
		t.Errorf("case goes to suite %q (%d) of %q, want the default suite of greet", spec.Suite, spec.SuiteID, spec.Prompt)
	}
	if spec.Old == nil || spec.Old.ID != 0 || spec.Old.Vars["name"] != "Ada" || spec.Old.Vars["topic"] != "weather" {
		t.Fatalf("the case does not carry the playground's values: %+v", spec.Old)
	}
	if len(spec.Old.Assertions) != 1 || spec.Old.Assertions[0].Type != "icontains" {
		t.Errorf("the case should start with one 'contains' assertion to fill in: %+v", spec.Old.Assertions)
	}
}

func TestPlaygroundCommitsTheEditedPrompt(t *testing.T) {
	e := newEnv(t, modelserver.Options{})
	m := e.open(t, 100, 30)
	_, out := drive(t, m, commontest.Key("ctrl+s"))
	if len(out) == 0 {
		t.Fatal("ctrl+s on an unchanged prompt says nothing")
	}
	if _, ok := commontest.Find[common.PushMsg](out); ok {
		t.Fatal("ctrl+s on an unchanged prompt opened the commit dialog")
	}
	msgs := []tea.Msg{commontest.Key("tab"), commontest.Key("tab"), commontest.Key("ctrl+e")}
	msgs = append(msgs, commontest.Type(" Be brief.")...)
	m, _ = drive(t, m, msgs...)
	if !m.Edited() || !strings.Contains(m.View(), "not committed") {
		t.Fatalf("edit not shown as uncommitted:\n%s", m.View())
	}
	m, out = drive(t, m, commontest.Key("ctrl+s"))
	push, ok := commontest.Find[common.PushMsg](out)
	if !ok {
		t.Fatalf("ctrl+s did not open the commit dialog: %v", out)
	}
	d := push.Screen.(*dialog.Confirm)
	d.SetSize(100, 30)
	dmsgs := append(commontest.Type("shorter"), commontest.Key("enter"))
	_, dout := commontest.Drive(t, d, dmsgs...)
	if _, ok := commontest.Find[committedMsg](dout); !ok {
		t.Fatalf("commit did not report back: %v", dout)
	}
	latest, err := e.st.Lookup(context.Background(), "greet@latest")
	if err != nil || latest.Number != 2 || !strings.HasSuffix(latest.Template, "Be brief.") {
		t.Fatalf("latest = v%d %q (%v), want v2 with the edit", latest.Number, latest.Template, err)
	}
	m, _ = drive(t, m, committedMsg{To: m.to()})
	if m.base.Number != 2 || m.Edited() {
		t.Errorf("after the commit the playground is on v%d, edited=%v; want v2, clean", m.base.Number, m.Edited())
	}
}

func TestPlaygroundAsksBeforeDroppingAnEdit(t *testing.T) {
	e := newEnv(t, modelserver.Options{})
	m := e.open(t, 100, 30)
	msgs := []tea.Msg{commontest.Key("tab"), commontest.Key("tab")}
	msgs = append(msgs, commontest.Type("X")...)
	msgs = append(msgs, commontest.Key("esc"))
	m, out := drive(t, m, msgs...)
	if _, ok := commontest.Find[common.PopMsg](out); ok || !m.ask {
		t.Fatalf("esc with an edited prompt left without asking")
	}
	m, out = drive(t, m, commontest.Key("esc"))
	if m.ask || len(out) != 0 {
		t.Fatalf("esc on the question should stay: ask=%v %v", m.ask, out)
	}
	_, out = drive(t, m, commontest.Key("esc"), commontest.Key("y"))
	if _, ok := commontest.Find[common.PopMsg](out); !ok {
		t.Fatalf("y did not leave: %v", out)
	}
}

func TestPlaygroundEditedVariablesFollowTheText(t *testing.T) {
	e := newEnv(t, modelserver.Options{})
	m := e.open(t, 100, 30)
	msgs := []tea.Msg{commontest.Key("tab"), commontest.Key("tab"), commontest.Key("ctrl+e")}
	msgs = append(msgs, commontest.Type(" In {{lang}}.")...)
	m, _ = drive(t, m, msgs...)
	if len(m.varNames) != 3 || m.values()["name"] != "Ada" {
		t.Fatalf("variables %v values %v: want lang added and typed values kept", m.varNames, m.values())
	}
}

func TestPlaygroundStreamsAndStripsControlSequences(t *testing.T) {
	e := newEnv(t, modelserver.Options{})
	m := e.open(t, 100, 30)
	m.cols = []*column{{model: "demo/demo-small", state: waiting}}
	m.live = true
	m.Update(eventsMsg{To: m.to(), gen: m.gen, events: []event{{col: 0, text: "Hello \x1b[2J\x1b]0;pwned\x07Ada"}}})
	if m.cols[0].state != streaming {
		t.Fatalf("state after the first piece = %v, want streaming", m.cols[0].state)
	}
	v := m.View()
	commontest.CheckClean(t, v)
	if !strings.Contains(v, "Hello") || !strings.Contains(v, "streaming") {
		t.Fatalf("the piece is not shown as it arrives:\n%s", v)
	}
	// A stale run's events are dropped.
	m.Update(eventsMsg{To: m.to(), gen: m.gen - 1, events: []event{{col: 0, text: "old"}}})
	if strings.Contains(m.cols[0].text.String(), "old") {
		t.Error("an event of a stopped run was shown")
	}
}

func TestPlaygroundEscStopsARun(t *testing.T) {
	e := newEnv(t, modelserver.Options{Latency: 5 * time.Second})
	m := e.open(t, 100, 30)
	cmd := m.run()
	if cmd == nil || !m.live {
		t.Fatal("ctrl+r did not start a run")
	}
	_, _ = m.Update(commontest.Key("esc"))
	if m.live || m.cols[0].state != failed || m.cols[0].err != "stopped" {
		t.Fatalf("esc during a run: live=%v state=%v", m.live, m.cols[0].state)
	}
}

func TestPlaygroundGoldens(t *testing.T) {
	commontest.EachLayout(t, func(t *testing.T, l commontest.Layout) {
		e := newEnv(t, modelserver.Options{})
		e.c.SetTheme(commontest.Themes()[l.Theme])
		m := New(e.c, e.v, Options{StateDir: e.state})
		s, _ := commontest.Start(t, m, l.W, l.H)
		m = s.(*Model)
		m.picked["demo/demo-large"] = true
		m.cols = []*column{
			{model: "demo/demo-small", state: done, resp: provider.Response{Latency: 420 * time.Millisecond, TokensIn: 18, TokensOut: 12}, cost: 0.0000066},
			{model: "demo/demo-large", state: done, cached: true, resp: provider.Response{Latency: 910 * time.Millisecond, TokensIn: 18, TokensOut: 20}, cost: 0.000098},
		}
		m.cols[0].text.WriteString("Hello Ada! The weather is lovely today.")
		m.cols[1].text.WriteString("Hello, Ada. Since you asked about the weather: expect sunshine all afternoon, with a light breeze.")
		l.Shot(t, "playground", m.View())
	})
}
