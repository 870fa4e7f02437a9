package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// LabelInput moves a label.
type LabelInput struct {
	Prompt  string
	Label   string
	Version int
	Actor   string
	Reason  string
	RunID   int64 // eval run that justifies the move (optional)
	Force   bool  // move a protected label without passing evidence (needs Reason)
	// Split points the label at a split instead of Version (which is then
	// ignored). An empty Salt (UnitKey) keeps the label's when it is a split
	// already; a new split gets a random salt. Every version entering the
	// label is gated.
	Split *Split
	// ExpectFrom is the version the caller saw the label on when the move
	// was confirmed (a pointer to 0: the label did not exist). The move is
	// refused with a *LabelMovedError when the label holds another version
	// by the time it is written. nil: no check.
	ExpectFrom *int
	// At is when the move happened, for history imported or replayed from
	// elsewhere (the demo's back-dated moves). Zero: now.
	At time.Time
}

// RemoveLabelInput removes a label.
type RemoveLabelInput struct {
	Prompt string
	Label  string
	Actor  string
	Reason string
	// Force removes a protected label (needs Reason); without it the gate
	// refuses the removal.
	Force bool
	// ExpectFrom is the version the caller saw the label on (see
	// LabelInput.ExpectFrom).
	ExpectFrom *int
}

// RollbackInput moves a label back to the version it held before its last
// move.
type RollbackInput struct {
	Prompt string
	Label  string
	Actor  string
	Reason string
	// Force rolls a protected label back to a version without passing
	// evidence (needs Reason).
	Force bool
	// ExpectFrom is the version the caller saw the label on, ExpectTo the
	// version it saw the rollback return to. Either one that no longer holds
	// refuses the rollback with a *LabelMovedError. nil: no check.
	ExpectFrom *int
	ExpectTo   *int
	// At is when the rollback happened (see LabelInput.At). Zero: now.
	At time.Time
}

// Evidence is the eval run that allows a protected label to move.
type Evidence struct {
	RunID    int64
	Suite    string
	Passed   int
	Total    int
	PassRate float64
	At       time.Time
	// SuiteHash is the hash of the cases the run was made on (HashSuite).
	SuiteHash string
}

// DefaultGate protects production: it may only move to a version with a
// finished run on the prompt's "default" suite where every case passed.
var DefaultGate = GateSettings{Protected: []string{"production"}, MinPassRate: 1, DefaultSuite: "default"}

// Gate returns the gate settings stored in the file: the team's policy,
// shared by every process and application that opens it (DefaultGate until
// someone sets it). See EffectiveGate for what this store enforces.
func (s *Store) Gate(ctx context.Context) (GateSettings, error) {
	g, err := readGate(ctx, s.db)
	if err != nil {
		return g, s.wrap("gate settings", err)
	}
	return g, nil
}

// EffectiveGate is the gate this store enforces: the file's gate tightened
// by Options.LocalGate (a user's config can add protection, never remove it).
func (s *Store) EffectiveGate(ctx context.Context) (GateSettings, error) {
	g, err := s.Gate(ctx)
	if err != nil {
		return g, err
	}
	return g.Tighten(s.localGate), nil
}

// LocalGate is the local addition to the file's gate the store was opened
// with (Options.LocalGate).
func (s *Store) LocalGate() GateSettings { return s.localGate }

type rowQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func readGate(ctx context.Context, q rowQuerier) (GateSettings, error) {
	g := DefaultGate
	// json.Unmarshal fills a slice in place: give it its own backing array so
	// that decoding never writes into DefaultGate.Protected.
	g.Protected = slices.Clone(DefaultGate.Protected)
	var raw string
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'gate'`).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return g, nil
	}
	if err != nil {
		return g, err
	}
	if err := json.Unmarshal([]byte(raw), &g); err != nil {
		return DefaultGate, fmt.Errorf("gate settings: %v: %w", err, ErrInvalid)
	}
	return g, nil
}

// Tighten returns g with extra's protected labels added and the higher of
// the two minimum pass rates. It never loosens g. extra's DefaultSuite is
// ignored: which suite counts as evidence is the registry's decision.
func (g GateSettings) Tighten(extra GateSettings) GateSettings {
	out := g
	out.Protected = slices.Clone(g.Protected)
	for _, l := range extra.Protected {
		if !slices.Contains(out.Protected, l) {
			out.Protected = append(out.Protected, l)
		}
	}
	slices.Sort(out.Protected)
	if extra.MinPassRate > out.MinPassRate {
		out.MinPassRate = extra.MinPassRate
	}
	return out
}

// Validate checks gate settings: valid label names (not latest), a minimum
// pass rate between 0 and 1, a valid suite name.
func (g GateSettings) Validate() error {
	for _, l := range g.Protected {
		if err := ValidLabel(l); err != nil {
			return fmt.Errorf("gate: protected label: %w", err)
		}
	}
	if !(g.MinPassRate >= 0 && g.MinPassRate <= 1) {
		return fmt.Errorf("gate: min pass rate %v must be between 0 and 1 (0.95 = 95%%): %w", g.MinPassRate, ErrInvalid)
	}
	if g.DefaultSuite != "" {
		if err := ValidLabel(g.DefaultSuite); err != nil && !errors.Is(err, ErrLatestLabel) {
			return fmt.Errorf("gate: suite name %q: use lower-case letters, digits, '.', '_' and '-': %w", g.DefaultSuite, ErrInvalid)
		}
	}
	return nil
}

// SetGate stores the gate settings for every process using the file. The
// protected labels are kept sorted and unique; UpdatedAt is set to now.
func (s *Store) SetGate(ctx context.Context, g GateSettings) error {
	_, err := s.UpdateGate(ctx, func(cur *GateSettings) error {
		*cur = g
		return nil
	})
	return err
}

// UpdateGate changes the stored gate settings with fn in one write
// transaction (so two people changing the gate at once lose nothing) and
// returns what was stored.
func (s *Store) UpdateGate(ctx context.Context, fn func(g *GateSettings) error) (GateSettings, error) {
	var g GateSettings
	err := s.tx(ctx, "set gate", func(tx *sql.Tx) error {
		var err error
		if g, err = readGate(ctx, tx); err != nil {
			return err
		}
		if err := fn(&g); err != nil {
			return err
		}
		if err := g.Validate(); err != nil {
			return err
		}
		if g.DefaultSuite == "" {
			g.DefaultSuite = "default"
		}
		g.Protected = slices.Compact(slices.Sorted(slices.Values(g.Protected)))
		g.UpdatedAt = s.now().UTC().Truncate(time.Second)
		b, err := json.Marshal(g)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ('gate', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, string(b))
		return err
	})
	return g, err
}

// SetLabel points a label at a version and records the move. Protected
// labels (production by default) need the gate's approval (DecideGate): a
// finished run of that version on the prompt's gate suite, started after
// the version was made, with a pass rate at or above the gate's minimum.
// Prompts without that suite are not gated: there is nothing to check them
// with. A refusal is a *GateError; Force with a Reason passes it.
func (s *Store) SetLabel(ctx context.Context, in LabelInput) (LabelEvent, error) {
	op := fmt.Sprintf("label %s@%d %s", in.Prompt, in.Version, in.Label)
	if in.Split != nil {
		op = fmt.Sprintf("label %s %s --split %s", in.Prompt, in.Label, in.Split)
		if in.Label == "latest" {
			return LabelEvent{}, fmt.Errorf("%s: %w", op, splitErr(SplitOnLatest, in.Split.String(), "latest is always the newest version and cannot be split: split another label (production, canary)"))
		}
		sp := *in.Split
		sp.Arms = slices.Clone(sp.Arms)
		if err := sp.Check(); err != nil {
			return LabelEvent{}, fmt.Errorf("%s: %w", op, err)
		}
		in.Split = &sp
	}
	if err := ValidLabel(in.Label); err != nil {
		return LabelEvent{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := needReason(in.Force, in.Reason); err != nil {
		return LabelEvent{}, fmt.Errorf("%s: %w", op, err)
	}
	var ev LabelEvent
	err := s.tx(ctx, op, func(tx *sql.Tx) (err error) {
		ev, err = s.setLabelTx(ctx, tx, in)
		return err
	})
	return ev, err
}

// ErrNeedReason is returned (wrapped with ErrInvalid) when a forced change
// has no reason.
var ErrNeedReason = fmt.Errorf("a forced change needs a reason: %w", ErrInvalid)

func needReason(force bool, reason string) error {
	if force && strings.TrimSpace(reason) == "" {
		return ErrNeedReason
	}
	return nil
}

// setLabelTx moves a label through the gate. The gate is read inside the
// write transaction, so a concurrent `verso gate` cannot slip between.
func (s *Store) setLabelTx(ctx context.Context, tx *sql.Tx, in LabelInput) (LabelEvent, error) {
	if err := checkLabelInput(in); err != nil {
		return LabelEvent{}, err
	}
	pid, latest, err := promptIDTx(ctx, tx, in.Prompt)
	if err != nil {
		return LabelEvent{}, err
	}
	from, err := labelStateTx(ctx, tx, pid, in.Label)
	if err != nil {
		return LabelEvent{}, err
	}
	if err := checkExpect(in.Prompt, in.Label, in.ExpectFrom, from.Version); err != nil {
		return LabelEvent{}, err
	}
	if in.Split == nil {
		if in.Version < 1 || in.Version > latest {
			return LabelEvent{}, fmt.Errorf("%s has no version %d (latest is v%d): %w", in.Prompt, in.Version, latest, ErrNotFound)
		}
	} else {
		for _, a := range in.Split.Arms {
			if a.Version > latest {
				return LabelEvent{}, splitErr(SplitNoVersion, in.Split.String(), "split %s: %s has no version %d (latest is v%d)", in.Split, in.Prompt, a.Version, latest)
			}
		}
		if in.Split.Salt == "" {
			in.Split.Salt = newSalt()
			if from.Split != nil {
				in.Split.Salt = from.Split.Salt
			}
		}
		if in.Split.UnitKey == "" && from.Split != nil {
			in.Split.UnitKey = from.Split.UnitKey
		}
		in.Version = in.Split.Major()
	}
	to := labelState{Version: in.Version, Split: in.Split}
	if sameTarget(from.Version, from.Split, to.Version, to.Split) {
		if to.Split != nil {
			return LabelEvent{}, fmt.Errorf("%s is already split %s: %w", in.Label, to.Split, ErrNoChange)
		}
		return LabelEvent{}, fmt.Errorf("%s is already on v%d: %w", in.Label, in.Version, ErrNoChange)
	}
	if err := s.refuseLiveRolloutTx(ctx, tx, pid, in.Prompt, in.Label); err != nil {
		return LabelEvent{}, err
	}
	runID, forced, err := s.gateEnteringTx(ctx, tx, pid, in.Prompt, in.Label, from, to, in.Force)
	if err != nil {
		return LabelEvent{}, err
	}
	if in.RunID != 0 {
		runID = in.RunID
	}
	return changeLabelTx(ctx, tx, pid, in.Prompt, in.Label, from, to, labelNote{actor: in.Actor, reason: in.Reason, runID: runID, forced: forced, at: s.microAt(in.At)})
}

// gateEnteringTx gates each version entering a label (a version the label
// does not hold now, whole or as an arm), returning the run that justifies
// the first one gated.
func (s *Store) gateEnteringTx(ctx context.Context, tx *sql.Tx, pid int64, prompt, label string, from, to labelState, force bool) (runID int64, forced bool, err error) {
	for _, v := range to.versions() {
		if from.holds(v) {
			continue
		}
		r, f, err := s.enforceGateTx(ctx, tx, pid, prompt, label, v, force)
		if err != nil {
			return 0, false, err
		}
		if runID == 0 {
			runID = r
		}
		forced = forced || f
	}
	return runID, forced, nil
}

// RemoveLabel deletes a label (the history keeps the move, with To = 0).
// Removing a protected label is refused by the gate (*GateError) unless
// forced with a reason.
func (s *Store) RemoveLabel(ctx context.Context, in RemoveLabelInput) (LabelEvent, error) {
	op := fmt.Sprintf("remove label %s from %s", in.Label, in.Prompt)
	if err := needReason(in.Force, in.Reason); err != nil {
		return LabelEvent{}, fmt.Errorf("%s: %w", op, err)
	}
	var ev LabelEvent
	err := s.tx(ctx, op, func(tx *sql.Tx) error {
		pid, _, err := promptIDTx(ctx, tx, in.Prompt)
		if err != nil {
			return err
		}
		from, err := labelStateTx(ctx, tx, pid, in.Label)
		if err != nil {
			return err
		}
		if err := checkExpect(in.Prompt, in.Label, in.ExpectFrom, from.Version); err != nil {
			return err
		}
		if from.Version == 0 {
			return fmt.Errorf("%s has no label %q: %w", in.Prompt, in.Label, ErrNotFound)
		}
		if err := s.refuseLiveRolloutTx(ctx, tx, pid, in.Prompt, in.Label); err != nil {
			return err
		}
		_, forced, err := s.enforceGateTx(ctx, tx, pid, in.Prompt, in.Label, 0, in.Force)
		if err != nil {
			return err
		}
		ev, err = changeLabelTx(ctx, tx, pid, in.Prompt, in.Label, from, labelState{}, labelNote{actor: in.Actor, reason: in.Reason, forced: forced, at: s.nowMicro()})
		return err
	})
	return ev, err
}

// Rollback moves a label back to the version it held before its last move.
// A protected label is gated like any move: the version it returns to
// needs passing evidence on the gate suite as it is now, or Force with a
// Reason.
func (s *Store) Rollback(ctx context.Context, in RollbackInput) (LabelEvent, error) {
	op := fmt.Sprintf("rollback %s %s", in.Prompt, in.Label)
	if err := needReason(in.Force, in.Reason); err != nil {
		return LabelEvent{}, fmt.Errorf("%s: %w", op, err)
	}
	var ev LabelEvent
	err := s.tx(ctx, op, func(tx *sql.Tx) error {
		pid, _, err := promptIDTx(ctx, tx, in.Prompt)
		if err != nil {
			return err
		}
		cur, err := labelStateTx(ctx, tx, pid, in.Label)
		if err != nil {
			return err
		}
		if err := checkExpect(in.Prompt, in.Label, in.ExpectFrom, cur.Version); err != nil {
			return err
		}
		if cur.Version == 0 {
			return fmt.Errorf("%s has no label %q to roll back: %w", in.Prompt, in.Label, ErrNotFound)
		}
		to, err := rollbackTargetTx(ctx, tx, pid, in.Label)
		if err != nil {
			return err
		}
		if in.ExpectTo != nil && *in.ExpectTo != to.Version {
			return &LabelMovedError{Prompt: in.Prompt, Label: in.Label, Expected: *in.ExpectTo, Actual: to.Version, Target: true}
		}
		if to.Version == 0 {
			return fmt.Errorf("%s on %s has no previous version to roll back to (it was first set to %s): %w", in.Label, in.Prompt, cur, ErrNotFound)
		}
		if err := s.refuseLiveRolloutTx(ctx, tx, pid, in.Prompt, in.Label); err != nil {
			return err
		}
		runID, forced, err := s.gateEnteringTx(ctx, tx, pid, in.Prompt, in.Label, cur, to, in.Force)
		if err != nil {
			return err
		}
		r := "rollback"
		if in.Reason != "" {
			r = "rollback: " + in.Reason
		}
		ev, err = changeLabelTx(ctx, tx, pid, in.Prompt, in.Label, cur, to, labelNote{actor: in.Actor, reason: r, runID: runID, forced: forced, at: s.microAt(in.At)})
		return err
	})
	return ev, err
}

func rollbackTargetTx(ctx context.Context, tx *sql.Tx, pid int64, label string) (labelState, error) {
	var prev sql.NullInt64
	var split *string
	err := tx.QueryRowContext(ctx, `SELECT from_version, from_split FROM label_events WHERE prompt_id = ? AND label = ? ORDER BY id DESC LIMIT 1`, pid, label).Scan(&prev, &split)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return labelState{}, err
	}
	sp, err := decodeSplit(split)
	return labelState{Version: int(prev.Int64), Split: sp}, err
}

// RollbackTarget is the version Rollback would move a label to (0 if none);
// for a label that was a split before its last move, the split's major
// version (RollbackTargetState gives the split).
func (s *Store) RollbackTarget(ctx context.Context, prompt, label string) (int, error) {
	t, err := s.RollbackTargetState(ctx, prompt, label)
	return t.Version, err
}

// RollbackTargetState is what Rollback would point a label at: a version
// (Split nil) or a split; Version 0 if there is nothing to return to.
func (s *Store) RollbackTargetState(ctx context.Context, prompt, label string) (LabelState, error) {
	var prev sql.NullInt64
	var split *string
	err := s.db.QueryRowContext(ctx, `SELECT e.from_version, e.from_split FROM label_events e JOIN prompts p ON p.id = e.prompt_id
		WHERE p.name = ? AND e.label = ? ORDER BY e.id DESC LIMIT 1`, prompt, label).Scan(&prev, &split)
	if errors.Is(err, sql.ErrNoRows) {
		return LabelState{}, nil
	}
	if err != nil {
		return LabelState{}, s.wrap("rollback target", err)
	}
	sp, err := decodeSplit(split)
	return LabelState{Version: int(prev.Int64), Split: sp}, err
}

// Labels lists a prompt's current labels sorted by name.
func (s *Store) Labels(ctx context.Context, prompt string) ([]Label, error) {
	p, err := s.Prompt(ctx, prompt)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT name, version, updated_at, actor, split FROM labels WHERE prompt_id = ? ORDER BY name`, p.ID)
	if err != nil {
		return nil, s.wrap("labels "+prompt, err)
	}
	defer rows.Close()
	var out []Label
	for rows.Next() {
		var l Label
		var at int64
		var split *string
		if err := rows.Scan(&l.Name, &l.Version, &at, &l.Actor, &split); err != nil {
			return nil, s.wrap("labels "+prompt, err)
		}
		if l.Split, err = decodeSplit(split); err != nil {
			return nil, s.wrap("labels "+prompt, err)
		}
		l.UpdatedAt = time.UnixMicro(at).UTC()
		out = append(out, l)
	}
	return out, s.wrap("labels "+prompt, rows.Err())
}

