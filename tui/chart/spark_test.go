package chart

import "testing"

func TestSparklineAndSpread(t *testing.T) {
	if got := Sparkline([]float64{0, 0.5, 1, -1}, 10); got != "▁▅█ " {
		t.Errorf("Sparkline = %q", got)
	}
	if got := Sparkline([]float64{0, 0, 1, 1}, 2); got != "██" {
		t.Errorf("Sparkline keeps the newest: %q", got)
	}
	// Latencies: most are fast, one is slow, nothing in between.
	got := Spread([]float64{100, 110, 120, 105, 900}, 100, 900, 8)
	if got != "█      ▃" {
		t.Errorf("Spread = %q", got)
	}
}
