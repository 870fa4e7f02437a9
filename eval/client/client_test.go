package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/eval/serve"
	"github.com/seed94f0f622/verso/store"
)

func registry(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "verso.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	for _, tpl := range []string{"one {{x}}", "two {{x}}"} {
		if _, err := st.Commit(ctx, store.CommitInput{Name: "greet", Template: tpl, Author: "ann"}); err != nil {
			t.Fatal(err)
		}
	}
	label(t, st, 1)
	return st
}

func label(t *testing.T, st *store.Store, v int) {
	t.Helper()
	if _, err := st.SetLabel(context.Background(), store.LabelInput{Prompt: "greet", Label: "production", Version: v, Actor: "ann", Force: true, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
}

// flaky serves st through `verso serve`'s handler, answering 503 while down.
func flaky(t *testing.T, st *store.Store) (*httptest.Server, *atomic.Bool) {
	srv, err := serve.New(st, serve.Options{CacheRefresh: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	h := srv.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, `{"error":"down"}`, http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts, &down
}

func TestCacheTTLAndStaleWhileRevalidate(t *testing.T) {
	for _, kind := range []string{"file", "url"} {
		t.Run(kind, func(t *testing.T) {
			st := registry(t)
			src := st.Path()
			if kind == "url" {
				ts, _ := flaky(t, st)
				src = ts.URL
			}
			var errs []error
			var mu sync.Mutex
			c, err := Open(src, Options{TTL: 100 * time.Millisecond, OnError: func(e error) { mu.Lock(); errs = append(errs, e); mu.Unlock() }})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// The cache's clock moves only when the test says so: a slow
			// machine must not expire the TTL early.
			var clock atomic.Int64
			clock.Store(time.Now().UnixNano())
			c.now = func() time.Time { return time.Unix(0, clock.Load()) }
			ctx := context.Background()
			p, err := c.Get(ctx, "greet")
			if err != nil || p.Version != 1 || p.Label != "production" || p.Template != "one {{x}}" {
				t.Fatalf("%+v %v", p, err)
			}
			label(t, st, 2)
			if p, _ := c.Get(ctx, "greet"); p.Version != 1 {
				t.Fatalf("within the TTL the cached v1 is used, got v%d", p.Version)
			}
			clock.Add(int64(150 * time.Millisecond))
			// Past the TTL: the stale prompt is returned at once, and
			// refreshed in the background.
			if p, _ := c.Get(ctx, "greet"); p.Version != 1 {
				t.Fatalf("stale-while-revalidate returns the cached v1 first, got v%d", p.Version)
			}
			deadline := time.Now().Add(5 * time.Second)
			for {
				if p, _ := c.Get(ctx, "greet"); p.Version == 2 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("never refreshed to v2 (errors %v)", errs)
				}
				time.Sleep(10 * time.Millisecond)
			}
			if p, err := c.Get(ctx, "greet@1"); err != nil || p.Version != 1 || p.Label != "" {
				t.Fatalf("greet@1: %+v %v", p, err)
			}
			msgs, _, err := c.Render(ctx, "greet", map[string]any{"x": "y"})
			if err != nil || msgs[0].Content != "two y" {
				t.Fatalf("%v %v", msgs, err)
			}
			if _, _, err := c.Render(ctx, "greet", nil); err == nil || !strings.Contains(err.Error(), "missing variables: x") {
				t.Fatalf("missing: %v", err)
			}
			if _, err := c.Get(ctx, "nope"); err == nil {
				t.Fatal("unknown prompt resolved")
			}
		})
	}
}

func TestFallbackWhenUnreachable(t *testing.T) {
	fb := Prompt{Name: "greet", Kind: store.KindText, Template: "fallback {{x}}"}
	c, err := Open("http://127.0.0.1:1", Options{Fallbacks: map[string]Prompt{"greet": fb}, HTTPClient: &http.Client{Timeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.Get(context.Background(), "greet")
	if err != nil || !p.Fallback || p.Template != "fallback {{x}}" {
		t.Fatalf("%+v %v", p, err)
	}
	if _, err := c.Get(context.Background(), "other"); err == nil {
		t.Fatal("no fallback for other, yet no error")
	}

	// A cached prompt outlives an outage: stale is better than a fallback.
	st := registry(t)
	ts, down := flaky(t, st)
	var errs atomic.Int32
	c2, _ := Open(ts.URL, Options{TTL: time.Millisecond, Fallbacks: map[string]Prompt{"greet": fb}, OnError: func(error) { errs.Add(1) }})
	defer c2.Close()
	c2.Get(context.Background(), "greet")
	down.Store(true)
	time.Sleep(5 * time.Millisecond)
	for range 3 {
		if p, _ := c2.Get(context.Background(), "greet"); p.Fallback || p.Version != 1 {
			t.Fatalf("during the outage: %+v", p)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if errs.Load() == 0 {
		t.Fatal("failed refreshes were not reported")
	}
}

func TestRecordBatchesFlushOnSizeIntervalAndClose(t *testing.T) {
	st := registry(t)
	ts, down := flaky(t, st)
	c, err := Open(ts.URL, Options{BatchSize: 10, FlushInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	count := func() int64 { n, _ := st.CountEvents(ctx); return n.Events }
	for range 25 {
		c.Record(Event{Prompt: "greet", Version: 1, LatencyMS: 10})
	}
	// Size: 20 of the 25 go at once.
	deadline := time.Now().Add(3 * time.Second)
	for count() < 20 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := count(); n < 20 {
		t.Fatalf("after two full batches %d events stored", n)
	}
	// Interval: the last 5 follow within the flush interval.
	for count() < 25 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := count(); n != 25 {
		t.Fatalf("after the interval %d events stored", n)
	}
	// An outage keeps events queued; Close flushes them once it is back.
	down.Store(true)
	for range 3 {
		c.Record(Event{Prompt: "greet", Version: 2})
	}
	if err := c.Flush(ctx); err == nil {
		t.Fatal("flush during an outage succeeded")
	}
	down.Store(false)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 28 {
		t.Fatalf("after Close %d events stored, want 28", n)
	}
}
