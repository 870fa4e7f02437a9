package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/store"
)

// prodDB is a registry with greet v1 (production) and v2.
func prodDB(t *testing.T) string {
	db := newDB(t)
	mustOK(t, verso(t, db, "Hello {{name}}", "commit", "greet", "-m", "first"))
	mustOK(t, verso(t, db, "Hi {{name}}", "commit", "greet", "-m", "second"))
	mustOK(t, verso(t, db, "", "label", "greet", "1", "production", "--force", "--reason", "test"))
	return db
}

func eventLine(id string, version int, extra string) string {
	return fmt.Sprintf(`{"id":%q,"prompt":"greet","version":%d,"time":%q,"latency_ms":100,"tokens_in":10,"tokens_out":4,"cost":0.001%s}`,
		id, version, time.Now().Add(-time.Minute).UTC().Format(time.RFC3339), extra)
}

func TestIngestStatsAndPrune(t *testing.T) {
	db := prodDB(t)
	old := fmt.Sprintf(`{"id":"old","prompt":"greet","version":1,"time":%q}`, time.Now().Add(-100*24*time.Hour).UTC().Format(time.RFC3339))
	in := strings.Join([]string{
		eventLine("a", 1, `,"label":"production","score":1`),
		eventLine("b", 2, `,"status":"error","error_kind":"timeout","score":0`),
		`{"id":"c","prompt":"greet","version":"2"}`,
		eventLine("d", 9, ""),
		old,
	}, "\n")
	r := verso(t, db, in, "ingest", "-")
	if r.code != 2 || !strings.HasPrefix(r.stdout, "accepted 3, duplicate 0, rejected 2\n") ||
		!strings.Contains(r.stdout, "line 3: field version: expected int") || !strings.Contains(r.stdout, `line 4: prompt "greet" has no version 9`) {
		t.Fatalf("%+v", r)
	}
	// A file, replayed: all duplicates, exit 0.
	file := filepath.Join(t.TempDir(), "events.ndjson")
	os.WriteFile(file, []byte(eventLine("a", 1, "")+"\n"+eventLine("b", 2, "")+"\n"), 0o644)
	if r := mustOK(t, verso(t, db, "", "ingest", file)); r.stdout != "accepted 0, duplicate 2, rejected 0\n" {
		t.Fatalf("%q", r.stdout)
	}
	if r := verso(t, db, "", "ingest", filepath.Join(t.TempDir(), "missing.ndjson")); r.code != 2 || !strings.Contains(r.stderr, "cannot read") {
		t.Fatalf("%+v", r)
	}

	r = mustOK(t, verso(t, db, "", "stats", "greet", "--by", "version", "--json"))
	var rep struct {
		Total  map[string]any   `json:"total"`
		Groups []map[string]any `json:"groups"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"requests", "errors", "error_rate", "latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "tokens_in", "tokens_out", "cost", "score_mean", "score_ci95"} {
		if _, ok := rep.Total[k]; !ok {
			t.Errorf("stats --json lacks %s: %s", k, r.stdout)
		}
	}
	if rep.Total["requests"] != 2.0 || len(rep.Groups) != 2 || rep.Groups[0]["version"] != 1.0 || rep.Groups[1]["errors"] != 1.0 {
		t.Fatalf("%s", r.stdout)
	}
	r = mustOK(t, verso(t, db, "", "stats", "greet", "--since", "7d"))
	if !strings.Contains(r.stdout, "REQUESTS") || !strings.Contains(r.stdout, "all") {
		t.Fatalf("%s", r.stdout)
	}
	// The 100-day-old event is in the 200-day window until it is pruned
	// from the raw rows; its rollup stays.
	mustOK(t, verso(t, db, "", "stats", "greet", "--since", "200d"))
	r = mustOK(t, verso(t, db, "", "events", "prune", "--older-than", "90d"))
	if r.stdout != "pruned 1 events older than 90d (rollups kept)\n" {
		t.Fatalf("%q", r.stdout)
	}
	for _, bad := range [][]string{{"stats", "greet", "--since", "soon"}, {"stats", "greet", "--by", "colour"}, {"stats", "ghost"},
		{"events", "prune"}, {"events", "prune", "--older-than", "-3d"}} {
		if r := verso(t, db, "", bad...); r.code != 2 || !strings.HasPrefix(r.stderr, "verso: ") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: %+v", bad, r)
		}
	}
}

// TestEscapeSequencesNeverReachTheTerminal: hostile labels, models and
// error messages are stored as sent and printed clean.
func TestEscapeSequencesNeverReachTheTerminal(t *testing.T) {
	db := prodDB(t)
	hostile := `\u001b]0;pwned\u0007\u001b[2J`
	in := eventLine("x1", 1, `,"label":"`+hostile+`prod","model":"`+hostile+`m"`) + "\n" +
		`{"id":"x2","prompt":"greet","version":1,"time":"` + hostile + `"}` + "\n"
	r := verso(t, db, in, "ingest", "-")
	r2 := mustOK(t, verso(t, db, "", "stats", "greet", "--by", "label"))
	r3 := mustOK(t, verso(t, db, "", "stats", "greet", "--by", "model"))
	for _, out := range []string{r.stdout, r.stderr, r2.stdout, r3.stdout} {
		if strings.ContainsAny(out, "\x1b\x07") {
			t.Fatalf("escape sequence printed: %q", out)
		}
	}
	if !strings.Contains(r2.stdout, "prod") || !strings.Contains(r3.stdout, "m ") {
		t.Fatalf("%s\n%s", r2.stdout, r3.stdout)
	}
}

// startServe runs `verso serve` on a free loopback port and returns its
// base URL and process.
func startServe(t *testing.T, db string, env ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(versoBin(), "--db", db, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = append(testEnv(t), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	sc := bufio.NewScanner(out)
	if !sc.Scan() {
		t.Fatal("serve printed nothing")
	}
	line := sc.Text()
	_, url, ok := strings.Cut(line, "listening on ")
	if !ok {
		t.Fatalf("serve: %q", line)
	}
	url, _, _ = strings.Cut(url, " ")
	go func() {
		for sc.Scan() {
		}
	}()
	return url, cmd
}

// postUntilStopped posts batches of events from 4 clients until the server
// goes away, and returns the ids of every event whose request got a 2xx.
func postUntilStopped(t *testing.T, base string, stop func()) []string {
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 10 * time.Second}
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				var b strings.Builder
				var ids []string
				for j := range 200 {
					id := fmt.Sprintf("w%d-%d-%d", w, i, j)
					ids = append(ids, id)
					b.WriteString(eventLine(id, 1+j%2, "") + "\n")
				}
				resp, err := client.Post(base+"/v1/events", "application/x-ndjson", strings.NewReader(b.String()))
				if err != nil {
					return
				}
				resp.Body.Close()
				if resp.StatusCode/100 == 2 {
					mu.Lock()
					acked = append(acked, ids...)
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	stop()
	wg.Wait()
	return acked
}

func checkAcked(t *testing.T, db string, acked []string) {
	t.Helper()
	if len(acked) == 0 {
		t.Fatal("nothing was acknowledged before the stop")
	}
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, id := range acked {
		if ok, err := st.HasEvent(context.Background(), id); !ok {
			t.Fatalf("event %s got a 2xx but is missing after the stop (%v)", id, err)
		}
	}
	t.Logf("%d acknowledged events all present", len(acked))
}

// TestServeKill9KeepsAcknowledgedEvents kills serve with SIGKILL while four
// clients post: every event whose request got a 2xx is in the file.
func TestServeKill9KeepsAcknowledgedEvents(t *testing.T) {
	db := prodDB(t)
	base, cmd := startServe(t, db)
	acked := postUntilStopped(t, base, func() { cmd.Process.Signal(syscall.SIGKILL) })
	cmd.Wait()
	checkAcked(t, db, acked)
}

// TestServeSIGTERMIsGraceful: SIGTERM answers the requests in flight,
// commits them, and exits 0.
func TestServeSIGTERMIsGraceful(t *testing.T) {
	db := prodDB(t)
	base, cmd := startServe(t, db)
	acked := postUntilStopped(t, base, func() { cmd.Process.Signal(syscall.SIGTERM) })
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}
	checkAcked(t, db, acked)
}

func TestServeRefusesNonLoopbackWithoutToken(t *testing.T) {
	db := prodDB(t)
	r := verso(t, db, "", "serve", "--addr", "0.0.0.0:0")
	if r.code != 2 || !strings.Contains(r.stderr, "VERSO_SERVE_TOKEN") || strings.Count(r.stderr, "\n") != 1 {
		t.Fatalf("%+v", r)
	}
}

// TestREADMECurlExamples runs the README's curl block, as written, against a
// real `verso serve`: every request succeeds (curl -f) and says what the
// README says.
func TestREADMECurlExamples(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(b), "<!-- serve-curl:start -->\n```sh\n")
	block, _, ok2 := strings.Cut(block, "```\n<!-- serve-curl:end -->")
	if !ok || !ok2 {
		t.Fatal("README has no serve-curl block")
	}
	db := newDB(t)
	mustOK(t, verso(t, db, "Hello {{name}}, about {{issue}}", "commit", "support/reply", "-m", "first"))
	mustOK(t, verso(t, db, "", "label", "support/reply", "1", "production", "--force", "--reason", "test"))
	base, _ := startServe(t, db)
	var script []string
	for _, line := range strings.Split(block, "\n") {
		if strings.HasPrefix(line, "export VERSO=") {
			continue // the test's server, not 7070
		}
		script = append(script, line)
	}
	cmd := exec.Command("sh", "-ec", strings.Join(script, "\n"))
	cmd.Env = append(os.Environ(), "VERSO="+base)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README curl block: %v\n%s", err, out)
	}
	for _, want := range []string{`"name":"support/reply","version":1,"label":"production","arm":""`, `"text":"Hello Ada, about a late parcel"`,
		`"accepted":1`, `"groups":[{"version":1,"requests":2`, `"scores":1`, `{"status":"ok"}`, `verso_ingest_events_total{result="accepted"} 2`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("README curl output lacks %s:\n%s", want, out)
		}
	}
}
