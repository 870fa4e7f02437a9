package chart

import (
	"math"
	"slices"
	"strings"
)

// Sparklines: pass rates over runs and latency spreads as a row of block
// characters (asciigraph draws line charts with axes, not one-row
// sparklines).

// blocks are the eight heights of a sparkline cell.
var blocks = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws values between 0 and 1 (pass rates), oldest first, one
// cell each, keeping the newest width of them. A value below 0 (no data)
// is a space.
func Sparkline(vals []float64, width int) string {
	if width <= 0 {
		return ""
	}
	if len(vals) > width {
		vals = vals[len(vals)-width:]
	}
	var b strings.Builder
	for _, v := range vals {
		if v < 0 || math.IsNaN(v) {
			b.WriteByte(' ')
			continue
		}
		i := int(math.Round(min(v, 1) * float64(len(blocks)-1)))
		b.WriteRune(blocks[i])
	}
	return b.String()
}

// Spread is a distribution as a sparkline: vals counted into n buckets
// between lo and hi, each bucket's height its share of the tallest. Empty
// buckets are blank.
func Spread(vals []float64, lo, hi float64, n int) string {
	if n <= 0 || len(vals) == 0 {
		return ""
	}
	counts := make([]int, n)
	for _, v := range vals {
		i := 0
		if hi > lo {
			i = int((v - lo) / (hi - lo) * float64(n))
		}
		counts[max(0, min(i, n-1))]++
	}
	top := slices.Max(counts)
	out := make([]float64, n)
	for i, c := range counts {
		out[i] = -1
		if c > 0 {
			// The smallest non-empty bucket still shows (▁).
			out[i] = max(float64(c)/float64(top), 0.01)
		}
	}
	return Sparkline(out, n)
}
