// Package provider calls named OpenAI-compatible model providers (configured
// in package config) through go-openai: chat (streamed or not) and
// embeddings, with per-provider rate limits, retries with backoff and prices.
package provider

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sashabaranov/go-openai"
	"golang.org/x/time/rate"

	"github.com/seed94f0f622/verso/eval/config"
	"github.com/seed94f0f622/verso/store"
)

// Registry holds the configured providers. It is safe for concurrent use.
type Registry struct {
	cfg       config.Config
	transport http.RoundTripper

	mu        sync.Mutex
	providers map[string]*Provider
	urls      map[string]string
}

// NewRegistry makes the providers of cfg (and the built-in ones) available.
func NewRegistry(cfg config.Config) *Registry {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// Evals run dozens of calls at once against one host: keep the
	// connections instead of re-dialling (Go keeps 2 per host by default).
	t.MaxIdleConns = 512
	t.MaxIdleConnsPerHost = 256
	return &Registry{cfg: cfg, transport: t, providers: map[string]*Provider{}, urls: map[string]string{}}
}

// Config is the configuration the registry was made from.
func (r *Registry) Config() config.Config { return r.cfg }

// SetBaseURL points a provider at url, e.g. "demo" at the demo model server
// started by the caller. It replaces any provider already made.
func (r *Registry) SetBaseURL(name, url string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.urls[name] = strings.TrimRight(url, "/")
	delete(r.providers, name)
}

// BaseURL is the URL a provider would be called at ("" when unknown, e.g.
// demo before SetBaseURL).
func (r *Registry) BaseURL(name string) string {
	p, err := r.Provider(name)
	if err != nil {
		return ""
	}
	return p.BaseURL
}

// Names lists every provider, built-in and configured, sorted.
func (r *Registry) Names() []string { return r.cfg.ProviderNames() }

// DefaultProvider is the provider of bare model names.
func (r *Registry) DefaultProvider() string {
	if r.cfg.DefaultProvider != "" {
		return r.cfg.DefaultProvider
	}
	return "openai"
}

// Models lists every configured model as "provider/model", sorted by
// provider then in config order (for pickers).
func (r *Registry) Models() []string {
	var out []string
	for _, n := range r.Names() {
		pc, _ := r.cfg.Provider(n)
		for _, m := range pc.Models {
			out = append(out, n+"/"+m)
		}
	}
	return out
}

// Split splits a model reference "provider/model" into its parts. A
// reference whose first segment is not a provider (or a bare model) is a
// model of the default provider: "gpt-4o" -> (openai, gpt-4o);
// "openrouter/openai/gpt-4o" -> (openrouter, openai/gpt-4o).
func (r *Registry) Split(ref string) (prov, model string) {
	if i := strings.IndexByte(ref, '/'); i > 0 {
		if _, ok := r.cfg.Provider(ref[:i]); ok {
			return ref[:i], ref[i+1:]
		}
	}
	return r.DefaultProvider(), ref
}

// Canonical is ref as "provider/model".
func (r *Registry) Canonical(ref string) string {
	p, m := r.Split(ref)
	return p + "/" + m
}

// Provider returns a provider by name.
func (r *Registry) Provider(name string) (*Provider, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.providers[name]; ok {
		return p, nil
	}
	pc, ok := r.cfg.Provider(name)
	if !ok {
		return nil, fmt.Errorf("unknown provider %q: configure it in the config file (have: %s)", name, strings.Join(r.cfg.ProviderNames(), ", "))
	}
	if u := r.urls[name]; u != "" {
		pc.BaseURL = u
	}
	if pc.BaseURL == "" {
		if name == "demo" {
			return nil, ErrDemoNotRunning
		}
		return nil, fmt.Errorf("provider %s has no base_url: set it in the config file", name)
	}
	p := &Provider{Name: name, BaseURL: strings.TrimRight(pc.BaseURL, "/"), cfg: pc}
	p.CacheID = p.BaseURL
	if r.urls[name] != "" {
		// A server started for this process (the demo model) gets a new
		// port every time: its answers are cached under its name.
		p.CacheID = "local:" + name
	}
	p.http = &http.Client{Transport: &transport{base: r.transport, headers: pc.Headers}}
	if pc.RPM > 0 {
		p.rpm = rate.NewLimiter(rate.Limit(float64(pc.RPM)/60), max(1, pc.RPM/60))
	}
	if pc.TPM > 0 {
		p.tpm = rate.NewLimiter(rate.Limit(float64(pc.TPM)/60), pc.TPM)
	}
	r.providers[name] = p
	return p, nil
}

