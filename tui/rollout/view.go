package rollout

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/seed94f0f622/verso/eval/ab"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/chart"
	"github.com/seed94f0f622/verso/tui/common"
)

// figure is one guarded metric as the view charts and reads it.
type figure struct {
	name  string                      // "error rate"
	value func(store.Figures) float64 // NaN where undefined
	axis  func(float64) string
	ab    func(float64) string // an ab readout's value
}

var figures = map[string]figure{
	ab.ErrorRate: {"error rate", func(f store.Figures) float64 { return defined(f, f.ErrorRate*100) },
		func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" },
		func(v float64) string { return strconv.FormatFloat(v*100, 'f', 2, 64) + "%" }},
	ab.Latency: {"p95 latency", func(f store.Figures) float64 { return defined(f, f.LatencyP95MS) },
		func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) + "ms" },
		func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) + "ms" }},
	ab.Score: {"score", func(f store.Figures) float64 {
		if f.ScoreMean == nil {
			return math.NaN()
		}
		return *f.ScoreMean
	}, func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) },
		func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }},
	ab.Cost: {"cost per call", func(f store.Figures) float64 { return defined(f, f.Cost/float64(max(f.Requests, 1))) },
		func(v float64) string { return "$" + strconv.FormatFloat(v, 'g', 2, 64) },
		func(v float64) string { return "$" + strconv.FormatFloat(v, 'g', 3, 64) }},
}

func defined(f store.Figures, v float64) float64 {
	if f.Requests == 0 {
		return math.NaN()
	}
	return v
}

// View draws the rollout: head, guards, A/B readout, then the chart of
// one guarded figure per arm in what is left (j/k scroll when it does not
// fit).
func (m *Model) View() string {
	st := m.c.Styles
	switch {
	case m.err != nil && !m.loaded:
		return common.Box([]string{st.Error.Render(common.Explain(m.err))}, m.width, m.height)
	case !m.loaded:
		return common.Box([]string{st.Muted.Render("checking the guards…")}, m.width, m.height)
	}
	lines := m.head()
	lines = append(lines, "")
	lines = append(lines, m.guards()...)
	lines = append(lines, "")
	lines = append(lines, m.readout()...)
	lines = append(lines, "")
	chartH := max(m.height-len(lines)-1, 5)
	lines = append(lines, m.chart(chartH)...)
	m.scroll = min(m.scroll, max(len(lines)-m.height, 0))
	return common.Box(lines[m.scroll:], m.width, m.height)
}

// head is the title, the plan and what is in force.
func (m *Model) head() []string {
	st := m.c.Styles
	r, now := m.d.r, m.c.Now()
	if now.Before(m.d.now) {
		now = m.d.now // never show the store's clock going back
	}
	state := st.Success
	switch r.State {
	case store.RolloutPaused:
		state = st.Warning
	case store.RolloutAborted:
		state = st.Error
	case store.RolloutDone:
		state = st.Info
	}
	title := st.Title.Render(fmt.Sprintf("Rollout %d of %s: v%d → v%d ", r.ID, common.CleanLine(r.Label), r.From, r.To)) + st.Muted.Render("· ") + state.Render(r.State)
	by := fmt.Sprintf(" · started %s by %s", common.Ago(r.StartedAt, now), common.CleanLine(r.Actor))
	if r.Reason != "" {
		by += ": " + common.CleanLine(r.Reason)
	}
	lines := []string{common.Trunc(title+st.Muted.Render(by), m.width)}
	bar := common.StepBar(r, now)
	lines = append(lines, st.Subtitle.Render("Plan ")+st.Accent.Render(bar)+st.Muted.Render("  one step every "+common.Every(r.Every)+
		fmt.Sprintf(", guards judged once each version has %d events in the step", r.MinRequests)))
	w := r.Weight(now)
	var now2 string
	switch r.State {
	case store.RolloutRunning:
		now2 = common.SplitText(r, w)
		if next := r.NextAt(now); !next.IsZero() {
			i, _ := r.In(now)
			if wait := next.Sub(now); wait > 0 {
				now2 += fmt.Sprintf(" · %d%% in %s, once this step's guards are healthy", r.Steps[i+1], common.Wait(wait))
			} else {
				now2 += fmt.Sprintf(" · %d%% is due, waiting for this step's guards to be healthy", r.Steps[i+1])
			}
		}
	case store.RolloutPaused:
		now2 = common.SplitText(r, w) + fmt.Sprintf(" · paused %s: the clock is stopped until it is resumed", common.Ago(r.PausedAt, now))
	case store.RolloutAborted:
		now2 = fmt.Sprintf("v%d 100%% · aborted %s at %d%%", r.From, common.Ago(r.EndedAt, now), r.Steps[r.Step])
		if m.d.check.Verdict != "" {
			now2 += fmt.Sprintf(" (%s)", common.CleanLine(m.abortWhy()))
		}
	case store.RolloutDone:
		now2 = fmt.Sprintf("v%d 100%% · done %s: the label is on v%d", r.To, common.Ago(r.EndedAt, now), r.To)
	}
	lines = append(lines, st.Subtitle.Render("Now  ")+st.Text.Render(now2))
	return lines
}

