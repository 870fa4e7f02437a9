package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// merge adds the source's registry to the destination's (CopyOptions.Merge)
// in one transaction, and verifies before it commits: for every table, the
// destination's rows after the merge are its rows before plus the rows
// added (counts and checksums). Interrupted or refused, nothing is written.
func (s *Store) merge(ctx context.Context, src *sql.Conn, cols [][]string, o CopyOptions, rep0 CopyReport) (CopyReport, error) {
	op := "merge into " + s.path
	var rep CopyReport
	err := s.tx(ctx, op, func(tx *sql.Tx) error {
		rep = rep0
		var m sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT max(value) FROM settings WHERE key = ?`, copyMarker).Scan(&m); err != nil {
			return err
		}
		if m.Valid {
			return fmt.Errorf("it holds an unfinished copy from %s: run that copy again to finish it first: %w", m.String, ErrConflict)
		}
		before := make([]tableSum, len(copyTables))
		for i, t := range copyTables {
			var err error
			if before[i], err = sumTable(ctx, tx, t, cols[i]); err != nil {
				return fmt.Errorf("checksum of %s: %w", t.name, err)
			}
		}
		plan, err := planMerge(ctx, src, tx)
		if err != nil {
			return err
		}
		rep.KeptPrompts, rep.AddedPrompts = plan.keptNames, plan.addedNames
		mg := &merger{s: s, tx: tx, src: src, plan: plan, off: map[string]int64{}, strMap: map[int64]int64{},
			left: map[string]map[int64]bool{}}
		for _, t := range copyTables {
			if t.id || t.name == "event_strings" {
				var mx int64
				if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(id), 0) FROM `+t.name).Scan(&mx); err != nil {
					return err
				}
				mg.off[t.name] = mx
			}
		}
		added := make([]tableSum, len(copyTables))
		kept := make([]int64, len(copyTables))
		for i, t := range copyTables {
			a, k, err := mg.table(ctx, t, cols[i], o)
			if err != nil {
				return err
			}
			added[i], kept[i] = a, k
			if err := s.pgSyncIdentity(ctx, tx, t.name, cols[i]); err != nil {
				return err
			}
			if o.Progress != nil {
				o.Progress(CopyProgress{Table: t.name, Rows: a.n, Done: true})
			}
		}
		var names []string
		var want, got []tableSum
		var differ []string
		rep.Tables = nil
		for i, t := range copyTables {
			after, err := sumTable(ctx, tx, t, cols[i])
			if err != nil {
				return fmt.Errorf("checksum of %s: %w", t.name, err)
			}
			w := before[i]
			w.add(added[i])
			names, want, got = append(names, t.name), append(want, w), append(got, after)
			rep.Tables = append(rep.Tables, CopyTable{Name: t.name, Source: added[i].n + kept[i], Before: before[i].n, Added: added[i].n,
				Kept: kept[i], Destination: after.n, SourceSum: w.hex(), DestSum: after.hex()})
			if w != after {
				differ = append(differ, t.name)
			}
		}
		rep.SourceChecksum, rep.DestChecksum = checksum(names, want), checksum(names, got)
		if len(differ) > 0 {
			return fmt.Errorf("after the merge, %s do not hold what was there plus what was added: nothing was written", strings.Join(differ, ", "))
		}
		return nil
	})
	return rep, err
}

// mergePlan decides, prompt by prompt, what a merge adds.
type mergePlan struct {
	kept       map[int64]bool // source prompt ids the destination already has, identical
	srcNames   map[int64]string
	keptNames  []string
	addedNames []string
}

