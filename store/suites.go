package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SaveSuite creates or replaces the suite named su.Name on a prompt: its
// cases are replaced by su.Cases, positioned in order.
func (s *Store) SaveSuite(ctx context.Context, prompt string, su Suite) (Suite, error) {
	su.Name = strings.TrimSpace(su.Name)
	if su.Name == "" {
		su.Name = "default"
	}
	if err := ValidLabel(su.Name); err != nil && !errors.Is(err, ErrLatestLabel) {
		return su, fmt.Errorf("suite name %q: use lower-case letters, digits, '.', '_' and '-': %w", su.Name, ErrInvalid)
	}
	op := fmt.Sprintf("save suite %s of %s", su.Name, prompt)
	err := s.tx(ctx, op, func(tx *sql.Tx) error {
		var err error
		su, err = s.saveSuiteTx(ctx, tx, prompt, su)
		return err
	})
	return su, err
}

func (s *Store) saveSuiteTx(ctx context.Context, tx *sql.Tx, prompt string, su Suite) (Suite, error) {
	pid, _, err := promptIDTx(ctx, tx, prompt)
	if err != nil {
		return su, err
	}
	now := s.nowMicro()
	var id int64
	if err := validUTF8Value("skipped", su.Skipped); err != nil {
		return su, fmt.Errorf("suite %s: %w", su.Name, err)
	}
	skipped, _ := json.Marshal(nonNil(su.Skipped))
	err = tx.QueryRowContext(ctx, `INSERT INTO suites (prompt_id, name, description, threshold, skipped, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(prompt_id, name) DO UPDATE SET description = excluded.description, threshold = excluded.threshold, skipped = excluded.skipped, updated_at = excluded.updated_at
		RETURNING id`, pid, su.Name, su.Description, su.Threshold, string(skipped), now, now).Scan(&id)
	if err != nil {
		return su, err
	}
	// The cases are replaced position by position, keeping the ids of the
	// rows they replace: a run's results name cases by id, so saving the
	// same cases again leaves the run resumable on either backend (SQLite
	// would hand out the same ids again after a delete; PostgreSQL's
	// identity never does). A run made on other cases is told apart by the
	// suite's hash, not by ids.
	var old []int64
	rows, err := tx.QueryContext(ctx, `SELECT id FROM cases WHERE suite_id = ? ORDER BY position, id`, id)
	if err != nil {
		return su, err
	}
	for rows.Next() {
		var cid int64
		if err := rows.Scan(&cid); err != nil {
			rows.Close()
			return su, err
		}
		old = append(old, cid)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return su, err
	}
	for _, cid := range old[min(len(old), len(su.Cases)):] {
		if _, err := tx.ExecContext(ctx, `DELETE FROM cases WHERE id = ?`, cid); err != nil {
			return su, err
		}
	}
	// One prepared statement for every case: a 10,000-case import spends
	// its time here.
	stmt, err := tx.PrepareContext(ctx, insertCaseSQL)
	if err != nil {
		return su, err
	}
	defer stmt.Close()
	var upd *sql.Stmt
	if len(old) > 0 {
		if upd, err = tx.PrepareContext(ctx, `UPDATE cases SET position = ?, name = ?, vars = ?, assertions = ?, expected = ?, tags = ?, threshold = ?
			WHERE id = ?`); err != nil {
			return su, err
		}
		defer upd.Close()
	}
	for i := range su.Cases {
		c := &su.Cases[i]
		c.Position = i
		c.SuiteID = id
		if i < len(old) {
			vars, asserts, tags, err := encodeCase(*c)
			if err != nil {
				return su, err
			}
			if _, err := upd.ExecContext(ctx, c.Position, c.Name, vars, asserts, c.Expected, tags, c.Threshold, old[i]); err != nil {
				return su, err
			}
			c.ID = old[i]
			continue
		}
		if err := insertCaseStmt(ctx, stmt, c); err != nil {
			return su, err
		}
	}
	if len(su.Cases) == 0 {
		if err := s.keepGateSuiteTx(ctx, tx, pid, prompt, su.Name, "emptying"); err != nil {
			return su, err
		}
	}
	su.ID, su.PromptID, su.Prompt = id, pid, prompt
	// The hash of what was stored (read back: values as a reader gets
	// them), kept for the evals that start on it.
	h, _, err := suiteHashTx(ctx, tx, pid, su.Name)
	if err != nil {
		return su, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE suites SET cases_hash = ? WHERE id = ?`, nullString(h), id); err != nil {
		return su, err
	}
	su.Hash = h
	return su, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const insertCaseSQL = `INSERT INTO cases (suite_id, position, name, vars, assertions, expected, tags, threshold) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`

func insertCaseTx(ctx context.Context, tx *sql.Tx, c *Case) error {
	stmt, err := tx.PrepareContext(ctx, insertCaseSQL)
	if err != nil {
		return err
	}
	defer stmt.Close()
	return insertCaseStmt(ctx, stmt, c)
}

func insertCaseStmt(ctx context.Context, stmt *sql.Stmt, c *Case) error {
	vars, asserts, tags, err := encodeCase(*c)
	if err != nil {
		return err
	}
	return stmt.QueryRowContext(ctx, c.SuiteID, c.Position, c.Name, vars, asserts, c.Expected, tags, c.Threshold).Scan(&c.ID)
}

func encodeCase(c Case) (vars, asserts, tags string, err error) {
	for _, f := range []struct {
		field string
		v     any
	}{{"name", c.Name}, {"expected", c.Expected}, {"tags", c.Tags}, {"vars", c.Vars}} {
		if err := validUTF8Value(f.field, f.v); err != nil {
			return "", "", "", fmt.Errorf("case %q: %w", c.Name, err)
		}
	}
	for i, a := range c.Assertions {
		if err := validUTF8Value(fmt.Sprintf("assertion %d", i+1), a.Value); err != nil {
			return "", "", "", fmt.Errorf("case %q: %w", c.Name, err)
		}
	}
	if c.Vars == nil {
		c.Vars = map[string]any{}
	}
	v, err := json.Marshal(c.Vars)
	if err != nil {
		return "", "", "", fmt.Errorf("case %q vars: %v: %w", c.Name, err, ErrInvalid)
	}
	a, err := json.Marshal(nonNil(c.Assertions))
	if err != nil {
		return "", "", "", fmt.Errorf("case %q assertions: %v: %w", c.Name, err, ErrInvalid)
	}
	t, _ := json.Marshal(nonNil(c.Tags))
	return string(v), string(a), string(t), nil
}

// SaveCase appends a case to a suite (c.ID == 0) or replaces one.
func (s *Store) SaveCase(ctx context.Context, suiteID int64, c Case) (Case, error) {
	c.SuiteID = suiteID
	err := s.tx(ctx, "save case "+c.Name, func(tx *sql.Tx) error {
		if c.ID == 0 {
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), -1) + 1 FROM cases WHERE suite_id = ?`, suiteID).Scan(&c.Position); err != nil {
				return err
			}
			if err := insertCaseTx(ctx, tx, &c); err != nil {
				return err
			}
		} else {
			vars, asserts, tags, err := encodeCase(c)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE cases SET name = ?, vars = ?, assertions = ?, expected = ?, tags = ?, threshold = ? WHERE id = ? AND suite_id = ?`,
				c.Name, vars, asserts, c.Expected, tags, c.Threshold, c.ID, suiteID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("case %d not found in suite %d: %w", c.ID, suiteID, ErrNotFound)
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE suites SET updated_at = ? WHERE id = ?`, s.nowMicro(), suiteID)
		return err
	})
	return c, err
}

