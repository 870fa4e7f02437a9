// Package config is Verso's config file: the model providers and their
// models and prices, the default provider, the grader and embedding models,
// the TUI's theme and key overrides, and the eval gate. One loader for every
// part of Verso; it imports nothing of Verso's, so every package can use it.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Price is a model's price in dollars per million tokens.
type Price struct {
	Input  float64 `yaml:"input" json:"input"`
	Output float64 `yaml:"output" json:"output"`
}

// ProviderConfig is one named provider of the config file.
//
//	providers:
//	  openrouter:
//	    base_url: https://openrouter.ai/api/v1
//	    api_key_env: OPENROUTER_API_KEY
//	    models: [openai/gpt-4o-mini]
//	    price: {input: 0.15, output: 0.6}      # default for every model
//	    prices: {openai/gpt-4o-mini: {input: 0.15, output: 0.6}}
//	    rpm: 500
//	    tpm: 200000
//	    headers: {HTTP-Referer: https://example.com}
//	  azure:
//	    type: azure
//	    base_url: https://my.openai.azure.com
//	    api_key_env: AZURE_OPENAI_API_KEY
//	    api_version: 2024-06-01
type ProviderConfig struct {
	Type       string            `yaml:"type"` // "openai" (default) or "azure"
	BaseURL    string            `yaml:"base_url"`
	APIKeyEnv  string            `yaml:"api_key_env"`
	APIVersion string            `yaml:"api_version"` // azure
	Models     []string          `yaml:"models"`
	Price      Price             `yaml:"price"`
	Prices     map[string]Price  `yaml:"prices"`
	RPM        int               `yaml:"rpm"`
	TPM        int               `yaml:"tpm"`
	Headers    map[string]string `yaml:"headers"`
	// MaxResponseBytes caps an answer's text (default 1 MiB): Verso stops
	// reading past it and records the call as an error.
	MaxResponseBytes int64 `yaml:"max_response_bytes"`
}

// GateConfig is the eval gate section (read by the label commands).
type GateConfig struct {
	Protected   []string `yaml:"protected"`
	MinPassRate float64  `yaml:"min_pass_rate"`
	Suite       string   `yaml:"suite"`
}

// Config is the whole config file: one loader for every part of Verso.
type Config struct {
	DefaultProvider string                    `yaml:"default_provider"`
	Providers       map[string]ProviderConfig `yaml:"providers"`
	// Grader is the model llm-rubric uses when an assertion names none
	// ("provider/model"); empty = the model under test.
	Grader string `yaml:"grader"`
	// Embedding is the model `similar` uses when an assertion names none.
	Embedding string              `yaml:"embedding"`
	Theme     string              `yaml:"theme"`
	Keys      map[string][]string `yaml:"keys"`
	Gate      GateConfig          `yaml:"gate"`
}

var lineRE = regexp.MustCompile(`line (\d+): `)

// LoadConfig reads the config file. A missing file gives the defaults; a bad
// file gives a one-line error naming the file, the line and the problem.
func LoadConfig(path string) (Config, error) {
	var c Config
	if path == "" {
		return c, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		msg := err.Error()
		msg = strings.TrimPrefix(msg, "yaml: ")
		msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
		msg = strings.TrimSpace(strings.SplitN(msg, "\n", 2)[0])
		msg = strings.ReplaceAll(msg, "in type config.", "in ")
		if !lineRE.MatchString(msg) {
			msg = "line ?: " + msg
		}
		return Config{}, fmt.Errorf("config %s: %s", path, msg)
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Validate checks what YAML types cannot: URLs, names, prices.
func (c Config) Validate() error {
	for name, p := range c.Providers {
		if name == "" || strings.Contains(name, "/") {
			return fmt.Errorf("provider name %q: must be non-empty and without '/'", name)
		}
		if p.BaseURL != "" {
			u, err := url.Parse(p.BaseURL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("provider %s: base_url %q is not an http(s) URL", name, p.BaseURL)
			}
		} else if _, builtin := builtins[name]; !builtin {
			return fmt.Errorf("provider %s: base_url is required", name)
		}
		switch p.Type {
		case "", "openai", "azure":
		default:
			return fmt.Errorf("provider %s: unknown type %q (use openai or azure)", name, p.Type)
		}
		if p.RPM < 0 || p.TPM < 0 || p.Price.Input < 0 || p.Price.Output < 0 || p.MaxResponseBytes < 0 {
			return fmt.Errorf("provider %s: rpm, tpm, prices and max_response_bytes cannot be negative", name)
		}
	}
	if c.DefaultProvider != "" {
		if _, ok := c.Providers[c.DefaultProvider]; !ok {
			if _, ok := builtins[c.DefaultProvider]; !ok {
				return fmt.Errorf("default_provider %q is not a provider (have: %s)", c.DefaultProvider, strings.Join(c.ProviderNames(), ", "))
			}
		}
	}
	if c.Gate.MinPassRate < 0 || c.Gate.MinPassRate > 1 {
		return fmt.Errorf("gate.min_pass_rate %v must be between 0 and 1", c.Gate.MinPassRate)
	}
	return nil
}

// ProviderNames lists every provider, built-in and configured, sorted.
func (c Config) ProviderNames() []string {
	var out []string
	for n := range builtins {
		out = append(out, n)
	}
	for n := range c.Providers {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// builtins are the providers that exist with no config. A config entry of the
// same name overrides the fields it sets.
var builtins = map[string]ProviderConfig{
	"openai": {BaseURL: "https://api.openai.com/v1", APIKeyEnv: "OPENAI_API_KEY",
		Models: []string{"gpt-4o-mini", "gpt-4o", "gpt-4.1-mini", "gpt-4.1"},
		Prices: map[string]Price{
			"gpt-4o-mini":  {0.15, 0.6},
			"gpt-4o":       {2.5, 10},
			"gpt-4.1-mini": {0.4, 1.6},
			"gpt-4.1":      {2, 8},
		}},
	"ollama": {BaseURL: "http://localhost:11434/v1"},
	// The demo model server's URL is set by whoever starts it
	// (provider.Registry.SetBaseURL).
	"demo": {Models: []string{"demo-small", "demo-large"},
		Prices: map[string]Price{"demo-small": {0.1, 0.4}, "demo-large": {1, 4}}},
}

// Provider is the effective config of a provider: the built-in defaults
// overlaid with the config file's fields; false when no provider has that
// name.
func (c Config) Provider(name string) (ProviderConfig, bool) {
	b, isBuiltin := builtins[name]
	p, inConfig := c.Providers[name]
	if !isBuiltin && !inConfig {
		return ProviderConfig{}, false
	}
	if !inConfig {
		if name == "openai" {
			if u := os.Getenv("OPENAI_BASE_URL"); u != "" {
				b.BaseURL = u
			}
		}
		return b, true
	}
	if p.BaseURL == "" {
		p.BaseURL = b.BaseURL
		if name == "openai" {
			if u := os.Getenv("OPENAI_BASE_URL"); u != "" {
				p.BaseURL = u
			}
		}
	}
	if p.APIKeyEnv == "" {
		p.APIKeyEnv = b.APIKeyEnv
	}
	if len(p.Models) == 0 {
		p.Models = b.Models
	}
	if p.Prices == nil {
		p.Prices = b.Prices
	}
	return p, true
}
