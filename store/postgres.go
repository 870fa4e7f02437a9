package store

import (
	"context"
	"crypto/x509"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL backend (DESIGN section 11). The registry is the same: the
// same tables and columns, the same queries (pgdriver.go rebinds them), the
// same rules enforced by the database (triggers in migrations_postgres).
// What differs lives here:
//
//   - The schema version and the application that owns the database are
//     in a table, verso_schema, instead of SQLite's header.
//   - Every write transaction first takes one transaction-scoped advisory
//     lock, so writes from any number of processes and machines are
//     serialised as SQLite serialises them: a commit reads the latest
//     version and writes the next number, the gate and a compare-and-swap
//     label move read what they decide on, all inside the lock. Reads never
//     wait for it. Serialization failures and deadlocks are retried.
//   - Every write transaction notifies channel verso_changes at commit;
//     DataVersion counts those notifications (LISTEN), where SQLite polls
//     PRAGMA data_version.

//go:embed migrations_postgres/*.sql
var pgMigrationFS embed.FS

// PostgresSchemaVersion is the newest PostgreSQL schema this binary knows.
var PostgresSchemaVersion = len(mustPGMigrations())

func mustPGMigrations() []migration {
	ms, err := loadMigrationsFrom(pgMigrationFS, "migrations_postgres")
	if err != nil {
		panic(err)
	}
	return ms
}

const (
	// pgWriteLock is the advisory lock every write transaction holds
	// ("Vers" + "wr").
	pgWriteLock int64 = 0x5665727377720000
	// pgNotifyChannel is notified by every write transaction.
	pgNotifyChannel = "verso_changes"
	pgApplication   = "verso"
)

// IsPostgres reports whether a database location is a PostgreSQL URL
// (postgres:// or postgresql://) rather than a SQLite file path.
func IsPostgres(loc string) bool {
	l := strings.ToLower(loc)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// RedactURL is loc without its password, for messages and Path. A
// location that is not a URL is returned as it is.
func RedactURL(loc string) string {
	if !IsPostgres(loc) {
		return loc
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "postgres://(an address that does not parse)"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	if q.Has("password") {
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// pgState is what the store keeps for a PostgreSQL database.
type pgState struct {
	cfg *pgx.ConnConfig // for the LISTEN connection

	mu       sync.Mutex
	listener *pgListener

	// parts are the months (monthIndex) whose events partition this Store
	// knows exists (partitions.go).
	partMu sync.Mutex
	parts  map[int64]bool
}

func openPostgres(loc string, o Options) (*Store, error) {
	shown := RedactURL(loc)
	if o.journalSet {
		return nil, fmt.Errorf("open %s: a journal mode (%s) is for SQLite files, not PostgreSQL: %w", shown, o.Journal, ErrInvalid)
	}
	cfg, err := pgx.ParseConfig(loc)
	if err != nil {
		return nil, fmt.Errorf("open %s: the address does not parse (%s): %w", shown, pgParseProblem(err), ErrInvalid)
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "verso"
	}
	// A writer waits at most the busy timeout for another's write lock.
	cfg.RuntimeParams["lock_timeout"] = fmt.Sprintf("%dms", o.BusyTimeout.Milliseconds())
	if o.ReadOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	db := sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)})
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(5 * time.Minute)
	clock := o.Clock
	if clock == nil {
		clock = time.Now
	}
	s := &Store{db: db, path: shown, readOnly: o.ReadOnly, localGate: o.LocalGate, now: clock, busyTimeout: o.BusyTimeout,
		pg: &pgState{cfg: cfg}, writeTurn: make(chan struct{}, 1)}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ConnectTimeout+5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, s.connectError(cfg, err)
	}
	if err := s.migratePostgres(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// ErrConnect is a database server that could not be reached or refused
// the connection (address, password, certificate).
var ErrConnect = errors.New("cannot connect to the database")

// connectError says why a connection failed, never with the password.
func (s *Store) connectError(cfg *pgx.ConnConfig, err error) error {
	where := cfg.Host
	if !strings.HasPrefix(where, "/") {
		where = net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port))
	} else {
		where = fmt.Sprintf("%s/.s.PGSQL.%d", cfg.Host, cfg.Port)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "28P01":
			return fmt.Errorf("open %s: the server at %s refused the password of user %q: check the password in the address or $PGPASSWORD: %w", s.path, where, cfg.User, ErrConnect)
		case "28000":
			return fmt.Errorf("open %s: the server at %s refused user %q (%s): %w", s.path, where, cfg.User, oneLine(pe.Message), ErrConnect)
		case "3D000":
			return fmt.Errorf("open %s: the server at %s has no database %q: create it first (createdb %s): %w", s.path, where, cfg.Database, cfg.Database, ErrConnect)
		}
		return fmt.Errorf("open %s: the server at %s refused the connection: %s: %w", s.path, where, oneLine(pe.Message), ErrConnect)
	}
	if msg := tlsProblem(err, cfg.Host); msg != "" {
		return fmt.Errorf("open %s: %s: %s: %w", s.path, where, msg, ErrConnect)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("open %s: no answer from %s within %s: check the address and that the server is running: %w", s.path, where, cfg.ConnectTimeout, ErrConnect)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) {
		return fmt.Errorf("open %s: cannot reach a PostgreSQL server at %s (%s): check the address and that the server is running: %w", s.path, where, pgNetProblem(err), ErrConnect)
	}
	return fmt.Errorf("open %s: cannot connect to %s: %s: %w", s.path, where, pgNetProblem(err), ErrConnect)
}

