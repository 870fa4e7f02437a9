// Package serve is `verso serve`: an HTTP API that gives applications their
// prompts and takes back what happened (events, feedback, OpenTelemetry
// traces), with stats and Prometheus metrics. Every write is committed
// before it is acknowledged, so a 2xx means the data is on disk.
package serve

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/seed94f0f622/verso/store"
	"github.com/seed94f0f622/verso/store/sanitize"
)

// DefaultAddr is where serve listens unless told otherwise: loopback only.
const DefaultAddr = "127.0.0.1:7070"

// TokenEnv names the environment variable holding the bearer token.
const TokenEnv = "VERSO_SERVE_TOKEN"

// Options configure a server. Zero values take the defaults.
type Options struct {
	Addr string
	// Token, when set, is required as "Authorization: Bearer TOKEN" on
	// every endpoint but /healthz. A non-loopback Addr requires it.
	Token string
	// MaxBody bounds request bodies (default 16 MiB); larger ones get 413.
	MaxBody int64
	// Timeouts (defaults: header 5s, read 30s, write 30s, idle 60s).
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// CacheRefresh is how often the prompt cache checks the file for changes
	// (default 250ms).
	CacheRefresh time.Duration
	// GuardInterval is how often the rollouts' guards are checked (default
	// 1m; negative: never).
	GuardInterval time.Duration
	// Log receives one line per failure (default: discarded).
	Log io.Writer
}

// ErrNeedToken is returned by New for a non-loopback address without a token.
var ErrNeedToken = errors.New("a non-loopback address needs a bearer token")

// Server is a configured `verso serve`.
type Server struct {
	st      *store.Store
	o       Options
	mux     *http.ServeMux
	metrics *metrics
	log     *log.Logger
	cache   *promptCache
	srv     *http.Server
}

// IsLoopback reports whether addr (host:port) listens on loopback only.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// New checks the options and builds the server.
func New(st *store.Store, o Options) (*Server, error) {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if _, _, err := net.SplitHostPort(o.Addr); err != nil {
		return nil, fmt.Errorf("address %q is not host:port (like %s): %w", o.Addr, DefaultAddr, store.ErrInvalid)
	}
	if !IsLoopback(o.Addr) && o.Token == "" {
		return nil, fmt.Errorf("%s is not a loopback address: set %s to a bearer token that clients must send, or listen on %s: %w",
			o.Addr, TokenEnv, DefaultAddr, ErrNeedToken)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&o.ReadHeaderTimeout, 5*time.Second)
	def(&o.ReadTimeout, 30*time.Second)
	def(&o.WriteTimeout, 30*time.Second)
	def(&o.IdleTimeout, 60*time.Second)
	def(&o.CacheRefresh, 250*time.Millisecond)
	def(&o.GuardInterval, time.Minute)
	if o.MaxBody == 0 {
		o.MaxBody = 16 << 20
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	s := &Server{st: st, o: o, mux: http.NewServeMux(), metrics: newMetrics(), log: log.New(o.Log, "verso serve: ", log.LstdFlags),
		cache: newPromptCache(st, o.CacheRefresh)}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	s.handle("GET /v1/prompts/{name...}", "prompt", s.getPrompt)
	s.handle("POST /v1/prompts/{name...}", "render", s.render)
	s.handle("POST /v1/events", "events", s.postEvents)
	s.handle("POST /v1/feedback", "feedback", s.postFeedback)
	s.handle("POST /v1/traces", "traces", s.postTraces)
	s.handle("GET /v1/stats", "stats", s.getStats)
	s.handle("GET /healthz", "healthz", s.healthz)
	s.handle("GET /metrics", "metrics", s.metrics.handler().ServeHTTP)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path+" (see the README's serve section)")
	})
}

// handle registers a route with auth and metrics.
func (s *Server) handle(pattern, route string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w, code: http.StatusOK}
		if route != "healthz" && !s.authorized(r) {
			rec.Header().Set("WWW-Authenticate", `Bearer realm="verso"`)
			writeError(rec, http.StatusUnauthorized, "missing or wrong bearer token (send Authorization: Bearer $"+TokenEnv+")")
		} else {
			h(rec, r)
		}
		s.metrics.observe(route, rec.code, time.Since(start))
	})
}

