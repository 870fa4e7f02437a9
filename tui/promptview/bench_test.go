package promptview

import (
	"context"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/store"
	ct "github.com/seed94f0f622/verso/tui/common/commontest"
)

// BenchmarkAnalyticsFirstDraw opens the Analytics tab on a prompt with
// two weeks of traffic in 4 groups every minute (the rollups 10 million
// events make): the read, the message and the first View at 140x40, in the
// default 7-day window and the 30-day one.
func BenchmarkAnalyticsFirstDraw(b *testing.B) {
	st, _ := ct.FixtureStore(b)
	ctx := context.Background()
	end := ct.Now.Truncate(time.Minute)
	var batch []store.Event
	for t := end.Add(-14 * 24 * time.Hour); t.Before(end); t = t.Add(time.Minute) {
		for k := range 4 {
			batch = append(batch, store.Event{Prompt: ct.Support, Version: 2 + k%2, Model: []string{"a", "b"}[k/2], Label: "production", Time: t,
				LatencyMS: float64(100 + t.Minute()*7 + k), TokensIn: 300, TokensOut: 90, Cost: 0.0002})
		}
		if len(batch) >= 5000 {
			if _, err := st.RecordEvents(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if _, err := st.RecordEvents(ctx, batch); err != nil {
		b.Fatal(err)
	}
	c := ct.NewCommon(b, st, ct.Dark())
	for _, win := range []int{defaultWindow, 3} {
		b.Run(windows[win].name, func(b *testing.B) {
			for b.Loop() {
				a := newAnalytics(c, ct.Support)
				a.win = win
				a.SetSize(140, 39)
				a.Update(a.load()())
				if !a.loaded || a.View() == "" {
					b.Fatal("not drawn")
				}
			}
		})
	}
}