// DeleteCase removes a case.
func (s *Store) DeleteCase(ctx context.Context, caseID int64) error {
	return s.tx(ctx, fmt.Sprintf("delete case %d", caseID), func(tx *sql.Tx) error {
		var pid int64
		var prompt, suite string
		err := tx.QueryRowContext(ctx, `SELECT p.id, p.name, s.name FROM cases c JOIN suites s ON s.id = c.suite_id JOIN prompts p ON p.id = s.prompt_id
			WHERE c.id = ?`, caseID).Scan(&pid, &prompt, &suite)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("case %d: %w", caseID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM cases WHERE id = ?`, caseID); err != nil {
			return err
		}
		if _, n, err := suiteHashTx(ctx, tx, pid, suite); err != nil || n > 0 {
			return err
		}
		return s.keepGateSuiteTx(ctx, tx, pid, prompt, suite, "deleting the last case of")
	})
}

// DeleteSuite removes a suite and its cases (runs keep their results).
func (s *Store) DeleteSuite(ctx context.Context, prompt, name string) error {
	return s.tx(ctx, fmt.Sprintf("delete suite %s of %s", name, prompt), func(tx *sql.Tx) error {
		pid, _, err := promptIDTx(ctx, tx, prompt)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM suites WHERE prompt_id = ? AND name = ?`, pid, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%s has no suite %q: %w", prompt, name, ErrNotFound)
		}
		return s.keepGateSuiteTx(ctx, tx, pid, prompt, name, "deleting")
	})
}

