package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The TUI's settings are checked before it needs a terminal: a bad theme
// or key override is one line naming the fix, exit 2.
func TestTUIBadSettings(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "verso.db")
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("keys:\n  quitt: [ctrl+q]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := versoEnv(t, []string{"VERSO_CONFIG=" + cfg}, db)
	if r.code != 2 || !strings.Contains(r.stderr, `unknown binding "quitt"`) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("bad key: code %d, stderr %q", r.code, r.stderr)
	}
	r = versoEnv(t, nil, db, "--theme", "nope")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown theme "nope"`) {
		t.Errorf("bad theme: code %d, stderr %q", r.code, r.stderr)
	}
	// Good settings and no terminal: the TUI says so.
	r = versoEnv(t, nil, db)
	if r.code != 2 || !strings.Contains(r.stderr, "needs a terminal") {
		t.Errorf("no terminal: code %d, stderr %q", r.code, r.stderr)
	}
}
