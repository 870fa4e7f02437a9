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
	// LabelHistory is every label move, oldest first, and Suites the
	// prompt's test suites: only in full exports, so that importing one
	// into an empty file restores the prompt exactly.
	LabelHistory []ExportLabelEvent `json:"label_history,omitempty" yaml:"label_history,omitempty"`
	// Rollouts is every staged rollout of the prompt, oldest first, with
	// its plan, guards and state (full exports only, restored with the
	// history).
	Rollouts []ExportRollout `json:"rollouts,omitempty" yaml:"rollouts,omitempty"`
	Suites   []ExportSuite   `json:"suites,omitempty" yaml:"suites,omitempty"`
}

// ExportLabelEvent is one label move of a full export (From 0: the label
// was new; To 0: it was removed). The eval run that justified it is not
// exported: runs stay in the file they were made in.
type ExportLabelEvent struct {
	Label  string `json:"label" yaml:"label"`
	From   int    `json:"from,omitempty" yaml:"from,omitempty"`
	To     int    `json:"to,omitempty" yaml:"to,omitempty"`
	Actor  string `json:"actor,omitempty" yaml:"actor,omitempty"`
	At     string `json:"at" yaml:"at"`
	Reason string `json:"reason,omitempty" yaml:"reason,omitempty"`
	Forced bool   `json:"forced,omitempty" yaml:"forced,omitempty"`
	// ToSplit is the split the label moved to (To is then its major
	// version); Evidence the figures a rollout's step or abort was decided
	// on (JSON text); the rollouts themselves are ExportPrompt.Rollouts.
	ToSplit  *Split `json:"to_split,omitempty" yaml:"to_split,omitempty"`
	Evidence string `json:"evidence,omitempty" yaml:"evidence,omitempty"`
}

// ExportSuite is one test suite of a full export.
type ExportSuite struct {
	Name        string       `json:"name" yaml:"name"`
	Description string       `json:"description,omitempty" yaml:"description,omitempty"`
	Threshold   float64      `json:"threshold,omitempty" yaml:"threshold,omitempty"`
	Cases       []ExportCase `json:"cases" yaml:"cases"`
	// Skipped: what the import that made the suite left out (Suite.Skipped).
	Skipped []string `json:"skipped,omitempty" yaml:"skipped,omitempty"`
}

