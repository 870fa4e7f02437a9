package themes

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alecthomas/chroma/v2"
	"github.com/charmbracelet/colorprofile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sample renders one of every kind of element with a theme's styles: the
// golden files show at a glance what a palette change does.
func sample(s Styles) string {
	lines := []string{
		s.Title.Render("Prompts") + " " + s.Subtitle.Render("support/reply") + " " + s.Muted.Render("3 days ago · ana") + " " + s.Subtle.Render("#support"),
		s.Tabs.Active.Render("Content") + s.Tabs.Separator.Render("│") + s.Tabs.Inactive.Render("History") + s.Tabs.Separator.Render("│") + s.Tabs.Inactive.Render("Labels"),
		s.List.Cursor.Render("›") + s.List.Selected.Render(" support/"+"reply ") + " " + s.Badge("production").Render("production") + " " + s.Badge("staging").Render("staging"),
		"  " + s.List.Item.Render("ticket-") + s.List.Match.Render("sum") + s.List.Item.Render("mary") + " " + s.Badge("development").Render("development") + " " + s.Badge("canary").Render("canary"),
		"  " + s.List.Dimmed.Render("archived/old-prompt") + " " + s.List.Marked.Render("●") + " " + s.List.Meta.Render("v7"),
		s.Panel.Focused.Render(s.Panel.TitleFocused.Render("Preview")) + s.Panel.Unfocused.Render(s.Panel.Title.Render("Config")),
		s.Text.Render("Hello ") + s.Variable.Render("{{name}}") + s.Text.Render(", ") + s.Code.Render("raw"),
		s.Role("system").Render("system") + " " + s.Role("user").Render("user") + " " + s.Role("assistant").Render("assistant") + " " + s.Role("tool").Render("tool"),
		s.Success.Render("✓ committed v4") + " " + s.Warning.Render("! gate") + " " + s.Error.Render("✗ locked") + " " + s.Info.Render("i live") + " " + s.Spinner.Render("⠋"),
		s.Table.Header.Render("when  who  from  to") + " " + s.Table.Cell.Render("2m  ana  3  4") + " " + s.Table.Selected.Render("1h  bo  2  3"),
		s.Diff.DelMarker.Render("-") + s.Diff.Del.Render("old ") + s.Diff.DelEmph.Render("word") + " " + s.Diff.AddMarker.Render("+") + s.Diff.Add.Render("new ") + s.Diff.AddEmph.Render("word") + " " + s.Diff.Hunk.Render("@@ -1 +1 @@") + " " + s.Diff.LineNumber.Render("12"),
		s.Dialog.Frame.Render(s.Dialog.Title.Render("Promote?") + " " + s.Dialog.ButtonActive.Render("Yes") + s.Dialog.Button.Render("No")),
		s.Input.Prompt.Render("/") + s.Input.Text.Render("sup") + s.Input.Cursor.Render("█") + s.Input.Placeholder.Render("filter"),
		s.StatusBar.Key.Render("verso.db") + s.StatusBar.Text.Render("ana") + s.StatusBar.Success.Render("promoted") + s.StatusBar.Error.Render("locked"),
		s.Help.Key.Render("enter") + " " + s.Help.Desc.Render("open") + s.Help.Separator.Render(" • ") + s.Help.Key.Render("?") + " " + s.Help.Desc.Render("help"),
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestStylesGolden(t *testing.T) {
	for _, name := range Names() {
		for _, dark := range []bool{true, false} {
			if name != DefaultName && !dark {
				continue // only the default theme depends on the background
			}
			file := name
			if name == DefaultName {
				file += map[bool]string{true: "-dark", false: "-light"}[dark]
			}
			var b bytes.Buffer
			w := &colorprofile.Writer{Forward: &b, Profile: colorprofile.ANSI256}
			if _, err := w.WriteString(sample(MustGet(name, dark).Styles)); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "styles-"+file+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./themes -update)", err)
			}
			if !bytes.Equal(want, b.Bytes()) {
				t.Errorf("%s differs from its golden (run with -update if intended)", path)
			}
		}
	}
}

func TestChromaEveryTheme(t *testing.T) {
	for _, name := range Names() {
		p := MustGet(name, true).Palette
		s, err := p.Chroma()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !p.Mono && s.Get(chroma.Keyword).Colour.String() != Hex(p.SyntaxKeyword) {
			t.Errorf("%s: keyword colour %s, want %s", name, s.Get(chroma.Keyword).Colour, Hex(p.SyntaxKeyword))
		}
	}
}