// ErrGateSuite refuses deleting or emptying the gate suite of a prompt that
// has a protected label: without the suite its moves would not be gated.
var ErrGateSuite = errors.New("the gate suite of a protected label")

// keepGateSuiteTx refuses (ErrGateSuite) a change that leaves a prompt's
// gate suite without cases while one of its protected labels is set: the
// gate would silently stop checking that label.
func (s *Store) keepGateSuiteTx(ctx context.Context, tx *sql.Tx, pid int64, prompt, suite, what string) error {
	fileGate, err := readGate(ctx, tx)
	if err != nil {
		return err
	}
	gate := fileGate.Tighten(s.localGate)
	if suite != gate.DefaultSuite {
		return nil
	}
	for _, l := range gate.Protected {
		v, err := labelVersionTx(ctx, tx, pid, l)
		if err != nil {
			return err
		}
		if v != 0 {
			return fmt.Errorf("%s suite %q of %s would leave %s (on v%d) ungated: %w", what, suite, prompt, l, v, ErrGateSuite)
		}
	}
	return nil
}

// Suites lists a prompt's suites with their cases, sorted by name.
func (s *Store) Suites(ctx context.Context, prompt string) ([]Suite, error) {
	p, err := s.Prompt(ctx, prompt)
	if err != nil {
		return nil, err
	}
	return s.suites(ctx, p, "")
}

// Suite returns one suite of a prompt with its cases.
func (s *Store) Suite(ctx context.Context, prompt, name string) (Suite, error) {
	p, err := s.Prompt(ctx, prompt)
	if err != nil {
		return Suite{}, err
	}
	ss, err := s.suites(ctx, p, name)
	if err != nil {
		return Suite{}, err
	}
	if len(ss) == 0 {
		all, _ := s.suites(ctx, p, "")
		var names []string
		for _, x := range all {
			names = append(names, x.Name)
		}
		hint := "it has no suites"
		if len(names) > 0 {
			hint = "its suites: " + strings.Join(names, ", ")
		}
		return Suite{}, &MissingError{Kind: MissingSuite, Prompt: prompt, Name: name, Have: names, msg: fmt.Sprintf("%s has no suite %q (%s)", prompt, name, hint)}
	}
	return ss[0], nil
}

