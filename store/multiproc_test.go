package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The multi-process tests re-run this test binary as child processes that
// hammer one file, as separate `verso` processes would.
func TestMain(m *testing.M) {
	switch os.Getenv("VERSO_STORE_CHILD") {
	case "commit":
		os.Exit(childCommit())
	case "label":
		os.Exit(childLabel())
	case "hold":
		os.Exit(childHold())
	case "ack":
		os.Exit(childAck())
	case "copy":
		os.Exit(childCopy())
	}
	code := m.Run()
	for _, f := range benchCleanups {
		if err := f(); err != nil {
			fmt.Fprintln(os.Stderr, "cleanup:", err)
		}
	}
	os.Exit(code)
}

func childCommit() int {
	ctx := context.Background()
	st, err := Open(os.Getenv("VERSO_STORE_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Close()
	id := os.Getenv("VERSO_STORE_ID")
	n, _ := strconv.Atoi(os.Getenv("VERSO_STORE_N"))
	for i := 0; i < n; i++ {
		// Every process writes to the same two prompts.
		name := []string{"shared/a", "shared/b"}[i%2]
		if _, err := st.Commit(ctx, CommitInput{Name: name, Template: fmt.Sprintf("proc %s edit %d {{x}}", id, i), Author: id}); err != nil {
			fmt.Fprintln(os.Stderr, "commit:", err)
			return 1
		}
	}
	return 0
}

func childLabel() int {
	ctx := context.Background()
	st, err := Open(os.Getenv("VERSO_STORE_DB"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Close()
	id := os.Getenv("VERSO_STORE_ID")
	n, _ := strconv.Atoi(os.Getenv("VERSO_STORE_N"))
	// Each process walks the versions from its own offset ("p3": 3), so
	// that processes running in lockstep still move the label (with one
	// offset for all, most moves found the label already there).
	off, _ := strconv.Atoi(strings.TrimPrefix(id, "p"))
	moved := 0
	for i := 0; i < n; i++ {
		_, err := st.SetLabel(ctx, LabelInput{Prompt: "p", Label: "staging", Version: 1 + (i+off)%5, Actor: id, Reason: strconv.Itoa(i)})
		if errors.Is(err, ErrNoChange) {
			continue // the label was already there: nothing to record
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "label:", err)
			return 1
		}
		moved++
	}
	fmt.Println(moved) // the parent checks the history has every move
	return 0
}

// runChildren runs procs child processes and returns their stdout.
func runChildren(t testing.TB, mode, db string, procs, n int) []string {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, procs)
	outs := make([]string, procs)
	for p := 0; p < procs; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "VERSO_STORE_CHILD="+mode, "VERSO_STORE_DB="+db,
				"VERSO_STORE_ID=p"+strconv.Itoa(p), "VERSO_STORE_N="+strconv.Itoa(n))
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				errs <- fmt.Errorf("process %d: %v: %s", p, err, stderr.String())
			}
			outs[p] = string(out)
		}(p)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	return outs
}

func TestManyProcessesCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	db := newLocation(t, "shared.db")
	st, err := Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const procs, each = 8, 200
	runChildren(t, "commit", db, procs, each)

	ctx := context.Background()
	total := 0
	for _, name := range []string{"shared/a", "shared/b"} {
		hist, err := st.History(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range hist {
			if want := len(hist) - i; v.Number != want {
				t.Fatalf("%s: version %d at position %d, want %d (gap or duplicate)", name, v.Number, i, want)
			}
		}
		total += len(hist)
	}
	if total != procs*each {
		t.Fatalf("%d versions, want %d", total, procs*each)
	}
	if !onPostgres() {
		var check string
		st.db.QueryRow(`PRAGMA integrity_check`).Scan(&check)
		if check != "ok" {
			t.Fatalf("integrity_check = %s", check)
		}
	}
}

func TestManyProcessesMoveLabels(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	ctx := context.Background()
	db := newLocation(t, "labels.db")
	st, err := Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := 0; i < 5; i++ {
		commit(t, st, "p", fmt.Sprintf("v%d", i+1))
	}
	const procs, each = 8, 100
	moved := 0
	made := map[string]int{} // moves each process says it made, by actor
	for p, out := range runChildren(t, "label", db, procs, each) {
		n, err := strconv.Atoi(strings.TrimSpace(out))
		if err != nil {
			t.Fatalf("child output %q: %v", out, err)
		}
		moved += n
		if n > 0 {
			made["p"+strconv.Itoa(p)] = n
		}
	}

	hist, err := st.LabelHistory(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	// Every move a process made is in the history, once.
	if len(hist) != moved || moved < procs*each/2 {
		t.Fatalf("%d moves recorded, the processes made %d", len(hist), moved)
	}
	// Every move starts where the previous one ended: no lost update.
	prev := 0
	perActor := map[string]int{}
	for i, e := range hist {
		if e.From != prev {
			t.Fatalf("event %d moves from v%d but the label was on v%d", i, e.From, prev)
		}
		prev = e.To
		perActor[e.Actor]++
	}
	// Each process's moves are recorded under its name, as many as it made
	// (a process can find the label already where it asks for it every
	// time, when another walks the same versions just ahead of it).
	if !reflect.DeepEqual(perActor, made) {
		t.Fatalf("moves recorded per process %v, the processes made %v", perActor, made)
	}
	ls, _ := st.Labels(ctx, "p")
	if len(ls) != 1 || ls[0].Version != prev {
		t.Fatalf("label is on v%d, history ends at v%d", ls[0].Version, prev)
	}
}
