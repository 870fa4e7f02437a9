package main

import (
	"os"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/eval/assert"
)

// TestReadmeListsEveryAssertionType: the README's table under `verso
// assertions` has one row per type, with the model column and the same
// line `verso assertions` prints.
func TestReadmeListsEveryAssertionType(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start := strings.Index(readme, "### `verso assertions")
	if start < 0 {
		t.Fatal("README has no `verso assertions` section")
	}
	sec := readme[start:]
	sec = sec[:strings.Index(sec[4:], "\n### ")+4]
	rows := 0
	for _, line := range strings.Split(sec, "\n") {
		if strings.HasPrefix(line, "| `") {
			rows++
		}
	}
	kinds := assert.Kinds()
	if rows != len(kinds) {
		t.Errorf("README lists %d types, verso has %d", rows, len(kinds))
	}
	for _, k := range kinds {
		model := ""
		if k.NeedsModel {
			model = "yes"
		}
		row := "| `" + k.Name + "` | " + model + " | " + strings.ReplaceAll(k.Doc, "|", `\|`) + " |"
		if !strings.Contains(sec, row) {
			t.Errorf("README lacks the row %s", row)
		}
	}
}
