package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"testing"

	"github.com/seed94f0f622/verso/internal/pgtest"
)

// asRole is the database address u with another user (the test server
// trusts every user on its socket but verso_pw).
func asRole(t *testing.T, u, role string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	p.User = url.User(role)
	return p.String()
}

// pgRole makes a login role on the test server if it is missing, and
// takes back any role granted to it by an earlier run.
func pgRole(t *testing.T, role string) {
	t.Helper()
	admin := pgtest.Admin(t)
	pgtest.Exec(t, admin, fmt.Sprintf(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') THEN CREATE ROLE %s LOGIN; END IF; END $$`, role, role))
	pgtest.Exec(t, admin, fmt.Sprintf(`DO $$ DECLARE r record; BEGIN
		FOR r IN SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = '%s' LOOP
			EXECUTE format('REVOKE %%I FROM %s', r.rolname);
		END LOOP; END $$`, role, role))
}

// A copy into a PostgreSQL registry whose tables belong to another role
// (the copying role may write rows but not switch triggers off) is refused
// before anything is written, naming the owner and the role; granting the
// owner's role then lets the same copy through.
func TestCopyRefusesADestinationOwnedByAnotherRole(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	pgRole(t, "verso_store_owner")
	pgRole(t, "verso_store_copier")
	pgtest.Exec(t, u, `GRANT ALL ON SCHEMA public TO verso_store_owner`)
	openAt(t, asRole(t, u, "verso_store_owner"), Options{}) // makes the schema: its tables are the owner's
	for _, q := range []string{`GRANT USAGE ON SCHEMA public TO verso_store_copier`, `GRANT ALL ON ALL TABLES IN SCHEMA public TO verso_store_copier`,
		`GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO verso_store_copier`} {
		pgtest.Exec(t, u, q)
	}
	dst := openAt(t, asRole(t, u, "verso_store_copier"), Options{})
	src := fullRegistry(t)
	_, err := Copy(ctx, src, dst, CopyOptions{})
	var oe *OwnerError
	if !errors.As(err, &oe) || oe.Owner != "verso_store_owner" || oe.Role != "verso_store_copier" {
		t.Fatalf("copy by a role that does not own the tables: %v, want an OwnerError", err)
	}
	for name, n := range tableCounts(t, dst) {
		if n != 0 && !(name == "event_strings" && n == 1) {
			t.Errorf("the refused copy wrote %d rows into %s", n, name)
		}
	}
	if m, err := dst.UnfinishedCopy(ctx); m != "" || err != nil {
		t.Fatalf("the refused copy left a marker: %q %v", m, err)
	}
	// A merge is refused alike.
	commit(t, dst, "mine", "mine")
	if _, err := Copy(ctx, src, dst, CopyOptions{Merge: true}); !errors.As(err, &oe) {
		t.Fatalf("merge: %v, want an OwnerError", err)
	}
	// The fix the message gives.
	pgtest.Exec(t, u, `GRANT verso_store_owner TO verso_store_copier`)
	t.Cleanup(func() { pgtest.Exec(t, pgtest.Admin(t), `REVOKE verso_store_owner FROM verso_store_copier`) })
	if rep := copyOrFail(t, src, dst, CopyOptions{Merge: true}); !rep.Merge {
		t.Fatalf("report %+v", rep)
	}
}
