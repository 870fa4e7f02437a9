package main

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/internal/pgtest"
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
