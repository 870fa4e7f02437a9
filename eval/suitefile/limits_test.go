package suitefile

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// endless is a suite file that never ends: one case line after another.
type endless struct {
	line string
	off  int
	head string
}

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if e.head != "" {
			c := copy(p[n:], e.head)
			e.head = e.head[c:]
			n += c
			continue
		}
		c := copy(p[n:], e.line[e.off:])
		e.off = (e.off + c) % len(e.line)
		n += c
	}
	return n, nil
}

// TestEndlessSuiteStopsAtTheCaseLimit: JSONL and CSV are read a case at a
// time, so a file of any size (here: endless) ends at the case limit with
// an error naming it, in bounded memory.
func TestEndlessSuiteStopsAtTheCaseLimit(t *testing.T) {
	for _, c := range []struct {
		f   Format
		src io.Reader
	}{
		{JSONL, &endless{line: `{"vars": {"q": "a question long enough to add up"}}` + "\n"}},
		{CSV, &endless{head: "q,__expected\n", line: "a question long enough to add up,contains:x\n"}},
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := ParseReader(c.src, c.f, Limits{MaxCases: 50_000})
		runtime.ReadMemStats(&after)
		var tm *TooManyCasesError
		if !errors.As(err, &tm) || !strings.Contains(err.Error(), "more than 50000 cases: split the suite") {
			t.Fatalf("%s: %v", c.f, err)
		}
		if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 200<<20 {
			t.Errorf("%s: heap grew %d MB", c.f, grew>>20)
		}
	}
	// The default limit applies without Limits.
	if _, err := ParseReader(&endless{line: "{\"q\": 1}\n"}, JSONL, Limits{}); !strings.Contains(fmt.Sprint(err), "more than 100000 cases") {
		t.Errorf("default limit: %v", err)
	}
	// YAML is read whole, up to its byte limit.
	_, err := ParseReader(&endless{head: "tests:\n", line: "  - vars: {q: a}\n"}, YAML, Limits{MaxYAMLBytes: 1 << 20})
	if err == nil || !strings.Contains(err.Error(), "larger than 1 MiB: write it as JSONL or CSV") {
		t.Errorf("yaml: %v", err)
	}
	// At the limit is fine.
	su, err := ParseReader(strings.NewReader("q\na\nb\n"), CSV, Limits{MaxCases: 2})
	if err != nil || len(su.Cases) != 2 {
		t.Errorf("2 cases at a limit of 2: %v", err)
	}
}
