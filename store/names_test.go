package store

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Names that are paths out of a folder, or two spellings of one path.
var badNames = []string{"a/../../x", "a/..", "x/../y", "a/./b", "a/b/..", "..", ".", "a//b", "/a", "a/", "", ".hidden", "a/.b",
	"Support", "a b", "a\nb", "a\x1b]0;x\x07", strings.Repeat("a", 201)}

func TestValidNameRefusesPathTricks(t *testing.T) {
	for _, n := range badNames {
		if err := ValidName(n); !errors.Is(err, ErrInvalid) {
			t.Errorf("ValidName(%q) = %v, want ErrInvalid", n, err)
		}
	}
	for _, n := range []string{"a", "support/reply", "a.b/c-d_e", "v1.2/x", "a/b/c", strings.Repeat("a", 200)} {
		if err := ValidName(n); err != nil {
			t.Errorf("ValidName(%q) = %v", n, err)
		}
	}
}

// Every way a name enters is checked: commit and import (the TUI's new
// prompt goes through ValidName in tui/editor).
func TestBadNamesRefusedAtCommitAndImport(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	for _, n := range badNames {
		if _, err := st.Commit(ctx, CommitInput{Name: n, Template: "x"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("commit %q: %v", n, err)
		}
		doc := ExportDoc{Format: 1, Prompts: []ExportPrompt{{Name: n, Versions: []ExportVersion{{Kind: KindText, Template: "x"}}}}}
		b, _ := json.Marshal(doc)
		p := filepath.Join(t.TempDir(), "in.json")
		os.WriteFile(p, b, 0o644)
		if _, err := st.Import(ctx, p, "ci"); !errors.Is(err, ErrInvalid) {
			t.Errorf("import %q: %v", n, err)
		}
	}
	if ps, _ := st.ListPrompts(ctx, ListOptions{}); len(ps) != 0 {
		t.Fatalf("stored: %+v", ps)
	}
}

func promptDoc(names ...string) ExportDoc {
	d := ExportDoc{Format: 1}
	for _, n := range names {
		d.Prompts = append(d.Prompts, ExportPrompt{Name: n, Versions: []ExportVersion{{Kind: KindText, Template: "t " + n, Hash: "h"}}})
	}
	return d
}

// A crafted export replaced a user's config.yaml: directory export writes
// only below its folder, never through a link, never over a stranger.
func TestWriteDirStaysInsideItsFolder(t *testing.T) {
	base := t.TempDir()
	out := filepath.Join(base, "out")
	config := filepath.Join(base, "config.yaml")
	os.WriteFile(config, []byte("theme: dark\n"), 0o600)

	for _, n := range []string{"a/../../config", "a/../config", "x/../y", "a/./b", "a/b/.."} {
		if _, err := promptDoc("ok", n).WriteDir(out); !errors.Is(err, ErrInvalid) {
			t.Errorf("WriteDir(%q) = %v, want ErrInvalid", n, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "ok.yaml")); err == nil {
		t.Error("a refused export wrote some files")
	}

	// A folder that is a link to elsewhere.
	os.MkdirAll(out, 0o755)
	elsewhere := filepath.Join(base, "elsewhere")
	os.Mkdir(elsewhere, 0o755)
	os.Symlink(elsewhere, filepath.Join(out, "support"))
	if _, err := promptDoc("support/reply").WriteDir(out); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("through a folder link: %v", err)
	}
	if ents, _ := os.ReadDir(elsewhere); len(ents) != 0 {
		t.Errorf("wrote through the link: %v", ents)
	}
	// A file that is a link to elsewhere.
	os.Symlink(config, filepath.Join(out, "settings.yaml"))
	if _, err := promptDoc("settings").WriteDir(out); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("through a file link: %v", err)
	}
	// A file that is not this prompt's export.
	os.WriteFile(filepath.Join(out, "notes.yaml"), []byte("theme: dark\n"), 0o600)
	if _, err := promptDoc("notes").WriteDir(out); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "not this prompt's export") {
		t.Errorf("over a stranger: %v", err)
	}
	if b, _ := os.ReadFile(config); string(b) != "theme: dark\n" {
		t.Fatalf("config.yaml changed: %q", b)
	}

	// Exact counts, and a re-export replaces its own files.
	clean := filepath.Join(base, "clean")
	for range 2 {
		n, err := promptDoc("a", "a/b", "c/d/e").WriteDir(clean)
		if err != nil || n != 3 {
			t.Fatalf("WriteDir = %d, %v", n, err)
		}
	}
	for _, f := range []string{"a.yaml", "a/b.yaml", "c/d/e.yaml"} {
		fi, err := os.Stat(filepath.Join(clean, f))
		if err != nil || fi.Mode().Perm() != 0o644 {
			t.Errorf("%s: %v %v", f, fi, err)
		}
	}
}

func writeJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "in.json")
	os.WriteFile(p, b, 0o644)
	return p
}

// Labels from an import go through ValidLabel like `verso label`.
func TestImportRefusesBadLabels(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	for _, l := range []string{"3", "Production", "../../etc", "two words", "a\nb", "\x1b]2;pwned\x07", strings.Repeat("a", 10000),
		"production\u200b", "\u0455t\u0430ging" /* Cyrillic dze and a */, "latest\u202e"} {
		doc := promptDoc("p")
		doc.Prompts[0].Versions[0].Labels = []string{l}
		if _, err := st.Import(ctx, writeJSON(t, doc), "ci"); err == nil {
			t.Errorf("label %q imported", l)
		} else if strings.ContainsAny(err.Error(), "\x1b\n\u200b\u202e") || len(err.Error()) > 600 {
			t.Errorf("error repeats the label raw: %q", err)
		}
	}
	if ps, _ := st.ListPrompts(ctx, ListOptions{}); len(ps) != 0 {
		t.Fatalf("stored: %+v", ps)
	}
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

const promptYAML = "name: %s\nversions:\n  - kind: text\n    template: hi\n    hash: x\n"

// Directory import reads only prompt files inside the folder.
func TestImportDirRefusesLinksAndStrangers(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	base := t.TempDir()
	secret := filepath.Join(base, "secret.yaml")
	writeFile(t, secret, strings.Replace(promptYAML, "%s", "stolen", 1))

	dir := filepath.Join(base, "links")
	writeFile(t, filepath.Join(dir, "a.yaml"), strings.Replace(promptYAML, "%s", "a", 1))
	os.Symlink(secret, filepath.Join(dir, "b.yaml"))
	if _, err := st.Import(ctx, dir, "ci"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "b.yaml is a symbolic link") {
		t.Errorf("file link: %v", err)
	}
	dir2 := filepath.Join(base, "dirlink")
	writeFile(t, filepath.Join(dir2, "a.yaml"), strings.Replace(promptYAML, "%s", "a", 1))
	os.Symlink(base, filepath.Join(dir2, "sub"))
	if _, err := st.Import(ctx, dir2, "ci"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "sub is a symbolic link") {
		t.Errorf("folder link: %v", err)
	}

	dir3 := filepath.Join(base, "strangers")
	writeFile(t, filepath.Join(dir3, "a.yaml"), strings.Replace(promptYAML, "%s", "a", 1))
	writeFile(t, filepath.Join(dir3, "config.yaml"), "theme: dark\n")
	if _, err := st.Import(ctx, dir3, "ci"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "config.yaml") {
		t.Errorf("non-prompt YAML: %v", err)
	}
	dir4 := filepath.Join(base, "empty")
	writeFile(t, filepath.Join(dir4, "a.yaml"), strings.Replace(promptYAML, "%s", "a", 1))
	writeFile(t, filepath.Join(dir4, "b.yml"), "name: b\n")
	if _, err := st.Import(ctx, dir4, "ci"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "b.yml: not a Verso prompt file") {
		t.Errorf("prompt file without versions: %v", err)
	}
	if ps, _ := st.ListPrompts(ctx, ListOptions{}); len(ps) != 0 {
		t.Fatalf("stored: %+v", ps)
	}

	// Hidden folders (.git, .github workflows) are not part of the export.
	writeFile(t, filepath.Join(dir, ".github", "ci.yaml"), "on: push\n")
	os.Remove(filepath.Join(dir, "b.yaml"))
	if rep, err := st.Import(ctx, dir, "ci"); err != nil || rep.Prompts != 1 {
		t.Fatalf("clean folder: %+v %v", rep, err)
	}
}

// A shadowed "prompts" array put a label on the wrong prompt.
func TestImportRefusesDuplicateAndCaseVariantKeys(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	for _, doc := range []string{
		`{"verso_export": 1, "prompts": [{"name": "a", "versions": [{"kind": "text", "template": "x", "labels": ["production"], "hash": ""}]}], "prompts": [{"name": "b", "versions": [{"kind": "text", "template": "y", "hash": ""}]}]}`,
		`{"verso_export": 1, "prompts": [{"name": "a", "versions": [{"kind": "text", "template": "x", "hash": ""}]}], "Prompts": [{"name": "b", "versions": [{"kind": "text", "template": "y", "hash": ""}]}]}`,
		`{"verso_export": 1, "prompts": [{"name": "a", "Name": "b", "versions": [{"kind": "text", "template": "x", "hash": ""}]}]}`,
		`{"verso_export": 1, "prompts": [{"name": "a", "versions": [{"kind": "text", "template": "x", "hash": "", "labels": ["staging"], "Labels": ["production"]}]}]}`,
		`{"verso_export": 1, "prompts": [{"name": "a", "versions": [{"kind": "text", "template": "x", "hash": ""}]}, {"name": "a", "versions": [{"kind": "text", "template": "y", "hash": ""}]}]}`,
	} {
		p := filepath.Join(t.TempDir(), "in.json")
		os.WriteFile(p, []byte(doc), 0o644)
		if _, err := st.Import(ctx, p, "ci"); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v", doc, err)
		}
	}
	if ps, _ := st.ListPrompts(ctx, ListOptions{}); len(ps) != 0 {
		t.Fatalf("stored: %+v", ps)
	}
}

