package demo

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"

	"github.com/seed94f0f622/verso/store"
)

// Profile is how one version behaves in production: the figures its
// simulated calls scatter around.
type Profile struct {
	LatencyMS float64 // median latency
	ErrorRate float64 // share of calls that fail
	TokensIn  int     // mean tokens in
	TokensOut int     // mean tokens out
	Score     float64 // share of thumbs up in feedback (0..1)
	Model     string  // "" takes the version's configured model
	// Feedback is the share of this version's calls that get feedback
	// (0: TrafficOptions.FeedbackShare).
	Feedback float64
}

// TrafficOptions shape simulated production traffic.
type TrafficOptions struct {
	Until time.Time     // the traffic ends here (now)
	Span  time.Duration // and starts this long before (two weeks)
	// PerHour is the mean number of calls an hour at the daily peak on a
	// weekday, for the busiest prompt; others get a share of it.
	PerHour float64
	// StagingShare is the share of calls that go to the staging label's
	// version when it differs from production's.
	StagingShare float64
	// FeedbackShare is the share of calls that get feedback later.
	FeedbackShare float64
	Seed          uint64
	// Profiles by prompt and version; a version without one gets figures
	// derived from its name, the same on every run.
	Profiles map[string]map[int]Profile
	// Weights scale PerHour by prompt (default: derived from the name,
	// between 0.2 and 0.7).
	Weights map[string]float64
}

// TrafficResult counts what SeedTraffic recorded.
type TrafficResult struct {
	Events, Feedback int
}

// SeedTraffic records believable production traffic for every prompt with
// a production label: the calls follow the label's history (each call goes
// to the version production pointed at then, a share to staging's), with a
// daily rhythm (busy afternoons, quiet nights) and quieter weekends, the
// latency, errors, tokens and cost of each version's profile, and feedback
// (thumbs) on a share of the calls. The same options give the same traffic.
func SeedTraffic(ctx context.Context, st *store.Store, o TrafficOptions) (TrafficResult, error) {
	var res TrafficResult
	ps, err := st.ListPrompts(ctx, store.ListOptions{})
	if err != nil {
		return res, err
	}
	start := o.Until.Add(-o.Span).Truncate(time.Hour)
	var batch []store.Event
	var fbs []store.Feedback
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		r, err := st.RecordEvents(ctx, batch)
		if err != nil {
			return err
		}
		if len(r.Rejected) > 0 {
			return fmt.Errorf("demo traffic: event %d rejected: %s", r.Rejected[0].Index, r.Rejected[0].Reason)
		}
		res.Events += r.Accepted
		batch = batch[:0]
		return nil
	}
	for _, p := range ps {
		if _, ok := p.Labels["production"]; !ok {
			continue
		}
		hist, err := st.LabelHistory(ctx, p.Name)
		if err != nil {
			return res, err
		}
		models := map[int]string{}
		model := func(v int) string {
			if m, ok := models[v]; ok {
				return m
			}
			ver, err := st.Version(ctx, p.Name, v)
			if err == nil {
				models[v] = ver.Config.Model
			}
			return models[v]
		}
		weight, ok := o.Weights[p.Name]
		if !ok {
			weight = 0.2 + 0.5*unit(p.Name, "weight")
		}
		// The hours of a staged rollout have their traffic already, split
		// by arm (StageRollouts).
		rollouts, err := st.Rollouts(ctx, p.Name)
		if err != nil {
			return res, err
		}
		inRollout := func(hour time.Time) bool {
			for _, ro := range rollouts {
				end := ro.EndedAt
				if end.IsZero() {
					end = o.Until
				}
				if ro.Label == "production" && hour.Add(time.Hour).After(ro.StartedAt) && hour.Before(end) {
					return true
				}
			}
			return false
		}
		r := rand.New(rand.NewPCG(o.Seed, hash(p.Name)))
		n := 0
		for hour := start; hour.Before(o.Until); hour = hour.Add(time.Hour) {
			rate := o.PerHour * weight * rhythm(hour)
			for _, lb := range []struct {
				label string
				share float64
			}{{"production", 1 - o.StagingShare}, {"staging", o.StagingShare}} {
				v := labelAt(hist, lb.label, hour)
				if v == 0 || lb.label == "staging" && v == labelAt(hist, "production", hour) || lb.label == "production" && inRollout(hour) {
					continue
				}
				share := lb.share
				if lb.label == "production" && labelAt(hist, "staging", hour) == v {
					share = 1
				}
				prof := profileOf(o.Profiles, p.Name, v)
				if prof.Model == "" {
					prof.Model = model(v)
				}
				for range poisson(r, rate*share) {
					at := hour.Add(time.Duration(r.Int64N(int64(time.Hour))))
					if !at.Before(o.Until) {
						continue
					}
					n++
					e := call(r, prof, p.Name, v, lb.label, at)
					e.ID = fmt.Sprintf("demo-%s-%d", p.Name, n)
					batch = append(batch, e)
					rated := o.FeedbackShare
					if prof.Feedback > 0 {
						rated = prof.Feedback
					}
					if r.Float64() < rated {
						score := 0.0
						if r.Float64() < prof.Score {
							score = 1
						}
						fbs = append(fbs, store.Feedback{ID: e.ID, EventID: e.ID, Score: score, Time: at.Add(time.Minute)})
					}
				}
			}
			if len(batch) >= 5000 {
				if err := flush(); err != nil {
					return res, err
				}
			}
		}
	}
	if err := flush(); err != nil {
		return res, err
	}
	for i := 0; i < len(fbs); i += 5000 {
		r, err := st.RecordFeedback(ctx, fbs[i:min(i+5000, len(fbs))])
		if err != nil {
			return res, err
		}
		res.Feedback += r.Accepted
	}
	return res, nil
}

