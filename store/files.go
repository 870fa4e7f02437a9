package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	sqlite3 "modernc.org/sqlite/lib"
)

// Files that are not what they seem: a path is checked before SQLite opens
// it, because opening a named pipe blocks forever (signals included) and a
// device or a dangling link gets written to.

// checkPath refuses a path that is not a regular file or a new file in an
// existing folder. It reports whether the file exists and its size.
func checkPath(p string) (exists bool, size int64, err error) {
	li, err := os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		dir := filepath.Dir(p)
		di, derr := os.Stat(dir)
		switch {
		case errors.Is(derr, fs.ErrNotExist):
			return false, 0, fmt.Errorf("open %s: the folder %s does not exist: create it first, or give a path in an existing folder: %w", p, dir, ErrNotFound)
		case derr != nil:
			return false, 0, fmt.Errorf("open %s: %w", p, derr)
		case !di.IsDir():
			return false, 0, fmt.Errorf("open %s: %s is not a folder: %w", p, dir, ErrInvalid)
		}
		return false, 0, nil
	}
	if err != nil {
		return false, 0, fmt.Errorf("open %s: %w", p, err)
	}
	fi := li
	if li.Mode()&fs.ModeSymlink != 0 {
		target, _ := os.Readlink(p)
		fi, err = os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return false, 0, fmt.Errorf("open %s: it is a symbolic link to %s, which does not exist: give the target's path itself, or create the registry there first: %w", p, target, ErrNotFound)
		}
		if err != nil {
			return false, 0, fmt.Errorf("open %s: %w", p, err)
		}
	}
	switch m := fi.Mode(); {
	case m.IsRegular():
		return true, fi.Size(), nil
	case m.IsDir():
		return true, 0, fmt.Errorf("open %s: is a directory, not a database file: %w", p, ErrInvalid)
	default:
		return true, 0, fmt.Errorf("open %s: is %s, not a database file: %w", p, fileKind(m), ErrInvalid)
	}
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	}
	return "not a regular file"
}

// walHasFrames reports whether the -wal file of p holds frames that belong
// to it (their salt matches the WAL header), that is changes a reader
// without the shared-memory index would not see if it read the main file
// alone. See https://www.sqlite.org/fileformat2.html#walformat.
func walHasFrames(p string) bool {
	f, err := os.Open(p + "-wal")
	if err != nil {
		return false
	}
	defer f.Close()
	var hdr [32 + 24]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return false
	}
	magic := binary.BigEndian.Uint32(hdr[0:])
	if magic != 0x377f0682 && magic != 0x377f0683 {
		return false
	}
	salt1, salt2 := binary.BigEndian.Uint32(hdr[16:]), binary.BigEndian.Uint32(hdr[20:])
	frame := hdr[32:]
	return binary.BigEndian.Uint32(frame[8:]) == salt1 && binary.BigEndian.Uint32(frame[12:]) == salt2
}

// SQLite's POSIX lock bytes (os_unix.c): in the main file, PENDING, RESERVED
// and the SHARED range start at 1 GiB; in the -shm file the WAL write lock
// is byte 120 and every connection holds a read lock on byte 128 (DMS).
const (
	pendingByte  = 0x40000000
	reservedByte = pendingByte + 1
	sharedFirst  = pendingByte + 2
	sharedSize   = 510
	shmWriteLock = 120
	shmDMS       = 128
)

// lockHolder names the process holding a lock on [start, start+n) of the
// file, as "pid 123 (verso eval ...)", or "" when none is (or the system
// does not say). Locks of this process are not reported.
func lockHolder(file string, start, n int64) string {
	f, err := os.OpenFile(file, os.O_RDONLY, 0)
	if err != nil {
		return ""
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart, Start: start, Len: n}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil || lk.Type == syscall.F_UNLCK {
		return ""
	}
	return describePID(int(lk.Pid))
}

// describePID is "pid N (command line)" when /proc tells, else "pid N".
func describePID(pid int) string {
	if pid <= 0 {
		return "another process"
	}
	s := "pid " + strconv.Itoa(pid)
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); err == nil && len(b) > 0 {
		cmd := strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
		if len(cmd) > 80 {
			cmd = cmd[:77] + "..."
		}
		s += " (" + cmd + ")"
	}
	return s
}

// writeLockHolder names who holds the write lock of the registry at p.
func writeLockHolder(p string) string {
	if h := lockHolder(p+"-shm", shmWriteLock, 1); h != "" {
		return h
	}
	if h := lockHolder(p, pendingByte, 2); h != "" {
		return h
	}
	return lockHolder(p, sharedFirst, sharedSize)
}

// OpenBy names a process other than this one that has the registry at p
// open, as far as its locks tell: in WAL mode every connection holds a lock
// on the shared-memory file; in rollback mode only a transaction in
// progress does. "" when none is seen.
func OpenBy(p string) string {
	if h := lockHolder(p+"-shm", 0, shmDMS+1); h != "" {
		return h
	}
	return lockHolder(p, pendingByte, 2+sharedSize)
}

// checkBeforeWrite runs once per Store, before its first write: a file with
// damaged pages accepted writes and went on failing later with "database
// disk image is malformed" and no advice. PRAGMA quick_check reads every
// page (without the index cross-checks of integrity_check).
func (s *Store) checkBeforeWrite(ctx context.Context) error {
	if s.pg != nil {
		return nil // PostgreSQL checks its own pages (and has no quick_check)
	}
	s.checkMu.Lock()
	defer s.checkMu.Unlock()
	if s.checked {
		return s.checkErr
	}
	err := s.retryBusy(ctx, func() error {
		var res string
		if err := s.db.QueryRowContext(ctx, `PRAGMA quick_check(1)`).Scan(&res); err != nil {
			return err
		}
		if res != "ok" {
			return fmt.Errorf("%s is damaged (quick_check: %s): nothing was written; run `sqlite3 %s 'PRAGMA integrity_check'` to see where, and restore from your latest export (verso import) or a backup: %w",
				s.path, oneLine(res), s.path, ErrCorrupt)
		}
		return nil
	})
	c := sqliteCode(err)
	if err == nil || errors.Is(err, ErrCorrupt) || c == sqlite3.SQLITE_CORRUPT || c == sqlite3.SQLITE_NOTADB {
		// A verdict on the file; anything else (busy, cancelled) is
		// checked again next time.
		s.checked, s.checkErr = true, err
	}
	return err
}
