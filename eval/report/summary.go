// Package report summarises a run's results per (version, model) and
// writes them as a table, JSON (a stable, documented schema) or JUnit XML.
package report

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/seed94f0f622/verso/store"
)

// Column is one (version, model) of a run.
type Column struct {
	Version int    `json:"version"`
	Model   string `json:"model"`
}

// Stats are the figures of one column.
type Stats struct {
	Version       int     `json:"version"`
	Model         string  `json:"model"`
	Total         int     `json:"total"`  // results
	Passed        int     `json:"passed"` // passed their assertions
	Failed        int     `json:"failed"` // ran, failed an assertion
	Errors        int     `json:"errors"` // the call or the template failed
	Cached        int     `json:"cached"`
	PassRate      float64 `json:"pass_rate"` // passed / total, 0..1
	LatencyMeanMS float64 `json:"latency_mean_ms"`
	LatencyP95MS  float64 `json:"latency_p95_ms"`
	TokensIn      int     `json:"tokens_in"`
	TokensOut     int     `json:"tokens_out"`
	Cost          float64 `json:"cost"` // dollars, at the configured prices
	// UsageUnknown counts answers whose server reported no token usage:
	// their cost is unknown and not in Cost.
	UsageUnknown int `json:"usage_unknown"`
	// Truncated counts answers the model did not finish: finish_reason
	// length (cut at max_tokens) or content_filter.
	Truncated int `json:"truncated"`
}

// Summary of a run: per column, and in total.
type Summary struct {
	Columns  []Stats `json:"columns"`
	Total    int     `json:"total"`
	Passed   int     `json:"passed"`
	Failed   int     `json:"failed"`
	Errors   int     `json:"errors"`
	Cached   int     `json:"cached"`
	PassRate float64 `json:"pass_rate"`
	Cost     float64 `json:"cost"`
	// Planned is the number of results the run was to produce; Total <
	// Planned means it was cancelled or killed before the end.
	Planned      int     `json:"planned"`
	Duration     float64 `json:"duration_s,omitempty"`
	UsageUnknown int     `json:"usage_unknown"`
	Truncated    int     `json:"truncated"`
	// SkippedAtImport: what the import that made the suite left out (its
	// checks did not run): store.Suite.Skipped.
	SkippedAtImport []string `json:"skipped_at_import,omitempty"`
}

// JSON encodes the summary (for store.FinishRun).
func (s Summary) JSON() json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

// Truncated reports whether a finish reason means the answer is not whole:
// cut at max_tokens (length) or filtered (content_filter).
func Truncated(finish string) bool { return finish == "length" || finish == "content_filter" }

// FinishNote explains a finish reason that is not a normal end ("" for
// stop, tool_calls and unknown).
func FinishNote(finish string) string {
	switch finish {
	case "length":
		return "cut short: finish_reason length (the answer reached max_tokens)"
	case "content_filter":
		return "cut short: finish_reason content_filter (the provider filtered the answer)"
	}
	return ""
}

// CostText is a cost for people: dollars, "+?" when some answers had no
// usage figures, "unknown" when none had.
func CostText(cost float64, unknown, answers int) string {
	switch {
	case unknown > 0 && unknown >= answers:
		return "unknown"
	case unknown > 0:
		return fmt.Sprintf("$%.4f+?", cost)
	}
	return fmt.Sprintf("$%.4f", cost)
}

// AllPassed reports whether every planned result exists and passed.
func (s Summary) AllPassed() bool {
	return s.Total > 0 && s.Passed == s.Total && s.Total >= s.Planned
}

// Summarize computes the figures of results. columns fixes the order (and
// lists columns without results); columns missing from it are appended in
// order of appearance.
func Summarize(results []store.Result, columns []Column, planned int) Summary {
	idx := map[Column]int{}
	s := Summary{Planned: planned}
	for _, c := range columns {
		if _, ok := idx[c]; !ok {
			idx[c] = len(s.Columns)
			s.Columns = append(s.Columns, Stats{Version: c.Version, Model: c.Model})
		}
	}
	lat := make([][]float64, len(s.Columns))
	for _, r := range results {
		c := Column{r.Version, r.Model}
		i, ok := idx[c]
		if !ok {
			i = len(s.Columns)
			idx[c] = i
			s.Columns = append(s.Columns, Stats{Version: c.Version, Model: c.Model})
			lat = append(lat, nil)
		}
		st := &s.Columns[i]
		st.Total++
		switch {
		case r.Error != "":
			st.Errors++
		case r.Pass:
			st.Passed++
		default:
			st.Failed++
		}
		if r.Cached {
			st.Cached++
		}
		if r.Error == "" {
			lat[i] = append(lat[i], float64(r.LatencyMS))
		}
		st.TokensIn += r.TokensIn
		st.TokensOut += r.TokensOut
		st.Cost += r.Cost
		if r.Error == "" && r.UsageUnknown {
			st.UsageUnknown++
		}
		if r.Error == "" && Truncated(r.FinishReason) {
			st.Truncated++
		}
	}
	for i := range s.Columns {
		st := &s.Columns[i]
		if st.Total > 0 {
			st.PassRate = float64(st.Passed) / float64(st.Total)
		}
		st.LatencyMeanMS, st.LatencyP95MS = meanP95(lat[i])
		st.Cost = round(st.Cost, 1e9)
		s.Total += st.Total
		s.Passed += st.Passed
		s.Failed += st.Failed
		s.Errors += st.Errors
		s.Cached += st.Cached
		s.Cost += st.Cost
		s.UsageUnknown += st.UsageUnknown
		s.Truncated += st.Truncated
	}
	if s.Total > 0 {
		s.PassRate = float64(s.Passed) / float64(s.Total)
	}
	s.Cost = round(s.Cost, 1e9)
	return s
}

func round(f, scale float64) float64 { return math.Round(f*scale) / scale }

// meanP95 of latencies; p95 by the nearest-rank method.
func meanP95(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := int(math.Ceil(0.95*float64(len(s)))) - 1
	return round(sum/float64(len(s)), 10), s[max(0, rank)]
}

// ColumnsOf lists the columns of a run's results in order of appearance.
func ColumnsOf(results []store.Result) []Column {
	var out []Column
	seen := map[Column]bool{}
	for _, r := range results {
		c := Column{r.Version, r.Model}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}
