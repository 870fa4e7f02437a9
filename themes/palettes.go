package themes

import "charm.land/lipgloss/v2"

// This file is the only place with colour literals. Diff backgrounds are
// chosen so that downsampling to 256 colours (colorprofile) keeps their hue:
// desaturated tints collapse to the same grey and add/delete would look
// alike on 256-colour terminals.

var c = lipgloss.Color

// Default adapts to the terminal background: Dark on a dark terminal, Light
// on a light one (isDark from lipgloss.HasDarkBackground).
func Default(isDark bool) Palette {
	p := Light()
	if isDark {
		p = Dark()
	}
	p.Name = DefaultName
	return p
}

// Dark is Verso's own dark palette.
func Dark() Palette {
	return Palette{
		Name: "dark", Dark: true,
		Background: c("#16161e"), Surface: c("#23232f"), Overlay: c("#2e2e3e"),
		Text: c("#e4e4ef"), Muted: c("#9a9ab0"), Subtle: c("#62627a"),
		Accent: c("#7c9cff"), AccentAlt: c("#c792ea"),
		Border: c("#3a3a4c"), BorderFocus: c("#7c9cff"),
		Selection: c("#33335a"), SelectionText: c("#ffffff"),
		Match: c("#ffcb6b"), Variable: c("#f78c6c"),
		Success: c("#5fd38d"), Warning: c("#f5c451"), Error: c("#ff6b7a"), Info: c("#5fb3f5"),
		DiffAdd: c("#1f3326"), DiffAddEmph: c("#2a7340"), DiffAddFg: c("#5fd38d"),
		DiffDel: c("#3a1f25"), DiffDelEmph: c("#7d1f2e"), DiffDelFg: c("#ff6b7a"),
		DiffContext: c("#c8c8d8"), DiffHunk: c("#7aa2f7"), LineNumber: c("#62627a"),
		Production: c("#5fd38d"), Staging: c("#f5c451"), Development: c("#5fb3f5"),
		OtherLabel: c("#b8a6f0"), BadgeText: c("#101016"),
		SyntaxKeyword: c("#c792ea"), SyntaxString: c("#c3e88d"), SyntaxNumber: c("#f78c6c"),
		SyntaxComment: c("#6a6a80"), SyntaxFunction: c("#82aaff"), SyntaxType: c("#ffcb6b"),
	}
}

// Light is Verso's own light palette.
func Light() Palette {
	return Palette{
		Name: "light", Dark: false,
		Background: c("#fafafa"), Surface: c("#ececf1"), Overlay: c("#e0e0e8"),
		Text: c("#1f2328"), Muted: c("#57606a"), Subtle: c("#8c959f"),
		Accent: c("#3b5bdb"), AccentAlt: c("#8e44ad"),
		Border: c("#c8ccd4"), BorderFocus: c("#3b5bdb"),
		Selection: c("#d6e0ff"), SelectionText: c("#0b0d12"),
		Match: c("#b35900"), Variable: c("#c2410c"),
		Success: c("#1a7f37"), Warning: c("#9a6700"), Error: c("#cf222e"), Info: c("#0969da"),
		DiffAdd: c("#dafbe1"), DiffAddEmph: c("#aceebb"), DiffAddFg: c("#1a7f37"),
		DiffDel: c("#ffe4e1"), DiffDelEmph: c("#ffb3b3"), DiffDelFg: c("#cf222e"),
		DiffContext: c("#24292f"), DiffHunk: c("#0969da"), LineNumber: c("#8c959f"),
		Production: c("#1a7f37"), Staging: c("#9a6700"), Development: c("#0969da"),
		OtherLabel: c("#6e40c9"), BadgeText: c("#ffffff"),
		SyntaxKeyword: c("#8250df"), SyntaxString: c("#0a3069"), SyntaxNumber: c("#953800"),
		SyntaxComment: c("#6e7781"), SyntaxFunction: c("#6639ba"), SyntaxType: c("#953800"),
	}
}

// HighContrast is for low vision and washed-out screens: pure black and
// white with saturated accents.
func HighContrast() Palette {
	return Palette{
		Name: "high-contrast", Dark: true,
		Background: c("#000000"), Surface: c("#1c1c1c"), Overlay: c("#262626"),
		Text: c("#ffffff"), Muted: c("#d0d0d0"), Subtle: c("#a8a8a8"),
		Accent: c("#ffff00"), AccentAlt: c("#00ffff"),
		Border: c("#ffffff"), BorderFocus: c("#ffff00"),
		Selection: c("#ffff00"), SelectionText: c("#000000"),
		Match: c("#00ffff"), Variable: c("#ff87ff"),
		Success: c("#00ff00"), Warning: c("#ffff00"), Error: c("#ff5f5f"), Info: c("#00d7ff"),
		DiffAdd: c("#003d00"), DiffAddEmph: c("#008000"), DiffAddFg: c("#00ff00"),
		DiffDel: c("#4d0000"), DiffDelEmph: c("#a00000"), DiffDelFg: c("#ff5f5f"),
		DiffContext: c("#ffffff"), DiffHunk: c("#00ffff"), LineNumber: c("#d0d0d0"),
		Production: c("#00ff00"), Staging: c("#ffff00"), Development: c("#00d7ff"),
		OtherLabel: c("#ff87ff"), BadgeText: c("#000000"),
		SyntaxKeyword: c("#ff87ff"), SyntaxString: c("#00ff00"), SyntaxNumber: c("#ffaf00"),
		SyntaxComment: c("#bcbcbc"), SyntaxFunction: c("#00ffff"), SyntaxType: c("#ffff00"),
	}
}

