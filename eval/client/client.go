// Package client is what a Go application imports to use Verso in
// production: it resolves prompts from the registry file or from
// `verso serve` through one API, caches them (TTL, then
// stale-while-revalidate), falls back to a prompt baked into the
// application when the source is unreachable, and records events in
// batches (flushed on size, on an interval and on Close).
//
//	c, err := client.Open("http://127.0.0.1:7070", client.Options{})
//	msgs, p, err := c.Render(ctx, "support/reply", map[string]any{"name": "Ada"})
//	c.Record(client.Event{Prompt: p.Name, Version: p.Version, Label: p.Label, LatencyMS: 420})
//	defer c.Close()
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/seed94f0f622/verso/eval/ingest"
	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/store"
)

// Event is one model call to record (see the README's event schema). ID and
// Time are filled in when empty.
type Event = store.Event

// Prompt is a resolved prompt version.
type Prompt struct {
	Name      string          `json:"name"`
	Version   int             `json:"version"`
	Label     string          `json:"label,omitempty"`
	Arm       string          `json:"arm"`
	Kind      store.Kind      `json:"kind"`
	Template  string          `json:"template,omitempty"`
	Messages  []store.Message `json:"messages,omitempty"`
	Config    store.Config    `json:"config"`
	Variables []string        `json:"variables"`
	Hash      string          `json:"hash"`
	// Fallback is true when the source was unreachable and this is the
	// application's fallback prompt.
	Fallback bool `json:"-"`
}

// Options tune a client. Zero values take the defaults.
type Options struct {
	// TTL is how long a resolved prompt is used without asking the source
	// (default 30s). After it, the cached prompt is still returned at once
	// while one background request refreshes it.
	TTL time.Duration
	// Fallbacks are used for a prompt the source cannot give (unreachable,
	// or an error) and that was never cached: keyed by reference as passed
	// to Get ("support/reply" or "support/reply@staging").
	Fallbacks map[string]Prompt
	// Token is sent as a bearer token to a serve URL.
	Token string
	// HTTPClient talks to a serve URL (default: 5s timeout).
	HTTPClient *http.Client
	// BatchSize flushes recorded events when this many are waiting
	// (default 500); FlushInterval flushes them anyway (default 1s).
	BatchSize     int
	FlushInterval time.Duration
	// MaxPending bounds the events kept while the source is unreachable
	// (default 100,000); beyond it the oldest are dropped and reported.
	MaxPending int
	// OnError receives background failures (refreshes, flushes). Default:
	// ignored.
	OnError func(error)
}

// source is where prompts come from and events go to.
type source interface {
	resolve(ctx context.Context, name, sel, unit string) (Prompt, error)
	record(ctx context.Context, evs []Event) error
	close() error
}

// Client resolves prompts and records events. Safe for concurrent use.
type Client struct {
	src source
	o   Options

	mu         sync.Mutex
	cache      map[string]*entry
	pending    []Event
	flushing   sync.Mutex
	kick, done chan struct{}
	closed     bool
	wg         sync.WaitGroup
	now        func() time.Time // the cache's clock (tests replace it)
}

type entry struct {
	p          Prompt
	fetched    time.Time
	refreshing bool
	// split: the label was a traffic split when last resolved, so its
	// answer depends on the unit and is not reused for other units.
	split bool
}

// Open makes a client for a registry file path or a `verso serve` URL
// (http:// or https://).
func Open(src string, o Options) (*Client, error) {
	if o.TTL == 0 {
		o.TTL = 30 * time.Second
	}
	if o.BatchSize == 0 {
		o.BatchSize = 500
	}
	if o.FlushInterval == 0 {
		o.FlushInterval = time.Second
	}
	if o.MaxPending == 0 {
		o.MaxPending = 100_000
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	}
	if o.OnError == nil {
		o.OnError = func(error) {}
	}
	var s source
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		u, err := url.Parse(strings.TrimRight(src, "/"))
		if err != nil {
			return nil, fmt.Errorf("verso client: %q is not a URL: %w", src, err)
		}
		s = &httpSource{base: u.String(), token: o.Token, hc: o.HTTPClient}
	} else {
		st, err := store.Open(src)
		if err != nil {
			return nil, fmt.Errorf("verso client: %w", err)
		}
		s = &fileSource{st: st}
	}
	c := &Client{src: s, o: o, now: time.Now, cache: map[string]*entry{}, kick: make(chan struct{}, 1), done: make(chan struct{})}
	c.wg.Add(1)
	go c.flushLoop()
	return c, nil
}