const eventSelect = `SELECT e.id, p.name, e.label, COALESCE(e.from_version, 0), COALESCE(e.to_version, 0), e.actor, e.at, e.reason, COALESCE(e.run_id, 0), e.forced,
	e.from_split, e.to_split, e.evidence
	FROM label_events e JOIN prompts p ON p.id = e.prompt_id`

// LabelHistory lists every label move of a prompt, oldest first.
func (s *Store) LabelHistory(ctx context.Context, prompt string) ([]LabelEvent, error) {
	p, err := s.Prompt(ctx, prompt)
	if err != nil {
		return nil, err
	}
	return s.events(ctx, eventSelect+` WHERE e.prompt_id = ? ORDER BY e.id`, p.ID)
}

func (s *Store) events(ctx context.Context, q string, args ...any) ([]LabelEvent, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap("label history", err)
	}
	defer rows.Close()
	var out []LabelEvent
	for rows.Next() {
		var e LabelEvent
		var at int64
		var fromSplit, toSplit *string
		if err := rows.Scan(&e.ID, &e.Prompt, &e.Label, &e.From, &e.To, &e.Actor, &at, &e.Reason, &e.RunID, &e.Forced, &fromSplit, &toSplit, &e.Evidence); err != nil {
			return nil, s.wrap("label history", err)
		}
		if e.FromSplit, err = decodeSplit(fromSplit); err != nil {
			return nil, s.wrap("label history", err)
		}
		if e.ToSplit, err = decodeSplit(toSplit); err != nil {
			return nil, s.wrap("label history", err)
		}
		e.At = time.UnixMicro(at).UTC()
		out = append(out, e)
	}
	return out, s.wrap("label history", rows.Err())
}

