package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// childHold opens the registry, takes the lock named by VERSO_STORE_LOCK
// (immediate: the write lock; exclusive: readers too in rollback mode),
// says "locked" and keeps it until its stdin closes.
func childHold() int {
	ctx := context.Background()
	st, err := OpenWith(os.Getenv("VERSO_STORE_DB"), Options{Journal: os.Getenv("VERSO_STORE_JOURNAL")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer st.Close()
	conn, err := st.db.Conn(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := conn.ExecContext(ctx, "BEGIN "+os.Getenv("VERSO_STORE_LOCK")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	conn.ExecContext(ctx, "ROLLBACK")
	conn.Close()
	return 0
}

// holdLock starts a child process holding a lock on db; release ends it.
func holdLock(t *testing.T, db, journal, lock string) (pid int, release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "VERSO_STORE_CHILD=hold", "VERSO_STORE_DB="+db, "VERSO_STORE_JOURNAL="+journal, "VERSO_STORE_LOCK="+lock)
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child did not lock: %q", line)
	}
	var once sync.Once // a test may release from another goroutine, Cleanup releases too
	release = func() {
		once.Do(func() {
			in.Close()
			cmd.Wait()
		})
	}
	t.Cleanup(release)
	return cmd.Process.Pid, release
}

// A write lock held by another process blocked writes for ~220 s. The wait
// is bounded by the busy timeout, retries included, and the error names
// the holder.
func TestLockWaitIsBoundedAndNamesTheHolder(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	for _, journal := range []string{"wal", "delete"} {
		db := filepath.Join(t.TempDir(), "v.db")
		st, err := OpenWith(db, Options{Journal: journal, BusyTimeout: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		commit(t, st, "p", "a")
		pid, release := holdLock(t, db, journal, "IMMEDIATE")
		start := time.Now()
		_, err = st.Commit(ctx, CommitInput{Name: "p", Template: "b"})
		took := time.Since(start)
		if !errors.Is(err, ErrConflict) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(pid)) || !strings.Contains(err.Error(), "300ms") {
			t.Fatalf("%s: err = %v", journal, err)
		}
		if took > 5*time.Second {
			t.Fatalf("%s: waited %s with a 300ms timeout", journal, took)
		}
		release()
		commit(t, st, "p", "b")
	}
}

// A read that meets a lock (rollback mode, a writer holding the exclusive
// lock) retries like a write and succeeds once the lock goes.
func TestReadsRetryOnLocks(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "v.db")
	st, err := OpenWith(db, Options{Journal: "delete", BusyTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	commit(t, st, "p", "a")
	_, release := holdLock(t, db, "delete", "EXCLUSIVE")
	go func() {
		time.Sleep(300 * time.Millisecond)
		release()
	}()
	if _, err := st.Export(ctx, ExportOptions{}); err != nil {
		t.Fatalf("read during a lock: %v", err)
	}
}
