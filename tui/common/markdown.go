package common

import (
	"crypto/sha256"
	"strings"
	"sync"

	"charm.land/glamour/v2"
	"github.com/charmbracelet/x/ansi"
)

// markdownCache keeps one glamour renderer per width and the rendered text
// of recent documents, keyed by width and content: glamour is slow, and a
// preview pane redraws on every cursor move.
type markdownCache struct {
	mu        sync.Mutex
	renderers map[int]*glamour.TermRenderer
	docs      map[mdKey]string
	order     []mdKey
}

type mdKey struct {
	width int
	vars  bool // {{variables}} highlighted (templates)
	sum   [32]byte
}

const maxCachedDocs = 256

func newMarkdownCache() *markdownCache {
	return &markdownCache{renderers: map[int]*glamour.TermRenderer{}, docs: map[mdKey]string{}}
}

// Markdown renders untrusted markdown text at width columns with the
// theme's glamour style. The text is cleaned first; on a render error the
// clean text is returned as it is. Safe to call from commands.
func (c *Common) Markdown(text string, width int) string {
	return c.markdown(text, width, false)
}

// Template is Markdown for prompt templates: the rendered text with its
// {{variables}} (and sections) in the theme's variable colour.
func (c *Common) Template(text string, width int) string {
	return c.markdown(text, width, true)
}

func (c *Common) markdown(text string, width int, vars bool) string {
	text = Clean(text)
	if width < 10 {
		width = 10
	}
	if c.md == nil {
		c.md = newMarkdownCache()
	}
	return c.md.render(c, text, width, vars)
}

func (m *markdownCache) render(c *Common, text string, width int, vars bool) string {
	k := mdKey{width: width, vars: vars, sum: sha256.Sum256([]byte(text))}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s, ok := m.docs[k]; ok {
		return s
	}
	r, ok := m.renderers[width]
	if !ok {
		var err error
		r, err = c.Theme.Palette.MarkdownRenderer(width)
		if err != nil {
			return text
		}
		m.renderers[width] = r
	}
	out, err := r.Render(text)
	if err != nil {
		return text
	}
	out = stripOSC(strings.Trim(out, "\n"))
	if vars {
		out = highlightRendered(c, out)
	}
	if len(m.order) >= maxCachedDocs {
		delete(m.docs, m.order[0])
		m.order = m.order[1:]
	}
	m.docs[k] = out
	m.order = append(m.order, k)
	return out
}

// stripOSC removes OSC sequences (ESC ] ... BEL or ST) from glamour's
// output: it makes hyperlinks (OSC 8) whose targets come from the untrusted
// text. The URL stays visible as text; only SGR styling reaches the screen.
func stripOSC(s string) string {
	if !strings.Contains(s, "\x1b]") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "\x1b]")
		if i < 0 {
			break
		}
		b.WriteString(s[:i])
		rest := s[i+2:]
		end := len(rest)
		if j := strings.IndexAny(rest, "\a\x1b"); j >= 0 {
			switch {
			case rest[j] == '\a':
				end = j + 1
			case j+1 < len(rest) && rest[j+1] == '\\':
				end = j + 2 // ST
			default:
				end = j // unterminated: keep the next sequence
			}
		}
		s = rest[end:]
	}
	b.WriteString(s)
	return b.String()
}

// highlightRendered colours the {{...}} spans of glamour's output. It finds
// them in each line's plain text and splices the styled line around them
// by columns (ansi.Cut keeps the styles in force on both sides), so the
// markdown styling of the rest of the line is untouched.
func highlightRendered(c *Common, out string) string {
	if !strings.Contains(out, "{{") {
		return out
	}
	lines := strings.Split(out, "\n")
	for i, line := range lines {
		plain := ansi.Strip(line)
		if !strings.Contains(plain, "{{") {
			continue
		}
		var b strings.Builder
		col := 0 // columns of line already written
		rest := plain
		pos := 0 // byte offset of rest in plain
		for {
			open := strings.Index(rest, "{{")
			if open < 0 {
				break
			}
			end := strings.Index(rest[open:], "}}")
			if end < 0 {
				break
			}
			from := ansi.StringWidth(plain[:pos+open])
			to := from + ansi.StringWidth(rest[open:open+end+2])
			b.WriteString(ansi.Cut(line, col, from))
			b.WriteString("\x1b[m")
			b.WriteString(c.Styles.Variable.Render(rest[open : open+end+2]))
			col = to
			pos += open + end + 2
			rest = plain[pos:]
		}
		if col == 0 {
			continue
		}
		b.WriteString(ansi.Cut(line, col, ansi.StringWidth(plain)))
		lines[i] = b.String()
	}
	return strings.Join(lines, "\n")
}