// GateEvidence returns the newest finished run of a version on the gate
// suite, started after the version was made, preferring runs made on the
// suite as it is now. ErrNotFound if there is none. DecideGate says whether
// it counts.
func (s *Store) GateEvidence(ctx context.Context, prompt string, version int) (Evidence, error) {
	g, err := s.EffectiveGate(ctx)
	if err != nil {
		return Evidence{}, err
	}
	p, err := s.Prompt(ctx, prompt)
	if err != nil {
		return Evidence{}, err
	}
	var ev Evidence
	err = s.readTx(ctx, func(tx *sql.Tx) error {
		hash, _, err := suiteHashTx(ctx, tx, p.ID, g.DefaultSuite)
		if err != nil {
			return err
		}
		ev, err = gateEvidence(ctx, tx, p.ID, prompt, version, g.DefaultSuite, hash)
		return err
	})
	return ev, err
}

// readTx runs fn in a deferred transaction: one consistent snapshot that
// does not take the write lock (modernc honours ReadOnly over _txlock).
func (s *Store) readTx(ctx context.Context, fn func(*sql.Tx) error) error {
	// A read that meets a lock (a rollback-journal writer, a WAL recovery)
	// retries like a write does.
	return s.retryBusy(ctx, func() error {
		o := &sql.TxOptions{ReadOnly: true}
		if s.pg != nil {
			// One snapshot for the whole read, as SQLite's deferred
			// transaction gives.
			o.Isolation = sql.LevelRepeatableRead
		}
		tx, err := s.db.BeginTx(ctx, o)
		if err != nil {
			return s.wrap("read", err)
		}
		defer tx.Rollback()
		return fn(tx)
	})
}

