package report

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"charm.land/lipgloss/v2/table"
	"github.com/charmbracelet/x/ansi"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/store/sanitize"
)

// SchemaVersion of the JSON report. Fields are only ever added.
const SchemaVersion = 1

// Doc is the JSON report (`verso eval --format json`):
//
//	{
//	  "schema": 1,
//	  "run": {"id", "prompt", "suite", "status", "started_at", "finished_at",
//	          "versions", "models", "repeat", "total", "settings"},
//	  "summary": {"columns": [Stats...], "total", "passed", "failed", "errors",
//	              "cached", "pass_rate", "cost", "planned", "duration_s"},
//	  "results": [{"version", "model", "case_id", "case", "repeat", "pass",
//	               "score", "error", "cached", "latency_ms", "tokens_in",
//	               "tokens_out", "cost", "output", "assertions": [{"type",
//	               "pass", "score", "reason", "weight"}]}]
//	}
type Doc struct {
	Schema  int          `json:"schema"`
	Run     RunInfo      `json:"run"`
	Summary Summary      `json:"summary"`
	Results []ResultInfo `json:"results"`
}

// RunInfo describes a run in reports and in `verso runs --json`.
type RunInfo struct {
	ID         int64           `json:"id"`
	Prompt     string          `json:"prompt"`
	Suite      string          `json:"suite"`
	Status     string          `json:"status"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt *time.Time      `json:"finished_at"`
	Versions   []int           `json:"versions"`
	Models     []string        `json:"models"`
	Repeat     int             `json:"repeat"`
	Total      int             `json:"total"`
	Settings   json.RawMessage `json:"settings,omitempty"`
}

// ResultInfo is one result in the JSON report.
type ResultInfo struct {
	Version   int     `json:"version"`
	Model     string  `json:"model"`
	CaseID    int64   `json:"case_id"`
	Case      string  `json:"case"`
	Repeat    int     `json:"repeat"`
	Pass      bool    `json:"pass"`
	Score     float64 `json:"score"`
	Error     string  `json:"error"`
	Cached    bool    `json:"cached"`
	LatencyMS int64   `json:"latency_ms"`
	// TokensIn, TokensOut and Cost are null when the server reported no
	// usage (UsageUnknown): unknown, not zero.
	TokensIn     *int                    `json:"tokens_in"`
	TokensOut    *int                    `json:"tokens_out"`
	Cost         *float64                `json:"cost"`
	UsageUnknown bool                    `json:"usage_unknown,omitempty"`
	FinishReason string                  `json:"finish_reason,omitempty"`
	Output       string                  `json:"output"`
	Assertions   []store.AssertionResult `json:"assertions"`
}

// Info converts a run.
func Info(r store.Run) RunInfo {
	return RunInfo{ID: r.ID, Prompt: r.Prompt, Suite: r.Suite, Status: r.Status, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		Versions: nonNil(r.Versions), Models: nonNil(r.Models), Repeat: r.Repeat, Total: r.Total, Settings: r.Settings}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// JSON writes the JSON report.
func JSON(w io.Writer, run store.Run, results []store.Result, s Summary) error {
	d := Doc{Schema: SchemaVersion, Run: Info(run), Summary: s, Results: make([]ResultInfo, len(results))}
	if d.Summary.Columns == nil {
		d.Summary.Columns = []Stats{}
	}
	for i, r := range results {
		d.Results[i] = ResultInfo{Version: r.Version, Model: r.Model, CaseID: r.CaseID, Case: r.CaseName, Repeat: r.Repeat, Pass: r.Pass,
			Score: r.Score, Error: r.Error, Cached: r.Cached, LatencyMS: r.LatencyMS, UsageUnknown: r.UsageUnknown,
			FinishReason: r.FinishReason, Output: r.Output, Assertions: nonNil(r.Assertions)}
		if !r.UsageUnknown {
			d.Results[i].TokensIn, d.Results[i].TokensOut, d.Results[i].Cost = &r.TokensIn, &r.TokensOut, &r.Cost
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(d)
}

// JUnit XML: one testsuite per (version, model), one testcase per case (and
// repeat).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",chardata"`
}

