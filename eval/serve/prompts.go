package serve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed94f0f622/verso/eval/prompt"
	"github.com/seed94f0f622/verso/store"
)

// PromptJSON is the answer of GET /v1/prompts/{name}.
type PromptJSON struct {
	Name      string          `json:"name"`
	Version   int             `json:"version"`
	Label     string          `json:"label,omitempty"` // the label asked for ("" when a version was)
	Arm       string          `json:"arm"`             // the split arm (traffic splits; "" for now)
	Kind      store.Kind      `json:"kind"`
	Template  string          `json:"template,omitempty"`
	Messages  []store.Message `json:"messages,omitempty"`
	Config    store.Config    `json:"config"`
	Variables []string        `json:"variables"`
	Hash      string          `json:"hash"`
}

// RenderJSON is the answer of POST /v1/prompts/{name}/render.
type RenderJSON struct {
	Name     string          `json:"name"`
	Version  int             `json:"version"`
	Label    string          `json:"label,omitempty"`
	Arm      string          `json:"arm"`
	Kind     store.Kind      `json:"kind"`
	Text     string          `json:"text,omitempty"` // text prompts: the rendered template
	Messages []store.Message `json:"messages"`
	Config   store.Config    `json:"config"`
	Hash     string          `json:"hash"`
}

// cached is a resolved prompt ready to send.
type cached struct {
	v    store.Version
	body []byte
	etag string
}

// promptCache keeps resolved prompts until the file changes: PRAGMA
// data_version is checked at most once per refresh interval, by the request
// that finds the last check too old.
type promptCache struct {
	st      *store.Store
	refresh time.Duration
	mu      sync.RWMutex
	m       map[string]*cached
	gen     int // bumped on every clear: a resolve that raced a clear is not kept

	check     sync.Mutex
	checkedAt atomic.Int64 // unix nanoseconds
	dv        int64
}

func newPromptCache(st *store.Store, refresh time.Duration) *promptCache {
	return &promptCache{st: st, refresh: refresh, m: map[string]*cached{}}
}

// revalidate clears the cache when the file changed since the last check.
func (c *promptCache) revalidate(ctx context.Context) {
	now := time.Now().UnixNano()
	if now-c.checkedAt.Load() < int64(c.refresh) || !c.check.TryLock() {
		return
	}
	defer c.check.Unlock()
	v, err := c.st.DataVersion(ctx)
	c.checkedAt.Store(now)
	if err != nil || v != c.dv {
		c.mu.Lock()
		c.m = map[string]*cached{}
		c.gen++
		c.mu.Unlock()
		c.dv = v
	}
}

// selector reads label= / version= (default label production).
func selector(r *http.Request) (sel, label string, err error) {
	q := r.URL.Query()
	label, version := q.Get("label"), q.Get("version")
	switch {
	case label != "" && version != "":
		return "", "", errors.New("give label or version, not both")
	case version != "":
		n, err := strconv.Atoi(strings.TrimPrefix(version, "v"))
		if err != nil || n < 1 {
			return "", "", fmt.Errorf("version %q is not a version number", version)
		}
		return strconv.Itoa(n), "", nil
	case label != "":
		return label, label, nil
	}
	return "production", "production", nil
}

func (c *promptCache) get(ctx context.Context, name, sel, label string) (*cached, error) {
	key := name + "@" + sel
	c.revalidate(ctx)
	c.mu.RLock()
	e, gen := c.m[key], c.gen
	c.mu.RUnlock()
	if e != nil {
		return e, nil
	}
	v, err := c.st.Resolve(ctx, key)
	if err != nil {
		return nil, err
	}
	vars := prompt.Variables(v)
	if vars == nil {
		vars = []string{}
	}
	p := PromptJSON{Name: v.Prompt, Version: v.Number, Label: label, Kind: v.Kind, Template: v.Template, Messages: v.Messages,
		Config: v.Config, Variables: vars, Hash: v.Hash}
	body, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	body = append(body, '\n')
	sum := sha256.Sum256(body)
	e = &cached{v: v, body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
	c.mu.Lock()
	if c.gen == gen {
		c.m[key] = e
	}
	c.mu.Unlock()
	return e, nil
}

func (s *Server) lookup(w http.ResponseWriter, r *http.Request, name string) (*cached, string, bool) {
	sel, label, err := selector(r)
	if err == nil {
		err = store.ValidName(name)
	}
	if err == nil && sel == label {
		err = store.ValidLabel(label)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return nil, "", false
	}
	e, err := s.cache.get(r.Context(), name, sel, label)
	if err != nil {
		s.storeFailed(w, "resolve "+name, err)
		return nil, "", false
	}
	return e, label, true
}

func (s *Server) getPrompt(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	// unit= is for traffic splits: accepted, and every unit gets the arm ""
	// until splits exist.
	e, _, ok := s.lookup(w, r, name)
	if !ok {
		return
	}
	h := w.Header()
	h.Set("ETag", e.etag)
	h.Set("Cache-Control", "no-cache")
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatch(match, e.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(e.body)))
	w.WriteHeader(http.StatusOK)
	w.Write(e.body)
}

func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

func (s *Server) render(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutSuffix(r.PathValue("name"), "/render")
	if !ok {
		writeError(w, http.StatusNotFound, "no such endpoint: POST "+r.URL.Path+" (POST /v1/prompts/NAME/render renders a prompt)")
		return
	}
	body, ok := s.readBody(w, r)
	if !ok {
		return
	}
	var in struct {
		Variables map[string]any `json:"variables"`
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			writeError(w, http.StatusBadRequest, `body must be {"variables": {...}}: `+err.Error())
			return
		}
	}
	e, label, ok := s.lookup(w, r, name)
	if !ok {
		return
	}
	msgs, err := prompt.Render(e.v, in.Variables)
	var me *prompt.MissingError
	if errors.As(err, &me) {
		writeJSON(w, http.StatusUnprocessableEntity, errorJSON{Error: "missing variables: " + strings.Join(me.Names, ", "), Missing: me.Names})
		return
	}
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err.Error())
		return
	}
	out := RenderJSON{Name: e.v.Prompt, Version: e.v.Number, Label: label, Kind: e.v.Kind, Messages: msgs, Config: e.v.Config, Hash: e.v.Hash}
	if e.v.Kind == store.KindText && len(msgs) == 1 {
		out.Text = msgs[0].Content
	}
	writeJSON(w, http.StatusOK, out)
}
