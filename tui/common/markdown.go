package common

import (
	"crypto/sha256"
	"strings"
	"sync"

	"charm.land/glamour/v2"
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
	text = Clean(text)
	if width < 10 {
		width = 10
	}
	if c.md == nil {
		c.md = newMarkdownCache()
	}
	return c.md.render(c, text, width)
}

func (m *markdownCache) render(c *Common, text string, width int) string {
	k := mdKey{width: width, sum: sha256.Sum256([]byte(text))}
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
