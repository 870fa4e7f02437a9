package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeNamesTestsThatExist: every test the README cites as its
// evidence (`TestName`, `TestScripts/name`) exists, so a claim such as
// "checked offline by TestMaxScore" cannot outlive its test.
func TestReadmeNamesTestsThatExist(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	funcRE := regexp.MustCompile(`(?m)^func (Test[A-Za-z0-9_]*)\(`)
	err = filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		switch {
		case strings.HasSuffix(p, "_test.go"):
			src, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			for _, m := range funcRE.FindAllStringSubmatch(string(src), -1) {
				have[m[1]] = true
			}
		case strings.Contains(filepath.ToSlash(p), "cmd/verso/testdata/script/") && strings.HasSuffix(p, ".txtar"):
			have["TestScripts/"+strings.TrimSuffix(d.Name(), ".txtar")] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cited := regexp.MustCompile("`(Test[A-Za-z0-9_]+(?:/[a-z0-9_]+)?)`").FindAllStringSubmatch(string(b), -1)
	if len(cited) < 10 {
		t.Fatalf("only %d tests cited: the pattern no longer matches the README", len(cited))
	}
	for _, m := range cited {
		if !have[m[1]] {
			t.Errorf("the README cites %s, which does not exist", m[1])
		}
	}
}
