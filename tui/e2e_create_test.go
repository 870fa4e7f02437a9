package tui_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A mistyped --db does not open an empty workbench on a new file: verso
// asks, "n" (or enter) leaves nothing behind and exits 2 naming the fix,
// "y" creates the registry and opens it.
func TestE2EAsksBeforeCreatingARegistry(t *testing.T) {
	bin := e2eVerso(t)
	dir := t.TempDir()
	env := e2eEnv(t, dir)
	db := filepath.Join(dir, "typo.db")
	command := fmt.Sprintf("'%s' --db '%s'; echo \"[verso exited $?]\"; sleep 3600", bin, db)

	s := startTmux(t, env, 120, 35, command)
	s.waitFor("No registry at " + db + ". Create an empty one there? [y/N]")
	s.keys("n", "Enter")
	s.waitFor("verso: nothing created at "+db, "pass --db with the path", "[verso exited 2]")
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Fatalf("declining left %s behind (stat: %v)", db, err)
	}

	s = startTmux(t, env, 120, 35, command)
	s.waitFor("Create an empty one there? [y/N]")
	s.keys("y", "Enter")
	s.waitFor("No prompts yet")
	s.keys("C-c")
	s.waitFor("[verso exited 0]")
	if _, err := os.Stat(db); err != nil {
		t.Fatalf("yes did not create the registry: %v", err)
	}

	// An existing registry opens without a question.
	s = startTmux(t, env, 120, 35, command)
	s.waitFor("No prompts yet")
	if p := s.pane(); containsAny(p, "Create an empty one") {
		t.Fatalf("asked again about an existing registry:\n%s", p)
	}
	s.keys("C-c")
	s.waitFor("[verso exited 0]")
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