// abortWhy is what ended an aborted rollout: the guards breached, or by
// hand.
func (m *Model) abortWhy() string {
	var breached []string
	for _, g := range m.d.check.Guards {
		if g.Status == "breached" {
			breached = append(breached, g.Guard)
		}
	}
	if len(breached) > 0 {
		return "breached " + strings.Join(breached, ", ")
	}
	return "by hand"
}

// guards lists each guard's status with its figures.
func (m *Model) guards() []string {
	st := m.c.Styles
	r, c := m.d.r, m.d.check
	head := "Guards"
	switch {
	case c.Since.IsZero():
	case r.Live():
		head += fmt.Sprintf(" · step %d%% since %s", c.Weight, common.Ago(c.Since, m.d.now))
	default:
		head += fmt.Sprintf(" · step %d%%, its last %s", c.Weight, common.Wait(c.At.Sub(c.Since)))
	}
	switch c.Verdict {
	case "healthy", "waiting", "breached":
		head += " · " + c.Verdict
	case store.RolloutPaused:
		head += " · read, not acted on while paused"
	case store.RolloutAborted:
		head += " · as they read when it was aborted"
	}
	lines := []string{st.Subtitle.Render(head)}
	if len(r.Guards) == 0 {
		return append(lines, st.Muted.Render("  none: each step follows the last once it has lasted its time"))
	}
	for _, g := range r.Guards {
		s := common.GuardOf(c, g)
		mark, style := "·", st.Muted
		switch s.Status {
		case "healthy":
			mark, style = "✓", st.Success
		case "breached":
			mark, style = "✗", st.Error
		case "waiting":
			mark, style = "…", st.Warning
		}
		text := fmt.Sprintf("%-18s", common.CleanLine(g.Text))
		var rest string
		switch s.Status {
		case "waiting":
			rest = fmt.Sprintf("waiting  n v%d %d, v%d %d of %d each", r.From, s.NCurrent, r.To, s.NNew, s.MinN)
		case "":
			rest = "not judged"
		default:
			rest = fmt.Sprintf("%-8s v%d %s  v%d %s  %s  n %d/%d", s.Status, r.From, common.GuardFigure(g.Metric, s.Current),
				r.To, common.GuardFigure(g.Metric, s.Candidate), common.GuardMeasured(g, s), s.NCurrent, s.NNew)
		}
		lines = append(lines, "  "+style.Render(mark)+" "+st.Text.Render(text)+" "+style.Render(rest))
	}
	return lines
}

