package client

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/store"
)

// GetUnit gives each unit of a split label its arm, from the file and from
// serve alike, and the events recorded with the version and arm count per
// arm.
func TestGetUnitReturnsTheUnitsArm(t *testing.T) {
	ctx := context.Background()
	st := registry(t)
	sp := store.Split{Arms: []store.Arm{{Version: 1, Weight: 50}, {Version: 2, Weight: 50}}, Salt: "client"}
	if _, err := st.SetLabel(ctx, store.LabelInput{Prompt: "greet", Label: "production", Split: &sp, Force: true, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	ts, _ := flaky(t, st)
	for _, src := range []string{st.Path(), ts.URL} {
		c, err := Open(src, Options{TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		arms := map[string]int{}
		for i := range 40 {
			unit := fmt.Sprint("user-", i)
			want := sp.ArmOf(store.Bucket("client", unit)).Version
			for range 2 { // the second comes after a cached answer for another unit
				p, err := c.GetUnit(ctx, "greet", unit)
				if err != nil {
					t.Fatal(err)
				}
				if p.Version != want || p.Arm != store.ArmName(want) {
					t.Fatalf("%s %s: v%d arm %q, want v%d", src, unit, p.Version, p.Arm, want)
				}
			}
			msgs, p, err := c.RenderUnit(ctx, "greet", unit, map[string]any{"x": "!"})
			if err != nil || p.Version != want || len(msgs) != 1 {
				t.Fatalf("render %s: %v %v", unit, p, err)
			}
			arms[p.Arm]++
			c.Record(Event{Prompt: p.Name, Version: p.Version, Label: p.Label, Arm: p.Arm, Unit: unit, LatencyMS: 10})
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if len(arms) != 2 {
			t.Fatalf("arms: %v", arms)
		}
	}
	rep, err := st.Stats(ctx, store.StatsQuery{Prompt: "greet", Since: time.Now().Add(-time.Hour), By: "arm"})
	if err != nil || len(rep.Groups) != 2 || rep.Groups[0].Key != "v1" || rep.Groups[0].Requests+rep.Groups[1].Requests != 80 {
		t.Fatalf("stats by arm: %+v %v", rep.Groups, err)
	}
}
