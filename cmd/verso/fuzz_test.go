package main

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzChatFile: a --chat file (YAML or JSON messages) of any content is
// read or refused with an error, never a panic.
func FuzzChatFile(f *testing.F) {
	for _, s := range []string{
		"- role: system\n  content: Be brief.\n- role: user\n  content: '{{q}}'\n",
		`[{"role": "user", "content": "\ud83d\ude00 hi"}]`,
		`{"messages": [{"role": "assistant", "content": "x"}]}`,
		"messages:\n  - {role: robot, content: x}\n", "[", `[{"role": "user", "content": 3}]`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, isJSON bool) {
		name := "messages.yaml"
		if isJSON {
			name = "messages.json"
		}
		parseMessages(name, b)
	})
}

// FuzzModelConfigFile: a --config file (YAML or JSON model config) of any
// content is read or refused with an error, never a panic.
func FuzzModelConfigFile(f *testing.F) {
	for _, s := range []string{
		"model: gpt-4o-mini\ntemperature: 0.2\nmax_tokens: 300\nstop: [\"\\n\\n\"]\n",
		`{"model": "m", "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}}`,
		`{"tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}], "seed": 1}`,
		"temperature: hot\n", `{"unknown": 1}`, "top_p: [1]",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte, isJSON bool) {
		p := filepath.Join(dir, "model.yaml")
		if isJSON {
			p = filepath.Join(dir, "model.json")
		}
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		readConfigFile(p)
	})
}
