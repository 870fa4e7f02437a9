package evalws

import "testing"

// An answer without usage figures has an unknown cost: never "$0".
func TestCostOfMissingUsageIsUnknown(t *testing.T) {
	for _, c := range []struct {
		cost             float64
		unknown, answers int
		want             string
	}{
		{0, 2, 2, "cost unknown"},
		{0.0123, 1, 3, "$0.01+?"},
		{0, 0, 3, "$0"},
	} {
		if got := costOf(c.cost, c.unknown, c.answers); got != c.want {
			t.Errorf("costOf(%v, %d, %d) = %q, want %q", c.cost, c.unknown, c.answers, got, c.want)
		}
	}
}
