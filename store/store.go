// Package store is Verso's prompt registry on one SQLite file or one
// PostgreSQL database: prompts, immutable content-hashed versions, labels
// with an append-only history, test suites, eval runs and a response cache.
//
// It is also the library an application imports to read prompts from the
// shared registry:
//
//	st, err := store.Open("verso.db") // or "postgres://user@host/db"
//	v, err := st.Resolve(ctx, "support/reply@production")
//
// Several processes may use one registry at once: every write is one
// transaction holding the registry's write lock (SQLite's IMMEDIATE lock on
// a file; an advisory lock on PostgreSQL, see postgres.go), retried when
// the database reports it busy.
package store

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// applicationID marks a SQLite file as a Verso registry ("Vers").
const applicationID = 0x56657273

// SchemaVersion is the newest schema this binary knows.
var SchemaVersion = len(mustMigrations())

// Options tune how a file is opened.
type Options struct {
	// ReadOnly opens the file without write access; writes fail with ErrReadOnly.
	ReadOnly bool
	// Journal is "wal" or "delete" (for network file systems, where WAL is
	// unsafe). The mode is recorded in the file: empty keeps the file's mode
	// (WAL for a new file), so every process honours the mode it was given.
	Journal string
	// BusyTimeout bounds how long a read or a write waits, retries included,
	// for another process holding the lock (default 30s).
	BusyTimeout time.Duration
	// LocalGate tightens the file's gate for this process (a user's config
	// file): its Protected labels are protected too and its MinPassRate
	// applies when higher. It cannot loosen the shared policy, and its
	// DefaultSuite is ignored (see GateSettings.Tighten).
	LocalGate GateSettings
	// Clock is the time the store writes on what it records (versions
	// without a CreatedAt, label moves without an At, runs, heartbeats,
	// events). nil is time.Now. A fixed clock makes recorded times
	// reproducible (fixtures, goldens); it is read from every goroutine, so
	// it must be safe for concurrent use.
	Clock func() time.Time

	journalSet bool // Journal was chosen (not defaulted)
	// immutable reads the file as it is on disk, as OpenWith does when the
	// folder of a WAL database is not writable (tests set it: root can
	// always write).
	immutable bool
}

// Store is an open registry. It is safe for concurrent use.
type Store struct {
	db       *sql.DB
	path     string
	readOnly bool
	// localGate tightens the file's gate (Options.LocalGate).
	localGate GateSettings

	mu     sync.Mutex
	dvConn *sql.Conn // dedicated connection for PRAGMA data_version

	now func() time.Time // Options.Clock, set once at open

	// dict caches event_strings and prompt ids for ingest (events.go).
	dictOnce sync.Once
	dict     *dict

	// pg is set on PostgreSQL (postgres.go); nil on a SQLite file.
	pg *pgState

	busyTimeout time.Duration
	// writeTurn admits one write transaction of this process at a time (tx).
	writeTurn chan struct{}
	checkMu   sync.Mutex
	checked   bool  // the pre-write health check (checkBeforeWrite) ran
	checkErr  error // and what it found

	// stmts holds the statements of the hot read paths (resolving a
	// label), prepared once on first use (prepared).
	stmtMu sync.Mutex
	stmts  map[string]*sql.Stmt
}

// DefaultBusyTimeout is how long a read or a write waits for another
// process holding the lock before it gives up and says who holds it.
const DefaultBusyTimeout = 30 * time.Second

// Open opens (creating if needed, with mode 0600) the registry at path, or
// the PostgreSQL database at a postgres:// URL (IsPostgres).
func Open(path string) (*Store, error) { return OpenWith(path, Options{}) }

