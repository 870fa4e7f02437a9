// Package ab compares the arms of a traffic split (`verso ab`): per arm the
// sample size, the mean and its 95 % interval; for each arm against the
// control, the difference with its interval and p-value (a two-proportion
// z-test for rates, Welch's t for means, the Mann-Whitney rank test for
// latency); a sample-ratio-mismatch check of the observed split against the
// weights; and whether the sample is large enough to conclude anything.
// Distribution functions come from gonum (stat/distuv).
package ab

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/seed94f0f622/verso/store"
)

// Metrics.
const (
	ErrorRate = "error_rate"
	Score     = "score"
	Latency   = "latency"
	Cost      = "cost"
)

// Metrics lists the metrics ab can compare.
var Metrics = []string{ErrorRate, Score, Latency, Cost}

// Alpha is the significance level (two-sided) of every test and interval.
const Alpha = 0.05

// SRMAlpha is the p-value under which the observed split is declared broken
// (a strict level, as sample-ratio checks use: they run on every analysis).
const SRMAlpha = 0.001

// MinSample is the smallest sample per arm a conclusion is drawn from; for
// a rate, each arm also needs 10 events of each outcome (the normal
// approximation's usual condition).
const MinSample = 30

// ArmResult is one arm's figures.
type ArmResult struct {
	Version int     `json:"version"`
	Arm     string  `json:"arm"`
	N       int64   `json:"n"`
	Mean    float64 `json:"mean"` // error rate, mean score, mean cost per call, or median latency (ms)
	CILow   float64 `json:"ci_low"`
	CIHigh  float64 `json:"ci_high"`
	Control bool    `json:"control,omitempty"`
}

// Comparison is one arm against the control.
type Comparison struct {
	Version int     `json:"version"`
	Control int     `json:"control"`
	Diff    float64 `json:"diff"` // arm minus control (for latency: difference of medians)
	// CILow and CIHigh bound the difference (null for latency: the rank
	// test gives a p-value, not an interval on the binned data).
	CILow  *float64 `json:"ci_low"`
	CIHigh *float64 `json:"ci_high"`
	P      float64  `json:"p_value"`
	Test   string   `json:"test"` // "two-proportion z", "welch t", "mann-whitney u"
	// Stat is the test statistic (z, t or the U of the arm).
	Stat float64 `json:"stat"`
	DF   float64 `json:"df,omitempty"` // Welch's degrees of freedom
	// MDE is the smallest difference this sample would detect with 80 %
	// power at the 5 % level (not for latency).
	MDE         float64 `json:"mde,omitempty"`
	Significant bool    `json:"significant"`
	// TooSmall: an arm is below the minimum sample; no conclusion.
	TooSmall bool   `json:"too_small"`
	Verdict  string `json:"verdict"`
}

// SRM is the sample-ratio-mismatch check.
type SRM struct {
	ChiSquare float64 `json:"chi_square"`
	DF        int     `json:"df"`
	P         float64 `json:"p_value"`
	Mismatch  bool    `json:"mismatch"`
	// Observed and Expected shares per arm, in arm order.
	Observed []int64   `json:"observed"`
	Expected []float64 `json:"expected"`
}

// Report is `verso ab --json`.
type Report struct {
	Prompt      string       `json:"prompt"`
	Label       string       `json:"label"`
	Metric      string       `json:"metric"`
	Since       string       `json:"since"`
	Until       string       `json:"until"`
	Arms        []ArmResult  `json:"arms"`
	Comparisons []Comparison `json:"comparisons"`
	SRM         *SRM         `json:"srm"`
	Warnings    []string     `json:"warnings"`
}

var normal = distuv.UnitNormal

func z(level float64) float64 { return normal.Quantile(1 - (1-level)/2) }

// Wilson is the Wilson score interval of a proportion k/n at the level.
func Wilson(k, n int64, level float64) (lo, hi float64) {
	if n == 0 {
		return 0, 1
	}
	zz := z(level)
	p, nf := float64(k)/float64(n), float64(n)
	den := 1 + zz*zz/nf
	center := (p + zz*zz/(2*nf)) / den
	half := zz * math.Sqrt(p*(1-p)/nf+zz*zz/(4*nf*nf)) / den
	return max(center-half, 0), min(center+half, 1)
}

