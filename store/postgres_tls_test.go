package store

import (
	"context"
	"errors"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed94f0f622/verso/internal/pgtest"
)

// On a server that speaks TLS (a throwaway cluster with a certificate from
// a throwaway CA), sslmode=require encrypts the store's connections,
// verify-full with the CA that signed the certificate works, and
// verify-full with another CA is refused with what to do about it.
func TestPostgresTLS(t *testing.T) {
	pgtest.Admin(t) // a PostgreSQL server is installed and wanted
	c, err := pgtest.StartTLS()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	ctx := context.Background()

	st, err := Open(c.TLSURL("postgres", "postgres", url.Values{"sslmode": {"require"}}))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Commit(ctx, CommitInput{Name: "p", Template: "over TLS {{x}}", Author: "ann"}); err != nil {
		t.Fatal(err)
	}
	var ssl bool
	if err := st.db.QueryRowContext(ctx, `SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`).Scan(&ssl); err != nil || !ssl {
		t.Fatalf("sslmode=require: the connection is not encrypted (%v)", err)
	}

	verified, err := Open(c.TLSURL("postgres", "postgres", url.Values{"sslmode": {"verify-full"}, "sslrootcert": {c.CAFile}}))
	if err != nil {
		t.Fatalf("verify-full with the right CA: %v", err)
	}
	if v, err := verified.Resolve(ctx, "p@latest"); err != nil || v.Number != 1 {
		t.Fatalf("resolve over verify-full: %v %v", v, err)
	}
	verified.Close()

	other, _, err := pgtest.NewCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	wrong := filepath.Join(t.TempDir(), "other-ca.crt")
	if err := pgtest.WriteCA(wrong, other); err != nil {
		t.Fatal(err)
	}
	_, err = Open(c.TLSURL("postgres", "postgres", url.Values{"sslmode": {"verify-full"}, "sslrootcert": {wrong}}))
	if !errors.Is(err, ErrConnect) || !strings.Contains(err.Error(), "signed by an authority this connection does not trust: point sslrootcert") ||
		strings.Count(err.Error(), "\n") != 0 {
		t.Fatalf("verify-full with another CA: %v", err)
	}
}