// OpenWith opens the registry at path (or URL) with options.
func OpenWith(p string, o Options) (*Store, error) {
	if p == "" {
		return nil, fmt.Errorf("open: empty path: %w", ErrInvalid)
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	o.journalSet = o.Journal != ""
	switch o.Journal {
	case "", "wal", "WAL":
		o.Journal = "wal"
	case "delete", "DELETE":
		o.Journal = "delete"
	default:
		return nil, fmt.Errorf("open %s: unknown journal mode %q (use wal or delete): %w", p, o.Journal, ErrInvalid)
	}
	if err := o.LocalGate.Validate(); err != nil {
		return nil, fmt.Errorf("open %s: local %w", RedactURL(p), err)
	}
	if IsPostgres(p) {
		return openPostgres(p, o)
	}

	exists, size, err := checkPath(p)
	if err != nil {
		return nil, err
	}
	fresh := false // a new registry: it gets the default journal mode
	switch {
	case !exists:
		if o.ReadOnly {
			return nil, fmt.Errorf("open %s: no such file: %w", p, ErrNotFound)
		}
		// Create it ourselves so the mode is 0600 (SQLite would use 0644).
		// SQLite gives the -wal, -shm and -journal files the main file's mode.
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil && !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("create %s: %w", p, err)
		}
		if f != nil {
			f.Close()
		}
		fresh = true
	case size == 0:
		if !o.ReadOnly && !writable(p) {
			return nil, fmt.Errorf("%s is an empty file that this user cannot write, so not a Verso registry yet: %w", p, ErrReadOnly)
		}
		if o.ReadOnly {
			return nil, fmt.Errorf("%s is an empty file, not a Verso registry yet (a first commit makes it one): %w", p, ErrNotFound)
		}
		// It becomes a registry now: private, like a new file.
		if err := os.Chmod(p, 0o600); err != nil {
			return nil, fmt.Errorf("%s: make it private (mode 0600): %w", p, err)
		}
		fresh = true
	default:
		if err := checkFile(p, size); err != nil {
			return nil, err
		}
		if !o.ReadOnly && !writable(p) {
			o.ReadOnly = true
		}
	}
	if !fresh && !o.journalSet {
		o.Journal = "" // the file's own mode (WAL is recorded in its header)
	}

	db, err := sql.Open("sqlite", dsn(p, o))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", p, err)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	s := &Store{db: db, path: p, readOnly: o.ReadOnly, localGate: o.LocalGate, now: o.Clock, busyTimeout: o.BusyTimeout,
		writeTurn: make(chan struct{}, 1)}
	if o.immutable {
		err = ErrReadOnly
	} else {
		err = s.migrate(context.Background())
	}
	if err != nil && o.ReadOnly && cannotReadWAL(err) {
		// A WAL database in a folder we cannot write to (a deploy user
		// reading a file owned by someone else): SQLite cannot create the
		// shared-memory file, so read the file as it is on disk; unless
		// the -wal file holds changes the main file does not have yet.
		db.Close()
		if walHasFrames(p) {
			return nil, fmt.Errorf("%s has committed changes in %s-wal that are not in the main file yet, and they cannot be read without write access to the folder (for %s-shm): reading would give an old state; open it once as a user who can write the folder (any verso command), or copy the folder somewhere writable: %w",
				p, filepath.Base(p), filepath.Base(p), ErrReadOnly)
		}
		db, err = sql.Open("sqlite", dsn(p, o)+"&immutable=1")
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", p, err)
		}
		s.db = db
		err = s.migrate(context.Background())
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func cannotReadWAL(err error) bool {
	c := sqliteCode(errors.Unwrap(err))
	if c == 0 {
		c = sqliteCode(err)
	}
	return c == sqlite3.SQLITE_READONLY || c == sqlite3.SQLITE_CANTOPEN || errors.Is(err, ErrReadOnly)
}

// dsn builds the modernc.org/sqlite connection string. Every write
// transaction is BEGIN IMMEDIATE so that two processes never deadlock on a
// read lock upgrade; the busy timeout makes writers queue instead of failing.
func dsn(p string, o Options) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", o.BusyTimeout.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	if o.ReadOnly {
		q.Set("mode", "ro")
	} else {
		if o.Journal != "" {
			q.Add("_pragma", "journal_mode("+o.Journal+")")
		}
		q.Add("_pragma", "synchronous(NORMAL)")
		// A multi-row INSERT keeps a statement journal to undo itself; in
		// a file, that is a write system call per page it touches.
		q.Add("_pragma", "temp_store(MEMORY)")
		// Checkpoint the WAL every 8,000 pages (32 MB) rather than 1,000:
		// ingest appends to the same last pages batch after batch, and a
		// checkpoint copies each page once however often it changed, so
		// fewer checkpoints copy (and sync) far less. Ingest through serve
		// went from 54-58k to 70-93k events/s.
		q.Add("_pragma", "wal_autocheckpoint(8000)")
		q.Set("_txlock", "immediate")
	}
	return "file:" + (&url.URL{Path: p}).EscapedPath() + "?" + q.Encode()
}

var sqliteHeader = []byte("SQLite format 3\x00")