// Provider is one OpenAI-compatible endpoint.
type Provider struct {
	Name    string
	BaseURL string
	// CacheID identifies the endpoint in cache keys: the base URL, or
	// "local:NAME" for a URL given with SetBaseURL.
	CacheID string
	cfg     config.ProviderConfig
	http    *http.Client
	rpm     *rate.Limiter
	tpm     *rate.Limiter
}

// Price of a model (per million tokens): the model's own price, else the
// provider's default.
func (p *Provider) Price(model string) config.Price {
	if pr, ok := p.cfg.Prices[model]; ok {
		return pr
	}
	return p.cfg.Price
}

// PriceKnown reports whether the config gives model a price (its own, or
// the provider's default; a price of 0 set for a free model counts).
func (p *Provider) PriceKnown(model string) bool {
	_, ok := p.cfg.Prices[model]
	return ok || p.cfg.Price != (config.Price{})
}

// Cost in dollars of a call.
func (p *Provider) Cost(model string, in, out int) float64 {
	pr := p.Price(model)
	return (float64(in)*pr.Input + float64(out)*pr.Output) / 1e6
}

// client builds a go-openai client with the key read from the environment
// now: keys are never stored.
func (p *Provider) client() (*openai.Client, error) {
	key := "none"
	if p.cfg.APIKeyEnv != "" {
		key = os.Getenv(p.cfg.APIKeyEnv)
		if key == "" {
			return nil, &KeyError{Provider: p.Name, Env: p.cfg.APIKeyEnv}
		}
	}
	var cc openai.ClientConfig
	if p.cfg.Type == "azure" {
		cc = openai.DefaultAzureConfig(key, p.BaseURL)
		if p.cfg.APIVersion != "" {
			cc.APIVersion = p.cfg.APIVersion
		}
	} else {
		cc = openai.DefaultConfig(key)
		cc.BaseURL = p.BaseURL
	}
	cc.HTTPClient = p.http
	return openai.NewClientWithConfig(cc), nil
}

// CheckKey reports a missing API key before any call is made.
func (p *Provider) CheckKey() error {
	if p.cfg.APIKeyEnv != "" && os.Getenv(p.cfg.APIKeyEnv) == "" {
		return &KeyError{Provider: p.Name, Env: p.cfg.APIKeyEnv}
	}
	return nil
}

// KeyError is a provider whose API key variable is not set. It says what
// is missing; each surface adds how to choose another model.
type KeyError struct{ Provider, Env string }

func (e *KeyError) Error() string {
	return fmt.Sprintf("provider %s needs an API key: export %s", e.Provider, e.Env)
}

// ErrDemoNotRunning is a call to the demo provider in a process that did
// not start the demo model server (only the processes that run evals or
// the demo start it).
var ErrDemoNotRunning = errors.New("the demo model server is not running")

