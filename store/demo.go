package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// demoKey is the settings row that marks a registry as built by `verso
// demo`, which rebuilds (deletes and recreates) only such files: prompt
// tags or names prove nothing, a user may tag their own prompts synthetic.
const demoKey = "demo"

// MarkDemo marks the registry as a demo that `verso demo` may replace.
func (s *Store) MarkDemo(ctx context.Context) error {
	return s.tx(ctx, "mark "+s.path+" as a demo", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
			demoKey, fmt.Sprintf(`{"built_at": %d}`, s.nowMicro()))
		return err
	})
}

// IsDemo reports whether the registry was marked with MarkDemo.
func (s *Store) IsDemo(ctx context.Context) (bool, error) {
	var v string
	err := s.retryBusy(ctx, func() error {
		return s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, demoKey).Scan(&v)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, s.wrap("read "+s.path, err)
	}
	return true, nil
}