// JUnit writes the JUnit XML report.
func JUnit(w io.Writer, run store.Run, results []store.Result, s Summary) error {
	doc := junitSuites{Name: fmt.Sprintf("verso run %d: %s (suite %s)", run.ID, run.Prompt, run.Suite)}
	idx := map[Column]int{}
	for _, c := range s.Columns {
		idx[Column{c.Version, c.Model}] = len(doc.Suites)
		doc.Suites = append(doc.Suites, junitSuite{Name: fmt.Sprintf("%s@%d %s", run.Prompt, c.Version, c.Model)})
	}
	secs := map[int]float64{}
	for _, r := range results {
		i, ok := idx[Column{r.Version, r.Model}]
		if !ok {
			continue
		}
		su := &doc.Suites[i]
		name := xmlSafe(r.CaseName)
		if run.Repeat > 1 {
			name = fmt.Sprintf("%s #%d", name, r.Repeat+1)
		}
		tc := junitCase{Name: name, Classname: su.Name, Time: fmt.Sprintf("%.3f", float64(r.LatencyMS)/1000)}
		secs[i] += float64(r.LatencyMS) / 1000
		su.Tests++
		switch {
		case r.Error != "":
			su.Errors++
			tc.Error = &junitProblem{Message: xmlSafe(r.Error), Type: "error", Body: xmlSafe(r.Error)}
		case !r.Pass:
			su.Failures++
			var lines []string
			for _, a := range r.Assertions {
				if !a.Pass {
					lines = append(lines, a.Type+": "+a.Reason)
				}
			}
			msg := strings.Join(lines, "; ")
			if msg == "" {
				msg = fmt.Sprintf("score %.2f below the threshold", r.Score)
			}
			tc.Failure = &junitProblem{Message: xmlSafe(msg), Type: "assertion", Body: xmlSafe(msg + "\n\noutput:\n" + r.Output)}
		}
		if r.Error == "" {
			tc.SystemOut = xmlSafe(r.Output)
		}
		su.Cases = append(su.Cases, tc)
	}
	for i := range doc.Suites {
		doc.Suites[i].Time = fmt.Sprintf("%.3f", secs[i])
		doc.Tests += doc.Suites[i].Tests
		doc.Failures += doc.Suites[i].Failures
		doc.Errors += doc.Suites[i].Errors
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// xmlSafe drops what XML 1.0 cannot hold (control characters, escapes).
func xmlSafe(s string) string { return sanitize.Text(s) }

// TableOptions tune the table report.
type TableOptions struct {
	Color       bool // ANSI styles (only on a terminal)
	Width       int  // output width for excerpts, default 100
	MaxFailures int  // failing cases listed, default 20 (-1 = none)
}

// Table writes the comparison table and the failing cases. Every text from
// the database or a model goes through sanitize.
func Table(w io.Writer, run store.Run, results []store.Result, s Summary, o TableOptions) error {
	if o.Width <= 0 {
		o.Width = 100
	}
	if o.MaxFailures == 0 {
		o.MaxFailures = 20
	}
	bold := func(x string) string { return x }
	red, green, dim := bold, bold, bold
	if o.Color {
		style := func(st lipgloss.Style) func(string) string { return func(x string) string { return st.Render(x) } }
		bold = style(lipgloss.NewStyle().Bold(true))
		red = style(lipgloss.NewStyle().Foreground(lipgloss.Red))
		green = style(lipgloss.NewStyle().Foreground(lipgloss.Green))
		dim = style(lipgloss.NewStyle().Faint(true))
	}
	var b strings.Builder
	title := fmt.Sprintf("Run %d · %s · suite %s · %s", run.ID, sanitize.Line(run.Prompt), sanitize.Line(run.Suite), run.Status)
	if s.Duration > 0 {
		title += fmt.Sprintf(" in %.1fs", s.Duration)
	}
	if s.Cached > 0 {
		title += fmt.Sprintf(" · %d cached", s.Cached)
	}
	b.WriteString(bold(title) + "\n")
	t := table.New().Border(lipgloss.HiddenBorder()).BorderTop(false).BorderBottom(false).BorderLeft(false).BorderRight(false).BorderHeader(false).
		Headers("VERSION", "MODEL", "PASS RATE", "PASSED", "FAILED", "ERRORS", "MEAN MS", "P95 MS", "TOKENS IN/OUT", "COST")
	for _, c := range s.Columns {
		rate := fmt.Sprintf("%.1f%%", c.PassRate*100)
		if c.Total == 0 {
			rate = "-"
		}
		t.Row(fmt.Sprintf("@%d", c.Version), sanitize.Line(c.Model), rate, fmt.Sprint(c.Passed), fmt.Sprint(c.Failed), fmt.Sprint(c.Errors),
			fmt.Sprintf("%.0f", c.LatencyMeanMS), fmt.Sprintf("%.0f", c.LatencyP95MS), tokensText(c), CostText(c.Cost, c.UsageUnknown, c.Total-c.Errors))
	}
	t.StyleFunc(func(row, col int) lipgloss.Style {
		st := lipgloss.NewStyle().PaddingRight(1)
		if o.Color && row == table.HeaderRow {
			st = st.Bold(true)
		}
		if o.Color && row >= 0 && row < len(s.Columns) && col == 2 {
			if s.Columns[row].PassRate == 1 {
				st = st.Foreground(lipgloss.Green)
			} else {
				st = st.Foreground(lipgloss.Red)
			}
		}
		return st
	})
	tbl := t.Render()
	if !o.Color {
		tbl = ansi.Strip(tbl)
	}
	for _, line := range strings.Split(tbl, "\n") {
		b.WriteString(strings.TrimRight(line, " ") + "\n")
	}
	if s.Total < s.Planned {
		b.WriteString(fmt.Sprintf("%d of %d results: the run did not finish\n", s.Total, s.Planned))
	}
	if s.UsageUnknown > 0 {
		b.WriteString(fmt.Sprintf("%d answers came without token usage: their cost is unknown (not counted)\n", s.UsageUnknown))
	}
	if s.Truncated > 0 {
		b.WriteString(fmt.Sprintf("%d answers were cut short (finish_reason length or content_filter): see below\n", s.Truncated))
	}
	if n := len(s.SkippedAtImport); n > 0 {
		what := fmt.Sprintf("%d items of this suite were", n)
		if n == 1 {
			what = "1 item of this suite was"
		}
		b.WriteString(what + " left out at import (--skip-unsupported) and did not run:\n")
		for i, line := range s.SkippedAtImport {
			if i == 10 {
				b.WriteString(fmt.Sprintf("  ... and %d more (verso suite list %s --json)\n", n-10, sanitize.Line(run.Prompt)))
				break
			}
			b.WriteString(wrapIndent(sanitize.Line(line), o.Width, "  ") + "\n")
		}
	}
	if o.MaxFailures > 0 {
		n := 0
		var more int
		for _, r := range results {
			if r.Pass && r.Error == "" && !Truncated(r.FinishReason) {
				continue
			}
			if n == 0 {
				head := "Failures"
				if s.Truncated > 0 {
					head = "Failures and answers cut short"
				}
				b.WriteString("\n" + bold(head) + "\n")
			}
			if n >= o.MaxFailures {
				more++
				continue
			}
			n++
			name := sanitize.Line(r.CaseName)
			if run.Repeat > 1 {
				name += fmt.Sprintf(" #%d", r.Repeat+1)
			}
			mark := red("✗")
			switch {
			case r.Error != "":
				mark = red("!")
			case r.Pass:
				mark = green("✓")
			}
			b.WriteString(fmt.Sprintf("%s @%d %s · %s\n", mark, r.Version, sanitize.Line(r.Model), name))
			if r.Error != "" {
				// Whole, wrapped: the end of an error (the address that
				// refused, the body) is often what tells the cause.
				b.WriteString(wrapIndent("error: "+sanitize.Line(r.Error), o.Width, "    ") + "\n")
				continue
			}
			if note := FinishNote(r.FinishReason); note != "" {
				b.WriteString("    " + red(note) + "\n")
			}
			for _, a := range r.Assertions {
				if !a.Pass {
					b.WriteString("    " + clip(sanitize.Line(a.Type+": "+a.Reason), o.Width-4) + "\n")
				}
			}
			b.WriteString("    " + dim("output: "+clip(fmt.Sprintf("%q", sanitize.Line(r.Output)), o.Width-12)) + "\n")
		}
		if more > 0 {
			b.WriteString(fmt.Sprintf("… and %d more (see --format json)\n", more))
		}
	}
	if s.AllPassed() {
		b.WriteString("\n" + green(fmt.Sprintf("All %d passed.", s.Total)) + "\n")
	} else {
		b.WriteString(fmt.Sprintf("\n%d passed, %d failed, %d errors of %d.\n", s.Passed, s.Failed, s.Errors, s.Planned))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// wrapIndent wraps s to width with every line indented.
func wrapIndent(s string, width int, indent string) string {
	w := max(20, width-len(indent))
	lines := strings.Split(ansi.Wrap(s, w, " /,"), "\n")
	for i := range lines {
		lines[i] = indent + strings.TrimRight(lines[i], " ")
	}
	return strings.Join(lines, "\n")
}

func tokensText(c Stats) string {
	if c.UsageUnknown > 0 && c.UsageUnknown >= c.Total-c.Errors {
		return "?"
	}
	t := fmt.Sprintf("%d/%d", c.TokensIn, c.TokensOut)
	if c.UsageUnknown > 0 {
		t += "+?"
	}
	return t
}

func clip(s string, n int) string {
	if n < 10 {
		n = 10
	}
	return ansi.Truncate(s, n, "…")
}