// checkFile refuses, without modifying it, a file that is not a Verso
// database or is from a newer Verso. An empty file is a new database.
func checkFile(p string, size int64) error {
	if size == 0 {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return fmt.Errorf("open %s: %w", p, err)
	}
	head := make([]byte, 100)
	n, _ := io.ReadFull(f, head)
	f.Close()
	if n < len(sqliteHeader) || !bytes.Equal(head[:len(sqliteHeader)], sqliteHeader) {
		return fmt.Errorf("%s is not a SQLite file, so not a Verso database: %w", p, ErrNotVerso)
	}
	if n < 100 {
		return fmt.Errorf("%s is a truncated SQLite file: %w", p, ErrNotVerso)
	}
	// The header holds user_version (offset 60) and application_id (68), so
	// most files are decided without letting SQLite touch them. In WAL mode
	// the header may not have been checkpointed yet, so a zero header is
	// confirmed by reading the live values through a read-only connection.
	userVersion := int(be32(head[60:]))
	appID := be32(head[68:])
	tables := -1
	if appID == 0 {
		var err error
		if appID, userVersion, tables, err = probe(p); err != nil {
			return fmt.Errorf("%s could not be read as a SQLite database (%v): %w", p, oneLine(err.Error()), ErrNotVerso)
		}
	}
	switch {
	case appID == applicationID && userVersion > SchemaVersion:
		return fmt.Errorf("%s has schema version %d but this verso knows up to %d: upgrade verso to open it: %w", p, userVersion, SchemaVersion, ErrTooNew)
	case appID == applicationID:
		return nil
	case appID == 0 && userVersion == 0 && tables == 0:
		return nil
	default:
		return fmt.Errorf("%s is a SQLite database but not a Verso one: %w", p, ErrNotVerso)
	}
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// probe reads a SQLite file's application id, schema version and number of
// schema objects through a read-only connection. A file with no schema at
// all (created by `sqlite3 x.db ""`, or an interrupted first open) is safe to
// turn into a Verso database.
func probe(p string) (appID uint32, userVersion, tables int, err error) {
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: p}).EscapedPath()+"?mode=ro")
	if err != nil {
		return 0, 0, 0, err
	}
	defer db.Close()
	var id int64
	if err := db.QueryRow(`PRAGMA application_id`).Scan(&id); err != nil {
		return 0, 0, 0, err
	}
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&userVersion); err != nil {
		return 0, 0, 0, err
	}
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master`).Scan(&tables); err != nil {
		return 0, 0, 0, err
	}
	return uint32(id), userVersion, tables, nil
}

func writable(p string) bool {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

type migration struct {
	version int
	name    string
	sql     string
}

func mustMigrations() []migration {
	ms, err := loadMigrations()
	if err != nil {
		panic(err)
	}
	return ms
}

func loadMigrations() ([]migration, error) { return loadMigrationsFrom(migrationFS, "migrations") }

func loadMigrationsFrom(fsys embed.FS, dir string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		var n int
		if _, err := fmt.Sscanf(e.Name(), "%04d_", &n); err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a 4-digit number", e.Name())
		}
		b, err := fsys.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{n, e.Name(), string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected number %d", m.name, i+1)
		}
	}
	return ms, nil
}

// migrationSteps are the Go steps that follow a migration's SQL in its
// transaction, keyed by the file's name without its number (numbers change
// when branches land; names do not).
var migrationSteps = map[string]func(context.Context, *sql.Tx) error{
	"hourly_rollups.sql":  backfillHourly,
	"events_by_month.sql": eventsByMonth,
}

// migrate applies missing migrations in one transaction and records the
// schema version in PRAGMA user_version.
func (s *Store) migrate(ctx context.Context) error {
	var cur int
	if err := s.db.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&cur); err != nil {
		return s.wrap("open "+s.path, err)
	}
	if cur > SchemaVersion {
		return fmt.Errorf("%s has schema version %d but this verso knows up to %d: upgrade verso to open it: %w", s.path, cur, SchemaVersion, ErrTooNew)
	}
	if cur == SchemaVersion {
		return nil
	}
	if s.readOnly {
		if cur == 0 {
			return fmt.Errorf("%s is empty and read-only: %w", s.path, ErrReadOnly)
		}
		return fmt.Errorf("%s needs a schema upgrade from %d to %d: open it once with write access: %w", s.path, cur, SchemaVersion, ErrReadOnly)
	}
	return s.tx(ctx, "migrate "+s.path, func(tx *sql.Tx) error {
		// Re-read inside the write lock: another process may have migrated.
		if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&cur); err != nil {
			return err
		}
		for _, m := range mustMigrations() {
			if m.version <= cur {
				continue
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if fill := migrationSteps[m.name[5:]]; fill != nil {
				if err := fill(ctx, tx); err != nil {
					return fmt.Errorf("migration %s: %w", m.name, err)
				}
			}
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, SchemaVersion)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA application_id = %d`, applicationID))
		return err
	})
}

// Close closes the database.
func (s *Store) Close() error {
	if s.pg != nil {
		s.pgClose()
	}
	s.mu.Lock()
	if s.dvConn != nil {
		s.dvConn.Close()
		s.dvConn = nil
	}
	s.mu.Unlock()
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = nil
	s.stmtMu.Unlock()
	return s.db.Close()
}

