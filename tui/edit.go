package tui

import (
	"bytes"
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
	latest int           // the prompt's latest version when the editor opened
	doc    editor.Doc    // what the file started as
	raw    []byte        // the file's first bytes
	// message is the commit message typed before the user stepped back
	// from the commit dialog: it is offered again.
	message string
}

type editLoaded struct {
	prompt store.Prompt
	latest int
	err    error
	base   store.Version
}

// nameCheckedMsg says whether a new prompt's name is free (err wraps
// store.ErrInvalid when it is taken).
type nameCheckedMsg struct {
	doc editor.Doc
	err error
}

type reopenMsg struct{}

type discardEditMsg struct{}

// keepEditMsg: the user stepped back from the commit dialog; text is the
// message typed so far. The edit is kept until the user throws it away.
type keepEditMsg struct{ text string }

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
		return m.opening(m.restore(msg.Base))
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
		if err != nil {
			return editLoaded{err: err}
		}
		// The version to compare with at commit time is the latest one now,
		// not the one edited: "edit from here" on v3 while v8 is the latest
		// is not a conflict.
		latest, err := st.Lookup(ctx, base.Prompt+"@latest")
		return editLoaded{prompt: p, latest: latest.Number, err: err, base: base}
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
		return editor.Edit(m.c, m.to(), msg.Path)
	case editor.EditedMsg:
		if msg.Err != nil {
			// The editor failed or was not found: the file may still hold
			// an edit, so read it anyway and say what happened.
			return tea.Batch(common.Warn(fmt.Sprintf("editor %q: %v (set $EDITOR)", m.c.Editor, msg.Err)), editor.Load(m.to(), msg.Path))
		}
		return editor.Load(m.to(), msg.Path)
	case editor.LoadedMsg:
		return m.onLoaded(msg)
	case addressed:
		if n, ok := msg.msg.(nameCheckedMsg); ok && m.edit.active {
			if n.err != nil {
				return m.problem(n.err)
			}
			return m.commitDialog(n.doc)
		}
	}
	return nil
}

func (m *Model) onLoaded(msg editor.LoadedMsg) tea.Cmd {
	e := m.edit
	switch {
	case errors.Is(msg.Err, editor.ErrEmpty):
		m.discardEdit()
		return common.Info("the file was emptied: nothing committed")
	case msg.Raw != nil && bytes.Equal(msg.Raw, e.raw):
		// Unchanged (a new prompt's starter file too, whose placeholder
		// name does not parse): the file says this cancels.
		m.discardEdit()
		if e.base.Number == 0 {
			return common.Info("the file was left unchanged: no prompt created")
		}
		return common.Info("no change: nothing to commit")
	case msg.Err == nil && msg.Doc.Same(e.doc) && e.base.Number > 0 && sameMeta(msg.Doc, e.doc):
		m.discardEdit()
		return common.Info("no change: nothing to commit")
	case msg.Err == nil && msg.Doc.Same(e.doc) && e.base.Number > 0 && msg.Doc.CheckName(e.doc) == nil && !sameMeta(msg.Doc, e.doc):
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
		return m.problem(err)
	}
	if e.base.Number == 0 {
		// A new prompt's name is checked before the diff and the message,
		// so a taken name never costs the message typed.
		return m.checkName(msg.Doc)
	}
	return m.commitDialog(msg.Doc)
}

// problem shows why the edited file cannot be committed, with the way
// back to it: enter reopens the same file, esc throws it away.
func (m *Model) problem(err error) tea.Cmd {
	return m.push(dialog.New(m.c, dialog.Spec{
		Title:      "The edited file has a problem",
		Lines:      []string{common.Explain(err), "", "Your edit is kept in " + m.edit.path + "."},
		Confirm:    "reopen it in the editor",
		Send:       reopenMsg{},
		Cancel:     discardEditMsg{},
		CancelHelp: "throw the edit away",
	}))
}

// checkName looks the new prompt's name up (a command: no I/O in Update).
func (m *Model) checkName(d editor.Doc) tea.Cmd {
	ctx, st, to := m.c.Ctx, m.c.Store, m.to()
	return func() tea.Msg {
		_, err := st.Prompt(ctx, d.Name)
		switch {
		case errors.Is(err, store.ErrNotFound):
			err = nil
		case err == nil:
			err = fmt.Errorf("name: a prompt named %s already exists: change the name in the file: %w", d.Name, store.ErrInvalid)
		}
		return addressed{To: to, msg: nameCheckedMsg{doc: d, err: err}}
	}
}

// addressed carries a message of the root's own flows back to the root.
type addressed struct {
	common.To
	msg tea.Msg
}

// commitDialog shows the diff of the edit and asks for the message.
func (m *Model) commitDialog(d editor.Doc) tea.Cmd {
	e := m.edit
	in := d.CommitInput(m.c.Author, "", e.base.Number)
	title := fmt.Sprintf("Commit %s", in.Name)
	if e.base.Number > 0 {
		title = fmt.Sprintf("Commit %s v%d (edited from v%d)", in.Name, e.latest+1, e.base.Number)
	}
	spec := dialog.CommitSpec(m.c, e.base, in, title)
	spec.Value = e.message
	spec.Done = discardEditMsg{}
	spec.OnCancel = func(text string) tea.Msg { return keepEditMsg{text: text} }
	spec.CancelHelp = "back (the edit is kept)"
	commit := spec.Do
	spec.Do = common.GuardCommit(m.c.Store, commit, e.base, e.latest, in.Name, false, editNameHint)
	spec.Force = common.GuardCommit(m.c.Store, commit, e.base, e.latest, in.Name, true, editNameHint)
	spec.ForceHelp = "commit on top anyway"
	return m.push(dialog.New(m.c, spec))
}

// keepEdit: esc on the commit dialog does not throw the edit away. It
// offers to reopen it (with the message kept for the commit dialog), or to
// throw it away on purpose.
func (m *Model) keepEdit(text string) tea.Cmd {
	if !m.edit.active {
		return nil
	}
	m.edit.message = text
	name := m.edit.doc.Name
	if m.edit.base.Number > 0 {
		name = m.edit.base.Prompt
	}
	return m.push(dialog.New(m.c, dialog.Spec{
		Title:      "Your edit is not committed",
		Lines:      []string{fmt.Sprintf("Your edit of %s is kept in %s.", name, m.edit.path), "enter reopens it in the editor (your commit message is kept too); esc throws it away."},
		Confirm:    "reopen it in the editor",
		Send:       reopenMsg{},
		Cancel:     discardEditMsg{},
		CancelHelp: "throw the edit away",
	}))
}

// editNameHint says how the $EDITOR flow changes a new prompt's name.
const editNameHint = "esc, then enter reopens your edit to change the name"

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
