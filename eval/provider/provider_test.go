package provider_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/demo/modelserver"
	"github.com/seed94f0f622/verso/eval/config"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/store"
)

func demo(t *testing.T, o modelserver.Options) (*provider.Registry, *modelserver.Server) {
	t.Helper()
	srv, err := modelserver.Start("127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	reg := provider.NewRegistry(config.Config{})
	reg.SetBaseURL("demo", srv.URL())
	return reg, srv
}

var fast = provider.Policy{Base: time.Millisecond, Max: 20 * time.Millisecond, Timeout: 5 * time.Second}

func call(t *testing.T, reg *provider.Registry, content string, stream bool, retries *atomic.Int32) (provider.Response, error) {
	p, err := reg.Provider("demo")
	if err != nil {
		t.Fatal(err)
	}
	req := provider.Request("demo-small", []store.Message{{Role: "user", Content: content}}, store.Config{})
	var onTok func(string)
	var toks strings.Builder
	if stream {
		onTok = func(s string) { toks.WriteString(s) }
	}
	r, err := provider.Do(context.Background(), fast, func(ctx context.Context) (provider.Response, error) {
		toks.Reset()
		return p.Chat(ctx, req, onTok)
	}, func(provider.Retry) {
		if retries != nil {
			retries.Add(1)
		}
	})
	if err == nil && stream && toks.String() != r.Output {
		t.Fatalf("streamed %q, output %q", toks.String(), r.Output)
	}
	return r, err
}

func TestChat(t *testing.T) {
	reg, _ := demo(t, modelserver.Options{})
	for _, stream := range []bool{false, true} {
		r, err := call(t, reg, "Say hello", stream, nil)
		if err != nil {
			t.Fatalf("stream=%v: %v", stream, err)
		}
		if r.Output == "" || r.TokensIn == 0 || r.TokensOut == 0 || r.FinishReason == "" {
			t.Fatalf("stream=%v: response %+v", stream, r)
		}
	}
}

func TestRetries(t *testing.T) {
	reg, _ := demo(t, modelserver.Options{RetryAfter: 10 * time.Millisecond})
	for _, kind := range []string{"429", "500", "cut"} {
		for _, stream := range []bool{false, true} {
			var n atomic.Int32
			_, err := call(t, reg, "hello [[fail:"+kind+":2]]", stream, &n)
			if err != nil {
				t.Fatalf("%s stream=%v: %v", kind, stream, err)
			}
			if n.Load() != 2 {
				t.Fatalf("%s stream=%v: %d retries, want 2", kind, stream, n.Load())
			}
		}
	}
}

func TestMalformedIsNotRetried(t *testing.T) {
	reg, _ := demo(t, modelserver.Options{})
	for _, stream := range []bool{false, true} {
		var n atomic.Int32
		_, err := call(t, reg, "hello [[fail:malformed]]", stream, &n)
		var me *provider.MalformedError
		if !errors.As(err, &me) || n.Load() != 0 {
			t.Fatalf("stream=%v: err %v after %d retries, want a MalformedError without retries", stream, err, n.Load())
		}
	}
}

func TestGivesUp(t *testing.T) {
	reg, _ := demo(t, modelserver.Options{})
	_, err := call(t, reg, "hello [[fail:500]]", false, nil)
	var ae *provider.AttemptsError
	if !errors.As(err, &ae) || ae.Attempts != 5 || provider.StatusCode(err) != 500 {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "HTTP 500") || !strings.Contains(err.Error(), "after 5 attempts") {
		t.Fatalf("message %q", err.Error())
	}
}

func TestTimeout(t *testing.T) {
	reg, _ := demo(t, modelserver.Options{})
	p, _ := reg.Provider("demo")
	req := provider.Request("demo-small", []store.Message{{Role: "user", Content: "hi [[fail:timeout:1]]"}}, store.Config{})
	var n int
	r, err := provider.Do(context.Background(), provider.Policy{Base: time.Millisecond, Timeout: 200 * time.Millisecond},
		func(ctx context.Context) (provider.Response, error) { return p.Chat(ctx, req, nil) },
		func(provider.Retry) { n++ })
	if err != nil || n != 1 || r.Output == "" {
		t.Fatalf("err %v, %d retries", err, n)
	}
}

func TestCancel(t *testing.T) {
	reg, _ := demo(t, modelserver.Options{})
	p, _ := reg.Provider("demo")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req := provider.Request("demo-small", []store.Message{{Role: "user", Content: "hi [[fail:timeout]]"}}, store.Config{})
	_, err := provider.Do(ctx, fast, func(ctx context.Context) (provider.Response, error) { return p.Chat(ctx, req, nil) }, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

func TestKeyFromEnvironment(t *testing.T) {
	t.Setenv("VERSO_TEST_KEY", "")
	reg := provider.NewRegistry(config.Config{Providers: map[string]config.ProviderConfig{
		"x": {BaseURL: "http://127.0.0.1:1/v1", APIKeyEnv: "VERSO_TEST_KEY"}}})
	p, err := reg.Provider("x")
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Chat(context.Background(), provider.Request("m", []store.Message{{Role: "user", Content: "x"}}, store.Config{}), nil)
	var ke *provider.KeyError
	if !errors.As(err, &ke) || provider.Retryable(err) || !strings.Contains(err.Error(), "export VERSO_TEST_KEY") {
		t.Fatalf("err = %v", err)
	}
}

func TestSplitAndCost(t *testing.T) {
	reg := provider.NewRegistry(config.Config{DefaultProvider: "ollama"})
	cases := map[string]string{"demo/demo-large": "demo/demo-large", "llama3": "ollama/llama3", "openai/gpt-4o": "openai/gpt-4o", "meta/llama": "ollama/meta/llama"}
	for in, want := range cases {
		if got := reg.Canonical(in); got != want {
			t.Errorf("Canonical(%q) = %q, want %q", in, got, want)
		}
	}
	reg.SetBaseURL("demo", "http://127.0.0.1:9/v1")
	p, err := reg.Provider("demo")
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Cost("demo-large", 1_000_000, 500_000); c != 3 {
		t.Fatalf("cost = %v", c)
	}
	if _, err := provider.NewRegistry(config.Config{}).Provider("demo"); err == nil || !strings.Contains(err.Error(), "not running") {
		t.Fatalf("demo without URL: %v", err)
	}
}

func TestCacheKey(t *testing.T) {
	msgs := []store.Message{{Role: "user", Content: "x"}}
	t1, t2 := 0.0, 0.7
	base := provider.CacheKey("u", provider.Request("m", msgs, store.Config{}), 0)
	others := []string{
		provider.CacheKey("u2", provider.Request("m", msgs, store.Config{}), 0),
		provider.CacheKey("u", provider.Request("m2", msgs, store.Config{}), 0),
		provider.CacheKey("u", provider.Request("m", msgs, store.Config{}), 1),
		provider.CacheKey("u", provider.Request("m", msgs, store.Config{Temperature: &t1}), 0),
		provider.CacheKey("u", provider.Request("m", msgs, store.Config{Temperature: &t2}), 0),
		provider.CacheKey("u", provider.Request("m", msgs, store.Config{MaxTokens: 5}), 0),
		provider.CacheKey("u", provider.Request("m", []store.Message{{Role: "system", Content: "x"}}, store.Config{}), 0),
	}
	seen := map[string]bool{base: true}
	for i, k := range others {
		if seen[k] {
			t.Fatalf("key %d collides", i)
		}
		seen[k] = true
	}
	if base != provider.CacheKey("u", provider.Request("m", msgs, store.Config{}), 0) {
		t.Fatal("key is not deterministic")
	}
}

func TestAzureHeadersAndRateLimit(t *testing.T) {
	var mu sync.Mutex
	var paths, teams, keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path+"?"+r.URL.RawQuery)
		teams = append(teams, r.Header.Get("X-Team"))
		keys = append(keys, r.Header.Get("api-key")+r.Header.Get("Authorization"))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}}`)
	}))
	defer srv.Close()
	t.Setenv("AZ_KEY", "sekret")
	reg := provider.NewRegistry(config.Config{Providers: map[string]config.ProviderConfig{
		"az":  {Type: "azure", BaseURL: srv.URL, APIKeyEnv: "AZ_KEY", APIVersion: "2024-06-01", Headers: map[string]string{"X-Team": "eval"}},
		"lim": {BaseURL: srv.URL + "/v1", RPM: 1200},
	}})
	az, err := reg.Provider("az")
	if err != nil {
		t.Fatal(err)
	}
	r, err := az.Chat(context.Background(), provider.Request("gpt-4o", []store.Message{{Role: "user", Content: "x"}}, store.Config{}), nil)
	if err != nil || r.Output != "hi" || r.TokensIn != 3 {
		t.Fatalf("%+v %v", r, err)
	}
	if paths[0] != "/openai/deployments/gpt-4o/chat/completions?api-version=2024-06-01" || teams[0] != "eval" || keys[0] != "sekret" {
		t.Fatalf("path %q team %q key %q", paths[0], teams[0], keys[0])
	}
	lim, _ := reg.Provider("lim")
	start := time.Now()
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lim.Chat(context.Background(), provider.Request("m", []store.Message{{Role: "user", Content: "x"}}, store.Config{}), nil)
		}()
	}
	wg.Wait()
	// 1200 rpm = 20/s with a burst of 20: 40 calls take about a second.
	if el := time.Since(start); el < 800*time.Millisecond {
		t.Fatalf("40 calls at 1200 rpm took %v", el)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	reg, _ := demo(t, modelserver.Options{RetryAfter: 300 * time.Millisecond})
	p, _ := reg.Provider("demo")
	req := provider.Request("demo-small", []store.Message{{Role: "user", Content: "hi [[fail:429:1]]"}}, store.Config{})
	var waits []time.Duration
	start := time.Now()
	_, err := provider.Do(context.Background(), fast, func(ctx context.Context) (provider.Response, error) { return p.Chat(ctx, req, nil) },
		func(r provider.Retry) { waits = append(waits, r.Wait) })
	if err != nil || len(waits) != 1 || waits[0] < 300*time.Millisecond || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("err %v, waits %v (backoff alone would wait ~1ms)", err, waits)
	}
}

func TestTokensPerMinute(t *testing.T) {
	reg := provider.NewRegistry(config.Config{Providers: map[string]config.ProviderConfig{"x": {BaseURL: "http://127.0.0.1:1/v1", TPM: 600}}})
	p, _ := reg.Provider("x")
	// 600 tpm = 10 tokens/s with a burst of 600: a request estimated at
	// 600+ tokens drains the bucket, so the next waits.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	big := provider.Request("m", []store.Message{{Role: "user", Content: strings.Repeat("x", 4000)}}, store.Config{MaxTokens: 100})
	p.Chat(ctx, big, nil)
	start := time.Now()
	_, err := p.Chat(ctx, big, nil)
	// The limiter refuses at once when the wait would pass the deadline.
	limited := errors.Is(err, context.DeadlineExceeded) || err != nil && strings.Contains(err.Error(), "rate: Wait")
	if !limited && time.Since(start) < 200*time.Millisecond {
		t.Fatalf("second call was not limited: %v after %v", err, time.Since(start))
	}
}
