package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ErrLabelMoved is the sentinel of *LabelMovedError: a label move, removal
// or rollback was confirmed against a state the label no longer has.
var ErrLabelMoved = errors.New("label moved")

// LabelMovedError refuses a label change whose expectation (LabelInput,
// RemoveLabelInput or RollbackInput ExpectFrom, RollbackInput ExpectTo) no
// longer holds: someone else moved the label since it was read. Expected
// and Actual are version numbers, 0 for "the label did not exist". When
// Target is set they are the version a rollback returns to, not the one the
// label holds.
type LabelMovedError struct {
	Prompt, Label    string
	Expected, Actual int
	Target           bool
}

func (e *LabelMovedError) Error() string {
	ver := func(n int) string {
		if n == 0 {
			return "no version"
		}
		return fmt.Sprintf("v%d", n)
	}
	if e.Target {
		return fmt.Sprintf("%s of %s moved meanwhile: a rollback now returns to %s, not %s", e.Label, e.Prompt, ver(e.Actual), ver(e.Expected))
	}
	switch {
	case e.Actual == 0:
		return fmt.Sprintf("%s of %s was removed meanwhile (expected it on %s)", e.Label, e.Prompt, ver(e.Expected))
	case e.Expected == 0:
		return fmt.Sprintf("%s of %s was set meanwhile: it is on v%d (expected it not to exist)", e.Label, e.Prompt, e.Actual)
	}
	return fmt.Sprintf("%s of %s moved meanwhile: it is on v%d, not v%d", e.Label, e.Prompt, e.Actual, e.Expected)
}

// Is makes errors.Is(err, ErrLabelMoved) true.
func (e *LabelMovedError) Is(target error) bool { return target == ErrLabelMoved }

func checkExpect(prompt, label string, expect *int, actual int) error {
	if expect != nil && *expect != actual {
		return &LabelMovedError{Prompt: prompt, Label: label, Expected: *expect, Actual: actual}
	}
	return nil
}

// GateVerdict is the outcome of a gate decision.
type GateVerdict string

const (
	// GateNotGated: the change needs no evidence (see GateDecision.Reason).
	GateNotGated GateVerdict = "not gated"
	// GateAllowed: the change is protected and the evidence passes.
	GateAllowed GateVerdict = "allowed"
	// GateRefused: the change is protected and there is no passing evidence;
	// only a forced change with a reason goes through.
	GateRefused GateVerdict = "refused"
)

// GateReason says why a decision was reached.
type GateReason string

const (
	// GateNotProtected (not gated): the label is not protected.
	GateNotProtected GateReason = "not protected"
	// GateNoSuite (not gated): the prompt has no gate suite with cases, so
	// there is nothing to check a version with. The store refuses to delete
	// or empty the gate suite of a prompt that has a protected label, so a
	// gated prompt cannot become ungated this way.
	GateNoSuite GateReason = "no gate suite"
	// GatePassed (allowed): the evidence passes the gate.
	GatePassed GateReason = "passed"
	// GateNoRun (refused): the version has no finished run on the gate suite
	// since it was made.
	GateNoRun GateReason = "no run"
	// GateBelowMin (refused): the newest run passed too few cases.
	GateBelowMin GateReason = "below minimum"
	// GateSuiteChanged (refused): no run of the version was made on the
	// cases the gate suite has now (Evidence is the newest run, made on
	// other cases: its SuiteHash differs from the decision's).
	GateSuiteChanged GateReason = "suite changed"
	// GateRemoval (refused): removing a protected label is never allowed
	// without force and a reason.
	GateRemoval GateReason = "removal"
)

// GateDecision is the gate's verdict on pointing a label at a version
// (Version 0: removing the label). The store computes it in one place
// (DecideGate) and enforces it inside the write transaction of SetLabel,
// Rollback and RemoveLabel; user interfaces only display it.
type GateDecision struct {
	Prompt  string
	Label   string
	Version int // the version the label would point at; 0 = removal
	Verdict GateVerdict
	Reason  GateReason
	// Gate is the gate in force (the file's gate tightened by the local one).
	Gate GateSettings
	// ByLocalGate: the label is protected by Options.LocalGate only (a
	// user's config file), not by the registry.
	ByLocalGate bool
	// Evidence is the newest finished run of Version on the gate suite since
	// the version was made, when there is one (whether it passes or not),
	// preferring runs made on the suite as it is now.
	Evidence *Evidence
	// SuiteHash is the hash of the gate suite's cases now (HashSuite).
	SuiteHash string
}

// Refused reports whether the change needs force (and a reason).
func (d GateDecision) Refused() bool { return d.Verdict == GateRefused }

