// Package importer reads prompts and tests written for other tools
// (promptfoo configs, Prompty files, Dotprompt files, Langfuse prompt
// exports) into a Plan: the prompts, versions, labels and suites Verso
// would create, what each source field maps to, and what could not be
// mapped. Nothing changes meaning silently: a field Verso cannot honour is
// an error naming it, or, with Options.SkipUnsupported, a skipped item
// listed in the plan. Apply writes a plan in one transaction.
package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/seed94f0f622/verso/eval/assert"
	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/store"
)

// Format of an import source.
type Format string

const (
	Auto      Format = "auto"
	Verso     Format = "verso"
	Promptfoo Format = "promptfoo"
	Prompty   Format = "prompty"
	Dotprompt Format = "dotprompt"
	Langfuse  Format = "langfuse"
)

// Formats lists every format --format accepts.
var Formats = []Format{Auto, Verso, Promptfoo, Prompty, Dotprompt, Langfuse}

// SamplesSuite holds the sample inputs of Prompty and Dotprompt files (one
// case each); it is apart from the default suite so that importing a file
// never replaces a prompt's real tests.
const SamplesSuite = "samples"

// ErrUnknownFormat is a file in no format Verso reads.
var ErrUnknownFormat = errors.New("not a format verso imports")

// Options choose how to read.
type Options struct {
	Format          Format
	SkipUnsupported bool   // keep what cannot be mapped as skipped items instead of refusing
	AllowOutside    bool   // follow file:// references outside the imported file's folder
	Name            string // the prompt a promptfoo config becomes (default: its folder's name)
}

// Version is one version to create, with its labels.
type Version struct {
	store.CommitInput
	Labels []string
}

// Plan is what an import would do.
type Plan struct {
	Format   Format
	Source   string
	Versions []Version
	Suites   []store.Suite // Prompt names the prompt
	Maps     []string      // how source fields map to Verso, one line each
	Skipped  []string      // what could not be mapped (only with SkipUnsupported)

	opts Options
}

// Read reads path (a file, or a folder of .prompty / .prompt files) in
// o.Format, detecting it when Auto.
func Read(path string, o Options) (*Plan, error) {
	if o.Format == "" {
		o.Format = Auto
	}
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file or directory", path)
		}
		return nil, err
	}
	f := o.Format
	if f == Auto {
		if f, err = Detect(path, fi.IsDir()); err != nil {
			return nil, err
		}
	}
	p := &Plan{Format: f, Source: path, opts: o}
	switch f {
	case Verso:
		p.note("%s: a Verso export: every version, label and suite as exported", filepath.Base(path))
		return p, nil
	case Promptfoo:
		err = p.readPromptfoo(path)
	case Prompty, Dotprompt:
		err = p.readPromptFiles(path, fi.IsDir(), f)
	case Langfuse:
		err = p.readLangfuse(path)
	default:
		return nil, fmt.Errorf("unknown format %q: use %s", f, formatList())
	}
	if err != nil {
		return nil, err
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	p.keepSkipped()
	return p, nil
}

// keepSkipped stores what was left out where it is seen later: each suite
// holds the skipped items of its source (eval reports print them), and a
// version's commit message names what its file lost.
func (p *Plan) keepSkipped() {
	if len(p.Skipped) == 0 {
		return
	}
	if p.Format == Promptfoo {
		// One config: every item concerns the suite it became.
		for i := range p.Suites {
			p.Suites[i].Skipped = append([]string(nil), p.Skipped...)
		}
		return
	}
	byPrompt := map[string][]string{}
	for i, v := range p.Versions {
		base, ok := strings.CutPrefix(v.Message, "import ")
		if !ok {
			continue
		}
		base, _, _ = strings.Cut(base, " (")
		var mine, fields []string
		for _, s := range p.Skipped {
			if rest, ok := strings.CutPrefix(s, base+": "); ok {
				mine = append(mine, s)
				field, _, _ := strings.Cut(rest, ": ")
				fields = append(fields, field)
			}
		}
		if len(mine) > 0 {
			p.Versions[i].Message += " (skipped: " + strings.Join(fields, "; ") + ")"
			byPrompt[v.Name] = mine
		}
	}
	for i := range p.Suites {
		p.Suites[i].Skipped = byPrompt[p.Suites[i].Prompt]
	}
}

func formatList() string {
	var s []string
	for _, f := range Formats {
		s = append(s, string(f))
	}
	return strings.Join(s, ", ")
}

