package common

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestCompletePaths(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"cases.yaml", "cases.csv", "notes.txt", ".hidden.yaml", "sub/more.jsonl"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	suites := func(name string) bool { return !strings.HasSuffix(name, ".txt") }
	d := dir + "/"
	for _, c := range []struct {
		typed string
		want  []string
	}{
		{d, []string{d + "cases.csv", d + "cases.yaml", d + "sub/"}},
		{d + "ca", []string{d + "cases.csv", d + "cases.yaml"}},
		{d + "s", []string{d + "sub/"}},
		{d + "sub/", []string{d + "sub/more.jsonl"}},
		{d + ".", []string{d + ".hidden.yaml"}},
		{d + "zz", nil},
		{d + "missing/x", nil},
	} {
		if got := CompletePaths(c.typed, suites); !reflect.DeepEqual(got, c.want) {
			t.Errorf("CompletePaths(%q) = %q, want %q", c.typed, got, c.want)
		}
	}
}
