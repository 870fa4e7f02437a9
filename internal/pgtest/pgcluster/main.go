// Command pgcluster starts and stops a throwaway PostgreSQL cluster for
// Verso's tests (see package pgtest).
//
//	eval "$(go run ./internal/pgtest/pgcluster start)"   # exports VERSO_TEST_POSTGRES and VERSO_TEST_PGDIR
//	go test ./store/...
//	go run ./internal/pgtest/pgcluster stop "$VERSO_TEST_PGDIR"
package main

import (
	"fmt"
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
	case len(args) == 2 && args[0] == "stop":
		if !strings.Contains(args[1], "verso-pg-") {
			return fmt.Errorf("%s is not a folder made by pgcluster start", args[1])
		}
		return pgtest.Attach(args[1]).Stop()
	}
	return fmt.Errorf("usage: pgcluster start | pgcluster stop DIR")
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
