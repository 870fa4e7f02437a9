package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// Rollout states.
const (
	RolloutRunning = "running"
	RolloutPaused  = "paused"
	RolloutAborted = "aborted"
	RolloutDone    = "done"
)

// Rollout is a staged move of a label from one version to another (DESIGN
// section 9). The weight in force is computed from the plan and the clock
// (Rollout.In), so nothing has to run for it to advance: after a step has
// lasted Every and its guards were seen healthy with their minimum samples
// (Verified), the next step is in force. A step is written to the label
// (an ordinary label event) by the next check, advance or resolve through
// serve; the last step is an ordinary move of the label to the target.
type Rollout struct {
	ID          int64
	Prompt      string
	Label       string
	From, To    int
	Steps       []int // percentages, rising, the last 100
	Every       time.Duration
	Guards      []Guard
	MinRequests int64
	State       string
	Step        int       // index of the step written to the label
	StepAt      time.Time // when that step took effect
	Verified    int       // highest step whose guards were seen healthy (-1: none)
	VerifiedAt  time.Time
	CheckedAt   time.Time // latest check: the clock is never believed before it
	PausedAt    time.Time
	StartedAt   time.Time
	EndedAt     time.Time
	Actor       string
	Reason      string
	Evidence    string // JSON of the check that ended it (aborted), "" otherwise
}

// Live reports whether the rollout still owns its label.
func (r Rollout) Live() bool { return r.State == RolloutRunning || r.State == RolloutPaused }

// In returns the step in force at now and when it took effect: the written
// step, or the next one once the written step has lasted Every and was
// verified healthy (with no guards, once it has lasted Every). It never
// goes back before the latest check, and never more than one step beyond
// what is written, so a clock that jumps ahead skips no guards.
func (r Rollout) In(now time.Time) (step int, since time.Time) {
	if r.State != RolloutRunning || r.Step >= len(r.Steps)-1 {
		return r.Step, r.StepAt
	}
	if now.Before(r.CheckedAt) {
		now = r.CheckedAt
	}
	verified := r.Verified
	if len(r.Guards) == 0 {
		verified = r.Step
	}
	if verified >= r.Step {
		due := r.StepAt.Add(r.Every)
		if r.VerifiedAt.After(due) {
			due = r.VerifiedAt
		}
		if !now.Before(due) {
			return r.Step + 1, due
		}
	}
	return r.Step, r.StepAt
}

// Weight is the new version's share in percent at now (0 once aborted).
func (r Rollout) Weight(now time.Time) int {
	switch r.State {
	case RolloutAborted:
		return 0
	case RolloutDone:
		return 100
	}
	i, _ := r.In(now)
	return r.Steps[i]
}

// NextAt is when the next step is due by the clock (zero when there is
// none, or the rollout is not running).
func (r Rollout) NextAt(now time.Time) time.Time {
	i, since := r.In(now)
	if r.State != RolloutRunning || i >= len(r.Steps)-1 {
		return time.Time{}
	}
	return since.Add(r.Every)
}

// split is the label's split at weight w of the target (nil at 100: whole).
func (r Rollout) split(w int, salt, unitKey string) *Split {
	if w >= 100 {
		return nil
	}
	sp := &Split{Arms: []Arm{{r.From, 100 - w}, {r.To, w}}, Salt: salt, UnitKey: unitKey}
	slices.SortFunc(sp.Arms, func(a, b Arm) int { return a.Version - b.Version })
	return sp
}

// RolloutInput starts a rollout.
type RolloutInput struct {
	Prompt      string
	Label       string // default production
	To          int
	Steps       []int         // default 5, 25, 50, 100
	Every       time.Duration // default 1h
	Guards      []string      // default DefaultGuards
	MinRequests int64         // per arm, before a guard is judged (default 100)
	UnitKey     string
	// Salt of the split ("": a random one); kept for the whole rollout.
	Salt   string
	Actor  string
	Reason string
	Force  bool // start although the gate refuses the target (needs Reason)
	// ExpectFrom is the version the caller saw the label on when the start
	// was confirmed: a label that holds another one by then refuses the
	// start with a *LabelMovedError. nil: no check.
	ExpectFrom *int
}

// RolloutError refuses a rollout operation for a reason other than bad
// input: a label that already has one, no live rollout, a finished one.
// It is ErrConflict (Problem "busy") or ErrNotFound ("none") for errors.Is.
type RolloutError struct {
	Problem string // "busy", "none", "ended", "state"
	msg     string
}

func (e *RolloutError) Error() string { return e.msg }

// Is maps the problem to a sentinel.
func (e *RolloutError) Is(target error) bool {
	switch e.Problem {
	case "none":
		return target == ErrNotFound
	case "busy", "ended", "state":
		return target == ErrConflict
	}
	return false
}

