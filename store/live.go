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

// Cursor marks how far a reader of changes has read: the newest version
// and label move it has seen, by row id. Ids, not times: a machine whose
// clock runs ahead or behind would make a reader by time miss the changes
// of the others. Writers are serialised (one writer on a file, an advisory
// lock per write on PostgreSQL), so ids grow in commit order.
type Cursor struct {
	Version int64 // versions.id
	Label   int64 // label_events.id
}

// ChangeCursor is the cursor past every change made so far.
func (s *Store) ChangeCursor(ctx context.Context) (Cursor, error) {
	var c Cursor
	err := s.db.QueryRowContext(ctx, `SELECT (SELECT COALESCE(MAX(id), 0) FROM versions), (SELECT COALESCE(MAX(id), 0) FROM label_events)`).
		Scan(&c.Version, &c.Label)
	return c, s.wrap("changes", err)
}

// ChangesAfter lists the versions and label moves made after the cursor,
// oldest first (at most 500 of each), and the cursor past them.
func (s *Store) ChangesAfter(ctx context.Context, cur Cursor) ([]Change, Cursor, error) {
	var out []Change
	rows, err := s.db.QueryContext(ctx, `SELECT v.id, p.name, v.number, v.author, v.created_at FROM versions v JOIN prompts p ON p.id = v.prompt_id
		WHERE v.id > ? ORDER BY v.id LIMIT 500`, cur.Version)
	if err != nil {
		return nil, cur, s.wrap("changes", err)
	}
	for rows.Next() {
		c := Change{Kind: "version"}
		var ts int64
		if err := rows.Scan(&cur.Version, &c.Prompt, &c.Version, &c.Actor, &ts); err != nil {
			rows.Close()
			return nil, cur, s.wrap("changes", err)
		}
		c.At = time.UnixMicro(ts).UTC()
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, cur, s.wrap("changes", err)
	}
	evs, err := s.events(ctx, eventSelect+` WHERE e.id > ? ORDER BY e.id LIMIT 500`, cur.Label)
	if err != nil {
		return nil, cur, err
	}
	for _, e := range evs {
		cur.Label = max(cur.Label, e.ID)
		out = append(out, Change{Prompt: e.Prompt, Kind: "label", Version: e.To, From: e.From, Label: e.Label, Actor: e.Actor, At: e.At})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, cur, nil
}