// Get returns the prompt a reference names: "name" (the production label),
// "name@label" or "name@3". A label that is a traffic split gives a random
// arm; use GetUnit to assign a user or session.
func (c *Client) Get(ctx context.Context, ref string) (Prompt, error) {
	return c.GetUnit(ctx, ref, "")
}

// GetUnit is Get for one unit (a user id, a session id): a label that is a
// traffic split gives the unit its arm, the same every time (store.Bucket);
// Prompt.Version and Prompt.Arm say which. Record events with both. A
// label that is not a split is cached as Get caches it; a split is asked
// for each time (the source is fast; a split's weights can change at any
// moment under a rollout), with the cached answer as the fallback.
func (c *Client) GetUnit(ctx context.Context, ref, unit string) (Prompt, error) {
	name, sel, err := store.ParseRef(ref)
	if err != nil {
		return Prompt{}, err
	}
	if sel == "" {
		sel = "production"
	}
	key := name + "@" + sel
	c.mu.Lock()
	e := c.cache[key]
	if e != nil && !e.split {
		if c.now().Sub(e.fetched) >= c.o.TTL && !e.refreshing {
			e.refreshing = true
			c.wg.Add(1)
			go c.refresh(key, name, sel)
		}
		p := e.p
		c.mu.Unlock()
		return p, nil
	}
	c.mu.Unlock()
	p, err := c.src.resolve(ctx, name, sel, unit)
	if err != nil {
		if e != nil && !errors.Is(err, store.ErrInvalid) {
			return e.p, nil
		}
		if fb, ok := c.fallback(ref, key); ok && !errors.Is(err, store.ErrInvalid) {
			return fb, nil
		}
		return Prompt{}, err
	}
	c.mu.Lock()
	c.cache[key] = &entry{p: p, fetched: c.now(), split: p.Arm != ""}
	c.mu.Unlock()
	return p, nil
}

func (c *Client) fallback(ref, key string) (Prompt, bool) {
	for _, k := range []string{ref, key} {
		if p, ok := c.o.Fallbacks[k]; ok {
			p.Fallback = true
			return p, true
		}
	}
	return Prompt{}, false
}

// refresh re-resolves a cached prompt in the background; on failure the
// stale one stays in use.
func (c *Client) refresh(key, name, sel string) {
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := c.src.resolve(ctx, name, sel, "")
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.cache[key]
	if e == nil {
		return
	}
	e.refreshing = false
	if err != nil {
		c.o.OnError(fmt.Errorf("verso client: refresh %s (still using v%d): %w", key, e.p.Version, err))
		return
	}
	e.p, e.fetched, e.split = p, c.now(), p.Arm != ""
}

// Render resolves ref and renders it with vars into chat messages (a text
// prompt is one user message). Missing variables are an error naming them.
func (c *Client) Render(ctx context.Context, ref string, vars map[string]any) ([]store.Message, Prompt, error) {
	return c.RenderUnit(ctx, ref, "", vars)
}

// RenderUnit is Render for one unit of a traffic split (see GetUnit).
func (c *Client) RenderUnit(ctx context.Context, ref, unit string, vars map[string]any) ([]store.Message, Prompt, error) {
	p, err := c.GetUnit(ctx, ref, unit)
	if err != nil {
		return nil, p, err
	}
	msgs, err := prompt.Render(store.Version{Prompt: p.Name, Number: p.Version, Kind: p.Kind, Template: p.Template, Messages: p.Messages}, vars)
	return msgs, p, err
}