// CheckSteps validates a plan's steps: rising whole percentages from 1,
// ending at 100.
func CheckSteps(steps []int) error {
	if len(steps) == 0 {
		return fmt.Errorf("a rollout needs steps such as 5,25,50,100: %w", ErrInvalid)
	}
	for i, s := range steps {
		if s < 1 || s > 100 || (i > 0 && s <= steps[i-1]) {
			return fmt.Errorf("steps %s: each step is a percentage from 1 to 100, rising: %w", intsText(steps), ErrInvalid)
		}
	}
	if steps[len(steps)-1] != 100 {
		return fmt.Errorf("steps %s: the last step must be 100 (the rollout ends with the label on the new version): %w", intsText(steps), ErrInvalid)
	}
	return nil
}

func intsText(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, ",")
}

// StartRollout starts a staged rollout of a label to a version. The label
// must be whole on another version, and have no live rollout; a protected
// label needs the gate to pass for the target (or Force with a Reason). The
// first step is written to the label at once.
func (s *Store) StartRollout(ctx context.Context, in RolloutInput) (Rollout, error) {
	if in.Label == "" {
		in.Label = "production"
	}
	if in.Steps == nil {
		in.Steps = []int{5, 25, 50, 100}
	}
	if in.Every == 0 {
		in.Every = time.Hour
	}
	if in.Guards == nil {
		in.Guards = DefaultGuards
	}
	if in.MinRequests == 0 {
		in.MinRequests = 100
	}
	op := fmt.Sprintf("rollout %s %s to v%d", in.Prompt, in.Label, in.To)
	if in.Label == "latest" {
		return Rollout{}, fmt.Errorf("%s: %w", op, splitErr(SplitOnLatest, "", "latest is always the newest version and cannot be rolled out: roll out another label (production, canary)"))
	}
	if err := ValidLabel(in.Label); err != nil {
		return Rollout{}, fmt.Errorf("%s: %w", op, err)
	}
	if err := CheckSteps(in.Steps); err != nil {
		return Rollout{}, fmt.Errorf("%s: %w", op, err)
	}
	if in.Every < time.Second {
		return Rollout{}, fmt.Errorf("%s: the time between steps must be at least 1s (e.g. 1h): %w", op, ErrInvalid)
	}
	if in.MinRequests < 1 {
		return Rollout{}, fmt.Errorf("%s: the minimum sample must be at least 1: %w", op, ErrInvalid)
	}
	guards := make([]Guard, 0, len(in.Guards))
	for _, text := range in.Guards {
		g, err := ParseGuard(text)
		if err != nil {
			return Rollout{}, fmt.Errorf("%s: %w", op, err)
		}
		guards = append(guards, g)
	}
	if err := needReason(in.Force, in.Reason); err != nil {
		return Rollout{}, fmt.Errorf("%s: %w", op, err)
	}
	sp := Split{Arms: []Arm{{1, 50}, {2, 50}}, UnitKey: in.UnitKey, Salt: in.Salt}
	if in.Salt == "" {
		in.Salt = newSalt()
	}
	if err := sp.Check(); err != nil {
		return Rollout{}, fmt.Errorf("%s: %w", op, err)
	}
	var r Rollout
	err := s.tx(ctx, op, func(tx *sql.Tx) error {
		pid, latest, err := promptIDTx(ctx, tx, in.Prompt)
		if err != nil {
			return err
		}
		if in.To < 1 || in.To > latest {
			return fmt.Errorf("%s has no version %d (latest is v%d): %w", in.Prompt, in.To, latest, ErrNotFound)
		}
		cur, err := labelStateTx(ctx, tx, pid, in.Label)
		if err != nil {
			return err
		}
		if err := s.refuseLiveRolloutTx(ctx, tx, pid, in.Prompt, in.Label); err != nil {
			return err
		}
		if err := checkExpect(in.Prompt, in.Label, in.ExpectFrom, cur.Version); err != nil {
			return err
		}
		switch {
		case cur.Version == 0:
			return &MissingError{Kind: MissingLabel, Prompt: in.Prompt, Name: in.Label,
				msg: fmt.Sprintf("%s has no label %q to roll out from: a rollout moves a label that points at a version", in.Prompt, in.Label)}
		case cur.Split != nil:
			return &RolloutError{Problem: "state", msg: fmt.Sprintf("%s of %s is a split (%s): point it at one version before a rollout", in.Label, in.Prompt, cur.Split)}
		case cur.Version == in.To:
			return fmt.Errorf("%s of %s is already on v%d: %w", in.Label, in.Prompt, in.To, ErrNoChange)
		}
		runID, forced, err := s.enforceGateTx(ctx, tx, pid, in.Prompt, in.Label, in.To, in.Force)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		r = Rollout{Prompt: in.Prompt, Label: in.Label, From: cur.Version, To: in.To, Steps: in.Steps, Every: in.Every, Guards: guards,
			MinRequests: in.MinRequests, State: RolloutRunning, Verified: -1, StepAt: now, StartedAt: now, CheckedAt: now, Actor: in.Actor, Reason: in.Reason}
		steps, _ := json.Marshal(r.Steps)
		gs, _ := json.Marshal(r.Guards)
		if err := tx.QueryRowContext(ctx, `INSERT INTO rollouts (prompt_id, label, from_version, to_version, steps, every_ms, guards, min_requests, state,
			step, step_at, verified, checked_at, started_at, actor, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, -1, ?, ?, ?, ?) RETURNING id`,
			pid, in.Label, r.From, r.To, string(steps), r.Every.Milliseconds(), string(gs), r.MinRequests, RolloutRunning,
			now.UnixMicro(), now.UnixMicro(), now.UnixMicro(), in.Actor, in.Reason).Scan(&r.ID); err != nil {
			return err
		}
		reason := fmt.Sprintf("rollout %d started: step 1/%d, %d%% to v%d", r.ID, len(r.Steps), r.Steps[0], r.To)
		if in.Reason != "" {
			reason += ": " + in.Reason
		}
		if r.Steps[0] == 100 {
			r.State, r.EndedAt = RolloutDone, now
			if _, err := tx.ExecContext(ctx, `UPDATE rollouts SET state = ?, ended_at = ? WHERE id = ?`, RolloutDone, now.UnixMicro(), r.ID); err != nil {
				return err
			}
		}
		_, err = changeLabelTx(ctx, tx, pid, in.Prompt, in.Label, cur, labelState{Version: r.majorAt(r.Steps[0]), Split: r.split(r.Steps[0], in.Salt, in.UnitKey)},
			labelNote{actor: in.Actor, reason: reason, runID: runID, forced: forced, at: now.UnixMicro()})
		return err
	})
	return r, err
}