// Explain says, in one sentence without advice for any particular user
// interface, what was decided and why. It does not say where a protection
// comes from: ByLocalGate tells a surface to name its own configuration.
func (d GateDecision) Explain() string {
	by := ""
	suite := d.Gate.DefaultSuite
	switch d.Reason {
	case GateNotProtected:
		return fmt.Sprintf("%s is not protected", d.Label)
	case GateNoSuite:
		return fmt.Sprintf("%s is protected%s, but %s has no %q suite with cases to check it: the move is not gated", d.Label, by, d.Prompt, suite)
	case GatePassed:
		e := d.Evidence
		return fmt.Sprintf("%s is protected%s: run %d of v%d on suite %q passed %d/%d (%.0f%%), the gate needs %.0f%%",
			d.Label, by, e.RunID, d.Version, e.Suite, e.Passed, e.Total, e.PassRate*100, d.Gate.MinPassRate*100)
	case GateNoRun:
		return fmt.Sprintf("%s is protected%s: v%d has no finished run on suite %q since it was made", d.Label, by, d.Version, suite)
	case GateBelowMin:
		e := d.Evidence
		return fmt.Sprintf("%s is protected%s: the latest run of v%d on suite %q (run %d) passed %d/%d (%.0f%%), the gate needs %.0f%%",
			d.Label, by, d.Version, e.Suite, e.RunID, e.Passed, e.Total, e.PassRate*100, d.Gate.MinPassRate*100)
	case GateSuiteChanged:
		e := d.Evidence
		return fmt.Sprintf("%s is protected%s: the latest run of v%d on suite %q (run %d, %d/%d passed) was made before the suite changed, so it is not evidence for the suite as it is now",
			d.Label, by, d.Version, e.Suite, e.RunID, e.Passed, e.Total)
	case GateRemoval:
		return fmt.Sprintf("%s is protected%s: removing it needs force and a reason", d.Label, by)
	}
	return fmt.Sprintf("%s: gate %s (%s)", d.Label, d.Verdict, d.Reason)
}

// GateError is a change refused by the gate. errors.Is(err, ErrGate) is
// true; errors.As gives the decision to display.
type GateError struct {
	Decision GateDecision
}

func (e *GateError) Error() string { return e.Decision.Explain() }

// Is makes errors.Is(err, ErrGate) true.
func (e *GateError) Is(target error) bool { return target == ErrGate }

// DecideGate decides whether label may point at version (0: be removed) on
// prompt now: not gated and why, allowed with its evidence, or refused with
// the reason and the evidence. It is the decision SetLabel, Rollback and
// RemoveLabel enforce; a forced change (with a reason) passes a refusal.
func (s *Store) DecideGate(ctx context.Context, prompt, label string, version int) (GateDecision, error) {
	var d GateDecision
	err := s.readTx(ctx, func(tx *sql.Tx) error {
		pid, latest, err := promptIDTx(ctx, tx, prompt)
		if err != nil {
			return err
		}
		if version < 0 || version > latest {
			return fmt.Errorf("%s has no version %d (latest is v%d): %w", prompt, version, latest, ErrNotFound)
		}
		d, err = s.decideGateTx(ctx, tx, pid, prompt, label, version)
		return err
	})
	if err != nil {
		return d, s.wrap(fmt.Sprintf("gate %s %s", prompt, label), err)
	}
	return d, nil
}

func (s *Store) decideGateTx(ctx context.Context, tx *sql.Tx, pid int64, prompt, label string, version int) (GateDecision, error) {
	fileGate, err := readGate(ctx, tx)
	if err != nil {
		return GateDecision{}, err
	}
	gate := fileGate.Tighten(s.localGate)
	d := GateDecision{Prompt: prompt, Label: label, Version: version, Gate: gate, Verdict: GateNotGated, Reason: GateNotProtected}
	if !contains(gate.Protected, label) {
		return d, nil
	}
	d.ByLocalGate = !contains(fileGate.Protected, label)
	if version == 0 {
		d.Verdict, d.Reason = GateRefused, GateRemoval
		return d, nil
	}
	hash, n, err := suiteHashTx(ctx, tx, pid, gate.DefaultSuite)
	if err != nil {
		return d, err
	}
	if n == 0 {
		d.Reason = GateNoSuite
		return d, nil
	}
	d.SuiteHash = hash
	ev, err := gateEvidence(ctx, tx, pid, prompt, version, gate.DefaultSuite, hash)
	switch {
	case errors.Is(err, ErrNotFound):
		d.Verdict, d.Reason = GateRefused, GateNoRun
		return d, nil
	case err != nil:
		return d, err
	}
	d.Evidence = &ev
	switch {
	case ev.SuiteHash != hash:
		d.Verdict, d.Reason = GateRefused, GateSuiteChanged
	case ev.PassRate+1e-9 >= gate.MinPassRate:
		d.Verdict, d.Reason = GateAllowed, GatePassed
	default:
		d.Verdict, d.Reason = GateRefused, GateBelowMin
	}
	return d, nil
}

// enforceGateTx decides the gate for a change and returns the run that
// justifies it (0 if none) and whether it is forced past a refusal.
func (s *Store) enforceGateTx(ctx context.Context, tx *sql.Tx, pid int64, prompt, label string, version int, force bool) (runID int64, forced bool, err error) {
	d, err := s.decideGateTx(ctx, tx, pid, prompt, label, version)
	if err != nil {
		return 0, false, err
	}
	switch d.Verdict {
	case GateAllowed:
		return d.Evidence.RunID, false, nil
	case GateRefused:
		if !force {
			return 0, false, &GateError{Decision: d}
		}
		return 0, true, nil
	}
	return 0, false, nil
}
