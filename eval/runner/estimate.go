package runner

import (
	"context"

	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/eval/provider"
)

// Estimate is what a plan will cost before it runs (the new-run screen).
type Estimate struct {
	Calls   int     // results the run will produce
	Cached  int     // of which the cache already answers
	Missing int     // of which fail at once for a missing variable
	Cost    float64 // estimated dollars of the uncached calls
}

// outputGuess is the output length assumed for a call without max_tokens.
const outputGuess = 200

// Estimate counts a plan's calls, looks each up in the cache (unless
// noCache) and estimates the cost of the others from the prompt length
// (4 characters a token) and max_tokens.
func (e *Engine) Estimate(ctx context.Context, p Plan, noCache bool) (Estimate, error) {
	var est Estimate
	cols, err := e.Columns(p)
	if err != nil {
		return est, err
	}
	repeat := max(1, p.Repeat)
	for _, c := range cols {
		var ver = p.Versions[0]
		for _, v := range p.Versions {
			if v.Number == c.Version {
				ver = v
			}
		}
		pname, mname := e.Providers.Split(c.Model)
		pr, err := e.Providers.Provider(pname)
		if err != nil {
			return est, err
		}
		for _, cs := range p.Suite.Cases {
			msgs, rerr := prompt.Render(ver, cs.Vars)
			if rerr != nil {
				est.Calls += repeat
				est.Missing += repeat
				continue
			}
			req := provider.Request(mname, msgs, ver.Config)
			in := 0
			for _, m := range msgs {
				in += len(m.Content)/4 + 4
			}
			out := ver.Config.MaxTokens
			if out == 0 {
				out = outputGuess
			}
			for rep := range repeat {
				est.Calls++
				if !noCache {
					if _, ok, err := e.Store.CacheGet(ctx, provider.CacheKey(pr.CacheID, req, rep)); err == nil && ok {
						est.Cached++
						continue
					}
				}
				est.Cost += pr.Cost(mname, in, out)
			}
		}
	}
	return est, nil
}
