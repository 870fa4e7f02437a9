package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/seed94f0f622/verso/store"
)

// The demo's staged rollouts (issue 11): classify/sentiment is rolling
// production out from v3 to v4 and stands at 25 % with traffic flowing;
// extract/invoice-json's rollout of v4, three days ago, was aborted at 25 %
// when v4's error rate rose (its evidence is in the label history).
var (
	rolloutLive = struct {
		prompt   string
		from, to int
	}{"classify/sentiment", 3, 4}
	rolloutAborted = struct {
		prompt   string
		from, to int
	}{"extract/invoice-json", 3, 4}
)

// rolloutProfiles are the versions' behaviour during the rollouts.
var rolloutProfiles = map[string]map[int]Profile{
	"classify/sentiment": {
		3: {LatencyMS: 420, ErrorRate: 0.01, TokensIn: 180, TokensOut: 6, Score: 0.86},
		4: {LatencyMS: 400, ErrorRate: 0.01, TokensIn: 190, TokensOut: 6, Score: 0.88},
	},
	"extract/invoice-json": {
		3: {LatencyMS: 1600, ErrorRate: 0.01, TokensIn: 900, TokensOut: 260, Score: 0.8},
		4: {LatencyMS: 1500, ErrorRate: 0.09, TokensIn: 920, TokensOut: 250, Score: 0.7},
	},
}

// StageRollouts writes the demo's two rollouts with their traffic, at the
// times they happened (through a second handle on st's file whose clock is
// moved along). Run it after Build and before SeedTraffic, which leaves the
// rollouts' windows to the traffic written here.
func StageRollouts(ctx context.Context, st *store.Store, now time.Time, actor string) error {
	var clock struct {
		sync.Mutex
		t time.Time
	}
	clock.t = now
	st, err := store.OpenWith(st.Path(), store.Options{Clock: func() time.Time {
		clock.Lock()
		defer clock.Unlock()
		return clock.t
	}})
	if err != nil {
		return fmt.Errorf("demo rollout: %w", err)
	}
	defer st.Close()
	r := rand.New(rand.NewPCG(11, 11))
	at := func(t time.Time) {
		clock.Lock()
		clock.t = t
		clock.Unlock()
	}
	n := 0
	// traffic sends calls of the label's users in [from, to) at rate an hour,
	// each to the arm it is assigned.
	// newErr, when not negative, is the new version's error rate.
	traffic := func(prompt string, from, to time.Time, perHour, newErr float64) error {
		var evs []store.Event
		for t := from; t.Before(to); t = t.Add(time.Minute) {
			at(t)
			in, err := st.LabelInForce(ctx, prompt, "production")
			if err != nil {
				return err
			}
			for range poisson(r, perHour/60) {
				n++
				unit := fmt.Sprintf("user-%d", r.IntN(50000))
				v, arm := in.Pick(unit)
				prof := rolloutProfiles[prompt][v]
				if v == rolloutOf(prompt) && newErr >= 0 {
					prof.ErrorRate = newErr
				}
				e := call(r, prof, prompt, v, "production", t.Add(time.Duration(r.Int64N(int64(time.Minute)))))
				e.ID, e.Arm, e.Unit = fmt.Sprintf("demo-rollout-%d", n), arm, unit
				if e.Model == "" {
					e.Model = "demo-small"
				}
				evs = append(evs, e)
			}
		}
		at(to)
		_, err := st.RecordEvents(ctx, evs)
		return err
	}
	start := func(prompt string, to int, t time.Time, reason string) error {
		at(t)
		_, err := st.StartRollout(ctx, store.RolloutInput{Prompt: prompt, To: to, Every: 6 * time.Hour, MinRequests: 200,
			Guards: []string{"error_rate<=+1pp", "p95_latency<=+20%"}, UnitKey: "user_id", Actor: actor, Force: true, Reason: reason})
		return err
	}
	check := func(prompt string, t time.Time) (store.RolloutCheck, error) {
		at(t)
		c, _, err := st.CheckRollout(ctx, prompt, "production")
		return c, err
	}

	// aborted: 3 days ago, v4 healthy at 5 %, failing at 25 %
	t0 := now.Add(-3 * day).Truncate(time.Minute)
	if err := start(rolloutAborted.prompt, rolloutAborted.to, t0, "v4 reads line items; its suite run is pending"); err != nil {
		return fmt.Errorf("demo rollout: %w", err)
	}
	if err := traffic(rolloutAborted.prompt, t0, t0.Add(6*time.Hour), 900, 0.012); err != nil {
		return err
	}
	if c, err := check(rolloutAborted.prompt, t0.Add(6*time.Hour)); err != nil || !c.Advanced {
		return fmt.Errorf("demo rollout of %s at 5%%: %+v %v", rolloutAborted.prompt, c, err)
	}
	if err := traffic(rolloutAborted.prompt, t0.Add(6*time.Hour), t0.Add(8*time.Hour), 900, -1); err != nil {
		return err
	}
	if c, err := check(rolloutAborted.prompt, t0.Add(8*time.Hour)); err != nil || !c.Aborted {
		return fmt.Errorf("demo rollout of %s at 25%%: %+v %v", rolloutAborted.prompt, c, err)
	}

	// live: started 7 hours ago, at 25 % since an hour ago
	t1 := now.Add(-7 * time.Hour).Truncate(time.Minute)
	if err := start(rolloutLive.prompt, rolloutLive.to, t1, "v4 handles sarcasm; rolling out to watch it live"); err != nil {
		return fmt.Errorf("demo rollout: %w", err)
	}
	if err := traffic(rolloutLive.prompt, t1, t1.Add(6*time.Hour), 1200, -1); err != nil {
		return err
	}
	if c, err := check(rolloutLive.prompt, t1.Add(6*time.Hour)); err != nil || !c.Advanced {
		return fmt.Errorf("demo rollout of %s at 5%%: %+v %v", rolloutLive.prompt, c, err)
	}
	return traffic(rolloutLive.prompt, t1.Add(6*time.Hour), now, 1200, -1)
}

// rolloutOf is the version a demo rollout of prompt moves to.
func rolloutOf(prompt string) int {
	switch prompt {
	case rolloutLive.prompt:
		return rolloutLive.to
	case rolloutAborted.prompt:
		return rolloutAborted.to
	}
	return 0
}
