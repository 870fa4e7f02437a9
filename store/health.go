package store

import (
	"context"
	"math"
	"time"
)

// HealthQuery selects the production health of every prompt: requests per
// step over the recent window (for a sparkline) and a comparison of the
// serving version with the one before it over the longer window.
type HealthQuery struct {
	Until   time.Time     // zero: now
	Recent  time.Duration // sparkline window (default 24h), in whole hours
	Steps   int           // sparkline points (default 12)
	Compare time.Duration // comparison window (default 7 days)
}

// Health is one prompt's production health. Version is the version the
// production label points at (else the one with the most requests in the
// comparison window); Previous is the highest lower version with traffic in
// that window (0 when none).
type Health struct {
	Requests   []int64 // per step of the recent window, oldest first
	Version    int
	Previous   int
	Current    Figures // Version's figures over the comparison window
	Before     Figures // Previous's
	ErrorWorse bool    // Version's error rate is higher than Previous's (CompareFigures)
	ScoreWorse bool    // Version's mean score is lower than Previous's
}

// Minimum samples before a comparison can call a version worse.
const (
	healthMinRequests = 30
	healthMinScores   = 5
)

// Health returns the production health of every prompt with traffic in the
// comparison window, by prompt name. It reads the hourly rollups only.
func (s *Store) Health(ctx context.Context, q HealthQuery) (map[string]Health, error) {
	if q.Until.IsZero() {
		q.Until = s.now()
	}
	if q.Recent <= 0 {
		q.Recent = 24 * time.Hour
	}
	if q.Steps <= 0 {
		q.Steps = 12
	}
	if q.Compare <= 0 {
		q.Compare = 7 * 24 * time.Hour
	}
	end := floorDiv(q.Until.UnixMilli(), 3_600_000) + 1 // the current hour counts
	recentH := max(int64(math.Ceil(q.Recent.Hours())), 1)
	stepH := max((recentH+int64(q.Steps)-1)/int64(q.Steps), 1)
	recentFrom := end - stepH*int64(q.Steps)
	from := min(end-max(int64(math.Ceil(q.Compare.Hours())), 1), recentFrom)
	// Driven by prompts so that each prompt's hours are a range of the
	// rollups' primary key.
	rows, err := s.db.QueryContext(ctx, `SELECT p.name, coalesce(l.version, 0), r.hour, r.version, r.requests, r.errors, r.score_n, r.score_sum, r.score_sq, r.hist
		FROM prompts p JOIN rollups_hour r ON r.prompt_id = p.id AND r.hour >= ? AND r.hour < ?
		LEFT JOIN labels l ON l.prompt_id = p.id AND l.name = 'production'`, from, end)
	if err != nil {
		return nil, s.wrap("health", err)
	}
	defer rows.Close()
	type prompt struct {
		prod     int
		requests []int64
		versions map[int]*acc
	}
	ps := map[string]*prompt{}
	cmpFrom := end - max(int64(math.Ceil(q.Compare.Hours())), 1)
	var hist []byte
	for rows.Next() {
		var name string
		var prod, version int
		var hour int64
		var r rollAgg
		if err := rows.Scan(&name, &prod, &hour, &version, &r.requests, &r.errors, &r.scoreN, &r.scoreSum, &r.scoreSq, &hist); err != nil {
			return nil, s.wrap("health", err)
		}
		if err := r.hist.addBinary(hist); err != nil {
			return nil, s.wrap("health", err)
		}
		p := ps[name]
		if p == nil {
			p = &prompt{prod: prod, requests: make([]int64, q.Steps), versions: map[int]*acc{}}
			ps[name] = p
		}
		if hour >= recentFrom {
			p.requests[(hour-recentFrom)/stepH] += r.requests
		}
		if hour >= cmpFrom {
			a := p.versions[version]
			if a == nil {
				a = &acc{}
				p.versions[version] = a
			}
			a.add(&r)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("health", err)
	}
	out := make(map[string]Health, len(ps))
	for name, p := range ps {
		h := Health{Requests: p.requests}
		if p.versions[p.prod] != nil {
			h.Version = p.prod
		} else {
			var most int64 = -1
			for v, a := range p.versions {
				if a.requests > most || a.requests == most && v > h.Version {
					h.Version, most = v, a.requests
				}
			}
		}
		for v := range p.versions {
			if v < h.Version && v > h.Previous {
				h.Previous = v
			}
		}
		if cur := p.versions[h.Version]; cur != nil {
			h.Current = cur.figures()
			if prev := p.versions[h.Previous]; prev != nil {
				h.Before = prev.figures()
				c := CompareFigures(h.Current, h.Before)
				h.ErrorWorse, h.ScoreWorse = c.ErrorRate > 0, c.Score > 0
			}
		}
		out[name] = h
	}
	return out, nil
}

// Comparison says how a version's figures compare with another's: -1 better,
// +1 worse, 0 when the difference could be chance (or either side has too
// few samples).
type Comparison struct {
	ErrorRate  int // two-proportion z-test, 95% two-sided
	Score      int // Welch's t on the means, 95% two-sided
	LatencyP95 int // more than 10% apart (the histogram's precision is 9%)
}

// CompareFigures compares cur with prev (the version before it). This is
// the one place the TUI's "worse than the previous version" marks come from.
func CompareFigures(cur, prev Figures) Comparison {
	var c Comparison
	if cur.Requests >= healthMinRequests && prev.Requests >= healthMinRequests {
		n1, n2 := float64(cur.Requests), float64(prev.Requests)
		p := float64(cur.Errors+prev.Errors) / (n1 + n2)
		if se := math.Sqrt(p * (1 - p) * (1/n1 + 1/n2)); se > 0 {
			c.ErrorRate = sign((float64(cur.Errors)/n1-float64(prev.Errors)/n2)/se, 1.96)
		}
		if cur.LatencyP95MS > prev.LatencyP95MS*1.1 {
			c.LatencyP95 = 1
		} else if cur.LatencyP95MS < prev.LatencyP95MS/1.1 {
			c.LatencyP95 = -1
		}
	}
	if cur.Scores >= healthMinScores && prev.Scores >= healthMinScores {
		mv := func(f Figures) (mean, v float64) {
			n := float64(f.Scores)
			mean = f.scoreSum / n
			return mean, max((f.scoreSq-n*mean*mean)/(n-1), 0) / n
		}
		m1, v1 := mv(cur)
		m2, v2 := mv(prev)
		if se := math.Sqrt(v1 + v2); se > 0 {
			c.Score = sign((m2-m1)/se, 1.96)
		} else if m1 != m2 {
			c.Score = sign(m2-m1, 0)
		}
	}
	return c
}

func sign(z, threshold float64) int {
	switch {
	case z > threshold:
		return 1
	case z < -threshold:
		return -1
	}
	return 0
}