// TwoProportion compares k2/n2 with k1/n1: the difference p2-p1, its Wald
// interval at the level, the pooled z statistic and its two-sided p-value.
func TwoProportion(k1, n1, k2, n2 int64, level float64) (diff, lo, hi, zstat, p float64) {
	p1, p2 := float64(k1)/float64(n1), float64(k2)/float64(n2)
	diff = p2 - p1
	se := math.Sqrt(p1*(1-p1)/float64(n1) + p2*(1-p2)/float64(n2))
	lo, hi = diff-z(level)*se, diff+z(level)*se
	pool := float64(k1+k2) / float64(n1+n2)
	sep := math.Sqrt(pool * (1 - pool) * (1/float64(n1) + 1/float64(n2)))
	if sep == 0 {
		return diff, lo, hi, 0, 1
	}
	zstat = diff / sep
	return diff, lo, hi, zstat, 2 * normal.Survival(math.Abs(zstat))
}

// Moments are a sample's size, mean and variance (n-1 denominator).
type Moments struct {
	N        float64
	Mean     float64
	Variance float64
}

// FromSums builds Moments from a count, a sum and a sum of squares.
func FromSums(n int64, sum, sumSq float64) Moments {
	m := Moments{N: float64(n)}
	if n == 0 {
		return m
	}
	m.Mean = sum / m.N
	if n > 1 {
		m.Variance = max((sumSq-m.N*m.Mean*m.Mean)/(m.N-1), 0)
	}
	return m
}

// MeanCI is the Student's t interval of a mean at the level.
func MeanCI(m Moments, level float64) (lo, hi float64) {
	if m.N < 2 {
		return math.Inf(-1), math.Inf(1)
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: m.N - 1}.Quantile(1 - (1-level)/2)
	half := t * math.Sqrt(m.Variance/m.N)
	return m.Mean - half, m.Mean + half
}

// Welch compares b's mean with a's: the difference b-a, its interval at the
// level, t, the Welch-Satterthwaite degrees of freedom and the two-sided
// p-value.
func Welch(a, b Moments, level float64) (diff, lo, hi, t, df, p float64) {
	diff = b.Mean - a.Mean
	va, vb := a.Variance/a.N, b.Variance/b.N
	se := math.Sqrt(va + vb)
	if se == 0 || a.N < 2 || b.N < 2 {
		return diff, diff, diff, 0, 0, 1
	}
	t = diff / se
	df = (va + vb) * (va + vb) / (va*va/(a.N-1) + vb*vb/(b.N-1))
	st := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	q := st.Quantile(1 - (1-level)/2)
	return diff, diff - q*se, diff + q*se, t, df, 2 * st.Survival(math.Abs(t))
}

