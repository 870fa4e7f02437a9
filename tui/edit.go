package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/tui/common"
	"github.com/seed94f0f622/verso/tui/dialog"
	"github.com/seed94f0f622/verso/tui/editor"
)

// The edit flow belongs to the root: it outlives the screen that started
// it (the editor suspends the whole TUI). Write the version to a temp
// file, run $EDITOR on it, read it back, then either say "no change", show
// the parse error with an offer to reopen the same file, or show the diff
// and ask for a commit message.

type editState struct {
	active bool          // an edit is under way (from Prepare until commit or discard)
	path   string        // the temp file, once written
	base   store.Version // Number 0: a new prompt
	doc    editor.Doc    // what the file started as
	raw    []byte        // the file's first bytes
}

type editLoaded struct {
	prompt store.Prompt
	err    error
	base   store.Version
}

type reopenMsg struct{}

type discardEditMsg struct{}

func (m *Model) to() common.To { return common.To{ID: m.id} }

// startEdit begins editing msg.Base (or a new prompt), or restoring it.
func (m *Model) startEdit(msg common.EditMsg) tea.Cmd {
	if m.c.Store.ReadOnly() {
		return common.Error(fmt.Errorf("cannot edit: %w", store.ErrReadOnly))
	}
	if m.edit.active {
		return common.Warn("an edit is already open: finish it first")
	}
	if msg.Restore {
		return m.restore(msg.Base)
	}
	if msg.Base.Prompt == "" {
		m.edit = editState{active: true, doc: editor.NewDoc()}
		m.edit.raw = editor.Marshal(m.edit.doc)
		return editor.Prepare(m.to(), m.edit.doc)
	}
	ctx, st, base := m.c.Ctx, m.c.Store, msg.Base
	m.edit = editState{active: true, base: base}
	return func() tea.Msg {
		p, err := st.Prompt(ctx, base.Prompt)
		return editLoaded{prompt: p, err: err, base: base}
	}
}

// restore commits an old version as the new latest, after the diff from
// the current latest and a message.
func (m *Model) restore(v store.Version) tea.Cmd {
	c := m.c
	ctx := c.Ctx
	return func() tea.Msg {
		latest, err := c.Store.Lookup(ctx, v.Prompt+"@latest")
		if err != nil {
			return common.StatusMsg{Kind: common.StatusError, Text: common.Explain(err)}
		}
		in := store.CommitInput{Name: v.Prompt, Kind: v.Kind, Dialect: v.Dialect, Template: v.Template, Messages: v.Messages, Config: v.Config, Parent: v.Number}
		spec := dialog.CommitSpec(c, latest, in, fmt.Sprintf("Restore %s v%d as v%d", v.Prompt, v.Number, latest.Number+1))
		spec.Value = fmt.Sprintf("Restore v%d", v.Number)
		spec.Lines = []string{fmt.Sprintf("Commits the content of v%d as a new version v%d (its parent is recorded as v%d).", v.Number, latest.Number+1, v.Number)}
		return common.PushMsg{Screen: dialog.New(c, spec)}
	}
}

// updateEdit handles the edit flow's messages (addressed to the root).
func (m *Model) updateEdit(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case editor.PreparedMsg:
		if msg.Err != nil {
			m.edit = editState{}
			return common.Error(fmt.Errorf("prepare the file to edit: %w", msg.Err))
		}
		m.edit.path = msg.Path
		return editor.Edit(m.to(), m.c.Editor, msg.Path)
	case editor.EditedMsg:
		if msg.Err != nil {
			// The editor failed or was not found: the file may still hold
			// an edit, so read it anyway and say what happened.
			return tea.Batch(common.Warn(fmt.Sprintf("editor %q: %v (set $EDITOR)", m.c.Editor, msg.Err)), editor.Load(m.to(), msg.Path))
		}
		return editor.Load(m.to(), msg.Path)
	case editor.LoadedMsg:
		return m.onLoaded(msg)
	}
	return nil
}

