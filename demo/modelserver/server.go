// Package modelserver is Verso's offline demo model: an OpenAI-compatible
// HTTP server on loopback whose replies are deterministic from the request
// and follow the instructions a rule-based "brain" recognises. It reports
// usage, and injects latency, jitter and failures (429 with Retry-After, 500,
// hangs, malformed JSON, streams cut mid-way) reproducibly, so the eval
// engine and its tests can exercise every path without the network.
package modelserver

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options tune latency and failure injection. The zero value is a fast,
// reliable server.
type Options struct {
	Latency   time.Duration // added to every reply (before first byte)
	Jitter    time.Duration // +- uniformly random, seeded
	ErrorRate float64       // 0..1 fraction of requests that fail
	// Errors are the kinds drawn from when failing: "429", "500", "timeout",
	// "malformed", "cut"; empty = {"429","500"}.
	Errors []string
	// RetryAfter is sent on 429 as Retry-After (whole seconds, rounded up)
	// and retry-after-ms (exact), default 1s.
	RetryAfter time.Duration
	Seed       int64
	TokenDelay time.Duration // delay between streamed chunks (0 = none)
	// FailFirst fails the first N requests the server receives, with kinds
	// taken in turn from Errors: a deterministic way to test retries.
	FailFirst int
}

// Failure kinds.
const (
	Fail429       = "429"
	Fail500       = "500"
	FailTimeout   = "timeout"
	FailMalformed = "malformed"
	FailCut       = "cut"
)

// FailHeader forces a failure on one request: its value is a kind, optionally
// followed by ":N" to fail only the first N attempts of that exact request
// (so a retry succeeds). A message containing "[[fail:KIND]]" or
// "[[fail:KIND:N]]" does the same.
const FailHeader = "X-Demo-Fail"

// Stats counts what the server did since it started.
type Stats struct {
	Requests   int64
	ByStatus   map[int]int
	Cut        int64
	Timeouts   int64
	Malformed  int64
	Streams    int64
	Embeddings int64
}

// Server is the demo model server. It implements http.Handler; Start also
// serves it on a loopback listener.
type Server struct {
	o       Options
	kinds   []string
	done    chan struct{}
	closeMu sync.Once

	url string
	hs  *http.Server

	requests, cut, timeouts, malformed, streams, embeddings atomic.Int64
	byStatus                                                [600]atomic.Int64
	seq                                                     atomic.Int64

	// attempts counts requests per exact body, only when failures may be
	// injected, so a failure is a function of (seed, request, attempt) and
	// not of arrival order: runs are reproducible at any concurrency.
	attempts sync.Map // uint64 -> *atomic.Int32
}

// chatModels are the models the server advertises for chat; any other model
// name is accepted too and behaves like demo-small.
var chatModels = []string{"demo-small", "demo-large"}

// EmbeddingModel is the advertised embedding model (any name works).
const EmbeddingModel = "demo-embed"

// New returns a server that is not listening; use it as an http.Handler
// (httptest.NewServer(modelserver.New(o))) or call Start instead.
func New(o Options) *Server {
	if o.RetryAfter <= 0 {
		o.RetryAfter = time.Second
	}
	kinds := o.Errors
	if len(kinds) == 0 {
		kinds = []string{Fail429, Fail500}
	}
	return &Server{o: o, kinds: kinds, done: make(chan struct{})}
}

// Start serves a new server on addr (e.g. "127.0.0.1:0") in the background.
func Start(addr string, o Options) (*Server, error) {
	s := New(o)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("demo model server: listen on %s: %w", addr, err)
	}
	s.url = "http://" + ln.Addr().String() + "/v1"
	// net/http's own complaints (a client that hung up mid-TLS, ...) would
	// land on the stderr of the CLI that started the server: drop them.
	s.hs = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = s.hs.Serve(ln) }()
	return s, nil
}

// URL is the base URL including /v1 ("" for a server made with New).
func (s *Server) URL() string { return s.url }

// Close stops the listener (if any) and releases every hanging request.
func (s *Server) Close() error {
	s.closeMu.Do(func() { close(s.done) })
	if s.hs == nil {
		return nil
	}
	return s.hs.Close()
}

// Models lists the chat models the server advertises.
func (s *Server) Models() []string { return append([]string(nil), chatModels...) }

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	st := Stats{
		Requests:   s.requests.Load(),
		ByStatus:   map[int]int{},
		Cut:        s.cut.Load(),
		Timeouts:   s.timeouts.Load(),
		Malformed:  s.malformed.Load(),
		Streams:    s.streams.Load(),
		Embeddings: s.embeddings.Load(),
	}
	for code := range s.byStatus {
		if n := s.byStatus[code].Load(); n > 0 {
			st.ByStatus[code] = int(n)
		}
	}
	return st
}

