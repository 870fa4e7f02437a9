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
	Arm       string          `json:"arm"`             // the split arm the unit got (v5), "" when the label is not a split
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
	labels  map[string]store.InForce // name@label -> what it gives (never a label under a rollout)
	gen     int                      // bumped on every clear: a resolve that raced a clear is not kept

	// live is held for reading while a request resolves a label and for
	// writing while this server checks rollouts, so no request resolves
	// from an arm an abort has just taken away.
	live sync.RWMutex

	check     sync.Mutex
	checkedAt atomic.Int64 // unix nanoseconds
	dv        int64
}

func newPromptCache(st *store.Store, refresh time.Duration) *promptCache {
	return &promptCache{st: st, refresh: refresh, m: map[string]*cached{}, labels: map[string]store.InForce{}}
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
		c.clear()
		c.dv = v
	}
}

func (c *promptCache) clear() {
	c.mu.Lock()
	c.m = map[string]*cached{}
	c.labels = map[string]store.InForce{}
	c.gen++
	c.mu.Unlock()
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

// get resolves name@sel for a unit. A version (sel a number) is cached
// until the file changes; so is what a label gives, except under a rollout,
// whose weights move with the clock and whose abort must take effect at
// once: it is read from the file on every request. The answer for each
// (label, version, arm) is cached.
func (c *promptCache) get(ctx context.Context, name, sel, label, unit string) (*cached, error) {
	c.revalidate(ctx)
	number, arm := 0, ""
	if label == "" {
		number, _ = strconv.Atoi(sel)
	} else {
		key := name + "@" + label
		c.mu.RLock()
		in, ok := c.labels[key]
		gen := c.gen
		c.mu.RUnlock()
		if !ok {
			c.live.RLock()
			var err error
			in, err = c.st.LabelInForce(ctx, name, label)
			c.live.RUnlock()
			if err != nil {
				return nil, err
			}
			if !in.Rollout {
				c.mu.Lock()
				if c.gen == gen {
					c.labels[key] = in
				}
				c.mu.Unlock()
			}
		}
		number, arm = in.Pick(unit)
	}
	// The arm is part of the answer: after a split ends, the same version
	// is served with no arm, and must not come back with the old one.
	key := name + "@" + strconv.Itoa(number) + "@" + label + "@" + arm
	c.mu.RLock()
	e, gen := c.m[key], c.gen
	c.mu.RUnlock()
	if e != nil {
		return e, nil
	}
	v, err := c.st.Version(ctx, name, number)
	if err != nil {
		return nil, err
	}
	vars := prompt.Variables(v)
	if vars == nil {
		vars = []string{}
	}
	p := PromptJSON{Name: v.Prompt, Version: v.Number, Label: label, Arm: arm, Kind: v.Kind, Template: v.Template, Messages: v.Messages,
		Config: v.Config, Variables: vars, Hash: v.Hash}
	body, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	body = append(body, '\n')
	sum := sha256.Sum256(body)
	v.Arm = arm
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
	unit := r.URL.Query().Get("unit")
	if len(unit) > store.MaxEventString {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("unit is longer than %d bytes", store.MaxEventString))
		return nil, "", false
	}
	e, err := s.cache.get(r.Context(), name, sel, label, unit)
	if err != nil {
		s.storeFailed(w, "resolve "+name, err)
		return nil, "", false
	}
	return e, label, true
}

func (s *Server) getPrompt(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	// unit= assigns the unit to an arm of a split label (store.Bucket).
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
	out := RenderJSON{Name: e.v.Prompt, Version: e.v.Number, Label: label, Arm: e.v.Arm, Kind: e.v.Kind, Messages: msgs, Config: e.v.Config, Hash: e.v.Hash}
	if e.v.Kind == store.KindText && len(msgs) == 1 {
		out.Text = msgs[0].Content
	}
	writeJSON(w, http.StatusOK, out)
}
