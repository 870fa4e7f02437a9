package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDemoBuildsAndRebuilds(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	r := mustOK(t, verso(t, db, "", "demo", "--no-tui"))
	if !strings.Contains(r.stdout, "rebuilt at "+db) || !strings.Contains(r.stdout, "9 prompts") {
		t.Errorf("stdout: %s", r.stdout)
	}
	list := func() []map[string]any {
		var ps []map[string]any
		out := mustOK(t, verso(t, db, "", "list", "--json")).stdout
		if err := json.Unmarshal([]byte(out), &ps); err != nil {
			t.Fatalf("list --json: %v\n%s", err, out)
		}
		return ps
	}
	first := list()
	if len(first) != 9 {
		t.Fatalf("%d prompts after demo", len(first))
	}
	// A second run starts from scratch: same prompts, same version numbers.
	mustOK(t, verso(t, db, "", "demo", "--no-tui"))
	second := list()
	if len(second) != len(first) {
		t.Fatalf("rebuild has %d prompts, first build %d", len(second), len(first))
	}
	for i := range first {
		if first[i]["name"] != second[i]["name"] || first[i]["latest"] != second[i]["latest"] {
			t.Errorf("rebuild differs: %v vs %v", first[i], second[i])
		}
	}
	// The rollback is in the label history.
	r = mustOK(t, verso(t, db, "", "labels", "sql/from-question"))
	if !strings.Contains(r.stdout, "v4 -> v3") {
		t.Errorf("no rollback in labels output:\n%s", r.stdout)
	}
}

func TestDemoDefaultPath(t *testing.T) {
	r := mustOK(t, verso(t, "", "", "demo", "--no-tui"))
	if !strings.Contains(r.stdout, filepath.Join("data", "verso", "demo.db")) {
		t.Errorf("demo did not use $XDG_DATA_HOME/verso/demo.db:\n%s", r.stdout)
	}
}

func TestDemoRefusesForeignFiles(t *testing.T) {
	dir := t.TempDir()
	// A registry with a prompt of the user's own.
	mine := filepath.Join(dir, "mine.db")
	mustOK(t, verso(t, mine, "Hello {{name}}", "commit", "greeting", "-m", "mine"))
	r := verso(t, mine, "", "demo", "--no-tui")
	if r.code != 2 || !strings.Contains(r.stderr, "not from the demo") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	mustOK(t, verso(t, mine, "", "show", "greeting"))

	// A prompt that merely shares a demo prompt's name is not the demo's.
	same := filepath.Join(dir, "same.db")
	mustOK(t, verso(t, same, "Reply to {{message}}", "commit", "support/reply", "-m", "ours"))
	if r := verso(t, same, "", "demo", "--no-tui"); r.code != 2 {
		t.Errorf("replaced a registry with our own support/reply: exit %d %s", r.code, r.stderr)
	}

	// A file that is not a Verso database at all stays byte for byte.
	other := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(other, []byte("shopping list\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = verso(t, other, "", "demo", "--no-tui")
	if r.code != 2 || !strings.HasPrefix(r.stderr, "verso: ") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(other); !bytes.Equal(b, []byte("shopping list\n")) {
		t.Errorf("file changed: %q", b)
	}
}

func TestDemoSynthetic(t *testing.T) {
	db := filepath.Join(t.TempDir(), "big.db")
	r := mustOK(t, verso(t, db, "", "demo", "--prompts", "120", "--versions", "3", "--no-tui"))
	if !strings.Contains(r.stdout, "120 prompts x 3 versions") {
		t.Errorf("stdout: %s", r.stdout)
	}
	var ps []map[string]any
	if err := json.Unmarshal([]byte(mustOK(t, verso(t, db, "", "list", "--json")).stdout), &ps); err != nil {
		t.Fatal(err)
	}
	if len(ps) != 120 {
		t.Errorf("%d prompts", len(ps))
	}
	// A synthetic registry counts as a demo file: it can be rebuilt.
	mustOK(t, verso(t, db, "", "demo", "--no-tui"))

	for _, bad := range [][]string{{"--prompts", "0", "--versions", "3"}, {"--prompts", "5"}, {"--latency", "-1s"}} {
		r := verso(t, db, "", append([]string{"demo", "--no-tui"}, bad...)...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "verso: ") {
			t.Errorf("demo %v: exit %d, stderr %q", bad, r.code, r.stderr)
		}
	}
}

func TestDemoServe(t *testing.T) {
	cmd := exec.Command(versoBin(), "demo", "--serve", "127.0.0.1:0", "--latency", "0")
	cmd.Env = testEnv(t)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "Demo model serving at http://127.0.0.1:") {
		t.Fatalf("first line %q, %v", line, err)
	}
	url := strings.Fields(strings.TrimPrefix(line, "Demo model serving at "))[0]
	resp, err := http.Get(url + "/models")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "demo-small") {
		t.Fatalf("models: %d %s", resp.StatusCode, body)
	}
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("Ctrl-C should stop it cleanly: %v", err)
	}
	if r := verso(t, "", "", "demo", "--serve", "127.0.0.1:0", "--no-tui"); r.code != 2 || !strings.Contains(r.stderr, "--serve only serves") {
		t.Fatalf("--serve with --no-tui: %+v", r)
	}
}

// `verso demo` seeds two weeks of production traffic: stats has figures
// for the versions the labels pointed at, with feedback scores.
func TestDemoSeedsProductionTraffic(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	mustOK(t, verso(t, db, "", "demo", "--no-tui"))
	var rep struct {
		Total  struct{ Requests, Scores int }
		Groups []struct {
			Version  int
			Requests int
		}
	}
	out := mustOK(t, verso(t, db, "", "stats", "support/reply", "--since", "14d", "--by", "version", "--json")).stdout
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Total.Requests < 1000 || rep.Total.Scores == 0 || len(rep.Groups) != 2 || rep.Groups[0].Version != 3 || rep.Groups[1].Version != 4 {
		t.Fatalf("support/reply over two weeks: %s", out)
	}
}

// `verso demo --traffic` keeps sending events through a verso serve it
// starts, until interrupted; what it acknowledged is in the file after.
func TestDemoTraffic(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	cmd := exec.Command(versoBin(), "--db", db, "demo", "--no-tui", "--traffic", "--rate", "300")
	cmd.Env = testEnv(t)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	rd := bufio.NewReader(stdout)
	var url string
	for url == "" {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("no traffic line: %v", err)
		}
		if _, rest, ok := strings.Cut(line, "through verso serve at "); ok {
			url = strings.TrimSpace(rest)
		}
	}
	go io.Copy(io.Discard, rd)
	count := func() int {
		var rep struct{ Total struct{ Requests int } }
		out := mustOK(t, verso(t, db, "", "stats", "support/reply", "--since", "5m", "--json")).stdout
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		return rep.Total.Requests
	}
	first := count()
	// The serve it started answers like any other.
	resp, err := http.Get(url + "/v1/prompts/support/reply")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET the prompt from the demo's serve: %v %v", err, resp)
	}
	resp.Body.Close()
	deadline := time.Now().Add(20 * time.Second)
	for count() <= first {
		if time.Now().After(deadline) {
			t.Fatalf("no new events in 20s (still %d)", first)
		}
		time.Sleep(200 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("Ctrl-C should stop it cleanly: %v", err)
	}
	if r := verso(t, db, "", "demo", "--traffic", "--prompts", "3", "--versions", "2", "--no-tui"); r.code != 2 || !strings.Contains(r.stderr, "--traffic") {
		t.Fatalf("--traffic with a synthetic registry: %+v", r)
	}
}
