// Package provider calls named OpenAI-compatible model providers (configured
// in package config) through go-openai: chat (streamed or not) and
// embeddings, with per-provider rate limits, retries with backoff and prices.
package provider

import (
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
			return nil, fmt.Errorf("the demo model server is not running: use `verso eval` or `verso demo`, which start it")
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

// KeyError is a provider whose API key variable is not set.
type KeyError struct{ Provider, Env string }

func (e *KeyError) Error() string {
	return fmt.Sprintf("provider %s needs an API key: export %s (or pick another model, e.g. --model demo/demo-large)", e.Provider, e.Env)
}

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
	Output       string
	TokensIn     int
	TokensOut    int
	Latency      time.Duration
	FinishReason string
}

// ErrStreamCut is a stream that ended before the model finished.
var ErrStreamCut = errors.New("stream ended before the model finished")

// Chat makes one call (no retries: see Do). With onToken, the answer is
// streamed and onToken gets each piece as it arrives.
func (p *Provider) Chat(ctx context.Context, req openai.ChatCompletionRequest, onToken func(string)) (Response, error) {
	c, err := p.client()
	if err != nil {
		return Response{}, err
	}
	if err := p.wait(ctx, req); err != nil {
		return Response{}, err
	}
	start := time.Now()
	if onToken == nil {
		req.Stream = false
		resp, err := c.CreateChatCompletion(ctx, req)
		if err != nil {
			return Response{}, err
		}
		if len(resp.Choices) == 0 {
			return Response{}, fmt.Errorf("the model returned no choices")
		}
		return Response{Output: resp.Choices[0].Message.Content, TokensIn: resp.Usage.PromptTokens,
			TokensOut: resp.Usage.CompletionTokens, Latency: time.Since(start), FinishReason: string(resp.Choices[0].FinishReason)}, nil
	}
	req.Stream = true
	req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	st, err := c.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return Response{}, err
	}
	defer st.Close()
	var out strings.Builder
	var r Response
	for {
		chunk, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Response{}, err
		}
		if chunk.Usage != nil {
			r.TokensIn, r.TokensOut = chunk.Usage.PromptTokens, chunk.Usage.CompletionTokens
		}
		for _, ch := range chunk.Choices {
			if ch.Index != 0 {
				continue
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
	r.Output = out.String()
	r.Latency = time.Since(start)
	return r, nil
}

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

// attempt collects what an HTTP exchange said about retrying: the
// Retry-After of a failed response, and whether reading the body failed in
// transport (a dropped connection) rather than the body being bad JSON.
type attempt struct {
	retryAfter time.Duration
	bodyErr    error
}

// body records transport errors while the body is read.
type body struct {
	io.ReadCloser
	a *attempt
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF && b.a.bodyErr == nil {
		b.a.bodyErr = err
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
		if resp.StatusCode >= 400 {
			a.retryAfter = parseRetryAfter(resp.Header)
		}
		resp.Body = &body{ReadCloser: resp.Body, a: a}
	}
	return resp, err
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
	switch code := StatusCode(err); {
	case code == 429 || code == 408 || code == 409 || code >= 500:
		return true
	case code > 0:
		return false
	}
	var ke *KeyError
	var me *MalformedError
	if errors.As(err, &ke) || errors.As(err, &me) {
		return false
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
	var se *json.SyntaxError
	if errors.As(err, &se) {
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
