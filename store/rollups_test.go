package store

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// hourlyFixture records three days of events at odd minutes, with feedback,
// for two versions, labels and models.
func hourlyFixture(t *testing.T) (*Store, time.Time, time.Time) {
	t.Helper()
	st := eventsStore(t)
	ctx := context.Background()
	end := time.Now().Add(-time.Hour)
	start := end.Add(-72 * time.Hour)
	r := rand.New(rand.NewPCG(1, 2))
	var evs []Event
	var fbs []Feedback
	for i := range 6000 {
		e := Event{ID: "h" + strconv.Itoa(i), Prompt: "greet", Version: 1 + r.IntN(2), Label: []string{"production", "staging"}[r.IntN(2)],
			Model: []string{"a", "b"}[r.IntN(2)], Time: start.Add(time.Duration(r.Int64N(int64(72 * time.Hour)))),
			LatencyMS: float64(50 + r.IntN(4000)), TokensIn: int64(r.IntN(500)), TokensOut: int64(r.IntN(200)), Cost: float64(r.IntN(100)) / 1e5}
		if r.IntN(10) == 0 {
			e.Status = "error"
		}
		if r.IntN(5) == 0 {
			e.Score = fptr(r.Float64())
		}
		if r.IntN(7) == 0 {
			fbs = append(fbs, Feedback{ID: "f" + strconv.Itoa(i), EventID: e.ID, Score: r.Float64()})
		}
		evs = append(evs, e)
	}
	if _, err := st.RecordEvents(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordFeedback(ctx, fbs); err != nil {
		t.Fatal(err)
	}
	return st, start, end
}

// minuteStats is Stats read from the minute rollups alone: what the hourly
// path must agree with.
func minuteStats(t *testing.T, st *Store, since, until time.Time, by string) map[string]Figures {
	t.Helper()
	out := map[string]Figures{}
	groups := map[int64]*acc{}
	var total acc
	err := st.readRollups(context.Background(), "greet", since, until, false, func(r *rollRow) error {
		total.add(&r.rollAgg)
		k := groupKey(by, r)
		if groups[k] == nil {
			groups[k] = &acc{}
		}
		groups[k].add(&r.rollAgg)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out["total"] = public(total.figures())
	for id, g := range groups {
		k, _ := st.groupKeyText(context.Background(), by, id)
		out[k] = public(g.figures())
	}
	return out
}

func statsMap(rep StatsReport) map[string]Figures {
	out := map[string]Figures{"total": public(rep.Total)}
	for _, g := range rep.Groups {
		out[g.Key] = public(g.Figures)
	}
	return out
}

// public drops the raw score sums, whose last bits depend on the order
// they were added in.
func public(f Figures) Figures {
	f.scoreSum, f.scoreSq = 0, 0
	return f
}

// Stats over windows with ragged edges read whole hours from the hourly
// rollups and the edges from the minute rollups: the figures are exactly
// those of the minute rollups alone.
func TestHourlyRollupsGiveTheMinuteFigures(t *testing.T) {
	st, start, end := hourlyFixture(t)
	ctx := context.Background()
	windows := [][2]time.Time{
		{start, end},
		{start.Add(17 * time.Minute), end.Add(-23 * time.Minute)},
		{start.Add(2*time.Hour + 59*time.Minute), start.Add(3*time.Hour + time.Minute)},
		{start.Add(5 * time.Minute), start.Add(40 * time.Minute)},
	}
	for _, w := range windows {
		for _, by := range []string{"version", "label", "model"} {
			rep, err := st.Stats(ctx, StatsQuery{Prompt: "greet", Since: w[0], Until: w[1], By: by})
			if err != nil {
				t.Fatal(err)
			}
			if want := minuteStats(t, st, w[0], w[1], by); !reflect.DeepEqual(statsMap(rep), want) {
				t.Fatalf("window %v by %s:\nhourly %+v\nminute %+v", w, by, statsMap(rep), want)
			}
		}
	}
}

// A file made before hourly rollups gets them from its minute rollups when
// the migration runs.
func TestHourlyRollupsBackfilledFromMinutes(t *testing.T) {
	st, start, end := hourlyFixture(t)
	ctx := context.Background()
	want, err := st.Stats(ctx, StatsQuery{Prompt: "greet", Since: start, Until: end, By: "version"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.db.Exec(`DELETE FROM rollups_hour`); err != nil {
		t.Fatal(err)
	}
	step := migrationSteps["hourly_rollups.sql"]
	found := false
	for _, m := range mustMigrations() {
		found = found || m.name[5:] == "hourly_rollups.sql"
	}
	if step == nil || !found {
		t.Fatal("the hourly rollups migration has no backfill step")
	}
	if err := st.tx(ctx, "backfill", func(tx *sql.Tx) error { return step(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
	got, err := st.Stats(ctx, StatsQuery{Prompt: "greet", Since: start, Until: end, By: "version"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(statsMap(got), statsMap(want)) {
		t.Fatalf("after backfill %+v\nwant %+v", got, want)
	}
}

// Series with hour steps start on an hour and agree with the stats of
// each step.
func TestSeriesHourStepsUseWholeHours(t *testing.T) {
	st, start, end := hourlyFixture(t)
	ctx := context.Background()
	s, err := st.Series(ctx, SeriesQuery{Prompt: "greet", Since: start, Until: end, Step: 3 * time.Hour, By: "version"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Start.Minute() != 0 || s.Step != 3*time.Hour {
		t.Fatalf("start %v step %v", s.Start, s.Step)
	}
	for i, f := range s.Total {
		from := s.Start.Add(time.Duration(i) * s.Step)
		want := minuteStats(t, st, from, from.Add(s.Step), "version")["total"]
		if !reflect.DeepEqual(public(f), want) {
			t.Fatalf("step %d: %+v want %+v", i, f, want)
		}
	}
	if _, err := st.Series(ctx, SeriesQuery{Prompt: "greet", Since: start, Until: end, Step: time.Second}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Series(ctx, SeriesQuery{Prompt: "greet", Since: end.Add(-300 * 24 * time.Hour), Until: end, Step: time.Minute}); err == nil {
		t.Fatal("a series of 432,000 points was not refused")
	}
}
