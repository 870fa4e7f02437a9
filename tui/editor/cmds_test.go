package editor

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
)

func TestEditorPrecedence(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"VISUAL": "code --wait", "EDITOR": "nano"}, "code --wait"},
		{map[string]string{"EDITOR": "nano"}, "nano"},
		{map[string]string{"VISUAL": "  ", "EDITOR": " hx "}, "hx"},
		{map[string]string{}, "vi"},
	}
	for _, c := range cases {
		if got := Editor(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%v: got %q, want %q", c.env, got, c.want)
		}
	}
}

func TestCommand(t *testing.T) {
	cases := []struct {
		editor string
		want   []string
	}{
		{"vi", []string{"vi", "/tmp/f.md"}},
		{"  code   --wait ", []string{"code", "--wait", "/tmp/f.md"}},
		{"", []string{"vi", "/tmp/f.md"}},
	}
	for _, c := range cases {
		if got := Command(c.editor, "/tmp/f.md").Args; strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%q: got %q, want %q", c.editor, got, c.want)
		}
	}
	if Edit(&common.Common{Editor: "vi"}, common.To{ID: 1}, "/tmp/f.md") == nil {
		t.Fatal("Edit returned no command")
	}
}

// The whole round: Prepare writes the file, a scripted editor (run
// directly, not through tea) changes it, Load reads it back.
func TestPrepareEditLoad(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("shell script editor")
	}
	// The script takes an argument like "code --wait" does, and rewrites
	// the file with sed through a temp copy (portable: no sed -i).
	script := filepath.Join(t.TempDir(), "fake-editor")
	err := os.WriteFile(script, []byte(`#!/bin/sh
[ "$1" = "--wait" ] || { echo "want --wait, got $1" >&2; exit 2; }
sed -e 's/^temperature: 0.2$/temperature: 0.5/' -e 's/Hello/Hi/' "$2" > "$2.tmp" && mv "$2.tmp" "$2"
`), 0o755)
	if err != nil {
		t.Fatal(err)
	}
	to := common.To{ID: 7}
	base := text("Hello {{name}}\n---\n")
	base.Config.Temperature = f64(0.2)

	prep := Prepare(to, base)().(PreparedMsg)
	if prep.Err != nil || prep.To != to {
		t.Fatalf("prepare: %+v", prep)
	}
	defer Cleanup(prep.Path)
	if base := filepath.Base(prep.Path); !strings.HasPrefix(base, "verso-support-reply-") || !strings.HasSuffix(base, ".md") {
		t.Fatalf("temp name %q", base)
	}
	if fi, err := os.Stat(prep.Path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("stat: %v %v", fi.Mode(), err)
	}

	// Unchanged: the file reads back as the base.
	loaded := Load(to, prep.Path)().(LoadedMsg)
	if loaded.Err != nil || !loaded.Doc.Same(base) || string(loaded.Raw) != string(Marshal(base)) {
		t.Fatalf("unchanged load: %+v", loaded)
	}

	cmd := Command(script+" --wait", prep.Path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("editor: %v: %s", err, out)
	}
	loaded = Load(to, prep.Path)().(LoadedMsg)
	if loaded.Err != nil || loaded.To != to || loaded.Path != prep.Path {
		t.Fatalf("load: %+v", loaded)
	}
	want := base
	want.Template = "Hi {{name}}\n---\n"
	want.Config.Temperature = f64(0.5)
	if loaded.Doc.Same(base) || !loaded.Doc.Same(want) || loaded.Doc.Name != "support/reply" {
		t.Fatalf("edited doc: %#v", loaded.Doc)
	}

	// Emptying the file cancels; a broken file reports the line.
	if err := os.WriteFile(prep.Path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if l := Load(to, prep.Path)().(LoadedMsg); !errors.Is(l.Err, ErrEmpty) {
		t.Fatalf("empty: %v", l.Err)
	}
	if err := os.WriteFile(prep.Path, []byte("---\nname: a/b\nbogus: 1\n---\nx\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if l := Load(to, prep.Path)().(LoadedMsg); l.Err == nil || !strings.HasPrefix(l.Err.Error(), "line 3: ") || len(l.Raw) == 0 {
		t.Fatalf("broken: %+v", l)
	}

	Cleanup(prep.Path)
	if _, err := os.Stat(prep.Path); !os.IsNotExist(err) {
		t.Fatalf("cleanup left the file: %v", err)
	}
	if l := Load(to, prep.Path)().(LoadedMsg); l.Err == nil {
		t.Fatal("load of a removed file succeeded")
	}
}

func TestPrepareNewPromptName(t *testing.T) {
	d := NewDoc()
	prep := Prepare(common.To{}, d)().(PreparedMsg)
	defer Cleanup(prep.Path)
	if prep.Err != nil || !strings.HasPrefix(filepath.Base(prep.Path), "verso-new-prompt-") {
		t.Fatalf("%+v", prep)
	}
	if got := fileStem("a/B c.d"); got != "a---c.d" {
		t.Fatalf("fileStem: %q", got)
	}
	_ = store.KindText
}
