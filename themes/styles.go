package themes

import (
	"image/color"

	"charm.land/lipgloss/v2"
)

// Styles is every lipgloss style the TUI and CLI draw with, built from one
// Palette. Pass it down by value; widths are the caller's business (styles
// here set colours, attributes, padding and borders, never sizes).
type Styles struct {
	Palette Palette

	// General text.
	App      lipgloss.Style // outermost frame (no background: the terminal's own shows)
	Text     lipgloss.Style
	Title    lipgloss.Style // screen and section titles
	Subtitle lipgloss.Style
	Muted    lipgloss.Style
	Subtle   lipgloss.Style
	Accent   lipgloss.Style
	Success  lipgloss.Style
	Warning  lipgloss.Style
	Error    lipgloss.Style
	Info     lipgloss.Style
	Spinner  lipgloss.Style
	Variable lipgloss.Style // {{template variables}}
	Code     lipgloss.Style // inline code, raw template text

	StatusBar StatusBarStyles
	Help      HelpStyles
	Tabs      TabStyles
	List      ListStyles
	Panel     PanelStyles
	Dialog    DialogStyles
	Input     InputStyles
	Table     TableStyles
	Diff      DiffStyles
	Chat      ChatStyles
	Chart     ChartStyles

	badges     map[string]lipgloss.Style
	otherBadge lipgloss.Style
}

// StatusBarStyles style the bottom status line.
type StatusBarStyles struct {
	Bar     lipgloss.Style // the whole line
	Key     lipgloss.Style // a highlighted segment (database path, mode)
	Text    lipgloss.Style // ordinary segment
	Success lipgloss.Style // transient success message
	Error   lipgloss.Style // transient error message
	Warning lipgloss.Style
	Info    lipgloss.Style
}

// HelpStyles style the short help line and the full key map.
type HelpStyles struct {
	Key       lipgloss.Style
	Desc      lipgloss.Style
	Separator lipgloss.Style
	Title     lipgloss.Style // group titles of the full help
}

// TabStyles style a tab bar.
type TabStyles struct {
	Active    lipgloss.Style
	Inactive  lipgloss.Style
	Separator lipgloss.Style
	Bar       lipgloss.Style
}

// ListStyles style list rows. Selected rows carry the selection background;
// Match/SelectedMatch highlight fuzzy-match characters.
type ListStyles struct {
	Item          lipgloss.Style
	Selected      lipgloss.Style
	Dimmed        lipgloss.Style
	Match         lipgloss.Style
	SelectedMatch lipgloss.Style
	Cursor        lipgloss.Style // the "›" marker before the selected row
	Marked        lipgloss.Style // rows marked with space (history)
	Folder        lipgloss.Style // folder part of a prompt path
	Meta          lipgloss.Style // right-hand metadata (time, author)
	Empty         lipgloss.Style // "no prompts match" lines
}

// PanelStyles style bordered panes. Focused/Unfocused include the border;
// apply Width/Height at the call site.
type PanelStyles struct {
	Focused      lipgloss.Style
	Unfocused    lipgloss.Style
	Title        lipgloss.Style
	TitleFocused lipgloss.Style
	Border       lipgloss.Style // a bare border colour for hand-drawn rules
	BorderFocus  lipgloss.Style
}

// DialogStyles style modal dialogs (confirmations, commit messages).
type DialogStyles struct {
	Frame        lipgloss.Style
	Title        lipgloss.Style
	Text         lipgloss.Style
	Button       lipgloss.Style
	ButtonActive lipgloss.Style
}

// InputStyles style text inputs.
type InputStyles struct {
	Prompt      lipgloss.Style
	Text        lipgloss.Style
	Placeholder lipgloss.Style
	Cursor      lipgloss.Style
}

// TableStyles style tables (label history, config diff, results).
type TableStyles struct {
	Header   lipgloss.Style
	Cell     lipgloss.Style
	Selected lipgloss.Style
	Border   lipgloss.Style
}

// DiffStyles style the diff renderer (tui/diffview).
type DiffStyles struct {
	Add        lipgloss.Style // added line
	AddEmph    lipgloss.Style // changed words inside an added line
	Del        lipgloss.Style // deleted line
	DelEmph    lipgloss.Style // changed words inside a deleted line
	Context    lipgloss.Style // unchanged line
	Empty      lipgloss.Style // filler opposite an insertion or deletion
	LineNumber lipgloss.Style
	AddNumber  lipgloss.Style
	DelNumber  lipgloss.Style
	AddMarker  lipgloss.Style // "+" gutter
	DelMarker  lipgloss.Style // "-" gutter
	Hunk       lipgloss.Style // "@@ ... @@" headers and hunk separators
	Title      lipgloss.Style // column titles
	Separator  lipgloss.Style // the rule between the two columns
	OldValue   lipgloss.Style // config diff: old value
	NewValue   lipgloss.Style // config diff: new value
	Key        lipgloss.Style // config diff: key name
}

