package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/seed94f0f622/verso/eval/client"
)

// LiveOptions shape the live traffic of `verso demo --traffic`.
type LiveOptions struct {
	// Rate is the mean number of calls a second, over all prompts.
	Rate float64
	// StagingShare is the share of calls that go to staging's version.
	StagingShare float64
	// Tick is how often a batch of calls is made (default 100ms).
	Tick time.Duration
	Seed uint64
	// Profiles are the versions' behaviour (Traffic's, by default).
	Profiles map[string]map[int]Profile
	Weights  map[string]float64
}

// Live sends simulated calls of the demo prompts through c (a `verso serve`
// URL or a file) until ctx ends: each call resolves the prompt's production
// (or, for a share, staging) version through the client, as an application
// would, so a label moved in the TUI moves the traffic within the client's
// TTL. It returns how many calls it recorded; the caller closes c (which
// flushes them).
func Live(ctx context.Context, c *client.Client, o LiveOptions) (int, error) {
	if o.Tick <= 0 {
		o.Tick = 100 * time.Millisecond
	}
	if o.Profiles == nil {
		t := Traffic(time.Now())
		o.Profiles, o.Weights = t.Profiles, t.Weights
	}
	names := Names()
	var total float64
	weight := map[string]float64{}
	for _, n := range names {
		w, ok := o.Weights[n]
		if !ok {
			w = 0.2 + 0.5*unit(n, "weight")
		}
		weight[n] = w
		total += w
	}
	r := rand.New(rand.NewPCG(o.Seed, uint64(time.Now().UnixNano())))
	tick := time.NewTicker(o.Tick)
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return n, nil
		case now := <-tick.C:
			for _, name := range names {
				rate := o.Rate * weight[name] / total * o.Tick.Seconds()
				for range poisson(r, rate) {
					ref := name
					label := "production"
					if r.Float64() < o.StagingShare {
						ref, label = name+"@staging", "staging"
					}
					unit := fmt.Sprintf("user-%d", r.IntN(50000))
					p, err := c.GetUnit(ctx, ref, unit)
					if err != nil {
						// A prompt without that label (or the server
						// going away as the demo ends): no call.
						if ctx.Err() != nil {
							return n, nil
						}
						continue
					}
					prof := profileOf(o.Profiles, name, p.Version)
					if prof.Model == "" {
						prof.Model = p.Config.Model
					}
					e := call(r, prof, name, p.Version, label, now.Add(-time.Duration(r.Int64N(int64(o.Tick)))))
					e.Arm, e.Unit = p.Arm, unit
					c.Record(e)
					n++
				}
			}
		}
	}
}
