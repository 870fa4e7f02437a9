package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"
)

// ExportFormat is the version of the export document shape.
const ExportFormat = 1

// ExportDoc is the export of a registry: every version of every prompt, or
// (with a label) the one version per prompt that holds the label. It holds
// no secrets and nothing that changes between runs, so exports diff cleanly
// in git.
type ExportDoc struct {
	Format  int            `json:"verso_export" yaml:"verso_export"`
	Label   string         `json:"label,omitempty" yaml:"label,omitempty"`
	Prompts []ExportPrompt `json:"prompts" yaml:"prompts"`
}

// ExportPrompt is one prompt of an export (also the shape of one file of a
// directory export).
type ExportPrompt struct {
	Name        string          `json:"name" yaml:"name"`
	Description string          `json:"description,omitempty" yaml:"description,omitempty"`
	Tags        []string        `json:"tags,omitempty" yaml:"tags,omitempty"`
	Versions    []ExportVersion `json:"versions" yaml:"versions"`
}

// ExportVersion is one version of an export. Number, CreatedAt and Parent
// are only in full exports: a labelled export is a deployable set, and the
// same content must export identically from any registry.
type ExportVersion struct {
	Number    int       `json:"number,omitempty" yaml:"number,omitempty"`
	Labels    []string  `json:"labels,omitempty" yaml:"labels,omitempty"`
	Kind      Kind      `json:"kind" yaml:"kind"`
	Dialect   Dialect   `json:"dialect,omitempty" yaml:"dialect,omitempty"` // omitted for mustache
	Template  string    `json:"template,omitempty" yaml:"template,omitempty"`
	Messages  []Message `json:"messages,omitempty" yaml:"messages,omitempty"`
	Config    *Config   `json:"config,omitempty" yaml:"config,omitempty"`
	Message   string    `json:"message,omitempty" yaml:"message,omitempty"`
	Author    string    `json:"author,omitempty" yaml:"author,omitempty"`
	CreatedAt string    `json:"created_at,omitempty" yaml:"created_at,omitempty"`
	Parent    int       `json:"parent,omitempty" yaml:"parent,omitempty"`
	Hash      string    `json:"hash" yaml:"hash"` // informational: recomputed on import
}

// ExportOptions choose what to export.
type ExportOptions struct {
	Label string // "" = every version of every prompt
}