// tlsProblem says what is wrong with the server's certificate, or with
// TLS, and what fixes it ("" when the failure is something else).
func tlsProblem(err error, host string) string {
	var unknown x509.UnknownAuthorityError
	var wrongHost x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknown):
		return "the server's certificate is signed by an authority this connection does not trust: point sslrootcert (or $PGSSLROOTCERT) at the CA that signed it, or use sslmode=require to encrypt without checking the server's identity"
	case errors.As(err, &wrongHost):
		return fmt.Sprintf("the server's certificate is not for %q (%s): connect by a name it holds, or use sslmode=verify-ca", host, oneLine(wrongHost.Error()))
	case errors.As(err, &invalid):
		return fmt.Sprintf("the server's certificate is not valid (%s): renew it on the server", oneLine(invalid.Error()))
	case strings.Contains(err.Error(), "server refused TLS connection"):
		return "the server does not accept TLS connections, and sslmode asks for one: turn ssl on in the server's configuration, or lower sslmode (prefer, or disable on a trusted network)"
	}
	return ""
}

// pgNetProblem is the innermost cause of a connection failure (pgconn's
// message repeats the user and database).
func pgNetProblem(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			break
		}
		err = u
	}
	return oneLine(err.Error())
}

// pgParseProblem describes a connection string that does not parse
// without repeating it (it may hold a password).
func pgParseProblem(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) && errors.Unwrap(pe) != nil {
		return oneLine(errors.Unwrap(pe).Error())
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return oneLine(msg)
}

// migratePostgres checks that the database is empty or a Verso registry
// this binary can read, then applies missing migrations in one transaction.
// A database of another application, or of a newer Verso, is refused
// before anything is written.
func (s *Store) migratePostgres(ctx context.Context) error {
	cur, err := pgSchemaVersion(ctx, s.db, s.path)
	if err != nil {
		return s.wrap("open "+s.path, err)
	}
	if cur > PostgresSchemaVersion {
		return fmt.Errorf("%s has schema version %d but this verso knows up to %d: upgrade verso to open it: %w", s.path, cur, PostgresSchemaVersion, ErrTooNew)
	}
	if cur == PostgresSchemaVersion {
		return nil
	}
	if s.readOnly {
		if cur == 0 {
			return fmt.Errorf("%s is an empty database, not a Verso registry yet (a first commit makes it one): %w", s.path, ErrNotFound)
		}
		return fmt.Errorf("%s needs a schema upgrade from %d to %d: open it once with write access: %w", s.path, cur, PostgresSchemaVersion, ErrReadOnly)
	}
	return s.tx(ctx, "migrate "+s.path, func(tx *sql.Tx) error {
		// Re-read inside the write lock: another process may have migrated.
		cur, err := pgSchemaVersion(ctx, tx, s.path)
		if err != nil {
			return err
		}
		if cur > PostgresSchemaVersion {
			return fmt.Errorf("%s has schema version %d but this verso knows up to %d: upgrade verso to open it: %w", s.path, cur, PostgresSchemaVersion, ErrTooNew)
		}
		if cur == 0 {
			if _, err := tx.ExecContext(ctx, `CREATE TABLE verso_schema (
				id          INTEGER PRIMARY KEY CHECK (id = 1),
				application TEXT    NOT NULL,
				version     INTEGER NOT NULL)`); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO verso_schema (id, application, version) VALUES (1, ?, 0)`, pgApplication); err != nil {
				return err
			}
		}
		for _, m := range mustPGMigrations() {
			if m.version <= cur {
				continue
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			// The same Go step as the SQLite migration of that name.
			if fill := migrationSteps[m.name[5:]]; fill != nil {
				if err := fill(ctx, tx); err != nil {
					return fmt.Errorf("migration %s: %w", m.name, err)
				}
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE verso_schema SET version = ?`, PostgresSchemaVersion)
		return err
	})
}