// ExportCase is one test case of an exported suite.
type ExportCase struct {
	Name       string         `json:"name,omitempty" yaml:"name,omitempty"`
	Vars       map[string]any `json:"vars,omitempty" yaml:"vars,omitempty"`
	Assertions []Assertion    `json:"assert,omitempty" yaml:"assert,omitempty"`
	Expected   string         `json:"expected,omitempty" yaml:"expected,omitempty"`
	Tags       []string       `json:"tags,omitempty" yaml:"tags,omitempty"`
	Threshold  *float64       `json:"threshold,omitempty" yaml:"threshold,omitempty"`
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
		return doc, fmt.Errorf("export: latest is not a label to export: export a label such as production, or every version: %w", ErrInvalid)
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
		if err := vrows.Err(); err != nil {
			return err
		}
		vrows.Close()
		if o.Label != "" {
			return nil
		}
		ids := map[string]int64{}
		for id, m := range meta {
			ids[m.Name] = id
		}
		for i := range doc.Prompts {
			if err := exportExtras(ctx, tx, ids[doc.Prompts[i].Name], &doc.Prompts[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return doc, s.wrap("export", err)
	}
	return doc, nil
}

// exportExtras adds a full export's label history and suites to p.
func exportExtras(ctx context.Context, tx *sql.Tx, pid int64, p *ExportPrompt) error {
	rows, err := tx.QueryContext(ctx, `SELECT label, COALESCE(from_version, 0), COALESCE(to_version, 0), actor, at, reason, forced, to_split, evidence
		FROM label_events WHERE prompt_id = ? ORDER BY id`, pid)
	if err != nil {
		return err
	}
	for rows.Next() {
		var e ExportLabelEvent
		var at int64
		var split *string
		if err := rows.Scan(&e.Label, &e.From, &e.To, &e.Actor, &at, &e.Reason, &e.Forced, &split, &e.Evidence); err != nil {
			rows.Close()
			return err
		}
		if e.ToSplit, err = decodeSplit(split); err != nil {
			rows.Close()
			return err
		}
		e.At = time.UnixMicro(at).UTC().Format(time.RFC3339Nano)
		p.LabelHistory = append(p.LabelHistory, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if p.Rollouts, err = exportRolloutsTx(ctx, tx, pid); err != nil {
		return err
	}
	type suiteRow struct {
		id int64
		es ExportSuite
	}
	var suites []suiteRow
	srows, err := tx.QueryContext(ctx, `SELECT id, name, description, threshold, skipped FROM suites WHERE prompt_id = ? ORDER BY name`, pid)
	if err != nil {
		return err
	}
	for srows.Next() {
		var r suiteRow
		var skipped string
		if err := srows.Scan(&r.id, &r.es.Name, &r.es.Description, &r.es.Threshold, &skipped); err != nil {
			srows.Close()
			return err
		}
		if err := json.Unmarshal([]byte(skipped), &r.es.Skipped); err != nil {
			srows.Close()
			return fmt.Errorf("suite %s: skipped: %v: %w", r.es.Name, err, ErrCorrupt)
		}
		if len(r.es.Skipped) == 0 {
			r.es.Skipped = nil
		}
		suites = append(suites, r)
	}
	srows.Close()
	if err := srows.Err(); err != nil {
		return err
	}
	for _, r := range suites {
		cases, err := readCases(ctx, tx, r.id)
		if err != nil {
			return err
		}
		r.es.Cases = []ExportCase{}
		for _, c := range cases {
			vars := c.Vars
			if len(vars) == 0 {
				vars = nil
			}
			r.es.Cases = append(r.es.Cases, ExportCase{Name: c.Name, Vars: vars, Assertions: c.Assertions, Expected: c.Expected, Tags: c.Tags, Threshold: c.Threshold})
		}
		p.Suites = append(p.Suites, r.es)
	}
	return nil
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
	var pid int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM prompts WHERE name = ?`, p.Name).Scan(&pid)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	// A prompt that is new here, from a full export with its history, is
	// restored as it was: the history is replayed and the labels end where
	// the history leaves them. Otherwise labels move to where the export
	// puts them, as any move, through the gate.
	replay := pid == 0 && len(p.LabelHistory) > 0
	reason := "import from " + filepath.Base(path)
	numbers := map[int]int{}  // export number -> number here
	matched := map[int]bool{} // numbers here that an exported version is
	type labelAt struct {
		label   string
		version int
	}
	var labels []labelAt
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
		// The same content may be here more than once (a restore commits
		// older content again): an exported version is the oldest version
		// here with its content that no earlier exported version is.
		have, err := unmatchedVersionTx(ctx, tx, p.Name, hash, matched)
		if err != nil {
			return err
		}
		if have == 0 {
			if ev.Parent != 0 {
				in.Parent = numbers[ev.Parent]
			}
			v, err := s.commitTx(ctx, tx, in)
			switch {
			case errors.Is(err, ErrNoChange):
				rep.Unchanged++
			case err != nil:
				return fmt.Errorf("%s: %w", p.Name, err)
			default:
				rep.Created++
				rep.Lines = append(rep.Lines, fmt.Sprintf("%s: committed v%d", p.Name, v.Number))
			}
			have = v.Number
		} else {
			rep.Unchanged++
		}
		matched[have] = true
		if ev.Number != 0 {
			numbers[ev.Number] = have
		}
		for _, l := range ev.Labels {
			if l != "latest" {
				labels = append(labels, labelAt{l, have})
			}
		}
	}
	if replay {
		if err := tx.QueryRowContext(ctx, `SELECT id FROM prompts WHERE name = ?`, p.Name).Scan(&pid); err != nil {
			return err
		}
		moves, err := s.replayHistoryTx(ctx, tx, pid, p, numbers)
		if err != nil {
			return err
		}
		rep.Labels += moves
		rep.Lines = append(rep.Lines, fmt.Sprintf("%s: label history restored (%d moves)", p.Name, moves))
		if len(p.Rollouts) > 0 {
			if err := s.importRolloutsTx(ctx, tx, pid, p, numbers); err != nil {
				return err
			}
			rep.Lines = append(rep.Lines, fmt.Sprintf("%s: rollouts restored (%d)", p.Name, len(p.Rollouts)))
		}
	}
	splits := exportedSplits(p, numbers)
	for _, l := range labels {
		in := LabelInput{Prompt: p.Name, Label: l.label, Version: l.version, Actor: actor, Reason: reason}
		sp := splits[l.label]
		if replay || sp != nil {
			cur, err := labelStateTx(ctx, tx, pid, l.label)
			if err != nil {
				return err
			}
			switch {
			case replay && cur.Split != nil && cur.Split.Has(l.version):
				// the history left the label where it was; a split holds
				// its versions already
				continue
			case !replay && sp.Has(l.version):
				// the export leaves the label split: it is split here too
				if sameTarget(cur.Version, cur.Split, sp.Major(), sp) {
					continue
				}
				in.Version, in.Split = 0, sp
			}
		}
		_, err := s.setLabelTx(ctx, tx, in)
		if errors.Is(err, ErrNoChange) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %w", p.Name, err)
		}
		rep.Labels++
		rep.Lines = append(rep.Lines, fmt.Sprintf("%s: %s -> v%d", p.Name, l.label, l.version))
	}
	for _, es := range p.Suites {
		if err := s.importSuiteTx(ctx, tx, p.Name, es); err != nil {
			return err
		}
		rep.Lines = append(rep.Lines, fmt.Sprintf("%s: suite %s (%d cases)", p.Name, es.Name, len(es.Cases)))
	}
	return nil
}

// exportedSplits is, per label, the split a full export's history leaves it
// on (in this file's version numbers), for the labels it leaves split.
func exportedSplits(p ExportPrompt, numbers map[int]int) map[string]*Split {
	out := map[string]*Split{}
	for _, e := range p.LabelHistory {
		delete(out, e.Label)
		if e.ToSplit == nil {
			continue
		}
		sp := *e.ToSplit
		sp.Arms = nil
		for _, a := range e.ToSplit.Arms {
			if numbers[a.Version] == 0 {
				break
			}
			sp.Arms = append(sp.Arms, Arm{Version: numbers[a.Version], Weight: a.Weight})
		}
		if len(sp.Arms) == len(e.ToSplit.Arms) && sp.Check() == nil {
			out[e.Label] = &sp
		}
	}
	return out
}

// unmatchedVersionTx is the oldest version of prompt with content hash
// that is not in matched (0 if none).
func unmatchedVersionTx(ctx context.Context, tx *sql.Tx, prompt, hash string, matched map[int]bool) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT v.number FROM versions v JOIN prompts p ON p.id = v.prompt_id WHERE p.name = ? AND v.content_hash = ?
		ORDER BY v.number`, prompt, hash)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			return 0, err
		}
		if !matched[n] {
			return n, nil
		}
	}
	return 0, rows.Err()
}

// replayHistoryTx applies an exported label history to a prompt that was
// just created by the import, recording each move with its actor, time,
// reason and forced flag. It does not consult the gate: these moves were
// made (and gated) in the registry the export came from, and the prompt has
// no suites yet. It returns the number of moves.
func (s *Store) replayHistoryTx(ctx context.Context, tx *sql.Tx, pid int64, p ExportPrompt, numbers map[int]int) (int, error) {
	n := 0
	for i, e := range p.LabelHistory {
		if err := ValidLabel(e.Label); err != nil {
			return n, fmt.Errorf("%s label history %d: %w", p.Name, i+1, err)
		}
		at, err := time.Parse(time.RFC3339Nano, e.At)
		if err != nil {
			return n, fmt.Errorf("%s label history %d: at %q: %v: %w", p.Name, i+1, e.At, err, ErrInvalid)
		}
		to := 0
		if e.To != 0 {
			if to = numbers[e.To]; to == 0 {
				return n, fmt.Errorf("%s label history %d: %s moves to v%d, which is not in the export: %w", p.Name, i+1, e.Label, e.To, ErrInvalid)
			}
		}
		target := labelState{Version: to}
		if e.ToSplit != nil {
			sp := *e.ToSplit
			sp.Arms = nil
			for _, a := range e.ToSplit.Arms {
				v := numbers[a.Version]
				if v == 0 {
					return n, fmt.Errorf("%s label history %d: %s splits to v%d, which is not in the export: %w", p.Name, i+1, e.Label, a.Version, ErrInvalid)
				}
				sp.Arms = append(sp.Arms, Arm{Version: v, Weight: a.Weight})
			}
			if err := sp.Check(); err != nil {
				return n, fmt.Errorf("%s label history %d: %w", p.Name, i+1, err)
			}
			target = labelState{Version: sp.Major(), Split: &sp}
		}
		from, err := labelStateTx(ctx, tx, pid, e.Label)
		if err != nil {
			return n, err
		}
		if sameTarget(from.Version, from.Split, target.Version, target.Split) {
			continue
		}
		if _, err := changeLabelTx(ctx, tx, pid, p.Name, e.Label, from, target, labelNote{actor: e.Actor, reason: e.Reason, forced: e.Forced, at: at.UTC().UnixMicro(), evidence: e.Evidence}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// importSuiteTx creates or replaces a suite from an export.
func (s *Store) importSuiteTx(ctx context.Context, tx *sql.Tx, prompt string, es ExportSuite) error {
	if err := ValidLabel(es.Name); err != nil && !errors.Is(err, ErrLatestLabel) {
		return fmt.Errorf("%s: suite name %q: use lower-case letters, digits, '.', '_' and '-': %w", prompt, es.Name, ErrInvalid)
	}
	su := Suite{Name: es.Name, Description: es.Description, Threshold: es.Threshold, Skipped: es.Skipped}
	for _, c := range es.Cases {
		su.Cases = append(su.Cases, Case{Name: c.Name, Vars: c.Vars, Assertions: c.Assertions, Expected: c.Expected, Tags: c.Tags, Threshold: c.Threshold})
	}
	_, err := s.saveSuiteTx(ctx, tx, prompt, su)
	return err
}

func notExist(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no such file or directory: %w", ErrNotFound)
	}
	return err
}