// readout is the A/B analysis of each guarded metric: per arm the figure
// and its 95 % interval, then the difference with its interval and
// p-value, and the sample-ratio check.
func (m *Model) readout() []string {
	st := m.c.Styles
	head := "A/B since the rollout started · 95% intervals"
	if m.d.abErr != nil {
		return []string{st.Subtitle.Render(head), st.Muted.Render("  " + common.Explain(m.d.abErr))}
	}
	var srm *ab.SRM
	for _, rep := range m.d.reports {
		if rep.SRM != nil {
			srm = rep.SRM
		}
	}
	lines := []string{st.Subtitle.Render(head)}
	if srm != nil {
		if srm.Mismatch {
			lines[0] += st.Error.Render(fmt.Sprintf(" · SAMPLE RATIO MISMATCH (p %s): assignment or reporting is broken, trust nothing below", ab.PText(srm.P)))
		} else {
			lines[0] += st.Muted.Render(fmt.Sprintf(" · arms as weighted (p %s)", ab.PText(srm.P)))
		}
	}
	for _, rep := range m.d.reports {
		f := figures[rep.Metric]
		name := fmt.Sprintf("  %-13s ", f.name)
		if rep.Metric == ab.Latency {
			name = fmt.Sprintf("  %-13s ", "p50 latency") // ab compares medians
		}
		if len(rep.Arms) == 0 {
			lines = append(lines, st.Text.Render(name)+st.Muted.Render("no events yet"))
			continue
		}
		var arms []string
		for _, a := range rep.Arms {
			arms = append(arms, fmt.Sprintf("v%d %s [%s–%s] n %d", a.Version, f.ab(a.Mean), f.ab(a.CILow), f.ab(a.CIHigh), a.N))
		}
		lines = append(lines, st.Text.Render(name+strings.Join(arms, " · ")))
		pad := strings.Repeat(" ", len(name))
		for _, c := range rep.Comparisons {
			diff := fmt.Sprintf("v%d−v%d %s", c.Version, c.Control, signed(rep.Metric, c.Diff))
			if c.CILow != nil && c.CIHigh != nil {
				diff += fmt.Sprintf(" [%s, %s]", signed(rep.Metric, *c.CILow), signed(rep.Metric, *c.CIHigh))
			}
			diff += ", p " + ab.PText(c.P) + ": "
			style := st.Muted
			switch {
			case c.TooSmall:
				diff += "too few events to conclude"
			case c.Significant:
				diff += "a significant difference"
				style = st.Warning
			default:
				diff += "no significant difference"
			}
			lines = append(lines, style.Render(pad+diff))
		}
		for _, w := range rep.Warnings {
			if !strings.Contains(w, "SAMPLE RATIO") {
				lines = append(lines, st.Muted.Render(pad+common.CleanLine(w)))
			}
		}
	}
	return lines
}

// signed writes a difference of a metric with its sign.
func signed(metric string, v float64) string {
	switch metric {
	case ab.ErrorRate:
		return fmt.Sprintf("%+.2fpp", v*100)
	case ab.Latency:
		return fmt.Sprintf("%+.0fms", v)
	case ab.Cost:
		return fmt.Sprintf("%+.3g$", v)
	}
	return fmt.Sprintf("%+.3f", v)
}

// chart draws the charted figure per arm over the rollout, its steps
// marked on the time axis.
func (m *Model) chart(h int) []string {
	st := m.c.Styles
	d := m.d
	if len(d.metrics) == 0 {
		return nil
	}
	mt := d.metrics[m.metric]
	f := figures[mt]
	r := d.r
	versions := []int{r.From, r.To}
	var series []chart.Series
	var legend []string
	for i, v := range versions {
		vals := make([]float64, len(d.series.Total))
		for k := range vals {
			vals[k] = math.NaN()
		}
		for _, g := range d.series.Groups {
			if g.Key == strconv.Itoa(v) {
				for k, p := range g.Points {
					vals[k] = f.value(p)
				}
			}
		}
		series = append(series, chart.Series{Values: vals})
		legend = append(legend, st.Chart.Series[i%len(st.Chart.Series)].Render(chart.Glyphs[i])+st.Muted.Render(fmt.Sprintf(" v%d", v)))
	}
	end := d.now
	if !r.EndedAt.IsZero() {
		end = r.EndedAt
	}
	span := end.Sub(d.series.Start)
	unit, sfx := time.Hour, "h"
	if span < 3*time.Hour {
		unit, sfx = time.Minute, "m"
	} else if span > 72*time.Hour {
		unit, sfx = 24*time.Hour, "d"
	}
	var markers []chart.Marker
	for i, e := range d.moves {
		markers = append(markers, chart.Marker{X: float64(e.At.Sub(end)) / float64(unit), Text: strconv.Itoa((i + 1) % 10)})
	}
	title := st.Subtitle.Render(f.name+" per arm ") + strings.Join(legend, " ") + st.Muted.Render(" · steps marked 1, 2… under the axis")
	lines := []string{title}
	lines = append(lines, chart.Lines(st.Chart, series, chart.Options{
		Width: m.width, Height: h, YFormat: f.axis,
		XMin: float64(d.series.Start.Sub(end)) / float64(unit), XMax: 0,
		XFormat: func(v float64) string {
			if math.Abs(v) < 0.5 {
				if r.Live() {
					return "now"
				}
				return "end"
			}
			return strconv.FormatFloat(math.Round(v), 'f', 0, 64) + sfx
		},
		Markers: markers, Empty: "No events under " + common.CleanLine(r.Label) + " since the rollout started: applications report calls through `verso serve` or `verso ingest`.",
	})...)
	return lines
}