// Request builds the chat request for model, messages and a version's config.
func Request(model string, msgs []store.Message, c store.Config) openai.ChatCompletionRequest {
	req := openai.ChatCompletionRequest{Model: model, MaxTokens: c.MaxTokens, Stop: c.Stop, Seed: c.Seed}
	req.Messages = make([]openai.ChatCompletionMessage, len(msgs))
	for i, m := range msgs {
		req.Messages[i] = openai.ChatCompletionMessage{Role: m.Role, Content: m.Content}
	}
	if c.Temperature != nil {
		req.Temperature = float32(*c.Temperature)
		if req.Temperature == 0 {
			// go-openai omits a zero temperature (omitempty), which means the
			// server default (1); the smallest float is sent and means 0.
			req.Temperature = math.SmallestNonzeroFloat32
		}
	}
	if c.TopP != nil {
		req.TopP = float32(*c.TopP)
		if req.TopP == 0 {
			req.TopP = math.SmallestNonzeroFloat32
		}
	}
	if c.ResponseFormat != nil {
		if b, err := json.Marshal(c.ResponseFormat); err == nil {
			var rf openai.ChatCompletionResponseFormat
			if json.Unmarshal(b, &rf) == nil && rf.Type != "" {
				req.ResponseFormat = &rf
			} else if s, ok := c.ResponseFormat.(string); ok && s != "" {
				req.ResponseFormat = &openai.ChatCompletionResponseFormat{Type: openai.ChatCompletionResponseFormatType(s)}
			}
		}
	}
	for _, t := range c.Tools {
		b, err := json.Marshal(t)
		if err != nil {
			continue
		}
		var tool openai.Tool
		if json.Unmarshal(b, &tool) == nil && tool.Type != "" {
			req.Tools = append(req.Tools, tool)
		}
	}
	return req
}

// CacheKey is the sha256 of the exact request: base URL, the request as
// sent (model, parameters, messages) and the repeat index, so repeats get
// distinct answers and nothing is shared across parameters.
func CacheKey(baseURL string, req openai.ChatCompletionRequest, repeat int) string {
	req.Stream = false
	req.StreamOptions = nil
	b, _ := json.Marshal(struct {
		URL    string                       `json:"url"`
		Req    openai.ChatCompletionRequest `json:"req"`
		Repeat int                          `json:"repeat"`
	}{baseURL, req, repeat})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Response is one model answer.
type Response struct {
	// Output is the answer's text. An answer with tool calls holds them in
	// OpenAI's shape: the JSON list of calls when there is no text, else
	// {"content": TEXT, "tool_calls": [...]} (see ToolCallsOutput).
	Output    string
	TokensIn  int
	TokensOut int
	// UsageUnknown: the server reported no token usage, so the cost is not
	// known (never taken as $0).
	UsageUnknown bool
	Latency      time.Duration
	// FinishReason is why the model stopped: stop, length (cut at
	// max_tokens), tool_calls, content_filter, ...
	FinishReason string
}

// ToolCallsOutput is the output of an answer with tool calls: the calls as
// OpenAI sends them ([{"id", "type": "function", "function": {"name",
// "arguments"}}]), wrapped with the text when there is text too.
func ToolCallsOutput(content string, calls []openai.ToolCall) string {
	if len(calls) == 0 {
		return content
	}
	for i := range calls {
		calls[i].Index = nil
	}
	var b []byte
	if content == "" {
		b, _ = json.Marshal(calls)
	} else {
		b, _ = json.Marshal(struct {
			Content   string            `json:"content"`
			ToolCalls []openai.ToolCall `json:"tool_calls"`
		}{content, calls})
	}
	return string(b)
}

// ErrStreamCut is a stream that ended before the model finished.
var ErrStreamCut = errors.New("stream ended before the model finished")

// Chat makes one call (no retries: see Do). With onToken, the answer is
// streamed and onToken gets each piece as it arrives. The answer is read up
// to the provider's size cap (max_response_bytes): past it Chat stops
// reading and returns a TooLargeError.
func (p *Provider) Chat(ctx context.Context, req openai.ChatCompletionRequest, onToken func(string)) (Response, error) {
	c, err := p.client()
	if err != nil {
		return Response{}, err
	}
	if err := p.wait(ctx, req); err != nil {
		return Response{}, err
	}
	a, _ := ctx.Value(attemptKey{}).(*attempt)
	if a == nil {
		a = &attempt{}
		ctx = context.WithValue(ctx, attemptKey{}, a)
	}
	limit := p.MaxResponseBytes()
	a.provider, a.textLimit = p.Name, limit
	start := time.Now()
	if onToken == nil {
		a.limit = limit * 4
		req.Stream = false
		resp, err := c.CreateChatCompletion(ctx, req)
		if err != nil {
			return Response{}, a.classify(err)
		}
		if len(resp.Choices) == 0 {
			return Response{}, fmt.Errorf("the model returned no choices")
		}
		m := resp.Choices[0].Message
		r := Response{Output: ToolCallsOutput(m.Content, m.ToolCalls), TokensIn: resp.Usage.PromptTokens,
			TokensOut: resp.Usage.CompletionTokens, Latency: time.Since(start), FinishReason: string(resp.Choices[0].FinishReason)}
		r.UsageUnknown = resp.Usage.PromptTokens == 0 && resp.Usage.CompletionTokens == 0 && resp.Usage.TotalTokens == 0
		if int64(len(r.Output)) > limit {
			return Response{}, &TooLargeError{Provider: p.Name, Limit: limit}
		}
		return r, nil
	}
	// A stream is read as it comes, so the text cap bounds the memory; the
	// body cap only ends streams that never finish (empty chunks forever).
	a.limit = limit * 256
	a.stream = true
	req.Stream = true
	req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	st, err := c.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return Response{}, a.classify(err)
	}
	defer st.Close()
	var out strings.Builder
	var calls []openai.ToolCall
	size := int64(0)
	r := Response{UsageUnknown: true}
	for {
		chunk, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Response{}, a.classify(err)
		}
		if chunk.Usage != nil && (chunk.Usage.PromptTokens > 0 || chunk.Usage.CompletionTokens > 0) {
			r.TokensIn, r.TokensOut = chunk.Usage.PromptTokens, chunk.Usage.CompletionTokens
			r.UsageUnknown = false
		}
		for _, ch := range chunk.Choices {
			if ch.Index != 0 {
				continue
			}
			size += int64(len(ch.Delta.Content))
			for _, tc := range ch.Delta.ToolCalls {
				size += int64(len(tc.Function.Arguments) + len(tc.Function.Name) + len(tc.ID))
				calls = mergeToolCall(calls, tc)
			}
			if size > limit {
				return Response{}, &TooLargeError{Provider: p.Name, Limit: limit}
			}
			if ch.Delta.Content != "" {
				out.WriteString(ch.Delta.Content)
				onToken(ch.Delta.Content)
			}
			if ch.FinishReason != "" {
				r.FinishReason = string(ch.FinishReason)
			}
		}
	}
	// A stream that closes without a finish reason was cut (the connection
	// dropped, or the server died): go-openai reports a plain EOF for both.
	if r.FinishReason == "" {
		return Response{}, ErrStreamCut
	}
	r.Output = ToolCallsOutput(out.String(), calls)
	r.Latency = time.Since(start)
	return r, nil
}

