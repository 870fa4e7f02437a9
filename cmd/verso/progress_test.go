package main

import (
	"strings"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/eval/runner"
)

// The eval progress: plain lines every 10% when stderr is not a terminal,
// one bar redrawn in place when it is.
func TestProgressLinesAndBar(t *testing.T) {
	feed := func(p *progress) {
		for i := 1; i <= 100; i++ {
			kind := runner.Finished
			if i == 100 {
				kind = runner.Done
			}
			p.event(runner.Event{Kind: runner.Started, Progress: runner.Progress{Total: 100, Done: i - 1}})
			p.event(runner.Event{Kind: kind, Progress: runner.Progress{Total: 100, Done: i, Passed: i, Elapsed: time.Second}})
		}
		p.end()
	}
	var plain strings.Builder
	feed(newProgress(&plain, false))
	lines := strings.Split(strings.TrimSpace(plain.String()), "\n")
	if len(lines) != 10 || !strings.HasPrefix(lines[0], "10/100  10 passed") || !strings.HasPrefix(lines[9], "100/100  100 passed  0 failed  0 errors") || strings.Contains(plain.String(), "\r") {
		t.Fatalf("plain progress:\n%s", plain.String())
	}
	var tty strings.Builder
	feed(newProgress(&tty, true))
	if out := tty.String(); !strings.HasPrefix(out, "\r[") || !strings.Contains(out, "100/100") || !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Fatalf("bar: %q", out)
	}
}
