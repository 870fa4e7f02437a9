package themes

import (
	"image/color"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
)

func TestEveryThemeBuilds(t *testing.T) {
	for _, name := range Names() {
		for _, dark := range []bool{true, false} {
			th, err := Get(name, dark)
			if err != nil {
				t.Fatalf("Get(%q): %v", name, err)
			}
			if th.Name != name || th.Palette.Name != name {
				t.Errorf("Get(%q) names theme %q, palette %q", name, th.Name, th.Palette.Name)
			}
			if th.Styles.Palette.Name != name {
				t.Errorf("%s: styles built from palette %q", name, th.Styles.Palette.Name)
			}
			// Rendering through every badge must not panic and must keep the text.
			for _, l := range []string{"production", "staging", "development", "canary"} {
				if out := th.Styles.Badge(l).Render(l); !strings.Contains(ansi.Strip(out), l) {
					t.Errorf("%s: badge %q lost its text: %q", name, l, out)
				}
			}
			if _, err := th.Palette.MarkdownRenderer(60); err != nil {
				t.Errorf("%s: markdown renderer: %v", name, err)
			}
		}
	}
}

func TestEveryRoleSet(t *testing.T) {
	for _, name := range Names() {
		p := MustGet(name, true).Palette
		for role, c := range p.roles() {
			if c == nil {
				t.Errorf("%s: role %s is nil", name, role)
				continue
			}
			if p.Mono != isNoColor(c) {
				t.Errorf("%s: role %s = %v (mono=%v)", name, role, c, p.Mono)
			}
		}
	}
}

func TestDefaultAdapts(t *testing.T) {
	d, l := Default(true), Default(false)
	if !d.Dark || l.Dark {
		t.Fatalf("Default(true).Dark=%v Default(false).Dark=%v", d.Dark, l.Dark)
	}
	if Hex(d.Background) == Hex(l.Background) {
		t.Error("default theme has the same background on dark and light terminals")
	}
}

// luminance is the WCAG relative luminance of c.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		x := float64(v) / 0xffff
		if x <= 0.03928 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

func contrast(a, b color.Color) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func TestContrast(t *testing.T) {
	for _, name := range Names() {
		p := MustGet(name, true).Palette
		if p.Mono {
			continue
		}
		checks := []struct {
			what   string
			fg, bg color.Color
			min    float64
		}{
			{"Text on Background", p.Text, p.Background, 7},
			{"Muted on Background", p.Muted, p.Background, 3},
			{"SelectionText on Selection", p.SelectionText, p.Selection, 4.5},
			{"Text on DiffAdd", p.Text, p.DiffAdd, 4.5},
			{"Text on DiffDel", p.Text, p.DiffDel, 4.5},
			{"Text on DiffAddEmph", p.Text, p.DiffAddEmph, 3},
			{"Text on DiffDelEmph", p.Text, p.DiffDelEmph, 3},
			{"BadgeText on Production", p.BadgeText, p.Production, 3},
			{"BadgeText on Staging", p.BadgeText, p.Staging, 3},
			{"BadgeText on Development", p.BadgeText, p.Development, 3},
			{"Error on Background", p.Error, p.Background, 3},
			{"Accent on Background", p.Accent, p.Background, 3},
		}
		if name == "high-contrast" {
			checks[0].min = 15
		}
		for _, c := range checks {
			if got := contrast(c.fg, c.bg); got < c.min {
				t.Errorf("%s: %s contrast %.2f < %.1f", name, c.what, got, c.min)
			}
		}
		if Hex(p.DiffAdd) == Hex(p.DiffAddEmph) || Hex(p.DiffDel) == Hex(p.DiffDelEmph) {
			t.Errorf("%s: word emphasis indistinguishable from the line background", name)
		}
	}
}

func TestNextCycles(t *testing.T) {
	names := Names()
	seen := map[string]bool{}
	n := names[0]
	for range names {
		seen[n] = true
		n = Next(n)
	}
	if n != names[0] || len(seen) != len(names) {
		t.Fatalf("Next does not cycle through all %d themes: saw %d, ended at %q", len(names), len(seen), n)
	}
	if Next("nope") != names[0] {
		t.Errorf("Next(unknown) = %q, want %q", Next("nope"), names[0])
	}
}