func (r Rollout) majorAt(w int) int {
	if w > 50 || (w == 50 && r.To < r.From) {
		return r.To
	}
	return r.From
}

func (s *Store) refuseLiveRolloutTx(ctx context.Context, tx *sql.Tx, pid int64, prompt, label string) error {
	var id int64
	var state string
	err := tx.QueryRowContext(ctx, `SELECT id, state FROM rollouts WHERE prompt_id = ? AND label = ? AND state IN ('running', 'paused')`, pid, label).Scan(&id, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return &RolloutError{Problem: "busy", msg: fmt.Sprintf("%s of %s has a %s rollout (%d): it moves the label; abort it, or wait until it is done", label, prompt, state, id)}
}

const rolloutSelect = `SELECT r.id, p.name, r.label, r.from_version, r.to_version, r.steps, r.every_ms, r.guards, r.min_requests, r.state,
	r.step, r.step_at, r.verified, r.verified_at, r.checked_at, r.paused_at, r.started_at, r.ended_at, r.actor, r.reason, r.evidence
	FROM rollouts r JOIN prompts p ON p.id = r.prompt_id`

func scanRollout(sc rowScanner) (Rollout, error) {
	var r Rollout
	var steps, guards string
	var every int64
	var stepAt, verAt, checkAt, pausedAt, startAt, endAt int64
	if err := sc.Scan(&r.ID, &r.Prompt, &r.Label, &r.From, &r.To, &steps, &every, &guards, &r.MinRequests, &r.State,
		&r.Step, &stepAt, &r.Verified, &verAt, &checkAt, &pausedAt, &startAt, &endAt, &r.Actor, &r.Reason, &r.Evidence); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(steps), &r.Steps); err != nil || len(r.Steps) == 0 {
		return r, fmt.Errorf("rollout %d: stored steps %q: %w", r.ID, steps, ErrCorrupt)
	}
	if err := json.Unmarshal([]byte(guards), &r.Guards); err != nil {
		return r, fmt.Errorf("rollout %d: stored guards %q: %w", r.ID, guards, ErrCorrupt)
	}
	r.Every = time.Duration(every) * time.Millisecond
	t := func(us int64) time.Time {
		if us == 0 {
			return time.Time{}
		}
		return time.UnixMicro(us).UTC()
	}
	r.StepAt, r.VerifiedAt, r.CheckedAt, r.PausedAt, r.StartedAt, r.EndedAt = t(stepAt), t(verAt), t(checkAt), t(pausedAt), t(startAt), t(endAt)
	return r, nil
}

