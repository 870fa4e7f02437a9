package tui_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2EProductManager plays a product manager with no $EDITOR in tmux:
// open the demo, change one sentence of a prompt in the inline editor, add
// a test case that the answer must mention the refund policy (the case
// form, no YAML), run the suite on the old and the new version, and
// promote the winner. It must take fewer than 40 keys besides the typed
// text, with no external editor.
func TestE2EProductManager(t *testing.T) {
	bin := e2eVerso(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.db")
	// No VISUAL or EDITOR: the inline editor is the one.
	env := e2eEnv(t, dir, "VERSO_AUTHOR=pm")
	reg := registry{tb: t, bin: bin, db: db, env: env}
	stderrLog := filepath.Join(dir, "stderr.log")
	command := fmt.Sprintf("'%s' demo --db '%s' --latency 20ms --token-delay 0s 2>'%s'; echo \"[verso exited $?]\"; sleep 3600", bin, db, stderrLog)
	s := startTmux(t, env, 120, 35, command, stderrLog)
	n := 0
	press := func(keys ...string) {
		t.Helper()
		n += len(keys)
		s.keys(keys...)
	}
	const name = "support/reply"
	s.waitFor("to filter", name)
	prod := reg.label(name, "production")
	latest := reg.history(name)[0].Version

	// Find the prompt and open it.
	press("/")
	s.waitFor("type to filter")
	s.text("reply")
	s.waitFor("/ reply")
	press("Enter")
	s.waitFor("verso › "+name, "1 Content")

	// Change one sentence: e opens the inline editor; the first
	// paragraph gets a sentence about the refund policy.
	press("e")
	s.waitFor("edit " + name)
	press("C-e")
	s.text(" When money is involved, always mention the refund policy.")
	press("C-s")
	s.waitFor("Commit message")
	s.text("State the refund policy")
	press("Enter")
	next := latest + 1
	s.waitFor(fmt.Sprintf("committed %s v%d", name, next))

	// Add a test case in the form: the answer must mention the refund policy.
	press("4")
	s.waitFor("a add case")
	press("a")
	s.waitFor("what this case checks")
	s.text("mentions the refund policy")
	press("Tab")
	s.text("Ana") // {{customer}}
	press("Tab")
	s.text("Can I get a refund for last month?") // {{message}}
	press("Tab", "Tab", "Enter")                 // past the expected output to "add an assertion"
	s.waitFor("icontains")
	press("Down", "Down", "Enter") // contains, ignoring case
	s.text("refund policy")
	press("C-s")
	s.waitFor("saved case mentions the refund policy")

	// Run the suite on production and the new version (the run form's
	// default), then promote the winner.
	press("5", "r")
	s.waitFor("new run", fmt.Sprintf("[x] v%d", next), fmt.Sprintf("[x] v%d", prod))
	press("Enter")
	s.waitFor("run #", "done")
	check(t, s, strings.Contains(s.pane(), "4 failed"), "production should fail the new refund-policy case (and its older checks)")
	// The new version's column is the second (versions in order, newest last).
	press("Right", "p")
	s.waitFor(fmt.Sprintf("Promote %s v%d", name, next))
	if strings.Contains(s.pane(), "which label?") {
		press("Enter")
		s.waitFor(fmt.Sprintf("Promote %s v%d to production", name, next))
	}
	s.text("v" + fmt.Sprint(next) + " mentions the refund policy")
	// The new version passed every case, the old one missed the refund
	// policy: the gate lets the winner through with enter, no force.
	s.waitFor("9/9 passed", "the gate needs 100%. ✓")
	check(t, s, !strings.Contains(s.pane(), "ctrl+f force"), "the gate refused the winner")
	press("Enter")
	s.waitGone("Reason:")
	if got := reg.label(name, "production"); got != next {
		t.Fatalf("production is on v%d, want the new v%d", got, next)
	}
	t.Logf("the product manager's flow took %d keys besides the typed text", n)
	check(t, s, n < 40, "the flow took %d keys, want fewer than 40", n)
}