// planMerge compares the prompts both sides hold: the same versions (by
// number and content hash) are kept; any difference refuses the merge,
// naming the prompts.
func planMerge(ctx context.Context, src *sql.Conn, dst *sql.Tx) (mergePlan, error) {
	p := mergePlan{kept: map[int64]bool{}, srcNames: map[int64]string{}}
	type prompt struct {
		id     int64
		hashes []string
	}
	read := func(q queryer) (map[string]*prompt, []string, error) {
		byName := map[string]*prompt{}
		byID := map[int64]*prompt{}
		var order []string
		rows, err := q.QueryContext(ctx, `SELECT id, name FROM prompts ORDER BY id`)
		if err != nil {
			return nil, nil, err
		}
		for rows.Next() {
			var pr prompt
			var name string
			if err := rows.Scan(&pr.id, &name); err != nil {
				rows.Close()
				return nil, nil, err
			}
			byName[name], byID[pr.id] = &pr, &pr
			order = append(order, name)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, nil, err
		}
		rows, err = q.QueryContext(ctx, `SELECT prompt_id, content_hash FROM versions ORDER BY prompt_id, number`)
		if err != nil {
			return nil, nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var h string
			if err := rows.Scan(&id, &h); err != nil {
				return nil, nil, err
			}
			if pr := byID[id]; pr != nil {
				pr.hashes = append(pr.hashes, h)
			}
		}
		return byName, order, rows.Err()
	}
	srcP, order, err := read(src)
	if err != nil {
		return p, err
	}
	dstP, _, err := read(dst)
	if err != nil {
		return p, err
	}
	var conflicts []string
	for _, name := range order {
		sp := srcP[name]
		p.srcNames[sp.id] = name
		dp := dstP[name]
		switch {
		case dp == nil:
			p.addedNames = append(p.addedNames, name)
		case slices.Equal(sp.hashes, dp.hashes):
			p.kept[sp.id] = true
			p.keptNames = append(p.keptNames, name)
		default:
			n := 0
			for n < min(len(sp.hashes), len(dp.hashes)) && sp.hashes[n] == dp.hashes[n] {
				n++
			}
			var why string
			if n < min(len(sp.hashes), len(dp.hashes)) {
				why = fmt.Sprintf("version %d differs", n+1)
			} else {
				why = fmt.Sprintf("%d versions in the source, %d in the destination", len(sp.hashes), len(dp.hashes))
			}
			conflicts = append(conflicts, fmt.Sprintf("%s (%s)", name, why))
		}
	}
	if len(conflicts) > 0 {
		more := ""
		if len(conflicts) > 5 {
			more = fmt.Sprintf(" and %d more", len(conflicts)-5)
			conflicts = conflicts[:5]
		}
		return p, fmt.Errorf("both hold %s%s, with different versions: a merge keeps a prompt only when both have the same versions; rename one side's prompt or merge into another destination; nothing was written: %w",
			strings.Join(conflicts, ", "), more, ErrConflict)
	}
	return p, nil
}

// merger writes one merge's rows.
type merger struct {
	s      *Store
	tx     *sql.Tx
	src    *sql.Conn
	plan   mergePlan
	off    map[string]int64          // table -> the destination's largest id before the merge
	strMap map[int64]int64           // source event string id -> destination id
	left   map[string]map[int64]bool // table -> source ids left out (their prompt was kept)
}

// table merges one table; it returns the sum of the rows added and how
// many source rows were left out.
func (m *merger) table(ctx context.Context, t copySpec, cols []string, o CopyOptions) (tableSum, int64, error) {
	var added tableSum
	var kept int64
	order := nameOrder(cols)
	keyIdx := indexes(cols, t.key)
	idx := func(c string) int { return slices.Index(cols, c) }
	var after []any
	for {
		batch, err := readBatch(ctx, m.src, t, cols, after, o.BatchRows)
		if err != nil {
			return added, kept, fmt.Errorf("read table %s of the source: %w", t.name, err)
		}
		if len(batch) == 0 {
			break
		}
		after = keyOf(batch[len(batch)-1], keyIdx)
		var out []copyRow
		switch {
		case t.skip:
			kept += int64(len(batch))
			continue
		case t.name == "event_strings":
			out, kept, err = m.strings(ctx, batch, cols, kept)
			if err != nil {
				return added, kept, err
			}
		default:
			for _, r0 := range batch {
				r := slices.Clone(r0)
				leave := false
				switch {
				case t.name == "prompts":
					leave = m.plan.kept[r[idx("id")].(int64)]
				case t.prompt != "":
					pid, _ := r[idx(t.prompt)].(int64)
					leave = m.plan.kept[pid]
				case t.parent[0] != "":
					par, _ := r[idx(t.parent[0])].(int64)
					leave = m.left[t.parent[1]][par]
				}
				if leave {
					if t.id {
						if m.left[t.name] == nil {
							m.left[t.name] = map[int64]bool{}
						}
						m.left[t.name][r[idx("id")].(int64)] = true
					}
					kept++
					continue
				}
				for c, ref := range t.refs {
					i := idx(c)
					v, ok := r[i].(int64)
					if !ok {
						continue // NULL
					}
					if ref == "event_strings" {
						nv, ok := m.strMap[v]
						if !ok {
							return added, kept, fmt.Errorf("table %s of the source names event string %d, which it does not hold: %w", t.name, v, ErrCorrupt)
						}
						r[i] = nv
					} else {
						r[i] = v + m.off[ref]
					}
				}
				if t.id {
					r[idx("id")] = r[idx("id")].(int64) + m.off[t.name]
				}
				out = append(out, r)
			}
		}
		if t.union || t.event != "" {
			if out, err = m.dropExisting(ctx, t, cols, out, &kept); err != nil {
				return added, kept, err
			}
		}
		if t.name == "events" {
			if err := m.refuseKnownEvents(ctx, cols, out); err != nil {
				return added, kept, err
			}
		}
		if len(out) == 0 {
			continue
		}
		if err := m.s.readyFor(ctx, m.tx, t, cols, out); err != nil {
			return added, kept, fmt.Errorf("table %s: %w", t.name, err)
		}
		ins := func() error { return insertRows(ctx, m.tx, t.name, cols, out) }
		if t.triggers {
			err = m.s.withTriggersOff(ctx, m.tx, t.name, ins)
		} else {
			err = ins()
		}
		if err != nil {
			return added, kept, fmt.Errorf("table %s: %w", t.name, err)
		}
		for _, r := range out {
			added.add(rowHash(cols, order, r))
		}
		if o.Progress != nil {
			o.Progress(CopyProgress{Table: t.name, Rows: added.n})
		}
	}
	return added, kept, nil
}