// Rollouts lists a prompt's rollouts, newest first.
func (s *Store) Rollouts(ctx context.Context, prompt string) ([]Rollout, error) {
	p, err := s.Prompt(ctx, prompt)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, rolloutSelect+` WHERE r.prompt_id = ? ORDER BY r.id DESC`, p.ID)
	if err != nil {
		return nil, s.wrap("rollouts "+prompt, err)
	}
	defer rows.Close()
	var out []Rollout
	for rows.Next() {
		r, err := scanRollout(rows)
		if err != nil {
			return nil, s.wrap("rollouts "+prompt, err)
		}
		out = append(out, r)
	}
	return out, s.wrap("rollouts "+prompt, rows.Err())
}

// LiveRollouts lists every running or paused rollout of the registry.
func (s *Store) LiveRollouts(ctx context.Context) ([]Rollout, error) {
	rows, err := s.db.QueryContext(ctx, rolloutSelect+` WHERE r.state IN ('running', 'paused') ORDER BY r.id`)
	if err != nil {
		return nil, s.wrap("rollouts", err)
	}
	defer rows.Close()
	var out []Rollout
	for rows.Next() {
		r, err := scanRollout(rows)
		if err != nil {
			return nil, s.wrap("rollouts", err)
		}
		out = append(out, r)
	}
	return out, s.wrap("rollouts", rows.Err())
}

// LatestRollout returns the newest rollout of a prompt's label (live or
// not); a *RolloutError "none" when the label never had one.
func (s *Store) LatestRollout(ctx context.Context, prompt, label string) (Rollout, error) {
	if _, err := s.Prompt(ctx, prompt); err != nil {
		return Rollout{}, err
	}
	r, err := scanRollout(s.db.QueryRowContext(ctx, rolloutSelect+` WHERE p.name = ? AND r.label = ? ORDER BY r.id DESC LIMIT 1`, prompt, label))
	if errors.Is(err, sql.ErrNoRows) {
		return r, &RolloutError{Problem: "none", msg: fmt.Sprintf("%s of %s has no rollout", label, prompt)}
	}
	return r, s.wrap("rollout "+prompt, err)
}

func latestRolloutTx(ctx context.Context, tx *sql.Tx, prompt, label string) (Rollout, int64, error) {
	pid, _, err := promptIDTx(ctx, tx, prompt)
	if err != nil {
		return Rollout{}, 0, err
	}
	r, err := scanRollout(tx.QueryRowContext(ctx, rolloutSelect+` WHERE r.prompt_id = ? AND r.label = ? ORDER BY r.id DESC LIMIT 1`, pid, label))
	if errors.Is(err, sql.ErrNoRows) {
		return r, pid, &RolloutError{Problem: "none", msg: fmt.Sprintf("%s of %s has no rollout", label, prompt)}
	}
	return r, pid, err
}

// GuardStatus is one guard's reading at a check.
type GuardStatus struct {
	Guard     string  `json:"guard"`
	Metric    string  `json:"metric"`
	Current   float64 `json:"current"`   // the current (old) version's figure
	Candidate float64 `json:"candidate"` // the new version's figure
	Measured  float64 `json:"measured"`  // the point estimate compared with the threshold
	// Margin is the one-sided 95 % sampling margin of Measured: a guard is
	// breached only when Measured, moved by Margin in the new version's
	// favour, still fails the threshold (noise alone does not abort).
	Margin   float64 `json:"margin"`
	NCurrent int64   `json:"n_current"`
	NNew     int64   `json:"n_new"`
	MinN     int64   `json:"min_n"`
	// Status: "waiting" (minimum sample not reached), "healthy", "breached".
	Status string `json:"status"`
}

// RolloutCheck is what a check found, kept as the evidence of a step or an
// abort.
type RolloutCheck struct {
	Rollout int64         `json:"rollout"`
	At      time.Time     `json:"at"`
	Step    int           `json:"step"`   // index of the step judged
	Weight  int           `json:"weight"` // its weight of the new version
	Since   time.Time     `json:"since"`  // the window judged: since the step took effect
	Guards  []GuardStatus `json:"guards"`
	// Verdict: "healthy", "waiting" (some guard has too few samples),
	// "breached", "done", or the state of a rollout that is not running
	// ("paused", "aborted").
	Verdict string `json:"verdict"`
	// Advanced is set when this check wrote the next step to the label.
	Advanced bool `json:"advanced,omitempty"`
	// Aborted is set when this check aborted the rollout.
	Aborted bool `json:"aborted,omitempty"`
}

func (c RolloutCheck) json() string {
	b, _ := json.Marshal(c)
	return string(b)
}

