package prompt

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// specDifferences are the Mustache spec cases where Verso deliberately
// differs, with the reason (the README's "Template dialects" section
// documents them). Every other case of the core modules must pass exactly.
var specDifferences = map[string]string{
	"delimiters/Partial Inheritence":   "partials are refused",
	"delimiters/Post-Partial Behavior": "partials are refused",

	"interpolation/HTML Escaping":                "no HTML escaping",
	"sections/Implicit Iterator - HTML Escaping": "no HTML escaping",

	"interpolation/Basic Context Miss Interpolation":           "missing variables are errors",
	"interpolation/Triple Mustache Context Miss Interpolation": "missing variables are errors",
	"interpolation/Ampersand Context Miss Interpolation":       "missing variables are errors",
	"interpolation/Dotted Names - Broken Chains":               "missing variables are errors",
	"interpolation/Dotted Names - Broken Chain Resolution":     "missing variables are errors",
	"interpolation/Dotted Names - Context Precedence":          "missing variables are errors",

	"interpolation/Dotted Names are never single keys": "a key with a dot (--var user.name=Ann) fills {{user.name}}",
}

// TestMustacheSpec is a measurement on the official Mustache spec, which is
// not part of this repository: it runs the core modules (interpolation,
// sections, inverted, comments, delimiters) from the folder named by
// $VERSO_MUSTACHE_SPEC (the spec's specs/ folder) and skips without it.
// The behaviours it checks are covered by TestMustacheModules in this
// package's own words. Cases whose data is not an object are left out: a
// prompt's variables are always named.
func TestMustacheSpec(t *testing.T) {
	dir := os.Getenv("VERSO_MUSTACHE_SPEC")
	if dir == "" {
		t.Skip("set VERSO_MUSTACHE_SPEC to the Mustache spec's specs/ folder to run it")
	}
	var files []string
	for _, m := range []string{"comments", "delimiters", "interpolation", "inverted", "sections"} {
		files = append(files, filepath.Join(dir, m+".json"))
	}
	ran, differ := 0, 0
	seen := map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Tests []struct {
				Name, Template, Expected string
				Data                     any
			}
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		module := filepath.Base(f[:len(f)-len(".json")])
		for _, tc := range doc.Tests {
			data, ok := tc.Data.(map[string]any)
			if !ok {
				continue
			}
			key := module + "/" + tc.Name
			ran++
			got, err := RenderText(tc.Template, data)
			if why, ok := specDifferences[key]; ok {
				seen[key] = true
				differ++
				if err == nil && got == tc.Expected {
					t.Errorf("%s: listed as a difference (%s) but passes: remove it from the list", key, why)
				}
				var me *MissingError
				if why == "missing variables are errors" && !errors.As(err, &me) {
					t.Errorf("%s: want a missing-variable error, got %q, %v", key, got, err)
				}
				continue
			}
			if err != nil || got != tc.Expected {
				t.Errorf("%s:\ntemplate %q\ndata     %v\ngot      %q (%v)\nwant     %q", key, tc.Template, tc.Data, got, err, tc.Expected)
			}
		}
	}
	for k := range specDifferences {
		if !seen[k] {
			t.Errorf("difference %q matches no spec case", k)
		}
	}
	t.Logf("%d spec cases, %d pass as written, %d deliberate differences", ran, ran-differ, differ)
}
