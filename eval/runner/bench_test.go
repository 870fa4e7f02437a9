package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/eval/config"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/eval/runner"
	"github.com/seed94f0f622/verso/store"
)

// The performance targets, against the demo model server on
// loopback with results persisted to SQLite (WAL):
//
//	go test ./eval/runner -run '^$' -bench . -benchtime 1x
//
// BenchmarkLatency50ms: 1,000 cases x 2 versions at concurrency 32 with
// 50 ms latency; the lower bound is 2,000 x 50 ms / 32 = 3.125 s. Beside
// it, the floors: BenchmarkRawHTTP50ms (the same calls through the provider
// only) and BenchmarkBareHTTP50ms (a bare net/http client, no Verso code):
//
//	go test ./eval/runner -run '^$' -bench '50ms' -benchtime 3x
// BenchmarkZeroLatency: results/s end to end (target >= 2,000).
// BenchmarkCached: a fully cached re-run of the same 2,000 results (< 0.5 s).
// peak-MB is the process's peak RSS (server, engine and SQLite together).

func benchRun(b *testing.B, o modelserver.Options, cached bool) {
	e := setup(b, o, 1000)
	ctx := context.Background()
	opts := runner.Options{Concurrency: 32, NoCache: !cached}
	if cached {
		if _, err := e.eng.Run(ctx, e.plan(), opts); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	var n int
	start := time.Now()
	for range b.N {
		out, err := e.eng.Run(ctx, e.plan(), opts)
		if err != nil {
			b.Fatal(err)
		}
		if out.Summary.Total != 2000 || out.Summary.Errors != 0 || (cached && out.Summary.Cached != 2000) {
			b.Fatalf("summary %+v", out.Summary)
		}
		n += out.Summary.Total
	}
	el := time.Since(start)
	b.ReportMetric(el.Seconds()/float64(b.N), "s/run")
	b.ReportMetric(float64(n)/el.Seconds(), "results/s")
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-MB")
	}
}

func BenchmarkLatency50ms(b *testing.B) {
	benchRun(b, modelserver.Options{Latency: 50 * time.Millisecond}, false)
}
func BenchmarkZeroLatency(b *testing.B) { benchRun(b, modelserver.Options{}, false) }
func BenchmarkCached(b *testing.B)      { benchRun(b, modelserver.Options{}, true) }

// BenchmarkRawHTTP50ms is the floor under BenchmarkLatency50ms: the same
// 2,000 calls at concurrency 32 straight through the provider, with no
// engine, no assertions and no database.
func BenchmarkRawHTTP50ms(b *testing.B) {
	srv, err := modelserver.Start("127.0.0.1:0", modelserver.Options{Latency: 50 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	reg := provider.NewRegistry(config.Config{})
	reg.SetBaseURL("demo", srv.URL())
	p, _ := reg.Provider("demo")
	start := time.Now()
	for range b.N {
		ch := make(chan int)
		go func() {
			for i := range 2000 {
				ch <- i
			}
			close(ch)
		}()
		var wg sync.WaitGroup
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range ch {
					req := provider.Request("demo-small", []store.Message{{Role: "user", Content: fmt.Sprint("hello ", i)}}, store.Config{})
					if _, err := p.Chat(context.Background(), req, nil); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		wg.Wait()
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/run")
}

// BenchmarkBareHTTP50ms is the baseline with no Verso code at all on the
// client side: a bare net/http client posting the same 2,000 chat requests
// at concurrency 32 to the same demo model server, decoding each answer.
// BenchmarkLatency50ms / BenchmarkBareHTTP50ms is Verso's overhead.
func BenchmarkBareHTTP50ms(b *testing.B) {
	srv, err := modelserver.Start("127.0.0.1:0", modelserver.Options{Latency: 50 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	url := srv.URL() + "/chat/completions"
	call := func(i int) error {
		body, _ := json.Marshal(map[string]any{"model": "demo-small",
			"messages": []map[string]string{{"role": "user", "content": fmt.Sprint("hello ", i)}}})
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var out struct {
			Choices []struct {
				Message struct{ Content string } `json:"message"`
			} `json:"choices"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Choices) == 0 {
			return fmt.Errorf("status %d: %v", resp.StatusCode, err)
		}
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	start := time.Now()
	for range b.N {
		ch := make(chan int)
		go func() {
			for i := range 2000 {
				ch <- i
			}
			close(ch)
		}()
		var wg sync.WaitGroup
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range ch {
					if err := call(i); err != nil {
						b.Error(err)
					}
				}
			}()
		}
		wg.Wait()
	}
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/run")
}