// Export builds the export document, prompts sorted by name.
func (s *Store) Export(ctx context.Context, o ExportOptions) (ExportDoc, error) {
	doc := ExportDoc{Format: ExportFormat, Label: o.Label, Prompts: []ExportPrompt{}}
	if o.Label == "latest" {
		return doc, fmt.Errorf("export: use a label such as production; latest is the default without --label: %w", ErrInvalid)
	}
	if o.Label != "" {
		if err := ValidLabel(o.Label); err != nil {
			return doc, fmt.Errorf("export: %w", err)
		}
	}
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		labels := map[int64]map[int][]string{}
		rows, err := tx.QueryContext(ctx, `SELECT prompt_id, name, version FROM labels ORDER BY name`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var pid int64
			var name string
			var v int
			if err := rows.Scan(&pid, &name, &v); err != nil {
				rows.Close()
				return err
			}
			if labels[pid] == nil {
				labels[pid] = map[int][]string{}
			}
			labels[pid][v] = append(labels[pid][v], name)
		}
		rows.Close()

		q := versionSelect + ` WHERE p.archived_at IS NULL ORDER BY p.name, v.number`
		args := []any{}
		if o.Label != "" {
			q = versionSelect + ` JOIN labels l ON l.prompt_id = v.prompt_id AND l.version = v.number AND l.name = ?
				WHERE p.archived_at IS NULL ORDER BY p.name`
			args = append(args, o.Label)
		}
		meta := map[int64]ExportPrompt{}
		mrows, err := tx.QueryContext(ctx, `SELECT id, name, description, tags FROM prompts`)
		if err != nil {
			return err
		}
		for mrows.Next() {
			var id int64
			var ep ExportPrompt
			var tags string
			if err := mrows.Scan(&id, &ep.Name, &ep.Description, &tags); err != nil {
				mrows.Close()
				return err
			}
			ep.Tags = decodeTags(tags)
			meta[id] = ep
		}
		mrows.Close()

		vrows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer vrows.Close()
		var cur *ExportPrompt
		var curID int64
		for vrows.Next() {
			v, err := scanVersion(vrows)
			if err != nil {
				return err
			}
			if cur == nil || curID != v.PromptID {
				doc.Prompts = append(doc.Prompts, meta[v.PromptID])
				cur = &doc.Prompts[len(doc.Prompts)-1]
				curID = v.PromptID
			}
			ev := ExportVersion{Kind: v.Kind, Template: v.Template, Messages: v.Messages, Message: v.Message, Author: v.Author, Hash: v.Hash}
			if v.Dialect != DialectMustache {
				ev.Dialect = v.Dialect
			}
			if v.Config.Model != "" || v.Config.Temperature != nil || v.Config.MaxTokens != 0 || v.Config.TopP != nil || v.Config.Stop != nil ||
				v.Config.Seed != nil || v.Config.ResponseFormat != nil || v.Config.Tools != nil {
				c := v.Config
				ev.Config = &c
			}
			if o.Label != "" {
				ev.Labels = []string{o.Label}
			} else {
				ev.Number = v.Number
				ev.Labels = labels[v.PromptID][v.Number]
				ev.CreatedAt = v.CreatedAt.Format(time.RFC3339Nano)
				ev.Parent = v.Parent
			}
			cur.Versions = append(cur.Versions, ev)
		}
		return vrows.Err()
	})
	if err != nil {
		return doc, s.wrap("export", err)
	}
	return doc, nil
}

// JSON renders the document as indented JSON with a trailing newline.
func (d ExportDoc) JSON() ([]byte, error) {
	var b bytes.Buffer
	size := 64
	for _, p := range d.Prompts {
		for _, v := range p.Versions {
			size += len(v.Template) + 256
			for _, m := range v.Messages {
				size += len(m.Content) + 64
			}
		}
	}
	b.Grow(size + size/8)
	err := d.WriteJSON(&b)
	return b.Bytes(), err
}

