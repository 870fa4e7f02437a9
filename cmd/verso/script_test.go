package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/seed94f0f622/verso/internal/pgtest"
)

// TestScripts runs the CLI scripts in testdata/script: each is a
// txtar archive of commands (`exec verso ...`), expected output
// (`stdout`, `stderr`, `cmp`) and files. Every script starts in an empty
// work directory with a private home, no config file, no colour, and the
// database in $WORK/verso.db unless it passes --db. `go test -run
// TestScripts/NAME` runs one script; -testwork keeps its directory.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			home := filepath.Join(e.WorkDir, ".home")
			e.Setenv("HOME", home)
			e.Setenv("XDG_DATA_HOME", filepath.Join(home, "data"))
			e.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "config"))
			e.Setenv("VERSO_DB", filepath.Join(e.WorkDir, "verso.db"))
			if os.Getenv(pgtest.BackendEnv) == "postgres" {
				admin := os.Getenv(pgtest.Env)
				if admin == "" {
					return fmt.Errorf("%s=postgres needs $%s", pgtest.BackendEnv, pgtest.Env)
				}
				u, drop, err := pgtest.CreateDatabase(admin)
				if err != nil {
					return err
				}
				e.Defer(func() { drop() })
				e.Setenv("VERSO_DB", u)
			}
			e.Setenv("VERSO_AUTHOR", "tester")
			e.Setenv("NO_COLOR", "1")
			e.Setenv("TERM", "dumb")
			return nil
		},
		// [postgres]: the script runs on PostgreSQL (a file's behaviour
		// is skipped there).
		Condition: func(cond string) (bool, error) {
			if cond == "postgres" {
				return os.Getenv(pgtest.BackendEnv) == "postgres", nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"mode":    cmdMode,
			"exit":    cmdExit,
			"errline": cmdErrline,
		},
	})
}

// cmdMode checks a file's permission bits: mode FILE 0600.
func cmdMode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mode FILE PERM")
	}
	want, err := strconv.ParseUint(args[1], 8, 32)
	if err != nil {
		ts.Fatalf("mode %s: %v", args[1], err)
	}
	fi, err := os.Stat(ts.MkAbs(args[0]))
	ts.Check(err)
	if got := fi.Mode().Perm(); (got == os.FileMode(want)) == neg {
		ts.Fatalf("%s has mode %#o, want %s%#o", args[0], got, map[bool]string{true: "not ", false: ""}[neg], want)
	}
}

// cmdExit runs a command that must fail with an exact exit code:
// exit 2 verso show nope. Its stdout and stderr are kept for the next
// checks, as exec keeps them.
func cmdExit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exit CODE COMMAND [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	var ee *exec.ExitError
	switch {
	case err == nil:
		ts.Fatalf("%s succeeded, want exit %d", args[1], want)
	case !errors.As(err, &ee):
		ts.Fatalf("%s: %v", args[1], err)
	case ee.ExitCode() != want:
		ts.Fatalf("%s: exit %d, want %d", args[1], ee.ExitCode(), want)
	}
}

// cmdErrline checks stderr is one line, "verso: " then text matching the
// pattern: what a user sees for bad input.
func cmdErrline(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: errline PATTERN")
	}
	stderr := ts.ReadFile("stderr")
	re, err := regexp.Compile(args[0])
	ts.Check(err)
	if !strings.HasPrefix(stderr, "verso: ") || strings.Count(stderr, "\n") != 1 || !re.MatchString(stderr) {
		ts.Fatalf("stderr %q: want one line \"verso: ...\" matching %q", stderr, args[0])
	}
}