func (s *Store) suites(ctx context.Context, p Prompt, name string) ([]Suite, error) {
	q := `SELECT id, name, description, threshold, skipped, created_at, updated_at, COALESCE(cases_hash, '') FROM suites WHERE prompt_id = ?`
	args := []any{p.ID}
	if name != "" {
		q += ` AND name = ?`
		args = append(args, name)
	}
	var out []Suite
	// One snapshot: the kept hash is the hash of the cases read with it.
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, q+` ORDER BY name`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			su := Suite{PromptID: p.ID, Prompt: p.Name}
			var c, u int64
			var skipped string
			if err := rows.Scan(&su.ID, &su.Name, &su.Description, &su.Threshold, &skipped, &c, &u, &su.Hash); err != nil {
				rows.Close()
				return err
			}
			if err := json.Unmarshal([]byte(skipped), &su.Skipped); err != nil {
				rows.Close()
				return fmt.Errorf("suite %s of %s: skipped: %v: %w", su.Name, p.Name, err, ErrCorrupt)
			}
			su.CreatedAt, su.UpdatedAt = time.UnixMicro(c).UTC(), time.UnixMicro(u).UTC()
			out = append(out, su)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range out {
			cs, err := readCases(ctx, tx, out[i].ID)
			if err != nil {
				return err
			}
			out[i].Cases = cs
		}
		return nil
	})
	if err != nil {
		return nil, s.wrap("suites "+p.Name, err)
	}
	return out, nil
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func readCases(ctx context.Context, q queryer, suiteID int64) ([]Case, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, position, name, vars, assertions, expected, tags, threshold FROM cases WHERE suite_id = ? ORDER BY position, id`, suiteID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		c := Case{SuiteID: suiteID}
		var vars, asserts, tags string
		var th sql.NullFloat64
		if err := rows.Scan(&c.ID, &c.Position, &c.Name, &vars, &asserts, &c.Expected, &tags, &th); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(vars), &c.Vars); err != nil {
			return nil, fmt.Errorf("case %d vars: %w", c.ID, err)
		}
		if err := json.Unmarshal([]byte(asserts), &c.Assertions); err != nil {
			return nil, fmt.Errorf("case %d assertions: %w", c.ID, err)
		}
		c.Tags = decodeTags(tags)
		if th.Valid {
			v := th.Float64
			c.Threshold = &v
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// HashSuite is the content hash of what a suite checks: its threshold and,
// in order, each case's name, variables, assertions, expected output and
// threshold (not its tags or description, which change no result). A run
// records the hash of the cases it ran (Run.SuiteHash); the gate accepts a
// run as evidence only while the suite still hashes the same.
func HashSuite(su Suite) string {
	type hashCase struct {
		Name       string         `json:"name"`
		Vars       map[string]any `json:"vars"`
		Assertions []Assertion    `json:"assertions"`
		Expected   string         `json:"expected"`
		Threshold  *float64       `json:"threshold"`
	}
	doc := struct {
		Threshold float64    `json:"threshold"`
		Cases     []hashCase `json:"cases"`
	}{Threshold: su.Threshold, Cases: []hashCase{}}
	for _, c := range su.Cases {
		vars := c.Vars
		if vars == nil {
			vars = map[string]any{}
		}
		doc.Cases = append(doc.Cases, hashCase{c.Name, vars, nonNil(c.Assertions), c.Expected, c.Threshold})
	}
	// Values decoded from YAML (int, map[string]any) and from the stored
	// JSON (float64) must hash the same: hash the JSON of the JSON.
	b, err := json.Marshal(doc)
	if err == nil {
		var v any
		if json.Unmarshal(b, &v) == nil {
			b, err = json.Marshal(v)
		}
	}
	if err != nil {
		// Only values JSON cannot encode get here; SaveSuite refuses them.
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// SuiteHash returns HashSuite of a stored suite as it is now.
func (s *Store) SuiteHash(ctx context.Context, prompt, name string) (string, error) {
	su, err := s.Suite(ctx, prompt, name)
	if err != nil {
		return "", err
	}
	return HashSuite(su), nil
}

// suiteHashTx is HashSuite of a stored suite read in tx, with its number
// of cases ("" and 0 when there is no such suite).
func suiteHashTx(ctx context.Context, tx *sql.Tx, pid int64, name string) (string, int, error) {
	su := Suite{}
	err := tx.QueryRowContext(ctx, `SELECT id, threshold FROM suites WHERE prompt_id = ? AND name = ?`, pid, name).Scan(&su.ID, &su.Threshold)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, nil
	}
	if err != nil {
		return "", 0, err
	}
	if su.Cases, err = readCases(ctx, tx, su.ID); err != nil {
		return "", 0, err
	}
	return HashSuite(su), len(su.Cases), nil
}
