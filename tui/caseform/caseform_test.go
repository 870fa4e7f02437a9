package caseform

import (
	"context"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/eval/assert"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

func start(t *testing.T, st *store.Store, spec Spec, w, h int) *Model {
	t.Helper()
	c := ct.NewCommon(t, st, ct.Dark())
	s, _ := ct.Start(t, New(c, spec), w, h)
	return s.(*Model)
}

func drive(t *testing.T, m *Model, msgs ...tea.Msg) []tea.Msg {
	t.Helper()
	_, out := ct.Drive(t, m, msgs...)
	return out
}

func plain(m *Model) string { return ansi.Strip(m.View()) }

// pick chooses an assertion type in the list by name.
func pick(t *testing.T, m *Model, typ string) {
	t.Helper()
	for m.fields()[m.focus].addRow == false {
		drive(t, m, ct.Key("tab"))
	}
	drive(t, m, ct.Key("enter"))
	if !m.picking {
		t.Fatal("enter on + add did not open the type list")
	}
	for i, k := range assert.Kinds() {
		if k.Name == strings.TrimPrefix(typ, "not-") {
			for range i {
				drive(t, m, ct.Key("j"))
			}
			if strings.HasPrefix(typ, "not-") {
				drive(t, m, ct.Key("!"))
			}
			drive(t, m, ct.Key("enter"))
			return
		}
	}
	t.Fatalf("no type %s", typ)
}

// A product manager's case: description, the prompt's variables (listed),
// an assertion chosen from the list, saved into a new suite. No YAML.
func TestAddCaseWithoutYAML(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	m := start(t, st, Spec{Prompt: ct.Support, Vars: []string{"company", "question", "name"}, Suite: "default"}, 100, 30)
	v := plain(m)
	for _, want := range []string{"company", "question", "name", "Variables (the prompt's, pre-listed)"} {
		if !strings.Contains(v, want) {
			t.Fatalf("%q not listed:\n%s", want, v)
		}
	}
	drive(t, m, ct.Type("refund request")...)
	drive(t, m, ct.Key("tab"))
	drive(t, m, ct.Type("Acme")...)
	drive(t, m, ct.Key("tab"))
	drive(t, m, ct.Type("Can I get my money back?")...)
	pick(t, m, "icontains")
	drive(t, m, ct.Type("refund policy")...)
	if !strings.Contains(plain(m), "icontains — the output contains the value, ignoring case") {
		t.Fatalf("the type is not explained:\n%s", plain(m))
	}
	out := drive(t, m, ct.Key("ctrl+s"))
	if _, ok := ct.Find[common.PopMsg](out); !ok {
		t.Fatalf("not saved: %v\n%s", out, plain(m))
	}
	su, err := st.Suite(context.Background(), ct.Support, "default")
	if err != nil || len(su.Cases) != 1 {
		t.Fatalf("suite: %v %+v", err, su)
	}
	c := su.Cases[0]
	if c.Name != "refund request" || c.Vars["company"] != "Acme" || c.Vars["question"] != "Can I get my money back?" || len(c.Vars) != 2 {
		t.Fatalf("case %+v", c)
	}
	if len(c.Assertions) != 1 || c.Assertions[0].Type != "icontains" || c.Assertions[0].Value != "refund policy" {
		t.Fatalf("assertions %+v", c.Assertions)
	}
}

// A bad regex or JSON schema is named as it is typed, and stops the save.
func TestValidationAsTyped(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	m := start(t, st, Spec{Prompt: ct.Support, Suite: "default"}, 120, 40)
	drive(t, m, ct.Type("checks")...)
	pick(t, m, "regex")
	drive(t, m, ct.Type("(refund")...)
	if v := plain(m); !strings.Contains(v, "✗ regex: bad pattern") {
		t.Fatalf("bad regex not named:\n%s", v)
	}
	out := drive(t, m, ct.Key("ctrl+s"))
	if _, ok := ct.Find[common.PopMsg](out); ok {
		t.Fatal("saved a bad regex")
	}
	drive(t, m, ct.Type(")")...)
	if v := plain(m); strings.Contains(v, "✗") {
		t.Fatalf("a good regex still refused:\n%s", v)
	}
	pick(t, m, "json-schema")
	drive(t, m, ct.Type(`{"type": "objekt"`)...)
	if v := plain(m); !strings.Contains(v, "✗ the schema is not JSON") {
		t.Fatalf("bad JSON not named:\n%s", v)
	}
	drive(t, m, ct.Type(`}`)...)
	if v := plain(m); !strings.Contains(v, "✗ json-schema:") {
		t.Fatalf("bad schema not named:\n%s", v)
	}
	pick(t, m, "word-count")
	drive(t, m, ct.Type("20-")...)
	if a, err := m.rows[2].assertion(); err != nil || a.Value.(map[string]any)["min"] != 20 {
		t.Fatalf("bounds: %+v %v", a, err)
	}
	// ctrl+x removes the assertion the cursor is in.
	drive(t, m, ct.Key("ctrl+x"))
	if len(m.rows) != 2 {
		t.Fatalf("rows %d", len(m.rows))
	}
}

// The type list explains every type in one line, and ! negates.
func TestTypeListExplainsEachType(t *testing.T) {
	st, _ := ct.OpenStore(t)
	m := start(t, st, Spec{Prompt: "p", Suite: "default"}, 220, 60)
	for m.fields()[m.focus].addRow == false {
		drive(t, m, ct.Key("tab"))
	}
	drive(t, m, ct.Key("enter"))
	v := plain(m)
	for _, k := range assert.Kinds() {
		if !strings.Contains(v, k.Name) || !strings.Contains(v, k.Doc) {
			t.Errorf("%s: %q not shown", k.Name, k.Doc)
		}
	}
	drive(t, m, ct.Key("!"), ct.Key("enter"))
	if m.rows[0].typ != "not-equals" {
		t.Fatalf("negated: %s", m.rows[0].typ)
	}
}

// Editing a case shows its values and saves it in place; ctrl+y hands it
// to the YAML editor; esc with changes asks.
func TestEditCase(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ctx := context.Background()
	su, err := st.SaveSuite(ctx, ct.Support, store.Suite{Name: "default", Cases: []store.Case{{Name: "greets", Vars: map[string]any{"name": "Ada", "n": 3},
		Assertions: []store.Assertion{{Type: "length", Value: map[string]any{"min": 10, "max": 200}}, {Type: "not-icontains", Value: "sorry"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	old := su.Cases[0]
	type yamlAsked struct{}
	m := start(t, st, Spec{Prompt: ct.Support, Vars: []string{"name"}, SuiteID: su.ID, Suite: "default", Old: &old, YAML: yamlAsked{}}, 100, 30)
	v := plain(m)
	for _, want := range []string{"greets", "Ada", "10-200", "not-icontains", "sorry"} {
		if !strings.Contains(v, want) {
			t.Fatalf("%q not shown:\n%s", want, v)
		}
	}
	if m.Changed() {
		t.Fatal("changed before typing")
	}
	drive(t, m, ct.Type(" by name")...)
	drive(t, m, ct.Key("esc"))
	if !strings.Contains(plain(m), "Discard this case?") {
		t.Fatalf("esc with changes did not ask:\n%s", plain(m))
	}
	drive(t, m, ct.Key("n"))
	out := drive(t, m, ct.Key("ctrl+s"))
	if _, ok := ct.Find[common.PopMsg](out); !ok {
		t.Fatalf("not saved: %v", out)
	}
	got, _ := st.Suite(ctx, ct.Support, "default")
	c := got.Cases[0]
	if len(got.Cases) != 1 || c.ID != old.ID || c.Name != "greets by name" || c.Vars["n"] != float64(3) && c.Vars["n"] != 3 || len(c.Assertions) != 2 {
		t.Fatalf("saved %+v", got.Cases)
	}
	_, cmd := start(t, st, Spec{Prompt: ct.Support, SuiteID: su.ID, Suite: "default", Old: &c, YAML: yamlAsked{}}, 100, 30).Update(ct.Key("ctrl+y"))
	out = ct.Run(t, cmd)
	if _, ok := ct.Find[yamlAsked](out); !ok {
		t.Fatalf("ctrl+y: %v", out)
	}
}

func TestGolden(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ct.EachLayout(t, func(t *testing.T, l ct.Layout) {
		c := ct.NewCommon(t, st, ct.Themes()[l.Theme])
		s, _ := ct.Start(t, New(c, Spec{Prompt: ct.Support, Vars: []string{"company", "question", "name"}, Suite: "default", YAML: struct{}{}}), l.W, l.H)
		m := s.(*Model)
		l.Shot(t, "new", m.View())
		drive(t, m, ct.Type("refund request")...)
		pick(t, m, "regex")
		drive(t, m, ct.Type("(refund")...)
		l.Shot(t, "bad-regex", m.View())
		for m.fields()[m.focus].addRow == false {
			drive(t, m, ct.Key("tab"))
		}
		drive(t, m, ct.Key("enter"))
		l.Shot(t, "types", m.View())
	})
}

func TestHostileAndResizes(t *testing.T) {
	st, _ := ct.OpenStore(t)
	old := store.Case{Name: "evil " + ct.Evil, Vars: map[string]any{"x" + ct.Evil: "v " + ct.Evil + " 日本語"}, Assertions: []store.Assertion{{Type: "contains", Value: ct.Evil}}}
	m := start(t, st, Spec{Prompt: "p" + ct.Evil, Suite: "s" + ct.Evil, Old: &old}, 100, 30)
	for _, sz := range ct.Resizes() {
		m.SetSize(sz[0], sz[1])
		v := m.View()
		if bad := ct.Unclean(v); bad != "" {
			t.Fatalf("%v: %s", sz, bad)
		}
		ct.CheckFrame(t, v, sz[0], sz[1])
	}
}