// Record queues an event; it is sent with the next batch. An event without
// an ID gets a random one (so a retried batch is stored once), without a
// Time the current time.
func (c *Client) Record(e Event) {
	if e.ID == "" {
		e.ID = newID()
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	c.mu.Lock()
	c.pending = append(c.pending, e)
	if over := len(c.pending) - c.o.MaxPending; over > 0 {
		c.pending = append(c.pending[:0], c.pending[over:]...)
		c.o.OnError(fmt.Errorf("verso client: %d events dropped: the source is unreachable and %d are waiting", over, c.o.MaxPending))
	}
	full := len(c.pending) >= c.o.BatchSize
	c.mu.Unlock()
	if full {
		select {
		case c.kick <- struct{}{}:
		default:
		}
	}
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (c *Client) flushLoop() {
	defer c.wg.Done()
	t := time.NewTicker(c.o.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		case <-c.kick:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := c.Flush(ctx); err != nil {
			c.o.OnError(err)
		}
		cancel()
	}
}

// Flush sends the queued events now. On failure they stay queued for the
// next flush.
func (c *Client) Flush(ctx context.Context) error {
	c.flushing.Lock()
	defer c.flushing.Unlock()
	for {
		c.mu.Lock()
		n := min(len(c.pending), max(c.o.BatchSize, 1))
		batch := append([]Event(nil), c.pending[:n]...)
		c.mu.Unlock()
		if n == 0 {
			return nil
		}
		err := c.src.record(ctx, batch)
		var rej rejectedError
		if err != nil && !errors.As(err, &rej) {
			return fmt.Errorf("verso client: record %d events (kept for the next flush): %w", n, err)
		}
		c.mu.Lock()
		c.pending = c.pending[n:]
		c.mu.Unlock()
		if err != nil {
			// Refused events would be refused again: report, do not retry.
			return fmt.Errorf("verso client: %w", err)
		}
	}
}

// rejectedError: the source stored the good events of a batch and refused
// the others for what they say.
type rejectedError struct{ msg string }

func (e rejectedError) Error() string { return e.msg }

// Close flushes the queued events and releases the source.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	close(c.done)
	c.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := c.Flush(ctx)
	return errors.Join(err, c.src.close())
}

// fileSource reads and writes the registry file directly.
type fileSource struct{ st *store.Store }

func (f *fileSource) resolve(ctx context.Context, name, sel, unit string) (Prompt, error) {
	v, err := f.st.ResolveUnit(ctx, name+"@"+sel, unit)
	if err != nil {
		return Prompt{}, err
	}
	p := Prompt{Name: v.Prompt, Version: v.Number, Arm: v.Arm, Kind: v.Kind, Template: v.Template, Messages: v.Messages, Config: v.Config,
		Variables: prompt.Variables(v), Hash: v.Hash}
	if _, isNum := versionSel(sel); !isNum {
		p.Label = sel
	}
	return p, nil
}

func versionSel(sel string) (int, bool) {
	var n int
	_, err := fmt.Sscanf(strings.TrimPrefix(sel, "v"), "%d", &n)
	return n, err == nil && fmt.Sprint(n) == strings.TrimPrefix(sel, "v")
}

func (f *fileSource) record(ctx context.Context, evs []Event) error {
	res, err := f.st.RecordEvents(ctx, evs)
	if err != nil {
		return err
	}
	if len(res.Rejected) > 0 {
		return rejectedError{fmt.Sprintf("%d events rejected, first: %s", len(res.Rejected), res.Rejected[0].Reason)}
	}
	return nil
}

func (f *fileSource) close() error { return f.st.Close() }

// httpSource talks to `verso serve`.
type httpSource struct {
	base, token string
	hc          *http.Client
}

func (h *httpSource) do(ctx context.Context, method, path, ctype string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, h.base+path, body)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if h.token != "" {
		req.Header.Set("Authorization", "Bearer "+h.token)
	}
	return h.hc.Do(req)
}

func (h *httpSource) resolve(ctx context.Context, name, sel, unit string) (Prompt, error) {
	q := url.Values{}
	if unit != "" {
		q.Set("unit", unit)
	}
	if _, isNum := versionSel(sel); isNum {
		q.Set("version", sel)
	} else {
		q.Set("label", sel)
	}
	resp, err := h.do(ctx, "GET", "/v1/prompts/"+name+"?"+q.Encode(), "", nil)
	if err != nil {
		return Prompt{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return Prompt{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return Prompt{}, serverError(resp.StatusCode, b)
	}
	var p Prompt
	if err := json.Unmarshal(b, &p); err != nil {
		return Prompt{}, fmt.Errorf("verso serve answered with malformed JSON: %w", err)
	}
	return p, nil
}

func serverError(code int, body []byte) error {
	var e struct{ Error string }
	json.Unmarshal(body, &e)
	err := fmt.Errorf("verso serve: %d %s", code, e.Error)
	if code == http.StatusNotFound {
		return fmt.Errorf("%w: %w", err, store.ErrNotFound)
	}
	return err
}

func (h *httpSource) record(ctx context.Context, evs []Event) error {
	var b bytes.Buffer
	for _, e := range evs {
		line, err := ingest.MarshalEvent(e)
		if err != nil {
			return err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	resp, err := h.do(ctx, "POST", "/v1/events", "application/x-ndjson", &b)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusBadRequest {
		// The good lines are stored; the bad ones would fail again.
		var r ingest.Result
		json.Unmarshal(body, &r)
		msg := fmt.Sprintf("%d events rejected", len(r.Rejected))
		if len(r.Rejected) > 0 {
			msg += ", first: " + r.Rejected[0].Reason
		}
		return rejectedError{msg}
	}
	if resp.StatusCode/100 != 2 {
		return serverError(resp.StatusCode, body)
	}
	return nil
}

func (h *httpSource) close() error { return nil }
