package tui_test

// The end-to-end test drives the real binary in tmux through the main flow
// of the TUI (issue 3) and the eval workspace (issue 5), and checks the
// database with the CLI after each step. It needs tmux (CI installs it) and
// is skipped under -short.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// e2eTimeout is how long a step may take to show on the screen.
const e2eTimeout = 10 * time.Second

// e2eVerso skips an end-to-end test under -short or without tmux, and
// otherwise builds the binary it drives.
func e2eVerso(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	return buildVerso(t)
}

// buildVerso builds cmd/verso into a temp dir of tb and returns its path.
func buildVerso(tb testing.TB) string {
	tb.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(tb.TempDir(), "verso")
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/verso")
	cmd.Dir = ".." // the module root (tests run in tui/)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build ./cmd/verso: %v\n%s", err, out)
	}
	return bin
}

// tmuxSession is a private tmux server (its own socket) running one pane.
type tmuxSession struct {
	tb     testing.TB
	tmux   string
	sock   string
	env    []string
	logs   []string // files dumped when a step fails
	target string
}

// e2eEnv is the whole environment of a verso under tmux: a home, XDG
// folders and a TMPDIR of its own under dir (so nothing of the user's
// leaks in or out), a UTF-8 xterm, and the extra NAME=value pairs.
func e2eEnv(tb testing.TB, dir string, extra ...string) []string {
	tb.Helper()
	env := []string{"PATH=" + os.Getenv("PATH"), "TERM=xterm-256color", "LANG=C.UTF-8"}
	for _, d := range []struct{ name, dir string }{{"HOME", "home"}, {"XDG_CONFIG_HOME", "config"}, {"XDG_DATA_HOME", "data"},
		{"XDG_CACHE_HOME", "cache"}, {"XDG_STATE_HOME", "state"}, {"TMPDIR", "tmp"}} {
		path := filepath.Join(dir, d.dir)
		if err := os.MkdirAll(path, 0o755); err != nil {
			tb.Fatal(err)
		}
		env = append(env, d.name+"="+path)
	}
	return append(env, extra...)
}

