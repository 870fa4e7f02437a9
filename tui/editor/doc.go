// Package editor is the file an author edits in $VISUAL/$EDITOR (a YAML
// front matter with the prompt's settings and model config, the template
// or chat messages below it) and the commands that write it, run the
// editor and read it back.
//
// The flow, driven by a screen: Prepare writes the file, Edit suspends the
// TUI and runs the editor on it, Load parses it. Then:
//   - Load's Err wraps ErrEmpty: the author emptied the file to cancel.
//   - the bytes are unchanged (bytes.Equal(Raw, Marshal(base))), or
//     Doc.Same(base): say "no change" (for a new prompt an untouched file
//     still holds the name placeholder, so compare the bytes first).
//   - another Err: show it (one line, with the line number) and offer to
//     reopen the same file, so the edit is not lost.
//   - Doc.CheckName(base) fails: same as a parse error.
//   - otherwise diff against base, ask for a message, commit
//     Doc.CommitInput(...), and Cleanup the file.
package editor

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/seed94f0f622/verso/store"
)

// Doc is what the author edits: the prompt's name, description and tags
// (prompt-level metadata) and one version's content and model config.
type Doc struct {
	Name        string
	Description string
	Tags        []string
	Kind        store.Kind
	Dialect     store.Dialect   // "" = mustache
	Template    string          // KindText
	Messages    []store.Message // KindChat
	Config      store.Config
}

// Placeholder is the name of a new prompt's starter file. It is not a
// valid name, so Parse refuses the file until the author replaces it.
const Placeholder = "<folder/name>"

// FromVersion is the doc of an existing version. Empty lists become nil so
// that a doc read back from its file compares equal with reflect.DeepEqual.
func FromVersion(p store.Prompt, v store.Version) Doc {
	return tidy(Doc{
		Name:        p.Name,
		Description: p.Description,
		Tags:        p.Tags,
		Kind:        v.Kind,
		Dialect:     v.Dialect,
		Template:    v.Template,
		Messages:    v.Messages,
		Config:      v.Config,
	})
}

// NewDoc is the starter file of a new prompt: a placeholder name and a
// short example template showing a variable.
func NewDoc() Doc {
	return Doc{
		Name: Placeholder,
		Kind: store.KindText,
		Template: "You are a friendly support agent for {{product}}.\n\n" +
			"Answer the customer's question in three sentences or fewer:\n\n{{question}}\n",
	}
}

// tidy gives a doc one representation per meaning: kind defaults to text
// (as in the store), the other kind's content is dropped, and empty lists
// are nil.
func tidy(d Doc) Doc {
	if d.Kind == "" {
		d.Kind = store.KindText
	}
	if d.Dialect == store.DialectMustache {
		d.Dialect = ""
	}
	if d.Kind == store.KindChat {
		d.Template = ""
	} else {
		d.Messages = nil
	}
	if len(d.Tags) == 0 {
		d.Tags = nil
	}
	if len(d.Messages) == 0 {
		d.Messages = nil
	}
	if len(d.Config.Stop) == 0 {
		d.Config.Stop = nil
	}
	if len(d.Config.Tools) == 0 {
		d.Config.Tools = nil
	}
	return d
}

// Same reports whether d has the same content and model config as base,
// by the store's content-hash rule (kind + template or messages + config,
// as canonical JSON): when it holds, a commit would be a no-op. Name,
// description and tags are not part of a version and are ignored.
func (d Doc) Same(base Doc) bool {
	a, errA := canonical(d)
	b, errB := canonical(base)
	return errA == nil && errB == nil && bytes.Equal(a, b)
}

// canonical mirrors store.contentHash's input. encoding/json sorts map
// keys and writes 1 and 1.0 alike, so a config read from YAML compares
// equal to the one read from the database.
func canonical(d Doc) ([]byte, error) {
	d = tidy(d)
	return json.Marshal(struct {
		Kind     store.Kind      `json:"kind"`
		Dialect  store.Dialect   `json:"dialect,omitempty"`
		Template string          `json:"template,omitempty"`
		Messages []store.Message `json:"messages,omitempty"`
		Config   store.Config    `json:"config"`
	}{d.Kind, d.Dialect, d.Template, d.Messages, d.Config})
}

// CheckName refuses a renamed existing prompt: the file always shows the
// name (so it round-trips), but only a new prompt's name may be chosen
// there. Committing under another name would create a different prompt.
func (d Doc) CheckName(base Doc) error {
	if base.Name == Placeholder || base.Name == "" || d.Name == base.Name {
		return nil
	}
	return fmt.Errorf("name: an existing prompt cannot be renamed here: put back %q (n creates a new prompt)", base.Name)
}

// CommitInput is the store input that commits d as a new version. Tags are
// always sent (an emptied list clears them); an empty description keeps
// the stored one (the store cannot clear it). parent is the version the
// edit started from (0 for a new prompt).
func (d Doc) CommitInput(author, message string, parent int) store.CommitInput {
	d = tidy(d)
	tags := d.Tags
	if tags == nil {
		tags = []string{}
	}
	return store.CommitInput{
		Name:        d.Name,
		Description: d.Description,
		Tags:        tags,
		Kind:        d.Kind,
		Dialect:     d.Dialect,
		Template:    d.Template,
		Messages:    d.Messages,
		Config:      d.Config,
		Message:     message,
		Author:      author,
		Parent:      parent,
	}
}
