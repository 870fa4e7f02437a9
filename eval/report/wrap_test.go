package report

import (
	"bytes"
	"strings"
	"testing"
)

// A connection error's useful part is at its end (the address, the cause):
// the table wraps it at the width instead of cutting it.
func TestLongErrorsAreWrappedNotClipped(t *testing.T) {
	run, rs, s := sample()
	addr := "dial tcp 127.0.0.1:59999: connect: connection refused"
	rs[2].Error = `Post "http://127.0.0.1:59999/v1/chat/completions": ` + addr + " (after 5 attempts)"
	var b bytes.Buffer
	if err := Table(&b, run, rs, s, TableOptions{Width: 60}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	joined := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{"connection refused", "127.0.0.1:59999", "(after 5 attempts)"} {
		if !strings.Contains(joined, want) {
			t.Fatalf("the error lost %q:\n%s", want, out)
		}
	}
}