func (m *Model) onLoaded(msg editor.LoadedMsg) tea.Cmd {
	e := m.edit
	switch {
	case errors.Is(msg.Err, editor.ErrEmpty):
		m.discardEdit()
		return common.Info("the file was emptied: nothing committed")
	case msg.Err == nil && (bytes.Equal(msg.Raw, e.raw) || msg.Doc.Same(e.doc) && e.base.Number > 0 && sameMeta(msg.Doc, e.doc)):
		m.discardEdit()
		return common.Info("no change: nothing to commit")
	case msg.Err == nil && msg.Doc.Same(e.doc) && e.base.Number > 0 && msg.Doc.CheckName(e.doc) == nil:
		// Only the description or tags changed: they belong to the prompt,
		// not to a version, so they are saved without a new version.
		m.discardEdit()
		return m.saveMeta(msg.Doc.CommitInput(m.c.Author, "", e.base.Number))
	}
	err := msg.Err
	if err == nil {
		err = msg.Doc.CheckName(e.doc)
	}
	if err == nil {
		// The template in its dialect: a filter or helper the dialect
		// lacks is refused here, not at the first render.
		d := msg.Doc
		err = prompt.Check(store.Version{Kind: d.Kind, Dialect: d.Dialect, Template: d.Template, Messages: d.Messages})
	}
	if err != nil {
		return m.push(dialog.New(m.c, dialog.Spec{
			Title:   "The edited file has a problem",
			Lines:   []string{common.Explain(err), "", "Your edit is kept in " + e.path + "."},
			Confirm: "reopen it in the editor",
			Send:    reopenMsg{},
			Cancel:  discardEditMsg{},
		}))
	}
	in := msg.Doc.CommitInput(m.c.Author, "", e.base.Number)
	title := fmt.Sprintf("Commit %s", in.Name)
	if e.base.Number > 0 {
		title = fmt.Sprintf("Commit %s v%d (edited from v%d)", in.Name, e.base.Number+1, e.base.Number)
	}
	spec := dialog.CommitSpec(m.c, e.base, in, title)
	spec.Done = discardEditMsg{}
	spec.Cancel = discardEditMsg{}
	commit := spec.Do
	spec.Do = m.guardedCommit(commit, e.base, in.Name, false)
	spec.Force = m.guardedCommit(commit, e.base, in.Name, true)
	spec.ForceHelp = "commit on top anyway"
	return m.push(dialog.New(m.c, spec))
}

// guardedCommit refuses to commit an edit of vN on top of a newer version
// someone else committed meanwhile (unless forced), and a new prompt whose
// name is taken.
func (m *Model) guardedCommit(do func(context.Context, string) (string, []store.Change, error), base store.Version, name string, force bool) func(context.Context, string) (string, []store.Change, error) {
	st := m.c.Store
	return func(ctx context.Context, text string) (string, []store.Change, error) {
		latest, err := st.Lookup(ctx, name+"@latest")
		switch {
		case errors.Is(err, store.ErrNotFound) && base.Number == 0:
		case err != nil:
			return "", nil, err
		case base.Number == 0:
			return "", nil, fmt.Errorf("a prompt named %s already exists: change the name in the file (esc, then n): %w", name, store.ErrInvalid)
		case latest.Number != base.Number && !force:
			return "", nil, fmt.Errorf("%s is at v%d now (%s committed it while you edited v%d): ctrl+f commits on top anyway, or esc and edit v%d: %w",
				name, latest.Number, latest.Author, base.Number, latest.Number, store.ErrConflict)
		}
		return do(ctx, text)
	}
}

// saveMeta saves a prompt's description and tags: the store applies them
// and reports that the content is unchanged.
func (m *Model) saveMeta(in store.CommitInput) tea.Cmd {
	ctx, st := m.c.Ctx, m.c.Store
	return func() tea.Msg {
		_, err := st.Commit(ctx, in)
		if err != nil && !errors.Is(err, store.ErrNoChange) {
			return common.StatusMsg{Kind: common.StatusError, Text: common.Explain(err)}
		}
		return common.StatusMsg{Kind: common.StatusSuccess, Text: fmt.Sprintf("saved the description and tags of %s (template and config unchanged: no new version)", in.Name)}
	}
}

func sameMeta(a, b editor.Doc) bool {
	return a.Description == b.Description && fmt.Sprint(a.Tags) == fmt.Sprint(b.Tags)
}

func (m *Model) discardEdit() {
	if m.edit.path != "" {
		editor.Cleanup(m.edit.path)
	}
	m.edit = editState{}
}
