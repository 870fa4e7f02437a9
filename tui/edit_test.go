package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
	"github.com/seed94f0f622/verso/tui/dialog"
	"github.com/seed94f0f622/verso/tui/editor"
)

// startEdit opens the latest version of prompt in the (simulated) editor,
// lets edit change the file's text, and reads it back as the editor's exit
// would.
func startEdit(t *testing.T, r *root, st *store.Store, prompt string, edit func(string) string) (path string) {
	t.Helper()
	v, err := st.Lookup(context.Background(), prompt+"@latest")
	if err != nil {
		t.Fatal(err)
	}
	r.send(editMsgFor(v))
	path = r.m.edit.path
	if path == "" {
		t.Fatalf("no file was prepared: %s", r.titles())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(edit(string(b))), 0o600); err != nil {
		t.Fatal(err)
	}
	r.run(editor.Load(r.m.to(), path))
	return path
}

func TestEditConflictThenForce(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ctx := context.Background()
	r := newRoot(t, options(st, "dark"), 120, 35)
	base, _ := st.Lookup(ctx, ct.Support+"@latest")
	startEdit(t, r, st, ct.Support, func(s string) string { return s + "\nOne more line.\n" })
	if _, ok := r.m.Top().(*dialog.Confirm); !ok {
		t.Fatalf("no commit dialog: %s", r.titles())
	}
	// Someone else commits while the dialog is open.
	if _, err := st.Commit(ctx, store.CommitInput{Name: ct.Support, Kind: store.KindText, Template: "theirs", Author: "devon", Message: "theirs"}); err != nil {
		t.Fatal(err)
	}
	r.typeText("mine")
	r.keys("enter")
	c, ok := r.m.Top().(*dialog.Confirm)
	if !ok || c.Value() != "mine" {
		t.Fatalf("the conflict closed the dialog or lost the message: %s", r.titles())
	}
	if s := strings.Join(r.statuses(), ";"); !strings.Contains(s, "devon committed it while you edited") {
		t.Errorf("conflict status %q", s)
	}
	if v, _ := st.Lookup(ctx, ct.Support+"@latest"); v.Author != "devon" {
		t.Fatalf("committed despite the conflict: %+v", v)
	}
	// ctrl+f commits on top anyway, with the edit's own parent.
	r.keys("ctrl+f")
	v, err := st.Lookup(ctx, ct.Support+"@latest")
	if err != nil || v.Message != "mine" || v.Number != base.Number+2 || v.Parent != base.Number || !strings.Contains(v.Template, "One more line.") {
		t.Fatalf("forced commit: %+v %v", v, err)
	}
	if r.m.edit.active {
		t.Error("the edit is still open after the commit")
	}
}

func TestEditMetadataOnly(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ctx := context.Background()
	r := newRoot(t, options(st, "dark"), 120, 35)
	before, _ := st.Lookup(ctx, ct.Support+"@latest")
	path := startEdit(t, r, st, ct.Support, func(s string) string {
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			if strings.HasPrefix(l, "description:") {
				lines[i] = "description: Replies to inbound support email"
			}
		}
		return strings.Join(lines, "\n")
	})
	if _, ok := r.m.Top().(*dialog.Confirm); ok {
		t.Fatalf("a description change asks for a commit: %s", r.titles())
	}
	if s := strings.Join(r.statuses(), ";"); !strings.Contains(s, "saved the description and tags") {
		t.Errorf("status %q", s)
	}
	p, err := st.Prompt(ctx, ct.Support)
	if err != nil || p.Description != "Replies to inbound support email" {
		t.Fatalf("description %q %v", p.Description, err)
	}
	if v, _ := st.Lookup(ctx, ct.Support+"@latest"); v.Number != before.Number {
		t.Errorf("a new version v%d was made", v.Number)
	}
	if r.m.edit.active || r.m.edit.path != "" {
		t.Error("the edit is still open")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Error("the temp file was left behind")
	}
}

func editMsgFor(v store.Version) tea.Msg { return common.EditMsg{Base: v} }

// editFile simulates the editor: it rewrites the edit's file and reads it
// back as the editor's exit would.
func editFile(t *testing.T, r *root, edit func(string) string) {
	t.Helper()
	path := r.m.edit.path
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(edit(string(b))), 0o600); err != nil {
		t.Fatal(err)
	}
	r.run(editor.Load(r.m.to(), path))
}

func topConfirm(t *testing.T, r *root, title string) *dialog.Confirm {
	t.Helper()
	c, ok := r.m.Top().(*dialog.Confirm)
	if !ok || !strings.Contains(c.Title(), title) {
		t.Fatalf("want the dialog %q on top: %s", title, r.titles())
	}
	return c
}

