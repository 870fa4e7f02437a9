package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzImport: an export file (JSON or YAML) of any content is imported or
// refused with an error, never a panic, and a refused import changes
// nothing.
func FuzzImport(f *testing.F) {
	for _, s := range []string{
		`{"format":"verso-export","version":1,"prompts":[{"name":"a","versions":[{"kind":"text","template":"hi {{x}}"}],"labels":{"production":1}}]}`,
		"format: verso-export\nversion: 1\nprompts:\n  - name: b/c\n    versions:\n      - kind: chat\n        messages: [{role: user, content: hi}]\n",
		`{"prompts":[{"name":"a/../x","versions":[]}]}`,
		`{"prompts":[{"name":"a","versions":[{"kind":"text","template":"x","created_at":"bad"}]}],"prompts":[]}`,
		"prompts: [{name: d, labels: {Production: 3}}]",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	dir := f.TempDir()
	st, err := Open(filepath.Join(dir, "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	f.Fuzz(func(t *testing.T, data []byte, yaml bool) {
		name := filepath.Join(dir, "in.json")
		if yaml {
			name = filepath.Join(dir, "in.yaml")
		}
		if err := os.WriteFile(name, data, 0o600); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		before, _ := st.ListPrompts(ctx, ListOptions{})
		if _, err := st.Import(ctx, name, "fuzz"); err != nil {
			after, _ := st.ListPrompts(ctx, ListOptions{})
			if len(after) != len(before) {
				t.Fatalf("a refused import (%v) changed the registry: %d -> %d prompts", err, len(before), len(after))
			}
		}
	})
}
