package main

import (
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/internal/pgtest"
)

// `--db postgres://...?sslmode=require` works against a TLS server, and
// sslmode=verify-full with a CA that did not sign the server's certificate
// is one line, exit 2, saying what to fix, with nothing changed.
func TestPostgresSSLModes(t *testing.T) {
	pgtest.Admin(t)
	c, err := pgtest.StartTLS()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	require := c.TLSURL("postgres", "postgres", url.Values{"sslmode": {"require"}})
	mustOK(t, verso(t, require, "hello {{x}}", "commit", "p", "-m", "over TLS"))
	if r := mustOK(t, verso(t, require, "", "show", "p")); !strings.Contains(r.stdout, "hello {{x}}") {
		t.Fatalf("show: %s", r.stdout)
	}
	verified := c.TLSURL("postgres", "postgres", url.Values{"sslmode": {"verify-full"}, "sslrootcert": {c.CAFile}})
	mustOK(t, verso(t, verified, "", "show", "p"))

	other, _, err := pgtest.NewCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	wrong := filepath.Join(t.TempDir(), "other-ca.crt")
	if err := pgtest.WriteCA(wrong, other); err != nil {
		t.Fatal(err)
	}
	r := verso(t, c.TLSURL("postgres", "postgres", url.Values{"sslmode": {"verify-full"}, "sslrootcert": {wrong}}), "again {{x}}", "commit", "p")
	oneLineExit2(t, r, "the server's certificate is signed by an authority this connection does not trust: point sslrootcert")
	if r := mustOK(t, verso(t, require, "", "history", "p")); strings.Contains(r.stdout, "again") || strings.Count(r.stdout, "over TLS") != 1 {
		t.Fatalf("the refused commit wrote: %s", r.stdout)
	}
}