// pgSchemaVersion reads the registry's schema version: 0 for an empty
// database (no tables in its schema), ErrNotVerso for one that holds other
// tables.
func pgSchemaVersion(ctx context.Context, q rowQuerier, shown string) (int, error) {
	var have bool
	if err := q.QueryRowContext(ctx, `SELECT to_regclass('verso_schema') IS NOT NULL`).Scan(&have); err != nil {
		return 0, err
	}
	if !have {
		var n int
		var first sql.NullString
		if err := q.QueryRowContext(ctx, `SELECT count(*), min(tablename) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&n, &first); err != nil {
			return 0, err
		}
		if n > 0 {
			return 0, fmt.Errorf("%s holds %d tables of another application (%s ...), not a Verso registry: use an empty database of its own: %w", shown, n, first.String, ErrNotVerso)
		}
		return 0, nil
	}
	var app string
	var v int
	if err := q.QueryRowContext(ctx, `SELECT application, version FROM verso_schema WHERE id = 1`).Scan(&app, &v); err != nil {
		return 0, fmt.Errorf("%s: its verso_schema table cannot be read (%v): %w", shown, err, ErrNotVerso)
	}
	if app != pgApplication {
		return 0, fmt.Errorf("%s belongs to %q, not Verso: %w", shown, app, ErrNotVerso)
	}
	return v, nil
}

// pgTryTx runs fn in one write transaction holding the write lock, and
// notifies listeners at commit.
func (s *Store) pgTryTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, pgWriteLock); err != nil {
		tx.Rollback()
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify(?, '')`, pgNotifyChannel); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// pgRetryable: a serialization failure or a deadlock; the transaction
// was rolled back and may simply run again.
func pgRetryable(err error) bool {
	switch pgCode(err) {
	case "40001", "40P01":
		return true
	}
	return false
}

// pgWrap maps PostgreSQL failures to the store's sentinel errors.
func (s *Store) pgWrap(op string, err error) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		var ce *pgconn.ConnectError
		if errors.As(err, &ce) {
			return s.connectError(s.pg.cfg, err)
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	msg := oneLine(pe.Message)
	switch {
	case pe.Code == "23001" || strings.Contains(msg, "immutable") || strings.Contains(msg, "append-only") || strings.Contains(msg, "cannot be renamed"):
		return fmt.Errorf("%s: %s: %w", op, msg, ErrImmutable)
	case strings.HasPrefix(pe.Code, "23"):
		return fmt.Errorf("%s: %s: %w", op, msg, ErrConflict)
	case pe.Code == "25006" || pe.Code == "42501":
		return fmt.Errorf("%s: %s (%s): %w", op, s.path, msg, ErrReadOnly)
	case pe.Code == "55P03" || pgRetryable(err):
		return fmt.Errorf("%s: %s is busy with other writers, still after %s: try again when they have finished: %w", op, s.path, s.busyTimeout.Round(time.Millisecond), ErrConflict)
	}
	return fmt.Errorf("%s: %s (SQLSTATE %s): %w", op, msg, pe.Code, err)
}

// pgListener counts notifications on verso_changes over a connection of
// its own. When that connection is lost it counts one change (whatever
// happened meanwhile is unknown) and connects again.
type pgListener struct {
	mu      sync.Mutex
	version int64
	err     error // the last connection failure, until it reconnects
	cancel  context.CancelFunc
	done    chan struct{}
	ready   chan struct{}
}

func (s *Store) pgDataVersion(ctx context.Context) (int64, error) {
	s.pg.mu.Lock()
	l := s.pg.listener
	if l == nil {
		lctx, cancel := context.WithCancel(context.Background())
		// Counting starts at 1, as SQLite's data_version does: callers
		// read 0 as "not read yet".
		l = &pgListener{version: 1, cancel: cancel, done: make(chan struct{}), ready: make(chan struct{})}
		s.pg.listener = l
		go l.run(lctx, s.pg.cfg)
	}
	s.pg.mu.Unlock()
	select {
	case <-l.ready:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.version, s.wrap("data version", l.err)
	}
	return l.version, nil
}

func (l *pgListener) run(ctx context.Context, cfg *pgx.ConnConfig) {
	defer close(l.done)
	readyOnce := sync.OnceFunc(func() { close(l.ready) })
	defer readyOnce()
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, cfg.Copy())
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+pgNotifyChannel)
		}
		if err != nil {
			if conn != nil {
				conn.Close(context.Background())
			}
			l.mu.Lock()
			l.err = err
			l.mu.Unlock()
			readyOnce()
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		backoff = 100 * time.Millisecond
		l.mu.Lock()
		if l.err != nil {
			l.version++ // changes may have been missed while away
		}
		l.err = nil
		l.mu.Unlock()
		readyOnce()
		for {
			_, err := conn.WaitForNotification(ctx)
			if err != nil {
				break
			}
			l.mu.Lock()
			l.version++
			l.mu.Unlock()
		}
		conn.Close(context.Background())
		if ctx.Err() == nil {
			l.mu.Lock()
			l.version++
			l.mu.Unlock()
		}
	}
}

func (s *Store) pgClose() {
	s.pg.mu.Lock()
	l := s.pg.listener
	s.pg.listener = nil
	s.pg.mu.Unlock()
	if l != nil {
		l.cancel()
		<-l.done
	}
}
