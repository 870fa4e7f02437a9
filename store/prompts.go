package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"
)

var (
	segmentRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	labelRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
)

// MaxNameLen and MaxLabelLen bound prompt and label names (bytes).
const (
	MaxNameLen  = 200
	MaxLabelLen = 64
)

// ValidName checks a prompt name: '/'-separated folders and a final name,
// each segment lower-case letters, digits, '.', '_' and '-', starting with a
// letter or digit. So no segment is empty, "." or "..": a name is always a
// path inside an export folder, and two names never map to one file.
func ValidName(name string) error {
	if len(name) > MaxNameLen {
		return fmt.Errorf("invalid prompt name %s: it is %d bytes long, the limit is %d: %w", quoteName(name), len(name), MaxNameLen, ErrInvalid)
	}
	ok := len(name) > 0
	for _, seg := range strings.Split(name, "/") {
		if !ok {
			break
		}
		ok = segmentRE.MatchString(seg)
	}
	if !ok {
		return fmt.Errorf("invalid prompt name %s: use lower-case letters, digits, '.', '_', '-' and '/' between folders, each part starting with a letter or digit (e.g. support/reply): %w",
			quoteName(name), ErrInvalid)
	}
	return nil
}

// ValidLabel checks a label name: lower-case ASCII letters, digits, '.',
// '_' and '-', starting with a letter or digit, not a number, at most
// MaxLabelLen characters, and not "latest". Every way a label enters the
// registry (label, import, gate settings, the TUI) goes through it.
func ValidLabel(label string) error {
	if label == "latest" {
		return fmt.Errorf("label %q: %w", label, ErrLatestLabel)
	}
	if len(label) > MaxLabelLen {
		return fmt.Errorf("invalid label %s: it is %d bytes long, the limit is %d: %w", quoteName(label), len(label), MaxLabelLen, ErrInvalid)
	}
	if !labelRE.MatchString(label) {
		return fmt.Errorf("invalid label %s: use lower-case letters, digits, '.', '_' and '-' (e.g. production, canary-eu): %w", quoteName(label), ErrInvalid)
	}
	if _, err := strconv.Atoi(label); err == nil {
		return fmt.Errorf("invalid label %q: a label cannot be a number (numbers are versions): %w", label, ErrInvalid)
	}
	return nil
}

// quoteName quotes a refused name for an error message: Go-quoted, so
// control characters, invisible and look-alike characters show as escapes
// (\u200b, \u0455), and cut short when it is long.
func quoteName(s string) string {
	const max = 80
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.QuoteToASCII(s[:cut]) + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return strconv.QuoteToASCII(s)
}

// ParseRef splits "name@selector". The selector is "" for a bare name, a
// version number, "latest" or a label.
func ParseRef(ref string) (name, selector string, err error) {
	name, selector, _ = strings.Cut(ref, "@")
	if err := ValidName(name); err != nil {
		return "", "", err
	}
	if strings.Contains(ref, "@") && selector == "" {
		return "", "", fmt.Errorf("reference %q: nothing after '@': use name@3, name@production or name@latest: %w", ref, ErrInvalid)
	}
	return name, selector, nil
}