// Detect names the format of path from its name and its first bytes.
func Detect(path string, dir bool) (Format, error) {
	if dir {
		var prompty, dotprompt, yamls int
		_ = filepath.WalkDir(path, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			switch strings.ToLower(filepath.Ext(p)) {
			case ".prompty":
				prompty++
			case ".prompt":
				dotprompt++
			case ".yaml", ".yml", ".json":
				yamls++
			}
			return nil
		})
		switch {
		case prompty > 0 && dotprompt == 0:
			return Prompty, nil
		case dotprompt > 0 && prompty == 0:
			return Dotprompt, nil
		case prompty > 0:
			return "", &AmbiguousError{Path: path, Formats: []Format{Prompty, Dotprompt}}
		case yamls > 0:
			return Verso, nil
		}
		return "", fmt.Errorf("%s: no .prompty, .prompt or export files in the folder: %w", path, ErrUnknownFormat)
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".prompty":
		return Prompty, nil
	case ".prompt":
		return Dotprompt, nil
	}
	b, err := readLimited(path, 64<<20)
	if err != nil {
		return "", err
	}
	doc, err := decodeAny(path, b)
	if err != nil {
		return "", err
	}
	switch d := doc.(type) {
	case map[string]any:
		if _, ok := d["verso_export"]; ok {
			return Verso, nil
		}
		if _, ok := d["versions"]; ok {
			if _, ok := d["name"]; ok {
				return Verso, nil // one prompt of a directory export
			}
		}
		if isLangfuse(d) {
			return Langfuse, nil
		}
		if data, ok := d["data"].([]any); ok && len(data) > 0 {
			if m, ok := data[0].(map[string]any); ok && isLangfuse(m) {
				return Langfuse, nil // the API's list shape
			}
		}
		for _, k := range []string{"prompts", "providers", "tests", "defaultTest", "scenarios", "redteam"} {
			if _, ok := d[k]; ok {
				return Promptfoo, nil
			}
		}
	case []any:
		if len(d) > 0 {
			if m, ok := d[0].(map[string]any); ok && isLangfuse(m) {
				return Langfuse, nil
			}
		}
	}
	return "", fmt.Errorf("%s: not a Verso export, promptfoo config, Prompty or Dotprompt file, or Langfuse prompt export: %w", path, ErrUnknownFormat)
}

// unsupported refuses a field by name, or keeps it as a skipped item.
func (p *Plan) unsupported(field, why string) error {
	if p.opts.SkipUnsupported {
		p.Skipped = append(p.Skipped, field+": "+why)
		return nil
	}
	return &UnsupportedError{Field: field, Why: why}
}

// UnsupportedError is a field Verso cannot import. With
// Options.SkipUnsupported it is skipped and named in the plan instead.
type UnsupportedError struct{ Field, Why string }

func (e *UnsupportedError) Error() string { return e.Field + ": " + e.Why }

// AmbiguousError is a path that holds files of more than one format: the
// caller names the format to import.
type AmbiguousError struct {
	Path    string
	Formats []Format
}

func (e *AmbiguousError) Error() string {
	names := make([]string, len(e.Formats))
	for i, f := range e.Formats {
		names[i] = string(f)
	}
	return fmt.Sprintf("%s holds files of more than one format (%s): name the one to import", e.Path, strings.Join(names, ", "))
}

// OutsideError is a file reference that leads out of the imported
// config's folder (directly, or through a link). Options.AllowOutside
// follows it.
type OutsideError struct {
	Ref, Root string
	Link      bool // through a symbolic link inside the folder
}

func (e *OutsideError) Error() string {
	if e.Link {
		return fmt.Sprintf("%s leads outside the config's folder %s through a link", e.Ref, e.Root)
	}
	return fmt.Sprintf("%s points outside the config's folder %s", e.Ref, e.Root)
}

func (p *Plan) note(format string, args ...any) {
	p.Maps = append(p.Maps, fmt.Sprintf(format, args...))
}

// check runs every template through its dialect and every assertion
// through validation: a plan never holds what commit or eval would refuse.
func (p *Plan) check() error {
	for i, v := range p.Versions {
		if err := store.ValidName(v.Name); err != nil {
			return err
		}
		if err := prompt.Check(store.Version{Kind: v.Kind, Dialect: v.Dialect, Template: v.Template, Messages: v.Messages}); err != nil {
			return fmt.Errorf("%s (version %d of the plan): %v", v.Name, i+1, err)
		}
	}
	// Assertions were validated as they were read (Plan.assertion).
	return nil
}

