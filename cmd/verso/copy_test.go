package main

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/internal/pgtest"
	"github.com/seed94f0f622/verso/store"
)

// oneLineExit2 fails unless r is a one-line "verso: " error with exit 2
// that says want.
func oneLineExit2(t *testing.T, r result, want string) {
	t.Helper()
	if r.code != 2 || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "verso: ") || !strings.Contains(r.stderr, want) {
		t.Fatalf("exit %d, stderr %q: want exit 2 and one line saying %q", r.code, r.stderr, want)
	}
}

// `verso copy` copies a registry to a new file, prints the counts and
// checksums of both sides and says it verified them; the copy shows what
// the source shows. A destination that holds prompts is refused unless
// --merge, which adds the prompts it lacks.
func TestCopyCommand(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	mustOK(t, verso(t, a, "hello {{x}}", "commit", "support/reply", "-m", "first"))
	mustOK(t, verso(t, a, "hi {{x}}", "commit", "support/reply", "-m", "second"))
	mustOK(t, verso(t, a, "", "label", "support/reply", "1", "production", "--reason", "go"))

	r := mustOK(t, verso(t, "", "", "copy", "--from", a, "--to", b))
	if !strings.Contains(r.stdout, "verified: every table has the same rows on both sides") || !strings.Contains(r.stdout, "checksum source") ||
		!strings.Contains(r.stdout, "versions") || !strings.Contains(r.stderr, "copied versions: 2 rows") {
		t.Fatalf("copy printed:\n%s\n%s", r.stdout, r.stderr)
	}
	// (--json: the tables say "3 seconds ago", which moves between runs.)
	for _, args := range [][]string{{"show", "support/reply@production", "--json"}, {"history", "support/reply", "--json"}, {"labels", "support/reply", "--json"}, {"export"}} {
		x, y := mustOK(t, verso(t, a, "", args...)), mustOK(t, verso(t, b, "", args...))
		if x.stdout != y.stdout {
			t.Fatalf("%v differs after the copy:\n%s\n---\n%s", args, x.stdout, y.stdout)
		}
	}

	// A copy that did not finish (as a kill -9 leaves it: store's
	// TestCopyResumesAfterKill9) is named by every command on the
	// destination until the same copy is run again.
	abs, _ := filepath.Abs(a)
	sqlExec(t, b, `INSERT INTO settings (key, value) VALUES ('verso.copy.from', ?)`, abs)
	if r := mustOK(t, verso(t, b, "", "list")); !strings.Contains(r.stderr, "holds an unfinished copy from "+abs+", so not all of it yet: run `verso copy --from") {
		t.Fatalf("list on an unfinished copy: %q", r.stderr)
	}
	if r := mustOK(t, verso(t, "", "", "copy", "--from", a, "--to", b)); !strings.Contains(r.stdout, "(an interrupted copy, finished)") {
		t.Fatalf("resume printed:\n%s", r.stdout)
	}
	if r := mustOK(t, verso(t, b, "", "list")); r.stderr != "" {
		t.Fatalf("list after the copy finished: %q", r.stderr)
	}

	// Bad usage and a refused destination: one line, exit 2.
	oneLineExit2(t, verso(t, "", "", "copy", "--from", a), "needs --from SRC and --to DST")
	oneLineExit2(t, verso(t, "", "", "copy", "--from", filepath.Join(dir, "missing.db"), "--to", filepath.Join(dir, "c.db")), "no registry at")
	oneLineExit2(t, verso(t, "", "", "copy", "--from", a, "--to", a), "the same registry")
	oneLineExit2(t, verso(t, "", "", "copy", "--from", a, "--to", b), "pass --merge")

	// --merge adds what b lacks.
	mustOK(t, verso(t, a, "new {{x}}", "commit", "other/prompt", "-m", "first"))
	r = mustOK(t, verso(t, "", "", "copy", "--from", a, "--to", b, "--merge"))
	if !strings.Contains(r.stdout, "added 1 prompt (other/prompt), kept 1 prompt (support/reply)") || !strings.Contains(r.stdout, "verified:") {
		t.Fatalf("merge printed:\n%s", r.stdout)
	}
	mustOK(t, verso(t, b, "", "show", "other/prompt"))
	// A prompt that differs refuses the merge by name.
	mustOK(t, verso(t, a, "diverged {{x}}", "commit", "support/reply", "-m", "third"))
	oneLineExit2(t, verso(t, "", "", "copy", "--from", a, "--to", b, "--merge"), "support/reply (3 versions in the source, 2 in the destination)")
}