// gateEvidence returns the newest finished run of a version on a suite
// since the version was made, preferring runs made on the cases the suite
// has now (hash; "" prefers none).
func gateEvidence(ctx context.Context, tx *sql.Tx, pid int64, prompt string, version int, suite, hash string) (Evidence, error) {
	var ev Evidence
	var at int64
	err := tx.QueryRowContext(ctx, `SELECT r.id, r.suite_name, r.started_at, r.suite_hash,
			COALESCE(SUM(CASE WHEN res.pass = 1 AND res.error = '' THEN 1 ELSE 0 END), 0), COUNT(res.id)
		FROM runs r
		JOIN versions v ON v.prompt_id = r.prompt_id AND v.number = ?
		JOIN results res ON res.run_id = r.id AND res.version = v.number
		WHERE r.prompt_id = ? AND r.status = 'done' AND r.suite_name = ? AND r.started_at >= v.created_at
		GROUP BY r.id ORDER BY r.suite_hash = ? DESC, r.id DESC LIMIT 1`, version, pid, suite, hash).Scan(&ev.RunID, &ev.Suite, &at, &ev.SuiteHash, &ev.Passed, &ev.Total)
	if errors.Is(err, sql.ErrNoRows) {
		return ev, fmt.Errorf("%s@%d has no finished run on suite %q: %w", prompt, version, suite, ErrNotFound)
	}
	if err != nil {
		return ev, err
	}
	ev.At = time.UnixMicro(at).UTC()
	if ev.Total > 0 {
		ev.PassRate = float64(ev.Passed) / float64(ev.Total)
	}
	return ev, nil
}

