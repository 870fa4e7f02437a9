// Command pgcluster starts and stops a throwaway PostgreSQL cluster for
// Verso's tests (see package pgtest).
//
//	eval "$(go run ./internal/pgtest/pgcluster start)"   # exports VERSO_TEST_POSTGRES and VERSO_TEST_PGDIR
//	go test ./store/...
//	go run ./internal/pgtest/pgcluster stop "$VERSO_TEST_PGDIR"
//
// start --tls also serves TLS on a TCP port of 127.0.0.1 and exports
// VERSO_TEST_PG_TLS, an sslmode=verify-full address with its CA.
package main

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/seed94f0f622/verso/internal/pgtest"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pgcluster:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 1 && args[0] == "start":
		c, err := pgtest.Start()
		if err != nil {
			return err
		}
		fmt.Printf("export %s=%s\n", pgtest.Env, shellQuote(c.URL("postgres", "postgres")))
		fmt.Printf("export VERSO_TEST_PGDIR=%s\n", shellQuote(c.Dir))
		return nil
	case len(args) == 2 && args[0] == "start" && args[1] == "--tls":
		// A cluster that also speaks TLS on a TCP port of 127.0.0.1, with a
		// certificate from a throwaway CA (for trying sslmode by hand).
		c, err := pgtest.StartTLS()
		if err != nil {
			return err
		}
		fmt.Printf("export %s=%s\n", pgtest.Env, shellQuote(c.URL("postgres", "postgres")))
		fmt.Printf("export VERSO_TEST_PGDIR=%s\n", shellQuote(c.Dir))
		fmt.Printf("export VERSO_TEST_PG_TLS=%s\n", shellQuote(c.TLSURL("postgres", "postgres", url.Values{"sslmode": {"verify-full"}, "sslrootcert": {c.CAFile}})))
		return nil
	case len(args) == 2 && args[0] == "stop":
		if !strings.Contains(args[1], "verso-pg-") {
			return fmt.Errorf("%s is not a folder made by pgcluster start", args[1])
		}
		return pgtest.Attach(args[1]).Stop()
	}
	return fmt.Errorf("usage: pgcluster start [--tls] | pgcluster stop DIR")
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