// To and from PostgreSQL: the copy is verified, and the password in an
// address is never printed.
func TestCopyCommandPostgres(t *testing.T) {
	u, err := url.Parse(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "copy-secret-pw") // the test server trusts its socket
	pg := u.String()
	dir := t.TempDir()
	a, back := filepath.Join(dir, "a.db"), filepath.Join(dir, "back.db")
	mustOK(t, verso(t, a, "hello {{x}}", "commit", "p", "-m", "first"))
	mustOK(t, verso(t, a, "", "label", "p", "1", "production"))
	for _, r := range []result{
		mustOK(t, verso(t, "", "", "copy", "--from", a, "--to", pg)),
		mustOK(t, verso(t, "", "", "copy", "--from", pg, "--to", back)),
	} {
		if !strings.Contains(r.stdout, "verified") || strings.Contains(r.stdout+r.stderr, "copy-secret-pw") {
			t.Fatalf("copy printed:\n%s\n%s", r.stdout, r.stderr)
		}
	}
	r := verso(t, "", "", "copy", "--from", a, "--to", pg)
	oneLineExit2(t, r, "pass --merge")
	if strings.Contains(r.stderr, "copy-secret-pw") {
		t.Fatalf("the password was printed: %s", r.stderr)
	}
	if x, y := mustOK(t, verso(t, a, "", "export")), mustOK(t, verso(t, back, "", "export")); x.stdout != y.stdout {
		t.Fatalf("the round trip through PostgreSQL changed the export:\n%s\n---\n%s", x.stdout, y.stdout)
	}
}

// `verso copy --to postgres://...` as a role that may write the
// destination's rows but does not own its tables is refused in one line,
// exit 2, naming the owner, the role and the fix, and nothing is written.
func TestCopyCommandPostgresNotOwner(t *testing.T) {
	u := pgtest.NewDatabase(t)
	admin := pgtest.Admin(t)
	as := func(role string) string {
		p, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		p.User = url.User(role)
		return p.String()
	}
	for _, role := range []string{"verso_cli_owner", "verso_cli_copier"} {
		pgtest.Exec(t, admin, fmt.Sprintf(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') THEN CREATE ROLE %s LOGIN; END IF; END $$`, role, role))
	}
	pgtest.Exec(t, admin, `DO $$ BEGIN IF pg_has_role('verso_cli_copier', 'verso_cli_owner', 'MEMBER') THEN REVOKE verso_cli_owner FROM verso_cli_copier; END IF; END $$`)
	pgtest.Exec(t, u, `GRANT ALL ON SCHEMA public TO verso_cli_owner`)
	st, err := store.Open(as("verso_cli_owner")) // the schema, owned by verso_cli_owner
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, q := range []string{`GRANT USAGE ON SCHEMA public TO verso_cli_copier`, `GRANT ALL ON ALL TABLES IN SCHEMA public TO verso_cli_copier`,
		`GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO verso_cli_copier`} {
		pgtest.Exec(t, u, q)
	}
	a := filepath.Join(t.TempDir(), "a.db")
	mustOK(t, verso(t, a, "hello {{x}}", "commit", "p", "-m", "first"))
	r := verso(t, "", "", "copy", "--from", a, "--to", as("verso_cli_copier"))
	oneLineExit2(t, r, "the tables in "+store.RedactURL(as("verso_cli_copier"))+" are owned by role verso_cli_owner, not verso_cli_copier")
	if !strings.Contains(r.stderr, "GRANT verso_cli_owner TO verso_cli_copier") || strings.Contains(r.stderr, "read-only") {
		t.Fatalf("the refusal does not give the fix: %s", r.stderr)
	}
	dst, err := store.Open(as("verso_cli_copier"))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if ps, err := dst.ListPrompts(context.Background(), store.ListOptions{}); err != nil || len(ps) != 0 {
		t.Fatalf("the refused copy wrote prompts: %v %v", ps, err)
	}
	if m, err := dst.UnfinishedCopy(context.Background()); m != "" || err != nil {
		t.Fatalf("the refused copy left a marker: %q %v", m, err)
	}
}
