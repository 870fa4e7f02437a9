package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/store/sanitize"
)

// printJSON writes v as indented JSON (the documented --json shapes).
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table starts an aligned plain-text table.
func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// cell makes untrusted text safe for one table cell.
func cell(s string) string {
	s = sanitize.Line(s)
	if s == "" {
		return "-"
	}
	return s
}

func ago(t time.Time) string {
	if t.IsZero() || t.Unix() == 0 {
		return "-"
	}
	return humanize.Time(t)
}

func labelList(m map[string]int) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s@%d", n, m[n])
	}
	return strings.Join(parts, " ")
}

// versionJSON is the stable --json shape of one version.
type versionJSON struct {
	Name      string          `json:"name"`
	Version   int             `json:"version"`
	Kind      store.Kind      `json:"kind"`
	Dialect   store.Dialect   `json:"dialect"`
	Template  string          `json:"template,omitempty"`
	Messages  []store.Message `json:"messages,omitempty"`
	Config    store.Config    `json:"config"`
	Message   string          `json:"message"`
	Author    string          `json:"author"`
	CreatedAt time.Time       `json:"created_at"`
	Parent    int             `json:"parent,omitempty"`
	Hash      string          `json:"hash"`
	Labels    []string        `json:"labels"`
	Variables []string        `json:"variables"`
	Arm       string          `json:"arm,omitempty"` // the split arm a label resolved to (show --unit)
}

func toVersionJSON(v store.Version, vars []string) versionJSON {
	labels := v.Labels
	if labels == nil {
		labels = []string{}
	}
	if vars == nil {
		vars = []string{}
	}
	return versionJSON{Name: v.Prompt, Version: v.Number, Kind: v.Kind, Dialect: v.Dialect, Template: v.Template, Messages: v.Messages,
		Config: v.Config, Message: v.Message, Author: v.Author, CreatedAt: v.CreatedAt, Parent: v.Parent,
		Hash: v.Hash, Labels: labels, Variables: vars, Arm: v.Arm}
}

// configLine summarises a model config on one line ("" when empty).
func configLine(c store.Config) string {
	var parts []string
	if c.Model != "" {
		parts = append(parts, "model "+c.Model)
	}
	if c.Temperature != nil {
		parts = append(parts, fmt.Sprintf("temperature %g", *c.Temperature))
	}
	if c.MaxTokens != 0 {
		parts = append(parts, fmt.Sprintf("max_tokens %d", c.MaxTokens))
	}
	if c.TopP != nil {
		parts = append(parts, fmt.Sprintf("top_p %g", *c.TopP))
	}
	if len(c.Stop) > 0 {
		parts = append(parts, fmt.Sprintf("stop %q", c.Stop))
	}
	if c.Seed != nil {
		parts = append(parts, fmt.Sprintf("seed %d", *c.Seed))
	}
	if c.ResponseFormat != nil {
		b, _ := json.Marshal(c.ResponseFormat)
		parts = append(parts, "response_format "+string(b))
	}
	if len(c.Tools) > 0 {
		parts = append(parts, fmt.Sprintf("%d tools", len(c.Tools)))
	}
	return strings.Join(parts, ", ")
}