func TestGetUnknown(t *testing.T) {
	_, err := Get("solarized-neon", true)
	if err == nil {
		t.Fatal("want error for unknown theme")
	}
	for _, n := range Names() {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("error %q does not list %q", err, n)
		}
	}
	if th, err := Get("", false); err != nil || th.Name != DefaultName {
		t.Errorf("Get(\"\") = %q, %v", th.Name, err)
	}
	if th, err := Get(" Nord ", false); err != nil || th.Name != "nord" {
		t.Errorf("Get(\" Nord \") = %q, %v", th.Name, err)
	}
}

func TestFromEnvNoColor(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	th, err := FromEnv("dracula-or-whatever", true, env(map[string]string{"NO_COLOR": "1"}))
	if err != nil || th.Name != MonoName || !th.Palette.Mono {
		t.Fatalf("NO_COLOR=1: got %q mono=%v err=%v", th.Name, th.Palette.Mono, err)
	}
	th, err = FromEnv("nord", true, env(map[string]string{"NO_COLOR": ""}))
	if err != nil || th.Name != "nord" {
		t.Fatalf("NO_COLOR empty: got %q err=%v", th.Name, err)
	}
}

var sgrColor = regexp.MustCompile(`\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7]|10[0-7])[;m]`)

func TestMonoHasNoColourButShowsSelection(t *testing.T) {
	s := MustGet(MonoName, true).Styles
	outs := []string{
		s.List.Selected.Render("row"), s.List.Match.Render("m"), s.Badge("production").Render("production"),
		s.Diff.AddEmph.Render("w"), s.StatusBar.Bar.Render("bar"), s.Panel.Focused.Render("x"),
		s.Error.Render("e"), s.Tabs.Active.Render("tab"),
	}
	for _, o := range outs {
		if sgrColor.MatchString(o) {
			t.Errorf("mono output has a colour: %q", o)
		}
	}
	if !strings.Contains(s.List.Selected.Render("row"), "\x1b[") {
		t.Error("mono selection has no attribute (reverse/bold) to show it")
	}
	if s.List.Selected.Render("row") == s.List.Item.Render("row") {
		t.Error("mono selected row looks like an ordinary row")
	}
}

func TestGlamourUsesPalette(t *testing.T) {
	p := CatppuccinMocha()
	g := p.Glamour()
	if g.Document.Color == nil || *g.Document.Color != Hex(p.Text) {
		t.Errorf("document colour %v, want %s", g.Document.Color, Hex(p.Text))
	}
	if g.CodeBlock.Chroma == nil || *g.CodeBlock.Chroma.Keyword.Color != Hex(p.SyntaxKeyword) {
		t.Error("chroma keyword colour does not come from the palette")
	}
	r, err := p.MarkdownRenderer(40)
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Render("# Title\n\nSome *text* and `code`.\n")
	if err != nil || !strings.Contains(out, "Title") {
		t.Fatalf("render: %q, %v", out, err)
	}
}

// TestNoHexOutsidePalettes keeps colour literals in palettes.go only.
func TestNoHexOutsidePalettes(t *testing.T) {
	hex := regexp.MustCompile(`"#[0-9a-fA-F]{6}"`)
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if f == "palettes.go" || strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if hex.Match(b) {
			t.Errorf("%s has a hex colour literal; put colours in palettes.go", f)
		}
	}
}

func TestHex(t *testing.T) {
	if got := Hex(lipgloss.Color("#1a2b3c")); got != "#1a2b3c" {
		t.Errorf("Hex = %q", got)
	}
	if Hex(lipgloss.NoColor{}) != "" || Hex(nil) != "" {
		t.Error("Hex of no colour should be empty")
	}
}

// TestDiffColoursSurvive256 checks that on a 256-colour terminal the diff
// backgrounds stay distinct: add vs delete, and words vs lines.
func TestDiffColoursSurvive256(t *testing.T) {
	conv := func(c color.Color) string { return Hex(colorprofile.ANSI256.Convert(c)) }
	for _, name := range Names() {
		p := MustGet(name, true).Palette
		if p.Mono {
			continue
		}
		set := map[string]string{}
		for role, c := range map[string]color.Color{"DiffAdd": p.DiffAdd, "DiffAddEmph": p.DiffAddEmph, "DiffDel": p.DiffDel, "DiffDelEmph": p.DiffDelEmph} {
			h := conv(c)
			if other, dup := set[h]; dup {
				t.Errorf("%s: %s and %s are both %s in 256 colours", name, role, other, h)
			}
			set[h] = role
		}
	}
}
