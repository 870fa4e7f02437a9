package store

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Guard is one guardrail of a rollout: a metric of the new version compared
// with a threshold, absolute (error_rate<=0.05, p95_latency<=2000) or
// relative to the current version (error_rate<=+1pp, p95_latency<=+20%,
// score>=-0.05, cost<=+10%). Written as text (Text) in the rollout.
type Guard struct {
	Text   string  `json:"text"`
	Metric string  `json:"metric"` // error_rate, p95_latency, score, cost
	Op     string  `json:"op"`     // <=, >=, <, >
	Value  float64 `json:"value"`
	// Mode: "abs" compares the new version's figure with Value; "diff"
	// compares new minus current; "ratio" compares (new - current) /
	// current, Value being a fraction (+20% is 0.2).
	Mode string `json:"mode"`
}

// Guard metrics.
var guardMetrics = []string{"error_rate", "p95_latency", "score", "cost"}

// GuardError refuses a guard expression that does not parse. It is
// ErrInvalid for errors.Is.
type GuardError struct {
	Expr string
	msg  string
}

func (e *GuardError) Error() string { return e.msg }

// Is makes errors.Is(err, ErrInvalid) true.
func (e *GuardError) Is(target error) bool { return target == ErrInvalid }

// ParseGuard reads a guard expression: METRIC OP THRESHOLD, where METRIC is
// error_rate, p95_latency, score or cost (per call), OP is <=, >=, < or >,
// and THRESHOLD is absolute when unsigned (error_rate<=0.05 or 5%,
// p95_latency<=2000 or 2000ms, score>=0.8, cost<=0.002) and relative to the
// current version when signed: +1pp (percentage points, error rate), +20%
// (of the current figure), -0.05 or +300ms (a difference).
func ParseGuard(expr string) (Guard, error) {
	e := strings.ReplaceAll(strings.TrimSpace(expr), " ", "")
	bad := func(format string, args ...any) (Guard, error) {
		return Guard{}, &GuardError{Expr: expr, msg: fmt.Sprintf("guard %q: ", expr) + fmt.Sprintf(format, args...) +
			" (e.g. error_rate<=+1pp, p95_latency<=+20%, score>=-0.05, cost<=0.002)"}
	}
	i := strings.IndexAny(e, "<>")
	if i < 1 {
		return bad("no comparison: write METRIC<=THRESHOLD or METRIC>=THRESHOLD")
	}
	g := Guard{Text: e, Metric: e[:i]}
	rest := e[i:]
	switch {
	case strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, ">="):
		g.Op, rest = rest[:2], rest[2:]
	default:
		g.Op, rest = rest[:1], rest[1:]
	}
	known := false
	for _, m := range guardMetrics {
		known = known || m == g.Metric
	}
	if !known {
		return bad("unknown metric %q: use error_rate, p95_latency, score or cost", g.Metric)
	}
	signed := strings.HasPrefix(rest, "+") || strings.HasPrefix(rest, "-")
	num, unit := rest, ""
	for _, u := range []string{"pp", "%", "ms"} {
		if n, ok := strings.CutSuffix(rest, u); ok {
			num, unit = n, u
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" || math.IsNaN(v) || math.IsInf(v, 0) {
		return bad("threshold %q is not a number", rest)
	}
	switch {
	case unit == "pp":
		if g.Metric != "error_rate" || !signed {
			return bad("pp (percentage points) is for a signed error_rate difference such as +1pp")
		}
		g.Mode, g.Value = "diff", v/100
	case unit == "%" && signed:
		g.Mode, g.Value = "ratio", v/100
	case unit == "%":
		if g.Metric != "error_rate" {
			return bad("an unsigned percentage is an absolute error rate; for %s write a signed change such as +20%%", g.Metric)
		}
		g.Mode, g.Value = "abs", v/100
	case unit == "ms" && g.Metric != "p95_latency":
		return bad("ms is for p95_latency")
	case signed:
		g.Mode, g.Value = "diff", v
	default:
		g.Mode, g.Value = "abs", v
	}
	if g.Mode == "abs" && v < 0 {
		return bad("an absolute threshold cannot be negative")
	}
	return g, nil
}

// Judge compares the new version's figure with the current one's: true when
// the guard holds. A relative guard on a current figure of 0 compares the
// difference instead (a ratio of 0 is undefined).
func (g Guard) Judge(current, candidate float64) (holds bool, measured float64) {
	switch g.Mode {
	case "diff":
		measured = candidate - current
	case "ratio":
		if current == 0 {
			if candidate == 0 {
				measured = 0
			} else {
				measured = math.Inf(1)
			}
		} else {
			measured = (candidate - current) / current
		}
	default:
		measured = candidate
	}
	return g.holdsAt(measured), measured
}

// holdsAt compares a measured value with the threshold.
func (g Guard) holdsAt(measured float64) bool {
	const eps = 1e-12
	switch g.Op {
	case "<=":
		return measured <= g.Value+eps
	case "<":
		return measured < g.Value
	case ">=":
		return measured >= g.Value-eps
	default:
		return measured > g.Value
	}
}

// DefaultGuards are a rollout's guards when none are given.
var DefaultGuards = []string{"error_rate<=+1pp", "p95_latency<=+20%"}