// armFiguresTx sums the rollups of a label's events per version over the
// minutes from since's to until's, both included.
func armFiguresTx(ctx context.Context, tx *sql.Tx, pid int64, label string, since, until time.Time) (map[int]*acc, error) {
	out := map[int]*acc{}
	var lid int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM event_strings WHERE value = ?`, label).Scan(&lid)
	if errors.Is(err, sql.ErrNoRows) {
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT version, requests, errors, latency_ms, tokens_in, tokens_out, cost, score_n, score_sum, score_sq, hist, cost_sq
		FROM rollups WHERE prompt_id = ? AND label = ? AND minute >= ? AND minute < ?`,
		pid, lid, floorDiv(since.UnixMilli(), 60_000), floorDiv(until.UnixMilli(), 60_000)+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var r rollAgg
	var v int
	var hist []byte
	for rows.Next() {
		r.hist = Histogram{}
		if err := rows.Scan(&v, &r.requests, &r.errors, &r.latency, &r.tokensIn, &r.tokensOut, &r.cost, &r.scoreN, &r.scoreSum, &r.scoreSq, &hist, &r.costSq); err != nil {
			return nil, err
		}
		if err := r.hist.addBinary(hist); err != nil {
			return nil, err
		}
		a := out[v]
		if a == nil {
			a = &acc{}
			out[v] = a
		}
		a.add(&r)
	}
	return out, rows.Err()
}

// metric is a guard metric's figure, the variance of that figure as an
// estimate (0 for p95 latency, judged on its point value) and the sample
// size, in a rollup sum.
func (a *acc) metric(m string) (value, variance float64, n int64) {
	if a == nil {
		return 0, 0, 0
	}
	switch m {
	case "error_rate":
		if a.requests == 0 {
			return 0, 0, 0
		}
		p := float64(a.errors) / float64(a.requests)
		return p, p * (1 - p) / float64(a.requests), a.requests
	case "p95_latency":
		return a.hist.Quantile(0.95), 0, a.requests
	case "score":
		if a.scoreN == 0 {
			return 0, 0, 0
		}
		k := float64(a.scoreN)
		mean := a.scoreSum / k
		return mean, sampleVar(a.scoreSq, mean, k) / k, a.scoreN
	case "cost":
		if a.requests == 0 {
			return 0, 0, 0
		}
		k := float64(a.requests)
		mean := float64(a.cost) / k
		return mean / 1e9, sampleVar(a.costSq, mean, k) / k / 1e18, a.requests
	}
	return 0, 0, 0
}

// sampleVar is the sample variance from a sum of squares and the mean.
func sampleVar(sumSq, mean, n float64) float64 {
	if n < 2 {
		return 0
	}
	return max((sumSq-n*mean*mean)/(n-1), 0)
}

// oneSided95 is the one-sided 95 % normal quantile.
var oneSided95 = distuv.UnitNormal.Quantile(0.95)

// judgeTx reads the guards of the step in force over its window.
func judgeTx(ctx context.Context, tx *sql.Tx, pid int64, r Rollout, now time.Time) (RolloutCheck, error) {
	c := RolloutCheck{Rollout: r.ID, At: now, Step: r.Step, Weight: r.Steps[r.Step], Since: r.StepAt, Guards: []GuardStatus{}}
	figs, err := armFiguresTx(ctx, tx, pid, r.Label, r.StepAt, now)
	if err != nil {
		return c, err
	}
	c.Verdict = "healthy"
	for _, g := range r.Guards {
		cur, vc, nc := figs[r.From].metric(g.Metric)
		cand, vn, nn := figs[r.To].metric(g.Metric)
		st := GuardStatus{Guard: g.Text, Metric: g.Metric, Current: round(cur, 6), Candidate: round(cand, 6), NCurrent: nc, NNew: nn, MinN: r.MinRequests}
		needCurrent := g.Mode != "abs"
		switch {
		case nn < r.MinRequests || (needCurrent && nc < r.MinRequests):
			st.Status = "waiting"
			if c.Verdict == "healthy" {
				c.Verdict = "waiting"
			}
		default:
			// The margin of the measured quantity: of the new figure for an
			// absolute guard, of the difference for a relative one (scaled
			// by the current figure for a ratio).
			se := math.Sqrt(vn)
			if g.Mode != "abs" {
				se = math.Sqrt(vn + vc)
			}
			if g.Mode == "ratio" && cur > 0 {
				se /= cur
			}
			_, m := g.Judge(cur, cand)
			margin := oneSided95 * se
			fav := m - margin
			if g.Op == ">=" || g.Op == ">" {
				fav = m + margin
			}
			ok := g.holdsAt(fav)
			st.Measured, st.Margin = round(m, 6), round(margin, 6)
			st.Status = "healthy"
			if !ok {
				st.Status, c.Verdict = "breached", "breached"
			}
		}
		c.Guards = append(c.Guards, st)
	}
	return c, nil
}

