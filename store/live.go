package store

import (
	"context"
	"fmt"
	"sort"
	"time"
)

// DataVersion returns SQLite's data_version for a connection the store
// keeps for this purpose: it changes whenever another connection (another
// process, or this process's writes) commits to the file. Poll it to notice
// changes cheaply. On PostgreSQL it counts the notifications every write
// transaction sends at commit (LISTEN/NOTIFY), so a poll costs no query.
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	if s.pg != nil {
		return s.pgDataVersion(ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dvConn == nil {
		c, err := s.db.Conn(ctx)
		if err != nil {
			return 0, s.wrap("data version", err)
		}
		s.dvConn = c
	}
	var v int64
	if err := s.dvConn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err != nil {
		s.dvConn.Close()
		s.dvConn = nil
		return 0, s.wrap("data version", err)
	}
	return v, nil
}

// Change is one recent change to the registry, for "devon committed
// support/reply v7" notices.
type Change struct {
	Prompt  string
	Kind    string // "version" or "label"
	Version int    // the new version, or the version the label moved to (0 = removed)
	From    int    // label moves: the version the label left
	Label   string
	Actor   string
	At      time.Time
}

// String describes the change in a sentence.
func (c Change) String() string {
	who := c.Actor
	if who == "" {
		who = "someone"
	}
	if c.Kind == "version" {
		return fmt.Sprintf("%s committed %s v%d", who, c.Prompt, c.Version)
	}
	if c.Version == 0 {
		return fmt.Sprintf("%s removed %s from %s", who, c.Label, c.Prompt)
	}
	return fmt.Sprintf("%s moved %s %s to v%d", who, c.Prompt, c.Label, c.Version)
}

// ChangesSince lists versions and label moves made after t, oldest first.
func (s *Store) ChangesSince(ctx context.Context, t time.Time) ([]Change, error) {
	at := t.UTC().UnixMicro()
	var out []Change
	rows, err := s.db.QueryContext(ctx, `SELECT p.name, v.number, v.author, v.created_at FROM versions v JOIN prompts p ON p.id = v.prompt_id
		WHERE v.created_at > ? ORDER BY v.created_at LIMIT 500`, at)
	if err != nil {
		return nil, s.wrap("changes", err)
	}
	for rows.Next() {
		c := Change{Kind: "version"}
		var ts int64
		if err := rows.Scan(&c.Prompt, &c.Version, &c.Actor, &ts); err != nil {
			rows.Close()
			return nil, s.wrap("changes", err)
		}
		c.At = time.UnixMicro(ts).UTC()
		out = append(out, c)
	}
	rows.Close()
	evs, err := s.events(ctx, eventSelect+` WHERE e.at > ? ORDER BY e.id LIMIT 500`, at)
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		out = append(out, Change{Prompt: e.Prompt, Kind: "label", Version: e.To, From: e.From, Label: e.Label, Actor: e.Actor, At: e.At})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}
