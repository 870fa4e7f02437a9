package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/charmbracelet/colorprofile"
	"github.com/spf13/cobra"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/themes"
	"github.com/seed94f0f622/verso/tui/diffview"
)

func newDiffCmd(a *app) *cobra.Command {
	var sideBySide bool
	var width int
	var color string
	c := &cobra.Command{
		Use:   "diff NAME A B",
		Short: "Diff two versions of a prompt (numbers or labels), with config changes",
		Example: "  verso diff support/reply 3 4\n  verso diff support/reply production latest --side-by-side\n" +
			"  verso diff support/reply 1 5 --color always | less -R",
		Args: exactArgs(3, "verso diff NAME A B (A, B: version numbers or labels)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if color != "auto" && color != "always" && color != "never" {
				return usageErr("unknown --color %q: use auto, always or never", color)
			}
			st, err := a.open(true)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx := cmd.Context()
			name := args[0]
			va, err := st.Lookup(ctx, versionArg(name, args[1]))
			if err != nil {
				return classify(err)
			}
			vb, err := st.Lookup(ctx, versionArg(name, args[2]))
			if err != nil {
				return classify(err)
			}
			useColor := color == "always" || (color == "auto" && isTerminal(a.stdout) && !themes.NoColor(os.Getenv))
			var styles themes.Styles
			if useColor {
				styles = themes.MustGet(themes.DefaultName, true).Styles
			}
			if width <= 0 {
				width = termWidth(a.stdout, 100)
			}
			mode := diffview.Unified
			if sideBySide {
				mode = diffview.SideBySide
			}
			out := a.stdout
			if useColor {
				// Downsample the palette to what the terminal supports; with
				// --color always into a pipe, keep 256 colours.
				w := colorprofile.NewWriter(a.stdout, os.Environ())
				if color == "always" && w.Profile < colorprofile.ANSI256 {
					w.Profile = colorprofile.ANSI256
				}
				out = w
			}
			titleA := fmt.Sprintf("%s v%d%s", name, va.Number, labelSuffix(va))
			titleB := fmt.Sprintf("%s v%d%s", name, vb.Number, labelSuffix(vb))
			if va.Hash == vb.Hash {
				fmt.Fprintf(a.stdout, "%s and %s have identical content and config\n", titleA, titleB)
				return nil
			}
			// Without colour, padding to the width is only trailing blanks.
			emit := func(s string) {
				if !useColor {
					s = trimLines(s)
				}
				fmt.Fprint(out, s)
			}
			if changes := append(diffview.DialectDiff(va.Dialect, vb.Dialect), diffview.ConfigDiff(va.Config, vb.Config)...); len(changes) > 0 {
				emit(strings.Join(diffview.RenderConfigDiff(changes, styles, width), "\n") + "\n\n")
			}
			left, right := contentText(va), contentText(vb)
			if left == right {
				fmt.Fprintln(out, "content: identical")
				return nil
			}
			emit(diffview.RenderString(left, right, diffview.RenderOptions{
				Width: width, Mode: mode, Wrap: true, Styles: styles, LeftTitle: titleA, RightTitle: titleB,
			}))
			return nil
		},
	}
	c.Flags().BoolVar(&sideBySide, "side-by-side", false, "two columns (needs 100 columns; narrower falls back to unified)")
	c.Flags().IntVar(&width, "width", 0, "output width (default: the terminal's, or 100)")
	c.Flags().StringVar(&color, "color", "auto", "auto, always or never")
	return c
}

func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

func labelSuffix(v store.Version) string {
	if len(v.Labels) == 0 {
		return ""
	}
	s := " ["
	for i, l := range v.Labels {
		if i > 0 {
			s += ","
		}
		s += l
	}
	return s + "]"
}
