package inlineedit

import (
	"fmt"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

// settings is the small form beside the text: the new prompt's name, the
// model and its parameters. Other config keys (stop, seed, tools, response
// format) are kept as they were: they are edited in $EDITOR.
type settings struct {
	fields []field
	cur    int
}

type field struct {
	key   string // name, model, temperature, max_tokens, top_p
	label string
	in    textinput.Model
}

func newSettings(c *common.Common, isNew bool, name string, cfg store.Config) settings {
	var s settings
	add := func(key, label, placeholder, value string) {
		in := c.NewInput("", placeholder)
		in.SetValue(value)
		in.CharLimit = 200
		s.fields = append(s.fields, field{key: key, label: label, in: in})
	}
	if isNew {
		add("name", "Name", "e.g. support/reply", name)
	}
	add("model", "Model", "e.g. gpt-4o-mini", cfg.Model)
	add("temperature", "Temperature", "0 to 2, e.g. 0.7", fmtFloat(cfg.Temperature))
	add("max_tokens", "Max tokens", "e.g. 512", fmtInt(cfg.MaxTokens))
	add("top_p", "Top p", "0 to 1", fmtFloat(cfg.TopP))
	return s
}

func fmtFloat(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

func fmtInt(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func (s *settings) value(key string) string {
	for _, f := range s.fields {
		if f.key == key {
			return strings.TrimSpace(f.in.Value())
		}
	}
	return ""
}

// problem checks one field as typed: "" when it is fine.
func problem(key, v string) string {
	if v == "" {
		if key == "name" {
			return "required: the new prompt's name, e.g. support/reply"
		}
		return ""
	}
	switch key {
	case "name":
		if err := store.ValidName(v); err != nil {
			return common.Explain(err)
		}
	case "temperature":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 2 {
			return "a number from 0 to 2"
		}
	case "top_p":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 1 {
			return "a number from 0 to 1"
		}
	case "max_tokens":
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return "a whole number above 0"
		}
	}
	return ""
}

// Problems lists the fields that do not check, as "Label: problem".
func (s *settings) Problems() []string {
	var out []string
	for _, f := range s.fields {
		if p := problem(f.key, strings.TrimSpace(f.in.Value())); p != "" {
			out = append(out, f.label+": "+p)
		}
	}
	return out
}

// apply returns cfg with the form's values (only valid fields apply).
func (s *settings) apply(cfg store.Config) store.Config {
	cfg.Model = s.value("model")
	cfg.Temperature = parseFloat(s.value("temperature"), cfg.Temperature)
	cfg.TopP = parseFloat(s.value("top_p"), cfg.TopP)
	if v := s.value("max_tokens"); v == "" {
		cfg.MaxTokens = 0
	} else if n, err := strconv.Atoi(v); err == nil {
		cfg.MaxTokens = n
	}
	return cfg
}

func parseFloat(v string, old *float64) *float64 {
	if v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return old
	}
	return &f
}

func (s *settings) focus(on bool) tea.Cmd {
	for i := range s.fields {
		s.fields[i].in.Blur()
	}
	if on {
		return s.fields[s.cur].in.Focus()
	}
	return nil
}

func (s *settings) move(d int) tea.Cmd {
	s.cur = (s.cur + d + len(s.fields)) % len(s.fields)
	return s.focus(true)
}

func (s *settings) update(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	s.fields[s.cur].in, cmd = s.fields[s.cur].in.Update(msg)
	return cmd
}

// lines draws the form at width w.
func (s *settings) lines(c *common.Common, w int, focused bool) []string {
	st := c.Styles
	lw := 0
	for _, f := range s.fields {
		lw = max(lw, len(f.label))
	}
	var out []string
	for i, f := range s.fields {
		label := fmt.Sprintf("%-*s ", lw, f.label)
		ls := st.Muted
		if focused && i == s.cur {
			ls = st.Accent
		}
		in := f.in
		in.SetWidth(max(w-lw-2, 4))
		out = append(out, common.Fit(ls.Render(label)+in.View(), w))
		if p := problem(f.key, strings.TrimSpace(f.in.Value())); p != "" && (f.in.Value() != "" || f.key == "name") {
			out = append(out, common.Fit(strings.Repeat(" ", lw+1)+st.Error.Render("✗ "+p), w))
		}
	}
	return out
}