// MannWhitney is the rank-sum test of two samples given as counts per
// ordered value (or histogram bucket: values in one bucket are ties):
// a[i] and b[i] count the values of rank group i. It returns b's U and the
// two-sided p-value of the normal approximation with the tie correction and
// the continuity correction (R's wilcox.test with exact=FALSE).
func MannWhitney(a, b []int64) (u, p float64) {
	var na, nb float64
	for i := range a {
		na += float64(a[i])
		nb += float64(b[i])
	}
	if na == 0 || nb == 0 {
		return 0, 1
	}
	n := na + nb
	var rank, rb, ties float64
	for i := range a {
		t := float64(a[i] + b[i])
		if t == 0 {
			continue
		}
		mid := rank + (t+1)/2
		rb += float64(b[i]) * mid
		ties += t*t*t - t
		rank += t
	}
	u = rb - nb*(nb+1)/2
	mu := na * nb / 2
	sigma := math.Sqrt(na * nb / 12 * ((n + 1) - ties/(n*(n-1))))
	if sigma == 0 {
		return u, 1
	}
	d := u - mu
	d -= math.Copysign(0.5, d) * boolf(d != 0)
	return u, 2 * normal.Survival(math.Abs(d)/sigma)
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// ChiSquareGOF is the goodness-of-fit test of observed counts against
// expected counts: the statistic, its degrees of freedom and p-value.
func ChiSquareGOF(obs []int64, exp []float64) (chi float64, df int, p float64) {
	for i := range obs {
		if exp[i] > 0 {
			d := float64(obs[i]) - exp[i]
			chi += d * d / exp[i]
		} else if obs[i] > 0 {
			return math.Inf(1), len(obs) - 1, 0
		}
	}
	df = len(obs) - 1
	if df < 1 {
		return chi, df, 1
	}
	return chi, df, distuv.ChiSquared{K: float64(df)}.Survival(chi)
}

// medianCI is the distribution-free interval of the median read from a
// histogram: the values at ranks n/2 ∓ z·√n/2.
func medianCI(h *store.Histogram, n int64, level float64) (lo, hi float64) {
	if n == 0 {
		return 0, 0
	}
	half := z(level) * math.Sqrt(float64(n)) / 2 / float64(n)
	return h.Quantile(max(0.5-half, 0)), h.Quantile(min(0.5+half, 1))
}

// Analyze compares the arms of d on a metric.
func Analyze(d store.ABData, metric string) (Report, error) {
	rep := Report{Prompt: d.Prompt, Label: d.Label, Metric: metric, Since: d.Since.Format("2006-01-02T15:04:05Z07:00"),
		Until: d.Until.Format("2006-01-02T15:04:05Z07:00"), Arms: []ArmResult{}, Comparisons: []Comparison{}, Warnings: []string{}}
	known := false
	for _, m := range Metrics {
		known = known || m == metric
	}
	if !known {
		return rep, fmt.Errorf("unknown metric %q: use error_rate, score, latency or cost: %w", metric, store.ErrInvalid)
	}
	var control *store.ArmSample
	for i := range d.Arms {
		a := &d.Arms[i]
		r := ArmResult{Version: a.Version, Arm: a.Arm, Control: a.Version == d.Control}
		switch metric {
		case ErrorRate:
			r.N = a.Requests
			if a.Requests > 0 {
				r.Mean = float64(a.Errors) / float64(a.Requests)
			}
			r.CILow, r.CIHigh = Wilson(a.Errors, a.Requests, 1-Alpha)
		case Score:
			m := FromSums(a.ScoreN, a.ScoreSum, a.ScoreSq)
			r.N, r.Mean = a.ScoreN, m.Mean
			r.CILow, r.CIHigh = MeanCI(m, 1-Alpha)
		case Cost:
			m := FromSums(a.Requests, a.CostSum, a.CostSq)
			r.N, r.Mean = a.Requests, m.Mean
			r.CILow, r.CIHigh = MeanCI(m, 1-Alpha)
		case Latency:
			r.N, r.Mean = a.Requests, a.Hist.Quantile(0.5)
			r.CILow, r.CIHigh = medianCI(&a.Hist, a.Requests, 1-Alpha)
		}
		for _, f := range []*float64{&r.Mean, &r.CILow, &r.CIHigh} {
			if math.IsInf(*f, 0) || math.IsNaN(*f) {
				*f = 0
			}
			*f = round(*f)
		}
		rep.Arms = append(rep.Arms, r)
		if a.Version == d.Control {
			control = a
		}
	}
	if len(d.Arms) < 2 || control == nil {
		rep.Warnings = append(rep.Warnings, "fewer than two arms have events in the window: nothing to compare")
		return rep, nil
	}
	// sample-ratio mismatch
	srm := &SRM{Observed: []int64{}, Expected: []float64{}}
	var total float64
	for _, a := range d.Arms {
		total += a.Expected
	}
	if total > 0 {
		for _, a := range d.Arms {
			srm.Observed = append(srm.Observed, a.Requests)
			srm.Expected = append(srm.Expected, round(a.Expected))
		}
		srm.ChiSquare, srm.DF, srm.P = ChiSquareGOF(srm.Observed, srm.Expected)
		srm.ChiSquare, srm.P = round(srm.ChiSquare), roundP(srm.P)
		srm.Mismatch = srm.P < SRMAlpha
		rep.SRM = srm
		if srm.Mismatch {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("SAMPLE RATIO MISMATCH (chi-square %.1f, p %.2g): the arms did not get the traffic their weights say; "+
				"assignment or event reporting is broken, and no comparison below can be trusted", srm.ChiSquare, srm.P))
		}
	}
	for i := range d.Arms {
		a := &d.Arms[i]
		if a.Version == d.Control {
			continue
		}
		rep.Comparisons = append(rep.Comparisons, compare(control, a, metric))
	}
	return rep, nil
}