// CheckRollout judges the guards of a label's live rollout at the store's
// clock, in one write transaction: a breach aborts the rollout (the label
// goes back to the old version, with the evidence in the label history);
// healthy figures with their minimum samples verify the step; a step that
// is due is written to the label (the last one moves the label to the new
// version and ends the rollout). Two processes checking at once are
// serialised by the write lock: the second sees the abort of the first, so
// an abort is recorded once. A rollout that is not live returns its state.
func (s *Store) CheckRollout(ctx context.Context, prompt, label string) (RolloutCheck, Rollout, error) {
	var c RolloutCheck
	var r Rollout
	err := s.tx(ctx, fmt.Sprintf("rollout check %s %s", prompt, label), func(tx *sql.Tx) error {
		var pid int64
		var err error
		if r, pid, err = latestRolloutTx(ctx, tx, prompt, label); err != nil {
			return err
		}
		c, r, err = s.checkTx(ctx, tx, pid, r)
		return err
	})
	return c, r, err
}

func (s *Store) checkTx(ctx context.Context, tx *sql.Tx, pid int64, r Rollout) (RolloutCheck, Rollout, error) {
	now := s.now().UTC()
	if now.Before(r.CheckedAt) {
		now = r.CheckedAt
	}
	if r.State != RolloutRunning {
		c := RolloutCheck{Rollout: r.ID, At: now, Step: r.Step, Weight: r.Weight(now), Verdict: r.State, Guards: []GuardStatus{}}
		if r.State == RolloutAborted && r.Evidence != "" {
			json.Unmarshal([]byte(r.Evidence), &c)
			c.Verdict, c.Aborted = RolloutAborted, false
		}
		return c, r, nil
	}
	c, err := judgeTx(ctx, tx, pid, r, now)
	if err != nil {
		return c, r, err
	}
	if c.Verdict == "breached" {
		c.Aborted = true
		r, err = s.abortTx(ctx, tx, pid, r, now, "guard breached: "+breachedText(c), c.json(), "")
		return c, r, err
	}
	if c.Verdict == "healthy" && r.Verified < r.Step {
		r.Verified, r.VerifiedAt = r.Step, now
	}
	r.CheckedAt = now
	if next, at := r.In(now); next > r.Step {
		if r, err = s.writeStepTx(ctx, tx, pid, r, next, at, c.json(), "", fmt.Sprintf("rollout %d: step %d/%d, %d%% to v%d (guards healthy)", r.ID, next+1, len(r.Steps), r.Steps[next], r.To)); err != nil {
			return c, r, err
		}
		c.Advanced = true
	}
	if r.State == RolloutDone {
		c.Verdict = RolloutDone
	}
	_, err = tx.ExecContext(ctx, `UPDATE rollouts SET verified = ?, verified_at = ?, checked_at = ? WHERE id = ?`,
		r.Verified, micro(r.VerifiedAt), now.UnixMicro(), r.ID)
	return c, r, err
}

