package browse

import (
	"context"
	"errors"
	"fmt"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

// preview is the loaded production (else latest) version of a prompt.
type preview struct {
	loading bool
	v       store.Version
	err     error
	// what the list said when it was loaded, to drop it when that changes
	latest int
	labels string
}

func (p *preview) stale(s store.PromptSummary) bool {
	return !p.loading && (p.latest != s.Latest || p.labels != labelKey(s.Labels))
}

func labelKey(l map[string]int) string { return fmt.Sprint(l) }

type previewMsg struct {
	common.To
	name   string
	v      store.Version
	err    error
	latest int
	labels string
}

// loadPreview reads what the preview shows: production, else the latest.
func loadPreview(ctx context.Context, st *store.Store, to common.To, sum store.PromptSummary) previewMsg {
	name := sum.Name
	v, err := st.Resolve(ctx, name+"@production")
	if errors.Is(err, store.ErrNotFound) {
		v, err = st.Resolve(ctx, name+"@latest")
	}
	return previewMsg{To: to, name: name, v: v, err: err, latest: sum.Latest, labels: labelKey(sum.Labels)}
}

// previewLines renders the preview pane's lines at width w.
func (m *Model) previewLines(w int) []string {
	st := m.c.Styles
	name := m.Selected()
	if name == "" {
		return nil
	}
	p := m.prev[name]
	if p == nil || p.loading {
		return []string{st.Muted.Render(m.spin.View() + " loading " + common.CleanLine(name) + "…")}
	}
	if p.err != nil {
		return []string{st.Error.Render(common.Trunc(common.Explain(p.err), w))}
	}
	lines := common.VersionLines(m.c, p.v, w, m.raw)
	if mk, ok := m.marks[name]; ok && mk.Text != "" {
		lines = append([]string{common.Trunc(m.c.MarkGlyph(mk.Kind)+" "+st.Muted.Render(common.CleanLine(mk.Text)), w)}, lines...)
	}
	return lines
}
