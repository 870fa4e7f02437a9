package client

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEShowsTheExamples keeps the README's Go examples verbatim copies
// of the code the tests run.
func TestREADMEShowsTheExamples(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, ex, _ := strings.Cut(string(src), "\nfunc Example() {")
	ex = "func Example() {" + ex
	if !strings.Contains(string(readme), "```go\n"+ex+"```") {
		t.Error("README does not show eval/client/example_test.go's Example verbatim")
	}
	otel, err := os.ReadFile("../serve/otel_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, snip, _ := strings.Cut(string(otel), "// README: OpenTelemetry\n")
	snip, _, _ = strings.Cut(snip, "\t// README: end")
	var lines []string
	for _, l := range strings.SplitAfter(snip, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	if !strings.Contains(string(readme), "```go\n"+strings.Join(lines, "")+"```") {
		t.Error("README does not show eval/serve/otel_test.go's OpenTelemetry snippet verbatim")
	}
}
