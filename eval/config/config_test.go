package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/eval/config"
)

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	c, err := config.LoadConfig(filepath.Join(dir, "missing.yaml"))
	if err != nil || c.DefaultProvider != "" {
		t.Fatalf("missing file: %v", err)
	}
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte(`default_provider: local
theme: nord
keys:
  quit: [q, ctrl+c]
gate:
  protected: [production, eu]
  min_pass_rate: 0.9
  suite: smoke
providers:
  local:
    base_url: http://localhost:8080/v1
    models: [a, b]
    price: {input: 1, output: 2}
    rpm: 60
    headers: {X-Team: eval}
  azure:
    type: azure
    base_url: https://x.openai.azure.com
    api_key_env: AZ_KEY
`), 0o600)
	c, err = config.LoadConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	if c.DefaultProvider != "local" || c.Theme != "nord" || c.Keys["quit"][1] != "ctrl+c" || c.Gate.MinPassRate != 0.9 ||
		c.Gate.Protected[1] != "eu" || c.Providers["local"].RPM != 60 || c.Providers["azure"].Type != "azure" {
		t.Fatalf("config = %+v", c)
	}
	if pc, ok := c.Provider("local"); !ok || strings.Join(pc.Models, ",") != "a,b" {
		t.Fatalf("provider local = %+v, %v", pc, ok)
	}
	if pc, ok := c.Provider("openai"); !ok || pc.APIKeyEnv != "OPENAI_API_KEY" || pc.Prices["gpt-4o"].Output != 10 {
		t.Fatalf("built-in openai = %+v, %v", pc, ok)
	}
	if names := strings.Join(c.ProviderNames(), ","); names != "azure,demo,local,ollama,openai" {
		t.Fatalf("names = %s", names)
	}
	for name, body := range map[string]string{
		"typo.yaml":   "theme: nord\nprovidrs: {}\n",
		"syntax.yaml": "theme: nord\n  bad: [\n",
		"url.yaml":    "providers:\n  x:\n    base_url: ftp://x\n",
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o600)
		_, err := config.LoadConfig(p)
		if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: err = %v", name, err)
		}
		if name != "url.yaml" && !strings.Contains(err.Error(), "line ") {
			t.Errorf("%s: no line in %v", name, err)
		}
	}
}