// mergeToolCall adds a streamed piece of a tool call: the first piece of a
// call (by index) brings its id and name, the others more arguments.
func mergeToolCall(calls []openai.ToolCall, d openai.ToolCall) []openai.ToolCall {
	i := len(calls)
	if d.Index != nil {
		i = *d.Index
	} else if d.ID == "" && len(calls) > 0 {
		i = len(calls) - 1
	}
	if i < 0 || i > len(calls) {
		i = len(calls)
	}
	if i == len(calls) {
		calls = append(calls, openai.ToolCall{Type: openai.ToolTypeFunction})
	}
	c := &calls[i]
	if d.ID != "" {
		c.ID = d.ID
	}
	if d.Type != "" {
		c.Type = d.Type
	}
	c.Function.Name += d.Function.Name
	c.Function.Arguments += d.Function.Arguments
	return calls
}

// MaxResponseBytes is the provider's cap on an answer's text (tool calls
// included): max_response_bytes in the config file, else
// DefaultMaxResponseBytes.
func (p *Provider) MaxResponseBytes() int64 {
	if p.cfg.MaxResponseBytes > 0 {
		return p.cfg.MaxResponseBytes
	}
	return DefaultMaxResponseBytes
}

// DefaultMaxResponseBytes caps an answer at 1 MiB of text.
const DefaultMaxResponseBytes = 1 << 20

