package evalws

import (
	"context"
	"github.com/charmbracelet/x/ansi"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

func testsTab(t *testing.T) (*env, *TestsTab, *driver) {
	e := newEnv(t, modelserver.Options{})
	tab := newTestsTab(e.c, "greet")
	tab.SetSize(80, 24)
	d := tabDriver(t, tab)
	d.run(tab.Init())
	if len(tab.items) != 4 {
		t.Fatalf("items %v", tab.items)
	}
	return e, tab, d
}

// editorWrites plays the editor: it writes content into the file the tab
// opened and reports the editor's exit.
func editorWrites(t *testing.T, tab *TestsTab, d *driver, content string) {
	t.Helper()
	if tab.edit == nil || tab.edit.path == "" {
		t.Fatalf("no file is being edited (msgs %v)", d.other)
	}
	if err := os.WriteFile(tab.edit.path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	d.send(editorDoneMsg{to: to{ID: tab.id}, e: tab.edit})
}

func lastStatus(d *driver) common.StatusMsg {
	s := d.statuses()
	if len(s) == 0 {
		return common.StatusMsg{}
	}
	return s[len(s)-1]
}

func TestEditCase(t *testing.T) {
	e, tab, d := testsTab(t)
	d.send(ct.Key("j")) // greets Ada
	d.send(ct.Key("Y")) // YAML (e opens the form)
	data, err := os.ReadFile(tab.edit.path)
	if err != nil || !strings.Contains(string(data), "greets Ada") || !strings.Contains(string(data), "icontains") {
		t.Fatalf("edit file: %v\n%s", err, data)
	}
	// An invalid assertion is refused with the reason; the file is kept.
	bad := strings.Replace(string(data), "type: icontains", "type: regex\n        value: '('\n      - type: icontains", 1)
	editorWrites(t, tab, d, bad)
	if tab.mode != modeInvalid || !strings.Contains(tab.edit.err, "regex") {
		t.Fatalf("mode %d, err %q", tab.mode, tab.edit.err)
	}
	if s := lastStatus(d); s.Kind != common.StatusError || !strings.Contains(s.Text, "bad pattern") {
		t.Fatalf("status %+v", s)
	}
	if !tab.Capturing() {
		t.Error("a refused edit should take esc")
	}
	kept, _ := os.ReadFile(tab.edit.path)
	if string(kept) != bad {
		t.Fatal("the refused edit was lost")
	}
	// e reopens the same file with the edit in it.
	path := tab.edit.path
	d.send(ct.Key("e"))
	if tab.edit.path != path {
		t.Fatalf("reopened %s, want %s", tab.edit.path, path)
	}
	good := strings.Replace(bad, "value: '('", "value: 'A.a'", 1)
	editorWrites(t, tab, d, good)
	if tab.mode != modeList {
		t.Fatalf("mode %d after a good edit (%v)", tab.mode, d.statuses())
	}
	su, _ := e.st.Suite(context.Background(), "greet", "default")
	if n := len(su.Cases[0].Assertions); n != 3 || su.Cases[0].Assertions[0].Type != "regex" || su.Cases[0].Name != "greets Ada" {
		t.Fatalf("saved case %+v", su.Cases[0])
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Error("the temporary file was not removed")
	}
	// An unchanged file is no edit.
	d.send(ct.Key("Y"))
	editorWrites(t, tab, d, string(mustRead(t, tab.edit.path)))
	if s := lastStatus(d); s.Text != "no change" {
		t.Fatalf("status %+v", s)
	}
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAddAndDeleteCase(t *testing.T) {
	e, tab, d := testsTab(t)
	d.send(ct.Key("Y")) // on the suite: a new case as YAML (a opens the form)
	tpl := string(mustRead(t, tab.edit.path))
	if !strings.Contains(tpl, "name: \"\"") {
		t.Fatalf("template lacks the prompt's variables:\n%s", tpl)
	}
	editorWrites(t, tab, d, "tests:\n  - description: greets Kay\n    vars: {name: Kay}\n    assert: [{type: icontains, value: Kay}]\n  - description: greets Lu\n    vars: {name: Lu}\n")
	su, _ := e.st.Suite(context.Background(), "greet", "default")
	if len(su.Cases) != 5 || su.Cases[4].Name != "greets Lu" {
		t.Fatalf("cases after add: %d", len(su.Cases))
	}
	if len(tab.items) != 6 {
		t.Fatalf("the tab did not reload: %d items", len(tab.items))
	}
	// x asks, n keeps, y deletes.
	d.send(ct.Key("G"))
	d.send(ct.Key("x"))
	if tab.mode != modeConfirm || !strings.Contains(tab.confirm, "greets Lu") {
		t.Fatalf("confirm %q", tab.confirm)
	}
	d.send(ct.Key("n"))
	d.send(ct.Key("x"))
	d.send(ct.Key("y"))
	su, _ = e.st.Suite(context.Background(), "greet", "default")
	if len(su.Cases) != 4 {
		t.Fatalf("cases after delete: %d", len(su.Cases))
	}
}

func TestImportSuite(t *testing.T) {
	e, tab, d := testsTab(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("tests:\n  - vars: {name: X}\n    assert: [{type: nonsense, value: 1}]\n"), 0o600)
	good := filepath.Join(dir, "smoke.csv")
	os.WriteFile(good, []byte("name,__expected\nZed,icontains:zed\nYu,icontains:yu\n"), 0o600)

	d.send(ct.Key("i"))
	if !tab.Capturing() {
		t.Fatal("the import input should capture keys")
	}
	for _, r := range bad {
		d.send(ct.Key(string(r)))
	}
	d.send(ct.Key("enter"))
	if s := lastStatus(d); s.Kind != common.StatusError || !strings.Contains(s.Text, "unknown assertion type") {
		t.Fatalf("status %+v", s)
	}
	if tab.mode != modeImport || tab.inputs[0].Value() != bad {
		t.Fatal("the typed path was lost")
	}
	tab.inputs[0].SetValue(good)
	tab.inputs[1].SetValue("smoke")
	d.send(ct.Key("enter"))
	if tab.mode != modeList {
		t.Fatalf("still importing: %v", d.statuses())
	}
	su, err := e.st.Suite(context.Background(), "greet", "smoke")
	if err != nil || len(su.Cases) != 2 {
		t.Fatalf("imported suite: %v %d", err, len(su.Cases))
	}
	if !strings.HasPrefix(lastStatus(d).Text, "imported 2 cases") {
		t.Fatalf("status %+v", lastStatus(d))
	}
}

func TestRenderedPrompt(t *testing.T) {
	_, tab, d := testsTab(t)
	d.send(ct.Key("j"))
	d.send(ct.Key("enter"))
	if v := tab.View(); !strings.Contains(v, "greeting Ada by name") {
		t.Fatalf("rendered prompt missing:\n%s", v)
	}
	d.send(ct.Key("G"))
	if v := tab.View(); !strings.Contains(v, "missing variables: name") {
		t.Fatalf("missing variable not shown:\n%s", v)
	}
}

// tab in the import field completes the path (folders, then suite files),
// and moves to the suite name once the path is whole.
func TestImportPathCompletes(t *testing.T) {
	_, tab, d := testsTab(t)
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "suites"), 0o755)
	os.WriteFile(filepath.Join(dir, "suites", "smoke.csv"), []byte("name\nZed\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "suites", "notes.txt"), nil, 0o600)

	d.send(ct.Key("i"))
	for _, r := range dir + "/su" {
		d.send(ct.Key(string(r)))
	}
	if v := tab.inputs[0].View(); !strings.Contains(v, "tes/") {
		t.Fatalf("the field does not show the completion: %q", v)
	}
	d.send(ct.Key("tab"))
	if got, want := tab.inputs[0].Value(), dir+"/suites/"; got != want {
		t.Fatalf("tab completed the folder to %q, want %q", got, want)
	}
	d.send(ct.Key("tab")) // the only suite file there (notes.txt is not one)
	if got, want := tab.inputs[0].Value(), dir+"/suites/smoke.csv"; got != want {
		t.Fatalf("tab completed the file to %q, want %q", got, want)
	}
	if tab.focus != 0 {
		t.Fatal("tab left the path field while completing")
	}
	d.send(ct.Key("tab"))
	if tab.focus != 1 {
		t.Fatal("tab on a whole path should move to the suite name")
	}
}

// The list says where the cursor is, as every list does, and follows it.
func TestTestsListSaysRowNofM(t *testing.T) {
	_, tab, d := testsTab(t)
	if v := ansi.Strip(tab.View()); !strings.Contains(v, "1 suite · 3 cases · row 1 of 4") {
		t.Fatalf("no position on the first row:\n%s", v)
	}
	d.send(ct.Key("j"))
	d.send(ct.Key("j"))
	if v := ansi.Strip(tab.View()); !strings.Contains(v, "row 3 of 4") {
		t.Fatalf("the position did not follow the cursor:\n%s", v)
	}
}
