package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A FIFO blocked open(2) forever (signals included); a character device
// got "disk I/O error" and a stray journal; a dangling link got its target
// created 0644; a missing folder was created. All are refused before SQLite
// touches them.
func TestOpenRefusesWhatIsNotAFile(t *testing.T) {
	sqliteOnly(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "pipe.db")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "link.db")
	os.Symlink(filepath.Join(dir, "target.db"), dangling)
	cases := []struct {
		path string
		want string
		is   error
	}{
		{fifo, "named pipe", ErrInvalid},
		{"/dev/null", "character device", ErrInvalid},
		{dir, "is a directory", ErrInvalid},
		{dangling, "symbolic link to " + filepath.Join(dir, "target.db") + ", which does not exist", ErrNotFound},
		{filepath.Join(dir, "no", "such", "folder", "v.db"), "folder " + filepath.Join(dir, "no", "such", "folder") + " does not exist", ErrNotFound},
	}
	for _, c := range cases {
		for _, ro := range []bool{false, true} {
			done := make(chan error, 1)
			go func() {
				st, err := OpenWith(c.path, Options{ReadOnly: ro})
				if err == nil {
					st.Close()
				}
				done <- err
			}()
			select {
			case err := <-done:
				if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("open %s (read-only %v): %v, want %q", c.path, ro, err, c.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("open %s blocked", c.path)
			}
		}
	}
	for _, p := range []string{filepath.Join(dir, "target.db"), filepath.Join(dir, "no"), "/dev/null-journal", fifo + "-journal"} {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s was created", p)
		}
	}
}

// Every file Verso creates for a registry is private, the WAL's companions
// included (SQLite gives them the main file's mode).
func TestRegistryFilesArePrivate(t *testing.T) {
	sqliteOnly(t)
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	for _, journal := range []string{"wal", "delete"} {
		p := filepath.Join(t.TempDir(), "v.db")
		st, err := OpenWith(p, Options{Journal: journal})
		if err != nil {
			t.Fatal(err)
		}
		commit(t, st, "p", "a")
		files, _ := filepath.Glob(p + "*")
		if journal == "wal" && len(files) < 3 {
			t.Errorf("expected -wal and -shm while open: %v", files)
		}
		for _, f := range files {
			if fi, err := os.Stat(f); err == nil && fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v", f, fi.Mode().Perm())
			}
		}
		st.Close()
	}
}

// An empty file said "is empty and read-only", then became a registry
// keeping mode 0644.
func TestEmptyFile(t *testing.T) {
	sqliteOnly(t)
	p := filepath.Join(t.TempDir(), "empty.db")
	os.WriteFile(p, nil, 0o644)
	_, err := OpenWith(p, Options{ReadOnly: true})
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "is an empty file, not a Verso registry yet") {
		t.Fatalf("read-only open: %v", err)
	}
	st, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, st, "p", "a")
	st.Close()
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, want 0600", fi.Mode().Perm())
	}
}