func compare(c, a *store.ArmSample, metric string) Comparison {
	cmp := Comparison{Version: a.Version, Control: c.Version, P: 1}
	zz := z(1-Alpha) + normal.Quantile(0.8)
	switch metric {
	case ErrorRate:
		cmp.Test = "two-proportion z"
		cmp.TooSmall = tooSmallRate(c.Errors, c.Requests) || tooSmallRate(a.Errors, a.Requests)
		if c.Requests > 0 && a.Requests > 0 {
			d, lo, hi, zs, p := TwoProportion(c.Errors, c.Requests, a.Errors, a.Requests, 1-Alpha)
			cmp.Diff, cmp.CILow, cmp.CIHigh, cmp.Stat, cmp.P = d, &lo, &hi, zs, p
			pool := float64(c.Errors+a.Errors) / float64(c.Requests+a.Requests)
			cmp.MDE = zz * math.Sqrt(pool*(1-pool)*(1/float64(c.Requests)+1/float64(a.Requests)))
		}
	case Score, Cost:
		cmp.Test = "welch t"
		var mc, ma Moments
		if metric == Score {
			mc, ma = FromSums(c.ScoreN, c.ScoreSum, c.ScoreSq), FromSums(a.ScoreN, a.ScoreSum, a.ScoreSq)
		} else {
			mc, ma = FromSums(c.Requests, c.CostSum, c.CostSq), FromSums(a.Requests, a.CostSum, a.CostSq)
		}
		cmp.TooSmall = mc.N < MinSample || ma.N < MinSample
		if mc.N >= 2 && ma.N >= 2 {
			d, lo, hi, t, df, p := Welch(mc, ma, 1-Alpha)
			cmp.Diff, cmp.CILow, cmp.CIHigh, cmp.Stat, cmp.DF, cmp.P = d, &lo, &hi, t, df, p
			cmp.MDE = zz * math.Sqrt(mc.Variance/mc.N+ma.Variance/ma.N)
		} else {
			cmp.P = 1
		}
	case Latency:
		cmp.Test = "mann-whitney u"
		cmp.TooSmall = c.Requests < MinSample || a.Requests < MinSample
		u, p := MannWhitney(c.Hist[:], a.Hist[:])
		cmp.Diff, cmp.Stat, cmp.P = a.Hist.Quantile(0.5)-c.Hist.Quantile(0.5), u, p
	}
	cmp.Diff, cmp.Stat, cmp.DF, cmp.MDE, cmp.P = round(cmp.Diff), round(cmp.Stat), round(cmp.DF), round(cmp.MDE), roundP(cmp.P)
	for _, f := range []*float64{cmp.CILow, cmp.CIHigh} {
		if f != nil {
			*f = round(*f)
		}
	}
	cmp.Significant = !cmp.TooSmall && cmp.P < Alpha
	switch {
	case cmp.TooSmall:
		cmp.Verdict = fmt.Sprintf("too small to conclude: each arm needs at least %d events (and, for a rate, 10 of each outcome)", MinSample)
	case cmp.Significant:
		cmp.Verdict = fmt.Sprintf("v%d differs from v%d (p %s)", a.Version, c.Version, PText(cmp.P))
	case cmp.MDE > 0:
		cmp.Verdict = fmt.Sprintf("no significant difference (p %.2g); this sample would detect a difference of %.3g or more", cmp.P, cmp.MDE)
	default:
		cmp.Verdict = fmt.Sprintf("no significant difference (p %.2g)", cmp.P)
	}
	return cmp
}

func tooSmallRate(k, n int64) bool {
	return n < MinSample || k < 10 || n-k < 10
}

func round(f float64) float64 {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return f
	}
	return math.Round(f*1e6) / 1e6
}

// PText prints a p-value; one below 1e-15 (beyond double precision's
// tail) as "< 1e-15".
func PText(p float64) string {
	if p < 1e-15 {
		return "< 1e-15"
	}
	return fmt.Sprintf("%.2g", p)
}

// roundP keeps 4 significant digits of a p-value (small ones stay non-zero).
func roundP(p float64) float64 {
	if p == 0 || math.IsNaN(p) {
		return p
	}
	e := math.Pow(10, 3-math.Floor(math.Log10(p)))
	return math.Round(p*e) / e
}