// prepared returns query prepared once for this store: parsing and
// planning a statement costs SQLite more than running a lookup by key, so
// the read paths that applications call per request keep theirs.
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if s.stmts == nil {
		s.stmts = map[string]*sql.Stmt{}
	}
	s.stmts[query] = st
	return st, nil
}

// txStmt is query prepared once for this store (prepared), for use in tx.
// It is closed with the transaction.
func (s *Store) txStmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	st, err := s.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return tx.StmtContext(ctx, st), nil
}

// Path is the file the store was opened on (a PostgreSQL URL without its
// password).
func (s *Store) Path() string { return s.path }

// ReadOnly reports whether writes are refused.
func (s *Store) ReadOnly() bool { return s.readOnly }

func (s *Store) nowMicro() int64 { return s.now().UTC().UnixMicro() }

// microAt is at in microseconds, or now when at is zero.
func (s *Store) microAt(at time.Time) int64 {
	if at.IsZero() {
		return s.nowMicro()
	}
	return at.UTC().UnixMicro()
}

// tx runs fn in one write transaction, retrying when SQLite reports the
// database busy or locked (it can, in WAL mode, when a checkpoint or
// recovery holds the lock), for at most the busy timeout in all.
func (s *Store) tx(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	if s.readOnly {
		return fmt.Errorf("%s: %s is read-only (check the file's permissions): %w", op, s.path, ErrReadOnly)
	}
	if err := s.checkBeforeWrite(ctx); err != nil {
		return s.wrap(op, err)
	}
	// This process's writers take turns here, in arrival order, instead of
	// polling SQLite's lock: its busy handler sleeps up to 100 ms between
	// tries, so concurrent writers (serve's requests) waited far longer than
	// the writes took. Other processes still meet the busy timeout.
	select {
	case s.writeTurn <- struct{}{}:
		defer func() { <-s.writeTurn }()
	case <-ctx.Done():
		return s.wrap(op, ctx.Err())
	}
	return s.wrap(op, s.retryBusy(ctx, func() error { return s.tryTx(ctx, fn) }))
}

// retryBusy runs try until it is not refused for a lock, or the busy
// timeout has passed since the first try. Reads retry like writes.
func (s *Store) retryBusy(ctx context.Context, try func() error) error {
	deadline := time.Now().Add(s.busyTimeout)
	backoff := 5 * time.Millisecond
	for {
		err := try()
		if err == nil || !(isBusy(err) || pgRetryable(err)) || ctx.Err() != nil || time.Now().Add(backoff).After(deadline) {
			if err != nil && ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return ctx.Err()
		}
		if backoff < 500*time.Millisecond {
			backoff *= 2
		}
	}
}

func (s *Store) tryTx(ctx context.Context, fn func(*sql.Tx) error) error {
	if s.pg != nil {
		return s.pgTryTx(ctx, fn)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() & 0xff
	}
	return 0
}

func isBusy(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
}

// wrap adds the operation and maps SQLite failures to sentinel errors with
// a hint of what to do.
func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	for _, sentinel := range []error{ErrNotFound, ErrInvalid, ErrConflict, ErrReadOnly, ErrNotVerso, ErrTooNew, ErrNoChange, ErrGate, ErrLatestLabel, ErrImmutable, ErrCorrupt} {
		if errors.Is(err, sentinel) {
			if strings.HasPrefix(err.Error(), op) {
				return err
			}
			return fmt.Errorf("%s: %w", op, err)
		}
	}
	if s.pg != nil {
		return s.pgWrap(op, err)
	}
	switch sqliteCode(err) {
	case sqlite3.SQLITE_READONLY:
		return fmt.Errorf("%s: %s is read-only (check the file's and its folder's permissions): %w", op, s.path, ErrReadOnly)
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		who := "another process"
		if h := writeLockHolder(s.path); h != "" {
			who = h
		}
		return fmt.Errorf("%s: %s is locked by %s, still after %s: try again when it has finished: %w", op, s.path, who, s.busyTimeout.Round(time.Millisecond), ErrConflict)
	case sqlite3.SQLITE_CORRUPT:
		return fmt.Errorf("%s: %s is damaged (%v): nothing was written; run `sqlite3 %s 'PRAGMA integrity_check'` to see where, and restore from your latest export (verso import) or a backup: %w",
			op, s.path, oneLine(err.Error()), s.path, ErrCorrupt)
	case sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("%s: %s is not a database: %w", op, s.path, ErrNotVerso)
	case sqlite3.SQLITE_CONSTRAINT:
		if strings.Contains(err.Error(), "immutable") || strings.Contains(err.Error(), "append-only") {
			return fmt.Errorf("%s: %v: %w", op, err, ErrImmutable)
		}
		return fmt.Errorf("%s: %v: %w", op, err, ErrConflict)
	}
	return fmt.Errorf("%s: %w", op, err)
}