func (s *Server) count(status int) {
	if status >= 0 && status < len(s.byStatus) {
		s.byStatus[status].Add(1)
	}
}

// ServeHTTP routes the OpenAI endpoints; paths work with or without /v1.
// A panic while answering one request becomes that request's 500 (or a cut
// connection when the reply had started): it never reaches net/http, which
// would print its stack trace on the process's stderr, under the CLI's
// output.
func (s *Server) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	w := &guarded{ResponseWriter: rw}
	defer func() {
		v := recover()
		if v == nil || v == http.ErrAbortHandler {
			if v != nil {
				panic(v)
			}
			return
		}
		if w.wrote {
			// Half a reply is out: close the connection, which the client
			// sees as a cut response.
			panic(http.ErrAbortHandler)
		}
		s.writeError(w, http.StatusInternalServerError, "server_error", fmt.Sprintf("the demo model failed on this request: %v", v))
	}()
	s.route(w, r)
}

// guarded remembers whether a reply has started.
type guarded struct {
	http.ResponseWriter
	wrote bool
}

func (g *guarded) WriteHeader(code int) { g.wrote = true; g.ResponseWriter.WriteHeader(code) }
func (g *guarded) Write(b []byte) (int, error) {
	g.wrote = true
	return g.ResponseWriter.Write(b)
}
func (g *guarded) Flush() {
	if f, ok := g.ResponseWriter.(http.Flusher); ok {
		g.wrote = true
		f.Flush()
	}
}
func (g *guarded) Unwrap() http.ResponseWriter { return g.ResponseWriter }

func (s *Server) route(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/v1")
	switch path {
	case "/chat/completions":
		if r.Method != http.MethodPost {
			s.writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "use POST for /v1/chat/completions")
			return
		}
		s.chat(w, r)
	case "/embeddings":
		if r.Method != http.MethodPost {
			s.writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "use POST for /v1/embeddings")
			return
		}
		s.embed(w, r)
	case "/models":
		if r.Method != http.MethodGet {
			s.writeError(w, http.StatusMethodNotAllowed, "invalid_request_error", "use GET for /v1/models")
			return
		}
		s.models(w)
	default:
		s.writeError(w, http.StatusNotFound, "invalid_request_error", "unknown endpoint "+r.URL.Path)
	}
}

// wait sleeps the configured latency (with seeded jitter); false when the
// client went away or the server closed first.
func (s *Server) wait(ctx context.Context, h uint64) bool {
	d := s.o.Latency
	if s.o.Jitter > 0 {
		u := unit(mix(h ^ 0x9e3779b97f4a7c15))
		d += time.Duration((u*2 - 1) * float64(s.o.Jitter))
	}
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

// hang blocks until the client gives up or the server closes: a timeout.
func (s *Server) hang(ctx context.Context) {
	s.timeouts.Add(1)
	select {
	case <-ctx.Done():
	case <-s.done:
	}
}

// decide returns the failure kind for this request ("" = succeed). forced is
// a "KIND" or "KIND:N" from the header or the messages.
func (s *Server) decide(body []byte, forced string) (kind string, h uint64) {
	h = hashBytes(uint64(s.o.Seed), body)
	n := s.seq.Add(1)
	if s.o.FailFirst > 0 && n <= int64(s.o.FailFirst) {
		return s.kinds[(n-1)%int64(len(s.kinds))], h
	}
	if forced == "" && s.o.ErrorRate <= 0 {
		return "", h
	}
	attempt := s.attempt(h)
	h2 := mix(h ^ uint64(attempt)*0xbf58476d1ce4e5b9)
	if forced != "" {
		kind, limit := parseForced(forced)
		if kind != "" && (limit <= 0 || attempt < limit) {
			return kind, h2
		}
		return "", h2
	}
	if unit(h2) < s.o.ErrorRate {
		return s.kinds[mix(h2)%uint64(len(s.kinds))], h2
	}
	return "", h2
}

func (s *Server) attempt(h uint64) int {
	v, ok := s.attempts.Load(h)
	if !ok {
		v, _ = s.attempts.LoadOrStore(h, new(atomic.Int32))
	}
	return int(v.(*atomic.Int32).Add(1) - 1)
}

func parseForced(f string) (kind string, limit int) {
	kind, n, ok := strings.Cut(strings.TrimSpace(f), ":")
	switch kind {
	case Fail429, Fail500, FailTimeout, FailMalformed, FailCut:
	default:
		return "", 0
	}
	if ok {
		for _, c := range n {
			if c < '0' || c > '9' {
				return kind, 0
			}
			limit = limit*10 + int(c-'0')
		}
	}
	return kind, limit
}

// errAbort closes the connection without a complete reply (net/http does
// not log it).
var errAbort = http.ErrAbortHandler