// assertion turns a promptfoo assertion into Verso's, refusing (or
// skipping) types Verso does not run. ok is false when it was skipped.
func (p *Plan) assertion(where string, a store.Assertion) (store.Assertion, bool, error) {
	base := strings.TrimPrefix(a.Type, "not-")
	if v, ok := a.Value.(string); ok && strings.HasPrefix(strings.TrimSpace(v), "file://") && (base == "javascript" || base == "python") {
		return a, false, p.unsupported(where+": "+a.Type+" "+strings.TrimSpace(v), "a script file (a module with a function) does not run in Verso: put its code inline as the value")
	}
	if err := assert.Validate(a); err != nil {
		if !knownType(base) {
			return a, false, p.unsupported(where+": assert type "+a.Type, "Verso does not run this assertion type (see verso assertions)")
		}
		return a, false, fmt.Errorf("%s: %v", where, err)
	}
	return a, true, nil
}

func knownType(t string) bool {
	for _, k := range assert.Types {
		if k == t {
			return true
		}
	}
	return false
}

// Summary is the plan as lines for the user: what it creates, what it maps
// and how, and what it cannot map.
func (p *Plan) Summary() []string {
	var out []string
	out = append(out, fmt.Sprintf("format: %s (%s)", p.Format, p.Source))
	if p.Format == Verso {
		return append(out, p.Maps...)
	}
	names := map[string]int{}
	var order []string
	for _, v := range p.Versions {
		if _, ok := names[v.Name]; !ok {
			order = append(order, v.Name)
		}
		names[v.Name]++
	}
	out = append(out, fmt.Sprintf("creates: %d prompts, %d versions, %d suites with %d cases", len(order), len(p.Versions), len(p.Suites), p.cases()))
	for _, v := range p.Versions {
		line := fmt.Sprintf("  prompt %s: %s %s version", v.Name, v.Dialect, v.Kind)
		if v.Config.Model != "" {
			line += ", model " + v.Config.Model
		}
		if len(v.Labels) > 0 {
			line += ", labels " + strings.Join(v.Labels, ",")
		}
		out = append(out, line)
	}
	for _, su := range p.Suites {
		out = append(out, fmt.Sprintf("  suite %s of %s: %d cases", su.Name, su.Prompt, len(su.Cases)))
	}
	if len(p.Maps) > 0 {
		out = append(out, "maps:")
		for _, m := range p.Maps {
			out = append(out, "  "+m)
		}
	}
	if len(p.Skipped) > 0 {
		out = append(out, fmt.Sprintf("skipped (%d, not imported):", len(p.Skipped)))
		for _, s := range p.Skipped {
			out = append(out, "  "+s)
		}
	}
	return out
}

func (p *Plan) cases() int {
	n := 0
	for _, su := range p.Suites {
		n += len(su.Cases)
	}
	return n
}

// Apply writes the plan in one transaction.
func (p *Plan) Apply(ctx context.Context, st *store.Store, actor string) ([]string, error) {
	if p.Format == Verso {
		rep, err := st.Import(ctx, p.Source, actor)
		if err != nil {
			return nil, err
		}
		return append(rep.Lines, fmt.Sprintf("imported %d prompts: %d new versions, %d unchanged, %d label moves", rep.Prompts, rep.Created, rep.Unchanged, rep.Labels)), nil
	}
	b := store.Bundle{Actor: actor, Reason: "import from " + filepath.Base(p.Source), Suites: p.Suites}
	for _, v := range p.Versions {
		in := v.CommitInput
		if in.Author == "" {
			in.Author = actor
		}
		b.Versions = append(b.Versions, store.BundleVersion{CommitInput: in, Labels: v.Labels})
	}
	rep, err := st.ApplyBundle(ctx, b)
	if err != nil {
		return nil, err
	}
	lines := rep.Lines
	lines = append(lines, fmt.Sprintf("imported from %s: %d new versions, %d unchanged, %d label moves, %d suites with %d cases, %d skipped items",
		p.Format, rep.Created, rep.Unchanged, rep.Labels, rep.Suites, rep.Cases, len(p.Skipped)))
	return lines, nil
}

var slugRE = regexp.MustCompile(`[^a-z0-9._/-]+`)

// Slug turns a file path or a display name into a prompt name.
func Slug(s string) string {
	s = strings.ToLower(filepath.ToSlash(s))
	s = slugRE.ReplaceAllString(s, "-")
	parts := strings.Split(s, "/")
	var keep []string
	for _, p := range parts {
		p = strings.Trim(p, "-.")
		if p != "" {
			keep = append(keep, p)
		}
	}
	s = strings.Join(keep, "/")
	if s == "" {
		s = "prompt"
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
