package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadmeRolloutWalkthrough runs the README's rollout walkthrough as
// written: its lines are typed one by one into one shell (so `export` and
// `&` work as they do for a reader), in an empty folder with a private home
// and `verso` in $PATH. Only the port differs: 7070 may be taken on a
// shared machine, so the test's server listens on a free one. Where the
// README has the application record its calls (the comment line), the test
// plays the application: units ask serve for the prompt and report an event
// with the version and arm they got. Each command's output must say what
// the README says it does.
func TestReadmeRolloutWalkthrough(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(b), "<!-- rollout-walkthrough:start -->\n```sh\n")
	block, _, ok2 := strings.Cut(block, "```\n<!-- rollout-walkthrough:end -->")
	if !ok || !ok2 {
		t.Fatal("README has no rollout-walkthrough block")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	base := "http://127.0.0.1:" + port

	sh := newShell(t)
	// What each line must print (a pattern per line, in order; the
	// comment line is where the application runs).
	checks := []struct {
		prefix string
		want   []string
	}{
		{"verso demo", []string{`Demo registry rebuilt at .*demo\.db`}},
		{"verso eval", []string{`@5 +demo/demo-large +100\.0%`}},
		{"verso rollout start", []string{`rollout \d+ of production to v5 started: 5% now, then 25%, 50%, 100%, one step every 30m0s`,
			`guards: error_rate<=\+1pp, p95_latency<=\+20%`}},
		{"verso serve &", nil},
		{"curl", []string{`"name":"support/reply","version":([35]),"label":"production","arm":"v([35])"`}},
		{"#", nil},
		{"verso rollout status", []string{`plan: +\[5%\]-\(25%\)-\(50%\)-\(100%\) +every 30m0s`, `weight: +5% of units on v5, 95% on v3`,
			`next: +in \d+m`, `error_rate<=\+1pp +waiting \(100 each\) .* [1-9]\d*/[1-9]\d*`}},
		{"verso ab", []string{`v3 \(control\) +\d+`, `v5 +\d+`, `sample ratio: observed \d+/\d+, expected`}},
		{"verso rollout check", []string{`rollout \d+ waiting at 5%`}},
		{"verso labels", []string{`production +v3 -> split 3=95,5=5 .*rollout \d+ started: step 1/4, 5% to v5 \(run 1\)`}},
	}
	var lines []string
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		lines = append(lines, line)
	}
	if len(lines) != len(checks) {
		t.Fatalf("the walkthrough has %d lines, the test knows %d: update the test with the README", len(lines), len(checks))
	}
	for i, line := range lines {
		c := checks[i]
		if !strings.HasPrefix(line, c.prefix) {
			t.Fatalf("walkthrough line %d is %q, the test expects %q: update the test with the README", i+1, line, c.prefix)
		}
		if strings.HasPrefix(line, "#") {
			application(t, base, 600)
			continue
		}
		typed := strings.ReplaceAll(line, "127.0.0.1:7070", "127.0.0.1:"+port)
		typed = strings.Replace(typed, "verso serve &", "verso serve --addr 127.0.0.1:"+port+" &", 1)
		out, code := sh.run(typed)
		if code != 0 {
			t.Fatalf("%s\nexit %d:\n%s", line, code, out)
		}
		for _, w := range c.want {
			if !regexp.MustCompile(w).MatchString(out) {
				t.Fatalf("%s\nprinted:\n%s\nwhich does not match %s", line, out, w)
			}
		}
		if strings.HasSuffix(strings.TrimSpace(strings.Split(typed, "#")[0]), "&") {
			waitHealthy(t, base)
		}
		if c.prefix == "curl" {
			m := regexp.MustCompile(c.want[0]).FindStringSubmatch(out)
			if m[1] != m[2] {
				t.Fatalf("version %s served as arm v%s", m[1], m[2])
			}
		}
	}
}

// application plays the README's application: n units each get the prompt
// from serve and report one call with the version and arm they were given.
func application(t *testing.T, base string, n int) {
	t.Helper()
	var batch strings.Builder
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for i := range n {
		unit := fmt.Sprintf("user-%d", i)
		resp, err := http.Get(base + "/v1/prompts/support/reply?unit=" + unit)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Version int    `json:"version"`
			Arm     string `json:"arm"`
		}
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if err != nil || p.Arm == "" {
			t.Fatalf("GET for %s: %+v %v", unit, p, err)
		}
		fmt.Fprintf(&batch, `{"id":"walk-%d","prompt":"support/reply","version":%d,"label":"production","arm":%q,"unit":%q,"time":%q,"latency_ms":%d,"status":"ok"}`+"\n",
			i, p.Version, p.Arm, unit, now, 300+i%200)
	}
	resp, err := http.Post(base+"/v1/events", "application/x-ndjson", strings.NewReader(batch.String()))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), fmt.Sprintf(`"accepted":%d`, n)) {
		t.Fatalf("POST /v1/events: %d %s", resp.StatusCode, body)
	}
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("verso serve did not answer at %s", base)
}

// shell is one sh process that lines are typed into; its process group
// (and whatever it started in the background) is killed when the test ends.
type shell struct {
	t     *testing.T
	in    io.WriteCloser
	lines chan string // what it prints, read all the time so that no writer blocks
	n     int
}

func newShell(t *testing.T) *shell {
	t.Helper()
	cmd := exec.Command("sh")
	cmd.Dir = t.TempDir()
	cmd.Env = testEnv(t)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		pw.Close()
	})
	lines := make(chan string, 1<<16)
	go func() {
		defer close(lines)
		br := bufio.NewReader(pr)
		for {
			l, err := br.ReadString('\n')
			if l != "" {
				lines <- l
			}
			if err != nil {
				return
			}
		}
	}()
	return &shell{t: t, in: in, lines: lines}
}

// run types line and returns what it printed (stdout and stderr) and its
// exit status.
func (s *shell) run(line string) (string, int) {
	s.t.Helper()
	s.n++
	mark := fmt.Sprintf("@@walkthrough-%d@@", s.n)
	if _, err := fmt.Fprintf(s.in, "%s\necho \"%s $?\"\n", line, mark); err != nil {
		s.t.Fatal(err)
	}
	var out strings.Builder
	timeout := time.After(5 * time.Minute)
	for {
		select {
		case l, ok := <-s.lines:
			if !ok {
				s.t.Fatalf("%s: the shell ended:\n%s", line, out.String())
			}
			if rest, ok := strings.CutPrefix(l, mark+" "); ok {
				code, _ := strconv.Atoi(strings.TrimSpace(rest))
				return out.String(), code
			}
			out.WriteString(l)
		case <-timeout:
			s.t.Fatalf("%s: no end after 5 minutes:\n%s", line, out.String())
		}
	}
}