// TestEditEscKeepsEdit: esc on the commit-message screen does not throw
// the edit away: it is kept (file and message) and reopens; only a second,
// explicit esc throws it away.
func TestEditEscKeepsEdit(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ctx := context.Background()
	r := newRoot(t, options(st, "dark"), 120, 35)
	before, _ := st.Lookup(ctx, ct.Support+"@latest")
	path := startEdit(t, r, st, ct.Support, func(s string) string { return s + "\nMy careful line.\n" })
	topConfirm(t, r, "Commit "+ct.Support)
	r.typeText("my message")
	r.keys("esc")
	topConfirm(t, r, "Your edit is not committed")
	if !r.m.edit.active {
		t.Fatal("esc threw the edit away")
	}
	if !strings.Contains(r.plain(), path) {
		t.Errorf("the dialog does not say where the edit is:\n%s", r.plain())
	}
	r.keys("enter") // reopen: the editor runs on the same file
	if !r.m.edit.active || r.m.edit.path != path {
		t.Fatal("reopening lost the edit")
	}
	editFile(t, r, func(s string) string {
		if !strings.Contains(s, "My careful line.") {
			t.Errorf("the reopened file lost the text:\n%s", s)
		}
		return s
	})
	c := topConfirm(t, r, "Commit "+ct.Support)
	if c.Value() != "my message" {
		t.Fatalf("the commit message was lost: %q", c.Value())
	}
	r.keys("enter")
	v, _ := st.Lookup(ctx, ct.Support+"@latest")
	if v.Number != before.Number+1 || v.Message != "my message" || !strings.Contains(v.Template, "My careful line.") {
		t.Fatalf("committed %+v", v)
	}

	// Throwing an edit away takes a second, explicit esc.
	path = startEdit(t, r, st, ct.Support, func(s string) string { return s + "\nThrow me.\n" })
	r.keys("esc")
	topConfirm(t, r, "Your edit is not committed")
	r.keys("esc")
	if r.m.edit.active {
		t.Fatal("the edit is still open after throwing it away")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Error("the temp file was left behind")
	}
}

// TestQuitAsksWithAnEditOpen: ctrl+c on the commit-message screen asks
// first; esc goes back with the message; a second ctrl+c quits.
func TestQuitAsksWithAnEditOpen(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 120, 35)
	startEdit(t, r, st, ct.Support, func(s string) string { return s + "\nMine.\n" })
	r.typeText("half a message")
	r.keys("ctrl+c")
	if r.quit {
		t.Fatal("ctrl+c quit with an edit open")
	}
	topConfirm(t, r, "Quit Verso?")
	if !strings.Contains(r.plain(), "Your edit of "+ct.Support+" is not committed") {
		t.Errorf("the question does not say what is lost:\n%s", r.plain())
	}
	r.keys("esc")
	if c := topConfirm(t, r, "Commit "+ct.Support); c.Value() != "half a message" {
		t.Fatalf("back on the commit dialog with %q", c.Value())
	}
	r.keys("ctrl+c", "ctrl+c")
	if !r.quit {
		t.Fatal("a second ctrl+c did not quit")
	}
	// Without an edit, ctrl+c quits at once.
	r2 := newRoot(t, options(st, "dark"), 120, 35)
	r2.keys("ctrl+c")
	if !r2.quit {
		t.Fatal("ctrl+c did not quit")
	}
}

// TestNewPromptNameCheckedFirst: a taken name is reported before the diff
// and message step, with the edit kept to fix it; an unchanged starter
// file cancels as it says.
func TestNewPromptNameCheckedFirst(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ctx := context.Background()
	r := newRoot(t, options(st, "dark"), 120, 35)
	r.send(common.EditMsg{})
	path := r.m.edit.path
	editFile(t, r, func(s string) string { return s })
	if _, ok := r.m.Top().(*dialog.Confirm); ok || r.m.edit.active {
		t.Fatalf("an unchanged new-prompt file did not cancel: %s", r.titles())
	}
	if s := strings.Join(r.statuses(), ";"); !strings.Contains(s, "no prompt created") {
		t.Errorf("status %q", s)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Error("the temp file was left behind")
	}

	r.send(common.EditMsg{})
	editFile(t, r, func(s string) string { return strings.Replace(s, editor.Placeholder, ct.Support, 1) })
	topConfirm(t, r, "has a problem")
	if !strings.Contains(r.plain(), "a prompt named "+ct.Support+" already exists") {
		t.Errorf("the problem does not name the taken name:\n%s", r.plain())
	}
	r.keys("enter") // reopen and fix the name
	editFile(t, r, func(s string) string { return strings.Replace(s, "name: "+ct.Support, "name: support/fresh", 1) })
	topConfirm(t, r, "Commit support/fresh")
	r.typeText("new one")
	r.keys("enter")
	if v, err := st.Lookup(ctx, "support/fresh@latest"); err != nil || v.Number != 1 {
		t.Fatalf("new prompt: %+v %v", v, err)
	}
}

// TestEditFromOlderVersion: "edit from here" on an old version commits on
// top of the latest without a false conflict, and the title names the
// number it will get.
func TestEditFromOlderVersion(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ctx := context.Background()
	r := newRoot(t, options(st, "dark"), 120, 35)
	latest, _ := st.Lookup(ctx, ct.Support+"@latest")
	old, _ := st.Version(ctx, ct.Support, 1)
	r.send(editMsgFor(old))
	editFile(t, r, func(s string) string { return s + "\nFrom the first one.\n" })
	topConfirm(t, r, fmt.Sprintf("Commit %s v%d (edited from v1)", ct.Support, latest.Number+1))
	r.typeText("branch from v1")
	r.keys("enter")
	if s := strings.Join(r.statuses(), ";"); strings.Contains(s, "while you edited") {
		t.Fatalf("a concurrent commit that did not happen: %q", s)
	}
	v, _ := st.Lookup(ctx, ct.Support+"@latest")
	if v.Number != latest.Number+1 || v.Parent != 1 || v.Message != "branch from v1" {
		t.Fatalf("committed %+v", v)
	}
}
