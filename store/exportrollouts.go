package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// ExportRollout is one staged rollout of a full export: the plan, its
// guards (as written), and the state it had, times in RFC 3339 (UTC). ID
// is the rollout's number in the file it came from (the label history's
// reasons name it); an import keeps it when it is free. From and To are
// version numbers of the export.
type ExportRollout struct {
	ID          int64    `json:"id" yaml:"id"`
	Label       string   `json:"label" yaml:"label"`
	From        int      `json:"from" yaml:"from"`
	To          int      `json:"to" yaml:"to"`
	Steps       []int    `json:"steps" yaml:"steps,flow"`
	Every       string   `json:"every" yaml:"every"`
	Guards      []string `json:"guards" yaml:"guards"`
	MinRequests int64    `json:"min_requests" yaml:"min_requests"`
	State       string   `json:"state" yaml:"state"`
	Step        int      `json:"step" yaml:"step"`         // index into Steps of the step written to the label
	StepAt      string   `json:"step_at" yaml:"step_at"`   // when that step took effect
	Verified    int      `json:"verified" yaml:"verified"` // highest step seen healthy (-1: none)
	VerifiedAt  string   `json:"verified_at,omitempty" yaml:"verified_at,omitempty"`
	CheckedAt   string   `json:"checked_at,omitempty" yaml:"checked_at,omitempty"`
	PausedAt    string   `json:"paused_at,omitempty" yaml:"paused_at,omitempty"`
	StartedAt   string   `json:"started_at" yaml:"started_at"`
	EndedAt     string   `json:"ended_at,omitempty" yaml:"ended_at,omitempty"`
	Actor       string   `json:"actor,omitempty" yaml:"actor,omitempty"`
	Reason      string   `json:"reason,omitempty" yaml:"reason,omitempty"`
	Evidence    string   `json:"evidence,omitempty" yaml:"evidence,omitempty"`
}

func exportTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// exportRolloutsTx reads a prompt's rollouts, oldest first.
func exportRolloutsTx(ctx context.Context, tx *sql.Tx, pid int64) ([]ExportRollout, error) {
	rows, err := tx.QueryContext(ctx, rolloutSelect+` WHERE r.prompt_id = ? ORDER BY r.id`, pid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ExportRollout
	for rows.Next() {
		r, err := scanRollout(rows)
		if err != nil {
			return nil, err
		}
		e := ExportRollout{ID: r.ID, Label: r.Label, From: r.From, To: r.To, Steps: r.Steps, Every: r.Every.String(), Guards: []string{},
			MinRequests: r.MinRequests, State: r.State, Step: r.Step, StepAt: exportTime(r.StepAt), Verified: r.Verified,
			VerifiedAt: exportTime(r.VerifiedAt), CheckedAt: exportTime(r.CheckedAt), PausedAt: exportTime(r.PausedAt),
			StartedAt: exportTime(r.StartedAt), EndedAt: exportTime(r.EndedAt), Actor: r.Actor, Reason: r.Reason, Evidence: r.Evidence}
		for _, g := range r.Guards {
			e.Guards = append(e.Guards, g.Text)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// importRolloutsTx restores an exported prompt's rollouts after its label
// history was replayed (the labels then stand where the rollouts left
// them). Each is checked as StartRollout would check it; a live one must
// own a label that is split between its two versions, and at most one is
// live per label.
func (s *Store) importRolloutsTx(ctx context.Context, tx *sql.Tx, pid int64, p ExportPrompt, numbers map[int]int) error {
	live := map[string]bool{}
	pinned := false
	for i, e := range p.Rollouts {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%s rollout %d: %s: %w", p.Name, i+1, fmt.Sprintf(format, args...), ErrInvalid)
		}
		if err := ValidLabel(e.Label); err != nil {
			return fmt.Errorf("%s rollout %d: %w", p.Name, i+1, err)
		}
		from, to := numbers[e.From], numbers[e.To]
		if from == 0 || to == 0 || from == to {
			return bad("from v%d to v%d: both must be versions of the export, and differ", e.From, e.To)
		}
		if err := CheckSteps(e.Steps); err != nil {
			return fmt.Errorf("%s rollout %d: %w", p.Name, i+1, err)
		}
		every, err := time.ParseDuration(e.Every)
		if err != nil || every < time.Second {
			return bad("every %q: a duration of at least 1s (e.g. 1h)", e.Every)
		}
		guards := make([]Guard, 0, len(e.Guards))
		for _, text := range e.Guards {
			g, err := ParseGuard(text)
			if err != nil {
				return fmt.Errorf("%s rollout %d: %w", p.Name, i+1, err)
			}
			guards = append(guards, g)
		}
		if e.MinRequests < 1 {
			return bad("min_requests %d: at least 1", e.MinRequests)
		}
		if !slices.Contains([]string{RolloutRunning, RolloutPaused, RolloutAborted, RolloutDone}, e.State) {
			return bad("state %q: running, paused, aborted or done", e.State)
		}
		if e.Step < 0 || e.Step >= len(e.Steps) || e.Verified < -1 || e.Verified >= len(e.Steps) {
			return bad("step %d, verified %d: indexes into its %d steps", e.Step, e.Verified, len(e.Steps))
		}
		times := map[string]int64{}
		for _, f := range []struct {
			name, v  string
			required bool
		}{{"step_at", e.StepAt, true}, {"verified_at", e.VerifiedAt, false}, {"checked_at", e.CheckedAt, false},
			{"paused_at", e.PausedAt, false}, {"started_at", e.StartedAt, true}, {"ended_at", e.EndedAt, false}} {
			if f.v == "" {
				if f.required {
					return bad("%s is missing", f.name)
				}
				continue
			}
			t, err := time.Parse(time.RFC3339Nano, f.v)
			if err != nil {
				return bad("%s %q: %v", f.name, f.v, err)
			}
			times[f.name] = t.UTC().UnixMicro()
		}
		if e.Evidence != "" && !json.Valid([]byte(e.Evidence)) {
			return bad("evidence is not JSON")
		}
		r := Rollout{From: from, To: to, Steps: e.Steps, State: e.State}
		if r.Live() {
			if live[e.Label] {
				return bad("a second live rollout of %s", e.Label)
			}
			live[e.Label] = true
			cur, err := labelStateTx(ctx, tx, pid, e.Label)
			if err != nil {
				return err
			}
			if cur.Split == nil || len(cur.Split.Arms) != 2 || !cur.Split.Has(from) || !cur.Split.Has(to) {
				now := fmt.Sprintf("on v%d", cur.Version)
				if cur.Split != nil {
					now = "split " + cur.Split.String()
				}
				return bad("it is %s, but its label history leaves %s %s, not split between v%d and v%d", e.State, e.Label, now, e.From, e.To)
			}
		}
		steps, _ := json.Marshal(e.Steps)
		gs, _ := json.Marshal(guards)
		// Keep the rollout's number when it is free here, so the history's
		// "rollout N" names it.
		var id any
		if e.ID > 0 {
			var taken int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM rollouts WHERE id = ?`, e.ID).Scan(&taken); err != nil {
				return err
			}
			if taken == 0 {
				id, pinned = e.ID, true
			}
		}
		cols := `prompt_id, label, from_version, to_version, steps, every_ms, guards, min_requests, state, step, step_at, verified, verified_at,
			checked_at, paused_at, started_at, ended_at, actor, reason, evidence`
		args := []any{pid, e.Label, from, to, string(steps), every.Milliseconds(), string(gs), e.MinRequests, e.State, e.Step, times["step_at"],
			e.Verified, times["verified_at"], times["checked_at"], times["paused_at"], times["started_at"], times["ended_at"], e.Actor, e.Reason, e.Evidence}
		q := `INSERT INTO rollouts (` + cols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
		if id != nil {
			q = `INSERT INTO rollouts (id, ` + cols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
			args = append([]any{id}, args...)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	if pinned && s.pg != nil {
		// numbers given by hand do not move PostgreSQL's identity sequence
		if _, err := tx.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('rollouts', 'id'), (SELECT MAX(id) FROM rollouts))`); err != nil {
			return err
		}
	}
	return nil
}
