package themes

import (
	"fmt"
	"image/color"

	"github.com/alecthomas/chroma/v2"
)

// Chroma returns a chroma syntax-highlighting style built from the same
// syntax roles as Glamour's code blocks, for highlighting outside markdown
// (JSON model configs, YAML front matter). Mono palettes get a style with
// attributes only.
func (p Palette) Chroma() (*chroma.Style, error) {
	fg := func(c color.Color, extra string) string {
		h := Hex(c)
		if h == "" {
			return extra
		}
		if extra == "" {
			return h
		}
		return h + " " + extra
	}
	entries := chroma.StyleEntries{
		chroma.Text:                fg(p.Text, ""),
		chroma.Error:               fg(p.Error, "bold"),
		chroma.Comment:             fg(p.SyntaxComment, "italic"),
		chroma.CommentPreproc:      fg(p.SyntaxKeyword, ""),
		chroma.Keyword:             fg(p.SyntaxKeyword, "bold"),
		chroma.KeywordType:         fg(p.SyntaxType, ""),
		chroma.Operator:            fg(p.Muted, ""),
		chroma.Punctuation:         fg(p.Muted, ""),
		chroma.Name:                fg(p.Text, ""),
		chroma.NameBuiltin:         fg(p.SyntaxFunction, ""),
		chroma.NameTag:             fg(p.SyntaxKeyword, "bold"),
		chroma.NameAttribute:       fg(p.SyntaxType, ""),
		chroma.NameClass:           fg(p.SyntaxType, "bold"),
		chroma.NameConstant:        fg(p.SyntaxNumber, ""),
		chroma.NameFunction:        fg(p.SyntaxFunction, ""),
		chroma.LiteralNumber:       fg(p.SyntaxNumber, ""),
		chroma.LiteralString:       fg(p.SyntaxString, ""),
		chroma.LiteralStringEscape: fg(p.SyntaxNumber, ""),
		chroma.GenericDeleted:      fg(p.DiffDelFg, ""),
		chroma.GenericInserted:     fg(p.DiffAddFg, ""),
		chroma.GenericEmph:         "italic",
		chroma.GenericStrong:       "bold",
		chroma.GenericSubheading:   fg(p.DiffHunk, ""),
	}
	for k, v := range entries {
		if v == "" {
			delete(entries, k)
		}
	}
	s, err := chroma.NewStyle("verso-"+p.Name, entries)
	if err != nil {
		return nil, fmt.Errorf("chroma style for theme %s: %w", p.Name, err)
	}
	return s, nil
}
