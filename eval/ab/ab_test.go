package ab

import (
	"math"
	"slices"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.7g, want %.7g (±%g)", what, got, want, tol)
	}
}

// R's sleep data (Student 1908), the classic example of R's t.test and
// wilcox.test documentation.
var sleep1 = []float64{0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0}
var sleep2 = []float64{1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4}

func moments(xs []float64) Moments {
	var s, sq float64
	for _, x := range xs {
		s += x
		sq += x * x
	}
	return FromSums(int64(len(xs)), s, sq)
}

// t.test(extra ~ group, data = sleep): t = -1.8608, df = 17.776,
// p-value = 0.07939, 95 percent confidence interval -3.3654832 0.2054832
// (group 1 minus group 2; here group 2 minus group 1).
func TestWelchMatchesR(t *testing.T) {
	d, lo, hi, tt, df, p := Welch(moments(sleep1), moments(sleep2), 0.95)
	near(t, "diff", d, 1.58, 1e-9)
	near(t, "t", tt, 1.8608, 1e-4)
	near(t, "df", df, 17.776, 1e-3)
	near(t, "p", p, 0.07939, 1e-5)
	near(t, "ci low", lo, -0.2054832, 1e-6)
	near(t, "ci high", hi, 3.3654832, 1e-6)
}

// wilcox.test(extra ~ group, data = sleep): W = 25.5, p-value = 0.06933
// (normal approximation with tie and continuity corrections).
func TestMannWhitneyMatchesR(t *testing.T) {
	vals := slices.Sorted(slices.Values(append(slices.Clone(sleep1), sleep2...)))
	vals = slices.Compact(vals)
	a, b := make([]int64, len(vals)), make([]int64, len(vals))
	for _, x := range sleep1 {
		a[slices.Index(vals, x)]++
	}
	for _, x := range sleep2 {
		b[slices.Index(vals, x)]++
	}
	u, p := MannWhitney(a, b)
	near(t, "U of group 1", 100-u, 25.5, 1e-9)
	near(t, "p", p, 0.06933, 1e-5)
}

// prop.test(c(15, 25), c(50, 50), correct = FALSE): X-squared = 4.1667,
// p-value = 0.04123. The intervals are checked against the textbook
// formulas evaluated apart (Python, z = 1.959963984540054): Wald
// 0.2 ± z·√(0.3·0.7/50 + 0.5·0.5/50) = (0.0120069, 0.3879931); Wilson for
// 15/50 = (0.1910355, 0.4375035).
func TestProportionsMatchR(t *testing.T) {
	d, lo, hi, z, p := TwoProportion(15, 50, 25, 50, 0.95)
	near(t, "diff", d, 0.2, 1e-12)
	near(t, "z²", z*z, 4.1667, 1e-4)
	near(t, "p", p, 0.04123, 1e-5)
	near(t, "ci low", lo, 0.0120069, 1e-6)
	near(t, "ci high", hi, 0.3879931, 1e-6)
	wl, wh := Wilson(15, 50, 0.95)
	near(t, "wilson low", wl, 0.1910355, 1e-6)
	near(t, "wilson high", wh, 0.4375035, 1e-6)
}

// 5050/4950 against an even split is χ² = 1 on 1 degree of freedom, whose
// upper tail is 0.3173105 (the chi-square table; = 2·(1 - Φ(1))).
func TestChiSquareMatchesTables(t *testing.T) {
	chi, df, p := ChiSquareGOF([]int64{5050, 4950}, []float64{5000, 5000})
	near(t, "chi", chi, 1, 1e-12)
	if df != 1 {
		t.Errorf("df %d", df)
	}
	near(t, "p", p, 0.3173105, 1e-7)
	_, _, p = ChiSquareGOF([]int64{0, 10}, []float64{5, 5})
	if p > 0.01 {
		t.Errorf("p %v", p)
	}
	_, _, p = ChiSquareGOF([]int64{10, 3}, []float64{13, 0})
	if p != 0 {
		t.Errorf("an arm with no weight got traffic: p %v, want 0", p)
	}
}

func TestMeanCIMatchesR(t *testing.T) {
	// t.test(sleep$extra[1:10]): mean 0.75, 95% CI -0.5297804 2.0297804
	lo, hi := MeanCI(moments(sleep1), 0.95)
	near(t, "low", lo, -0.5297804, 1e-6)
	near(t, "high", hi, 2.0297804, 1e-6)
}
