package common

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/store"
)

// VersionLines renders a version for reading: a title with its labels,
// variables, model config, then the template (glamour-rendered, or raw) or
// the chat messages as role-headed blocks.
func VersionLines(c *Common, v store.Version, w int, raw bool) []string {
	st := c.Styles
	title := st.Title.Render(CleanLine(v.Prompt)) + " " + st.Muted.Render(fmt.Sprintf("v%d", v.Number))
	for _, l := range v.Labels {
		title += " " + st.Badge(l).Render(l)
	}
	lines := []string{Trunc(title, w)}
	meta := CleanLine(v.Message) + " — " + CleanLine(v.Author) + ", " + Ago(v.CreatedAt, c.Now())
	lines = append(lines, st.Muted.Render(Trunc(meta, w)))
	if vars := prompt.Variables(v); len(vars) > 0 {
		parts := make([]string, len(vars))
		for i, name := range vars {
			parts[i] = st.Variable.Render("{{" + CleanLine(name) + "}}")
		}
		lines = append(lines, Trunc(st.Subtle.Render("vars ")+strings.Join(parts, " "), w))
	}
	if v.Dialect != "" && v.Dialect != store.DialectMustache {
		lines = append(lines, Trunc(st.Subtle.Render("dialect ")+st.Text.Render(string(v.Dialect)), w))
	}
	if cfg := ConfigSummary(v.Config); cfg != "" {
		lines = append(lines, Trunc(st.Subtle.Render("model ")+st.Text.Render(cfg), w))
	}
	lines = append(lines, "")
	body := func(text string) []string {
		if raw {
			return strings.Split(HighlightVars(c, ansi.Wrap(Clean(text), w, "")), "\n")
		}
		return strings.Split(c.Template(text, w), "\n")
	}
	if v.Kind == store.KindChat {
		for _, msg := range v.Messages {
			lines = append(lines, st.Role(msg.Role).Render(" "+CleanLine(msg.Role)+" "))
			lines = append(lines, body(msg.Content)...)
			lines = append(lines, "")
		}
		return lines
	}
	return append(lines, body(v.Template)...)
}

// HighlightVars colours {{variables}} in clean, wrapped raw text.
func HighlightVars(c *Common, s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			break
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 || strings.Contains(s[i:i+j], "\n") {
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		b.WriteString(c.Styles.Variable.Render(s[i : i+j+2]))
		s = s[i+j+2:]
	}
	b.WriteString(s)
	return b.String()
}

// VersionText is what a version says, as the diff compares it: the template, or
// the chat messages as role-headed blocks.
func VersionText(v store.Version) string {
	if v.Kind != store.KindChat {
		return v.Template
	}
	var b strings.Builder
	for i, m := range v.Messages {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "## %s\n%s\n", m.Role, m.Content)
	}
	return b.String()
}

// VersionTitle names a version with its labels: "v5 · production, staging".
func VersionTitle(v store.Version) string {
	if v.Number == 0 {
		return "(none)"
	}
	s := fmt.Sprintf("v%d", v.Number)
	if len(v.Labels) > 0 {
		s += " · " + strings.Join(v.Labels, ", ")
	}
	return s
}

// VersionLine describes a version in one line for headers.
func VersionLine(c *Common, v store.Version) string {
	return fmt.Sprintf("%s  %s  — %s, %s", VersionTitle(v), CleanLine(v.Message), CleanLine(v.Author), Ago(v.CreatedAt, c.Now()))
}

// VersionDiff compares two versions of a prompt (old on the left).
func VersionDiff(c *Common, old, new store.Version) DiffSpec {
	oc, nc := old.Config, new.Config
	spec := DiffSpec{
		Title:      fmt.Sprintf("%s v%d ↔ v%d", new.Prompt, old.Number, new.Number),
		LeftTitle:  VersionTitle(old),
		RightTitle: VersionTitle(new),
		Left:       VersionText(old),
		Right:      VersionText(new),
		Header:     []string{"- " + VersionLine(c, old), "+ " + VersionLine(c, new)},
	}
	if old.Number == 0 {
		spec.Header = spec.Header[1:]
	} else {
		spec.LeftConfig, spec.RightConfig = &oc, &nc
		spec.LeftDialect, spec.RightDialect = old.Dialect, new.Dialect
	}
	return spec
}
