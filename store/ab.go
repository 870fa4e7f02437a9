package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"
)

// ABQuery selects the events of a label's split to compare its arms.
type ABQuery struct {
	Prompt string
	Label  string // default production
	// Since and Until bound the window; a zero Since takes the label's
	// current split period (from the move that made it a split), or its
	// latest one when it is whole again (a finished or aborted rollout).
	Since, Until time.Time
}

// ArmSample is the sums of one arm's events in the window, read from the
// minute rollups.
type ArmSample struct {
	Version    int
	Arm        string // ArmName(Version)
	Requests   int64
	Errors     int64
	LatencySum int64 // ms
	Hist       Histogram
	ScoreN     int64
	ScoreSum   float64
	ScoreSq    float64
	CostSum    float64 // dollars
	CostSq     float64 // dollars²
	// Expected is the number of requests the arm should have had: each
	// minute's requests times the arm's weight in force then (from the
	// label history), the base of the sample-ratio-mismatch check.
	Expected float64
}

// ABData is what `verso ab` analyses.
type ABData struct {
	Prompt  string
	Label   string
	Since   time.Time
	Until   time.Time
	Control int // the version the others are compared with
	Arms    []ArmSample
}

// ErrNoSplit is returned (wrapped, with ErrInvalid) when a label was never
// a split: there is nothing to compare.
var ErrNoSplit = fmt.Errorf("the label was never a split: %w", ErrInvalid)

// ABData reads the arms of a label's split over a window, with the counts
// the weights in force predicted for each.
func (s *Store) ABData(ctx context.Context, q ABQuery) (ABData, error) {
	if q.Label == "" {
		q.Label = "production"
	}
	d := ABData{Prompt: q.Prompt, Label: q.Label}
	hist, err := s.LabelHistory(ctx, q.Prompt)
	if err != nil {
		return d, err
	}
	var moves []LabelEvent
	for _, e := range hist {
		if e.Label == q.Label {
			moves = append(moves, e)
		}
	}
	d.Since, d.Until = q.Since, q.Until
	if d.Since.IsZero() {
		start, end := -1, -1
		for i, e := range moves {
			if e.ToSplit != nil && e.FromSplit == nil {
				start, end = i, -1
			}
			if start >= 0 && end < 0 && i > start && e.ToSplit == nil {
				end = i
			}
		}
		if start < 0 {
			return d, fmt.Errorf("%s %s: %w", q.Prompt, q.Label, ErrNoSplit)
		}
		d.Since = moves[start].At
		if end >= 0 && d.Until.IsZero() {
			d.Until = moves[end].At
		}
	}
	if d.Until.IsZero() {
		d.Until = s.now()
	}
	d.Since, d.Until = d.Since.UTC(), d.Until.UTC()
	// the label's state at a time: the last move at or before it
	weightsAt := func(ms int64) *LabelState {
		i := sort.Search(len(moves), func(i int) bool { return moves[i].At.UnixMilli() > ms }) - 1
		if i < 0 {
			return nil
		}
		st := moves[i].ToState()
		return &st
	}
	lid, err := s.stringID(ctx, q.Label)
	if err != nil {
		return d, err
	}
	arms := map[int]*ArmSample{}
	arm := func(v int) *ArmSample {
		a := arms[v]
		if a == nil {
			a = &ArmSample{Version: v, Arm: ArmName(v)}
			arms[v] = a
		}
		return a
	}
	if lid >= 0 {
		// The window cut at the label's moves (on minute boundaries: a
		// move's minute counts under the new weights), each piece read from
		// the hourly rollups where it holds whole hours.
		cuts := []time.Time{d.Since.Truncate(time.Minute)}
		for _, e := range moves {
			if m := e.At.Truncate(time.Minute); m.After(cuts[len(cuts)-1]) && m.Before(d.Until) {
				cuts = append(cuts, m)
			}
		}
		end := d.Until.Truncate(time.Minute).Add(time.Minute) // the minute of Until included
		cuts = append(cuts, end)
		for i := 0; i+1 < len(cuts); i++ {
			st := weightsAt(cuts[i].UnixMilli() + 59_999)
			err = s.readRollups(ctx, q.Prompt, cuts[i], cuts[i+1], true, func(r *rollRow) error {
				if r.dims[0] != lid {
					return nil
				}
				a := arm(r.version)
				a.Requests += r.requests
				a.Errors += r.errors
				a.LatencySum += r.latency
				a.Hist.Merge(&r.hist)
				a.ScoreN += r.scoreN
				a.ScoreSum += r.scoreSum
				a.ScoreSq += r.scoreSq
				a.CostSum += float64(r.cost) / 1e9
				a.CostSq += r.costSq / 1e18
				if st != nil {
					for _, v := range st.versions() {
						w := 100
						if st.Split != nil {
							w = st.Split.Weight(v)
						}
						arm(v).Expected += float64(r.requests) * float64(w) / 100
					}
				}
				return nil
			})
			if err != nil {
				return d, err
			}
		}
	}
	for _, a := range arms {
		d.Arms = append(d.Arms, *a)
	}
	slices.SortFunc(d.Arms, func(a, b ArmSample) int { return a.Version - b.Version })
	// the control: the version a rollout in the window started from, else
	// the one with the largest weight when the window began
	if rs, err := s.Rollouts(ctx, q.Prompt); err == nil {
		for _, r := range rs {
			if r.Label == q.Label && !r.StartedAt.After(d.Until) && (r.EndedAt.IsZero() || !r.EndedAt.Before(d.Since)) {
				d.Control = r.From
				break
			}
		}
	}
	if d.Control == 0 {
		if st := weightsAt(d.Since.UnixMilli()); st != nil {
			d.Control = st.Version
		} else if len(d.Arms) > 0 {
			d.Control = d.Arms[0].Version
		}
	}
	return d, nil
}

// stringID is an event string's id (-1 when no event ever carried it).
func (s *Store) stringID(ctx context.Context, v string) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT id FROM event_strings WHERE value = ?`, v).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return -1, nil
	}
	return id, s.wrap("ab", err)
}
