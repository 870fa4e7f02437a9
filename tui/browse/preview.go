package browse

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

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
	return append(m.healthLines(name, w), lines...)
}

// healthLines sum up a prompt's production traffic above its preview:
// what its production version did over two weeks and, when it is worse
// than the version before it, by how much.
func (m *Model) healthLines(name string, w int) []string {
	h, ok := m.health[name]
	if !ok || h.Version == 0 {
		return nil
	}
	st := m.c.Styles
	f := h.Current
	line := fmt.Sprintf("v%d in production: %d requests in 14d · errors %.1f%% · p95 %.0fms", h.Version, f.Requests, f.ErrorRate*100, f.LatencyP95MS)
	if f.ScoreMean != nil {
		line += fmt.Sprintf(" · score %.2f", *f.ScoreMean)
	}
	out := []string{st.Muted.Render(common.Trunc(line, w))}
	var worse []string
	if h.ErrorWorse {
		worse = append(worse, fmt.Sprintf("error rate %.1f%% (v%d: %.1f%%)", f.ErrorRate*100, h.Previous, h.Before.ErrorRate*100))
	}
	if h.ScoreWorse && f.ScoreMean != nil && h.Before.ScoreMean != nil {
		worse = append(worse, fmt.Sprintf("score %.2f (v%d: %.2f)", *f.ScoreMean, h.Previous, *h.Before.ScoreMean))
	}
	if len(worse) > 0 {
		out = append(out, st.Chart.Worse.Render(common.Trunc("▲ worse than v"+strconv.Itoa(h.Previous)+": "+strings.Join(worse, ", "), w)))
	}
	return out
}