// CatppuccinMocha is the community Catppuccin palette, Mocha flavour
// (https://catppuccin.com/palette).
func CatppuccinMocha() Palette {
	return Palette{
		Name: "catppuccin-mocha", Dark: true,
		Background: c("#1e1e2e"), Surface: c("#313244"), Overlay: c("#45475a"),
		Text: c("#cdd6f4"), Muted: c("#a6adc8"), Subtle: c("#7f849c"),
		Accent: c("#cba6f7"), AccentAlt: c("#89b4fa"),
		Border: c("#45475a"), BorderFocus: c("#cba6f7"),
		Selection: c("#45475a"), SelectionText: c("#cdd6f4"),
		Match: c("#f9e2af"), Variable: c("#fab387"),
		Success: c("#a6e3a1"), Warning: c("#f9e2af"), Error: c("#f38ba8"), Info: c("#89dceb"),
		DiffAdd: c("#2a3a33"), DiffAddEmph: c("#2e7a48"), DiffAddFg: c("#a6e3a1"),
		DiffDel: c("#3e2a36"), DiffDelEmph: c("#7a2e45"), DiffDelFg: c("#f38ba8"),
		DiffContext: c("#bac2de"), DiffHunk: c("#74c7ec"), LineNumber: c("#6c7086"),
		Production: c("#a6e3a1"), Staging: c("#f9e2af"), Development: c("#89b4fa"),
		OtherLabel: c("#f5c2e7"), BadgeText: c("#11111b"),
		SyntaxKeyword: c("#cba6f7"), SyntaxString: c("#a6e3a1"), SyntaxNumber: c("#fab387"),
		SyntaxComment: c("#7f849c"), SyntaxFunction: c("#89b4fa"), SyntaxType: c("#f9e2af"),
	}
}

// Nord is the community Nord palette (https://www.nordtheme.com).
func Nord() Palette {
	return Palette{
		Name: "nord", Dark: true,
		Background: c("#2e3440"), Surface: c("#3b4252"), Overlay: c("#434c5e"),
		Text: c("#eceff4"), Muted: c("#d8dee9"), Subtle: c("#7b88a1"),
		Accent: c("#88c0d0"), AccentAlt: c("#b48ead"),
		Border: c("#4c566a"), BorderFocus: c("#88c0d0"),
		Selection: c("#4c566a"), SelectionText: c("#eceff4"),
		Match: c("#ebcb8b"), Variable: c("#d08770"),
		Success: c("#a3be8c"), Warning: c("#ebcb8b"), Error: c("#bf616a"), Info: c("#81a1c1"),
		DiffAdd: c("#2f4a3a"), DiffAddEmph: c("#3a7a50"), DiffAddFg: c("#a3be8c"),
		DiffDel: c("#4a2a33"), DiffDelEmph: c("#8a3a4a"), DiffDelFg: c("#bf616a"),
		DiffContext: c("#d8dee9"), DiffHunk: c("#81a1c1"), LineNumber: c("#7b88a1"),
		Production: c("#a3be8c"), Staging: c("#ebcb8b"), Development: c("#81a1c1"),
		OtherLabel: c("#b48ead"), BadgeText: c("#2e3440"),
		SyntaxKeyword: c("#81a1c1"), SyntaxString: c("#a3be8c"), SyntaxNumber: c("#b48ead"),
		SyntaxComment: c("#7b88a1"), SyntaxFunction: c("#88c0d0"), SyntaxType: c("#8fbcbb"),
	}
}

// Mono has no colours: every role is lipgloss.NoColor and Styles shows
// selection, matches and diff emphasis with reverse, bold and underline.
func Mono() Palette {
	n := lipgloss.NoColor{}
	return Palette{
		Name: MonoName, Dark: true, Mono: true,
		Background: n, Surface: n, Overlay: n, Text: n, Muted: n, Subtle: n,
		Accent: n, AccentAlt: n, Border: n, BorderFocus: n, Selection: n,
		SelectionText: n, Match: n, Variable: n,
		Success: n, Warning: n, Error: n, Info: n,
		DiffAdd: n, DiffAddEmph: n, DiffAddFg: n, DiffDel: n, DiffDelEmph: n,
		DiffDelFg: n, DiffContext: n, DiffHunk: n, LineNumber: n,
		Production: n, Staging: n, Development: n, OtherLabel: n, BadgeText: n,
		SyntaxKeyword: n, SyntaxString: n, SyntaxNumber: n, SyntaxComment: n,
		SyntaxFunction: n, SyntaxType: n,
	}
}