func micro(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func breachedText(c RolloutCheck) string {
	var parts []string
	for _, g := range c.Guards {
		if g.Status == "breached" {
			parts = append(parts, fmt.Sprintf("%s (current %g, new %g, n %d/%d)", g.Guard, g.Current, g.Candidate, g.NCurrent, g.NNew))
		}
	}
	return strings.Join(parts, "; ")
}

// writeStepTx writes step i (in force since at) to the label; the last
// step moves the label wholly to the new version and ends the rollout.
func (s *Store) writeStepTx(ctx context.Context, tx *sql.Tx, pid int64, r Rollout, i int, at time.Time, evidence, actor, reason string) (Rollout, error) {
	cur, err := labelStateTx(ctx, tx, pid, r.Label)
	if err != nil {
		return r, err
	}
	salt, unitKey := newSalt(), ""
	if cur.Split != nil {
		salt, unitKey = cur.Split.Salt, cur.Split.UnitKey
	}
	w := r.Steps[i]
	to := labelState{Version: r.majorAt(w), Split: r.split(w, salt, unitKey)}
	if actor == "" {
		actor = r.Actor
	}
	if _, err := changeLabelTx(ctx, tx, pid, r.Prompt, r.Label, cur, to, labelNote{actor: actor, reason: reason, at: at.UnixMicro(), evidence: evidence}); err != nil {
		return r, err
	}
	r.Step, r.StepAt = i, at
	if i == len(r.Steps)-1 {
		r.State, r.EndedAt = RolloutDone, at
	}
	_, err = tx.ExecContext(ctx, `UPDATE rollouts SET step = ?, step_at = ?, state = ?, ended_at = ? WHERE id = ?`, r.Step, at.UnixMicro(), r.State, micro(r.EndedAt), r.ID)
	return r, err
}

// abortTx moves the label back to the old version and ends the rollout.
func (s *Store) abortTx(ctx context.Context, tx *sql.Tx, pid int64, r Rollout, now time.Time, why, evidence, actor string) (Rollout, error) {
	cur, err := labelStateTx(ctx, tx, pid, r.Label)
	if err != nil {
		return r, err
	}
	if actor == "" {
		actor = r.Actor
	}
	reason := fmt.Sprintf("rollout %d aborted at %d%%: %s", r.ID, r.Steps[r.Step], why)
	if !sameTarget(cur.Version, cur.Split, r.From, nil) {
		if _, err := changeLabelTx(ctx, tx, pid, r.Prompt, r.Label, cur, labelState{Version: r.From}, labelNote{actor: actor, reason: reason, at: now.UnixMicro(), evidence: evidence}); err != nil {
			return r, err
		}
	}
	r.State, r.EndedAt, r.Evidence, r.CheckedAt = RolloutAborted, now, evidence, now
	_, err = tx.ExecContext(ctx, `UPDATE rollouts SET state = ?, ended_at = ?, evidence = ?, checked_at = ? WHERE id = ?`, r.State, now.UnixMicro(), evidence, now.UnixMicro(), r.ID)
	return r, err
}

// RolloutAction is a hand-made change of a rollout.
type RolloutAction string

// Hand-made changes.
const (
	RolloutAdvance RolloutAction = "advance" // write the next step now, guards or not
	RolloutPause   RolloutAction = "pause"   // hold the current step
	RolloutResume  RolloutAction = "resume"  // run again; the paused time does not count
	RolloutAbort   RolloutAction = "abort"   // the old version back to 100 %
)

// RolloutSeen is a rollout as a caller saw it when a hand-made change was
// confirmed: which rollout, its state, and the step in force then (the
// index into Steps, the clock's step included).
type RolloutSeen struct {
	ID    int64
	State string
	Step  int
}

// Seen is what a caller confirms a change against, at now.
func (r Rollout) Seen(now time.Time) RolloutSeen {
	i, _ := r.In(now)
	return RolloutSeen{ID: r.ID, State: r.State, Step: i}
}

// RolloutChangedError refuses a hand-made rollout change confirmed against
// a state the rollout no longer has: another process (or the clock, or a
// guard) advanced, paused, resumed, aborted or replaced it meanwhile. It is
// ErrLabelMoved for errors.Is: the label's split is what changed.
type RolloutChangedError struct {
	Prompt, Label    string
	Expected, Actual RolloutSeen
	Steps            []int
}

func (e *RolloutChangedError) Error() string {
	what := func(s RolloutSeen) string {
		w := ""
		if s.Step >= 0 && s.Step < len(e.Steps) {
			w = fmt.Sprintf(" at %d%%", e.Steps[s.Step])
		}
		return fmt.Sprintf("rollout %d %s%s", s.ID, s.State, w)
	}
	if e.Expected.ID != e.Actual.ID {
		return fmt.Sprintf("%s of %s has another rollout now (%d, %s; expected %d)", e.Label, e.Prompt, e.Actual.ID, e.Actual.State, e.Expected.ID)
	}
	return fmt.Sprintf("the rollout of %s %s changed meanwhile: it is %s, not %s", e.Prompt, e.Label, what(e.Actual), what(e.Expected))
}

// Is makes errors.Is(err, ErrLabelMoved) true.
func (e *RolloutChangedError) Is(target error) bool { return target == ErrLabelMoved }

// ChangeRollout applies a hand-made change to a label's live rollout and
// returns it as it is after.
func (s *Store) ChangeRollout(ctx context.Context, prompt, label string, action RolloutAction, actor, reason string) (Rollout, error) {
	return s.ChangeRolloutSeen(ctx, prompt, label, action, actor, reason, nil)
}

// ChangeRolloutSeen is ChangeRollout confirmed against what the caller saw
// (compare-and-swap): when the label's newest rollout is another one, or
// its state or the step in force differ from seen by the time the change
// is written, nothing changes and a *RolloutChangedError says what it is
// now. nil seen: no check.
func (s *Store) ChangeRolloutSeen(ctx context.Context, prompt, label string, action RolloutAction, actor, reason string, seen *RolloutSeen) (Rollout, error) {
	var r Rollout
	err := s.tx(ctx, fmt.Sprintf("rollout %s %s %s", action, prompt, label), func(tx *sql.Tx) error {
		var pid int64
		var err error
		if r, pid, err = latestRolloutTx(ctx, tx, prompt, label); err != nil {
			return err
		}
		now := s.now().UTC()
		if now.Before(r.CheckedAt) {
			now = r.CheckedAt
		}
		if seen != nil {
			if actual := r.Seen(now); actual != *seen {
				return &RolloutChangedError{Prompt: prompt, Label: label, Expected: *seen, Actual: actual, Steps: r.Steps}
			}
		}
		if !r.Live() {
			return &RolloutError{Problem: "ended", msg: fmt.Sprintf("rollout %d of %s %s is %s: there is nothing to %s", r.ID, prompt, label, r.State, action)}
		}
		// A step the clock has brought in force is written first, so a
		// hand-made change never takes the weight back.
		if next, at := r.In(now); next > r.Step {
			if r, err = s.writeStepTx(ctx, tx, pid, r, next, at, "", "", fmt.Sprintf("rollout %d: step %d/%d, %d%% to v%d (guards healthy)", r.ID, next+1, len(r.Steps), r.Steps[next], r.To)); err != nil {
				return err
			}
			if !r.Live() && action != RolloutAbort {
				return nil
			}
		}
		note := func(what string) string {
			if reason != "" {
				return what + ": " + reason
			}
			return what
		}
		switch action {
		case RolloutAdvance:
			if r.State == RolloutPaused {
				return &RolloutError{Problem: "state", msg: fmt.Sprintf("rollout %d of %s %s is paused: resume it before advancing", r.ID, prompt, label)}
			}
			next := r.Step + 1
			r, err = s.writeStepTx(ctx, tx, pid, r, next, now, "", actor, note(fmt.Sprintf("rollout %d advanced by hand: step %d/%d, %d%% to v%d", r.ID, next+1, len(r.Steps), r.Steps[next], r.To)))
			return err
		case RolloutPause:
			if r.State == RolloutPaused {
				return fmt.Errorf("rollout %d is already paused: %w", r.ID, ErrNoChange)
			}
			r.State, r.PausedAt = RolloutPaused, now
			_, err = tx.ExecContext(ctx, `UPDATE rollouts SET state = ?, paused_at = ? WHERE id = ?`, r.State, now.UnixMicro(), r.ID)
			return err
		case RolloutResume:
			if r.State == RolloutRunning {
				return fmt.Errorf("rollout %d is running: %w", r.ID, ErrNoChange)
			}
			r.StepAt = r.StepAt.Add(now.Sub(r.PausedAt))
			r.State, r.PausedAt = RolloutRunning, time.Time{}
			_, err = tx.ExecContext(ctx, `UPDATE rollouts SET state = ?, paused_at = 0, step_at = ? WHERE id = ?`, r.State, r.StepAt.UnixMicro(), r.ID)
			return err
		case RolloutAbort:
			if !r.Live() {
				return nil
			}
			c, err := judgeTx(ctx, tx, pid, r, now)
			if err != nil {
				return err
			}
			c.Verdict, c.Aborted = "aborted by hand", true
			r, err = s.abortTx(ctx, tx, pid, r, now, note("by hand"), c.json(), actor)
			return err
		}
		return fmt.Errorf("unknown rollout action %q: %w", action, ErrInvalid)
	})
	return r, err
}

// CheckLiveRollouts checks every running rollout (verso serve does it each
// minute) and returns the checks made.
func (s *Store) CheckLiveRollouts(ctx context.Context) ([]RolloutCheck, error) {
	live, err := s.LiveRollouts(ctx)
	if err != nil {
		return nil, err
	}
	var out []RolloutCheck
	var errs []error
	for _, r := range live {
		if r.State != RolloutRunning {
			continue
		}
		c, _, err := s.CheckRollout(ctx, r.Prompt, r.Label)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, c)
	}
	return out, errors.Join(errs...)
}

