// Package themes holds Verso's colour palettes. A Palette names semantic
// roles (text, accent, diff additions, label badges, ...) rather than
// colours; Styles turns one palette into every lipgloss style the TUI and
// CLI use, and Glamour turns the same palette into a markdown style, so all
// rendering of one theme agrees. Hex literals live only in palettes.go.
//
// Typical use in the TUI:
//
//	// Init returns tea.RequestBackgroundColor; then in Update:
//	case tea.BackgroundColorMsg:
//		th, err := themes.FromEnv(name, msg.IsDark(), nil) // mono under NO_COLOR
//		m.styles = th.Styles
//	// cycling: name = themes.Next(name); th, _ = themes.Get(name, isDark)
//
// Outside Bubble Tea, lipgloss.HasDarkBackground(os.Stdin, os.Stdout) gives
// isDark. Markdown: th.Palette.MarkdownRenderer(width) (keep one per width).
package themes

import (
	"fmt"
	"image/color"
	"os"
	"slices"
	"strings"

	"charm.land/lipgloss/v2"
)

// Palette is a theme's set of semantic colour roles. Mono palettes leave
// every role as lipgloss.NoColor and Styles expresses emphasis with
// reverse/bold/underline instead.
type Palette struct {
	Name string
	Dark bool // the palette is meant for a dark background
	Mono bool // no colour at all (NO_COLOR): attributes carry the meaning

	// Surfaces.
	Background color.Color // the terminal background the palette assumes
	Surface    color.Color // raised areas: status bar, table header, tabs
	Overlay    color.Color // dialogs and popups above surfaces

	// Text.
	Text   color.Color // body text
	Muted  color.Color // secondary text: metadata, help descriptions
	Subtle color.Color // tertiary: separators, placeholders, dimmed items

	// Accents and chrome.
	Accent        color.Color // titles, keys in help, the active tab
	AccentAlt     color.Color // second accent: headings, links
	Border        color.Color // unfocused borders
	BorderFocus   color.Color // focused borders
	Selection     color.Color // background of the selected row
	SelectionText color.Color // text on Selection
	Match         color.Color // fuzzy-match highlight
	Variable      color.Color // template variables ({{name}})

	// Status.
	Success color.Color
	Warning color.Color
	Error   color.Color
	Info    color.Color

	// Diff. DiffAdd/DiffDel are line backgrounds; the Emph variants are the
	// stronger backgrounds of changed words; the Fg variants colour gutter
	// markers and line numbers of changed lines.
	DiffAdd     color.Color
	DiffAddEmph color.Color
	DiffAddFg   color.Color
	DiffDel     color.Color
	DiffDelEmph color.Color
	DiffDelFg   color.Color
	DiffContext color.Color // text of unchanged lines
	DiffHunk    color.Color // @@ hunk headers
	LineNumber  color.Color

	// Label badges (backgrounds) and the text drawn on them.
	Production  color.Color
	Staging     color.Color
	Development color.Color
	OtherLabel  color.Color
	BadgeText   color.Color

	// Syntax (code blocks in markdown, JSON in configs).
	SyntaxKeyword  color.Color
	SyntaxString   color.Color
	SyntaxNumber   color.Color
	SyntaxComment  color.Color
	SyntaxFunction color.Color
	SyntaxType     color.Color
}

// Theme is a named palette together with the styles built from it.
type Theme struct {
	Name    string
	Palette Palette
	Styles  Styles
}

// DefaultName is the theme used when none is configured.
const DefaultName = "default"

// MonoName is the colourless theme NO_COLOR selects.
const MonoName = "mono"

// builders maps a theme name to its palette constructor; order is the
// cycle order of Next.
var builders = []struct {
	name  string
	build func(isDark bool) Palette
}{
	{DefaultName, Default},
	{"dark", func(bool) Palette { return Dark() }},
	{"light", func(bool) Palette { return Light() }},
	{"high-contrast", func(bool) Palette { return HighContrast() }},
	{"catppuccin-mocha", func(bool) Palette { return CatppuccinMocha() }},
	{"nord", func(bool) Palette { return Nord() }},
	{MonoName, func(bool) Palette { return Mono() }},
}

// Names lists every theme name in cycle order.
func Names() []string {
	out := make([]string, len(builders))
	for i, b := range builders {
		out[i] = b.name
	}
	return out
}