// ChartStyles style time-series charts and sparklines (production
// analytics). Series are told apart by their line characters as well as by
// these styles, so mono terminals keep them apart too.
type ChartStyles struct {
	Series []lipgloss.Style // one per plotted series, in order
	Axis   lipgloss.Style   // the axes and their labels
	Marker lipgloss.Style   // what changed on the time axis (a label move)
	Spark  lipgloss.Style   // sparklines in lists
	Worse  lipgloss.Style   // a figure worse than the version before
	Better lipgloss.Style   // a figure better than the version before
}

// ChatStyles style role-headed blocks of chat prompts.
type ChatStyles struct {
	System    lipgloss.Style
	User      lipgloss.Style
	Assistant lipgloss.Style
	Other     lipgloss.Style
}

// Badge returns the badge style for a label: coloured background for the
// well-known labels, a neutral one for others. Render the label name with
// it; the style adds one space of padding on each side.
func (s Styles) Badge(label string) lipgloss.Style {
	if b, ok := s.badges[label]; ok {
		return b
	}
	return s.otherBadge
}

// Role returns the header style of a chat message role.
func (s Styles) Role(role string) lipgloss.Style {
	switch role {
	case "system":
		return s.Chat.System
	case "user":
		return s.Chat.User
	case "assistant":
		return s.Chat.Assistant
	default:
		return s.Chat.Other
	}
}

// Styles is NewStyles(p).
func (p Palette) Styles() Styles { return NewStyles(p) }

// NewStyles builds every style from the palette's roles.
func NewStyles(p Palette) Styles {
	fg := func(c color.Color) lipgloss.Style { return lipgloss.NewStyle().Foreground(c) }
	base := lipgloss.NewStyle()
	mono := p.Mono

	s := Styles{Palette: p}
	s.App = base
	s.Text = fg(p.Text)
	s.Title = fg(p.Accent).Bold(true)
	s.Subtitle = fg(p.AccentAlt).Bold(true)
	s.Muted = fg(p.Muted)
	s.Subtle = fg(p.Subtle).Faint(mono)
	s.Accent = fg(p.Accent)
	s.Success = fg(p.Success)
	s.Warning = fg(p.Warning).Bold(mono)
	s.Error = fg(p.Error).Bold(true)
	s.Info = fg(p.Info)
	s.Spinner = fg(p.Accent)
	s.Variable = fg(p.Variable).Bold(true)
	s.Code = fg(p.SyntaxString)

	surface := base.Background(p.Surface).Foreground(p.Text)
	if mono {
		surface = base.Reverse(true)
	}
	s.StatusBar = StatusBarStyles{
		Bar:     surface,
		Key:     surface.Foreground(p.Accent).Bold(true).Padding(0, 1),
		Text:    surface.Foreground(p.Muted).Padding(0, 1),
		Success: surface.Foreground(p.Success).Bold(true).Padding(0, 1),
		Error:   surface.Foreground(p.Error).Bold(true).Padding(0, 1),
		Warning: surface.Foreground(p.Warning).Bold(true).Padding(0, 1),
		Info:    surface.Foreground(p.Info).Padding(0, 1),
	}

	s.Help = HelpStyles{
		Key:       fg(p.Accent).Bold(true),
		Desc:      fg(p.Muted),
		Separator: fg(p.Subtle),
		Title:     fg(p.AccentAlt).Bold(true).Underline(mono),
	}

	s.Tabs = TabStyles{
		Active:    fg(p.Accent).Bold(true).Underline(true).Padding(0, 1),
		Inactive:  fg(p.Muted).Padding(0, 1),
		Separator: fg(p.Subtle),
		Bar:       base,
	}
	if mono {
		s.Tabs.Active = base.Reverse(true).Bold(true).Padding(0, 1)
	}

	selected := base.Background(p.Selection).Foreground(p.SelectionText).Bold(true)
	if mono {
		selected = base.Reverse(true).Bold(true)
	}
	s.List = ListStyles{
		Item:          fg(p.Text),
		Selected:      selected,
		Dimmed:        fg(p.Subtle).Faint(mono),
		Match:         fg(p.Match).Bold(true).Underline(mono),
		SelectedMatch: selected.Foreground(p.Match).Underline(true),
		Cursor:        fg(p.Accent).Bold(true),
		Marked:        fg(p.Warning).Bold(true),
		Folder:        fg(p.Muted),
		Meta:          fg(p.Muted),
		Empty:         fg(p.Subtle).Italic(true),
	}
	if mono {
		s.List.SelectedMatch = selected.Underline(true)
	}

	border := lipgloss.RoundedBorder()
	focusBorder := border
	if mono {
		// Without colour the focused pane needs a different border shape.
		focusBorder = lipgloss.ThickBorder()
	}
	s.Panel = PanelStyles{
		Focused:      base.Border(focusBorder).BorderForeground(p.BorderFocus),
		Unfocused:    base.Border(border).BorderForeground(p.Border),
		Title:        fg(p.Muted).Bold(true),
		TitleFocused: fg(p.Accent).Bold(true).Underline(mono),
		Border:       fg(p.Border),
		BorderFocus:  fg(p.BorderFocus),
	}

	s.Dialog = DialogStyles{
		Frame:        base.Border(lipgloss.RoundedBorder()).BorderForeground(p.BorderFocus).Padding(0, 1),
		Title:        fg(p.Accent).Bold(true),
		Text:         fg(p.Text),
		Button:       fg(p.Muted).Padding(0, 2),
		ButtonActive: base.Background(p.Accent).Foreground(p.Background).Bold(true).Padding(0, 2),
	}
	if mono {
		s.Dialog.Frame = s.Dialog.Frame.Border(lipgloss.DoubleBorder())
		s.Dialog.ButtonActive = base.Reverse(true).Bold(true).Padding(0, 2)
	}

	s.Input = InputStyles{
		Prompt:      fg(p.Accent).Bold(true),
		Text:        fg(p.Text),
		Placeholder: fg(p.Subtle).Faint(mono),
		Cursor:      fg(p.Accent),
	}

	s.Table = TableStyles{
		Header:   fg(p.Accent).Bold(true).Underline(mono),
		Cell:     fg(p.Text),
		Selected: selected,
		Border:   fg(p.Border),
	}

	s.Diff = newDiffStyles(p)

	s.Chat = ChatStyles{
		System:    fg(p.Warning).Bold(true),
		User:      fg(p.Info).Bold(true),
		Assistant: fg(p.Success).Bold(true),
		Other:     fg(p.Muted).Bold(true),
	}

	s.Chart = ChartStyles{
		Series: []lipgloss.Style{fg(p.Accent).Bold(mono), fg(p.Info), fg(p.AccentAlt), fg(p.Variable)},
		Axis:   fg(p.Muted),
		Marker: fg(p.Warning).Bold(true),
		Spark:  fg(p.Info),
		Worse:  fg(p.Error).Bold(true),
		Better: fg(p.Success),
	}

	badge := func(bg color.Color) lipgloss.Style {
		if mono {
			return base.Reverse(true).Bold(true).Padding(0, 1)
		}
		return base.Background(bg).Foreground(p.BadgeText).Bold(true).Padding(0, 1)
	}
	s.badges = map[string]lipgloss.Style{
		"production":  badge(p.Production),
		"staging":     badge(p.Staging),
		"development": badge(p.Development),
	}
	s.otherBadge = badge(p.OtherLabel)
	if mono {
		// Only production stands out; other labels are plain bold text.
		s.badges["staging"] = base.Bold(true).Padding(0, 1)
		s.badges["development"] = base.Bold(true).Padding(0, 1)
		s.otherBadge = base.Underline(true).Padding(0, 1)
	}
	return s
}

