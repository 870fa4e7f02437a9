package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestMalformedVersionRowDoesNotPanic: a version row written by something
// other than Verso (a short content hash, a chat row whose messages hold
// null parts, an odd config) is shown or refused with one line, never a
// panic.
func TestMalformedVersionRowDoesNotPanic(t *testing.T) {
	db := newDB(t)
	mustOK(t, verso(t, db, "hello {{x}}", "commit", "p", "-m", "one"))
	for i, row := range []struct{ kind, hash, cfg, tmpl, msgs string }{
		{"text", "x", "{}", "short hash", "[]"},
		{"text", "", "{}", "", "[]"},
		{"chat", "", `{"stop":null,"tools":[null],"response_format":[]}`, "", `[null,{"role":null}]`},
		{"chat", "abc", "{}", "", `{}`},
	} {
		sqlExec(t, db, `INSERT INTO versions (prompt_id, number, kind, created_at, content_hash, config, template, messages)
			VALUES (1, ?, ?, 0, ?, ?, ?, ?)`, i+2, row.kind, row.hash, row.cfg, row.tmpl, row.msgs)
	}
	for _, args := range [][]string{{"show", "p@2"}, {"show", "p@3"}, {"show", "p@3", "--json"}, {"show", "p@4"}, {"show", "p@4", "--var", "x=1"},
		{"show", "p@5"}, {"history", "p"}, {"history", "p", "--json"}, {"diff", "p", "1", "4"}, {"export"}, {"list"}} {
		r := verso(t, db, "", args...)
		if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine") || strings.Contains(r.stderr, "internal error") {
			t.Errorf("%v: %+v", args, r)
		}
		if r.code != 0 && (strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "verso: ")) {
			t.Errorf("%v: exit %d with stderr %q, want one verso: line", args, r.code, r.stderr)
		}
	}
}

// TestCommandPanicIsOneLine: whatever panics inside a command ends it with
// one `verso: internal error` line and exit 1, not a stack trace.
func TestCommandPanicIsOneLine(t *testing.T) {
	root := &cobra.Command{Use: "verso", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(&cobra.Command{Use: "boom", RunE: func(*cobra.Command, []string) error {
		var m map[string]int
		m["x"]++
		return nil
	}})
	root.SetArgs([]string{"boom"})
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	code := execute(context.Background(), root, &errb)
	if code != 1 || strings.Count(errb.String(), "\n") != 1 || !strings.HasPrefix(errb.String(), "verso: internal error: assignment to entry in nil map") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
}