// contentHash is the sha256 of the canonical JSON of kind, dialect, content
// and config. encoding/json sorts map keys, and Config's fields have a fixed
// order, so equal content always hashes equal. The dialect is in the
// document only when it is not mustache: every version committed before
// dialects existed keeps its hash, and the same text in another dialect is
// other content.
func contentHash(kind Kind, dialect Dialect, template string, messages []Message, cfg Config) (string, error) {
	if dialect == DialectMustache {
		dialect = ""
	}
	doc := struct {
		Kind     Kind      `json:"kind"`
		Dialect  Dialect   `json:"dialect,omitempty"`
		Template string    `json:"template,omitempty"`
		Messages []Message `json:"messages,omitempty"`
		Config   Config    `json:"config"`
	}{kind, dialect, template, messages, cfg}
	if kind == KindChat {
		doc.Template = ""
	} else {
		doc.Messages = nil
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// normalizeConfig round-trips free-form fields through JSON so that values
// decoded from YAML (map[string]any with odd number types) hash and store
// the same as values decoded from JSON.
func normalizeConfig(c Config) (Config, error) {
	if c.ResponseFormat == nil && c.Tools == nil {
		return c, nil
	}
	b, err := json.Marshal(c)
	if err != nil {
		return c, fmt.Errorf("model config: %v: %w", err, ErrInvalid)
	}
	var out Config
	if err := json.Unmarshal(b, &out); err != nil {
		return c, fmt.Errorf("model config: %v: %w", err, ErrInvalid)
	}
	return out, nil
}

// CommitInput is the content of a new version.
type CommitInput struct {
	Name        string
	Description string // applied when creating the prompt, or when non-empty
	Tags        []string
	Kind        Kind
	Dialect     Dialect // "" = mustache
	Template    string
	Messages    []Message
	Config      Config
	Message     string
	Author      string
	Parent      int       // version it was edited from; 0 = the current latest
	CreatedAt   time.Time // zero = now
}

func (in *CommitInput) normalize() error {
	if err := ValidName(in.Name); err != nil {
		return err
	}
	for _, f := range []struct{ field, s string }{{"description", in.Description}, {"template", in.Template},
		{"commit message", in.Message}, {"author", in.Author}} {
		if err := validUTF8(f.field, f.s); err != nil {
			return fmt.Errorf("commit %s: %w", in.Name, err)
		}
	}
	if err := validUTF8Value("tags", in.Tags); err != nil {
		return fmt.Errorf("commit %s: %w", in.Name, err)
	}
	for i, m := range in.Messages {
		if err := validUTF8(fmt.Sprintf("message %d", i+1), m.Content); err != nil {
			return fmt.Errorf("commit %s: %w", in.Name, err)
		}
	}
	if err := validUTF8Config(in.Config); err != nil {
		return fmt.Errorf("commit %s: model config: %w", in.Name, err)
	}
	if in.Kind == "" {
		in.Kind = KindText
		if len(in.Messages) > 0 && in.Template == "" {
			in.Kind = KindChat
		}
	}
	switch in.Kind {
	case KindText:
		if strings.TrimSpace(in.Template) == "" {
			return fmt.Errorf("commit %s: the template is empty: %w", in.Name, ErrInvalid)
		}
		in.Messages = nil
	case KindChat:
		if len(in.Messages) == 0 {
			return fmt.Errorf("commit %s: a chat prompt needs at least one message: %w", in.Name, ErrInvalid)
		}
		for i, m := range in.Messages {
			switch m.Role {
			case "system", "user", "assistant", "developer", "tool":
			default:
				return fmt.Errorf("commit %s: message %d has role %q: use system, user, assistant or developer: %w", in.Name, i+1, m.Role, ErrInvalid)
			}
		}
		in.Template = ""
	default:
		return fmt.Errorf("commit %s: unknown kind %q (text or chat): %w", in.Name, in.Kind, ErrInvalid)
	}
	size := len(in.Template)
	for _, m := range in.Messages {
		size += len(m.Content)
	}
	if size > MaxContentBytes {
		return fmt.Errorf("commit %s: the content is %.1f MiB: a version holds at most %d MiB of template or messages: %w",
			in.Name, float64(size)/(1<<20), MaxContentBytes>>20, ErrInvalid)
	}
	if err := ValidDialect(in.Dialect); err != nil {
		return fmt.Errorf("commit %s: %w", in.Name, err)
	}
	if in.Dialect == "" {
		in.Dialect = DialectMustache
	}
	cfg, err := normalizeConfig(in.Config)
	if err != nil {
		return err
	}
	in.Config = cfg
	return nil
}

// MaxContentBytes bounds a version's template or messages (1 MiB: about
// 250,000 tokens, more than any model's context).
const MaxContentBytes = 1 << 20

// Commit records new content as the next version of a prompt, creating the
// prompt if it is new. Content identical to the latest version is not
// committed: Commit returns the latest version and an error wrapping
// ErrNoChange.
func (s *Store) Commit(ctx context.Context, in CommitInput) (Version, error) {
	vs, err := s.CommitMany(ctx, []CommitInput{in})
	if len(vs) == 1 {
		return vs[0], err
	}
	return Version{}, err
}

// CommitMany commits several versions in one transaction (bulk loads,
// imports). A no-change entry is skipped; if it is the only entry the
// ErrNoChange error is returned with the latest version.
func (s *Store) CommitMany(ctx context.Context, ins []CommitInput) ([]Version, error) {
	for i := range ins {
		if err := ins[i].normalize(); err != nil {
			return nil, err
		}
	}
	op := "commit"
	if len(ins) == 1 {
		op = "commit " + ins[0].Name
	}
	var out []Version
	var noChange error
	err := s.tx(ctx, op, func(tx *sql.Tx) error {
		out = out[:0]
		noChange = nil
		for _, in := range ins {
			v, err := s.commitTx(ctx, tx, in)
			if errors.Is(err, ErrNoChange) {
				noChange = err
				if len(ins) == 1 {
					out = append(out, v)
				}
				continue
			}
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(ins) == 1 && noChange != nil {
		return out, noChange
	}
	return out, nil
}

func (s *Store) commitTx(ctx context.Context, tx *sql.Tx, in CommitInput) (Version, error) {
	hash, err := contentHash(in.Kind, in.Dialect, in.Template, in.Messages, in.Config)
	if err != nil {
		return Version{}, err
	}
	created := in.CreatedAt
	if created.IsZero() {
		created = s.now()
	}
	at := created.UTC().UnixMicro()

	var pid int64
	var latest int
	err = tx.QueryRowContext(ctx, `SELECT id, latest FROM prompts WHERE name = ?`, in.Name).Scan(&pid, &latest)
	if errors.Is(err, sql.ErrNoRows) {
		tags, _ := json.Marshal(nonNil(in.Tags))
		if err := tx.QueryRowContext(ctx, `INSERT INTO prompts (name, description, tags, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
			in.Name, in.Description, string(tags), at).Scan(&pid); err != nil {
			return Version{}, err
		}
	} else if err != nil {
		return Version{}, err
	} else if in.Description != "" || in.Tags != nil {
		if in.Description != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE prompts SET description = ? WHERE id = ?`, in.Description, pid); err != nil {
				return Version{}, err
			}
		}
		if in.Tags != nil {
			tags, _ := json.Marshal(in.Tags)
			if _, err := tx.ExecContext(ctx, `UPDATE prompts SET tags = ? WHERE id = ?`, string(tags), pid); err != nil {
				return Version{}, err
			}
		}
	}

	if latest > 0 {
		var latestHash string
		if err := tx.QueryRowContext(ctx, `SELECT content_hash FROM versions WHERE prompt_id = ? AND number = ?`, pid, latest).Scan(&latestHash); err != nil {
			return Version{}, err
		}
		if latestHash == hash {
			v, err := scanVersion(tx.QueryRowContext(ctx, versionSelect+` WHERE v.prompt_id = ? AND v.number = ?`, pid, latest))
			if err != nil {
				return Version{}, err
			}
			return v, fmt.Errorf("%s: content is identical to v%d, nothing committed: %w", in.Name, latest, ErrNoChange)
		}
	}
	parent := in.Parent
	if parent == 0 {
		parent = latest
	} else if parent < 1 || parent > latest {
		return Version{}, fmt.Errorf("%s: parent version %d does not exist (latest is %d): %w", in.Name, parent, latest, ErrNotFound)
	}
	msgs, _ := json.Marshal(nonNil(in.Messages))
	cfg, _ := json.Marshal(in.Config)
	number := latest + 1
	var id int64
	if err := tx.QueryRowContext(ctx, `INSERT INTO versions (prompt_id, number, kind, dialect, template, messages, config, message, author, created_at, parent, content_hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		pid, number, string(in.Kind), string(in.Dialect), in.Template, string(msgs), string(cfg), in.Message, in.Author, at, nullInt(parent), hash).Scan(&id); err != nil {
		return Version{}, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE prompts SET latest = ?, latest_at = ?, latest_author = ?, latest_message = ? WHERE id = ?`,
		number, at, in.Author, in.Message, pid); err != nil {
		return Version{}, err
	}
	return Version{
		ID: id, PromptID: pid, Prompt: in.Name, Number: number, Kind: in.Kind, Dialect: in.Dialect,
		Template: in.Template, Messages: in.Messages, Config: in.Config,
		Message: in.Message, Author: in.Author, CreatedAt: time.UnixMicro(at).UTC(),
		Parent: parent, Hash: hash,
	}, nil
}

const versionSelect = `SELECT v.id, v.prompt_id, p.name, v.number, v.kind, v.dialect, v.template, v.messages, v.config, v.message, v.author, v.created_at, COALESCE(v.parent, 0), v.content_hash
	FROM versions v JOIN prompts p ON p.id = v.prompt_id`

type rowScanner interface{ Scan(...any) error }

func scanVersion(r rowScanner) (Version, error) {
	var v Version
	var kind, dialect, msgs, cfg string
	var at int64
	if err := r.Scan(&v.ID, &v.PromptID, &v.Prompt, &v.Number, &kind, &dialect, &v.Template, &msgs, &cfg, &v.Message, &v.Author, &at, &v.Parent, &v.Hash); err != nil {
		return v, err
	}
	v.Kind = Kind(kind)
	v.Dialect = Dialect(dialect)
	v.CreatedAt = time.UnixMicro(at).UTC()
	if v.Kind == KindChat {
		if err := json.Unmarshal([]byte(msgs), &v.Messages); err != nil {
			return v, fmt.Errorf("version %d: messages: %w", v.Number, err)
		}
	}
	if err := json.Unmarshal([]byte(cfg), &v.Config); err != nil {
		return v, fmt.Errorf("version %d: config: %w", v.Number, err)
	}
	return v, nil
}

// ListOptions filter the prompt list.
type ListOptions struct {
	Tag   string // only prompts with this tag
	Label string // only prompts that have this label
	Query string // substring of the name
}

// ListPrompts lists prompts (not archived) sorted by name, with their latest
// version's metadata and their labels.
func (s *Store) ListPrompts(ctx context.Context, o ListOptions) ([]PromptSummary, error) {
	// Labels and prompts are read on two connections at once: on a large
	// registry each query is a few thousand rows of SQLite work.
	type labelsResult struct {
		m   map[int64]map[string]int
		err error
	}
	lc := make(chan labelsResult, 1)
	go func() {
		m, err := s.allLabels(ctx)
		lc <- labelsResult{m, err}
	}()

	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM prompts`).Scan(&n); err != nil {
		<-lc
		return nil, s.wrap("list prompts", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, description, tags, created_at, latest, latest_at, latest_author, latest_message
		FROM prompts WHERE archived_at IS NULL ORDER BY name`)
	if err != nil {
		<-lc
		return nil, s.wrap("list prompts", err)
	}
	all := make([]PromptSummary, 0, n)
	for rows.Next() {
		all = append(all, PromptSummary{})
		ps := &all[len(all)-1]
		var tags string
		var created, latestAt int64
		if err := rows.Scan(&ps.ID, &ps.Name, &ps.Description, &tags, &created, &ps.Latest, &latestAt, &ps.LatestAuthor, &ps.LatestMessage); err != nil {
			rows.Close()
			<-lc
			return nil, s.wrap("list prompts", err)
		}
		ps.Tags = decodeTags(tags)
		ps.CreatedAt = time.UnixMicro(created).UTC()
		ps.LatestAt = time.UnixMicro(latestAt).UTC()
	}
	rows.Close()
	lr := <-lc
	if err := rows.Err(); err != nil {
		return nil, s.wrap("list prompts", err)
	}
	if lr.err != nil {
		return nil, lr.err
	}
	out := all[:0]
	for _, ps := range all {
		ps.Labels = lr.m[ps.ID]
		if ps.Labels == nil {
			ps.Labels = map[string]int{}
		}
		if o.Tag != "" && !contains(ps.Tags, o.Tag) {
			continue
		}
		if o.Label != "" {
			if _, ok := ps.Labels[o.Label]; !ok {
				continue
			}
		}
		if o.Query != "" && !strings.Contains(ps.Name, o.Query) {
			continue
		}
		out = append(out, ps)
	}
	return out, nil
}

// allLabels maps prompt id -> label -> version.
func (s *Store) allLabels(ctx context.Context) (map[int64]map[string]int, error) {
	labels := map[int64]map[string]int{}
	rows, err := s.db.QueryContext(ctx, `SELECT prompt_id, name, version FROM labels`)
	if err != nil {
		return nil, s.wrap("list labels", err)
	}
	defer rows.Close()
	// A registry has a handful of label names: one string each, shared.
	names := map[string]string{}
	var raw sql.RawBytes
	for rows.Next() {
		var pid int64
		var ver int
		if err := rows.Scan(&pid, &raw, &ver); err != nil {
			return nil, s.wrap("list labels", err)
		}
		name, ok := names[string(raw)]
		if !ok {
			name = string(raw)
			names[name] = name
		}
		m := labels[pid]
		if m == nil {
			m = make(map[string]int, 2)
			labels[pid] = m
		}
		m[name] = ver
	}
	return labels, s.wrap("list labels", rows.Err())
}

// Prompt returns one prompt by name.
func (s *Store) Prompt(ctx context.Context, name string) (Prompt, error) {
	var p Prompt
	var tags string
	var created int64
	var archived sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT id, name, description, tags, created_at, archived_at FROM prompts WHERE name = ?`, name).
		Scan(&p.ID, &p.Name, &p.Description, &tags, &created, &archived)
	if errors.Is(err, sql.ErrNoRows) {
		return p, s.notFound(ctx, name)
	}
	if err != nil {
		return p, s.wrap("prompt "+name, err)
	}
	p.Tags = decodeTags(tags)
	p.CreatedAt = time.UnixMicro(created).UTC()
	if archived.Valid {
		t := time.UnixMicro(archived.Int64).UTC()
		p.ArchivedAt = &t
	}
	return p, nil
}

// notFound builds the "no prompt" error with a suggestion when a name is close.
func (s *Store) notFound(ctx context.Context, name string) error {
	if sug := s.Suggest(ctx, name); sug != "" {
		return &MissingError{Kind: MissingPrompt, Prompt: name, Name: name, Have: []string{sug}, msg: fmt.Sprintf("no prompt named %q: did you mean %q?", name, sug)}
	}
	return &MissingError{Kind: MissingPrompt, Prompt: name, Name: name, msg: fmt.Sprintf("no prompt named %q", name)}
}

// Suggest returns the existing prompt name closest to name, or "" when none
// is close enough to be a likely typo.
func (s *Store) Suggest(ctx context.Context, name string) string {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM prompts`)
	if err != nil {
		return ""
	}
	defer rows.Close()
	best, bestD := "", 1<<30
	for rows.Next() {
		var n string
		if rows.Scan(&n) != nil {
			return ""
		}
		d := levenshtein.ComputeDistance(name, n)
		// A folder-less name matching the last path element is a strong hint.
		if i := strings.LastIndexByte(n, '/'); i >= 0 && n[i+1:] == name {
			d = 1
		}
		if d < bestD {
			best, bestD = n, d
		}
	}
	limit := len(name) / 3
	if limit < 2 {
		limit = 2
	}
	if bestD <= limit {
		return best
	}
	return ""
}

// History lists every version of a prompt, newest first, with labels.
func (s *Store) History(ctx context.Context, name string) ([]Version, error) {
	p, err := s.Prompt(ctx, name)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, versionSelect+` WHERE v.prompt_id = ? ORDER BY v.number DESC`, p.ID)
	if err != nil {
		return nil, s.wrap("history "+name, err)
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		v, err := scanVersion(rows)
		if err != nil {
			return nil, s.wrap("history "+name, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("history "+name, err)
	}
	byVersion, err := s.labelsByVersion(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Labels = byVersion[out[i].Number]
	}
	return out, nil
}

func (s *Store) labelsByVersion(ctx context.Context, pid int64) (map[int][]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name, version FROM labels WHERE prompt_id = ? ORDER BY name`, pid)
	if err != nil {
		return nil, s.wrap("labels", err)
	}
	defer rows.Close()
	m := map[int][]string{}
	for rows.Next() {
		var n string
		var v int
		if err := rows.Scan(&n, &v); err != nil {
			return nil, s.wrap("labels", err)
		}
		m[v] = append(m[v], n)
	}
	return m, s.wrap("labels", rows.Err())
}

// Version returns one version of a prompt by number, with its labels.
func (s *Store) Version(ctx context.Context, name string, number int) (Version, error) {
	v, err := scanVersion(s.db.QueryRowContext(ctx, versionSelect+` WHERE p.name = ? AND v.number = ?`, name, number))
	if errors.Is(err, sql.ErrNoRows) {
		p, perr := s.Prompt(ctx, name)
		if perr != nil {
			return v, perr
		}
		var latest int
		s.db.QueryRowContext(ctx, `SELECT latest FROM prompts WHERE id = ?`, p.ID).Scan(&latest)
		return v, fmt.Errorf("%s has no version %d (latest is v%d): %w", name, number, latest, ErrNotFound)
	}
	if err != nil {
		return v, s.wrap(fmt.Sprintf("%s@%d", name, number), err)
	}
	byVersion, err := s.labelsByVersion(ctx, v.PromptID)
	if err != nil {
		return v, err
	}
	v.Labels = byVersion[v.Number]
	return v, nil
}

// Resolve returns the version a reference names, with application
// semantics: a bare name means name@production.
func (s *Store) Resolve(ctx context.Context, ref string) (Version, error) {
	return s.resolve(ctx, ref, "production", "")
}

// ResolveUnit is Resolve for one unit (user, session): a label that is a
// split resolves to the arm the unit is assigned to (Split.Assign, with the
// weights of a running rollout as the clock has them), and the version's
// Arm says which. No unit ("") draws a random arm.
func (s *Store) ResolveUnit(ctx context.Context, ref, unit string) (Version, error) {
	return s.resolve(ctx, ref, "production", unit)
}

// LookupUnit is Lookup for one unit (see ResolveUnit).
func (s *Store) LookupUnit(ctx context.Context, ref, unit string) (Version, error) {
	return s.resolve(ctx, ref, "latest", unit)
}

// Lookup returns the version a reference names, with CLI and UI semantics:
// a bare name means the newest version.
func (s *Store) Lookup(ctx context.Context, ref string) (Version, error) {
	return s.resolve(ctx, ref, "latest", "")
}

func (s *Store) resolve(ctx context.Context, ref, bare, unit string) (Version, error) {
	name, sel, err := ParseRef(ref)
	if err != nil {
		return Version{}, err
	}
	if sel == "" {
		sel = bare
	}
	if n, ok := versionNumber(sel); ok {
		if n < 1 {
			return Version{}, fmt.Errorf("reference %q: version numbers start at 1: %w", ref, ErrInvalid)
		}
		return s.Version(ctx, name, n)
	}
	var v Version
	if sel == "latest" {
		v, err = scanVersion(s.db.QueryRowContext(ctx, versionSelect+` WHERE p.name = ? AND v.number = p.latest`, name))
	} else {
		v, err = s.resolveLabel(ctx, name, sel, unit) // with its labels
	}
	if errors.Is(err, sql.ErrNoRows) {
		if _, perr := s.Prompt(ctx, name); perr != nil {
			return v, perr
		}
		if sel == "latest" {
			return v, fmt.Errorf("%s has no versions yet: %w", name, ErrNotFound)
		}
		return v, s.missingLabel(ctx, name, sel)
	}
	if err != nil {
		return v, s.wrap("resolve "+ref, err)
	}
	if sel != "latest" {
		return v, nil
	}
	byVersion, err := s.labelsByVersion(ctx, v.PromptID)
	if err != nil {
		return v, err
	}
	v.Labels = byVersion[v.Number]
	return v, nil
}

// resolveLabel reads the version a label gives a unit: the label's version,
// or for a split the unit's arm under the weights in force, with the
// version's labels. One prepared statement reads the label, its rollout and
// every version it can give (with their labels), so all come from one
// snapshot and one round trip.
func (s *Store) resolveLabel(ctx context.Context, name, label, unit string) (Version, error) {
	q := resolveLabelSQLite
	if s.pg != nil {
		q = resolveLabelPostgres
	}
	st, err := s.prepared(ctx, q)
	if err != nil {
		return Version{}, err
	}
	rows, err := st.QueryContext(ctx, name, label)
	if err != nil {
		return Version{}, err
	}
	defer rows.Close()
	var in InForce
	var rr rolloutRow
	arms := map[int]Version{}
	labels := map[int]string{}
	for rows.Next() {
		var v Version
		var at int64
		var kind, dialect, msgs, cfg string
		var names sql.NullString
		if err := rows.Scan(append(rr.dest(&in),
			&v.ID, &v.PromptID, &v.Prompt, &v.Number, &kind, &dialect, &v.Template, &msgs, &cfg, &v.Message, &v.Author, &at, &v.Parent, &v.Hash,
			&names)...); err != nil {
			return Version{}, err
		}
		v.Kind, v.Dialect, v.CreatedAt = Kind(kind), Dialect(dialect), time.UnixMicro(at).UTC()
		if v.Kind == KindChat {
			if err := json.Unmarshal([]byte(msgs), &v.Messages); err != nil {
				return v, fmt.Errorf("version %d: messages: %w", v.Number, err)
			}
		}
		if err := json.Unmarshal([]byte(cfg), &v.Config); err != nil {
			return v, fmt.Errorf("version %d: config: %w", v.Number, err)
		}
		arms[v.Number], labels[v.Number] = v, names.String
	}
	if err := rows.Err(); err != nil {
		return Version{}, err
	}
	if len(arms) == 0 {
		return Version{}, sql.ErrNoRows
	}
	if err := s.inForce(&in, &rr); err != nil {
		return Version{}, err
	}
	number, arm := in.Pick(unit)
	v, ok := arms[number]
	if !ok {
		return Version{}, fmt.Errorf("%s@%s gives v%d, which was not read with the label: %w", name, label, number, ErrCorrupt)
	}
	v.Arm = arm
	if names := labels[number]; names != "" {
		v.Labels = strings.Split(names, "\x1f")
		sort.Strings(v.Labels)
	}
	return v, nil
}

// labelColumns reads a label and its live rollout (if any); rolloutRow.dest
// scans them.
const labelColumns = `l.prompt_id, l.version, l.split, r.id AS rid, COALESCE(r.from_version, 0) AS from_version, COALESCE(r.to_version, 0) AS to_version,
	COALESCE(r.steps, '[]') AS steps, COALESCE(r.every_ms, 0) AS every_ms, CASE WHEN r.guards IS NOT NULL AND r.guards <> '[]' THEN 1 ELSE 0 END AS guarded,
	COALESCE(r.state, '') AS state, COALESCE(r.step, 0) AS step, COALESCE(r.step_at, 0) AS step_at, COALESCE(r.verified, -1) AS verified,
	COALESCE(r.verified_at, 0) AS verified_at, COALESCE(r.checked_at, 0) AS checked_at
	FROM labels l JOIN prompts p ON p.id = l.prompt_id
	LEFT JOIN rollouts r ON r.prompt_id = l.prompt_id AND r.label = l.name AND r.state IN ('running', 'paused')
	WHERE p.name = ? AND l.name = ?`

// The versions a label can give: its own, a rollout's two, and each arm of
// its split (JSON, read per backend). Each comes with its labels, joined by
// U+001F (not allowed in a label name).
const (
	resolveLabelSQLite = `WITH lr AS MATERIALIZED (SELECT ` + labelColumns + `),
	arms(n) AS (SELECT version FROM lr UNION SELECT from_version FROM lr UNION SELECT to_version FROM lr
		UNION SELECT json_extract(a.value, '$.version') FROM lr, json_each(lr.split, '$.arms') a)
	SELECT lr.prompt_id, lr.version, lr.split, lr.rid, lr.from_version, lr.to_version, lr.steps, lr.every_ms, lr.guarded, lr.state, lr.step, lr.step_at, lr.verified, lr.verified_at, lr.checked_at,
		v.id, v.prompt_id, p.name, v.number, v.kind, v.dialect, v.template, v.messages, v.config, v.message, v.author, v.created_at, COALESCE(v.parent, 0), v.content_hash,
		(SELECT group_concat(x.name, char(31)) FROM labels x WHERE x.prompt_id = v.prompt_id AND x.version = v.number)
	FROM lr JOIN arms ON arms.n > 0 JOIN versions v ON v.prompt_id = lr.prompt_id AND v.number = arms.n JOIN prompts p ON p.id = v.prompt_id`
	resolveLabelPostgres = `WITH lr AS MATERIALIZED (SELECT ` + labelColumns + `),
	arms(n) AS (SELECT version FROM lr UNION SELECT from_version FROM lr UNION SELECT to_version FROM lr
		UNION SELECT (a ->> 'version')::bigint FROM lr, jsonb_array_elements(lr.split::jsonb -> 'arms') a)
	SELECT lr.prompt_id, lr.version, lr.split, lr.rid, lr.from_version, lr.to_version, lr.steps, lr.every_ms, lr.guarded, lr.state, lr.step, lr.step_at, lr.verified, lr.verified_at, lr.checked_at,
		v.id, v.prompt_id, p.name, v.number, v.kind, v.dialect, v.template, v.messages, v.config, v.message, v.author, v.created_at, COALESCE(v.parent, 0), v.content_hash,
		(SELECT string_agg(x.name, chr(31)) FROM labels x WHERE x.prompt_id = v.prompt_id AND x.version = v.number)
	FROM lr JOIN arms ON arms.n > 0 JOIN versions v ON v.prompt_id = lr.prompt_id AND v.number = arms.n JOIN prompts p ON p.id = v.prompt_id`
)

// rolloutRow holds labelColumns as scanned.
type rolloutRow struct {
	split                         *string
	rid                           sql.NullInt64
	r                             Rollout
	steps                         string
	every, stepAt, verAt, checkAt int64
	guarded                       bool
}

func (rr *rolloutRow) dest(in *InForce) []any {
	return []any{&in.promptID, &in.Version, &rr.split, &rr.rid, &rr.r.From, &rr.r.To,
		&rr.steps, &rr.every, &rr.guarded, &rr.r.State, &rr.r.Step, &rr.stepAt, &rr.r.Verified, &rr.verAt, &rr.checkAt}
}

// InForce is what a label gives units now: one version, or a split under
// the weights in force (a running rollout's clock included).
type InForce struct {
	LabelState
	// Rollout is set while a rollout owns the label: what it gives can
	// change with the clock or another process at any moment, so a cache
	// must not keep it.
	Rollout  bool
	promptID int64
}

// Pick returns the version and arm a unit gets ("" unit: a random arm).
func (in InForce) Pick(unit string) (int, string) {
	if in.Split == nil {
		return in.Version, ""
	}
	v := in.Split.Assign(unit).Version
	return v, ArmName(v)
}

// LabelInForce reads what a label gives units now (see InForce). A missing
// prompt or label is a *MissingError.
func (s *Store) LabelInForce(ctx context.Context, name, label string) (InForce, error) {
	in, err := s.labelInForce(ctx, name, label)
	if errors.Is(err, sql.ErrNoRows) {
		return in, s.missingLabel(ctx, name, label)
	}
	return in, s.wrap("resolve "+name+"@"+label, err)
}

func (s *Store) labelInForce(ctx context.Context, name, label string) (InForce, error) {
	// One statement, so one snapshot for the label and its rollout: read
	// apart, an abort committing between them would pair the old split
	// with no rollout.
	var in InForce
	var rr rolloutRow
	st, err := s.prepared(ctx, `SELECT `+labelColumns)
	if err != nil {
		return in, err
	}
	if err := st.QueryRowContext(ctx, name, label).Scan(rr.dest(&in)...); err != nil {
		return in, err
	}
	return in, s.inForce(&in, &rr)
}

// inForce completes what a label gives from its scanned row: the split, and
// under a rollout the weights the clock has reached.
func (s *Store) inForce(in *InForce, rr *rolloutRow) error {
	var err error
	if in.Split, err = decodeSplit(rr.split); err != nil || in.Split == nil || !rr.rid.Valid {
		return err
	}
	in.Rollout = true
	r := &rr.r
	if err := json.Unmarshal([]byte(rr.steps), &r.Steps); err != nil || len(r.Steps) == 0 {
		return fmt.Errorf("rollout %d: stored steps %q: %w", rr.rid.Int64, rr.steps, ErrCorrupt)
	}
	if rr.guarded {
		r.Guards = []Guard{{}} // In only asks whether there are guards
	}
	r.Every = time.Duration(rr.every) * time.Millisecond
	r.StepAt, r.VerifiedAt, r.CheckedAt = time.UnixMicro(rr.stepAt).UTC(), microTime(rr.verAt), microTime(rr.checkAt)
	if i, _ := r.In(s.now()); i != r.Step {
		in.Split = r.split(r.Steps[i], in.Split.Salt, in.Split.UnitKey)
		in.Version = r.majorAt(r.Steps[i])
	}
	return nil
}

func microTime(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

func (s *Store) missingLabel(ctx context.Context, name, sel string) error {
	if _, perr := s.Prompt(ctx, name); perr != nil {
		return perr
	}
	labels, _ := s.Labels(ctx, name)
	var names []string
	for _, l := range labels {
		names = append(names, l.Name)
	}
	have := "it has no labels"
	if len(names) > 0 {
		have = "its labels: " + strings.Join(names, ", ")
	}
	return &MissingError{Kind: MissingLabel, Prompt: name, Name: sel, Have: names, msg: fmt.Sprintf("%s has no label %q (%s)", name, sel, have)}
}

// versionNumber parses "3" or "v3".
func versionNumber(sel string) (int, bool) {
	digits := strings.TrimPrefix(sel, "v")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil
}

func decodeTags(s string) []string {
	var t []string
	if s != "" && s != "[]" {
		json.Unmarshal([]byte(s), &t)
	}
	return t
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nullInt(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