// call simulates one model call of a version.
func call(r *rand.Rand, p Profile, prompt string, version int, label string, at time.Time) store.Event {
	e := store.Event{Prompt: prompt, Version: version, Label: label, Model: p.Model, Time: at,
		LatencyMS: math.Round(p.LatencyMS * math.Exp(0.35*r.NormFloat64())),
		TokensIn:  int64(max(1, float64(p.TokensIn)*(0.8+0.4*r.Float64()))),
		TokensOut: int64(max(1, float64(p.TokensOut)*math.Exp(0.3*r.NormFloat64())))}
	if r.Float64() < p.ErrorRate {
		e.Status = "error"
		e.ErrorKind = []string{"timeout", "rate_limit", "parse_error"}[r.IntN(3)]
		e.TokensOut = 0
	}
	e.Cost = math.Round((float64(e.TokensIn)*priceIn(p.Model)+float64(e.TokensOut)*priceOut(p.Model))/1e6*1e9) / 1e9
	return e
}

// Prices per million tokens of the demo models (demo-large costs more).
func priceIn(model string) float64 {
	if model == "demo/demo-large" {
		return 2.5
	}
	return 0.15
}

func priceOut(model string) float64 {
	if model == "demo/demo-large" {
		return 10
	}
	return 0.6
}

// rhythm is the share of the peak rate at an hour: busy afternoons (UTC),
// quiet nights, weekends at half.
func rhythm(t time.Time) float64 {
	h := float64(t.Hour()) + float64(t.Minute())/60
	f := 0.55 + 0.45*math.Cos(2*math.Pi*(h-15)/24)
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		f *= 0.5
	}
	return f
}

// labelAt is the version a label pointed at, at time t (0 if none).
func labelAt(hist []store.LabelEvent, label string, t time.Time) int {
	v := 0
	for _, e := range hist {
		if e.Label == label && !e.At.After(t) {
			v = e.To
		}
	}
	return v
}

func profileOf(ps map[string]map[int]Profile, prompt string, v int) Profile {
	if p, ok := ps[prompt][v]; ok {
		return p
	}
	k := fmt.Sprintf("%s@%d", prompt, v)
	return Profile{
		LatencyMS: 500 + 1000*unit(k, "latency"),
		ErrorRate: 0.01 + 0.02*unit(k, "errors"),
		TokensIn:  200 + int(600*unit(k, "in")),
		TokensOut: 50 + int(250*unit(k, "out")),
		Score:     0.7 + 0.2*unit(k, "score"),
	}
}

// poisson draws a count with mean lambda (Knuth's method for small means,
// a rounded normal above 30).
func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*r.NormFloat64())))
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func hash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// unit is a number in [0, 1) fixed by its key and purpose.
func unit(key, purpose string) float64 {
	return float64(hash(key+"\x00"+purpose)%1_000_000) / 1_000_000
}

// Traffic is the demo registry's production story over the two weeks
// before now: support/reply's staging v4 answers faster with shorter
// drafts than production v3; sql/from-question's v4 cut the parse errors
// from 12% to 1% until production was rolled back to v3 (staging kept v4);
// onboarding/welcome-email's v3 (brand guidelines) doubled the latency and
// lost some thumbs up. Feedback arrives on one call in ten; the pilot team
// rated four drafts in ten of onboarding's v2, whose one day in production
// would otherwise give too few ratings to tell v3's drop from chance.
func Traffic(now time.Time) TrafficOptions {
	return TrafficOptions{
		Until: now, Span: 14 * day, PerHour: 16, StagingShare: 0.15, FeedbackShare: 0.1, Seed: 7,
		Weights: map[string]float64{"support/reply": 1, "sql/from-question": 0.6, "onboarding/welcome-email": 0.5},
		Profiles: map[string]map[int]Profile{
			"support/reply": {
				3: {LatencyMS: 1250, ErrorRate: 0.015, TokensIn: 640, TokensOut: 190, Score: 0.82},
				4: {LatencyMS: 780, ErrorRate: 0.015, TokensIn: 610, TokensOut: 110, Score: 0.84},
			},
			"sql/from-question": {
				3: {LatencyMS: 950, ErrorRate: 0.12, TokensIn: 820, TokensOut: 90, Score: 0.62},
				4: {LatencyMS: 900, ErrorRate: 0.01, TokensIn: 830, TokensOut: 80, Score: 0.86},
				5: {LatencyMS: 880, ErrorRate: 0.008, TokensIn: 840, TokensOut: 80, Score: 0.88},
			},
			"onboarding/welcome-email": {
				2: {LatencyMS: 900, ErrorRate: 0.01, TokensIn: 300, TokensOut: 220, Score: 0.88, Feedback: 0.4},
				3: {LatencyMS: 2100, ErrorRate: 0.012, TokensIn: 520, TokensOut: 410, Score: 0.6},
			},
		},
	}
}
