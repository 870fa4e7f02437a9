package store

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/seed94f0f622/verso/internal/pgtest"
)

// The store's tests run on both backends: on a SQLite file by default, on
// PostgreSQL with VERSO_TEST_BACKEND=postgres (and VERSO_TEST_POSTGRES the
// server, see internal/pgtest). .ci/run runs both.

func onPostgres() bool { return os.Getenv(pgtest.BackendEnv) == "postgres" }

// newLocation is where a test's registry lives: a new file named file in
// the test's folder, or a new PostgreSQL database (dropped after the test).
func newLocation(t testing.TB, file string) string {
	t.Helper()
	if onPostgres() {
		return pgtest.NewDatabase(t)
	}
	return filepath.Join(t.TempDir(), file)
}

// sqliteOnly skips a test of SQLite's file handling (file modes, journal
// modes, file locks, damaged pages) on PostgreSQL, where none of it exists.
func sqliteOnly(t testing.TB) {
	t.Helper()
	if onPostgres() {
		t.Skip("a SQLite file's behaviour: not on PostgreSQL")
	}
}

// rawDB opens the registry at loc as a writer that knows nothing of Verso
// would: plain SQL, no store (the same '?' query text on both backends).
func rawDB(t testing.TB, loc string) *sql.DB {
	t.Helper()
	var db *sql.DB
	if IsPostgres(loc) {
		cfg, err := pgx.ParseConfig(loc)
		if err != nil {
			t.Fatal(err)
		}
		db = sql.OpenDB(pgConnector{stdlib.GetConnector(*cfg)})
	} else {
		var err error
		if db, err = sql.Open("sqlite", "file:"+loc+"?_pragma=busy_timeout(5000)"); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { db.Close() })
	return db
}