func promptIDTx(ctx context.Context, tx *sql.Tx, name string) (int64, int, error) {
	var pid int64
	var latest int
	err := tx.QueryRowContext(ctx, `SELECT id, latest FROM prompts WHERE name = ?`, name).Scan(&pid, &latest)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, &MissingError{Kind: MissingPrompt, Prompt: name, Name: name, msg: fmt.Sprintf("no prompt named %q", name)}
	}
	return pid, latest, err
}

func labelVersionTx(ctx context.Context, tx *sql.Tx, pid int64, label string) (int, error) {
	st, err := labelStateTx(ctx, tx, pid, label)
	return st.Version, err
}

// LabelState is what a label points at: a version (Split nil) or a split
// (Version is then its major version). Version 0: no label.
type LabelState struct {
	Version int
	Split   *Split
}

type labelState = LabelState

func (l LabelState) String() string {
	switch {
	case l.Split != nil:
		return "split " + l.Split.String()
	case l.Version == 0:
		return "nothing"
	}
	return fmt.Sprintf("v%d", l.Version)
}

// versions lists the versions the state holds.
func (l LabelState) versions() []int {
	if l.Split != nil {
		out := make([]int, len(l.Split.Arms))
		for i, a := range l.Split.Arms {
			out[i] = a.Version
		}
		return out
	}
	if l.Version == 0 {
		return nil
	}
	return []int{l.Version}
}

func (l LabelState) holds(v int) bool {
	if l.Split != nil {
		return l.Split.Has(v)
	}
	return l.Version == v && v != 0
}

