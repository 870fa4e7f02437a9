package main

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/internal/pgtest"
)

// TestPostgresConnectionErrorsExit2: whatever is wrong with a PostgreSQL
// address, the command says what in one line, exits 2, never prints the
// password, and changes nothing.
func TestPostgresConnectionErrorsExit2(t *testing.T) {
	u := pgtest.NewDatabase(t)
	pu, _ := url.Parse(u)
	host := pu.Query().Get("host")
	db := strings.TrimPrefix(pu.Path, "/")
	admin := pgtest.Admin(t)
	pgtest.Exec(t, admin, `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'verso_pw') THEN CREATE ROLE verso_pw LOGIN; END IF; END $$`)
	pgtest.Exec(t, admin, `ALTER ROLE verso_pw PASSWORD 'cli-right-pw'`)
	pgtest.Exec(t, u, `GRANT ALL ON SCHEMA public TO verso_pw`)
	foreign := pgtest.NewDatabase(t)
	pgtest.Exec(t, foreign, `CREATE TABLE invoices (id INTEGER)`)

	wrongPW := *pu
	wrongPW.User = url.UserPassword("verso_pw", "cli-wrong-pw")
	for _, c := range []struct {
		name string
		db   string
		env  []string
		want string
	}{
		{"wrong password in the address", wrongPW.String(), nil, `refused the password of user "verso_pw"`},
		{"wrong PGPASSWORD", "postgres:///" + db, []string{"PGHOST=" + host, fmt.Sprintf("PGPORT=%d", pgtest.Port), "PGUSER=verso_pw", "PGPASSWORD=cli-wrong-pw"}, "refused the password"},
		{"no server", pgtest.SocketURL(t.TempDir(), "postgres", "verso"), nil, "cannot reach a PostgreSQL server"},
		{"another application's database", foreign, nil, "tables of another application (invoices"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := versoWith(t, c.env, c.db, "hello", "commit", "p")
			if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "verso: ") || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("exit %d, stderr %q: want exit 2 and one line saying %q", r.code, r.stderr, c.want)
			}
			if strings.Contains(r.stderr+r.stdout, "cli-wrong-pw") {
				t.Fatalf("the password was printed: %q", r.stderr)
			}
		})
	}
	// Nothing was written: the registry is still empty, the foreign
	// database still holds only its table.
	if r := verso(t, u, "", "list", "--json"); r.code != 2 || !strings.Contains(r.stderr, "no database at") {
		t.Fatalf("after the refusals: %+v", r)
	}
	if r := verso(t, foreign, "", "list"); r.code != 2 {
		t.Fatalf("foreign database: %+v", r)
	}

	// The right password, from $PGPASSWORD, works; the address printed by
	// serve or gate never holds a password.
	okEnv := []string{"PGPASSWORD=cli-right-pw"}
	rightUser := *pu
	rightUser.User = url.User("verso_pw")
	if r := versoWith(t, okEnv, rightUser.String(), "hello {{x}}", "commit", "p", "-m", "first"); r.code != 0 {
		t.Fatalf("commit with PGPASSWORD: %+v", r)
	}
	withPW := *pu
	withPW.User = url.UserPassword("verso_pw", "cli-right-pw")
	r := verso(t, withPW.String(), "", "gate")
	if r.code != 0 || strings.Contains(r.stdout+r.stderr, "cli-right-pw") || !strings.Contains(r.stdout, "verso_pw@") {
		t.Fatalf("gate: %+v", r)
	}
}
