package provider_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed94f0f622/verso/eval/config"
	"github.com/seed94f0f622/verso/eval/provider"
	"github.com/seed94f0f622/verso/store"
)

// hostile serves h on loopback as provider "x" (with max_response_bytes
// limit when > 0).
func hostile(t *testing.T, limit int64, h http.HandlerFunc) *provider.Provider {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	reg := provider.NewRegistry(config.Config{Providers: map[string]config.ProviderConfig{
		"x": {BaseURL: srv.URL + "/v1", MaxResponseBytes: limit}}})
	p, err := reg.Provider("x")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func chat(p *provider.Provider, stream bool, retries *atomic.Int32) (provider.Response, error) {
	req := provider.Request("m", []store.Message{{Role: "user", Content: "hi"}}, store.Config{})
	var onTok func(string)
	if stream {
		onTok = func(string) {}
	}
	return provider.Do(context.Background(), fast, func(ctx context.Context) (provider.Response, error) {
		return p.Chat(ctx, req, onTok)
	}, func(provider.Retry) {
		if retries != nil {
			retries.Add(1)
		}
	})
}

const okBody = `{"id":"1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"fine"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`

func sse(w http.ResponseWriter, lines ...string) {
	w.Header().Set("Content-Type", "text/event-stream")
	for _, l := range lines {
		fmt.Fprintf(w, "data: %s\n\n", l)
	}
}

const okStream = `{"id":"1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"fine"}}]}`
const okStreamEnd = `{"id":"1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`
const usageChunk = `{"id":"1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`

// TestErrorBodyOfAnyShape: a refusal whose body is not OpenAI's error shape
// keeps its status and the body's text, and a 5xx is retried whatever its
// body says.
func TestErrorBodyOfAnyShape(t *testing.T) {
	for _, c := range []struct {
		status     int
		body, want string
	}{
		{500, `{"error":"upstream exploded"}`, `HTTP 500 Internal Server Error: upstream exploded (body: {"error":"upstream exploded"})`},
		{502, "<html><body>Bad gateway from nginx</body></html>", "HTTP 502 Bad Gateway: <html><body>Bad gateway from nginx</body></html>"},
		{503, `{"detail":"model is loading"}`, "HTTP 503 Service Unavailable: model is loading"},
		{500, ``, "HTTP 500 Internal Server Error with an empty body"},
		{400, `{"error":{"message":"bad temperature","type":"invalid_request_error"}}`, "HTTP 400 Bad Request: bad temperature"},
	} {
		for _, stream := range []bool{false, true} {
			var calls atomic.Int32
			p := hostile(t, 0, func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				w.WriteHeader(c.status)
				fmt.Fprint(w, c.body)
			})
			_, err := chat(p, stream, nil)
			wantCalls := int32(5)
			if c.status < 500 {
				wantCalls = 1
			}
			if err == nil || !strings.Contains(provider.Describe(err), c.want) || provider.StatusCode(err) != c.status || calls.Load() != wantCalls {
				t.Errorf("%d %q stream=%v: %d calls, error %q, want %d calls and %q", c.status, c.body, stream, calls.Load(), provider.Describe(err), wantCalls, c.want)
			}
		}
	}
	// And a 500 of any body that then succeeds is a success.
	var calls atomic.Int32
	p := hostile(t, 0, func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(500)
			fmt.Fprint(w, `{"error":"text"}`)
			return
		}
		fmt.Fprint(w, okBody)
	})
	if r, err := chat(p, false, nil); err != nil || r.Output != "fine" {
		t.Errorf("after one 500: %+v %v", r, err)
	}
}

// TestStreamErrorIsRetried: an error the server sends inside a stream (in
// OpenAI's shape or as plain text) is retried, and reported with its text
// when it persists.
func TestStreamErrorIsRetried(t *testing.T) {
	for _, errLine := range []string{`{"error":{"message":"server overloaded","type":"server_error"}}`, `{"error":"server overloaded"}`} {
		var calls atomic.Int32
		p := hostile(t, 0, func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) <= 2 {
				sse(w, okStream, errLine)
				return
			}
			sse(w, okStream, okStreamEnd, usageChunk, "[DONE]")
		})
		var retries atomic.Int32
		r, err := chat(p, true, &retries)
		if err != nil || r.Output != "fine" || retries.Load() != 2 {
			t.Errorf("%s: %+v %v after %d retries, want success after 2", errLine, r, err, retries.Load())
		}
		calls.Store(-100)
		_, err = chat(p, true, nil)
		if err == nil || !strings.Contains(err.Error(), "error in the stream: server overloaded") {
			t.Errorf("%s: persistent error %v", errLine, err)
		}
	}
	// A stream error that blames the request is not retried.
	var calls atomic.Int32
	p := hostile(t, 0, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		sse(w, `{"error":{"message":"bad request","type":"invalid_request_error"}}`)
	})
	if _, err := chat(p, true, nil); err == nil || calls.Load() != 1 {
		t.Errorf("invalid request in the stream: %v after %d calls", err, calls.Load())
	}
}

// TestToolCallsAreKept: an answer that is tool calls (streamed or not) has
// them as its output, in OpenAI's shape, so assertions can check them.
func TestToolCallsAreKept(t *testing.T) {
	const call = `{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}`
	p := hostile(t, 0, func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Stream bool }
		json.NewDecoder(r.Body).Decode(&req)
		if !req.Stream {
			fmt.Fprintf(w, `{"id":"1","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[%s]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":9,"total_tokens":12}}`, call)
			return
		}
		sse(w, `{"id":"1","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}`,
			`{"id":"1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}}]}`,
			`{"id":"1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}}]}`,
			`{"id":"1","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`, usageChunk, "[DONE]")
	})
	for _, stream := range []bool{false, true} {
		r, err := chat(p, stream, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Output != "["+call+"]" || r.FinishReason != "tool_calls" {
			t.Errorf("stream=%v: output %s finish %q, want [%s]", stream, r.Output, r.FinishReason, call)
		}
	}
	if got := provider.ToolCallsOutput("Let me check.", nil); got != "Let me check." {
		t.Errorf("no calls: %q", got)
	}
}

