package tui

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/tui/caseform"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
	"github.com/seed94f0f622/verso/tui/editor"
	"github.com/seed94f0f622/verso/tui/inlineedit"
	"github.com/seed94f0f622/verso/tui/playground"
)

// With no $VISUAL/$EDITOR, e and n open the inline editor and E the
// external one; with one set, e opens it and E the inline editor.
func TestEditorChoice(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	state := t.TempDir()
	env := map[string]string{"XDG_STATE_HOME": state}
	o := options(st, "dark")
	o.Editor = ""
	o.Getenv = func(k string) string { return env[k] }

	r := newRoot(t, o, 100, 30)
	r.keys("n")
	if _, ok := r.m.Top().(*inlineedit.Model); !ok {
		t.Fatalf("n without $EDITOR: %s", r.titles())
	}
	r.keys("esc")
	r.keys("G", "enter", "e")
	if _, ok := r.m.Top().(*inlineedit.Model); !ok || r.titles() != "prompts | support/reply | edit support/reply v4" {
		t.Fatalf("e without $EDITOR: %s", r.titles())
	}
	// Typed text, then ctrl+c: the program quits and the draft is kept.
	r.typeText("Keep me ")
	r.keys("ctrl+c")
	if !r.quit {
		t.Fatal("ctrl+c did not quit")
	}
	if err := r.m.saveDrafts(); err != nil {
		t.Fatal(err)
	}
	d, ok, err := inlineedit.LoadDraft(inlineedit.DraftPath(filepath.Join(state, "verso", "drafts"), st.Path(), ct.Support))
	if err != nil || !ok || !strings.HasPrefix(d.Template, "Keep me ") {
		t.Fatalf("draft after ctrl+c: %+v %v %v", d, ok, err)
	}

	// E opens the external editor: the root's file flow starts.
	r = newRoot(t, o, 100, 30)
	r.keys("G", "enter", "E")
	t.Cleanup(r.m.discardEdit)
	if _, ok := r.m.Top().(*inlineedit.Model); ok || !r.m.edit.active {
		t.Fatalf("E without $EDITOR did not start the external flow: %s", r.titles())
	}
	if _, ok := ct.Find[editor.PreparedMsg](r.seen); !ok {
		t.Fatalf("no file prepared for the editor: %v", r.seen)
	}

	// With $EDITOR set, e is the external editor and E the inline one.
	env["EDITOR"] = "true"
	r = newRoot(t, o, 100, 30)
	r.keys("G", "enter", "e")
	if _, ok := r.m.Top().(*inlineedit.Model); ok {
		t.Fatalf("e with $EDITOR opened the inline editor")
	}
	r = newRoot(t, o, 100, 30)
	r.keys("G", "enter", "E")
	if _, ok := r.m.Top().(*inlineedit.Model); !ok {
		t.Fatalf("E with $EDITOR: %s", r.titles())
	}
	// The draft kept by ctrl+c above is offered; x discards it. Then q and
	// ? are typed, not global keys.
	if !strings.Contains(r.plain(), "An unsaved draft") {
		t.Fatalf("draft not offered:\n%s", r.plain())
	}
	r.keys("x", "q", "?")
	if r.quit || !strings.HasPrefix(r.m.Top().(*inlineedit.Model).Value(), "q?") {
		t.Fatalf("q and ? in the editor: quit=%v", r.quit)
	}
}

// a in the Tests tab opens the case form; saving it shows the new case in
// the tab.
func TestCaseFormFromTestsTab(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 100, 30)
	r.keys("G", "enter", "4", "a")
	if _, ok := r.m.Top().(*caseform.Model); !ok {
		t.Fatalf("a in the Tests tab: %s", r.titles())
	}
	r.typeText("asks for a refund")
	r.keys("tab")
	r.typeText("Acme")
	r.keys("tab", "tab", "tab", "tab", "enter", "j", "j", "enter")
	r.typeText("refund")
	r.keys("ctrl+s")
	if _, ok := r.m.Top().(*caseform.Model); ok || !strings.Contains(r.plain(), "asks for a refund") {
		t.Fatalf("after save: %s\n%s", r.titles(), r.plain())
	}
}

// "Edit from here" on an older version in the inline editor: the commit
// is numbered after the latest version and is no conflict (nobody
// committed while it was open), as in the $EDITOR flow.
func TestInlineEditFromOlderVersion(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	ctx := context.Background()
	o := options(st, "dark")
	o.Editor = ""
	o.Getenv = func(string) string { return "" }
	r := newRoot(t, o, 120, 35)
	latest, _ := st.Lookup(ctx, ct.Support+"@latest")
	old, _ := st.Version(ctx, ct.Support, 1)
	r.send(editMsgFor(old))
	if _, ok := r.m.Top().(*inlineedit.Model); !ok {
		t.Fatalf("edit without $EDITOR: %s", r.titles())
	}
	r.typeText("From the first one. ")
	r.keys("ctrl+s")
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

// t on a version (Content or History) opens the playground on it; esc
// comes back.
func TestTryOpensThePlayground(t *testing.T) {
	st, _ := ct.FixtureStore(t)
	r := newRoot(t, options(st, "dark"), 100, 30)
	r.keys("G", "enter", "t")
	if _, ok := r.m.Top().(*playground.Model); !ok || !strings.HasSuffix(r.titles(), "support/reply v4 · playground") {
		t.Fatalf("t on Content: %s", r.titles())
	}
	r.keys("esc")
	r.keys("2", "down", "t")
	if r.titles() != "prompts | support/reply | support/reply v3 · playground" {
		t.Fatalf("t on History's second row: %s", r.titles())
	}
}