func newDiffStyles(p Palette) DiffStyles {
	base := lipgloss.NewStyle()
	if p.Mono {
		// Gutter markers carry add/delete; reverse video marks changed words.
		return DiffStyles{
			Add:        base,
			AddEmph:    base.Reverse(true),
			Del:        base,
			DelEmph:    base.Reverse(true),
			Context:    base,
			Empty:      base.Faint(true),
			LineNumber: base.Faint(true),
			AddNumber:  base,
			DelNumber:  base,
			AddMarker:  base.Bold(true),
			DelMarker:  base.Bold(true),
			Hunk:       base.Bold(true),
			Title:      base.Bold(true).Underline(true),
			Separator:  base.Faint(true),
			OldValue:   base.Strikethrough(true),
			NewValue:   base.Bold(true),
			Key:        base.Bold(true),
		}
	}
	return DiffStyles{
		Add:        base.Background(p.DiffAdd).Foreground(p.Text),
		AddEmph:    base.Background(p.DiffAddEmph).Foreground(p.Text).Bold(true),
		Del:        base.Background(p.DiffDel).Foreground(p.Text),
		DelEmph:    base.Background(p.DiffDelEmph).Foreground(p.Text).Bold(true),
		Context:    base.Foreground(p.DiffContext),
		Empty:      base.Foreground(p.Subtle),
		LineNumber: base.Foreground(p.LineNumber),
		AddNumber:  base.Background(p.DiffAdd).Foreground(p.DiffAddFg),
		DelNumber:  base.Background(p.DiffDel).Foreground(p.DiffDelFg),
		AddMarker:  base.Background(p.DiffAdd).Foreground(p.DiffAddFg).Bold(true),
		DelMarker:  base.Background(p.DiffDel).Foreground(p.DiffDelFg).Bold(true),
		Hunk:       base.Foreground(p.DiffHunk),
		Title:      base.Foreground(p.Accent).Bold(true),
		Separator:  base.Foreground(p.Border),
		OldValue:   base.Foreground(p.DiffDelFg),
		NewValue:   base.Foreground(p.DiffAddFg).Bold(true),
		Key:        base.Foreground(p.Text).Bold(true),
	}
}