func (s *Server) authorized(r *http.Request) bool {
	if s.o.Token == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.o.Token)) == 1
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

// Handler is the server's HTTP handler (for tests and embedding).
func (s *Server) Handler() http.Handler { return s.mux }

// Serve accepts connections on l until ctx is done, then shuts down
// gracefully: it stops accepting, lets every request in flight finish (each
// commits before it answers) and returns.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	s.srv = &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: s.o.ReadHeaderTimeout,
		ReadTimeout:       s.o.ReadTimeout,
		WriteTimeout:      s.o.WriteTimeout,
		IdleTimeout:       s.o.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          s.log,
	}
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(l) }()
	guards, stopGuards := context.WithCancel(ctx)
	guardsDone := make(chan struct{})
	go func() {
		defer close(guardsDone)
		s.guardLoop(guards)
	}()
	defer func() {
		stopGuards()
		<-guardsDone
	}()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		shut, cancel := context.WithTimeout(context.Background(), s.o.WriteTimeout+5*time.Second)
		err = s.srv.Shutdown(shut)
		cancel()
		<-errc
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// guardLoop checks the rollouts' guards every GuardInterval until ctx is
// done.
func (s *Server) guardLoop(ctx context.Context) {
	if s.o.GuardInterval < 0 {
		return
	}
	t := time.NewTicker(s.o.GuardInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.CheckRollouts(ctx); err != nil && ctx.Err() == nil {
				s.log.Printf("rollout check: %v", err)
			}
		}
	}
}

// CheckRollouts checks every running rollout's guards now (the server does
// it each GuardInterval): a breach aborts. Label resolutions wait while it
// runs and the prompt cache is cleared before they go on, so once an abort
// has committed no request is answered from the aborted arm.
func (s *Server) CheckRollouts(ctx context.Context) ([]store.RolloutCheck, error) {
	s.cache.live.Lock()
	defer s.cache.live.Unlock()
	checks, err := s.st.CheckLiveRollouts(ctx)
	s.cache.clear()
	for _, c := range checks {
		if c.Aborted {
			s.log.Printf("rollout %d aborted at %d%%: a guard was breached", c.Rollout, c.Weight)
		}
	}
	return checks, err
}

// ListenAndServe listens on Options.Addr and serves until ctx is done.
// ready, if not nil, is called with the bound address once listening.
func (s *Server) ListenAndServe(ctx context.Context, ready func(addr string)) error {
	l, err := net.Listen("tcp", s.o.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.o.Addr, err)
	}
	if ready != nil {
		ready(l.Addr().String())
	}
	return s.Serve(ctx, l)
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, code int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		code = http.StatusInternalServerError
		b.Reset()
		fmt.Fprintf(&b, `{"error":%q}`+"\n", err.Error())
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(code)
	w.Write(b.Bytes())
}

type errorJSON struct {
	Error   string   `json:"error"`
	Missing []string `json:"missing,omitempty"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorJSON{Error: sanitize.Line(msg)})
}

// readBody reads a bounded body; false means it already answered (413).
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.ContentLength > s.o.MaxBody {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body of %d bytes is over the %d-byte limit: send smaller batches", r.ContentLength, s.o.MaxBody))
		return nil, false
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.o.MaxBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body is over the %d-byte limit: send smaller batches", s.o.MaxBody))
		return nil, false
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return nil, false
	}
	return b, true
}

// storeFailed answers a store failure: the client should retry (nothing of
// the request was acknowledged).
func (s *Server) storeFailed(w http.ResponseWriter, op string, err error) {
	s.log.Printf("%s: %s", op, sanitize.Line(err.Error()))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	if errors.Is(err, store.ErrInvalid) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusServiceUnavailable, op+" failed, nothing was stored; retry: "+err.Error())
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if _, err := s.st.DataVersion(r.Context()); err != nil {
		writeError(w, http.StatusServiceUnavailable, "database: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
