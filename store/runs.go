package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// CreateRun records a new run (status running unless set). Its SuiteHash
// is the hash of the cases it runs (HashSuite of the suite given to the
// runner); left empty, it is the stored suite's hash now.
func (s *Store) CreateRun(ctx context.Context, r Run) (Run, error) {
	if r.Status == "" {
		r.Status = RunRunning
	}
	if r.StartedAt.IsZero() {
		r.StartedAt = s.now()
	}
	if r.Repeat < 1 {
		r.Repeat = 1
	}
	if len(r.Settings) == 0 {
		r.Settings = json.RawMessage("{}")
	}
	if len(r.Summary) == 0 {
		r.Summary = json.RawMessage("{}")
	}
	if r.Owner != "" && r.Heartbeat.IsZero() {
		r.Heartbeat = s.now()
	}
	vers, _ := json.Marshal(nonNil(r.Versions))
	models, _ := json.Marshal(nonNil(r.Models))
	err := s.tx(ctx, "create run for "+r.Prompt, func(tx *sql.Tx) error {
		pid, _, err := promptIDTx(ctx, tx, r.Prompt)
		if err != nil {
			return err
		}
		r.PromptID = pid
		if r.SuiteHash == "" && r.Suite != "" {
			// The run is made on the suite as it is now.
			if r.SuiteHash, _, err = suiteHashTx(ctx, tx, pid, r.Suite); err != nil {
				return err
			}
		}
		var hb any
		if !r.Heartbeat.IsZero() {
			hb = r.Heartbeat.UTC().UnixMicro()
		}
		return tx.QueryRowContext(ctx, `INSERT INTO runs (prompt_id, suite_id, suite_name, versions, models, repeat, settings, status, started_at, total, summary,
				owner, heartbeat_at, suite_hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, pid, nullInt64(r.SuiteID), r.Suite, string(vers), string(models), r.Repeat,
			string(r.Settings), r.Status, r.StartedAt.UTC().UnixMicro(), r.Total, string(r.Summary), r.Owner, hb, r.SuiteHash).Scan(&r.ID)
	})
	return r, err
}

// SaveBatch writes results and cache entries in one transaction. A result
// for a (run, version, model, case, repeat) that exists replaces it (a
// resumed run re-doing an errored call).
func (s *Store) SaveBatch(ctx context.Context, results []Result, cache []CachedResponse) error {
	if len(results) == 0 && len(cache) == 0 {
		return nil
	}
	return s.tx(ctx, "save results", func(tx *sql.Tx) error {
		now := s.nowMicro()
		if len(results) > 0 {
			st, err := tx.PrepareContext(ctx, `INSERT INTO results (run_id, version, model, case_id, case_name, repeat, output, assertions, score, pass,
					latency_ms, tokens_in, tokens_out, cost, error, cached, created_at, finish_reason, usage_unknown)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT(run_id, version, model, case_id, repeat) DO UPDATE SET output = excluded.output, assertions = excluded.assertions,
					score = excluded.score, pass = excluded.pass, latency_ms = excluded.latency_ms, tokens_in = excluded.tokens_in,
					tokens_out = excluded.tokens_out, cost = excluded.cost, error = excluded.error, cached = excluded.cached, created_at = excluded.created_at,
					finish_reason = excluded.finish_reason, usage_unknown = excluded.usage_unknown`)
			if err != nil {
				return err
			}
			defer st.Close()
			for _, r := range results {
				as, _ := json.Marshal(nonNil(r.Assertions))
				at := now
				if !r.CreatedAt.IsZero() {
					at = r.CreatedAt.UTC().UnixMicro()
				}
				if _, err := st.ExecContext(ctx, r.RunID, r.Version, r.Model, r.CaseID, r.CaseName, r.Repeat, r.Output, string(as), r.Score, r.Pass,
					r.LatencyMS, r.TokensIn, r.TokensOut, r.Cost, r.Error, r.Cached, at, r.FinishReason, r.UsageUnknown); err != nil {
					return err
				}
			}
		}
		if len(cache) > 0 {
			st, err := tx.PrepareContext(ctx, `INSERT INTO response_cache (key, output, tokens_in, tokens_out, latency_ms, created_at, finish_reason, usage_unknown)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT(key) DO UPDATE SET output = excluded.output, tokens_in = excluded.tokens_in, tokens_out = excluded.tokens_out,
					latency_ms = excluded.latency_ms, created_at = excluded.created_at, finish_reason = excluded.finish_reason,
					usage_unknown = excluded.usage_unknown`)
			if err != nil {
				return err
			}
			defer st.Close()
			for _, c := range cache {
				if _, err := st.ExecContext(ctx, c.Key, c.Output, c.TokensIn, c.TokensOut, c.LatencyMS, now, c.FinishReason, c.UsageUnknown); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// FinishRun sets a run's final status and summary.
func (s *Store) FinishRun(ctx context.Context, id int64, status string, summary json.RawMessage) error {
	switch status {
	case RunDone, RunCancelled, RunFailed, RunRunning:
	default:
		return fmt.Errorf("finish run %d: unknown status %q: %w", id, status, ErrInvalid)
	}
	if len(summary) == 0 {
		summary = json.RawMessage("{}")
	}
	return s.tx(ctx, fmt.Sprintf("finish run %d", id), func(tx *sql.Tx) error {
		var fin any
		if status != RunRunning {
			fin = s.nowMicro()
		}
		res, err := tx.ExecContext(ctx, `UPDATE runs SET status = ?, summary = ?, finished_at = ? WHERE id = ?`, status, string(summary), fin, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("no run %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

const runSelect = `SELECT r.id, r.prompt_id, p.name, r.suite_name, COALESCE(r.suite_id, 0), r.versions, r.models, r.repeat, r.settings, r.status,
	r.started_at, r.finished_at, r.total, r.summary, r.owner, r.heartbeat_at, r.suite_hash FROM runs r JOIN prompts p ON p.id = r.prompt_id`

func scanRun(sc rowScanner) (Run, error) {
	var r Run
	var vers, models, settings, summary string
	var started int64
	var fin, hb sql.NullInt64
	if err := sc.Scan(&r.ID, &r.PromptID, &r.Prompt, &r.Suite, &r.SuiteID, &vers, &models, &r.Repeat, &settings, &r.Status, &started, &fin, &r.Total, &summary,
		&r.Owner, &hb, &r.SuiteHash); err != nil {
		return r, err
	}
	if hb.Valid {
		r.Heartbeat = time.UnixMicro(hb.Int64).UTC()
	}
	json.Unmarshal([]byte(vers), &r.Versions)
	json.Unmarshal([]byte(models), &r.Models)
	r.Settings = json.RawMessage(settings)
	r.Summary = json.RawMessage(summary)
	r.StartedAt = time.UnixMicro(started).UTC()
	if fin.Valid {
		t := time.UnixMicro(fin.Int64).UTC()
		r.FinishedAt = &t
	}
	return r, nil
}

// Run returns one run (a running run whose owner is gone as interrupted).
func (s *Store) Run(ctx context.Context, id int64) (Run, error) {
	r, err := scanRun(s.db.QueryRowContext(ctx, runSelect+` WHERE r.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, &MissingError{Kind: MissingRun, Name: fmt.Sprint(id), msg: fmt.Sprintf("no run %d", id)}
	}
	return s.effective(r), s.wrap(fmt.Sprintf("run %d", id), err)
}

// Runs lists a prompt's runs, newest first (running runs whose owner is gone
// as interrupted).
func (s *Store) Runs(ctx context.Context, prompt string) ([]Run, error) {
	p, err := s.Prompt(ctx, prompt)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, runSelect+` WHERE r.prompt_id = ? ORDER BY r.id DESC`, p.ID)
	if err != nil {
		return nil, s.wrap("runs "+prompt, err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, s.wrap("runs "+prompt, err)
		}
		out = append(out, s.effective(r))
	}
	return out, s.wrap("runs "+prompt, rows.Err())
}

// Results returns a run's results ordered by version, model, case position
// and repeat.
func (s *Store) Results(ctx context.Context, runID int64) ([]Result, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT res.id, res.run_id, res.version, res.model, res.case_id, res.case_name, res.repeat, res.output, res.assertions,
			res.score, res.pass, res.latency_ms, res.tokens_in, res.tokens_out, res.cost, res.error, res.cached, res.created_at,
			res.finish_reason, res.usage_unknown
		FROM results res LEFT JOIN cases c ON c.id = res.case_id
		WHERE res.run_id = ? ORDER BY res.version, res.model, COALESCE(c.position, 1e9), res.case_id, res.repeat`, runID)
	if err != nil {
		return nil, s.wrap(fmt.Sprintf("results of run %d", runID), err)
	}
	defer rows.Close()
	var out []Result
	for rows.Next() {
		var r Result
		var as string
		var at int64
		if err := rows.Scan(&r.ID, &r.RunID, &r.Version, &r.Model, &r.CaseID, &r.CaseName, &r.Repeat, &r.Output, &as, &r.Score, &r.Pass,
			&r.LatencyMS, &r.TokensIn, &r.TokensOut, &r.Cost, &r.Error, &r.Cached, &at,
			&r.FinishReason, &r.UsageUnknown); err != nil {
			return nil, s.wrap("results", err)
		}
		json.Unmarshal([]byte(as), &r.Assertions)
		r.CreatedAt = time.UnixMicro(at).UTC()
		out = append(out, r)
	}
	return out, s.wrap("results", rows.Err())
}

// CacheGet looks up a cached response by request hash.
func (s *Store) CacheGet(ctx context.Context, key string) (CachedResponse, bool, error) {
	c := CachedResponse{Key: key}
	var at int64
	err := s.db.QueryRowContext(ctx, `SELECT output, tokens_in, tokens_out, latency_ms, created_at, finish_reason, usage_unknown
		FROM response_cache WHERE key = ?`, key).
		Scan(&c.Output, &c.TokensIn, &c.TokensOut, &c.LatencyMS, &at, &c.FinishReason, &c.UsageUnknown)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, s.wrap("cache", err)
	}
	c.CreatedAt = time.UnixMicro(at).UTC()
	return c, true, nil
}
