package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/eval/config"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/eval/report"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/internal/pgtest"
	"github.com/seed94f0f622/verso/store"
)

// serverEnv is a store with one prompt and n cases, and an engine whose
// provider "x" is the handler h on loopback.
func serverEnv(t *testing.T, n int, h http.HandlerFunc) (*store.Store, *runner.Engine, runner.Plan) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(pgtest.Location(t, "verso.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	reg := provider.NewRegistry(config.Config{Providers: map[string]config.ProviderConfig{
		"x": {BaseURL: srv.URL + "/v1", Price: config.Price{Input: 1, Output: 1}}}})
	v, err := st.Commit(ctx, store.CommitInput{Name: "p", Kind: store.KindText, Template: "say {{w}}", Message: "m", Author: "t"})
	if err != nil {
		t.Fatal(err)
	}
	su := store.Suite{Name: "default"}
	for i := range n {
		su.Cases = append(su.Cases, store.Case{Name: fmt.Sprintf("c%d", i), Vars: map[string]any{"w": fmt.Sprintf("w%d", i)}})
	}
	if su, err = st.SaveSuite(ctx, "p", su); err != nil {
		t.Fatal(err)
	}
	return st, runner.New(st, reg), runner.Plan{Suite: su, Versions: []store.Version{v}, Models: []string{"x/m"}}
}

func prompt(r *http.Request) string {
	var req struct {
		Messages []struct{ Content string }
	}
	json.NewDecoder(r.Body).Decode(&req)
	if len(req.Messages) == 0 {
		return ""
	}
	return req.Messages[0].Content
}

// TestCircuitBreakerStopsTheRun: a server that refuses every call (a spent
// quota asking to come back in an hour) stops the run after a few calls
// with a message and the resume hint, keeps what finished, and the resume
// runs the rest once the server is back.
func TestCircuitBreakerStopsTheRun(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	var calls atomic.Int32
	st, eng, plan := serverEnv(t, 40, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if down.Load() {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(429)
			fmt.Fprint(w, `{"error":{"message":"quota exhausted","type":"rate_limit_error"}}`)
			return
		}
		fmt.Fprintf(w, `{"choices":[{"index":0,"message":{"role":"assistant","content":"ok %s"},"finish_reason":"stop"}],"usage":{"prompt_tokens":2,"completion_tokens":2,"total_tokens":4}}`, prompt(r))
	})
	var last runner.Progress
	start := time.Now()
	out, err := eng.Run(context.Background(), plan, runner.Options{Concurrency: 2, Policy: fast, OnEvent: func(ev runner.Event) {
		if ev.Kind == runner.Done {
			last = ev.Progress
		}
	}})
	var se *runner.StoppedError
	if !errors.As(err, &se) || time.Since(start) > 10*time.Second {
		t.Fatalf("after %v: %v, want the run stopped", time.Since(start), err)
	}
	msg := err.Error()
	for _, want := range []string{fmt.Sprintf("run %d stopped", out.Run.ID), "the last 8 calls failed with HTTP 429 Too Many Requests", "quota exhausted",
		"finished results are kept"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	// How to resume is each surface's advice (a command, a key), not the runner's.
	if strings.Contains(msg, "verso eval") || strings.Contains(msg, "--") {
		t.Errorf("message %q names a command", msg)
	}
	if out.Run.Status != store.RunCancelled || last.Stopped != msg || calls.Load() > 12 {
		t.Errorf("status %s, progress %q, %d calls", out.Run.Status, last.Stopped, calls.Load())
	}
	down.Store(false)
	h, err := eng.Resume(context.Background(), out.Run.ID, runner.Options{Policy: fast})
	if err != nil {
		t.Fatal(err)
	}
	res, err := h.Wait()
	if err != nil || res.Run.Status != store.RunDone || res.Summary.Passed != 40 {
		t.Fatalf("resume: %v %s %+v", err, res.Run.Status, res.Summary)
	}
	// A failure now and then does not trip it: successes in between reset it.
	var n atomic.Int32
	_, eng2, plan2 := serverEnv(t, 30, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%3 == 0 {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"error":"nope"}`)
			return
		}
		fmt.Fprint(w, `{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":2,"completion_tokens":2,"total_tokens":4}}`)
	})
	out2, err := eng2.Run(context.Background(), plan2, runner.Options{Concurrency: 1, Policy: fast})
	if err != nil || out2.Run.Status != store.RunDone || out2.Summary.Total != 30 {
		t.Fatalf("intermittent failures: %v %s %+v", err, out2.Run.Status, out2.Summary)
	}
	_ = st
}

