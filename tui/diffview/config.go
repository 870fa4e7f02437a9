package diffview

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/store/sanitize"
	"github.com/seed94f0f622/verso/themes"
)

// Unset is how a config value that is not set shows.
const Unset = "(unset)"

// ConfigChange is one model-config key whose value differs between two
// versions. Old and New are display strings (Unset when absent).
type ConfigChange struct {
	Key string `json:"key"`
	Old string `json:"old"`
	New string `json:"new"`
}

// DialectDiff is the change of template dialect between two versions as a
// config row ("" counts as mustache), or nothing.
func DialectDiff(a, b store.Dialect) []ConfigChange {
	if a == "" {
		a = store.DialectMustache
	}
	if b == "" {
		b = store.DialectMustache
	}
	if a == b {
		return nil
	}
	return []ConfigChange{{Key: "dialect", Old: string(a), New: string(b)}}
}

// ConfigDiff lists the keys whose values differ, in a fixed order: model,
// temperature, max_tokens, top_p, stop, seed, response_format, tools.
func ConfigDiff(a, b store.Config) []ConfigChange {
	pairs := []struct {
		key      string
		old, new string
	}{
		{"model", str(a.Model), str(b.Model)},
		{"temperature", float(a.Temperature), float(b.Temperature)},
		{"max_tokens", integer(a.MaxTokens), integer(b.MaxTokens)},
		{"top_p", float(a.TopP), float(b.TopP)},
		{"stop", jsonValue(a.Stop), jsonValue(b.Stop)},
		{"seed", intPtr(a.Seed), intPtr(b.Seed)},
		{"response_format", jsonValue(a.ResponseFormat), jsonValue(b.ResponseFormat)},
		{"tools", jsonValue(a.Tools), jsonValue(b.Tools)},
	}
	var out []ConfigChange
	for _, p := range pairs {
		if p.old != p.new {
			out = append(out, ConfigChange{Key: p.key, Old: p.old, New: p.new})
		}
	}
	return out
}

func str(s string) string {
	if s == "" {
		return Unset
	}
	return sanitize.Line(s)
}

func float(f *float64) string {
	if f == nil {
		return Unset
	}
	return strconv.FormatFloat(*f, 'g', -1, 64)
}

func integer(n int) string {
	if n == 0 {
		return Unset
	}
	return strconv.Itoa(n)
}

func intPtr(n *int) string {
	if n == nil {
		return Unset
	}
	return strconv.Itoa(*n)
}

// jsonValue renders free-form values as compact JSON; encoding/json sorts
// map keys, so equal values always give equal strings.
func jsonValue(v any) string {
	switch x := v.(type) {
	case nil:
		return Unset
	case []string:
		if len(x) == 0 {
			return Unset
		}
	case []any:
		if len(x) == 0 {
			return Unset
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "(invalid: " + err.Error() + ")"
	}
	return sanitize.Line(string(b))
}

// RenderConfigDiff renders changes as lines of at most width columns:
// "key  old → new", the old value in the deletion colour and the new one
// in the addition colour. Values too long for the line are truncated.
// It returns nil when there are no changes.
func RenderConfigDiff(changes []ConfigChange, st themes.Styles, width int) []string {
	if len(changes) == 0 {
		return nil
	}
	keyW := 0
	for _, c := range changes {
		keyW = max(keyW, len(c.Key))
	}
	d := &st.Diff
	out := make([]string, 0, len(changes)+1)
	out = append(out, d.Title.Render(fit("Config changes", max(width, 1))))
	for _, c := range changes {
		key := c.Key + strings.Repeat(" ", keyW-len(c.Key))
		room := max(width-keyW-6, 2) // indent 2, gap 1, " → " 3
		ow := max(room/2, 1)
		if w := ansi.StringWidth(c.Old); w < ow {
			ow = w // give the new value what the old one does not use
		}
		nw := max(room-ow, 1)
		old := ansi.Truncate(c.Old, ow, "…")
		nv := ansi.Truncate(c.New, nw, "…")
		line := "  " + d.Key.Render(key) + " " + d.OldValue.Render(old) + d.Separator.Render(" → ") + d.NewValue.Render(nv)
		out = append(out, line)
	}
	return out
}