// PeekRollout reads a label's newest rollout and, when it is running, what
// a check would find now, without writing anything (status, the TUI).
func (s *Store) PeekRollout(ctx context.Context, prompt, label string) (RolloutCheck, Rollout, error) {
	var c RolloutCheck
	var r Rollout
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		var pid int64
		var err error
		if r, pid, err = latestRolloutTx(ctx, tx, prompt, label); err != nil {
			return err
		}
		now := s.now().UTC()
		if now.Before(r.CheckedAt) {
			now = r.CheckedAt
		}
		if r.State != RolloutRunning && r.State != RolloutPaused {
			c = RolloutCheck{Rollout: r.ID, At: now, Step: r.Step, Weight: r.Weight(now), Verdict: r.State, Guards: []GuardStatus{}}
			if r.Evidence != "" {
				json.Unmarshal([]byte(r.Evidence), &c)
				c.Verdict = r.State
			}
			return nil
		}
		if i, at := r.In(now); i > r.Step {
			// the clock brought the next step in force: judge that one
			r.Step, r.StepAt = i, at
		}
		c, err = judgeTx(ctx, tx, pid, r, now)
		if r.State == RolloutPaused {
			c.Verdict = RolloutPaused
		}
		return err
	})
	return c, r, s.wrap(fmt.Sprintf("rollout %s %s", prompt, label), err)
}