// WriteJSON streams the document as the same indented JSON as JSON. Each
// prompt is encoded on its own so no buffer holds the whole registry twice.
func (d ExportDoc) WriteJSON(w io.Writer) error {
	head, err := marshalJSON(struct {
		Format int    `json:"verso_export"`
		Label  string `json:"label,omitempty"`
	}{d.Format, d.Label})
	if err != nil {
		return err
	}
	// head is `{\n  "verso_export": 1,...\n}\n`: reopen it to append prompts.
	head = bytes.TrimSuffix(bytes.TrimSpace(head), []byte("}"))
	head = append(bytes.TrimRight(head, "\n"), []byte(",\n  \"prompts\": [")...)
	if _, err := w.Write(head); err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("    ", "  ")
	for i, p := range d.Prompts {
		buf.Reset()
		if i > 0 {
			buf.WriteString(",")
		}
		buf.WriteString("\n    ")
		if err := enc.Encode(p); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		if _, err := w.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	tail := "\n  ]\n}\n"
	if len(d.Prompts) == 0 {
		tail = "]\n}\n"
	}
	_, err = io.WriteString(w, tail)
	return err
}

// YAML renders the document as YAML (templates as literal blocks).
func (d ExportDoc) YAML() ([]byte, error) { return marshalYAML(d) }

func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // templates are full of < and &
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func marshalYAML(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	enc.Close()
	return b.Bytes(), nil
}

// writeFileAtomic writes via a temporary file and a rename, so a reader (or
// an interrupted export) never sees half a file.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".verso-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteFileAtomic is writeFileAtomic for the CLI's --out files.
func WriteFileAtomic(path string, b []byte) error { return writeFileAtomic(path, b) }

// ImportReport says what an import changed.
type ImportReport struct {
	Prompts   int      // prompts in the input
	Created   int      // new versions committed
	Unchanged int      // versions whose content was already there
	Labels    int      // labels moved
	Lines     []string // one line per change, for the user
}

// Import reads an export (a .json or .yaml file, or a directory written by
// WriteDir) and commits what is not there yet, in one transaction: content
// already present (same hash) is not committed again, and labels are moved
// to the versions the export puts them on.
func (s *Store) Import(ctx context.Context, path, actor string) (ImportReport, error) {
	var rep ImportReport
	prompts, err := readImport(path)
	if err != nil {
		return rep, err
	}
	err = s.tx(ctx, "import "+path, func(tx *sql.Tx) error {
		rep = ImportReport{Prompts: len(prompts)}
		for _, p := range prompts {
			if err := s.importPrompt(ctx, tx, p, actor, path, &rep); err != nil {
				return err
			}
		}
		return nil
	})
	return rep, err
}

func (s *Store) importPrompt(ctx context.Context, tx *sql.Tx, p ExportPrompt, actor, path string, rep *ImportReport) error {
	if err := ValidName(p.Name); err != nil {
		return err
	}
	numbers := map[int]int{} // export number -> number here
	for i, ev := range p.Versions {
		in := CommitInput{Name: p.Name, Description: p.Description, Tags: p.Tags, Kind: ev.Kind, Dialect: ev.Dialect, Template: ev.Template,
			Messages: ev.Messages, Message: ev.Message, Author: ev.Author}
		if ev.Config != nil {
			in.Config = *ev.Config
		}
		if ev.CreatedAt != "" {
			t, err := time.Parse(time.RFC3339Nano, ev.CreatedAt)
			if err != nil {
				return fmt.Errorf("%s version %d: created_at %q: %v: %w", p.Name, i+1, ev.CreatedAt, err, ErrInvalid)
			}
			in.CreatedAt = t
		}
		if err := in.normalize(); err != nil {
			return fmt.Errorf("%s version %d: %w", p.Name, i+1, err)
		}
		hash, err := contentHash(in.Kind, in.Dialect, in.Template, in.Messages, in.Config)
		if err != nil {
			return err
		}
		var have int
		err = tx.QueryRowContext(ctx, `SELECT v.number FROM versions v JOIN prompts p ON p.id = v.prompt_id WHERE p.name = ? AND v.content_hash = ?
			ORDER BY v.number DESC LIMIT 1`, p.Name, hash).Scan(&have)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if have == 0 {
			if ev.Parent != 0 {
				in.Parent = numbers[ev.Parent]
			}
			v, err := s.commitTx(ctx, tx, in)
			if err != nil && !errors.Is(err, ErrNoChange) {
				return fmt.Errorf("%s: %w", p.Name, err)
			}
			have = v.Number
			rep.Created++
			rep.Lines = append(rep.Lines, fmt.Sprintf("%s: committed v%d", p.Name, have))
		} else {
			rep.Unchanged++
		}
		if ev.Number != 0 {
			numbers[ev.Number] = have
		}
		for _, l := range ev.Labels {
			if l == "latest" {
				continue
			}
			_, err := s.setLabelTx(ctx, tx, LabelInput{Prompt: p.Name, Label: l, Version: have, Actor: actor, Reason: "import from " + filepath.Base(path)})
			if errors.Is(err, ErrNoChange) {
				continue
			}
			if err != nil {
				return fmt.Errorf("%s: %w", p.Name, err)
			}
			rep.Labels++
			rep.Lines = append(rep.Lines, fmt.Sprintf("%s: %s -> v%d", p.Name, l, have))
		}
	}
	return nil
}

func notExist(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no such file or directory: %w", ErrNotFound)
	}
	return err
}