// wait applies the provider's rate limits.
func (p *Provider) wait(ctx context.Context, req openai.ChatCompletionRequest) error {
	if p.rpm != nil {
		if err := p.rpm.Wait(ctx); err != nil {
			return err
		}
	}
	if p.tpm != nil {
		n := req.MaxTokens
		if n == 0 {
			n = 256
		}
		for _, m := range req.Messages {
			n += len(m.Content)/4 + 4
		}
		if err := p.tpm.WaitN(ctx, min(n, p.tpm.Burst())); err != nil {
			return err
		}
	}
	return nil
}

// Embed returns the embeddings of texts.
func (p *Provider) Embed(ctx context.Context, model string, texts []string) ([][]float32, error) {
	c, err := p.client()
	if err != nil {
		return nil, err
	}
	if p.rpm != nil {
		if err := p.rpm.Wait(ctx); err != nil {
			return nil, err
		}
	}
	resp, err := c.CreateEmbeddings(ctx, openai.EmbeddingRequest{Input: texts, Model: openai.EmbeddingModel(model)})
	if err != nil {
		return nil, err
	}
	out := make([][]float32, len(texts))
	for _, d := range resp.Data {
		if d.Index >= 0 && d.Index < len(out) {
			out[d.Index] = d.Embedding
		}
	}
	for i, e := range out {
		if len(e) == 0 {
			return nil, fmt.Errorf("the embeddings endpoint returned nothing for input %d", i)
		}
	}
	return out, nil
}

// transport adds a provider's extra headers and records Retry-After.
type transport struct {
	base    http.RoundTripper
	headers map[string]string
}

type attemptKey struct{}

// attempt collects what one HTTP exchange said: the status, the start of an
// error body, the end of what was read of a stream, the Retry-After of a
// failed response, whether reading the body failed in transport (a dropped
// connection) rather than the body being bad JSON, and the body's size cap.
type attempt struct {
	provider      string
	stream        bool
	limit         int64 // body cap in bytes, 0 = none
	textLimit     int64 // the provider's answer cap
	status        int
	retryAfter    time.Duration
	retryAfterRaw string
	bodyErr       error
	read          int64
	head          []byte // first bytes of an error body
	tail          []byte // last bytes read of a successful body
}

const headLen, tailLen = 4 << 10, 1 << 10

// body records what is read and stops at the cap.
type body struct {
	io.ReadCloser
	a *attempt
}

func (b *body) Read(p []byte) (int, error) {
	a := b.a
	if a.limit > 0 && a.read >= a.limit {
		return 0, &TooLargeError{Provider: a.provider, Limit: a.textLimit, BodyLimit: a.limit}
	}
	if a.limit > 0 && int64(len(p)) > a.limit-a.read {
		p = p[:a.limit-a.read]
	}
	n, err := b.ReadCloser.Read(p)
	a.read += int64(n)
	if a.status >= 400 {
		if room := headLen - len(a.head); room > 0 {
			a.head = append(a.head, p[:min(n, room)]...)
		}
	} else if n > 0 {
		a.tail = append(a.tail, p[:n]...)
		if len(a.tail) > 2*tailLen {
			a.tail = append(a.tail[:0], a.tail[len(a.tail)-tailLen:]...)
		}
	}
	if err != nil && err != io.EOF && a.bodyErr == nil {
		a.bodyErr = err
	}
	return n, err
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if len(t.headers) > 0 {
		req = req.Clone(req.Context())
		for k, v := range t.headers {
			req.Header.Set(k, v)
		}
	}
	resp, err := t.base.RoundTrip(req)
	if a, ok := req.Context().Value(attemptKey{}).(*attempt); ok && err == nil {
		a.status = resp.StatusCode
		if resp.StatusCode >= 400 {
			a.retryAfter = parseRetryAfter(resp.Header)
			a.retryAfterRaw = resp.Header.Get("Retry-After")
		}
		resp.Body = &body{ReadCloser: resp.Body, a: a}
	}
	return resp, err
}

