package themes

import (
	"image/color"

	"charm.land/glamour/v2"
	"charm.land/glamour/v2/ansi"
	"charm.land/glamour/v2/styles"
)

// Glamour returns a markdown style built from the palette, so rendered
// templates and previews use the theme's colours; code blocks are
// highlighted by chroma with the palette's syntax roles. The mono palette
// gets glamour's colourless "notty" style.
func (p Palette) Glamour() ansi.StyleConfig {
	if p.Mono {
		return styles.NoTTYStyleConfig
	}
	col := func(c color.Color) *string {
		h := Hex(c)
		if h == "" {
			return nil
		}
		return &h
	}
	t, f := true, false
	margin, indent := uint(0), uint(1)
	bar := "│ "
	prim := func(c color.Color) ansi.StylePrimitive { return ansi.StylePrimitive{Color: col(c)} }

	return ansi.StyleConfig{
		Document: ansi.StyleBlock{
			StylePrimitive: ansi.StylePrimitive{Color: col(p.Text)},
			Margin:         &margin,
		},
		BlockQuote: ansi.StyleBlock{
			StylePrimitive: ansi.StylePrimitive{Color: col(p.Muted), Italic: &t},
			Indent:         &indent,
			IndentToken:    &bar,
		},
		Paragraph: ansi.StyleBlock{},
		List:      ansi.StyleList{LevelIndent: 2},
		Heading: ansi.StyleBlock{StylePrimitive: ansi.StylePrimitive{
			BlockSuffix: "\n", Color: col(p.AccentAlt), Bold: &t,
		}},
		H1: ansi.StyleBlock{StylePrimitive: ansi.StylePrimitive{
			Prefix: " ", Suffix: " ", Color: col(p.Background), BackgroundColor: col(p.Accent), Bold: &t,
		}},
		H2: ansi.StyleBlock{StylePrimitive: ansi.StylePrimitive{Prefix: "## ", Color: col(p.Accent)}},
		H3: ansi.StyleBlock{StylePrimitive: ansi.StylePrimitive{Prefix: "### "}},
		H4: ansi.StyleBlock{StylePrimitive: ansi.StylePrimitive{Prefix: "#### "}},
		H5: ansi.StyleBlock{StylePrimitive: ansi.StylePrimitive{Prefix: "##### "}},
		H6: ansi.StyleBlock{StylePrimitive: ansi.StylePrimitive{Prefix: "###### ", Color: col(p.Muted), Bold: &f}},

		Text:           ansi.StylePrimitive{},
		Strikethrough:  ansi.StylePrimitive{CrossedOut: &t},
		Emph:           ansi.StylePrimitive{Italic: &t},
		Strong:         ansi.StylePrimitive{Bold: &t},
		HorizontalRule: ansi.StylePrimitive{Color: col(p.Border), Format: "\n────────\n"},
		Item:           ansi.StylePrimitive{BlockPrefix: "• "},
		Enumeration:    ansi.StylePrimitive{BlockPrefix: ". "},
		Task:           ansi.StyleTask{Ticked: "[✓] ", Unticked: "[ ] "},
		Link:           ansi.StylePrimitive{Color: col(p.Info), Underline: &t},
		LinkText:       ansi.StylePrimitive{Color: col(p.AccentAlt), Bold: &t},
		Image:          ansi.StylePrimitive{Color: col(p.Info), Underline: &t},
		ImageText:      ansi.StylePrimitive{Color: col(p.Muted), Format: "Image: {{.text}} →"},

		Code: ansi.StyleBlock{StylePrimitive: ansi.StylePrimitive{
			Prefix: "\u00a0", Suffix: "\u00a0", Color: col(p.Variable), BackgroundColor: col(p.Surface),
		}},
		CodeBlock: ansi.StyleCodeBlock{
			StyleBlock: ansi.StyleBlock{
				StylePrimitive: ansi.StylePrimitive{Color: col(p.Muted)},
				Margin:         &margin,
			},
			Chroma: &ansi.Chroma{
				Text:                prim(p.Text),
				Error:               ansi.StylePrimitive{Color: col(p.Background), BackgroundColor: col(p.Error)},
				Comment:             ansi.StylePrimitive{Color: col(p.SyntaxComment), Italic: &t},
				CommentPreproc:      prim(p.SyntaxKeyword),
				Keyword:             prim(p.SyntaxKeyword),
				KeywordReserved:     prim(p.SyntaxKeyword),
				KeywordNamespace:    prim(p.SyntaxKeyword),
				KeywordType:         prim(p.SyntaxType),
				Operator:            prim(p.Muted),
				Punctuation:         prim(p.Muted),
				Name:                prim(p.Text),
				NameBuiltin:         prim(p.SyntaxFunction),
				NameTag:             prim(p.SyntaxKeyword),
				NameAttribute:       prim(p.SyntaxType),
				NameClass:           ansi.StylePrimitive{Color: col(p.SyntaxType), Bold: &t},
				NameConstant:        prim(p.SyntaxNumber),
				NameDecorator:       prim(p.SyntaxFunction),
				NameFunction:        prim(p.SyntaxFunction),
				LiteralNumber:       prim(p.SyntaxNumber),
				LiteralString:       prim(p.SyntaxString),
				LiteralStringEscape: prim(p.SyntaxNumber),
				GenericDeleted:      prim(p.DiffDelFg),
				GenericEmph:         ansi.StylePrimitive{Italic: &t},
				GenericInserted:     prim(p.DiffAddFg),
				GenericStrong:       ansi.StylePrimitive{Bold: &t},
				GenericSubheading:   prim(p.DiffHunk),
				Background:          ansi.StylePrimitive{BackgroundColor: col(p.Surface)},
			},
		},
		Table: ansi.StyleTable{
			StyleBlock: ansi.StyleBlock{StylePrimitive: ansi.StylePrimitive{Color: col(p.Text)}},
		},
		DefinitionDescription: ansi.StylePrimitive{BlockPrefix: "\n→ "},
	}
}

// MarkdownRenderer returns a glamour renderer in the palette's style that
// wraps at width. Renderers are not cheap: keep one per width.
func (p Palette) MarkdownRenderer(width int) (*glamour.TermRenderer, error) {
	if width < 1 {
		width = 1
	}
	// A prompt is not markdown prose: its line breaks reach the model as
	// they are, so they are shown as they are (glamour would join them).
	return glamour.NewTermRenderer(glamour.WithStyles(p.Glamour()), glamour.WithWordWrap(width), glamour.WithPreservedNewLines())
}
