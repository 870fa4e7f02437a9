package modelserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/seed94f0f622/verso/demo/modelserver"
)

func start(t *testing.T, o modelserver.Options) (*modelserver.Server, *openai.Client) {
	t.Helper()
	srv, err := modelserver.Start("127.0.0.1:0", o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	cfg := openai.DefaultConfig("demo-key")
	cfg.BaseURL = srv.URL()
	return srv, openai.NewClientWithConfig(cfg)
}

func chatReq(model string, msgs ...string) openai.ChatCompletionRequest {
	r := openai.ChatCompletionRequest{Model: model}
	for i, m := range msgs {
		role := openai.ChatMessageRoleUser
		if i == 0 && len(msgs) > 1 {
			role = openai.ChatMessageRoleSystem
		}
		r.Messages = append(r.Messages, openai.ChatCompletionMessage{Role: role, Content: m})
	}
	return r
}

func TestChatNonStream(t *testing.T) {
	srv, c := start(t, modelserver.Options{})
	ctx := context.Background()
	req := chatReq("demo-large", "Classify the sentiment as (positive|negative|neutral). Respond with only the label.", "Review: I love it, works great!")
	resp, err := c.CreateChatCompletion(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != "positive" {
		t.Errorf("content = %q, want positive", got)
	}
	if resp.Usage.PromptTokens == 0 || resp.Usage.CompletionTokens == 0 || resp.Usage.TotalTokens != resp.Usage.PromptTokens+resp.Usage.CompletionTokens {
		t.Errorf("usage = %+v", resp.Usage)
	}
	if resp.Choices[0].FinishReason != openai.FinishReasonStop {
		t.Errorf("finish = %q", resp.Choices[0].FinishReason)
	}
	// Deterministic.
	resp2, err := c.CreateChatCompletion(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if resp2.Choices[0].Message.Content != resp.Choices[0].Message.Content || resp2.Usage != resp.Usage {
		t.Error("same request gave a different reply")
	}
	if st := srv.Stats(); st.Requests != 2 || st.ByStatus[200] != 2 {
		t.Errorf("stats = %+v", st)
	}
}

func TestChatStream(t *testing.T) {
	_, c := start(t, modelserver.Options{TokenDelay: time.Millisecond})
	ctx := context.Background()
	req := chatReq("demo-small", "Summarize this ticket in 2 sentences.\n\nTicket: I was charged twice for order #4411. Please refund the duplicate charge. Thanks, Ana")
	full, err := c.CreateChatCompletion(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	req.Stream = true
	req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	st, err := c.CreateChatCompletionStream(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var b strings.Builder
	var usage *openai.Usage
	chunks := 0
	for {
		r, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		chunks++
		if len(r.Choices) > 0 {
			b.WriteString(r.Choices[0].Delta.Content)
		}
		if r.Usage != nil {
			usage = r.Usage
		}
	}
	if b.String() != full.Choices[0].Message.Content {
		t.Errorf("streamed %q\nwant %q", b.String(), full.Choices[0].Message.Content)
	}
	if chunks < 4 {
		t.Errorf("only %d chunks", chunks)
	}
	if usage == nil || *usage != full.Usage {
		t.Errorf("stream usage = %v, want %v", usage, full.Usage)
	}
}

func TestModelsAndEmbeddings(t *testing.T) {
	srv, c := start(t, modelserver.Options{})
	ctx := context.Background()
	ml, err := c.ListModels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ml.Models) != len(srv.Models())+1 || ml.Models[0].ID != "demo-small" {
		t.Errorf("models = %+v", ml.Models)
	}
	texts := []string{"The refund was issued to your card.", "We issued a refund to your credit card.", "Quarterly revenue grew in Germany."}
	resp, err := c.CreateEmbeddings(ctx, openai.EmbeddingRequest{Input: texts, Model: "demo-embed"})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Data) != 3 || len(resp.Data[0].Embedding) != modelserver.EmbeddingDims || resp.Usage.PromptTokens == 0 {
		t.Fatalf("embeddings: %d items, usage %+v", len(resp.Data), resp.Usage)
	}
	cos := func(a, b []float32) float64 {
		var s float64
		for i := range a {
			s += float64(a[i]) * float64(b[i])
		}
		return s
	}
	if n := cos(resp.Data[0].Embedding, resp.Data[0].Embedding); math.Abs(n-1) > 1e-3 {
		t.Errorf("not normalised: %v", n)
	}
	similar, unrelated := cos(resp.Data[0].Embedding, resp.Data[1].Embedding), cos(resp.Data[0].Embedding, resp.Data[2].Embedding)
	if similar < 0.5 || unrelated > 0.3 || similar <= unrelated {
		t.Errorf("similar %.2f, unrelated %.2f", similar, unrelated)
	}
	// base64 encoding gives the same vectors.
	b64, err := c.CreateEmbeddings(ctx, openai.EmbeddingRequest{Input: texts[:1], Model: "demo-embed", EncodingFormat: openai.EmbeddingEncodingFormatBase64})
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range b64.Data[0].Embedding {
		if math.Abs(float64(f-resp.Data[0].Embedding[i])) > 1e-6 {
			t.Fatalf("base64 differs at %d", i)
		}
	}
}

func TestJSONResponseFormat(t *testing.T) {
	_, c := start(t, modelserver.Options{})
	req := chatReq("demo-small", "Extract invoice_number, total and due_date from the invoice.", "Invoice: INV-2041\nDate: 2026-03-01\nTotal due: $1,240.50\nDue date: 2026-03-31")
	req.ResponseFormat = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatTypeJSONObject}
	resp, err := c.CreateChatCompletion(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(resp.Choices[0].Message.Content), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, resp.Choices[0].Message.Content)
	}
	if v["invoice_number"] != "INV-2041" || v["total"] != "$1,240.50" || v["due_date"] != "2026-03-31" {
		t.Errorf("extracted %v", v)
	}
}

func TestMaxTokensAndStop(t *testing.T) {
	_, c := start(t, modelserver.Options{})
	req := chatReq("demo-small", "Write a long reply to the customer.\n\nMessage: My package never arrived and I need it for a wedding next week.")
	req.MaxTokens = 5
	resp, err := c.CreateChatCompletion(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].FinishReason != openai.FinishReasonLength || resp.Usage.CompletionTokens > 5 {
		t.Errorf("finish %q, %d tokens", resp.Choices[0].FinishReason, resp.Usage.CompletionTokens)
	}
}

func apiStatus(err error) int {
	var ae *openai.APIError
	if errors.As(err, &ae) {
		return ae.HTTPStatusCode
	}
	var re *openai.RequestError
	if errors.As(err, &re) {
		return re.HTTPStatusCode
	}
	return 0
}

func TestInjectedErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("429", func(t *testing.T) {
		srv, c := start(t, modelserver.Options{FailFirst: 1, Errors: []string{"429"}, RetryAfter: 1500 * time.Millisecond})
		_, err := c.CreateChatCompletion(ctx, chatReq("demo-small", "hello"))
		if apiStatus(err) != 429 {
			t.Fatalf("err = %v", err)
		}
		// Headers, seen with a plain client.
		req, _ := http.NewRequest("POST", srv.URL()+"/chat/completions", strings.NewReader(`{"model":"demo-small","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set(modelserver.FailHeader, "429")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || resp.Header.Get("retry-after-ms") != "1500" {
			t.Errorf("status %d, Retry-After %q, retry-after-ms %q", resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("retry-after-ms"))
		}
		if _, err := c.CreateChatCompletion(ctx, chatReq("demo-small", "hello")); err != nil {
			t.Errorf("after FailFirst: %v", err)
		}
		if st := srv.Stats(); st.ByStatus[429] != 2 || st.ByStatus[200] != 1 {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("500", func(t *testing.T) {
		_, c := start(t, modelserver.Options{})
		_, err := c.CreateChatCompletion(ctx, chatReq("demo-small", "hello [[fail:500]]"))
		if apiStatus(err) != 500 {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		srv, c := start(t, modelserver.Options{})
		cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		_, err := c.CreateChatCompletion(cctx, chatReq("demo-small", "hello [[fail:timeout]]"))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		if srv.Stats().Timeouts != 1 {
			t.Errorf("stats %+v", srv.Stats())
		}
	})
	t.Run("timeout released by Close", func(t *testing.T) {
		srv, c := start(t, modelserver.Options{})
		done := make(chan error, 1)
		go func() {
			_, err := c.CreateChatCompletion(ctx, chatReq("demo-small", "hello [[fail:timeout]]"))
			done <- err
		}()
		time.Sleep(50 * time.Millisecond)
		_ = srv.Close()
		select {
		case err := <-done:
			if err == nil {
				t.Error("hung request succeeded")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Close did not release a hung request")
		}
	})
	t.Run("malformed", func(t *testing.T) {
		srv, c := start(t, modelserver.Options{})
		_, err := c.CreateChatCompletion(ctx, chatReq("demo-small", "hello [[fail:malformed]]"))
		if err == nil {
			t.Fatal("malformed body decoded")
		}
		req := chatReq("demo-small", "hello [[fail:malformed]]")
		req.Stream = true
		st, err := c.CreateChatCompletionStream(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		var rerr error
		for rerr == nil {
			_, rerr = st.Recv()
		}
		if errors.Is(rerr, io.EOF) {
			t.Error("malformed stream ended cleanly")
		}
		if srv.Stats().Malformed != 2 {
			t.Errorf("stats %+v", srv.Stats())
		}
	})
	t.Run("cut", func(t *testing.T) {
		srv, c := start(t, modelserver.Options{})
		msg := "Write a friendly reply to the customer. [[fail:cut:1]]\n\nMessage: My login fails with an error since this morning and I cannot reach my dashboard at all."
		_, err := c.CreateChatCompletion(ctx, chatReq("demo-small", msg))
		if err == nil {
			t.Fatal("cut body decoded")
		}
		req := chatReq("demo-small", msg)
		req.Stream = true
		st, err := c.CreateChatCompletionStream(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		var rerr error
		for rerr == nil {
			_, rerr = st.Recv()
			got++
		}
		st.Close()
		if errors.Is(rerr, io.EOF) || got < 2 {
			t.Errorf("cut stream: %d chunks, end %v", got, rerr)
		}
		// The second attempt of the same request succeeds: a retry works.
		st, err = c.CreateChatCompletionStream(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		for {
			_, err := st.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("retry failed: %v", err)
			}
		}
		st.Close()
		if srv.Stats().Cut != 2 {
			t.Errorf("stats %+v", srv.Stats())
		}
	})
}

// TestErrorRateReproducible: the same seed fails the same requests at the
// same attempts, whatever the order.
func TestErrorRateReproducible(t *testing.T) {
	o := modelserver.Options{ErrorRate: 0.3, Seed: 7}
	pattern := func() []int {
		_, c := start(t, o)
		var out []int
		for i := 0; i < 40; i++ {
			_, err := c.CreateChatCompletion(context.Background(), chatReq("demo-small", "case "+strings.Repeat("x", i)))
			out = append(out, apiStatus(err))
		}
		return out
	}
	a, b := pattern(), pattern()
	fails := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("request %d: %d then %d", i, a[i], b[i])
		}
		if a[i] != 0 {
			fails++
		}
	}
	if fails < 4 || fails > 24 {
		t.Errorf("%d of 40 failed at rate 0.3", fails)
	}
}

func TestLatency(t *testing.T) {
	_, c := start(t, modelserver.Options{Latency: 60 * time.Millisecond, Jitter: 10 * time.Millisecond})
	t0 := time.Now()
	if _, err := c.CreateChatCompletion(context.Background(), chatReq("demo-small", "hello")); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(t0); d < 50*time.Millisecond {
		t.Errorf("reply after %v, want >= 50ms", d)
	}
}

func TestBadRequests(t *testing.T) {
	srv, _ := start(t, modelserver.Options{})
	for _, tc := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/chat/completions", `{not json`, 400},
		{"POST", "/chat/completions", `{"model":"demo-small","messages":[]}`, 400},
		{"GET", "/chat/completions", ``, 405},
		{"GET", "/nope", ``, 404},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL()+tc.path, strings.NewReader(tc.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		err = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != tc.want || err != nil || e.Error.Message == "" {
			t.Errorf("%s %s: status %d, error %q (%v)", tc.method, tc.path, resp.StatusCode, e.Error.Message, err)
		}
	}
}

// TestConcurrentFailures: 32 clients with 20% injected 429/500 and retries
// all finish; the counters add up.
func TestConcurrentFailures(t *testing.T) {
	srv, c := start(t, modelserver.Options{ErrorRate: 0.2, Seed: 3, RetryAfter: time.Millisecond})
	const workers, each = 32, 10
	errs := make(chan error, workers)
	var calls atomicCounter
	for w := 0; w < workers; w++ {
		go func(w int) {
			for i := 0; i < each; i++ {
				req := chatReq("demo-small", "Summarize in 1 sentence.\n\nTicket: case "+strings.Repeat("z", w*each+i))
				for attempt := 0; ; attempt++ {
					calls.add()
					_, err := c.CreateChatCompletion(context.Background(), req)
					if err == nil {
						break
					}
					if s := apiStatus(err); s != 429 && s != 500 || attempt > 20 {
						errs <- err
						return
					}
				}
			}
			errs <- nil
		}(w)
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	st := srv.Stats()
	total := 0
	for _, n := range st.ByStatus {
		total += n
	}
	if int64(total) != st.Requests || st.Requests != calls.load() || st.ByStatus[200] != workers*each {
		t.Errorf("stats %+v, client calls %d", st, calls.load())
	}
	if st.ByStatus[429]+st.ByStatus[500] == 0 {
		t.Error("no failures injected")
	}
}

type atomicCounter struct{ n atomic.Int64 }

func (c *atomicCounter) add()        { c.n.Add(1) }
func (c *atomicCounter) load() int64 { return c.n.Load() }