// Python's json.dumps escapes emoji as surrogate pairs; YAML errors are
// printed whole.
func TestImportJSONEscapesAndFullYAMLErrors(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	p := filepath.Join(t.TempDir(), "py.json")
	os.WriteFile(p, []byte(`{"verso_export": 1, "prompts": [{"name": "greet", "versions": [{"kind": "text", "template": "Hi \ud83d\ude00 {{name}}", "hash": ""}]}]}`), 0o644)
	if _, err := st.Import(ctx, p, "ci"); err != nil {
		t.Fatal(err)
	}
	if v, _ := st.Lookup(ctx, "greet"); v.Template != "Hi 😀 {{name}}" {
		t.Fatalf("template = %q", v.Template)
	}
	y := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(y, []byte("verso_export: 1\nprompts:\n  - name: x\n    versions:\n      - kind: text\n        template: t\n        colour: red\n        number: many\n"), 0o644)
	_, err := st.Import(ctx, y, "ci")
	if err == nil || !strings.Contains(err.Error(), `unknown key "colour"`) || !strings.Contains(err.Error(), "line 8") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v", err)
	}
}

// Invalid UTF-8 used to be stored, then exported as U+FFFD, so every
// re-import made a new version.
func TestInvalidUTF8RefusedEverywhere(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	bad := "caf\xe9"
	for _, in := range []CommitInput{
		{Name: "p", Template: bad},
		{Name: "p", Template: "x", Message: bad},
		{Name: "p", Template: "x", Author: bad},
		{Name: "p", Template: "x", Description: bad},
		{Name: "p", Template: "x", Tags: []string{bad}},
		{Name: "p", Kind: KindChat, Messages: []Message{{Role: "user", Content: bad}}},
		{Name: "p", Template: "x", Config: Config{Model: bad}},
		{Name: "p", Template: "x", Config: Config{ResponseFormat: map[string]any{"type": bad}}},
	} {
		_, err := st.Commit(ctx, in)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "not valid UTF-8") {
			t.Errorf("%+v: %v", in, err)
		}
	}
	commit(t, st, "p", "x")
	if _, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 1, Reason: bad}); !errors.Is(err, ErrInvalid) {
		t.Errorf("label reason: %v", err)
	}
	if _, err := st.SaveSuite(ctx, "p", Suite{Name: "s", Cases: []Case{{Name: "c", Vars: map[string]any{"q": bad}}}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("suite vars: %v", err)
	}
	for _, f := range []struct{ name, text string }{
		{"in.yaml", "verso_export: 1\nprompts:\n  - name: q\n    versions:\n      - kind: text\n        template: \"" + bad + "\"\n"},
		{"in.json", `{"verso_export": 1, "prompts": [{"name": "q", "versions": [{"kind": "text", "template": "` + bad + `"}]}]}`},
	} {
		p := filepath.Join(t.TempDir(), f.name)
		os.WriteFile(p, []byte(f.text), 0o644)
		if _, err := st.Import(ctx, p, "ci"); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "UTF-8") {
			t.Errorf("import %s: %v", f.name, err)
		}
	}
}
