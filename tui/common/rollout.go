package common

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/seed94f0f622/verso/store"
)

// Rollout text shared by the rollout view and its confirmations: one way
// to write a plan, a wait and a guard's figures.

// StepBar writes a rollout's plan: 5% ━ [25%] ─ 50% ─ 100%, the step in
// force in brackets (while the rollout is live).
func StepBar(r store.Rollout, now time.Time) string {
	i, _ := r.In(now)
	var b strings.Builder
	for k, s := range r.Steps {
		if k > 0 {
			if k <= i {
				b.WriteString(" ━ ")
			} else {
				b.WriteString(" ─ ")
			}
		}
		if k == i && r.Live() {
			fmt.Fprintf(&b, "[%d%%]", s)
		} else {
			fmt.Fprintf(&b, "%d%%", s)
		}
	}
	return b.String()
}

// Wait writes a duration the way a countdown reads: "42s", "5m 03s",
// "5h 02m", "2d 4h".
func Wait(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm %02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh %02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	return fmt.Sprintf("%dd %dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

// Every writes a rollout's interval: "1h", "30m", "6h", "1h30m".
func Every(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	s = strings.TrimSuffix(s, "0m")
	if s == "" {
		return "0s"
	}
	return s
}

// GuardFigure writes a guard metric's figure: an error rate as a
// percentage, a latency in ms, a score, a cost per call in dollars.
func GuardFigure(metric string, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	switch metric {
	case "error_rate":
		return strconv.FormatFloat(v*100, 'f', 2, 64) + "%"
	case "p95_latency", "latency":
		return strconv.FormatFloat(v, 'f', 0, 64) + "ms"
	case "cost":
		return "$" + strconv.FormatFloat(v, 'g', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// GuardMeasured writes what a guard compares with its threshold: a
// difference in percentage points for a rate, a relative change, or a
// difference, each with its one-sided margin.
func GuardMeasured(g store.Guard, st store.GuardStatus) string {
	switch g.Mode {
	case "ratio":
		return fmt.Sprintf("%+.1f%% ±%.1f", st.Measured*100, st.Margin*100)
	case "diff":
		if g.Metric == "error_rate" {
			return fmt.Sprintf("%+.2fpp ±%.2f", st.Measured*100, st.Margin*100)
		}
		return fmt.Sprintf("%+.4g ±%.2g", st.Measured, st.Margin)
	}
	return GuardFigure(g.Metric, st.Measured) + " ±" + strings.TrimPrefix(GuardFigure(g.Metric, st.Margin), "$")
}

// GuardLine is one guard's status in one line: its expression, its status
// and the figures behind it.
func GuardLine(g store.Guard, st store.GuardStatus) string {
	switch st.Status {
	case "waiting":
		return fmt.Sprintf("%s: waiting for samples (n %d/%d, %d each needed)", g.Text, st.NCurrent, st.NNew, st.MinN)
	case "":
		return g.Text + ": not judged yet"
	}
	return fmt.Sprintf("%s: %s (current %s, new %s, measured %s, n %d/%d)", g.Text, st.Status,
		GuardFigure(g.Metric, st.Current), GuardFigure(g.Metric, st.Candidate), GuardMeasured(g, st), st.NCurrent, st.NNew)
}

// GuardOf finds the status of g in a check (zero when it has none).
func GuardOf(c store.RolloutCheck, g store.Guard) store.GuardStatus {
	for _, s := range c.Guards {
		if s.Guard == g.Text {
			return s
		}
	}
	return store.GuardStatus{}
}

// SplitText writes who gets what at weight w of the new version:
// "v3 75% · v4 25%".
func SplitText(r store.Rollout, w int) string {
	return fmt.Sprintf("v%d %d%% · v%d %d%%", r.From, 100-w, r.To, w)
}