// startTmux starts a detached session of width x height running command
// (a shell command line) in a private tmux server; t.Cleanup kills it.
func startTmux(tb testing.TB, env []string, width, height int, command string, logs ...string) *tmuxSession {
	tb.Helper()
	tmux, err := exec.LookPath("tmux")
	if err != nil {
		tb.Skip("tmux is not installed")
	}
	s := &tmuxSession{tb: tb, tmux: tmux, env: env, logs: logs, target: "verso",
		sock: fmt.Sprintf("verso-e2e-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6)}
	var socket string
	tb.Cleanup(func() {
		_, _ = s.run("kill-server")
		if socket != "" {
			os.Remove(socket) // tmux leaves the socket file behind
		}
	})
	if out, err := s.run("-f", "/dev/null", "new-session", "-d", "-s", s.target,
		"-x", strconv.Itoa(width), "-y", strconv.Itoa(height), command); err != nil {
		tb.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	if out, err := s.run("display-message", "-p", "#{socket_path}"); err == nil && strings.Contains(out, s.sock) {
		socket = strings.TrimSpace(out)
	}
	return s
}

func (s *tmuxSession) run(args ...string) (string, error) {
	// -u: UTF-8 whatever the locale; -L: a socket of our own, never the
	// user's tmux server.
	cmd := exec.Command(s.tmux, append([]string{"-u", "-L", s.sock}, args...)...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// keys sends tmux key names (Enter, Space, Escape, C-f, q, ...), one by one.
func (s *tmuxSession) keys(keys ...string) {
	s.tb.Helper()
	for _, k := range keys {
		if out, err := s.run("send-keys", "-t", s.target, k); err != nil {
			s.tb.Fatalf("tmux send-keys %q: %v\n%s", k, err, out)
		}
	}
}

// text types literal text.
func (s *tmuxSession) text(text string) {
	s.tb.Helper()
	if out, err := s.run("send-keys", "-t", s.target, "-l", text); err != nil {
		s.tb.Fatalf("tmux send-keys -l %q: %v\n%s", text, err, out)
	}
}

// pane is the visible screen as plain text.
func (s *tmuxSession) pane() string {
	out, err := s.run("capture-pane", "-p", "-t", s.target)
	if err != nil {
		return "(capture-pane: " + err.Error() + ") " + out
	}
	return out
}

// waitFor waits until the screen shows every string and returns it.
func (s *tmuxSession) waitFor(what ...string) string {
	s.tb.Helper()
	return s.waitUntil(e2eTimeout, fmt.Sprintf("the screen to show %q", what), func(p string) bool {
		for _, w := range what {
			if !strings.Contains(p, w) {
				return false
			}
		}
		return true
	})
}

// waitMatch waits until re matches the screen and returns the submatches.
func (s *tmuxSession) waitMatch(timeout time.Duration, re *regexp.Regexp) []string {
	s.tb.Helper()
	p := s.waitUntil(timeout, "the screen to match "+re.String(), re.MatchString)
	return re.FindStringSubmatch(p)
}

// waitGone waits until the screen no longer shows what.
func (s *tmuxSession) waitGone(what string) string {
	s.tb.Helper()
	return s.waitUntil(e2eTimeout, fmt.Sprintf("%q to leave the screen", what), func(p string) bool {
		return !strings.Contains(p, what)
	})
}

func (s *tmuxSession) waitUntil(timeout time.Duration, what string, ok func(string) bool) string {
	s.tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		p := s.pane()
		if ok(p) {
			return p
		}
		if time.Now().After(deadline) {
			// Whether the TUI is on its alternate screen tells a blank pane
			// whose program never drew again (off it: see common.Terminal)
			// from a slow one.
			state, _ := s.run("display-message", "-p", "-t", s.target, "alternate screen: #{?alternate_on,on,off}; pane dead: #{?pane_dead,yes,no}")
			s.tb.Fatalf("waited %s for %s; %s; the screen is:\n%s%s", timeout, what, strings.TrimSpace(state), p, s.dumpLogs())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func (s *tmuxSession) dumpLogs() string {
	var b strings.Builder
	for _, l := range s.logs {
		data, err := os.ReadFile(l)
		if err == nil && len(data) > 0 {
			fmt.Fprintf(&b, "\n--- %s ---\n%s", filepath.Base(l), data)
		}
	}
	return b.String()
}

// cursorLine reports whether the screen has a line with the cursor (›)
// that contains every string.
func cursorLine(p string, what ...string) bool {
	for _, line := range strings.Split(p, "\n") {
		i := strings.Index(line, "›")
		if i < 0 || strings.TrimSpace(line[:i]) != "" {
			continue
		}
		all := true
		for _, w := range what {
			all = all && strings.Contains(line, w)
		}
		if all {
			return true
		}
	}
	return false
}

// The CLI's JSON, as far as the test reads it.
type (
	cliVersion struct {
		Version int      `json:"version"`
		Message string   `json:"message"`
		Author  string   `json:"author"`
		Parent  int      `json:"parent"`
		Labels  []string `json:"labels"`
	}
	cliLabels struct {
		Labels []struct {
			Label   string `json:"label"`
			Version int    `json:"version"`
		} `json:"labels"`
		History []cliLabelEvent `json:"history"`
	}
	cliLabelEvent struct {
		Label  string `json:"label"`
		From   *int   `json:"from"`
		To     *int   `json:"to"`
		Actor  string `json:"actor"`
		Reason string `json:"reason"`
		RunID  *int64 `json:"run_id"`
		Forced bool   `json:"forced"`
	}
	cliRun struct {
		ID       int64  `json:"id"`
		Suite    string `json:"suite"`
		Status   string `json:"status"`
		Versions []int  `json:"versions"`
		Summary  struct {
			Columns []struct {
				Version  int     `json:"version"`
				Total    int     `json:"total"`
				Passed   int     `json:"passed"`
				PassRate float64 `json:"pass_rate"`
			} `json:"columns"`
		} `json:"summary"`
	}
)

// registry runs the CLI on the test's database.
type registry struct {
	tb  testing.TB
	bin string
	db  string
	env []string
}

func (r registry) json(v any, args ...string) {
	r.tb.Helper()
	cmd := exec.Command(r.bin, append([]string{"--db", r.db}, args...)...)
	cmd.Env = r.env
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		r.tb.Fatalf("verso %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr)
	}
	if err := json.Unmarshal(out, v); err != nil {
		r.tb.Fatalf("verso %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (r registry) history(name string) []cliVersion {
	r.tb.Helper()
	var vs []cliVersion
	r.json(&vs, "history", name, "--json")
	return vs
}

func (r registry) labels(name string) cliLabels {
	r.tb.Helper()
	var ls cliLabels
	r.json(&ls, "labels", name, "--json")
	return ls
}

func (r registry) label(name, label string) int {
	r.tb.Helper()
	for _, l := range r.labels(name).Labels {
		if l.Label == label {
			return l.Version
		}
	}
	return 0
}

// lastMove is the newest event of a label.
func (r registry) lastMove(name, label string) cliLabelEvent {
	r.tb.Helper()
	var last cliLabelEvent
	for _, e := range r.labels(name).History {
		if e.Label == label {
			last = e
		}
	}
	return last
}

func (r registry) runs(name string) []cliRun {
	r.tb.Helper()
	var rs []cliRun
	r.json(&rs, "runs", name, "--json")
	return rs
}

func (r registry) run(name string, id int64) cliRun {
	r.tb.Helper()
	for _, run := range r.runs(name) {
		if run.ID == id {
			return run
		}
	}
	r.tb.Fatalf("run #%d of %s is not in the registry", id, name)
	return cliRun{}
}

func intp(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// check fails the test with the screen when cond is false.
func check(t *testing.T, s *tmuxSession, cond bool, format string, args ...any) {
	t.Helper()
	if !cond {
		t.Fatalf(format+"\nthe screen is:\n%s", append(args, s.pane())...)
	}
}

// TestE2E drives `verso demo` in tmux: filter, open a prompt, diff two
// versions, edit with a scripted $EDITOR and commit, promote (the gate
// refuses production without a run, staging moves, ctrl+f forces), roll
// back in the Labels tab; then the eval workspace: run the default suite
// on two versions, open a failing cell, compare outputs, promote the
// winner through the gate, and see the gate catch a regression.
func TestE2E(t *testing.T) {
	bin := e2eVerso(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "demo.db")
	// The scripted editor appends a line to the file it is given.
	editorScript := filepath.Join(dir, "editor.sh")
	editorLog := filepath.Join(dir, "editor.log")
	// It logs its start and its end: a failure's dump shows whether the
	// editor had returned.
	script := "#!/bin/sh\necho \"started: $@\" >> '" + editorLog + "'\nprintf 'E2E: keep it brief.\\n' >> \"$1\"\necho returned >> '" + editorLog + "'\n"
	if err := os.WriteFile(editorScript, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	const author = "e2e-tester"
	env := e2eEnv(t, dir, "VERSO_AUTHOR="+author, "VISUAL="+editorScript, "EDITOR="+editorScript)
	reg := registry{tb: t, bin: bin, db: db, env: env}
	stderrLog := filepath.Join(dir, "stderr.log")
	// A fast demo model keeps the runs short; the pane stays after exit so
	// a crash is on the screen.
	command := fmt.Sprintf("'%s' demo --db '%s' --latency 20ms --token-delay 0s 2>'%s'; echo \"[verso exited $?]\"; sleep 3600",
		bin, db, stderrLog)
	s := startTmux(t, env, 120, 35, command, stderrLog, editorLog)

	const name = "support/reply"

	// 1. The demo opens on the prompt list.
	s.waitFor("to filter", name, "enter open")
	hist := reg.history(name)
	if len(hist) < 3 {
		t.Fatalf("%s has %d versions in the demo, want at least 3", name, len(hist))
	}
	latest := hist[0].Version
	prod := reg.label(name, "production")
	if prod == 0 || prod == latest {
		t.Fatalf("demo: %s production is v%d, latest v%d: want production on an older version", name, prod, latest)
	}
	t.Logf("demo: %s latest v%d, production v%d", name, latest, prod)

	// 2. Filter with / and open the prompt.
	s.keys("/")
	s.waitFor("type to filter")
	s.text("reply")
	p := s.waitFor("/ reply")
	check(t, s, cursorLine(p, name), "the filter did not put %s under the cursor", name)
	check(t, s, !strings.Contains(p, "sql/from-question"), "the filter kept a prompt that does not match")
	s.keys("Enter")
	s.waitFor("verso › "+name, "1 Content", "2 History", "3 Labels")

	// 3. History: mark two versions and diff them.
	s.keys("2")
	s.waitFor(fmt.Sprintf("%d versions", len(hist)))
	s.keys("Space", "j", "j", "Space")
	a, b := latest-2, latest
	s.waitFor(fmt.Sprintf("marked v%d, v%d · d diffs", b, a))
	s.keys("d")
	// The help line too: a frame can be caught half drawn, so every part
	// checked is waited for.
	s.waitFor(fmt.Sprintf("%s v%d ↔ v%d", name, a, b), "side-by-side", "@@", "n next change")
	s.keys("q")
	s.waitGone("↔")
	s.waitFor(fmt.Sprintf("%d versions", len(hist)), "space mark")

	// 4. Edit the latest version with the scripted $EDITOR and commit.
	s.keys("g")
	s.waitUntil(e2eTimeout, "the cursor on the latest version", func(p string) bool {
		return cursorLine(p, fmt.Sprintf("v%d ", latest))
	})
	s.keys("e")
	next := latest + 1
	s.waitFor(fmt.Sprintf("Commit %s v%d (edited from v%d)", name, next, latest), "E2E: keep it brief.", "Commit message")
	s.text("Keep it brief (e2e)")
	s.keys("Enter")
	s.waitFor(fmt.Sprintf("committed %s v%d", name, next))
	hist = reg.history(name)
	if v := hist[0]; v.Version != next || v.Message != "Keep it brief (e2e)" || v.Author != author || v.Parent != latest {
		t.Fatalf("after the edit the newest version is %+v, want v%d by %s with parent v%d", v, next, author, latest)
	}
	s.waitFor(fmt.Sprintf("%d versions", len(hist)))
	// The temp file goes when the commit's last message is handled, which
	// on a loaded machine can come a moment after the screen shows it.
	var left []string
	for end := time.Now().Add(e2eTimeout); ; time.Sleep(50 * time.Millisecond) {
		left, _ = filepath.Glob(filepath.Join(dir, "tmp", "verso-*"))
		if len(left) == 0 || time.Now().After(end) {
			break
		}
	}
	if len(left) > 0 {
		t.Errorf("the edit left its temp file behind: %v", left)
	}

	// 5. Promote the new version to production: the gate refuses it (no
	// run on the default suite), and offers to run the suite.
	s.keys("g")
	s.waitUntil(e2eTimeout, "the cursor on the new version", func(p string) bool {
		return cursorLine(p, fmt.Sprintf("v%d ", next))
	})
	s.keys("p")
	s.waitFor(fmt.Sprintf("Promote %s v%d: which label?", name, next), "production", "staging")
	s.keys("Enter")
	s.waitFor(fmt.Sprintf("Promote %s v%d to production", name, next), "Gate: production is protected", "Reason:")
	s.text("e2e: ship it without a run")
	s.keys("Enter")
	// The store refuses (the dialog's problem line), and offers the run.
	s.waitFor(fmt.Sprintf("label %s@%d production: production is protected", name, next), "ctrl+f force with this reason", "ctrl+r run the suite now")
	if got := reg.label(name, "production"); got != prod {
		t.Fatalf("the gate let production move: it is on v%d, want v%d", got, prod)
	}
	s.keys("C-r")
	s.waitFor("verso › "+name+" › new run", "versions (1 of at most 4)", fmt.Sprintf("[x] v%d", next)) // the run the gate offers preselects it
	s.keys("q")
	s.waitFor(fmt.Sprintf("%d versions", len(hist)), "space mark")

	// 6. Promote to staging (not protected).
	s.keys("p")
	s.waitFor(fmt.Sprintf("Promote %s v%d: which label?", name, next))
	s.keys("j")
	s.waitUntil(e2eTimeout, "the picker on staging", func(p string) bool { return cursorLine(p, "staging") })
	s.keys("Enter")
	p = s.waitFor(fmt.Sprintf("Promote %s v%d to staging", name, next), "Reason:")
	check(t, s, !strings.Contains(p, "Gate:"), "staging should not be gated")
	s.text("e2e: try it on staging")
	s.keys("Enter")
	s.waitFor(fmt.Sprintf("%s staging → v%d", name, next))
	if got, ev := reg.label(name, "staging"), reg.lastMove(name, "staging"); got != next || ev.Reason != "e2e: try it on staging" || ev.Actor != author {
		t.Fatalf("staging is on v%d with last move %+v, want v%d by %s", got, ev, next, author)
	}

	// 7. Force production past the gate with a reason (ctrl+f).
	s.keys("p")
	s.waitFor(fmt.Sprintf("Promote %s v%d: which label?", name, next))
	s.keys("Enter")
	s.waitFor(fmt.Sprintf("Promote %s v%d to production", name, next), "Reason:")
	s.text("e2e: hotfix, forced")
	// The preview shows the gate's refusal, so ctrl+f is offered at once.
	s.waitFor("ctrl+f force with this reason")
	s.keys("C-f")
	s.waitFor(fmt.Sprintf("%s production → v%d (forced past the gate)", name, next))
	if got, ev := reg.label(name, "production"), reg.lastMove(name, "production"); got != next || !ev.Forced || ev.Reason != "e2e: hotfix, forced" {
		t.Fatalf("production is on v%d with last move %+v, want v%d forced with the reason", got, ev, next)
	}

	// 8. Roll production back in the Labels tab.
	// The Labels tab opens on production.
	s.keys("3")
	s.waitFor("LABEL", "History (")
	s.waitUntil(e2eTimeout, "the cursor on production", func(p string) bool { return cursorLine(p, "production") })
	s.keys("R")
	s.waitFor(fmt.Sprintf("Roll back %s production", name), fmt.Sprintf("production goes back from v%d to v%d", next, prod))
	s.text("e2e: undo the forced move")
	// The target has no run on the suite as it is now: the rollback is gated like a
	// move (the preview says so), so it is forced with the reason.
	s.waitFor("ctrl+f force with this reason")
	s.keys("C-f")
	s.waitFor(fmt.Sprintf("%s production rolled back to v%d", name, prod))
	if got, ev := reg.label(name, "production"), reg.lastMove(name, "production"); got != prod || intp(ev.From) != next || intp(ev.To) != prod || !strings.Contains(ev.Reason, "e2e: undo the forced move") {
		t.Fatalf("after the rollback production is on v%d, last move %+v; want v%d→v%d with the reason", got, ev, next, prod)
	}
	s.waitFor(fmt.Sprintf("v%d→v%d", next, prod), "e2e: undo the forced move")

	// 9. The eval workspace: run the default suite on the latest version
	// and production (the form preselects them).
	s.keys("4")
	s.waitFor("default ·", "r runs it")
	s.keys("r")
	// The new-run form preselects the latest version and production.
	s.waitFor("verso › "+name+" › new run", "calls", fmt.Sprintf("[x] v%d", next), fmt.Sprintf("[x] v%d", prod))
	s.keys("Enter")
	runRe := regexp.MustCompile(`run #(\d+) · ` + regexp.QuoteMeta(name) + ` · suite default .* done`)
	m := s.waitMatch(60*time.Second, runRe)
	runID, _ := strconv.ParseInt(m[1], 10, 64)
	run := reg.run(name, runID)
	if run.Status != "done" || len(run.Summary.Columns) != 2 {
		t.Fatalf("run #%d in the registry: %+v, want done with 2 columns", runID, run)
	}
	colOf := map[int]int{}
	rates := map[int]float64{}
	for i, c := range run.Summary.Columns {
		colOf[c.Version], rates[c.Version] = i, c.PassRate
	}
	if rates[next] != 1 || rates[prod] >= 1 {
		t.Fatalf("run #%d pass rates %v: want v%d to pass every case and production v%d to fail some", runID, rates, next, prod)
	}

	// 10. Open a failing cell: failures only, then production's column.
	s.keys("f")
	s.waitFor("showing failures")
	for range colOf[prod] {
		s.keys("l")
	}
	s.keys("Enter")
	p = s.waitFor(fmt.Sprintf("· v%d · ", prod), "✗ fail", "assertions (", "output")
	check(t, s, strings.Contains(p, "✗ "), "the failing cell shows no failed assertion")
	s.keys("q")
	s.waitFor("cell detail", "p promote column")

	// 11. Compare the outputs of the two cells of that row.
	s.keys("Space")
	s.waitFor("marked: d on another cell")
	if colOf[next] > colOf[prod] {
		s.keys("l")
	} else {
		s.keys("h")
	}
	s.keys("d")
	s.waitFor(fmt.Sprintf("run #%d · case", runID), "↔", "✗ fail", "✓ pass", "side-by-side")
	s.keys("q")
	s.waitFor("cell detail", "p promote column")

	// 12. Promote the winner through the gate, with the run as evidence.
	s.keys("p")
	s.waitFor(fmt.Sprintf("Promote %s v%d: which label?", name, next))
	s.keys("Enter")
	s.waitFor(fmt.Sprintf("Promote %s v%d to production", name, next),
		fmt.Sprintf("Gate: production is protected: run %d of v%d on suite \"default\" passed", runID, next), "✓")
	s.text("e2e: wins the default suite")
	s.keys("Enter")
	s.waitFor(fmt.Sprintf("%s production → v%d", name, next))
	if got, ev := reg.label(name, "production"), reg.lastMove(name, "production"); got != next || ev.Forced || ev.RunID == nil || *ev.RunID != runID {
		t.Fatalf("production is on v%d, last move %+v: want v%d through the gate with run #%d", got, ev, next, runID)
	}

	// 13. The gate catches a regression: support/ticket-summary's newest
	// version fails its suite, so production refuses it.
	const reg2 = "support/ticket-summary"
	latest2 := reg.history(reg2)[0].Version
	prod2 := reg.label(reg2, "production")
	s.keys("q")
	s.waitFor("verso › "+name, "1 Content")
	s.keys("q")
	s.waitFor("enter open", "esc clear filter")
	s.keys("Escape") // clears the filter "reply"
	s.waitFor(reg2, "to filter")
	s.keys("/")
	s.waitFor("/ ")
	s.text("ticket-summary")
	s.waitUntil(e2eTimeout, "the filter on "+reg2, func(p string) bool { return cursorLine(p, reg2) })
	s.keys("Enter")
	s.waitFor("verso › "+reg2, "1 Content")
	s.keys("4")
	s.waitFor("default ·", "r runs it")
	s.keys("r")
	// The new-run form preselects the latest version and production.
	s.waitFor("verso › "+reg2+" › new run", "calls", fmt.Sprintf("[x] v%d", latest2), fmt.Sprintf("[x] v%d", prod2))
	s.keys("Enter")
	m = s.waitMatch(60*time.Second, regexp.MustCompile(`run #(\d+) · `+regexp.QuoteMeta(reg2)+` · suite default .* done`))
	runID2, _ := strconv.ParseInt(m[1], 10, 64)
	run2 := reg.run(reg2, runID2)
	col2 := -1
	for i, c := range run2.Summary.Columns {
		if c.Version == latest2 {
			col2 = i
			if c.PassRate >= 1 {
				t.Fatalf("run #%d: %s v%d passes %d/%d: the demo's regression is gone", runID2, reg2, latest2, c.Passed, c.Total)
			}
		}
	}
	if col2 < 0 {
		t.Fatalf("run #%d has no column for v%d: %+v", runID2, latest2, run2)
	}
	for range col2 {
		s.keys("l")
	}
	s.keys("p")
	s.waitFor(fmt.Sprintf("Promote %s v%d: which label?", reg2, latest2))
	s.keys("Enter")
	s.waitFor(fmt.Sprintf("Promote %s v%d to production", reg2, latest2), fmt.Sprintf("run #%d", runID2), "the gate needs 100%")
	s.text("e2e: friendlier summaries")
	s.keys("Enter")
	s.waitFor(fmt.Sprintf("label %s@%d production: production is protected", reg2, latest2), "ctrl+f force with this reason")
	if got := reg.label(reg2, "production"); got != prod2 {
		t.Fatalf("the gate let the regression through: %s production is on v%d, want v%d", reg2, got, prod2)
	}
	s.keys("Escape")
	s.waitFor("p promote column")

	// 14. The demo's live rollout: classify/sentiment's production is at 25%
	// of v4. The Labels tab opens it (o); p pauses it and r resumes it,
	// each confirmed.
	const live = "classify/sentiment"
	rolloutState := func() string {
		var st struct {
			State  string `json:"state"`
			Weight int    `json:"weight"`
		}
		reg.json(&st, "rollout", "status", live, "--json")
		return fmt.Sprintf("%s %d", st.State, st.Weight)
	}
	if got := rolloutState(); got != "running 25" {
		t.Fatalf("demo: %s rollout is %s, want running at 25%%", live, got)
	}
	s.keys("q")
	s.waitFor("verso › "+reg2, "1 Content")
	s.keys("q")
	s.waitFor("enter open", "esc clear filter")
	s.keys("Escape")
	s.waitFor(live, "to filter")
	s.keys("/")
	s.waitFor("/ ")
	s.text("sentiment")
	s.waitUntil(e2eTimeout, "the filter on "+live, func(p string) bool { return cursorLine(p, live) })
	s.keys("Enter")
	s.waitFor("verso › "+live, "1 Content")
	s.keys("3")
	s.waitFor("rollout 2 running to v4 (o)", "o rollout")
	s.keys("o")
	s.waitFor("verso › "+live+" › rollout production", "Rollout 2 of production: v3 → v4", "[25%]", "error_rate<=+1pp", "A/B since the rollout started", "p pause")
	s.keys("p")
	s.waitFor("Pause the rollout of "+live+" production at 25%", "the clock stops for this step", "Reason:")
	s.text("e2e: hold for the weekend")
	s.keys("Enter")
	s.waitFor(live+" production: rollout 2 paused at 25%", "r resume")
	if got := rolloutState(); got != "paused 25" {
		t.Fatalf("after p: the rollout is %s, want paused at 25%%", got)
	}
	s.keys("r")
	s.waitFor("Resume the rollout of "+live+" production at 25%", "do not count towards the next step")
	s.keys("Enter")
	s.waitFor(live+" production: rollout 2 resumed at 25%", "p pause")
	if got := rolloutState(); got != "running 25" {
		t.Fatalf("after r: the rollout is %s, want running at 25%%", got)
	}

	// 15. ctrl+c quits cleanly.
	s.keys("C-c")
	s.waitFor("[verso exited 0]")
}