// TestMissingUsageIsUnknown: an answer without usage figures has an
// unknown cost (not $0), streamed or not; one with usage is known.
func TestMissingUsageIsUnknown(t *testing.T) {
	withUsage := true
	p := hostile(t, 0, func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Stream bool }
		json.NewDecoder(r.Body).Decode(&req)
		switch {
		case !req.Stream && withUsage:
			fmt.Fprint(w, okBody)
		case !req.Stream:
			fmt.Fprint(w, `{"id":"1","choices":[{"index":0,"message":{"role":"assistant","content":"fine"},"finish_reason":"stop"}]}`)
		case withUsage:
			sse(w, okStream, okStreamEnd, usageChunk, "[DONE]")
		default:
			sse(w, okStream, okStreamEnd, "[DONE]")
		}
	})
	for _, wu := range []bool{true, false} {
		withUsage = wu
		for _, stream := range []bool{false, true} {
			r, err := chat(p, stream, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r.UsageUnknown == wu || (wu && (r.TokensIn != 3 || r.TokensOut != 1)) {
				t.Errorf("usage sent=%v stream=%v: %+v", wu, stream, r)
			}
		}
	}
}

// TestResponseSizeCap: a huge answer, an endless answer and an endless
// stream of empty chunks all stop at the cap with an error that says so,
// without reading the rest (the process does not grow with the answer).
func TestResponseSizeCap(t *testing.T) {
	chunk := strings.Repeat("a", 32<<10)
	endless := func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Stream bool }
		json.NewDecoder(r.Body).Decode(&req)
		if !req.Stream {
			// A 100 MB answer (never finished: the client must stop).
			fmt.Fprint(w, `{"id":"1","choices":[{"index":0,"message":{"role":"assistant","content":"`)
			for i := 0; i < 100<<20/len(chunk); i++ {
				if _, err := fmt.Fprint(w, chunk); err != nil {
					return
				}
			}
			fmt.Fprint(w, `"},"finish_reason":"stop"}]}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for r.Context().Err() == nil {
			if _, err := fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"}}]}\n\n", chunk[:1000]); err != nil {
				return
			}
		}
	}
	p := hostile(t, 256<<10, endless)
	for _, stream := range []bool{false, true} {
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		_, err := chat(p, stream, nil)
		var tl *provider.TooLargeError
		if !errors.As(err, &tl) || !strings.Contains(err.Error(), "the answer passed 256 KiB") && !strings.Contains(err.Error(), "the response body passed 1 MiB (4x the 256 KiB answer cap)") || !strings.Contains(err.Error(), "max_response_bytes of provider x") {
			t.Fatalf("stream=%v: %v", stream, err)
		}
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
			t.Errorf("stream=%v: allocated %d MB to refuse a 256 KiB answer", stream, grew>>20)
		}
		if time.Since(start) > 10*time.Second {
			t.Errorf("stream=%v: took %v", stream, time.Since(start))
		}
	}
	// Empty chunks forever: the body cap ends it.
	p = hostile(t, 1<<10, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for r.Context().Err() == nil {
			if _, err := fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{}}]}\n\n"); err != nil {
				return
			}
		}
	})
	if _, err := chat(p, true, nil); !strings.Contains(fmt.Sprint(err), "the response body passed 256 KiB (256x the 1 KiB answer cap)") {
		t.Errorf("endless empty stream: %v", err)
	}
	// The default cap is 1 MiB.
	if got := p.MaxResponseBytes(); got != 1<<10 {
		t.Errorf("configured cap %d", got)
	}
	reg := provider.NewRegistry(config.Config{})
	reg.SetBaseURL("demo", "http://127.0.0.1:1/v1")
	d, _ := reg.Provider("demo")
	if d.MaxResponseBytes() != 1<<20 {
		t.Errorf("default cap %d", d.MaxResponseBytes())
	}
}

// TestRetryAfterBeyondTheWaitIsNotWaited: a server asking to come back in
// an hour fails the call at once with that said, instead of a minute's
// wait per retry.
func TestRetryAfterBeyondTheWaitIsNotWaited(t *testing.T) {
	var calls atomic.Int32
	p := hostile(t, 0, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(429)
		fmt.Fprint(w, `{"error":{"message":"daily quota exhausted","type":"rate_limit_error"}}`)
	})
	start := time.Now()
	_, err := chat(p, false, nil)
	if err == nil || calls.Load() != 1 || time.Since(start) > 5*time.Second || provider.StatusCode(err) != 429 ||
		!strings.Contains(err.Error(), "daily quota exhausted (the server asks to retry in 1h0m0s, longer than the 1m0s Verso waits") {
		t.Errorf("%d calls in %v: %v", calls.Load(), time.Since(start), err)
	}
}

// TestMalformedSaysSoOnce: the malformed-response prefix is not doubled.
func TestMalformedSaysSoOnce(t *testing.T) {
	p := hostile(t, 0, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"choices": [`) })
	_, err := chat(p, false, nil)
	d := provider.Describe(err)
	if strings.Count(d, "malformed response") != 1 {
		t.Errorf("%q", d)
	}
}