// TestAnswerDetailsAreKept: tool calls are the output (and assertable),
// an answer without usage has an unknown cost (in the store, the cache and
// the reports, never $0), and a truncated answer is marked with its
// finish_reason.
func TestAnswerDetailsAreKept(t *testing.T) {
	st, eng, plan := serverEnv(t, 3, func(w http.ResponseWriter, r *http.Request) {
		switch p := prompt(r); p {
		case "say w0": // tool call, with usage
			fmt.Fprint(w, `{"choices":[{"index":0,"message":{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}`)
		case "say w1": // no usage
			fmt.Fprint(w, `{"choices":[{"index":0,"message":{"role":"assistant","content":"w1"},"finish_reason":"stop"}]}`)
		default: // cut at max_tokens
			fmt.Fprint(w, `{"choices":[{"index":0,"message":{"role":"assistant","content":"w2 and then"},"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}`)
		}
	})
	plan.Suite.Cases[0].Assertions = []store.Assertion{{Type: "contains", Value: `"name":"get_weather"`}, {Type: "is-json"}}
	ctx := context.Background()
	for run := range 2 { // the second run answers from the cache
		out, err := eng.Run(ctx, plan, runner.Options{Policy: fast})
		if err != nil {
			t.Fatal(err)
		}
		rs, _ := st.Results(ctx, out.Run.ID)
		if len(rs) != 3 {
			t.Fatalf("%d results", len(rs))
		}
		if !rs[0].Pass || rs[0].FinishReason != "tool_calls" || !strings.Contains(rs[0].Output, `"arguments":"{\"city\":\"Paris\"}"`) || rs[0].UsageUnknown {
			t.Errorf("run %d tool call: %+v", run, rs[0])
		}
		if !rs[1].UsageUnknown || rs[1].Cost != 0 || rs[2].UsageUnknown || rs[2].FinishReason != "length" {
			t.Errorf("run %d: %+v / %+v", run, rs[1], rs[2])
		}
		if run == 1 && !rs[1].Cached {
			t.Errorf("second run not cached")
		}
		var tbl, js bytes.Buffer
		report.Table(&tbl, out.Run, rs, out.Summary, report.TableOptions{Width: 100})
		report.JSON(&js, out.Run, rs, out.Summary)
		for _, want := range []string{"$0.0000+?", "1 answers came without token usage: their cost is unknown",
			"1 answers were cut short", "cut short: finish_reason length (the answer reached max_tokens)"} {
			if !strings.Contains(tbl.String(), want) {
				t.Errorf("run %d: table lacks %q:\n%s", run, want, tbl.String())
			}
		}
		var doc struct {
			Summary struct {
				UsageUnknown int `json:"usage_unknown"`
				Truncated    int `json:"truncated"`
			}
			Results []map[string]any
		}
		if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Summary.UsageUnknown != 1 || doc.Summary.Truncated != 1 || doc.Results[1]["cost"] != nil || doc.Results[1]["usage_unknown"] != true ||
			doc.Results[2]["finish_reason"] != "length" || doc.Results[0]["cost"] == nil {
			t.Errorf("run %d JSON: %+v", run, doc)
		}
	}
}

// TestHugeAnswerIsAnError: an endless answer is cut at the cap and the case
// is an error that says so; nothing big reaches the file.
func TestHugeAnswerIsAnError(t *testing.T) {
	st, eng, plan := serverEnv(t, 1, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"choices":[{"index":0,"message":{"role":"assistant","content":"`)
		chunk := strings.Repeat("a", 64<<10)
		for r.Context().Err() == nil {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	})
	out, err := eng.Run(context.Background(), plan, runner.Options{Policy: fast})
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := st.Results(context.Background(), out.Run.ID)
	if len(rs) != 1 || !strings.Contains(rs[0].Error, "passed 4 MiB (4x the 1 MiB answer cap): Verso stopped reading it") || len(rs[0].Output) > 0 {
		t.Fatalf("%+v", rs)
	}
}

// TestHugeRunIsRefusedBeforeItStarts: a plan past MaxCalls is an error
// before any run row or task exists.
func TestHugeRunIsRefusedBeforeItStarts(t *testing.T) {
	st, eng, plan := serverEnv(t, 2, func(w http.ResponseWriter, r *http.Request) {})
	plan.Repeat = 400_000_000
	start := time.Now()
	_, err := eng.Start(context.Background(), plan, runner.Options{})
	if err == nil || !strings.Contains(err.Error(), "more than 1000000 calls: split it") || time.Since(start) > time.Second {
		t.Fatalf("%v after %v", err, time.Since(start))
	}
	if runs, _ := st.Runs(context.Background(), "p"); len(runs) != 0 {
		t.Errorf("%d runs created", len(runs))
	}
}
