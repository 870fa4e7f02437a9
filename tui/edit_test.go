package tui

import (
	"context"
	"errors"
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