// A WAL database whose -wal holds committed changes, in a folder the reader
// cannot write (so no -shm): reading the main file alone gave the old state
// with no word. Root can always write, so the test takes the same path
// through Options.immutable.
func TestStaleWALWithoutSharedMemoryIsRefused(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "v.db")
	st, err := Open(src)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, st, "p", "v1")
	if _, err := st.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	// Hold the WAL open so v2 stays in it, and copy the folder as a
	// read-only deployment would see it: the file and its -wal, no -shm.
	conn, _ := st.db.Conn(ctx)
	conn.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`)
	conn.Close()
	commit(t, st, "p", "v2")
	ro := filepath.Join(t.TempDir(), "v.db")
	copyFile(t, src, ro)
	copyFile(t, src+"-wal", ro+"-wal")
	st.Close()

	_, err = OpenWith(ro, Options{ReadOnly: true, immutable: true})
	if !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), "committed changes in v.db-wal") {
		t.Fatalf("err = %v", err)
	}
	// Without pending changes, the immutable read is exact and allowed.
	clean := filepath.Join(t.TempDir(), "v.db")
	copyFile(t, src, clean)
	r, err := OpenWith(clean, Options{ReadOnly: true, immutable: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if v, err := r.Lookup(ctx, "p"); err != nil || v.Template != "v2" {
		t.Fatalf("clean read: %+v %v", v, err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	out.Close()
}

func journalMode(t *testing.T, st *Store) string {
	t.Helper()
	var m string
	if err := st.db.QueryRow(`PRAGMA journal_mode`).Scan(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// One user without --journal delete switched a shared network-file-system
// registry back to WAL. The mode chosen is kept by the file.
func TestJournalModeIsRecordedInTheFile(t *testing.T) {
	sqliteOnly(t)
	p := filepath.Join(t.TempDir(), "nfs.db")
	st, err := OpenWith(p, Options{Journal: "delete"})
	if err != nil {
		t.Fatal(err)
	}
	commit(t, st, "p", "a")
	st.Close()
	for range 2 {
		st, err = Open(p) // another process, no --journal
		if err != nil {
			t.Fatal(err)
		}
		commit(t, st, "p", "b"+time.Now().String())
		if m := journalMode(t, st); m != "delete" {
			t.Fatalf("journal_mode = %s, want delete", m)
		}
		st.Close()
		if _, err := os.Stat(p + "-wal"); err == nil {
			t.Fatal("a -wal file appeared")
		}
	}
	// A new file is WAL, and stays WAL for a process that does not choose.
	q := filepath.Join(t.TempDir(), "local.db")
	st, _ = Open(q)
	st.Close()
	st, _ = Open(q)
	defer st.Close()
	if m := journalMode(t, st); m != "wal" {
		t.Fatalf("journal_mode = %s, want wal", m)
	}
}

// A file with damaged pages accepted commits; now the first write of a
// process checks the file and refuses with what to do.
func TestDamagedFileRefusesWrites(t *testing.T) {
	sqliteOnly(t)
	ctx := context.Background()
	p := filepath.Join(t.TempDir(), "v.db")
	st, err := OpenWith(p, Options{Journal: "delete"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		commit(t, st, fmt.Sprintf("p%03d", i), strings.Repeat("text ", 50))
	}
	// Damage one page of the versions table (page size 4096), in the
	// middle of its leaves: the schema stays readable, the data does not.
	var page int64
	if err := st.db.QueryRowContext(ctx, `SELECT pageno FROM dbstat WHERE name = 'versions' AND pagetype = 'leaf'
		ORDER BY pageno LIMIT 1 OFFSET (SELECT count(*) / 2 FROM dbstat WHERE name = 'versions' AND pagetype = 'leaf')`).Scan(&page); err != nil {
		t.Fatal(err)
	}
	st.Close()
	f, _ := os.OpenFile(p, os.O_RDWR, 0)
	f.WriteAt([]byte(strings.Repeat("\xde\xad", 2048)), (page-1)*4096)
	f.Close()
	before, _ := os.ReadFile(p)

	advised := func(what string, err error) {
		t.Helper()
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "PRAGMA integrity_check") || !strings.Contains(err.Error(), "export") {
			t.Fatalf("%s on a damaged file: %v", what, err)
		}
	}
	// Opening may already meet the damage (then it says so); if not, the
	// first write checks.
	st, err = Open(p)
	if err != nil {
		advised("open", err)
	} else {
		defer st.Close()
		_, err = st.Commit(ctx, CommitInput{Name: "new", Template: "x"})
		advised("commit", err)
		_, err = st.SetLabel(ctx, LabelInput{Prompt: "p001", Label: "staging", Version: 1})
		advised("label", err)
	}
	if after, _ := os.ReadFile(p); string(after) != string(before) {
		t.Fatal("the damaged file was written to")
	}
}