// Get builds the named theme. isDark tells the adaptive default theme which
// background the terminal has (lipgloss.HasDarkBackground). An empty name is
// the default theme.
func Get(name string, isDark bool) (Theme, error) {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		name = DefaultName
	}
	for _, b := range builders {
		if b.name == name {
			p := b.build(isDark)
			return Theme{Name: name, Palette: p, Styles: NewStyles(p)}, nil
		}
	}
	return Theme{}, fmt.Errorf("unknown theme %q: use one of %s", name, strings.Join(Names(), ", "))
}

// MustGet is Get for names known to exist (tests, fallbacks); it panics on
// an unknown name.
func MustGet(name string, isDark bool) Theme {
	t, err := Get(name, isDark)
	if err != nil {
		panic(err)
	}
	return t
}

// Next returns the theme after name in cycle order, wrapping around; an
// unknown name gives the first theme.
func Next(name string) string {
	names := Names()
	i := slices.Index(names, strings.ToLower(name))
	return names[(i+1)%len(names)]
}

// NoColor reports whether the NO_COLOR convention asks for no colour: the
// variable is set to a non-empty value (https://no-color.org).
func NoColor(getenv func(string) string) bool {
	if getenv == nil {
		getenv = os.Getenv
	}
	return getenv("NO_COLOR") != ""
}

// FromEnv resolves the theme to use: the mono theme when NO_COLOR is set
// (whatever name says), else Get(name, isDark). Callers resolve name with
// their precedence (flag > VERSO_THEME > config file) before calling. A nil
// getenv reads the process environment.
func FromEnv(name string, isDark bool, getenv func(string) string) (Theme, error) {
	if NoColor(getenv) {
		return Get(MonoName, isDark)
	}
	return Get(name, isDark)
}

// Badge returns the badge background role for a label name.
func (p Palette) Badge(label string) color.Color {
	switch label {
	case "production", "prod":
		return p.Production
	case "staging":
		return p.Staging
	case "development", "dev":
		return p.Development
	default:
		return p.OtherLabel
	}
}

// roles lists every colour role with its name, for tests and debugging.
func (p Palette) roles() map[string]color.Color {
	return map[string]color.Color{
		"Background": p.Background, "Surface": p.Surface, "Overlay": p.Overlay,
		"Text": p.Text, "Muted": p.Muted, "Subtle": p.Subtle,
		"Accent": p.Accent, "AccentAlt": p.AccentAlt, "Border": p.Border,
		"BorderFocus": p.BorderFocus, "Selection": p.Selection,
		"SelectionText": p.SelectionText, "Match": p.Match, "Variable": p.Variable,
		"Success": p.Success, "Warning": p.Warning, "Error": p.Error, "Info": p.Info,
		"DiffAdd": p.DiffAdd, "DiffAddEmph": p.DiffAddEmph, "DiffAddFg": p.DiffAddFg,
		"DiffDel": p.DiffDel, "DiffDelEmph": p.DiffDelEmph, "DiffDelFg": p.DiffDelFg,
		"DiffContext": p.DiffContext, "DiffHunk": p.DiffHunk, "LineNumber": p.LineNumber,
		"Production": p.Production, "Staging": p.Staging, "Development": p.Development,
		"OtherLabel": p.OtherLabel, "BadgeText": p.BadgeText,
		"SyntaxKeyword": p.SyntaxKeyword, "SyntaxString": p.SyntaxString,
		"SyntaxNumber": p.SyntaxNumber, "SyntaxComment": p.SyntaxComment,
		"SyntaxFunction": p.SyntaxFunction, "SyntaxType": p.SyntaxType,
	}
}

// isNoColor reports whether c draws nothing (nil or lipgloss.NoColor).
func isNoColor(c color.Color) bool {
	if c == nil {
		return true
	}
	_, ok := c.(lipgloss.NoColor)
	return ok
}

// Hex formats a colour as #rrggbb for APIs that take strings (glamour);
// "" for no colour.
func Hex(c color.Color) string {
	if isNoColor(c) {
		return ""
	}
	r, g, b, _ := c.RGBA()
	return fmt.Sprintf("#%02x%02x%02x", r>>8, g>>8, b>>8)
}