// classify turns what go-openai returned into Verso's errors: a refusal
// with its status and body, an error sent inside a stream, an answer past
// the size cap. Other errors (transport, bad JSON) are returned as they are.
func (a *attempt) classify(err error) error {
	var tl *TooLargeError
	if errors.As(err, &tl) {
		return tl
	}
	if a.status >= 400 {
		return httpError(err, a)
	}
	if a.stream && a.status > 0 && a.bodyErr == nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		var ae *openai.APIError
		if errors.As(err, &ae) {
			return &StreamError{Message: oneLine(ae.Message), Type: ae.Type, Body: excerpt(a.tail), Err: err}
		}
		if i := bytes.Index(a.tail, []byte(`{"error"`)); i >= 0 {
			b := a.tail[i:]
			if j := bytes.IndexByte(b, '\n'); j >= 0 {
				b = b[:j]
			}
			return &StreamError{Message: bodyMessage(b), Body: excerpt(b), Err: err}
		}
	}
	return err
}

func parseRetryAfter(h http.Header) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		var ms float64
		if _, err := fmt.Sscan(v, &ms); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	var s float64
	if _, err := fmt.Sscan(v, &s); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, time.Until(t))
	}
	return 0
}

// StatusCode is the HTTP status of a provider error, 0 if none.
func StatusCode(err error) int {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status
	}
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

// Retryable reports whether a failed call may succeed if tried again: rate
// limits, server errors, timeouts, dropped connections and cut streams.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var rl *RetryLaterError
	if errors.As(err, &rl) {
		return false
	}
	switch code := StatusCode(err); {
	case code == 429 || code == 408 || code == 409 || code >= 500:
		return true
	case code > 0:
		return false
	}
	var ke *KeyError
	var me *MalformedError
	var tl *TooLargeError
	if errors.As(err, &ke) || errors.As(err, &me) || errors.As(err, &tl) {
		return false
	}
	var se *StreamError
	if errors.As(err, &se) {
		return se.retryable()
	}
	if errors.Is(err, ErrStreamCut) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "connection reset") || strings.Contains(s, "broken pipe")
}

// MalformedError is a response that arrived whole but is not valid JSON.
type MalformedError struct{ Err error }

func (e *MalformedError) Error() string {
	return "malformed response from the model server: " + oneLine(e.Err.Error())
}
func (e *MalformedError) Unwrap() error { return e.Err }

// Describe turns a provider error into one line a user can act on.
func Describe(err error) string {
	if err == nil {
		return ""
	}
	var he *HTTPError
	var me *MalformedError
	var se *StreamError
	var tl *TooLargeError
	var rl *RetryLaterError
	switch {
	case errors.As(err, &rl):
		return rl.Error()
	case errors.As(err, &tl):
		return tl.Error()
	case errors.As(err, &he):
		return oneLine(he.Error())
	case errors.As(err, &se):
		return oneLine(se.Error())
	case errors.As(err, &me):
		// Its message already says "malformed response".
		return me.Error()
	}
	var ae *openai.APIError
	if errors.As(err, &ae) {
		msg := ae.Message
		if ae.HTTPStatusCode > 0 {
			return fmt.Sprintf("HTTP %d: %s", ae.HTTPStatusCode, oneLine(msg))
		}
		return oneLine(msg)
	}
	var re *openai.RequestError
	if errors.As(err, &re) {
		body := strings.TrimSpace(string(re.Body))
		if len(body) > 200 {
			body = body[:200] + "…"
		}
		if body != "" {
			return fmt.Sprintf("HTTP %d: %s", re.HTTPStatusCode, oneLine(body))
		}
		return fmt.Sprintf("HTTP %d: %s", re.HTTPStatusCode, oneLine(fmt.Sprint(re.Err)))
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return "malformed response from the model server: " + oneLine(err.Error())
	}
	return oneLine(err.Error())
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// Known reports whether model is one of the provider's configured models
// (providers with no list accept any model).
func (p *Provider) Known(model string) bool {
	return len(p.cfg.Models) == 0 || slices.Contains(p.cfg.Models, model)
}