// strings maps the source's event strings to the destination's by value,
// and returns those it lacks under new ids.
func (m *merger) strings(ctx context.Context, batch []copyRow, cols []string, kept int64) ([]copyRow, int64, error) {
	iID, iVal := slices.Index(cols, "id"), slices.Index(cols, "value")
	var out []copyRow
	for _, r := range batch {
		id := r[iID].(int64)
		var have int64
		err := m.tx.QueryRowContext(ctx, `SELECT id FROM event_strings WHERE value = ?`, r[iVal]).Scan(&have)
		switch {
		case err == nil:
			m.strMap[id] = have
			kept++
		case err == sql.ErrNoRows:
			nr := slices.Clone(r)
			nr[iID] = id + m.off["event_strings"] + 1
			m.strMap[id] = nr[iID].(int64)
			out = append(out, nr)
		default:
			return nil, kept, err
		}
	}
	return out, kept, nil
}

// inKeys returns which of the values of column col the destination's
// table holds (with an extra condition).
func (m *merger) inKeys(ctx context.Context, table, col, extra string, extraArgs []any, vals []any) (map[any]bool, error) {
	have := map[any]bool{}
	for start := 0; start < len(vals); start += 500 {
		chunk := vals[start:min(start+500, len(vals))]
		q := `SELECT "` + col + `" FROM ` + table + ` WHERE "` + col + `" IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(chunk)), ", ") + `)`
		args := slices.Clone(chunk)
		if extra != "" {
			q += ` AND ` + extra
			args = append(args, extraArgs...)
		}
		rows, err := m.tx.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var v any
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return nil, err
			}
			have[normValue(v, false)] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return have, nil
}

// dropExisting leaves out rows whose key the destination already has
// (registry-wide rows: the destination's is kept), and rows of an event
// that this merge did not add.
func (m *merger) dropExisting(ctx context.Context, t copySpec, cols []string, rows []copyRow, kept *int64) ([]copyRow, error) {
	if len(rows) == 0 {
		return rows, nil
	}
	k := slices.Index(cols, t.key[0])
	keys := make([]any, len(rows))
	for i, r := range rows {
		keys[i] = r[k]
	}
	have, err := m.inKeys(ctx, t.name, t.key[0], "", nil, keys)
	if err != nil {
		return nil, err
	}
	var ours map[any]bool
	if t.event != "" {
		e := slices.Index(cols, t.event)
		ev := make([]any, len(rows))
		for i, r := range rows {
			ev[i] = r[e]
		}
		if ours, err = m.inKeys(ctx, "events", "key", "id > ?", []any{m.off["events"]}, ev); err != nil {
			return nil, err
		}
	}
	out := rows[:0]
	for _, r := range rows {
		if have[r[k]] || (t.event != "" && !ours[r[slices.Index(cols, t.event)]]) {
			*kept++
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// refuseKnownEvents refuses events the destination already holds (the
// same event id recorded into both registries): their figures would be
// counted twice.
func (m *merger) refuseKnownEvents(ctx context.Context, cols []string, rows []copyRow) error {
	if len(rows) == 0 {
		return nil
	}
	k, p := slices.Index(cols, "key"), slices.Index(cols, "prompt_id")
	keys := make([]any, len(rows))
	for i, r := range rows {
		keys[i] = r[k]
	}
	have, err := m.inKeys(ctx, "events", "key", "", nil, keys)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if have[r[k]] {
			pid := r[p].(int64) - m.off["prompts"]
			return fmt.Errorf("the destination already holds events of prompt %s with the same event ids (%d of this batch): they were recorded into both registries and would count twice; nothing was written: %w",
				m.plan.srcNames[pid], len(have), ErrConflict)
		}
	}
	return nil
}