func labelStateTx(ctx context.Context, tx *sql.Tx, pid int64, label string) (labelState, error) {
	var st labelState
	var split *string
	err := tx.QueryRowContext(ctx, `SELECT version, split FROM labels WHERE prompt_id = ? AND name = ?`, pid, label).Scan(&st.Version, &split)
	if errors.Is(err, sql.ErrNoRows) {
		return labelState{}, nil
	}
	if err != nil {
		return st, err
	}
	st.Split, err = decodeSplit(split)
	return st, err
}

// labelNote is what a label change records beyond the labels row: who,
// why, the run that justified it, whether it was forced, when, and the
// evidence of a rollout's step or abort.
type labelNote struct {
	actor    string
	reason   string
	runID    int64
	forced   bool
	at       int64
	evidence string
}

// changeLabelTx moves label from one state to another (to.Version 0:
// removes it; from.Version 0: creates it). The history row is written by
// the schema's triggers on labels (migrations 0004, 0010), which read the
// note written here just before, in the same transaction; the event is
// read back.
func changeLabelTx(ctx context.Context, tx *sql.Tx, pid int64, prompt, label string, from, to labelState, n labelNote) (LabelEvent, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO label_change_note (id, actor, reason, run_id, forced, at, evidence) VALUES (1, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(id) DO UPDATE SET actor = excluded.actor, reason = excluded.reason, run_id = excluded.run_id, forced = excluded.forced, at = excluded.at, evidence = excluded.evidence`,
		n.actor, n.reason, nullInt64(n.runID), n.forced, n.at, n.evidence); err != nil {
		return LabelEvent{}, err
	}
	var err error
	switch {
	case to.Version == 0:
		_, err = tx.ExecContext(ctx, `DELETE FROM labels WHERE prompt_id = ? AND name = ?`, pid, label)
	case from.Version == 0:
		_, err = tx.ExecContext(ctx, `INSERT INTO labels (prompt_id, name, version, updated_at, actor, split) VALUES (?, ?, ?, ?, ?, ?)`, pid, label, to.Version, n.at, n.actor, encodeSplit(to.Split))
	default:
		_, err = tx.ExecContext(ctx, `UPDATE labels SET version = ?, split = ?, updated_at = ?, actor = ? WHERE prompt_id = ? AND name = ?`, to.Version, encodeSplit(to.Split), n.at, n.actor, pid, label)
	}
	if err != nil {
		return LabelEvent{}, err
	}
	// A change that wrote nothing leaves its note: never let a later
	// writer's change pick it up.
	if _, err := tx.ExecContext(ctx, `DELETE FROM label_change_note`); err != nil {
		return LabelEvent{}, err
	}
	var ev LabelEvent
	var at int64
	var fromSplit, toSplit *string
	err = tx.QueryRowContext(ctx, `SELECT id, COALESCE(from_version, 0), COALESCE(to_version, 0), actor, at, reason, COALESCE(run_id, 0), forced, from_split, to_split, evidence
		FROM label_events WHERE prompt_id = ? AND label = ? ORDER BY id DESC LIMIT 1`, pid, label).
		Scan(&ev.ID, &ev.From, &ev.To, &ev.Actor, &at, &ev.Reason, &ev.RunID, &ev.Forced, &fromSplit, &toSplit, &ev.Evidence)
	if err != nil {
		return LabelEvent{}, fmt.Errorf("label history of %s %s: %w", prompt, label, err)
	}
	if ev.FromSplit, err = decodeSplit(fromSplit); err == nil {
		ev.ToSplit, err = decodeSplit(toSplit)
	}
	if err != nil {
		return LabelEvent{}, err
	}
	if ev.From != from.Version || ev.To != to.Version {
		return LabelEvent{}, fmt.Errorf("label history of %s %s: recorded v%d -> v%d, want v%d -> v%d: %w", prompt, label, ev.From, ev.To, from.Version, to.Version, ErrConflict)
	}
	ev.Prompt, ev.Label, ev.At = prompt, label, time.UnixMicro(at).UTC()
	return ev, nil
}

func nullInt64(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

// checkLabelInput validates what a label move records, wherever it comes
// from (the CLI, the TUI, an import).
func checkLabelInput(in LabelInput) error {
	if err := ValidLabel(in.Label); err != nil {
		return err
	}
	if err := validUTF8("reason", in.Reason); err != nil {
		return err
	}
	return validUTF8("actor", in.Actor)
}
