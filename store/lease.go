package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// A run is leased by the process that runs it. The owner (NewOwner) renews
// the run's heartbeat every LeaseHeartbeat; a reader sees a run whose stored
// status is running as interrupted when its heartbeat is older than
// LeaseTimeout, or at once when its owner was a process of this machine that
// no longer exists. A run is resumed by claiming it (ClaimRun), which is
// refused while another owner's lease holds.

// RunInterrupted is the status a reader sees for a running run whose owner
// is gone. It is never stored: resuming the run makes it running again.
const RunInterrupted = "interrupted"

// Lease timing.
const (
	LeaseHeartbeat = 5 * time.Second
	LeaseTimeout   = 30 * time.Second
)

// ErrRunLive: the run is being run by another live process.
var ErrRunLive = errors.New("run is in progress in another process")

// RunLiveError says who holds a run.
type RunLiveError struct {
	ID        int64
	Owner     string // host:pid:nonce
	Heartbeat time.Time
}

func (e *RunLiveError) Error() string {
	host, pid, _ := parseOwner(e.Owner)
	return fmt.Sprintf("run %d is in progress in another process (pid %d on %s, alive %s ago)", e.ID, pid, host,
		time.Since(e.Heartbeat).Round(time.Second))
}

func (e *RunLiveError) Is(target error) bool { return target == ErrRunLive }

// ErrLeaseLost: another process claimed the run (heartbeat of a stale owner).
var ErrLeaseLost = errors.New("the run was claimed by another process")

// NewOwner returns a lease owner id for this process: host:pid:nonce.
func NewOwner() string {
	host, _ := os.Hostname()
	host = strings.ReplaceAll(host, ":", "_")
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

func parseOwner(o string) (host string, pid int, ok bool) {
	i := strings.IndexByte(o, ':')
	j := strings.LastIndexByte(o, ':')
	if i < 0 || j <= i {
		return "", 0, false
	}
	pid, err := strconv.Atoi(o[i+1 : j])
	return o[:i], pid, err == nil
}

// ownerGone reports whether owner is known to have ended: a process of this
// machine that no longer exists.
func ownerGone(owner string) bool {
	host, pid, ok := parseOwner(owner)
	if !ok {
		return false
	}
	me, _ := os.Hostname()
	if host != strings.ReplaceAll(me, ":", "_") {
		return false
	}
	return !processAlive(pid)
}

// live reports whether a run's lease holds at now.
func live(r Run, now time.Time) bool {
	if r.Owner == "" || r.Heartbeat.IsZero() {
		// A run made before leases existed: trust its status.
		return r.Owner == ""
	}
	return now.Sub(r.Heartbeat) < LeaseTimeout && !ownerGone(r.Owner)
}

// effective turns a stored running status into interrupted when the lease
// has lapsed.
func (s *Store) effective(r Run) Run {
	if r.Status == RunRunning && !live(r, s.now()) {
		r.Status = RunInterrupted
	}
	return r
}

// Heartbeat renews owner's lease on a run. ErrLeaseLost when the run is no
// longer owner's.
func (s *Store) Heartbeat(ctx context.Context, id int64, owner string) error {
	return s.tx(ctx, fmt.Sprintf("heartbeat of run %d", id), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET heartbeat_at = ? WHERE id = ? AND owner = ?`, s.nowMicro(), id, owner)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("run %d: %w", id, ErrLeaseLost)
		}
		return nil
	})
}

// ClaimRun makes owner the run's owner and its status running again (to
// resume it). It refuses with a *RunLiveError (errors.Is ErrRunLive) while
// another owner's lease holds.
func (s *Store) ClaimRun(ctx context.Context, id int64, owner string) (Run, error) {
	var out Run
	err := s.tx(ctx, fmt.Sprintf("claim run %d", id), func(tx *sql.Tx) error {
		r, err := scanRun(tx.QueryRowContext(ctx, runSelect+` WHERE r.id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("no run %d: %w", id, ErrNotFound)
		}
		if err != nil {
			return err
		}
		now := s.now()
		if r.Status == RunRunning && r.Owner != owner && r.Owner != "" && live(r, now) {
			return &RunLiveError{ID: id, Owner: r.Owner, Heartbeat: r.Heartbeat}
		}
		// Compare-and-swap on the owner read above: two claimants cannot
		// both win.
		res, err := tx.ExecContext(ctx, `UPDATE runs SET owner = ?, heartbeat_at = ?, status = ?, finished_at = NULL WHERE id = ? AND owner = ?`,
			owner, now.UTC().UnixMicro(), RunRunning, id, r.Owner)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("run %d: %w", id, ErrLeaseLost)
		}
		r.Owner, r.Heartbeat, r.Status, r.FinishedAt = owner, now.UTC(), RunRunning, nil
		out = r
		return nil
	})
	return out, err
}
