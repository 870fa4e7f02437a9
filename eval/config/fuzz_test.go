package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/seed94f0f622/verso/eval/config"
)

// FuzzConfigFile: a config file of any content loads or is refused with
// an error naming the file, never a panic.
func FuzzConfigFile(f *testing.F) {
	for _, s := range []string{
		"default_provider: openrouter\nproviders:\n  openrouter:\n    base_url: https://openrouter.ai/api/v1\n    api_key_env: K\n    price: {input: 0.15, output: 0.6}\n    max_response_bytes: 1024\n",
		"theme: nord\nkeys:\n  quit: [ctrl+q]\ngate:\n  protected: [staging]\n  min_pass_rate: 1\n",
		"providers: {x: {type: azure}}", "providers:\n  a/b: {base_url: 'http://x'}\n", "[1, 2", "grader: demo/demo-large\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "config.yaml")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		config.LoadConfig(p)
	})
}
