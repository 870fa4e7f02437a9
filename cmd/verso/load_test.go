package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wrkResult is what one wrk run reports.
type wrkResult struct {
	requests   int
	perSec     float64
	p99        string
	non2xx     int
	sockErrors int
	out        string
}

var (
	wrkRequests = regexp.MustCompile(`(\d+) requests in`)
	wrkRate     = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkP99      = regexp.MustCompile(`\s99%\s+(\S+)`)
	wrkNon2xx   = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkSocket   = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// runWrk runs wrk against url and parses its summary.
func runWrk(t *testing.T, url string, conns int, d time.Duration, script string) wrkResult {
	t.Helper()
	args := []string{"-t2", "-c" + strconv.Itoa(conns), "-d" + d.String(), "--latency", "--timeout", "10s"}
	if script != "" {
		args = append(args, "-s", script)
	}
	out, err := exec.Command("wrk", append(args, url)...).CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	r := wrkResult{out: string(out)}
	if m := wrkRequests.FindStringSubmatch(r.out); m != nil {
		r.requests, _ = strconv.Atoi(m[1])
	}
	if m := wrkRate.FindStringSubmatch(r.out); m != nil {
		r.perSec, _ = strconv.ParseFloat(m[1], 64)
	}
	if m := wrkP99.FindStringSubmatch(r.out); m != nil {
		r.p99 = m[1]
	}
	if m := wrkNon2xx.FindStringSubmatch(r.out); m != nil {
		r.non2xx, _ = strconv.Atoi(m[1])
	}
	if m := wrkSocket.FindStringSubmatch(r.out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.sockErrors += n
		}
	}
	if r.requests == 0 {
		t.Fatalf("wrk made no requests:\n%s", r.out)
	}
	return r
}

// peakRSS is a process's peak resident memory in MB (Linux).
func peakRSS(pid int) (float64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(b)
	if m == nil {
		return 0, false
	}
	kb, _ := strconv.Atoi(string(m[1]))
	return float64(kb) / 1024, true
}

// TestLoadWithWrk puts a real `verso serve` under wrk on loopback: GET
// /v1/prompts from 8 connections, then NDJSON batches of 1,000 events from
// 4. Every answer must be a 2xx, every acknowledged event stored, and the
// server's peak memory under 150 MB (not measured under -race, which
// multiplies memory). The throughput and latency figures are logged for the
// README (go test ./cmd/verso -run LoadWithWrk -v), never asserted: speed
// targets live in benchmarks. CI installs wrk (.ci/run sets
// VERSO_REQUIRE_WRK=1); elsewhere the test skips without it.
func TestLoadWithWrk(t *testing.T) {
	if _, err := exec.LookPath("wrk"); err != nil {
		if os.Getenv("VERSO_REQUIRE_WRK") == "1" {
			t.Fatal("wrk is not installed and VERSO_REQUIRE_WRK=1: install it (apt-get install wrk)")
		}
		t.Skip("wrk is not installed (apt-get install wrk)")
	}
	if testing.Short() {
		t.Skip("load test in -short mode")
	}
	d := 4 * time.Second
	if s := os.Getenv("VERSO_LOAD_DURATION"); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			t.Fatal(err)
		}
	}
	db := prodDB(t)
	base, cmd := startServe(t, db)

	get := runWrk(t, base+"/v1/prompts/greet", 8, d, "")
	t.Logf("GET /v1/prompts/greet: %.0f requests/s, p99 %s (%d requests, 8 connections, %s)", get.perSec, get.p99, get.requests, d)
	if get.non2xx != 0 || get.sockErrors != 0 {
		t.Fatalf("GET under load: %d non-2xx, %d socket errors\n%s", get.non2xx, get.sockErrors, get.out)
	}

	// One body of 1,000 events without ids: each is stored anew.
	dir := t.TempDir()
	var body strings.Builder
	at := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	for i := range 1000 {
		fmt.Fprintf(&body, `{"prompt":"greet","version":%d,"label":"production","model":"gpt-4o-mini","time":%q,"latency_ms":%d,"tokens_in":300,"tokens_out":90,"cost":0.0002}`+"\n",
			1+i%2, at, 100+i%700)
	}
	bodyFile := filepath.Join(dir, "events.ndjson")
	if err := os.WriteFile(bodyFile, []byte(body.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "post.lua")
	lua := fmt.Sprintf("wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/x-ndjson\"\nlocal f = io.open(%q, \"rb\")\nwrk.body = f:read(\"*a\")\nf:close()\n", bodyFile)
	if err := os.WriteFile(script, []byte(lua), 0o600); err != nil {
		t.Fatal(err)
	}
	post := runWrk(t, base+"/v1/events", 4, d, script)
	t.Logf("POST /v1/events (NDJSON, 1,000 events a request): %.0f events/s, p99 %s a batch (%d batches, 4 connections)", post.perSec*1000, post.p99, post.requests)
	if post.non2xx != 0 || post.sockErrors != 0 {
		t.Fatalf("POST under load: %d non-2xx, %d socket errors\n%s", post.non2xx, post.sockErrors, post.out)
	}
	if mb, ok := peakRSS(cmd.Process.Pid); ok {
		t.Logf("serve's peak memory: %.0f MB", mb)
		if !raceEnabled && mb >= 150 {
			t.Errorf("serve's peak memory %.0f MB is over the 150 MB budget", mb)
		}
	}
	var rep struct{ Total struct{ Requests int } }
	out := mustOK(t, verso(t, db, "", "stats", "greet", "--since", "1h", "--json")).stdout
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Total.Requests < post.requests*1000 {
		t.Fatalf("%d events stored, %d acknowledged", rep.Total.Requests, post.requests*1000)
	}
}
