// Command verso is a terminal-native prompt workbench: a prompt registry on
// one SQLite file, an eval engine and a TUI. This package only wires flags to
// the store, eval, tui and demo packages and prints their results.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"charm.land/fang/v2"
	"github.com/spf13/cobra"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/store/sanitize"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the CLI and returns the process exit code: 0 success, 1 the
// operation ran and failed, 2 bad usage or bad input.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := newApp(stdin, stdout, stderr)
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return execute(ctx, root, stderr)
}

// execute runs a command tree. A panic anywhere in a command (a bug, or
// input no check foresaw) ends it with one line on stderr and exit 1, never
// a stack trace over the user's terminal.
func execute(ctx context.Context, root *cobra.Command, stderr io.Writer) (code int) {
	defer func() {
		if v := recover(); v != nil {
			fmt.Fprintf(stderr, "verso: internal error: %s (a bug in verso: please report it with the command you ran)\n", oneLine(fmt.Sprint(v)))
			code = 1
		}
	}()
	err := fang.Execute(ctx, root,
		fang.WithVersion(version),
		fang.WithoutManpage(),
		fang.WithErrorHandler(func(w io.Writer, _ fang.Styles, err error) {
			if msg := userMessage(advise(err)); msg != "" {
				fmt.Fprintln(w, "verso: "+msg)
			}
		}),
	)
	return exitCode(err)
}

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr marks err as bad usage or bad input (exit 2).
func usageErr(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// failed marks err as "the operation ran and failed" (exit 1).
func failed(err error) error { return &exitError{code: 1, err: err} }

// silentFail exits 1 without printing anything more (the command already
// reported, e.g. an eval with failing cases).
var errSilentFail = &exitError{code: 1, err: errors.New("")}

func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if errors.Is(err, context.Canceled) {
		return 1
	}
	// Anything else is cobra complaining about flags or arguments, or a store
	// error classified in classify: bad input.
	return 2
}

// userMessage is the one line a user sees: the error without the trailing
// sentinel words the store adds for errors.Is ("...: not found").
func userMessage(err error) string {
	msg := sanitize.Line(oneLine(err.Error()))
	for _, s := range []error{store.ErrNotFound, store.ErrInvalid, store.ErrConflict, store.ErrReadOnly, store.ErrNotVerso,
		store.ErrTooNew, store.ErrNoChange, store.ErrGate, store.ErrImmutable, store.ErrGateSuite, store.ErrConnect} {
		if strings.HasSuffix(msg, ": "+s.Error()) && errors.Is(err, s) {
			return strings.TrimSuffix(msg, ": "+s.Error())
		}
	}
	return msg
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
