package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestRunLease: a running run reads as running while its owner renews the
// lease, as interrupted once the heartbeat is stale or its owner process is
// gone; ClaimRun refuses a live run and takes over an interrupted one; the
// former owner's heartbeat then fails.
func TestRunLease(t *testing.T) {
	now := time.Now()
	st := newStoreAt(t, func() time.Time { return now })
	ctx := context.Background()
	commit(t, st, "p", "hi")
	a, b := NewOwner(), NewOwner()
	run, err := st.CreateRun(ctx, Run{Prompt: "p", Suite: "default", Owner: a, SuiteHash: "h1"})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := st.Run(ctx, run.ID)
	if got.Status != RunRunning || got.Owner != a || got.SuiteHash != "h1" || !got.Heartbeat.Equal(now.UTC().Truncate(time.Microsecond)) {
		t.Fatalf("new run: %+v", got)
	}
	_, err = st.ClaimRun(ctx, run.ID, b)
	var le *RunLiveError
	if !errors.Is(err, ErrRunLive) || !errors.As(err, &le) || le.Owner != a || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("claim of a live run: %v", err)
	}
	// Renewed leases keep it live.
	now = now.Add(LeaseTimeout - time.Second)
	if err := st.Heartbeat(ctx, run.ID, a); err != nil {
		t.Fatal(err)
	}
	now = now.Add(LeaseTimeout - time.Second)
	if got, _ := st.Run(ctx, run.ID); got.Status != RunRunning {
		t.Fatalf("renewed run reads %s", got.Status)
	}
	// A stale heartbeat: interrupted, in Run and in Runs.
	now = now.Add(2 * time.Second)
	if got, _ := st.Run(ctx, run.ID); got.Status != RunInterrupted {
		t.Fatalf("stale run reads %s", got.Status)
	}
	if rs, _ := st.Runs(ctx, "p"); len(rs) != 1 || rs[0].Status != RunInterrupted {
		t.Fatalf("Runs: %+v", rs)
	}
	claimed, err := st.ClaimRun(ctx, run.ID, b)
	if err != nil || claimed.Owner != b || claimed.Status != RunRunning {
		t.Fatalf("claim of an interrupted run: %+v %v", claimed, err)
	}
	if err := st.Heartbeat(ctx, run.ID, a); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("heartbeat of the former owner: %v", err)
	}
	if got, _ := st.Run(ctx, run.ID); got.Status != RunRunning {
		t.Fatalf("claimed run reads %s", got.Status)
	}
	// An owner process of this machine that has exited: interrupted at once.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true(1):", err)
	}
	host, _, _ := parseOwner(a)
	dead := fmt.Sprintf("%s:%d:00", host, cmd.ProcessState.Pid())
	run2, err := st.CreateRun(ctx, Run{Prompt: "p", Suite: "default", Owner: dead})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Run(ctx, run2.ID); got.Status != RunInterrupted {
		t.Fatalf("run of an exited process reads %s", got.Status)
	}
	// Finished runs read as stored; runs without an owner (older files)
	// keep their stored status.
	if err := st.FinishRun(ctx, run2.ID, RunCancelled, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Run(ctx, run2.ID); got.Status != RunCancelled {
		t.Fatalf("cancelled run reads %s", got.Status)
	}
	run3, _ := st.CreateRun(ctx, Run{Prompt: "p", Suite: "default"})
	if got, _ := st.Run(ctx, run3.ID); got.Status != RunRunning {
		t.Fatalf("ownerless run reads %s", got.Status)
	}
}
